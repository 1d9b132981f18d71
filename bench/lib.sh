# bench/lib.sh - shared helpers for the bench/run-*.sh scenarios (sourced)
#
# Contract: the scenarios install nothing. A missing peer program makes
# them say which Debian package provides it and exit 77. Every process a
# scenario starts is recorded with bg_start and stopped by its pid on exit
# (never by name). Work files live in one mktemp -d directory, removed on
# exit unless PFH_BENCH_KEEP=1.
#
# Knobs (environment):
#   PFH_BUILDDIR    build tree holding bench/pfh-load and the daemons
#                   (default: the current directory)
#   BENCH_TIME      measured seconds per point (default 5)
#   BENCH_WARMUP    warm-up seconds per point, not measured (default 1)
#   PFH_BENCH_KEEP  keep the work directory (its path is printed)

BENCH_TIME=${BENCH_TIME:-5}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BUILDDIR=${PFH_BUILDDIR:-$(pwd)}
PFH_LOAD=$BUILDDIR/bench/pfh-load
BENCH_PIDS=""
BENCH_CLEANUPS=""

# say - progress on stderr, so stdout stays the summary
say() { printf '%s\n' "$*" >&2; }

# die - a setup failure: not a skip
die() { say "$(basename "$0"): $*"; exit 1; }

# skip - exit 77 with the reason
skip() { say "$(basename "$0"): SKIP: $*"; exit 77; }

# need_root - the scenario creates users or reads /etc/shadow
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# need_prog PROGRAM PACKAGE - skip when a peer program is missing
need_prog() {
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] ||
	    PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1 ||
	    skip "$1 not found: install the Debian package $2"
}

# need_built PATH - one of our programs must have been built
need_built() {
	[ -x "$BUILDDIR/$1" ] || skip "$BUILDDIR/$1 not built (set PFH_BUILDDIR to the build tree and run make)"
}

# workdir - the run's private directory (short: unix socket paths)
bench_workdir() {
	WORK=$(mktemp -d /tmp/pfh-bench.XXXXXX) || die "mktemp failed"
	chmod 755 "$WORK"
}

# bg_start LOGNAME CMD... - start a server in the background, remember it
bg_start() {
	_log=$WORK/$1.log
	shift
	"$@" >"$_log" 2>&1 &
	BENCH_PIDS="$BENCH_PIDS $!"
	LAST_PID=$!
}

# bg_stop PID - stop one server we started and wait for it
bg_stop() {
	kill "$1" 2>/dev/null
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.25
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	_new=""
	for _p in $BENCH_PIDS; do
		[ "$_p" = "$1" ] || _new="$_new $_p"
	done
	BENCH_PIDS=$_new
}

# at_cleanup CMD - run CMD on exit (e.g. userdel of a throwaway user)
at_cleanup() { BENCH_CLEANUPS="$BENCH_CLEANUPS
$*"; }

bench_cleanup() {
	for _p in $BENCH_PIDS; do
		bg_stop "$_p"
	done
	printf '%s\n' "$BENCH_CLEANUPS" | while IFS= read -r _c; do
		[ -n "$_c" ] && eval "$_c"
	done
	if [ -n "${WORK:-}" ]; then
		if [ "${PFH_BENCH_KEEP:-0}" = 1 ]; then
			say "kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

bench_init() {
	need_built bench/pfh-load
	bench_workdir
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# wait_ready PROTO ENDPOINT SPEC [SECONDS] - until the server answers
wait_ready() {
	_n=$(( ${4:-30} * 10 ))
	while [ "$_n" -gt 0 ]; do
		if "$PFH_LOAD" -q -e 0 -T 2000 -p "$1" -n 1 -r "$3" "$2" \
		    >/dev/null 2>&1; then
			return 0
		fi
		if [ -n "${LAST_PID:-}" ] && ! kill -0 "$LAST_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# port_free PORT - nobody may listen on our loopback port already
port_free() {
	if "$PFH_LOAD" -q -e 0 -T 1000 -p socketmap -n 1 -r "x y" \
	    "inet:127.0.0.1:$1" 2>/dev/null | grep -q 'io_errors=0'; then
		die "127.0.0.1:$1 is in use (BENCH_PORT= picks other ports)"
	fi
}

# port_wait_free PORT - a server we stopped may take a moment to let go
port_wait_free() {
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		"$PFH_LOAD" -q -e 0 -T 500 -p socketmap -n 1 -r "x y" \
		    "inet:127.0.0.1:$1" 2>/dev/null | grep -q 'io_errors=0' || return 0
		sleep 0.5
	done
	die "127.0.0.1:$1 still in use"
}

# kv KEY LINE - one value from pfh-load's machine line
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# load LABEL PFH-LOAD-ARGS... - one measured point; sets RPS, P99_US, P99_MS,
# ERRS, LINE and prints the human line on stderr. LOAD_WARMUP, when set,
# overrides BENCH_WARMUP for the point.
load() {
	_label=$1
	shift
	LINE=$("$PFH_LOAD" -q -L "$_label" -w "${LOAD_WARMUP:-$BENCH_WARMUP}" \
	    -t "$BENCH_TIME" "$@" \
	    2>"$WORK/load.err")
	_st=$?
	RPS=$(kv rps "$LINE")
	P99_US=$(kv p99_us "$LINE")
	ERRS=$(kv errors "$LINE")
	[ -n "$RPS" ] || { RPS=0; P99_US=0; ERRS=?; }
	P99_MS=$(awk -v u="$P99_US" 'BEGIN { printf "%.2f", u / 1000 }')
	say "  $_label: $(printf '%.0f' "$RPS") req/s, p99 $P99_MS ms, errors $ERRS"
	if [ "$_st" -ne 0 ]; then
		sed -n '1,5p' "$WORK/load.err" >&2
	fi
	printf '%s\n' "$LINE" >>"$WORK/results.kv"
	return 0
}

# ratio A B - A/B with two decimals ("-" when B is 0)
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

# now - seconds since the epoch with nanoseconds
now() { date +%s.%N; }

# elapsed START - seconds since START with two decimals
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

# row ... - one summary table row, aligned
row() { printf '%-34s %10s %9s %10s %9s %8s %8s\n' "$@"; }

# table_head TITLE PEER OURS
table_head() {
	printf '\n%s\n' "$1"
	row "scenario" "$2 r/s" "p99 ms" "$3 r/s" "p99 ms" "ratio" "p99 x"
}

# machine_info - what the numbers were measured on
machine_info() {
	printf '# %s, %s cores (%s), %s, load average %s\n' \
	    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
	    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
	    "$(uname -sr)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
