# saslauthd-lite: drop-in Cyrus saslauthd, its admin tools, man pages, tests.
sbin_PROGRAMS += saslauthd-lite/saslauthd-lite
bin_PROGRAMS += saslauthd-lite/saslauthd-lite-test saslauthd-lite/saslauthd-lite-passwd
dist_man_MANS += doc/saslauthd-lite.8 doc/saslauthd-lite.conf.5 \
	doc/saslauthd-lite-test.1 doc/saslauthd-lite-passwd.1

# The pure modules, shared by the daemon and its unit tests.
SASL_CORE_SOURCES = \
	saslauthd-lite/realm.c saslauthd-lite/realm.h \
	saslauthd-lite/clientaddr.c saslauthd-lite/clientaddr.h \
	saslauthd-lite/auth_cache.c saslauthd-lite/auth_cache.h \
	saslauthd-lite/throttle.c saslauthd-lite/throttle.h

# The ldap backend: every program that links auth.c links these too.
SASL_LDAP_SOURCES = \
	saslauthd-lite/auth_ldap.c \
	saslauthd-lite/ldap_conf.c saslauthd-lite/ldap_conf.h \
	saslauthd-lite/cyrus_conf.c saslauthd-lite/cyrus_conf.h \
	saslauthd-lite/ldap_filter.c saslauthd-lite/ldap_filter.h \
	saslauthd-lite/ldap_pool.c saslauthd-lite/ldap_pool.h

saslauthd_lite_saslauthd_lite_SOURCES = \
	saslauthd-lite/main.c saslauthd-lite/saslauthd.h \
	saslauthd-lite/sasl_params.c \
	saslauthd-lite/sasl_session.c \
	saslauthd-lite/sasl_request.c saslauthd-lite/sasl_request.h \
	saslauthd-lite/dovecot_session.c saslauthd-lite/dovecot_session.h \
	saslauthd-lite/dovecot_proto.c saslauthd-lite/dovecot_proto.h \
	saslauthd-lite/sasl_status.c \
	saslauthd-lite/auth.c saslauthd-lite/auth.h \
	saslauthd-lite/auth_pwfile.c saslauthd-lite/pwfile_hash.c saslauthd-lite/pwfile_hash.h \
	saslauthd-lite/auth_pam.c \
	saslauthd-lite/auth_shadow.c \
	$(SASL_LDAP_SOURCES) \
	$(SASL_CORE_SOURCES)
saslauthd_lite_saslauthd_lite_LDADD = $(PFH_LIBS) $(PAM_LIBS) $(CRYPT_LIBS) \
	$(LDAP_LIBS)

saslauthd_lite_saslauthd_lite_test_SOURCES = \
	saslauthd-lite/sasl_test_client.c \
	saslauthd-lite/sasl_readpw.c saslauthd-lite/sasl_readpw.h \
	saslauthd-lite/sasl_params.c saslauthd-lite/saslauthd.h
saslauthd_lite_saslauthd_lite_test_LDADD = $(PFH_LIBS)

saslauthd_lite_saslauthd_lite_passwd_SOURCES = saslauthd-lite/sasl_passwd.c \
	saslauthd-lite/sasl_readpw.c saslauthd-lite/sasl_readpw.h
saslauthd_lite_saslauthd_lite_passwd_LDADD = $(PFH_LIBS) $(CRYPT_LIBS)

if HAVE_CMOCKA
SASL_UNIT_TESTS = \
	tests/unit/test_sasl_cache \
	tests/unit/test_sasl_throttle \
	tests/unit/test_sasl_realm \
	tests/unit/test_sasl_clientaddr \
	tests/unit/test_sasl_pwfile \
	tests/unit/test_sasl_session \
	tests/unit/test_sasl_ldap_filter
check_PROGRAMS += $(SASL_UNIT_TESTS)
TESTS += $(SASL_UNIT_TESTS)
SASL_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/saslauthd-lite
tests_unit_test_sasl_cache_SOURCES = tests/unit/test_sasl_cache.c \
	saslauthd-lite/auth_cache.c saslauthd-lite/auth_cache.h
tests_unit_test_sasl_cache_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_cache_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_cache_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sasl_throttle_SOURCES = tests/unit/test_sasl_throttle.c \
	saslauthd-lite/throttle.c saslauthd-lite/throttle.h
tests_unit_test_sasl_throttle_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_throttle_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_throttle_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sasl_realm_SOURCES = tests/unit/test_sasl_realm.c \
	saslauthd-lite/realm.c saslauthd-lite/realm.h
tests_unit_test_sasl_realm_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_realm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_realm_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sasl_clientaddr_SOURCES = tests/unit/test_sasl_clientaddr.c \
	saslauthd-lite/clientaddr.c saslauthd-lite/clientaddr.h
tests_unit_test_sasl_clientaddr_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_clientaddr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_clientaddr_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sasl_pwfile_SOURCES = tests/unit/test_sasl_pwfile.c \
	saslauthd-lite/auth_pwfile.c saslauthd-lite/pwfile_hash.c saslauthd-lite/pwfile_hash.h saslauthd-lite/auth.c \
	saslauthd-lite/auth.h saslauthd-lite/saslauthd.h \
	saslauthd-lite/auth_pam.c saslauthd-lite/auth_shadow.c \
	$(SASL_LDAP_SOURCES) \
	saslauthd-lite/realm.c saslauthd-lite/realm.h
tests_unit_test_sasl_pwfile_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_pwfile_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_pwfile_LDADD = $(PFH_LIBS) $(PAM_LIBS) $(CRYPT_LIBS) $(LDAP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_sasl_ldap_filter_SOURCES = tests/unit/test_sasl_ldap_filter.c \
	saslauthd-lite/ldap_filter.c saslauthd-lite/ldap_filter.h \
	saslauthd-lite/cyrus_conf.c saslauthd-lite/cyrus_conf.h
tests_unit_test_sasl_ldap_filter_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_ldap_filter_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_ldap_filter_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
# The session state machine on a fake clock with fake backends: the real
# sasl_session.c and sasl_request.c, loop, conn and worker pool;
# sasl_fake.c stands in for
# the server skeleton and the decision log.
tests_unit_test_sasl_session_SOURCES = tests/unit/test_sasl_session.c \
	tests/unit/sasl_fake.c tests/unit/sasl_fake.h \
	saslauthd-lite/sasl_session.c saslauthd-lite/saslauthd.h \
	saslauthd-lite/sasl_request.c saslauthd-lite/sasl_request.h \
	saslauthd-lite/auth.c saslauthd-lite/auth.h \
	saslauthd-lite/auth_pwfile.c saslauthd-lite/pwfile_hash.c saslauthd-lite/pwfile_hash.h saslauthd-lite/auth_pam.c \
	saslauthd-lite/auth_shadow.c \
	$(SASL_LDAP_SOURCES) \
	$(SASL_CORE_SOURCES)
tests_unit_test_sasl_session_CPPFLAGS = $(SASL_UNIT_CPPFLAGS)
tests_unit_test_sasl_session_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sasl_session_LDADD = $(PFH_LIBS) $(PAM_LIBS) $(CRYPT_LIBS) $(LDAP_LIBS) $(CMOCKA_LIBS)
endif

TESTS += tests/proto/test_saslauthd.py \
	tests/proto/test_saslauthd_pwleak.py \
	tests/proto/test_saslauthd_status.py \
	tests/proto/test_saslauthd_ldap.py \
	tests/proto/test_saslauthd_dovecot.py \
	tests/proto/test_fail2ban.py \
	tests/integration/it_saslauthd_testsaslauthd.sh \
	tests/integration/it_saslauthd_postfix.sh \
	tests/integration/saslauthd_dovecot_postfix.py
