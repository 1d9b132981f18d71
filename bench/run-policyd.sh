#!/bin/sh
# bench/run-policyd.sh - postfwd vs policyd-ccert, the same 1,000 identities
#
# 1,000 random sha256 certificate fingerprints are the relay list, given
#   to policyd-ccert as its identities file and to postfwd2 as one rule
#   whose ccert_fingerprint regex lists them all (postfwd's fastest form;
#   BENCH_POSTFWD_FILE=1 also measures the `file:` list form, ~100 times
#   slower, at 32 clients). The requests rotate through the 1,000 listed
#   fingerprints (answer OK) and 1,000 unlisted ones (DUNNO), each a full
#   Postfix 3.7 RCPT-stage request; every answer is checked.
# Persistent loopback TCP connections, as Postfix's smtpd processes keep
#   them, at 1, 32 and 256 clients. One server runs at a time. Neither logs
#   per request (postfwd --norulelog, policyd-ccert decision_log=none);
#   postfwd runs with its defaults otherwise, request cache on, with room
#   for one child per connection (a child serves one connection at a
#   time: --max_servers 356) and a longer warm-up (at least 5 s) in which
#   Net::Server forks the children it lacks. Its cache is warmed first
#   (every request once, not measured), so the 1/32/256 points show
#   postfwd at its best: answers from the request cache. A second point at
#   32 clients runs with the cache off (--cache=0): the rule itself.
# Then 1,000,000 identities: the time from starting policyd-ccert to its
#   first correct answer for the last identity, its memory, and its rate
#   at 32 clients (lookups stay O(1)). And the constant-reply ceiling.
#
# Needs postfwd (Debian package postfwd) and a build tree with
# bench/pfh-load and policyd-ccert/policyd-ccert (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"

need_prog postfwd2 postfwd
need_built policyd-ccert/policyd-ccert
bench_init

PORT=${BENCH_PORT:-10960}
P_POSTFWD=$PORT
P_OURS=$((PORT + 1))
P_CEIL=$((PORT + 2))
CLIENTS=${BENCH_CLIENTS:-"1 32 256"}

policy_setup

port_free "$P_POSTFWD"
port_free "$P_OURS"
port_free "$P_CEIL"

say "postfwd2 (regex), request cache warm"
start_postfwd "$WORK/postfwd-regex.rules"
"$PFH_LOAD" -q -e 0 -T 60000 -p policy -c 32 -n 4000 -f "$WORK/specs" \
    "inet:127.0.0.1:$P_POSTFWD" >/dev/null 2>&1
LOAD_WARMUP=$PF_WARMUP
for c in $CLIENTS; do
	load "postfwd-regex-c$c" -p policy -c "$c" \
	    -f "$WORK/specs" "inet:127.0.0.1:$P_POSTFWD"
	eval "R_pf_$c=\$RPS P_pf_$c=\$P99_MS"
done
bg_stop "$LAST_PID"
say "postfwd2 (regex), request cache off"
start_postfwd "$WORK/postfwd-regex.rules" --cache=0
load "postfwd-regex-nocache-c32" -p policy -c 32 \
    -f "$WORK/specs" "inet:127.0.0.1:$P_POSTFWD"
R_pfnc=$RPS P_pfnc=$P99_MS
bg_stop "$LAST_PID"
LOAD_WARMUP=

if [ "${BENCH_POSTFWD_FILE:-0}" = 1 ]; then
	say "postfwd2 (file: list)"
	start_postfwd "$WORK/postfwd-file.rules" --cache=0
	LOAD_WARMUP=$PF_WARMUP
	load "postfwd-file-c32" -p policy -c 32 \
	    -f "$WORK/specs" "inet:127.0.0.1:$P_POSTFWD"
	LOAD_WARMUP=
	R_pffile=$RPS P_pffile=$P99_MS
	bg_stop "$LAST_PID"
fi

say "policyd-ccert"
start_policyd "$WORK/identities" none
wait_ready policy "inet:127.0.0.1:$P_OURS" "$FIRST_OK" ||
    die "policyd-ccert does not answer: $(tail -3 "$WORK/policyd.log")"
for c in $CLIENTS; do
	load "policyd-ccert-c$c" -p policy -c "$c" -f "$WORK/specs" \
	    "inet:127.0.0.1:$P_OURS"
	eval "R_us_$c=\$RPS P_us_$c=\$P99_MS"
done
bg_stop "$LAST_PID"

say "ceiling"
start_constant ceiling policy "inet:127.0.0.1:$P_CEIL" "AA:BB - DUNNO"
for c in $CLIENTS; do
	load "ceiling-c$c" -p policy -c "$c" -r "$(sed -n 1p "$WORK/listed") - DUNNO" \
	    "inet:127.0.0.1:$P_CEIL"
	eval "R_ceil_$c=\$RPS P_ceil_$c=\$P99_MS"
done
bg_stop "$LAST_PID"

say "1,000,000 identities"
fingerprints 1000000 | awk '{ printf "%s id%d\n", $1, NR }' >"$WORK/identities-1m"
LAST_FP=$(tail -1 "$WORK/identities-1m" | cut -d' ' -f1)
t0=$(now)
start_policyd "$WORK/identities-1m" none
if wait_ready policy "inet:127.0.0.1:$P_OURS" "$LAST_FP - OK" 120; then
	LOAD_1M=$(elapsed "$t0")
	RSS_1M=$(awk '/^VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$LAST_PID/status")
	# 2,000 of the million (spread over the file) and the 1,000 unlisted
	awk 'NR % 500 == 0 { print $1, "-", "OK" }' "$WORK/identities-1m" >"$WORK/specs-1m"
	awk '{ print $1, "-", "DUNNO" }' "$WORK/unlisted" >>"$WORK/specs-1m"
	load "policyd-ccert-1m-c32" -p policy -c 32 -f "$WORK/specs-1m" \
	    "inet:127.0.0.1:$P_OURS"
	R_1m=$RPS P_1m=$P99_MS
else
	LOAD_1M="failed: $(tail -2 "$WORK/policyd.log")"
	R_1m=0 P_1m=-
fi
bg_stop "$LAST_PID"

machine_info
table_head "policy: postfwd2 $(dpkg-query -W -f '${Version}' postfwd 2>/dev/null) (1,000 fingerprints as one regex, request cache warm) vs policyd-ccert, loopback TCP, persistent" postfwd policyd
for c in $CLIENTS; do
	eval "a=\$R_pf_$c pa=\$P_pf_$c b=\$R_us_$c pb=\$P_us_$c"
	row "$c clients" "$(printf %.0f "$a")" "$pa" "$(printf %.0f "$b")" "$pb" \
	    "$(ratio "$b" "$a")" "$(ratio "$pa" "$pb")"
done
row "32 clients, postfwd cache off" "$(printf %.0f "$R_pfnc")" "$P_pfnc" \
    "$(printf %.0f "$R_us_32")" "$P_us_32" "$(ratio "$R_us_32" "$R_pfnc")" \
    "$(ratio "$P_pfnc" "$P_us_32")"
if [ -n "${R_pffile:-}" ]; then
	row "32 clients, postfwd file:, cache off" "$(printf %.0f "$R_pffile")" "$P_pffile" \
	    "$(printf %.0f "$R_us_32")" "$P_us_32" "$(ratio "$R_us_32" "$R_pffile")" \
	    "$(ratio "$P_pffile" "$P_us_32")"
fi
for c in $CLIENTS; do
	eval "a=\$R_ceil_$c pa=\$P_ceil_$c b=\$R_us_$c"
	row "ceiling (constant), $c clients" "" "" "$(printf %.0f "$a")" "$pa" \
	    "$(ratio "$b" "$a")" ""
done
row "1,000,000 identities, 32 clients" "" "" "$(printf %.0f "$R_1m")" "$P_1m" \
    "$(ratio "$R_1m" "${R_us_32:-0}")" ""
echo "1,000,000 identities: start to first correct answer ${LOAD_1M} s, RSS ${RSS_1M:-?}"
echo "(ratio = policyd-ccert/postfwd; ceiling rows: policyd-ccert/ceiling; 1M row: 1M/1k rate; p99 x = postfwd p99 / policyd-ccert p99)"
