# tests/fuzz: one harness per pure parser of common/ (style.md 3.9d).
# With --enable-fuzzing (clang) each harness links libFuzzer and `make check`
# fuzzes every one of them for $(FUZZ_SECONDS) s through run-fuzz.sh and its
# .fuzz file (FUZZ_SPECS: one per harness, none left out);
# otherwise each links driver.c, a deterministic runner over the seeds in
# tests/unit/vectors/ and a few thousand mutations of them, and runs as an
# ordinary test. See tests/fuzz/README.md.
FUZZ_HARNESSES = \
	tests/fuzz/fuzz_netstring \
	tests/fuzz/fuzz_cstrings \
	tests/fuzz/fuzz_attrs \
	tests/fuzz/fuzz_cfg \
	tests/fuzz/fuzz_table \
	tests/fuzz/fuzz_endpoint \
	tests/fuzz/fuzz_tls_policy \
	tests/fuzz/fuzz_sts_policy \
	tests/fuzz/fuzz_dyn_store \
	tests/fuzz/fuzz_dns_wire \
	tests/fuzz/fuzz_ccert \
	tests/fuzz/fuzz_pwfile \
	tests/fuzz/fuzz_realm \
	tests/fuzz/fuzz_ldap_conf \
	tests/fuzz/fuzz_dovecot \
	tests/fuzz/fuzz_sync \
	tests/fuzz/fuzz_sync_ldap
check_PROGRAMS += $(FUZZ_HARNESSES)
# One .fuzz spec per harness, in the same order: each is a libFuzzer test.
FUZZ_SPECS = \
	tests/fuzz/netstring.fuzz \
	tests/fuzz/cstrings.fuzz \
	tests/fuzz/attrs.fuzz \
	tests/fuzz/cfg.fuzz \
	tests/fuzz/table.fuzz \
	tests/fuzz/endpoint.fuzz \
	tests/fuzz/tls_policy.fuzz \
	tests/fuzz/sts_policy.fuzz \
	tests/fuzz/dyn_store.fuzz \
	tests/fuzz/dns_wire.fuzz \
	tests/fuzz/ccert.fuzz \
	tests/fuzz/pwfile.fuzz \
	tests/fuzz/realm.fuzz \
	tests/fuzz/ldap_conf.fuzz \
	tests/fuzz/dovecot.fuzz \
	tests/fuzz/sync.fuzz \
	tests/fuzz/sync_ldap.fuzz

if ENABLE_FUZZING
TESTS += $(FUZZ_SPECS)
else
TESTS += $(FUZZ_HARNESSES)
endif

# In every build: no harness left out of either list.
TESTS += tests/fuzz/specs_complete.sh

TEST_EXTENSIONS += .fuzz
FUZZ_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh

# What every harness links: fuzz_util.c and, in a plain build, driver.c's
# main() (libFuzzer brings its own), then libFuzzer itself when enabled:
# LIBFUZZER_LDFLAGS is clang's -fsanitize=fuzzer, a link-only flag that
# stands anywhere on the link line, or empty. A harness with no _SOURCES
# is its tests/fuzz/fuzz_NAME.c alone.
check_LIBRARIES = tests/fuzz/libfuzzharness.a
tests_fuzz_libfuzzharness_a_SOURCES = tests/fuzz/fuzz.h tests/fuzz/fuzz_util.c
if !ENABLE_FUZZING
tests_fuzz_libfuzzharness_a_SOURCES += tests/fuzz/driver.c
endif
FUZZ_LDADD = tests/fuzz/libfuzzharness.a $(PFH_LIBS) $(LIBFUZZER_LDFLAGS)
tests_fuzz_fuzz_netstring_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cstrings_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_attrs_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cfg_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_table_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_endpoint_LDADD = $(FUZZ_LDADD)

# The daemons' own parsers: their sources compiled in, as the unit tests do.
tests_fuzz_fuzz_tls_policy_SOURCES = tests/fuzz/fuzz_tls_policy.c \
	tlsmap/tls_policy.c tlsmap/tls_policy.h \
	tlsmap/per_site.c tlsmap/per_site.h
tests_fuzz_fuzz_tls_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_fuzz_fuzz_tls_policy_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_sts_policy_SOURCES = tests/fuzz/fuzz_sts_policy.c \
	tlsmap/sts_policy.c tlsmap/sts_policy.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h
tests_fuzz_fuzz_sts_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_fuzz_fuzz_sts_policy_LDADD = $(FUZZ_LDADD)
# The dynamic map's untrusted inputs: the cache file, DNS names and TLSA
# rdata, lookup keys. dynamic.c needs the resolver, DANE and fetcher
# sources to link (and libunbound, libcurl), though no lookup ever starts.
FUZZ_DYN_SOURCES = \
	tlsmap/dynamic.c tlsmap/dynamic.h tlsmap/dyn_int.h tlsmap/dyn_store.c \
	tlsmap/dane.c tlsmap/dane.h \
	tlsmap/dns_resolver.c tlsmap/dns_resolver.h \
	tlsmap/sts_policy.c tlsmap/sts_policy.h \
	tlsmap/sts_fetch.c tlsmap/sts_fetch.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h
tests_fuzz_fuzz_dyn_store_SOURCES = tests/fuzz/fuzz_dyn_store.c \
	$(FUZZ_DYN_SOURCES)
tests_fuzz_fuzz_dyn_store_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_fuzz_fuzz_dyn_store_LDADD = $(FUZZ_LDADD) $(DYN_LIBS)
tests_fuzz_fuzz_dns_wire_SOURCES = tests/fuzz/fuzz_dns_wire.c \
	$(FUZZ_DYN_SOURCES)
tests_fuzz_fuzz_dns_wire_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tlsmap
tests_fuzz_fuzz_dns_wire_LDADD = $(FUZZ_LDADD) $(DYN_LIBS)
tests_fuzz_fuzz_ccert_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policyd-ccert
tests_fuzz_fuzz_ccert_LDADD = policyd-ccert/libccert.a $(FUZZ_LDADD)
tests_fuzz_fuzz_pwfile_SOURCES = tests/fuzz/fuzz_pwfile.c \
	saslauthd-lite/auth_pwfile.c saslauthd-lite/pwfile_hash.c saslauthd-lite/pwfile_hash.h saslauthd-lite/auth.c \
	saslauthd-lite/auth.h saslauthd-lite/saslauthd.h \
	saslauthd-lite/auth_pam.c saslauthd-lite/auth_shadow.c \
	$(SASL_LDAP_SOURCES) \
	saslauthd-lite/realm.c saslauthd-lite/realm.h
tests_fuzz_fuzz_pwfile_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/saslauthd-lite
tests_fuzz_fuzz_pwfile_LDADD = $(FUZZ_LDADD) $(PAM_LIBS) $(CRYPT_LIBS) \
	$(LDAP_LIBS)
tests_fuzz_fuzz_realm_SOURCES = tests/fuzz/fuzz_realm.c \
	saslauthd-lite/realm.c saslauthd-lite/realm.h
tests_fuzz_fuzz_realm_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/saslauthd-lite
tests_fuzz_fuzz_realm_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_ldap_conf_SOURCES = tests/fuzz/fuzz_ldap_conf.c \
	saslauthd-lite/cyrus_conf.c saslauthd-lite/cyrus_conf.h \
	saslauthd-lite/ldap_filter.c saslauthd-lite/ldap_filter.h
tests_fuzz_fuzz_ldap_conf_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/saslauthd-lite
tests_fuzz_fuzz_ldap_conf_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_dovecot_SOURCES = tests/fuzz/fuzz_dovecot.c \
	saslauthd-lite/dovecot_proto.c saslauthd-lite/dovecot_proto.h \
	saslauthd-lite/clientaddr.c saslauthd-lite/clientaddr.h
tests_fuzz_fuzz_dovecot_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/saslauthd-lite
tests_fuzz_fuzz_dovecot_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_sync_CPPFLAGS = $(sync_libsync_a_CPPFLAGS) -I$(top_srcdir)/sync
tests_fuzz_fuzz_sync_LDADD = sync/libsync.a policyd-ccert/libccert.a \
	$(FUZZ_LDADD) $(CRYPT_LIBS)
tests_fuzz_fuzz_sync_ldap_CPPFLAGS = $(sync_libsync_a_CPPFLAGS) \
	-I$(top_srcdir)/sync
tests_fuzz_fuzz_sync_ldap_LDADD = sync/libsync.a $(FUZZ_LDADD) \
	$(LDAP_LIBS) $(OPENSSL_LIBS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run-fuzz.sh $(FUZZ_SPECS) \
	tests/fuzz/specs_complete.sh \
	tests/fuzz/netstring.dict tests/fuzz/cstrings.dict \
	tests/fuzz/attrs.dict tests/fuzz/cfg.dict tests/fuzz/table.dict \
	tests/fuzz/endpoint.dict tests/fuzz/tls_policy.dict \
	tests/fuzz/sts_policy.dict \
	tests/fuzz/dyn_store.dict tests/fuzz/dns_wire.dict \
	tests/fuzz/ccert.dict tests/fuzz/pwfile.dict tests/fuzz/realm.dict \
	tests/fuzz/ldap_conf.dict \
	tests/fuzz/dovecot.dict \
	tests/fuzz/sync.dict \
	tests/fuzz/sync_ldap.dict

# `make fuzz-check`: build the harnesses and run every .fuzz spec (and
# nothing else), as scripts/test's fuzz step does.
fuzz-check: $(FUZZ_HARNESSES)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(FUZZ_SPECS)'
.PHONY: fuzz-check
