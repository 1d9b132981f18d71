# policyd-ccert: Postfix policy server granting relay by client certificate.
# The pure modules go into a private library that the daemon and its unit
# tests share.
noinst_LIBRARIES += policyd-ccert/libccert.a
policyd_ccert_libccert_a_SOURCES = \
	policyd-ccert/fprint.c policyd-ccert/fprint.h \
	policyd-ccert/identities.c policyd-ccert/identities.h \
	policyd-ccert/ccert_decide.c policyd-ccert/ccert_decide.h

sbin_PROGRAMS += policyd-ccert/policyd-ccert policyd-ccert/policyd-ccert-enrol
policyd_ccert_policyd_ccert_SOURCES = \
	policyd-ccert/main.c policyd-ccert/policyd.h \
	policyd-ccert/policy_session.c \
	policyd-ccert/policyd_status.c \
	policyd-ccert/policyd_date.c
policyd_ccert_policyd_ccert_LDADD = policyd-ccert/libccert.a $(PFH_LIBS)

policyd_ccert_policyd_ccert_enrol_SOURCES = policyd-ccert/enrol.c
policyd_ccert_policyd_ccert_enrol_LDADD = policyd-ccert/libccert.a \
	$(PFH_LIBS) $(OPENSSL_LIBS)

dist_man_MANS += doc/policyd-ccert.8 doc/policyd-ccert.conf.5 \
	doc/policyd-ccert-enrol.8

if HAVE_CMOCKA
CCERT_UNIT_TESTS = \
	tests/unit/test_ccert_fprint \
	tests/unit/test_ccert_identities \
	tests/unit/test_ccert_decide
check_PROGRAMS += $(CCERT_UNIT_TESTS)
TESTS += $(CCERT_UNIT_TESTS)
CCERT_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
CCERT_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policyd-ccert
CCERT_UNIT_LDADD = policyd-ccert/libccert.a $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_ccert_fprint_CFLAGS = $(CCERT_UNIT_CFLAGS)
tests_unit_test_ccert_fprint_CPPFLAGS = $(CCERT_UNIT_CPPFLAGS)
tests_unit_test_ccert_fprint_LDADD = $(CCERT_UNIT_LDADD)
tests_unit_test_ccert_identities_CFLAGS = $(CCERT_UNIT_CFLAGS)
tests_unit_test_ccert_identities_CPPFLAGS = $(CCERT_UNIT_CPPFLAGS)
tests_unit_test_ccert_identities_LDADD = $(CCERT_UNIT_LDADD)
tests_unit_test_ccert_decide_CFLAGS = $(CCERT_UNIT_CFLAGS)
tests_unit_test_ccert_decide_CPPFLAGS = $(CCERT_UNIT_CPPFLAGS)
tests_unit_test_ccert_decide_LDADD = $(CCERT_UNIT_LDADD)
endif

TESTS += tests/proto/test_policyd_ccert.py \
	tests/integration/it_policyd_postfix.sh
