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
#
# Besides the generic helpers, this file holds what more than one scenario
# needs to set up and start each protocol's programs: sasl_setup and
# start_cyrus/start_lite, policy_setup and start_postfwd/start_policyd,
# socketmap_setup and start_msr/start_tlsmap; and the CPU-per-answer
# measurement (cost, rounds_of, ratios_of). SERVER_PREFIX, when set, goes
# before every server's command (run-cost.sh: "taskset -c 0"); LOAD_PREFIX
# before pfh-load's in load().

BENCH_TIME=${BENCH_TIME:-5}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BUILDDIR=${PFH_BUILDDIR:-$(pwd)}
PFH_LOAD=$BUILDDIR/bench/pfh-load
BENCH_PIDS=""
BENCH_CLEANUPS=""
SERVER_PREFIX=${SERVER_PREFIX:-}
LOAD_PREFIX=${LOAD_PREFIX:-}

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
	have_prog "$1" || skip "$1 not found: install the Debian package $2"
}

# have_prog PROGRAM - is it there (PATH, /usr/sbin, /sbin, or a path)
have_prog() {
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] ||
	    PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1
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

# start_constant LOGNAME PROTO ENDPOINT PROBE [-a ANSWER] - pfh-load's
# constant-reply server (the floor, the ceiling); LAST_PID
start_constant() {
	_log=$1 _proto=$2 _ep=$3 _probe=$4
	shift 4
	bg_start "$_log" $SERVER_PREFIX "$PFH_LOAD" -p "$_proto" --serve-constant \
	    "$@" "$_ep"
	wait_ready "$_proto" "$_ep" "$_probe" ||
	    die "constant $_proto server did not start: $(tail -3 "$WORK/$_log.log")"
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
	LINE=$($LOAD_PREFIX "$PFH_LOAD" -q -L "$_label" -w "${LOAD_WARMUP:-$BENCH_WARMUP}" \
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

# median VALUE... - the middle one ("-" for none; the mean of the two
# middle ones for an even count); "-" values are left out
median() {
	printf '%s\n' "$@" | grep -v '^-*$' | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
		else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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

# tree_ticks PID - CPU clock ticks (utime + stime, all threads) of PID and
# of every process below it, plus what those reaped of their children
# (cutime + cstime): sampled before and after a window, the difference is
# what the whole tree spent in it, children forked and reaped in it
# included. One `cat` reads every /proc/N/stat (a process that ends
# meanwhile is just missing); the name in parentheses may hold blanks, so
# the fields are counted from its closing parenthesis.
tree_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	{
		pid = $1
		sub(/^.*\) /, "")
		# now $1 = state, $2 = ppid, $12..$15 = utime stime cutime cstime
		parent[pid] = $2
		ticks[pid] = $12 + $13 + $14 + $15
	}
	END {
		sum = 0
		for (p in ticks) {
			q = p
			for (depth = 0; depth < 64 && q != "" && q != 0; depth++) {
				if (q == root) {
					sum += ticks[p]
					break
				}
				q = parent[q]
			}
		}
		print sum
	}'
}

# clk_tck - clock ticks per second, the unit of /proc/N/stat's times
clk_tck() { getconf CLK_TCK; }

# ---- CPU per answer (run-cost.sh, run-dovecot.sh) -------------------------
# cost_init, after bench_init, sets what cost() uses: CLIENTS (pfh-load's
# -c, BENCH_COST_CLIENTS), ROUNDS (BENCH_ROUNDS), TCK, the pinning
# (SERVER_PREFIX, LOAD_PREFIX: BENCH_SERVER_CPU, BENCH_LOAD_CPU) and
# LOAD_WARMUP=0 (cost() runs its warm-up as a run of its own); the caller
# sets round, the current round. Without taskset or two cores: exit 77.

cost_init() {
	need_prog taskset util-linux
	[ "$(nproc)" -ge 2 ] ||
	    skip "needs two cores (server and load generator pinned apart)"
	ROUNDS=${BENCH_ROUNDS:-5}
	CLIENTS=${BENCH_COST_CLIENTS:-8}
	SERVER_PREFIX="taskset -c ${BENCH_SERVER_CPU:-0}"
	LOAD_PREFIX="taskset -c ${BENCH_LOAD_CPU:-1}"
	LOAD_WARMUP=0
	TCK=$(clk_tck)
}

# cost NAME ROOTPID PFH-LOAD-ARGS... - one point: C_<NAME>_<round> is the
# CPU us per answer, B_<NAME>_<round> the server core's busy percentage
cost() {
	_name=$1 _root=$2
	shift 2
	$LOAD_PREFIX "$PFH_LOAD" -q -e 0 -t "$BENCH_WARMUP" -c "$CLIENTS" "$@" \
	    >/dev/null 2>&1
	_t0=$(tree_ticks "$_root")
	_w0=$(now)
	load "$_name-r$round" -c "$CLIENTS" "$@"
	_t1=$(tree_ticks "$_root")
	_w1=$(now)
	_n=$(kv replies "$LINE")
	_us=$(awk -v a="$_t0" -v b="$_t1" -v n="${_n:-0}" -v hz="$TCK" \
	    'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1e6 / hz / n; else print "-" }')
	_busy=$(awk -v a="$_t0" -v b="$_t1" -v s="$_w0" -v e="$_w1" -v hz="$TCK" \
	    'BEGIN { printf "%.0f", (b - a) / hz / (e - s) * 100 }')
	say "    $_name: $_us us/answer ($_n answers, server core ${_busy}% busy)"
	printf 'round=%s name=%s ticks=%s answers=%s us=%s busy=%s\n' "$round" \
	    "$_name" "$((_t1 - _t0))" "$_n" "$_us" "$_busy" >>"$WORK/cost.kv"
	eval "C_${_name}_$round=\$_us B_${_name}_$round=\$_busy"
}

# vals_of PREFIX NAME - the per-round values of <PREFIX>_<NAME>_<round>
vals_of() {
	_r=1
	while [ "$_r" -le "$ROUNDS" ]; do
		eval "printf '%s ' \"\${$1_$2_$_r:--}\""
		_r=$((_r + 1))
	done
}

# rounds_of NAME - the per-round values of C_<NAME>
rounds_of() { vals_of C "$1"; }

# ratios_of A B - the per-round ratios C_<A> / C_<B>
ratios_of() {
	_r=1
	while [ "$_r" -le "$ROUNDS" ]; do
		eval "_a=\${C_$1_$_r:--} _b=\${C_$2_$_r:--}"
		case "$_a$_b" in
		*-*) printf '%s ' - ;;
		*) awk -v a="$_a" -v b="$_b" 'BEGIN { if (b > 0) printf "%.4g ", a / b; else printf "- " }' ;;
		esac
		_r=$((_r + 1))
	done
}

# fmt FORMAT VALUE - a number printed with FORMAT, "-" as it is
fmt() {
	case "$2" in
	-) printf '%s' - ;;
	*) awk -v f="$1" -v v="$2" 'BEGIN { printf f, v }' ;;
	esac
}

# crow ... - one row, aligned
crow() { printf '%-26s %10s %9s %8s %10s %8s\n' "$@"; }

# cost_row LABEL DAEMON FLOOR PEER
cost_row() {
	crow "$1" "$(median $(rounds_of "$2"))" "$(median $(rounds_of "$3"))" \
	    "$(fmt '%.2f' "$(median $(ratios_of "$2" "$3"))")" \
	    "$(median $(rounds_of "$4"))" \
	    "$(fmt '%.3g' "$(median $(ratios_of "$2" "$4"))")"
}

# ---- saslauthd: Cyrus saslauthd and saslauthd-lite -----------------------

# sasl_need - what the saslauthd scenarios need (exit 77 without it)
sasl_need() {
	need_root
	need_prog saslauthd sasl2-bin
	need_prog useradd passwd
	need_prog chpasswd passwd
	need_built saslauthd-lite/saslauthd-lite
}

# make_user NAME PASSWORD - a throwaway, login-less account
make_user() {
	if id "$1" >/dev/null 2>&1; then
		grep -q "^$1:.*pfhelpers bench" /etc/passwd ||
		    die "user $1 exists and is not ours; not touching it"
		userdel "$1" >/dev/null 2>&1
	fi
	useradd -M -N -s /usr/sbin/nologin -c "pfhelpers bench" "$1" ||
	    die "useradd $1 failed"
	at_cleanup "userdel $1 >/dev/null 2>&1"
	printf '%s:%s\n' "$1" "$2" | chpasswd -c "$HASH" ||
	    die "chpasswd -c $HASH failed"
}

# sasl_setup - after bench_init: the programs (LITE, CYRUS), the hash (HASH,
# BENCH_HASH=YESCRYPT for yescrypt), the workers (WORKERS), and two
# throwaway accounts: USER1, whose correct login is the spec in GOOD (a
# mode-600 file: the password stays out of argv), and USER2 for wrong
# passwords. PROBE: an unknown user, a quick NO from either daemon.
sasl_setup() {
	LITE=$BUILDDIR/saslauthd-lite/saslauthd-lite
	CYRUS=$(PATH=$PATH:/usr/sbin command -v saslauthd)
	HASH=${BENCH_HASH:-SHA512}
	USER1=pfhbench1
	USER2=pfhbench2
	# Random per run: nothing here is a real secret, but nothing is reused.
	PW1=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
	WORKERS=${BENCH_WORKERS:-5}
	make_user "$USER1" "$PW1"
	make_user "$USER2" "$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
	echo "$USER1 $PW1 smtp - OK" >"$WORK/good.specs"
	chmod 600 "$WORK/good.specs"
	GOOD="-f $WORK/good.specs"
	PROBE="nosuchuser-pfh x smtp - NO"
}

# start_cyrus CACHEFLAG [NAME] - Cyrus saslauthd, run dir $WORK/NAME
# (default cyrus); sets MUX and LAST_PID
#
# As it runs in production: detached, logging to syslog. Its -d would
# add two debug lines per request, and Debian's build has no -f. The
# master's pid comes from its pid file; SIGTERM to it stops the workers.
start_cyrus() {
	_d=${2:-cyrus}
	rm -rf "$WORK/$_d"
	mkdir -p "$WORK/$_d"
	$SERVER_PREFIX "$CYRUS" -a shadow -m "$WORK/$_d" -n "$WORKERS" $1 \
	    >"$WORK/$_d.log" 2>&1 ||
	    die "Cyrus saslauthd did not start: $(tail -3 "$WORK/$_d.log")"
	MUX=unix:$WORK/$_d/mux
	LAST_PID=
	wait_ready sasl "$MUX" "$PROBE" || die "Cyrus saslauthd does not answer"
	LAST_PID=$(cat "$WORK/$_d/saslauthd.pid" 2>/dev/null)
	[ -n "$LAST_PID" ] || die "no pid file from Cyrus saslauthd"
	BENCH_PIDS="$BENCH_PIDS $LAST_PID"
}

# start_lite CACHEFLAG [NAME] - saslauthd-lite with the same flags, in the
# foreground (-d), logging to $WORK/NAME.log (default lite); sets MUX and
# LAST_PID
start_lite() {
	_d=${2:-lite}
	rm -rf "$WORK/$_d"
	mkdir -p "$WORK/$_d"
	bg_start "$_d" $SERVER_PREFIX "$LITE" -a shadow -m "$WORK/$_d" \
	    -n "$WORKERS" $1 -d
	MUX=unix:$WORK/$_d/mux
	wait_ready sasl "$MUX" "$PROBE" ||
	    die "saslauthd-lite did not start: $(tail -3 "$WORK/$_d.log")"
}

# ---- policy: postfwd and policyd-ccert -----------------------------------

# fingerprints N - N random sha256 fingerprints, Postfix's form
fingerprints() {
	od -An -v -tx1 -w32 -N $(($1 * 32)) /dev/urandom |
	    awk '{ $1 = $1; gsub(/ /, ":"); print toupper($0) }'
}

# policy_setup - after bench_init: the programs (POLICYD, POSTFWD, empty
# when postfwd2 is missing), 1,000 listed and 1,000 unlisted sha256
# fingerprints ($WORK/listed, $WORK/unlisted), policyd-ccert's identities
# file ($WORK/identities), the requests ($WORK/specs: the listed ones
# answer OK, the others DUNNO; FIRST_OK the first), and postfwd's two rule
# files: the list as one regex ($WORK/postfwd-regex.rules) and as a file:
# list ($WORK/postfwd-file.rules). PF_WARMUP: postfwd's warm-up seconds.
policy_setup() {
	POLICYD=$BUILDDIR/policyd-ccert/policyd-ccert
	POSTFWD=$(PATH=$PATH:/usr/sbin command -v postfwd2)
	say "generating identities"
	fingerprints 2000 >"$WORK/fps"
	sed -n '1,1000p' "$WORK/fps" >"$WORK/listed"
	sed -n '1001,2000p' "$WORK/fps" >"$WORK/unlisted"
	awk '{ printf "%s client%d.example.net\n", $1, NR }' "$WORK/listed" \
	    >"$WORK/identities"
	{
		awk '{ print $1, "-", "OK" }' "$WORK/listed"
		awk '{ print $1, "-", "DUNNO" }' "$WORK/unlisted"
	} >"$WORK/specs"
	FIRST_OK="$(sed -n 1p "$WORK/listed") - OK"
	awk 'BEGIN { printf "id=CCERT; ccert_fingerprint=~/^(" }
	    { printf "%s%s", (NR > 1 ? "|" : ""), $1 }
	    END { print ")$/; action=OK"; print "id=DEFAULT; action=DUNNO" }' \
	    "$WORK/listed" >"$WORK/postfwd-regex.rules"
	printf 'id=CCERT; ccert_fingerprint==file:%s; action=OK\nid=DEFAULT; action=DUNNO\n' \
	    "$WORK/listed" >"$WORK/postfwd-file.rules"
	chmod 644 "$WORK"/*
	PF_WARMUP=$(awk -v w="$BENCH_WARMUP" 'BEGIN { print (w > 5 ? w : 5) }')
}

# start_postfwd RULES [POSTFWD-ARGS] - postfwd2 on 127.0.0.1:$P_POSTFWD,
# detached (its only mode), no per-request log (--norulelog --nodnslog),
# room for one child per connection (a child serves one connection at a
# time: --max_servers 356); pid (LAST_PID) from its pid file
start_postfwd() {
	_rules=$1
	shift
	rm -f "$WORK/postfwd.pid"
	port_wait_free "$P_POSTFWD"
	$SERVER_PREFIX "$POSTFWD" -f "$_rules" -u nobody -g nogroup \
	    --server_socket="tcp:127.0.0.1:$P_POSTFWD" \
	    --cache_socket="unix::$WORK/postfwd-cache.sock" \
	    --pidfile="$WORK/postfwd.pid" \
	    --max_servers=356 "$@" \
	    --norulelog --nodnslog --daemon >"$WORK/postfwd.log" 2>&1 ||
	    die "postfwd2 did not start: $(tail -3 "$WORK/postfwd.log")"
	LAST_PID=
	wait_ready policy "inet:127.0.0.1:$P_POSTFWD" "$FIRST_OK"
	_ok=$?
	LAST_PID=$(cat "$WORK/postfwd.pid" 2>/dev/null)
	[ -n "$LAST_PID" ] || die "no pid file from postfwd2"
	BENCH_PIDS="$BENCH_PIDS $LAST_PID"
	[ $_ok = 0 ] || die "postfwd2 does not answer OK for a listed fingerprint"
}

# start_policyd IDENTITIES [DECISION_LOG] - policyd-ccert on
# 127.0.0.1:$P_OURS, in the foreground (-d), logging to $WORK/policyd.log;
# without DECISION_LOG its default (all: one line per decision)
start_policyd() {
	{
		echo "listen = inet:127.0.0.1:$P_OURS"
		echo "identities = $1"
		[ -z "${2:-}" ] || echo "decision_log = $2"
	} >"$WORK/policyd-ccert.conf"
	bg_start policyd $SERVER_PREFIX "$POLICYD" -c "$WORK/policyd-ccert.conf" -d
}

# ---- socketmap: postfix-mta-sts-resolver and tlsmap ----------------------

# socketmap_setup - after bench_init: the programs (TLSMAP, MSR, empty when
# mta-sts-daemon is missing), 1,000 destinations ($WORK/domains), each with
# the policy MTA-STS gives an enforcing domain, "secure match=mx1.<domain>
# servername=hostname": tlsmap's policy map ($WORK/tls_policy, config
# $WORK/tlsmap.conf on 127.0.0.1:$P_OURS), the requests ($WORK/specs, every
# answer "OK secure ...", FIRST the first; $WORK/specs-parent: the
# ".domain" keys, NOTFOUND), and, when MSR is there, the resolver's sqlite
# cache pre-filled with a fresh entry per domain and its config on
# 127.0.0.1:$P_MSR with cache_grace one day: it never goes to the network.
socketmap_setup() {
	TLSMAP=$BUILDDIR/tlsmap/tlsmap
	MSR=$(command -v mta-sts-daemon)
	awk -v n=1000 'BEGIN { for (i = 1; i <= n; i++) printf "bench-%d.example\n", i }' \
	    >"$WORK/domains"
	awk '{ printf "%s secure match=mx1.%s servername=hostname\n", $1, $1 }' \
	    "$WORK/domains" >"$WORK/tls_policy"
	awk '{ printf "postfix %s OK secure match=mx1.%s servername=hostname\n", $1, $1 }' \
	    "$WORK/domains" >"$WORK/specs"
	awk '{ printf "postfix .%s NOTFOUND\n", $1 }' "$WORK/domains" \
	    >"$WORK/specs-parent"
	FIRST="postfix bench-1.example OK secure match=mx1.bench-1.example"
	cat >"$WORK/tlsmap.conf" <<EOF
listen = inet:127.0.0.1:$P_OURS
maps = postfix=policy:$WORK/tls_policy
postfix_version = 3.7
EOF
	# the same answers from a dynamic map's cache file; its DNS (a stub
	# for the domains' zone) points at a closed port: nothing resolves
	python3 "$(dirname "$0")/dyn_cache.py" "$WORK/domains" "$(date +%s)" \
	    >"$WORK/tlsmap-dyn.cache" || die "cannot write the dynamic cache"
	cat >"$WORK/tlsmap-dyn.conf" <<EOF
listen = inet:127.0.0.1:$P_DYN
maps = postfix=dynamic:$WORK/tlsmap-dyn.cache
postfix_version = 3.7
dns_stub_zones = example.=127.0.0.1@9
EOF
	[ -n "$MSR" ] || return 0
	# The resolver's cache, as it writes it (sqlite_cache.py): one fresh,
	# enforcing policy per domain.
	python3 - "$WORK/msr-cache.db" "$WORK/domains" <<'EOF' || die "cannot fill the resolver's cache"
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("create table if not exists proactive_fetch_ts "
           "(id integer primary key, last_fetch_ts integer)")
db.execute("create table if not exists sts_policy_cache "
           "(domain text, ts integer, pol_id text, pol_body text)")
db.execute("create unique index if not exists sts_policy_domain "
           "on sts_policy_cache (domain)")
db.execute("create index if not exists sts_policy_domain_ts "
           "on sts_policy_cache (domain, ts)")
now = int(time.time())
with open(sys.argv[2]) as f:
    for d in f.read().split():
        body = {"version": "STSv1", "mode": "enforce",
                "mx": ["mx1." + d], "max_age": 604800}
        db.execute("insert into sts_policy_cache values (?, ?, ?, ?)",
                   (d, now, "bench1", json.dumps(body)))
db.commit()
EOF
	cat >"$WORK/mta-sts-daemon.yml" <<EOF
host: 127.0.0.1
port: $P_MSR
reuse_port: true
cache_grace: 86400
cache:
  type: sqlite
  options:
    filename: "$WORK/msr-cache.db"
default_zone:
  strict_testing: false
  timeout: 4
EOF
}

# start_msr - postfix-mta-sts-resolver (log level warn), answering from its
# cache; LAST_PID
start_msr() {
	bg_start msr $SERVER_PREFIX "$MSR" -c "$WORK/mta-sts-daemon.yml" -v warn
	wait_ready socketmap "inet:127.0.0.1:$P_MSR" "$FIRST" ||
	    die "mta-sts-daemon does not answer from its cache: $(tail -3 "$WORK/msr.log")"
}

# start_tlsmap CONF LOGNAME - tlsmap in the foreground (-d); LAST_PID. The
# caller waits for the answer it needs (wait_ready).
start_tlsmap() {
	bg_start "$2" $SERVER_PREFIX "$TLSMAP" -c "$1" -d
}
