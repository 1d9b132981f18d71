# tlsmap: socketmap server for smtp_tls_policy_maps and smtp_tls_per_site.
sbin_PROGRAMS += tlsmap/tlsmap
tlsmap_tlsmap_SOURCES = \
	tlsmap/main.c \
	tlsmap/tlsmap.h \
	tlsmap/tlsmap_params.c \
	tlsmap/tlsmap_ctl.c \
	tlsmap/tlsmap_status.c \
	tlsmap/sockmap_session.c \
	tlsmap/maps.c tlsmap/maps.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h \
	tlsmap/per_site.c tlsmap/per_site.h \
	tlsmap/postfix_probe.c tlsmap/postfix_probe.h \
	tlsmap/tlsmap_dyn.c tlsmap/tlsmap_control.c \
	tlsmap/dynamic.c tlsmap/dynamic.h tlsmap/dyn_int.h tlsmap/dyn_store.c \
	tlsmap/dane.c tlsmap/dane.h \
	tlsmap/dns_resolver.c tlsmap/dns_resolver.h \
	tlsmap/sts_policy.c tlsmap/sts_policy.h \
	tlsmap/sts_fetch.c tlsmap/sts_fetch.h
tlsmap_tlsmap_LDADD = $(PFH_LIBS) $(DYN_LIBS)

dist_man_MANS += doc/tlsmap.8 doc/tlsmap.conf.5

if HAVE_CMOCKA
TLSMAP_UNIT_TESTS = \
	tests/unit/test_tls_policy \
	tests/unit/test_per_site \
	tests/unit/test_sts_policy \
	tests/unit/test_tlsmap_maps \
	tests/unit/test_sts_fetch
check_PROGRAMS += $(TLSMAP_UNIT_TESTS)
TESTS += $(TLSMAP_UNIT_TESTS)
tests_unit_test_tls_policy_SOURCES = tests/unit/test_tls_policy.c \
	tlsmap/tls_policy.c tlsmap/tls_policy.h
tests_unit_test_tls_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tls_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_unit_test_tls_policy_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_per_site_SOURCES = tests/unit/test_per_site.c \
	tlsmap/per_site.c tlsmap/per_site.h
tests_unit_test_per_site_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_per_site_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_unit_test_per_site_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sts_policy_SOURCES = tests/unit/test_sts_policy.c \
	tlsmap/sts_policy.c tlsmap/sts_policy.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h
tests_unit_test_sts_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sts_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_unit_test_sts_policy_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tlsmap_maps_SOURCES = tests/unit/test_tlsmap_maps.c \
	tlsmap/maps.c tlsmap/maps.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h \
	tlsmap/per_site.c tlsmap/per_site.h
tests_unit_test_tlsmap_maps_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tlsmap_maps_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_unit_test_tlsmap_maps_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
# Drives the fetcher against tests/lib/https_testd.py (python3, openssl).
tests_unit_test_sts_fetch_SOURCES = tests/unit/test_sts_fetch.c \
	tlsmap/sts_fetch.c tlsmap/sts_fetch.h
tests_unit_test_sts_fetch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sts_fetch_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_unit_test_sts_fetch_LDADD = $(PFH_LIBS) $(DYN_LIBS) $(CMOCKA_LIBS)
endif

# Protocol tests drive the real daemon; integration tests add postmap and
# a private Postfix instance (they skip, exit 77, without them or root).
TESTS += tests/proto/test_tlsmap.py \
	tests/proto/test_tlsmap_dynamic.py \
	tests/proto/test_tlsmap_tables.py \
	tests/proto/test_tlsmap_installed.py \
	tests/integration/it_tlsmap_postmap.sh \
	tests/integration/it_tlsmap_postfix.sh \
	tests/integration/tlsmap_sts_postfix.py

# The offline DNSSEC + MTA-STS world the dynamic map is tested against
# (tests/lib/dnsworld.py, stsworld.py, tls_scenarios.py) checks itself:
# nsd on a loopback high port, drill/ldns/libunbound validation, HTTPS.
TESTS += tests/proto/test_dnsworld.py
