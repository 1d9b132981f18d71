# bench: pfh-load (load generator and constant-reply ceiling server) and the
# scenario scripts that measure each daemon against its real peer. The
# scenarios are run by hand ("make bench" or bench/run-*.sh, see
# bench/README.md), never by "make check": they need root, peer packages
# and minutes of quiet machine. Only pfh-load's own correctness test runs
# in the test suite.
noinst_PROGRAMS += bench/pfh-load
bench_pfh_load_SOURCES = \
	bench/pfh-load.c \
	bench/load.h \
	bench/load_proto.c \
	bench/load_client.c \
	bench/load_serve.c \
	saslauthd-lite/dovecot_proto.c saslauthd-lite/dovecot_proto.h \
	saslauthd-lite/clientaddr.c saslauthd-lite/clientaddr.h
# the constant dovecot server parses its lines with saslauthd-lite's parser
bench_pfh_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/saslauthd-lite
bench_pfh_load_LDADD = $(PFH_LIBS)

bench_scripts_dist = \
	bench/lib.sh \
	bench/run-ceiling.sh \
	bench/run-saslauthd.sh \
	bench/run-policyd.sh \
	bench/run-tlsmap.sh \
	bench/run-cost.sh \
	bench/run-storm.sh \
	bench/run-sync.sh \
	bench/run-dovecot.sh \
	bench/dyn_cache.py \
	bench/sync_probe.py \
	bench/sync_ldap_refresh.py
EXTRA_DIST += $(bench_scripts_dist)

TESTS += tests/proto/test_pfh_load.py

# make bench: every scenario, in one run, from this build tree.
bench: bench/pfh-load
	@for s in ceiling saslauthd policyd tlsmap cost storm dovecot sync; do \
		PFH_BUILDDIR='$(abs_top_builddir)' \
		$(SHELL) $(srcdir)/bench/run-$$s.sh; st=$$?; \
		if [ $$st -eq 77 ]; then echo "bench/run-$$s.sh: skipped"; \
		elif [ $$st -ne 0 ]; then exit $$st; fi; \
	done
.PHONY: bench
