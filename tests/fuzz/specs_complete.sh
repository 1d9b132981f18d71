#!/bin/sh
# specs_complete.sh - no fuzz harness is built but never run
#
# Every tests/fuzz/fuzz_NAME.c (but the shared fuzz_util.c) must be in
# FUZZ_HARNESSES (the driver runs it in a plain build) and have its
# NAME.fuzz spec in FUZZ_SPECS (libFuzzer runs it with --enable-fuzzing),
# naming harness=fuzz_NAME, a seed directory under tests/unit/vectors/ with
# seeds in it, and a dictionary that exists. Five harnesses were once
# built and never fuzzed because only the first list named them.
set -u
: "${PFH_SRCDIR:?run under make check (PFH_SRCDIR unset)}"
fz=$PFH_SRCDIR/tests/fuzz
mk=$fz/local.mk
bad=0

# listed - is word $2 in the make variable $1 of local.mk
listed() {
	sed -n "/^$1 = /,/^\$/p" "$mk" | tr -d '\\' | tr -s ' \t' '\n\n' |
	    grep -qx "$2"
}

n=0
for src in "$fz"/fuzz_*.c; do
	name=${src##*/fuzz_}; name=${name%.c}
	[ "$name" = util ] && continue
	n=$((n + 1))
	spec=$fz/$name.fuzz
	listed FUZZ_HARNESSES "tests/fuzz/fuzz_$name" ||
	    { echo "fuzz_$name: not in FUZZ_HARNESSES"; bad=1; }
	listed FUZZ_SPECS "tests/fuzz/$name.fuzz" ||
	    { echo "$name.fuzz: not in FUZZ_SPECS (never fuzzed)"; bad=1; }
	if [ ! -f "$spec" ]; then
		echo "$name.fuzz: missing"; bad=1; continue
	fi
	harness= seeds= dict=
	. "$spec"
	[ "$harness" = "fuzz_$name" ] ||
	    { echo "$name.fuzz: harness=$harness, not fuzz_$name"; bad=1; }
	if [ -z "$seeds" ] || [ -z "$(ls "$PFH_SRCDIR/tests/unit/vectors/$seeds" 2>/dev/null)" ]; then
		echo "$name.fuzz: no seeds in tests/unit/vectors/$seeds"; bad=1
	fi
	[ -n "$dict" ] && [ -f "$fz/$dict" ] ||
	    { echo "$name.fuzz: dictionary '$dict' missing"; bad=1; }
done
echo "$n harnesses checked"
[ "$n" -gt 0 ] || bad=1
exit $bad
