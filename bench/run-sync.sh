#!/bin/sh
# bench/run-sync.sh - pfhelpers-sync: from COMMIT to every host answering
#
# Three hosts simulated on one machine, against one throwaway PostgreSQL
# cluster (as fleet.md 3a starts it: fsync off, a test cluster) on
# 127.0.0.1:$BENCH_PG_PORT. Each host h1..h3 has its own directory with
# its own pfhelpers-sync agent (two feeds over one connection: a
# saslauthd-lite password file from mail_users, a tlsmap policy table from
# tls_policy) and its own saslauthd-lite and tlsmap reading those files.
# Agents and readers run with their default timings (debounce 50ms; the
# readers see a renamed-in file through inotify at once); saslauthd-lite
# has throttle = no, as the probe sends the old password until the new one
# works.
#
# Measured (bench/sync_probe.py):
#   the initial sync of a $BENCH_ROWS-row (default 100,000) mail_users
#   table: from the agent's start to the file written (its .state says
#   so) and to saslauthd-lite accepting the table's last user; first one
#   host alone, then the other two starting together;
#   then $BENCH_CHANGES (default 100) commits of each kind, one at a time:
#   a new password for one user, a new policy for one destination; from
#   the moment the COMMIT returned to psql to the moment the slowest of
#   the three hosts' daemons answers the new way: p50, p99, max; and to
#   the moment the slowest host's agent had replaced its file.
#
# Needs root (initdb runs as the postgres user), postgresql-15, and a
# build tree with sync/pfhelpers-sync, saslauthd-lite/saslauthd-lite,
# tlsmap/tlsmap and bench/pfh-load (PFH_BUILDDIR).
. "$(dirname "$0")/lib.sh"

ROWS=${BENCH_ROWS:-100000}
CHANGES=${BENCH_CHANGES:-100}
PG_PORT=${BENCH_PG_PORT:-55433}
PROBE="python3 $(dirname "$0")/sync_probe.py"

need_root
need_prog psql postgresql-client-15
need_prog runuser util-linux
need_built sync/pfhelpers-sync
need_built saslauthd-lite/saslauthd-lite
need_built tlsmap/tlsmap
PGBIN=$(pg_config --bindir 2>/dev/null)
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
[ -x "$PGBIN/initdb" ] || skip "initdb not found: install the Debian package postgresql-15"
id postgres >/dev/null 2>&1 || skip "no postgres user: install the Debian package postgresql-15"
python3 -c 'import crypt' 2>/dev/null || skip "python3 has no crypt module"
bench_init
port_free "$PG_PORT"

# ---- the store ---------------------------------------------------------
PGD=$WORK/pg
mkdir "$PGD" && chown postgres:postgres "$PGD"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres -A trust \
    -E UTF8 --locale=C.UTF-8 -N --no-instructions >"$WORK/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -3 "$WORK/initdb.log")"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" \
    -w -t 30 -o "-k $PGD -p $PG_PORT -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1 || die "PostgreSQL did not start: $(tail -3 "$PGD/server.log")"
PG_PID=$(head -1 "$PGD/data/postmaster.pid")
at_cleanup "kill -INT $PG_PID; while kill -0 $PG_PID 2>/dev/null; do sleep 0.1; done"
PSQL="psql -X -q -At -v ON_ERROR_STOP=1 -h $PGD -p $PG_PORT -U postgres -d postgres"

# Every user of the big table has the same sha256crypt hash (the agent
# and saslauthd-lite check each hash's syntax, never verify it on load).
H0=$(python3 -W ignore -c 'import crypt, sys; print(crypt.crypt("pw-initial", "$5$rounds=1000$pfhbench0"))')
say "loading the store: $ROWS users, 1,000 TLS policies"
{
	cat "$(dirname "$0")/../sync/pfhelpers-sync.sql"
	cat <<EOF
CREATE TABLE mail_users (login text PRIMARY KEY, hash text NOT NULL);
CREATE TRIGGER mail_users_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON mail_users FOR EACH STATEMENT EXECUTE FUNCTION pfhelpers_sync_notify('mail_users');
CREATE TABLE tls_policy (nexthop text PRIMARY KEY, policy text NOT NULL);
CREATE TRIGGER tls_policy_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON tls_policy FOR EACH STATEMENT EXECUTE FUNCTION pfhelpers_sync_notify('tls_policy');
INSERT INTO mail_users SELECT 'u' || g, '$H0' FROM generate_series(0, $ROWS - 2) g;
INSERT INTO mail_users VALUES ('bench', '$H0');
INSERT INTO tls_policy SELECT 'd' || g || '.example', 'secure match=mx.d' || g || '.example'
  FROM generate_series(1, 999) g;
INSERT INTO tls_policy VALUES ('bench.example', 'may');
EOF
} | $PSQL >"$WORK/load-sql.log" 2>&1 || die "loading the store failed: $(tail -3 "$WORK/load-sql.log")"
# u<ROWS-2> is the last row inserted; with "bench" the table has ROWS rows
LAST=u$((ROWS - 2))

# ---- the hosts ---------------------------------------------------------
HOSTS="h1 h2 h3"
for h in $HOSTS; do
	d=$WORK/$h
	mkdir -p "$d/out" "$d/sasl"
	# the readers start on a small earlier table, as on a host that ran
	printf 'seed:%s\n' "$H0" >"$d/out/passwd"
	chmod 600 "$d/out/passwd"
	echo "seed.example may" >"$d/out/tls_policy"
	cat >"$d/sync.conf" <<EOF
feeds = auth tls
auth_source = pgsql:hostaddr=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres sslmode=disable application_name=pfh-bench-$h
auth_format = pwfile
auth_output = $d/out/passwd
auth_query = SELECT login, hash FROM mail_users ORDER BY 1
auth_notify_channel = mail_users
tls_source = pgsql:hostaddr=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres sslmode=disable application_name=pfh-bench-$h
tls_format = policy
tls_output = $d/out/tls_policy
tls_query = SELECT nexthop, policy FROM tls_policy ORDER BY 1
tls_notify_channel = tls_policy
max_delete_fraction = 1
EOF
	cat >"$d/sasl.conf" <<EOF
run_dir = $d/sasl
pwfile = $d/out/passwd
throttle = no
EOF
	cat >"$d/tlsmap.conf" <<EOF
listen = unix:$d/tlsmap.sock
maps = postfix=policy:$d/out/tls_policy
EOF
	bg_start "$h-sasl" "$BUILDDIR/saslauthd-lite/saslauthd-lite" -C "$d/sasl.conf" -d
	wait_ready sasl "unix:$d/sasl/mux" "seed pw-initial smtp - OK" ||
	    die "$h: saslauthd-lite does not answer: $(tail -3 "$WORK/$h-sasl.log")"
	bg_start "$h-tlsmap" "$BUILDDIR/tlsmap/tlsmap" -c "$d/tlsmap.conf" -d
	wait_ready socketmap "unix:$d/tlsmap.sock" "postfix seed.example OK may" ||
	    die "$h: tlsmap does not answer: $(tail -3 "$WORK/$h-tlsmap.log")"
done

# start_agent HOST - its pfhelpers-sync, in the foreground (-d)
start_agent() {
	bg_start "$1-sync" "$BUILDDIR/sync/pfhelpers-sync" -c "$WORK/$1/sync.conf" -d
}

# initial NAME HOST... - start the hosts' agents together, the probe
# already running (its start is not in the time); its lines in $INIT
initial() {
	_go=$WORK/$1.go
	shift
	_hd=""
	for _h in "$@"; do _hd="$_hd $WORK/$_h"; done
	$PROBE initial "$_go" "$ROWS" "$LAST" $_hd >"$_go.out" &
	_probe=$!
	while [ ! -e "$_go.ready" ]; do sleep 0.02; done
	now >"$_go.t0"
	for _h in "$@"; do start_agent "$_h"; done
	mv "$_go.t0" "$_go"
	wait "$_probe" || die "$* did not sync: $(cat "$_go.out")"
	INIT=$(cat "$_go.out")
	say "$INIT"
}

say "initial sync, one host alone"
initial one h1
INIT1=$INIT
say "initial sync, two hosts together"
initial two h2 h3
INIT23=$INIT
grep -h "rows written" "$WORK"/h?-sync.log | sed 's/^/  /' >&2

say "$CHANGES changes of each kind, one at a time"
CH=$($PROBE changes "$CHANGES" $PSQL -- "$WORK/h1" "$WORK/h2" "$WORK/h3") ||
    die "the changes did not arrive: $CH"

machine_info
printf '\npfhelpers-sync: 3 hosts (agent + saslauthd-lite + tlsmap each), one PostgreSQL %s\n' \
    "$($PSQL -c 'SHOW server_version' | cut -d' ' -f1)"
printf '%-34s %9s %9s\n' "initial sync of $ROWS users (s)" "written" "answers"
printf '%s\n%s\n' "$INIT1" "$INIT23" | while read -r _ host rows w a; do
	printf '%-34s %9s %9s\n' "$(kv host "$host") ($( [ "$(kv host "$host")" = h1 ] && echo alone || echo 'two together'))" \
	    "$(kv written_s "$w")" "$(kv answered_s "$a")"
done
printf '%-34s %9s %9s %9s %9s %9s\n' "COMMIT -> all 3 hosts (ms)" \
    "file p50" "file p99" "ans. p50" "ans. p99" "ans. max"
printf '%s\n' "$CH" | while read -r kind n p50 p99 max fp50 fp99; do
	printf '%-34s %9s %9s %9s %9s %9s\n' "$(kv kind "$kind"), $(kv n "$n") changes" \
	    "$(kv file_p50_ms "$fp50")" "$(kv file_p99_ms "$fp99")" \
	    "$(kv p50_ms "$p50")" "$(kv p99_ms "$p99")" "$(kv max_ms "$max")"
done
