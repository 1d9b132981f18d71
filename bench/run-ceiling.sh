#!/bin/sh
# bench/run-ceiling.sh - the ceiling of each protocol on this machine
#
# pfh-load --serve-constant answers every request with a constant reply,
# on the same event loop, connection and codec code the daemons use, so
# its rate is what a daemon could reach if its own work cost nothing.
# saslauthd: unix socket, one connection per request, at 1, 8, 32 clients.
# policy and socketmap: loopback TCP, persistent, at 1, 32, 256 clients.
# Needs nothing but a build tree (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"
bench_init

serve() { start_constant "ceiling-$1" "$1" "$2" "$3"; }

machine_info
printf '%-34s %10s %9s\n' "ceiling (constant reply)" "req/s" "p99 ms"

serve sasl "unix:$WORK/mux" "u p smtp - OK"
for c in 1 8 32; do
	load "ceiling-sasl-c$c" -p sasl -c "$c" -r "u p smtp - OK" "unix:$WORK/mux"
	printf '%-34s %10.0f %9s\n' "sasl unix, $c clients" "$RPS" "$P99_MS"
done
bg_stop "$LAST_PID"

PORT=${BENCH_PORT:-10980}
serve policy "inet:127.0.0.1:$PORT" "AA:BB - DUNNO"
for c in 1 32 256; do
	load "ceiling-policy-c$c" -p policy -c "$c" -r "AA:BB - DUNNO" \
	    "inet:127.0.0.1:$PORT"
	printf '%-34s %10.0f %9s\n' "policy tcp, $c clients" "$RPS" "$P99_MS"
done
bg_stop "$LAST_PID"

PORT=$((PORT + 1))
serve socketmap "inet:127.0.0.1:$PORT" "m example.com NOTFOUND"
for c in 1 32 256; do
	load "ceiling-socketmap-c$c" -p socketmap -c "$c" \
	    -r "m example.com NOTFOUND" "inet:127.0.0.1:$PORT"
	printf '%-34s %10.0f %9s\n' "socketmap tcp, $c clients" "$RPS" "$P99_MS"
done
bg_stop "$LAST_PID"
