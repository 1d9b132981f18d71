#!/bin/sh
# run-fuzz.sh - run one libFuzzer harness as a `make check` test
#
#   run-fuzz.sh tests/fuzz/netstring.fuzz
#
# The .fuzz file names the harness, its seed directory under
# tests/unit/vectors/, its input size limit and its dictionary. The fuzzer
# runs for $FUZZ_SECONDS (default 10) with libFuzzer's -seed=$FUZZ_SEED
# (default 1, so a run mutates the same way each time) on a scratch corpus
# in a temporary directory, starting from the seeds; the seeds themselves
# are never written. Exit 0 when it found nothing; 1 with the crashing
# input saved (its path and a command reproducing it in the log) when it
# did; 77 (skip) when the harness was not built with libFuzzer.
set -u
spec=$1
: "${PFH_BUILDDIR:?run under make check (PFH_BUILDDIR unset)}"
: "${PFH_SRCDIR:?run under make check (PFH_SRCDIR unset)}"
seconds=${FUZZ_SECONDS:-10}
seed=${FUZZ_SEED:-1}

harness= seeds= max_len=4096 dict=
case $spec in */*) ;; *) spec=./$spec ;; esac	# `.` searches PATH otherwise
. "$spec" || exit 99
bin=$PFH_BUILDDIR/tests/fuzz/$harness
seeddir=$PFH_SRCDIR/tests/unit/vectors/$seeds
[ -x "$bin" ] || { echo "$bin: not built"; exit 99; }
[ -d "$seeddir" ] || { echo "$seeddir: no seeds"; exit 99; }
# A driver build answers -help=1 with its usage; libFuzzer with its flags.
if ! "$bin" -help=1 2>&1 | grep -q max_total_time; then
	echo "$harness: not a libFuzzer build (configure --enable-fuzzing)"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pfhelpers-fuzz.XXXXXX") || exit 99
mkdir "$work/corpus"
set -- -max_total_time="$seconds" -seed="$seed" -max_len="$max_len" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/"
[ -n "$dict" ] && set -- "$@" -dict="$PFH_SRCDIR/tests/fuzz/$dict"
echo "$harness $* $work/corpus $seeddir"
# Leaks and UBSan reports are failures too.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$bin" "$@" "$work/corpus" "$seeddir" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
	    "$work"/oom-*; do
		[ -f "$f" ] || continue
		echo "FAILING INPUT: $f"
		echo "reproduce: $bin $f"
		od -An -c "$f" | head -40
	done
	echo "kept $work for the failing input (remove it when done)"
	exit 1
fi
rm -rf "$work"
exit 0
