#!/bin/sh
# bench/run-dovecot.sh - saslauthd-lite against Dovecot's own auth server,
# on the protocol Postfix speaks with smtpd_sasl_type = dovecot
#
# Both check the same accounts with the same hashes (sha512crypt,
# BENCH_HASH=yescrypt for yescrypt): saslauthd-lite's pwfile
# ("user:HASH") and a Dovecot passwd-file ("user:{CRYPT}HASH"). Dovecot
# is a private instance (dovecot -F -c CONF in the work directory, no
# mail protocols, its auth and auth-worker services as root), as
# tests/proto/test_saslauthd_dovecot.py starts it. pfh-load -p dovecot is
# the client: per connection the handshake Postfix does (VERSION, CPID,
# the server's lines up to DONE), then one AUTH PLAIN line per request
# (service=smtp nologin lip= rip= secured resp=), one in flight, the
# connection kept.
#
# The method is run-cost.sh's (lib.sh: cost): every server pinned to one
# core (taskset -c 0), pfh-load to the other (taskset -c 1); the CPU a
# server spent is utime + stime of its whole process tree read from
# /proc before and after each window (Dovecot's master, auth, auth-worker,
# log, anvil, config and stats processes; saslauthd-lite's threads), and
# divided by the answers pfh-load counted. Beside them, the floor:
# pfh-load -p dovecot --serve-constant, the constant-reply server on the
# same ev/conn code that parses each line with saslauthd-lite's parser
# and answers OK. All servers run at once, idle but the measured one, in
# BENCH_ROUNDS rounds (default 5) because the machine is noisy; ratios are
# taken within a round, and the table shows medians over the rounds.
#
# Cases:
#   cached     the same user and password again and again: saslauthd-lite
#              with cache = yes, Dovecot with auth_cache_size = 10M;
#   uncached   cache = no and auth_cache_size = 0: every answer hashes;
#   attack     the cached servers, 8 clients logging in correctly (each
#              request from one of 8 addresses, rip=), alone and while 8
#              guessing clients, each its own pfh-load with its own rip=,
#              send wrong passwords for another account. Both servers keep
#              their defaults against guessing: saslauthd-lite's throttle
#              (per login and per address), Dovecot's auth penalty (per
#              address, auth_failure_delay = 2 s). Reported: the correct
#              logins' success rate, rate, p50 and p99, and the CPU per
#              correct login, alone and under attack.
# Logging: saslauthd-lite with its default, one "auth:" line per request
# to a file (-d); Dovecot with its default (no line per request) to its
# log_path.
#
# Needs root (Dovecot's auth runs as root here), dovecot-core, taskset,
# two cores and a build tree with bench/pfh-load and saslauthd-lite
# (PFH_BUILDDIR). Knobs: BENCH_TIME, BENCH_WARMUP, BENCH_ROUNDS,
# BENCH_COST_CLIENTS (8), BENCH_HASH, BENCH_SERVER_CPU, BENCH_LOAD_CPU,
# BENCH_DOVECOT_ATTACK=0 (the cost rows only).
. "$(dirname "$0")/lib.sh"

need_root
need_prog dovecot dovecot-core
need_built saslauthd-lite/saslauthd-lite
need_built saslauthd-lite/saslauthd-lite-passwd
bench_init
cost_init
HASH=${BENCH_HASH:-sha512crypt}
LITE=$BUILDDIR/saslauthd-lite/saslauthd-lite
DOVECOT=$(PATH=$PATH:/usr/sbin command -v dovecot)

# ---- accounts: the same hashes for both ----------------------------------
USER1=pfhbench1
USER2=pfhbench2
# Random per run: nothing here is a real secret, but nothing is reused.
PW1=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
PW2=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
umask 077
for u in "$USER1:$PW1" "$USER2:$PW2"; do
	printf '%s\n' "${u#*:}" |
	    "$BUILDDIR/saslauthd-lite/saslauthd-lite-passwd" -m "$HASH" "${u%%:*}" ||
	    die "saslauthd-lite-passwd -m $HASH failed"
done >"$WORK/lite.passwd"
sed 's/:/:{CRYPT}/' "$WORK/lite.passwd" >"$WORK/dovecot.users"
# the correct logins, from 8 client addresses in turn
for i in 1 2 3 4 5 6 7 8; do
	echo "$USER1 $PW1 smtp 198.51.100.$i OK"
done >"$WORK/good.specs"
# guesser N: its own address, wrong passwords for the other account
for i in 1 2 3 4 5 6 7 8; do
	for k in 1 2 3 4 5 6 7 8; do
		echo "$USER2 guess$i-$k smtp 203.0.113.$i FAIL"
	done >"$WORK/guess$i.specs"
done
umask 022

# ready ENDPOINT - until a correct login is answered OK (30 s)
ready() {
	_n=300
	while [ "$_n" -gt 0 ]; do
		"$PFH_LOAD" -q -e 0 -T 2000 -p dovecot -n 1 -f "$WORK/good.specs" \
		    "$1" >/dev/null 2>&1 && return 0
		kill -0 "$LAST_PID" 2>/dev/null || return 1
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# start_lite_dc NAME CACHE - saslauthd-lite (cache = CACHE) with its
# Dovecot socket $WORK/NAME/auth; LAST_PID, EP
start_lite_dc() {
	mkdir -p "$WORK/$1/run"
	cat >"$WORK/$1.conf" <<EOF
run_dir = $WORK/$1/run
pwfile = $WORK/lite.passwd
cache = $2
dovecot_listen = unix:$WORK/$1/auth
EOF
	bg_start "$1" $SERVER_PREFIX "$LITE" -C "$WORK/$1.conf" -d
	EP=unix:$WORK/$1/auth
	ready "$EP" || die "saslauthd-lite ($1) does not answer: $(tail -3 "$WORK/$1.log")"
}

# start_dovecot NAME CACHE_SIZE - a private Dovecot, only its auth
# service, the passwd-file with the same hashes; LAST_PID (the master), EP
start_dovecot() {
	_d=$WORK/$1
	mkdir -p "$_d/base" "$_d/state"
	cat >"$_d.conf" <<EOF
protocols =
base_dir = $_d/base
state_dir = $_d/state
log_path = $_d/dovecot.log
ssl = no
auth_mechanisms = plain login
auth_cache_size = $2
auth_cache_ttl = 1 hour
passdb {
  driver = passwd-file
  args = $WORK/dovecot.users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  user = root
  unix_listener $_d/auth {
    mode = 0600
  }
}
service auth-worker {
  user = root
}
EOF
	bg_start "$1" $SERVER_PREFIX "$DOVECOT" -F -c "$_d.conf"
	EP=unix:$_d/auth
	ready "$EP" || die "Dovecot ($1) does not answer: $(tail -3 "$_d/dovecot.log" "$WORK/$1.log" 2>/dev/null)"
}

say "Dovecot $("$DOVECOT" --version 2>/dev/null) vs saslauthd-lite, Dovecot auth protocol, $HASH"
start_constant floor-dc dovecot "unix:$WORK/floor.sock" "u p smtp 127.0.0.1 OK"
PID_floor=$LAST_PID EP_floor=unix:$WORK/floor.sock
start_lite_dc lite-c yes
PID_lite_c=$LAST_PID EP_lite_c=$EP
start_lite_dc lite-nc no
PID_lite_nc=$LAST_PID EP_lite_nc=$EP
start_dovecot dove-c 10M
PID_dove_c=$LAST_PID EP_dove_c=$EP
start_dovecot dove-nc 0
PID_dove_nc=$LAST_PID EP_dove_nc=$EP

# ---- CPU per answer: floor, then both servers cached, then uncached -------
round=1
while [ "$round" -le "$ROUNDS" ]; do
	say "  round $round"
	for n in floor lite_c dove_c lite_nc dove_nc; do
		eval "cost $n \"\$PID_$n\" -p dovecot -T 60000 -f \"\$WORK/good.specs\" \"\$EP_$n\""
	done
	round=$((round + 1))
done

# ---- attack: correct logins alone, then beside 8 guessers -----------------
# legit NAME PID EP - one cost point of the correct logins, and their
# success rate (%), rate, p50 and p99 (ms) in S_, R_, M_, Q_<NAME>_<round>
legit() {
	cost "$1" "$2" -p dovecot -T 60000 -f "$WORK/good.specs" "$3"
	eval "$(printf '%s\n' "$LINE" | awk -v n="$1_$round" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		t = v["ok"] + v["errors"]
		printf "S_%s=%s R_%s=%.0f M_%s=%.2f Q_%s=%.2f\n",
		    n, (t > 0 ? sprintf("%.2f", 100 * v["ok"] / t) : "-"),
		    n, (v["elapsed"] > 0 ? v["ok"] / v["elapsed"] : 0),
		    n, v["p50_us"] / 1000, n, v["p99_us"] / 1000 }')"
}

# guessers EP - 8 guessing clients in the background, for the warm-up and
# the window of one point; their answers go to $WORK/guess<N>.kv
guessers() {
	_gt=$(awk -v w="$BENCH_WARMUP" -v t="$BENCH_TIME" 'BEGIN { print w + t + 1 }')
	GUESS_PIDS=
	for i in 1 2 3 4 5 6 7 8; do
		$LOAD_PREFIX "$PFH_LOAD" -q -e 0 -T 60000 -t "$_gt" -c 1 -p dovecot \
		    -f "$WORK/guess$i.specs" "$1" >"$WORK/guess$i.kv" 2>/dev/null &
		GUESS_PIDS="$GUESS_PIDS $!"
	done
}

# guessers_done NAME - wait for them; G_<NAME>_<round>: guesses answered
# per second, all 8 together, and how many of those answers were not FAIL
guessers_done() {
	for p in $GUESS_PIDS; do
		wait "$p"
	done
	eval "$(cat "$WORK"/guess[1-8].kv | awk -v n="$1_$round" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		r += v["elapsed"] > 0 ? v["replies"] / v["elapsed"] : 0
		bad += v["mismatch"] } END {
		printf "G_%s=%.1f X_%s=%d\n", n, r, n, bad }')"
	eval "say \"    guessers: \$G_$1_$round answers/s, \$X_$1_$round not FAIL\""
}

if [ "${BENCH_DOVECOT_ATTACK:-1}" != 0 ]; then
	round=1
	while [ "$round" -le "$ROUNDS" ]; do
		say "  attack round $round"
		for s in lite dove; do
			eval "_pid=\$PID_${s}_c _ep=\$EP_${s}_c"
			legit "${s}_alone" "$_pid" "$_ep"
			guessers "$_ep"
			legit "${s}_attack" "$_pid" "$_ep"
			guessers_done "${s}_attack"
		done
		round=$((round + 1))
	done
fi

# ---- the tables -------------------------------------------------------------
# arow LABEL NAME - one row of the attack table
arow() {
	printf '%-28s %9s %8s %7s %8s %9s %6s %10s\n' "$1" \
	    "$(median $(vals_of R "$2"))" "$(median $(vals_of S "$2"))" \
	    "$(median $(vals_of M "$2"))" "$(median $(vals_of Q "$2"))" \
	    "$(median $(vals_of C "$2"))" "$(median $(vals_of B "$2"))" \
	    "$(median $(vals_of G "$2"))"
}

machine_info
printf '\nDovecot %s auth vs saslauthd-lite, Dovecot auth protocol (AUTH PLAIN, persistent), %s\n' \
    "$("$DOVECOT" --version 2>/dev/null | cut -d' ' -f1)" "$HASH"
printf 'CPU per answer: server on cpu %s, pfh-load on cpu %s, %s clients, %s s x %s rounds (medians)\n' \
    "${BENCH_SERVER_CPU:-0}" "${BENCH_LOAD_CPU:-1}" "$CLIENTS" "$BENCH_TIME" "$ROUNDS"
crow "server" "us/answer" "floor us" "x floor" "dovecot us" "x dovecot"
cost_row "saslauthd-lite cached" lite_c floor dove_c
cost_row "saslauthd-lite uncached" lite_nc floor dove_nc
cost_row "Dovecot cached" dove_c floor none
cost_row "Dovecot uncached" dove_nc floor none
echo "(x floor = server / floor, x dovecot = saslauthd-lite / Dovecot: medians of the per-round ratios; cached: cache = yes, auth_cache_size = 10M)"
if [ "${BENCH_DOVECOT_ATTACK:-1}" != 0 ]; then
	printf '\nattack: %s clients logging in correctly (rip= 198.51.100.1-8), alone and beside 8 guessing\n' "$CLIENTS"
	printf 'clients (wrong passwords for another account, each from its own rip= 203.0.113.N); cached servers\n'
	printf '%-28s %9s %8s %7s %8s %9s %6s %10s\n' "server" "logins/s" "success%" \
	    "p50 ms" "p99 ms" "us/login" "busy%" "guesses/s"
	arow "saslauthd-lite alone" lite_alone
	arow "saslauthd-lite under attack" lite_attack
	arow "Dovecot alone" dove_alone
	arow "Dovecot under attack" dove_attack
	echo "(us/login: the server's CPU in the window over the correct logins answered; busy%: the server core's share spent by the server; guesses/s: the guessers' answers, all FAIL)"
fi
printf '\nper round (us/answer):\n'
for n in floor lite_c dove_c lite_nc dove_nc lite_alone lite_attack dove_alone \
    dove_attack; do
	printf '  %-13s %s\n' "$n" "$(rounds_of "$n")"
done
