# tests/fuzz: one harness per pure parser of common/ (style.md 3.9d).
# With --enable-fuzzing (clang) each harness links libFuzzer and `make check`
# fuzzes it for $(FUZZ_SECONDS) s through run-fuzz.sh and its .fuzz file;
# otherwise each links driver.c, a deterministic runner over the seeds in
# tests/unit/vectors/ and a few thousand mutations of them, and runs as an
# ordinary test. See tests/fuzz/README.md.
FUZZ_HARNESSES = \
	tests/fuzz/fuzz_netstring \
	tests/fuzz/fuzz_cstrings \
	tests/fuzz/fuzz_attrs \
	tests/fuzz/fuzz_cfg \
	tests/fuzz/fuzz_table
check_PROGRAMS += $(FUZZ_HARNESSES)

if ENABLE_FUZZING
FUZZ_DRIVER =
TESTS += \
	tests/fuzz/netstring.fuzz \
	tests/fuzz/cstrings.fuzz \
	tests/fuzz/attrs.fuzz \
	tests/fuzz/cfg.fuzz \
	tests/fuzz/table.fuzz
else
FUZZ_DRIVER = tests/fuzz/driver.c
TESTS += $(FUZZ_HARNESSES)
endif

TEST_EXTENSIONS += .fuzz
FUZZ_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh

FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz_util.c $(FUZZ_DRIVER)
FUZZ_LDADD = $(PFH_LIBS)
tests_fuzz_fuzz_netstring_SOURCES = tests/fuzz/fuzz_netstring.c $(FUZZ_COMMON)
tests_fuzz_fuzz_netstring_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_netstring_LDFLAGS = $(LIBFUZZER_LDFLAGS)
tests_fuzz_fuzz_cstrings_SOURCES = tests/fuzz/fuzz_cstrings.c $(FUZZ_COMMON)
tests_fuzz_fuzz_cstrings_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cstrings_LDFLAGS = $(LIBFUZZER_LDFLAGS)
tests_fuzz_fuzz_attrs_SOURCES = tests/fuzz/fuzz_attrs.c $(FUZZ_COMMON)
tests_fuzz_fuzz_attrs_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_attrs_LDFLAGS = $(LIBFUZZER_LDFLAGS)
tests_fuzz_fuzz_cfg_SOURCES = tests/fuzz/fuzz_cfg.c $(FUZZ_COMMON)
tests_fuzz_fuzz_cfg_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cfg_LDFLAGS = $(LIBFUZZER_LDFLAGS)
tests_fuzz_fuzz_table_SOURCES = tests/fuzz/fuzz_table.c $(FUZZ_COMMON)
tests_fuzz_fuzz_table_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_table_LDFLAGS = $(LIBFUZZER_LDFLAGS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run-fuzz.sh \
	tests/fuzz/netstring.fuzz tests/fuzz/cstrings.fuzz \
	tests/fuzz/attrs.fuzz tests/fuzz/cfg.fuzz tests/fuzz/table.fuzz \
	tests/fuzz/netstring.dict tests/fuzz/cstrings.dict \
	tests/fuzz/attrs.dict tests/fuzz/cfg.dict tests/fuzz/table.dict
