# pfhelpers-sync: keeps local table files in step with a store (PostgreSQL
# or LDAP).
# The pure modules (formats, state file) go into a private library that the
# daemon and its fuzz harness share.
noinst_LIBRARIES += sync/libsync.a
sync_libsync_a_SOURCES = \
	sync/sync_format.c sync/sync_format.h \
	sync/sync_state.c sync/sync_state.h \
	sync/sync_ldap_msg.c sync/sync_ldap_msg.h \
	sync/sync_cert.c sync/sync_cert.h \
	sync/sync_ldap_table.c sync/sync_ldap_table.h \
	saslauthd-lite/pwfile_hash.c saslauthd-lite/pwfile_hash.h \
	tlsmap/tls_policy.c tlsmap/tls_policy.h
sync_libsync_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/saslauthd-lite \
	-I$(top_srcdir)/policyd-ccert -I$(top_srcdir)/tlsmap

sbin_PROGRAMS += sync/pfhelpers-sync
sync_pfhelpers_sync_SOURCES = \
	sync/main.c sync/sync.h \
	sync/sync_params.c \
	sync/sync_feed.c \
	sync/sync_link.c sync/sync_link.h \
	sync/sync_pg.c \
	sync/sync_ldap.c \
	sync/sync_ldap_conn.c sync/sync_ldap_conn.h \
	sync/sync_status.c
sync_pfhelpers_sync_CPPFLAGS = $(sync_libsync_a_CPPFLAGS) $(PQ_CFLAGS)
sync_pfhelpers_sync_LDADD = sync/libsync.a policyd-ccert/libccert.a \
	$(PFH_LIBS) $(PQ_LIBS) $(LDAP_LIBS) $(OPENSSL_LIBS) $(CRYPT_LIBS)

dist_man_MANS += doc/pfhelpers-sync.8 doc/pfhelpers-sync.conf.5
EXTRA_DIST += sync/pfhelpers-sync.sql

TESTS += tests/proto/test_sync_pgsql.py tests/proto/test_sync_ldap.py
