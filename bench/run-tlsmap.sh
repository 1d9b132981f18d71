#!/bin/sh
# bench/run-tlsmap.sh - postfix-mta-sts-resolver and postmap vs tlsmap
#
# 1,000 destinations, each with the policy MTA-STS gives an enforcing
#   domain: "secure match=mx1.<domain> servername=hostname".
# postfix-mta-sts-resolver answers them from a warm cache: its sqlite cache
#   (the Debian default backend) is filled before the run with a fresh
#   entry per domain and cache_grace is one day, so it never goes to the
#   network (not the NOTFOUND path: every answer is an "OK secure ...").
# tlsmap serves the same policies from its static policy map.
# Both: persistent loopback TCP connections (one per Postfix process) at
#   1, 32 and 256 clients, requests rotating over the 1,000 keys, every
#   answer checked. One server runs at a time. A second point at 32 clients
#   asks the parent-domain keys (".domain") smtp(8) walks through, which
#   both answer NOTFOUND without a lookup.
# Postfix's own `postmap -q - hash:` over the same keys gives the
#   in-process lookup rate (no socket, no protocol) for reference.
# Then a 1,000,000-entry policy table: time from starting tlsmap to its
#   first correct answer for the last entry, and tlsmap's rate on it.
#
# Needs postfix-mta-sts-resolver and postfix (postmap) from Debian, and a
# build tree with bench/pfh-load and tlsmap/tlsmap (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"

need_prog mta-sts-daemon postfix-mta-sts-resolver
need_prog postmap postfix
need_prog python3 python3
need_built tlsmap/tlsmap
bench_init

POSTMAP=$(PATH=$PATH:/usr/sbin command -v postmap)
PORT=${BENCH_PORT:-10970}
P_MSR=$PORT
P_OURS=$((PORT + 1))
P_CEIL=$((PORT + 2))
CLIENTS=${BENCH_CLIENTS:-"1 32 256"}

port_free "$P_MSR"
port_free "$P_OURS"
port_free "$P_CEIL"

socketmap_setup

say "postfix-mta-sts-resolver (warm sqlite cache)"
start_msr
for c in $CLIENTS; do
	load "msr-c$c" -p socketmap -c "$c" -f "$WORK/specs" "inet:127.0.0.1:$P_MSR"
	eval "R_msr_$c=\$RPS P_msr_$c=\$P99_MS"
done
load "msr-parent-c32" -p socketmap -c 32 -f "$WORK/specs-parent" "inet:127.0.0.1:$P_MSR"
R_msr_par=$RPS P_msr_par=$P99_MS
bg_stop "$LAST_PID"

say "tlsmap"
start_tlsmap "$WORK/tlsmap.conf" tlsmap
wait_ready socketmap "inet:127.0.0.1:$P_OURS" "$FIRST" ||
    die "tlsmap does not answer: $(tail -3 "$WORK/tlsmap.log")"
for c in $CLIENTS; do
	load "tlsmap-c$c" -p socketmap -c "$c" -f "$WORK/specs" "inet:127.0.0.1:$P_OURS"
	eval "R_us_$c=\$RPS P_us_$c=\$P99_MS"
done
load "tlsmap-parent-c32" -p socketmap -c 32 -f "$WORK/specs-parent" "inet:127.0.0.1:$P_OURS"
R_us_par=$RPS P_us_par=$P99_MS
bg_stop "$LAST_PID"

say "ceiling"
start_constant ceiling socketmap "inet:127.0.0.1:$P_CEIL" "$FIRST" \
    -a "OK secure match=mx1.bench-1.example servername=hostname"
for c in $CLIENTS; do
	load "ceiling-c$c" -p socketmap -c "$c" -r "$FIRST" "inet:127.0.0.1:$P_CEIL"
	eval "R_ceil_$c=\$RPS P_ceil_$c=\$P99_MS"
done
bg_stop "$LAST_PID"

say "postmap -q - hash: (in-process)"
# a private config directory: postmap wants a main.cf, not ours to touch
mkdir -p "$WORK/postfix"
echo "compatibility_level = 3.6" >"$WORK/postfix/main.cf"
POSTMAP="$POSTMAP -c $WORK/postfix"
$POSTMAP "hash:$WORK/tls_policy" || die "postmap hash:$WORK/tls_policy failed"
LOOKUPS=${BENCH_POSTMAP_LOOKUPS:-1000000}
awk -v n="$LOOKUPS" '{ k[NR] = $1 } END { for (i = 0; i < n; i++) print k[i % NR + 1] }' \
    "$WORK/domains" >"$WORK/postmap-keys"
t0=$(now)
FOUND=$($POSTMAP -q - "hash:$WORK/tls_policy" <"$WORK/postmap-keys" | wc -l)
T_PM=$(elapsed "$t0")
[ "$FOUND" = "$LOOKUPS" ] || die "postmap found $FOUND of $LOOKUPS keys"
R_pm=$(awk -v n="$LOOKUPS" -v t="$T_PM" 'BEGIN { printf "%.0f", n / t }')
say "  postmap: $LOOKUPS lookups in $T_PM s"

say "1,000,000 entries"
awk 'BEGIN { for (i = 1; i <= 1000000; i++)
    printf "big-%d.example secure match=mx1.big-%d.example servername=hostname\n", i, i }' \
    >"$WORK/tls_policy-1m"
awk 'NR % 1000 == 0 { printf "postfix %s OK secure match=mx1.%s\n", $1, $1 }' \
    "$WORK/tls_policy-1m" >"$WORK/specs-1m"
sed "s|$WORK/tls_policy\$|$WORK/tls_policy-1m|" "$WORK/tlsmap.conf" >"$WORK/tlsmap-1m.conf"
t0=$(now)
start_tlsmap "$WORK/tlsmap-1m.conf" tlsmap-1m
if wait_ready socketmap "inet:127.0.0.1:$P_OURS" \
    "postfix big-1000000.example OK secure match=mx1.big-1000000.example" 120; then
	LOAD_1M=$(elapsed "$t0")
	RSS_1M=$(awk '/^VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$LAST_PID/status")
	load "tlsmap-1m-c32" -p socketmap -c 32 -f "$WORK/specs-1m" "inet:127.0.0.1:$P_OURS"
	R_1m=$RPS P_1m=$P99_MS
else
	LOAD_1M="failed: $(tail -2 "$WORK/tlsmap-1m.log")"
	R_1m=0 P_1m=-
fi
bg_stop "$LAST_PID"
t0=$(now)
$POSTMAP "hash:$WORK/tls_policy-1m" && T_PMBUILD=$(elapsed "$t0")

machine_info
table_head "socketmap: postfix-mta-sts-resolver $(dpkg-query -W -f '${Version}' postfix-mta-sts-resolver 2>/dev/null) (warm sqlite cache) vs tlsmap, 1,000 domains, loopback TCP" msr tlsmap
for c in $CLIENTS; do
	eval "a=\$R_msr_$c pa=\$P_msr_$c b=\$R_us_$c pb=\$P_us_$c"
	row "$c clients" "$(printf %.0f "$a")" "$pa" "$(printf %.0f "$b")" "$pb" \
	    "$(ratio "$b" "$a")" "$(ratio "$pa" "$pb")"
done
row "32 clients, parent keys (NOTFOUND)" "$(printf %.0f "$R_msr_par")" "$P_msr_par" \
    "$(printf %.0f "$R_us_par")" "$P_us_par" "$(ratio "$R_us_par" "$R_msr_par")" \
    "$(ratio "$P_msr_par" "$P_us_par")"
for c in $CLIENTS; do
	eval "a=\$R_ceil_$c pa=\$P_ceil_$c b=\$R_us_$c"
	row "ceiling (constant), $c clients" "" "" "$(printf %.0f "$a")" "$pa" \
	    "$(ratio "$b" "$a")" ""
done
row "postmap -q - hash: (in-process)" "" "" "$R_pm" "" "" ""
row "1,000,000 entries, 32 clients" "" "" "$(printf %.0f "$R_1m")" "$P_1m" \
    "$(ratio "$R_1m" "${R_us_32:-0}")" ""
echo "1,000,000 entries: tlsmap start to first correct answer ${LOAD_1M} s, RSS ${RSS_1M:-?}; postmap hash: build ${T_PMBUILD:-?} s"
echo "(ratio = tlsmap/msr; ceiling rows: tlsmap/ceiling; 1M row: 1M/1k rate; p99 x = msr p99 / tlsmap p99)"
