#!/bin/sh
# bench/run-storm.sh - tlsmap's dynamic map: cached answers during a storm
#
# tlsmap serves 1,000 domains from its dynamic map's cache (bench/
# dyn_cache.py fills the cache file as run-cost.sh does). The baseline
# point asks only those, at BENCH_CLIENTS (default 32) connections. Then
# the same load runs while a second load asks BENCH_STORM (default
# 10,000) distinct cold domains at once over BENCH_STORM_CLIENTS (default
# 2,000) connections: each one not cached starts a resolution, up to
# max_resolutions (1,000) at once; past that the answer is TEMP at once. The cold names
# are under a stub zone whose server is a closed loopback port, and the
# only trust anchor is a made-up one for that zone: no query leaves the
# machine, every resolution ends in a resolver failure and so in TEMP
# (which pfh-load checks), at the latest at dns_timeout. What is measured
# is whether the resolutions in flight (up to max_resolutions, then TEMP
# at once) slow the loop for the cached answers: their p99, against the
# bound of 5 ms.
#
# Needs a build tree with bench/pfh-load and tlsmap/tlsmap (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"

need_prog python3 python3
need_built tlsmap/tlsmap
bench_init

PORT=${BENCH_PORT:-10980}
P_OURS=$((PORT + 1))
P_DYN=$PORT
STORM=${BENCH_STORM:-10000}
STORM_CLIENTS=${BENCH_STORM_CLIENTS:-2000}
CLIENTS=${BENCH_CLIENTS:-32}
port_free "$P_DYN"

socketmap_setup
# no root: the one anchor is for the stub zone, so nothing asks the root
echo "example. IN DS 12345 13 2 $(printf '%064d' 0)" >"$WORK/anchor.ds"
cat >>"$WORK/tlsmap-dyn.conf" <<EOF
dns_trust_anchor_file = $WORK/anchor.ds
dns_timeout = 5s
# one peer opens all the storm's connections at once
max_new_connections_per_peer = 100000
EOF
awk -v n="$STORM" 'BEGIN { for (i = 1; i <= n; i++)
    printf "postfix cold-%d.bench.example TEMP\n", i }' >"$WORK/specs-cold"

say "tlsmap, dynamic map, cached"
start_tlsmap "$WORK/tlsmap-dyn.conf" tlsmap-dyn
PID=$LAST_PID
wait_ready socketmap "inet:127.0.0.1:$P_DYN" "$FIRST" ||
    die "tlsmap does not answer: $(tail -3 "$WORK/tlsmap-dyn.log")"
load "cached-c$CLIENTS" -p socketmap -c "$CLIENTS" -f "$WORK/specs" \
    "inet:127.0.0.1:$P_DYN"
R_base=$RPS P_base=$P99_MS E_base=$ERRS

say "the same, with $STORM cold domains asked at once"
"$PFH_LOAD" -q -e 3 -T 30000 -p socketmap -c "$STORM_CLIENTS" -n "$STORM" \
    -f "$WORK/specs-cold" "inet:127.0.0.1:$P_DYN" >"$WORK/storm.out" \
    2>"$WORK/storm.err" &
STORM_PID=$!
LOAD_WARMUP=0 load "cached-c$CLIENTS-storm" -p socketmap -c "$CLIENTS" \
    -f "$WORK/specs" "inet:127.0.0.1:$P_DYN"
R_storm=$RPS P_storm=$P99_MS E_storm=$ERRS
wait "$STORM_PID"
S_LINE=$(tail -1 "$WORK/storm.out")
bg_stop "$PID"

machine_info
printf '\ntlsmap dynamic map: cached answers, %s clients, alone and during %s cold lookups over %s connections\n' \
    "$CLIENTS" "$STORM" "$STORM_CLIENTS"
printf '%-34s %10s %8s %7s\n' "point" "req/s" "p99 ms" "errors"
printf '%-34s %10.0f %8s %7s\n' "cached alone" "$R_base" "$P_base" "$E_base"
printf '%-34s %10.0f %8s %7s\n' "cached during the storm" "$R_storm" "$P_storm" "$E_storm"
printf 'storm: %s answers (all TEMP: %s mismatches), %s s\n' \
    "$(kv replies "$S_LINE")" "$(kv mismatch "$S_LINE")" "$(kv elapsed "$S_LINE")"
awk -v p="$P_storm" 'BEGIN { printf "p99 during the storm: %s ms (bound 5 ms): %s\n", p,
    (p <= 5 ? "met" : "NOT met") }'
