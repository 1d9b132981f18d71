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

sasl_need
bench_init
sasl_setup

# the attackers rotate through wrong passwords for the other account
: >"$WORK/attack.specs"
for i in 1 2 3 4 5 6 7 8; do
	echo "$USER2 wrong$i smtp - NO" >>"$WORK/attack.specs"
done
chmod 600 "$WORK/attack.specs"

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
start_constant ceiling sasl "unix:$WORK/ceiling.sock" "u p smtp - OK"
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
