#!/bin/sh
# bench/run-saslauthd.sh - Cyrus saslauthd vs saslauthd-lite, same backend
#
# Both daemons check the same throwaway account in /etc/shadow (-a shadow),
# created for the run with a sha512crypt hash (BENCH_HASH=YESCRYPT for
# yescrypt) and deleted at exit. Both run 5 workers (-n 5). One at a time,
# the other stopped, each is measured:
#   uncached, then cached (-c), at 1, 8 and 32 concurrent clients, each
#   client doing what libsasl2 does: connect, one write, read, close;
#   the attack: 8 clients log in correctly while 8 others send wrong
#   passwords for another account (cached mode); we report the correct
#   logins' rate and p99;
#   and the ceiling: a constant "OK" server at 32 clients.
# Prints a table with ratios (saslauthd-lite / Cyrus; p99 x = Cyrus p99 /
# saslauthd-lite p99, higher is better for both).
#
# Needs root (useradd, /etc/shadow), sasl2-bin, and a build tree with
# bench/pfh-load and saslauthd-lite/saslauthd-lite (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"

need_root
need_prog saslauthd sasl2-bin
need_prog useradd passwd
need_prog chpasswd passwd
need_built saslauthd-lite/saslauthd-lite
bench_init

LITE=$BUILDDIR/saslauthd-lite/saslauthd-lite
CYRUS=$(PATH=$PATH:/usr/sbin command -v saslauthd)
HASH=${BENCH_HASH:-SHA512}
USER1=pfhbench1
USER2=pfhbench2
# Random per run: nothing here is a real secret, but nothing is reused.
PW1=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
WORKERS=${BENCH_WORKERS:-5}

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

make_user "$USER1" "$PW1"
make_user "$USER2" "$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
# Specs in mode-600 files: the (throwaway) password stays out of argv.
echo "$USER1 $PW1 smtp - OK" >"$WORK/good.specs"
chmod 600 "$WORK/good.specs"
GOOD="-f $WORK/good.specs"
# readiness: an unknown user gets a quick NO from either daemon
PROBE="nosuchuser-pfh x smtp - NO"
# the attackers rotate through wrong passwords for the other account
: >"$WORK/attack.specs"
for i in 1 2 3 4 5 6 7 8; do
	echo "$USER2 wrong$i smtp - NO" >>"$WORK/attack.specs"
done
chmod 600 "$WORK/attack.specs"

# start_cyrus CACHEFLAG - Cyrus saslauthd, run dir $WORK/cyrus
#
# As it runs in production: detached, logging to syslog. Its -d would
# add two debug lines per request, and Debian's build has no -f. The
# master's pid comes from its pid file; SIGTERM to it stops the workers.
start_cyrus() {
	rm -rf "$WORK/cyrus"
	mkdir -p "$WORK/cyrus"
	"$CYRUS" -a shadow -m "$WORK/cyrus" -n "$WORKERS" $1 >"$WORK/cyrus.log" 2>&1 ||
	    die "Cyrus saslauthd did not start: $(tail -3 "$WORK/cyrus.log")"
	MUX=unix:$WORK/cyrus/mux
	LAST_PID=
	wait_ready sasl "$MUX" "$PROBE" || die "Cyrus saslauthd does not answer"
	LAST_PID=$(cat "$WORK/cyrus/saslauthd.pid" 2>/dev/null)
	[ -n "$LAST_PID" ] || die "no pid file from Cyrus saslauthd"
	BENCH_PIDS="$BENCH_PIDS $LAST_PID"
}

# start_lite CACHEFLAG - saslauthd-lite with the same flags
start_lite() {
	rm -rf "$WORK/lite"
	mkdir -p "$WORK/lite"
	bg_start lite "$LITE" -a shadow -m "$WORK/lite" -n "$WORKERS" $1 -d
	MUX=unix:$WORK/lite/mux
	wait_ready sasl "$MUX" "$PROBE" || die "saslauthd-lite did not start: $(tail -3 "$WORK/lite.log")"
}

# measure WHO MODE - the 1/8/32 points; results in R_<who>_<mode>_<c>
measure() {
	for c in 1 8 32; do
		load "$1-$2-c$c" -p sasl -c "$c" $GOOD "$MUX"
		eval "R_$1_$2_$c=\$RPS P_$1_$2_$c=\$P99_MS"
	done
}

# attack WHO - 8 attackers in the background, 8 correct clients measured
attack() {
	"$PFH_LOAD" -q -L "$1-attackers" -w "$BENCH_WARMUP" -t "$BENCH_TIME" \
	    -T 60000 -e 0 -p sasl -c 8 -f "$WORK/attack.specs" "$MUX" \
	    >"$WORK/attackers.kv" 2>/dev/null &
	_apid=$!
	load "$1-attack-correct" -p sasl -c 8 -T 60000 $GOOD "$MUX"
	eval "R_$1_attack=\$RPS P_$1_attack=\$P99_MS"
	wait "$_apid"
	_al=$(cat "$WORK/attackers.kv")
	eval "A_$1=\$(kv rps \"\$_al\")"
	say "  $1 attackers: $(kv replies "$_al") wrong-password answers, $(kv errors "$_al") errors"
}

say "Cyrus saslauthd: $CYRUS -a shadow -n $WORKERS; saslauthd-lite: $LITE -a shadow -n $WORKERS; hash $HASH"
for who in cyrus lite; do
	say "$who, uncached"
	start_$who ""
	measure "$who" nc
	bg_stop "$LAST_PID"
	say "$who, cached (-c)"
	start_$who -c
	measure "$who" c
	attack "$who"
	bg_stop "$LAST_PID"
done

say "ceiling"
bg_start ceiling "$PFH_LOAD" -p sasl --serve-constant "unix:$WORK/ceiling.sock"
wait_ready sasl "unix:$WORK/ceiling.sock" "u p smtp - OK" || die "ceiling server did not start"
load ceiling-c32 -p sasl -c 32 $GOOD "unix:$WORK/ceiling.sock"
CEIL=$RPS CEIL_P99=$P99_MS
bg_stop "$LAST_PID"

machine_info
table_head "saslauthd: Cyrus $(dpkg-query -W -f '${Version}' sasl2-bin 2>/dev/null) vs saslauthd-lite, -a shadow, $HASH, -n $WORKERS" cyrus lite
for m in nc c; do
	[ $m = nc ] && what=uncached || what="cached (-c)"
	for c in 1 8 32; do
		eval "rc=\$R_cyrus_${m}_$c pc=\$P_cyrus_${m}_$c rl=\$R_lite_${m}_$c pl=\$P_lite_${m}_$c"
		row "$what, $c clients" "$(printf %.0f "$rc")" "$pc" \
		    "$(printf %.0f "$rl")" "$pl" "$(ratio "$rl" "$rc")" "$(ratio "$pc" "$pl")"
	done
done
row "attack: correct logins (8+8)" "$(printf %.0f "$R_cyrus_attack")" "$P_cyrus_attack" \
    "$(printf %.0f "$R_lite_attack")" "$P_lite_attack" \
    "$(ratio "$R_lite_attack" "$R_cyrus_attack")" "$(ratio "$P_cyrus_attack" "$P_lite_attack")"
row "attack: wrong-password answers" "$(printf %.0f "${A_cyrus:-0}")" "" \
    "$(printf %.0f "${A_lite:-0}")" "" "" ""
row "ceiling: constant OK, 32 clients" "" "" "$(printf %.0f "$CEIL")" "$CEIL_P99" \
    "$(ratio "$R_lite_c_32" "$CEIL")" ""
echo "(ratio = lite/cyrus; ceiling ratio = lite cached at 32 / ceiling; p99 x = cyrus p99 / lite p99)"
