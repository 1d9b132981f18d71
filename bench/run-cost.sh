#!/bin/sh
# bench/run-cost.sh - CPU per answer: each daemon, its floor and its peer
#
# Every server runs pinned to one core (taskset -c 0), pfh-load to the other
# (taskset -c 1). A point is one pfh-load run of BENCH_TIME seconds at
# BENCH_COST_CLIENTS (8) clients, after an unmeasured warm-up run; around
# it the server's CPU is read from /proc: utime + stime of every process of
# its tree (all threads, every child it forked, and what it reaped of them:
# Cyrus's workers, postfwd's children), before and after. CPU per answer =
# that difference / the replies pfh-load counted.
#
# Per protocol, beside the daemons, in the same run:
#   the floor: pfh-load --serve-constant, the constant-reply server built
#     on the same ev/conn/codec code the daemons use;
#   the peer, started and fed as run-saslauthd.sh, run-policyd.sh and
#     run-tlsmap.sh do (lib.sh): Cyrus saslauthd (-c for the cached row),
#     postfwd2 (one regex, request cache warm), postfix-mta-sts-resolver
#     (warm sqlite cache).
# All of a protocol's servers run at once, idle but for the one measured;
# they are measured in rounds (floor, daemon(s), peer(s), floor, ...;
# BENCH_ROUNDS, default 5) because the machine is noisy. A ratio is taken
# within a round (daemon / floor of the same round), and the table shows
# the median over rounds of each ratio and of each CPU figure.
#
# Logging: each daemon with its shipped default, in the foreground (-d),
# to a file: saslauthd-lite's "auth:" line and policyd-ccert's
# "decision:" line per request (decision_log = all), tlsmap none (it logs
# lookups only with -v). The peers log as in their scenarios.
#
# A missing peer leaves its columns "-" (the Debian package is named); a
# missing daemon build, root or taskset skips the scenario (77).
. "$(dirname "$0")/lib.sh"

need_root
need_prog useradd passwd
need_prog chpasswd passwd
need_built saslauthd-lite/saslauthd-lite
need_built policyd-ccert/policyd-ccert
need_built tlsmap/tlsmap
bench_init
cost_init
PORT=${BENCH_PORT:-10990}
PROTOS=${BENCH_COST_PROTOS:-"sasl policy socketmap"}

# peer_missing PROGRAM PACKAGE - say so once; true when it is missing (or
# BENCH_COST_PEERS=0 leaves the peers out)
peer_missing() {
	[ "${BENCH_COST_PEERS:-1}" != 0 ] || return 0
	have_prog "$1" && return 1
	say "$1 not found (Debian package $2): its columns stay empty"
	return 0
}

# ---- saslauthd: one connection per request, on unix sockets --------------
cost_sasl() {
	sasl_setup
	NO_CYRUS=
	peer_missing saslauthd sasl2-bin && NO_CYRUS=1
	say "saslauthd: floor, saslauthd-lite -c and not, Cyrus -c and not"
	start_constant floor-sasl sasl "unix:$WORK/floor-sasl.sock" "u p smtp - OK"
	PID_floor_sasl=$LAST_PID
	start_lite -c lite-c
	PID_lite_c=$LAST_PID MUX_lite_c=$MUX
	start_lite "" lite-nc
	PID_lite_nc=$LAST_PID MUX_lite_nc=$MUX
	if [ -z "$NO_CYRUS" ]; then
		start_cyrus -c cyrus-c
		PID_cyrus_c=$LAST_PID MUX_cyrus_c=$MUX
		start_cyrus "" cyrus-nc
		PID_cyrus_nc=$LAST_PID MUX_cyrus_nc=$MUX
	fi
	round=1
	while [ "$round" -le "$ROUNDS" ]; do
		say "  round $round"
		cost floor_sasl "$PID_floor_sasl" -p sasl $GOOD "unix:$WORK/floor-sasl.sock"
		cost lite_c "$PID_lite_c" -p sasl $GOOD "$MUX_lite_c"
		[ -n "$NO_CYRUS" ] || cost cyrus_c "$PID_cyrus_c" -p sasl $GOOD "$MUX_cyrus_c"
		cost lite_nc "$PID_lite_nc" -p sasl $GOOD "$MUX_lite_nc"
		[ -n "$NO_CYRUS" ] || cost cyrus_nc "$PID_cyrus_nc" -p sasl $GOOD "$MUX_cyrus_nc"
		round=$((round + 1))
	done
	for p in $PID_floor_sasl $PID_lite_c $PID_lite_nc ${PID_cyrus_c:-} ${PID_cyrus_nc:-}; do
		bg_stop "$p"
	done
}

# tcp_rounds PROTO FLOOR DAEMON PEER PEER_PORT NO_PEER [EXTRA EXTRA_PORT] -
# the rounds of a persistent protocol, then stop its servers: FLOOR on
# $P_FLOOR fed $WORK/specs-floor, DAEMON on $P_OURS, EXTRA (another form
# of the daemon) on EXTRA_PORT and PEER on PEER_PORT (unless NO_PEER) fed
# $WORK/specs; PID_<name> are their pids
tcp_rounds() {
	round=1
	while [ "$round" -le "$ROUNDS" ]; do
		say "  round $round"
		eval "cost $2 \"\$PID_$2\" -p $1 -f \"\$WORK/specs-floor\" \
		    inet:127.0.0.1:$P_FLOOR"
		eval "cost $3 \"\$PID_$3\" -p $1 -f \"\$WORK/specs\" \
		    inet:127.0.0.1:$P_OURS"
		[ -z "${7:-}" ] || eval "cost $7 \"\$PID_$7\" -p $1 \
		    -f \"\$WORK/specs\" inet:127.0.0.1:$8"
		[ -n "$6" ] || eval "cost $4 \"\$PID_$4\" -p $1 \
		    -f \"\$WORK/specs\" inet:127.0.0.1:$5"
		round=$((round + 1))
	done
	eval "_pids=\"\$PID_$2 \$PID_$3 \${PID_$4:-} \${PID_${7:-none}:-}\""
	for p in $_pids; do
		bg_stop "$p"
	done
}

# ---- policy: persistent loopback TCP -------------------------------------
cost_policy() {
	P_POSTFWD=$PORT
	P_OURS=$((PORT + 1))
	P_FLOOR=$((PORT + 2))
	for p in "$P_POSTFWD" "$P_OURS" "$P_FLOOR"; do port_free "$p"; done
	policy_setup
	# the floor answers DUNNO to all: the same requests, every answer DUNNO
	awk '{ print $1, "-", "DUNNO" }' "$WORK/fps" >"$WORK/specs-floor"
	NO_POSTFWD=
	peer_missing postfwd2 postfwd && NO_POSTFWD=1
	say "policy: floor, policyd-ccert (decision_log = all), postfwd2"
	start_constant floor-policy policy "inet:127.0.0.1:$P_FLOOR" "AA:BB - DUNNO"
	PID_floor_policy=$LAST_PID
	start_policyd "$WORK/identities"
	PID_policyd=$LAST_PID
	wait_ready policy "inet:127.0.0.1:$P_OURS" "$FIRST_OK" ||
	    die "policyd-ccert does not answer: $(tail -3 "$WORK/policyd.log")"
	if [ -z "$NO_POSTFWD" ]; then
		start_postfwd "$WORK/postfwd-regex.rules"
		PID_postfwd=$LAST_PID
		# every request once (its cache), then long enough for its children
		"$PFH_LOAD" -q -e 0 -T 60000 -p policy -c 32 -n 4000 -f "$WORK/specs" \
		    "inet:127.0.0.1:$P_POSTFWD" >/dev/null 2>&1
		$LOAD_PREFIX "$PFH_LOAD" -q -e 0 -t "$PF_WARMUP" -c "$CLIENTS" -p policy \
		    -f "$WORK/specs" "inet:127.0.0.1:$P_POSTFWD" >/dev/null 2>&1
	fi
	tcp_rounds policy floor_policy policyd postfwd "$P_POSTFWD" "$NO_POSTFWD"
}

# ---- socketmap: persistent loopback TCP ----------------------------------
cost_socketmap() {
	P_MSR=$((PORT + 3))
	P_OURS=$((PORT + 4))
	P_FLOOR=$((PORT + 5))
	P_DYN=$((PORT + 6))
	for p in "$P_MSR" "$P_OURS" "$P_FLOOR" "$P_DYN"; do port_free "$p"; done
	NO_MSR=
	peer_missing mta-sts-daemon postfix-mta-sts-resolver && NO_MSR=1
	socketmap_setup
	FLOOR_ANSWER="OK secure match=mx1.bench-1.example servername=hostname"
	awk '{ print "postfix", $1, "OK secure match=" }' "$WORK/domains" >"$WORK/specs-floor"
	say "socketmap: floor, tlsmap, postfix-mta-sts-resolver"
	start_constant floor-socketmap socketmap "inet:127.0.0.1:$P_FLOOR" "$FIRST" \
	    -a "$FLOOR_ANSWER"
	PID_floor_sm=$LAST_PID
	start_tlsmap "$WORK/tlsmap.conf" tlsmap
	PID_tlsmap=$LAST_PID
	wait_ready socketmap "inet:127.0.0.1:$P_OURS" "$FIRST" ||
	    die "tlsmap does not answer: $(tail -3 "$WORK/tlsmap.log")"
	# the same answers from a dynamic map's cache (socketmap_setup fills
	# it; its DNS points at a closed port, so nothing is resolved)
	start_tlsmap "$WORK/tlsmap-dyn.conf" tlsmap-dyn
	PID_tlsmap_dyn=$LAST_PID
	wait_ready socketmap "inet:127.0.0.1:$P_DYN" "$FIRST" ||
	    die "tlsmap (dynamic) does not answer: $(tail -3 "$WORK/tlsmap-dyn.log")"
	if [ -z "$NO_MSR" ]; then
		start_msr
		PID_msr=$LAST_PID
	fi
	tcp_rounds socketmap floor_sm tlsmap msr "$P_MSR" "$NO_MSR" \
	    tlsmap_dyn "$P_DYN"
}

for proto in $PROTOS; do
	cost_$proto
done

# ---- the table ------------------------------------------------------------
machine_info
printf '\nCPU per answer: server on cpu %s, pfh-load on cpu %s, %s clients, %s s x %s rounds (medians)\n' \
    "${BENCH_SERVER_CPU:-0}" "${BENCH_LOAD_CPU:-1}" "$CLIENTS" "$BENCH_TIME" "$ROUNDS"
crow "daemon" "us/answer" "floor us" "x floor" "peer us" "x peer"
cost_row "saslauthd-lite cached" lite_c floor_sasl cyrus_c
cost_row "saslauthd-lite uncached" lite_nc floor_sasl cyrus_nc
cost_row "policyd-ccert" policyd floor_policy postfwd
cost_row "tlsmap" tlsmap floor_sm msr
cost_row "tlsmap dynamic, cached" tlsmap_dyn floor_sm msr
cost_row "  dynamic / static" tlsmap_dyn tlsmap none
echo "(x floor = daemon / floor, x peer = daemon / peer: the median of the per-round ratios; peers: Cyrus saslauthd -c / without, postfwd2 regex with its cache warm, postfix-mta-sts-resolver with a warm cache)"
printf '\nper round (us/answer):\n'
for n in floor_sasl lite_c cyrus_c lite_nc cyrus_nc floor_policy policyd postfwd \
    floor_sm tlsmap tlsmap_dyn msr; do
	printf '  %-13s %s\n' "$n" "$(rounds_of "$n")"
done
