# Tests: cmocka unit tests (one per module), Python protocol tests driving
# the real daemons over their sockets, and integration tests against the
# real peers (Postfix, libsasl2/testsaslauthd, swaks, openssl).
EXTRA_DIST += tests/lib tests/proto tests/integration tests/e2e tests/unit/vectors

if HAVE_CMOCKA
UNIT_TESTS = \
	tests/unit/test_buf \
	tests/unit/test_text \
	tests/unit/test_log \
	tests/unit/test_secret \
	tests/unit/test_netstring \
	tests/unit/test_base64 \
	tests/unit/test_cstrings \
	tests/unit/test_attrs \
	tests/unit/test_cfg \
	tests/unit/test_cfg_group \
	tests/unit/test_cfg_lines \
	tests/unit/test_table \
	tests/unit/test_table_source \
	tests/unit/test_ev \
	tests/unit/test_conn \
	tests/unit/test_admit \
	tests/unit/test_endpoint \
	tests/unit/test_workq \
	tests/unit/test_stats \
	tests/unit/test_status_time \
	tests/unit/test_htab \
	tests/unit/test_postconf \
	tests/unit/test_privs
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = $(PFH_LIBS) $(CMOCKA_LIBS)
tests_unit_test_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_buf_LDADD = $(UNIT_LDADD)
tests_unit_test_text_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_text_LDADD = $(UNIT_LDADD)
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_LDADD = $(UNIT_LDADD)
tests_unit_test_secret_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_secret_LDADD = $(UNIT_LDADD)
tests_unit_test_netstring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netstring_LDADD = $(UNIT_LDADD)
tests_unit_test_base64_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_base64_LDADD = $(UNIT_LDADD)
tests_unit_test_cstrings_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cstrings_LDADD = $(UNIT_LDADD)
tests_unit_test_attrs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_attrs_LDADD = $(UNIT_LDADD)
tests_unit_test_cfg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cfg_LDADD = $(UNIT_LDADD)
tests_unit_test_cfg_group_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cfg_group_LDADD = $(UNIT_LDADD)
tests_unit_test_cfg_lines_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cfg_lines_LDADD = $(UNIT_LDADD)
# test_table and test_table_source share table_testutil.c
TABLE_TESTUTIL = tests/unit/table_testutil.c tests/unit/table_testutil.h
tests_unit_test_table_SOURCES = tests/unit/test_table.c $(TABLE_TESTUTIL)
tests_unit_test_table_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_table_LDADD = $(UNIT_LDADD)
tests_unit_test_table_source_SOURCES = tests/unit/test_table_source.c \
	$(TABLE_TESTUTIL)
tests_unit_test_table_source_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_table_source_LDADD = $(UNIT_LDADD)
tests_unit_test_ev_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ev_LDADD = $(UNIT_LDADD)
tests_unit_test_conn_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conn_LDADD = $(UNIT_LDADD)
tests_unit_test_admit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_admit_LDADD = $(UNIT_LDADD)
tests_unit_test_endpoint_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_endpoint_LDADD = $(UNIT_LDADD)
tests_unit_test_workq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_workq_LDADD = $(UNIT_LDADD)
tests_unit_test_stats_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_LDADD = $(UNIT_LDADD)
tests_unit_test_status_time_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_status_time_LDADD = $(UNIT_LDADD)
tests_unit_test_htab_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_htab_LDADD = $(UNIT_LDADD)
tests_unit_test_postconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_postconf_LDADD = $(UNIT_LDADD)
tests_unit_test_privs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_privs_LDADD = $(UNIT_LDADD)
endif

# saslauthd-lite backends through the real socket: shadow in a private
# mount namespace (a test file bind-mounted over /etc/shadow; skips when
# unshare/mount is not allowed), PAM_RHOST and what backend_timeout counts.
TESTS += tests/proto/test_saslauthd_shadow.py \
	tests/proto/test_saslauthd_pam.py

# saslauthd-lite refuses a run_dir that anyone but root and its user
# controls, through a parent or a symbolic link too (issue #13).
TESTS += tests/proto/test_saslauthd_rundir.py

# pid_file, for the three daemons: a planted link or a directory others
# can write to is refused, nothing written through it (issue #13).
TESTS += tests/proto/test_pidfile.py

# The contrib/ sample configurations pass -n (policyd-ccert, tlsmap) and
# check with the contrib/ tables, in the layout the docs show (issue #11).
TESTS += tests/proto/test_contrib_samples.py

# The Debian packages (debian/): one dpkg-buildpackage, lintian, installed
# with apt-get, each daemon run as its packaged user, removed, purged
# (issue #18; skips unless root with dpkg-buildpackage).
TESTS += tests/integration/debian_packages.py

# Every daemon's data files cut short, emptied or missing (issue #12);
# tlsmap's own are in tests/proto/test_tlsmap_tables.py.
TESTS += tests/proto/test_tables_daemons.py
# A table renamed into place is served within a second (the directory
# watch, common/filewatch.c), with the periodic check at 1 h.
TESTS += tests/proto/test_renamed_in.py

# The harness checks itself against a private Postfix (skips unless root).
TESTS += tests/integration/it_harness_selftest.sh

# Status page: a tiny daemon on the server skeleton, driven over HTTP by the
# protocol test and loaded by headless Chromium in the browser test.
check_PROGRAMS += tests/status-testd
tests_status_testd_SOURCES = tests/status-testd.c
tests_status_testd_LDADD = $(PFH_LIBS)
TESTS += tests/proto/test_status.py tests/integration/it_status_browser.sh
# ...and the real daemons: a status flood must not slow tlsmap's socketmap
# answers; Chromium renders each daemon's page after known traffic.
TESTS += tests/proto/test_status_flood.py \
	tests/integration/it_status_browser_daemons.sh
dist_man_MANS += doc/pfhelpers-status.5
EXTRA_DIST += doc/status.md doc/screenshots

# The README's first command (scripts/demo) must work: demo --check.
TESTS += tests/e2e/demo_check.sh

# The whole suite behind one private Postfix instance (root, postfix, swaks).
TESTS += tests/e2e/run_e2e_all.sh

# Where the configuration comes from (a missing default file is named at
# start, reload, -n and check; configure keeps /etc/pfhelpers whatever the
# prefix) and the skeleton's check verb.
TESTS += tests/proto/test_config_source.py

# A missing peer tool names its Debian package (a failure under
# PFH_REQUIRE_TOOLS), and install-deps brings every one.
TESTS += tests/proto/test_harness_tools.py

# README.md's Postfix recipes word for word on this machine's own Postfix
# (root, and only where that Postfix has no configuration of its own).
TESTS += tests/e2e/run_readme_recipes.sh

# What the contrib/systemd .socket units rely on: adopting a passed socket.
TESTS += tests/e2e/socket_activation.sh

# The shared listener code through the three daemons: what SIGHUP says
# about listener settings it cannot apply.
TESTS += tests/proto/test_listen.py

# What SIGHUP does with every parameter (issue #12): it takes effect or a
# warning names it; status_auth_file over HTTP; the .conf(5) restart marks.
TESTS += tests/proto/test_sighup.py

# Connections (issue #12): out of descriptors, idle floods per peer,
# first_request_timeout, slow clients on the status page.
TESTS += tests/proto/test_connections.py
TESTS += tests/proto/test_stop.py
