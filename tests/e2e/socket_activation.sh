#!/bin/sh
# socket_activation - what the contrib/systemd .socket units rely on: each
# daemon adopts the unix socket systemd passes (LISTEN_FDS/LISTEN_PID) when
# its configured endpoint names the same path, serves it, and leaves it in
# place on exit (systemd owns it; a socket the daemon bound itself would be
# unlinked). A passed socket that is not the configured endpoint gets a
# warning naming the endpoint, and the daemon binds its own.
# systemd-socket-activate(1) plays systemd: it binds the socket and starts
# the daemon on the first connection, as a .socket unit does.
# Exit 77 when systemd-socket-activate, testsaslauthd, postmap or python3 is
# missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PFH_BUILDDIR:=$PFH_SRCDIR}"
PATH=$PATH:/usr/sbin:/sbin
export PATH
. "$PFH_SRCDIR/tests/lib/tools.sh"
need_tool systemd-socket-activate testsaslauthd postmap python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfh-sa.XXXXXX") || exit 99
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail=0
check() {	# description, expected (grep -E), actual
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		echo "ok      $1"
	else
		echo "FAILED  $1: wanted /$2/, got: $3"
		fail=1
	fi
}
# activate NAME SOCKET argv... - run under systemd-socket-activate
activate() {
	name=$1 sock=$2
	shift 2
	systemd-socket-activate -l "$sock" "$@" -d >"$tmp/$name.log" 2>&1 &
	eval "pid_$(echo "$name" | tr - _)=$!"
	pids="$pids $!"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# stop NAME - SIGTERM, wait; the daemon must log "stopped" and leave the
# socket systemd made
stop() {
	eval "p=\$pid_$(echo "$1" | tr - _)"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	check "$1 stopped cleanly" ': stopped$' "$(tail -n 1 "$tmp/$1.log")"
	check "$1 left systemd's socket in place" '^yes$' \
	    "$([ -S "$2" ] && echo yes || echo no)"
	check "$1 adopted the socket (no bind error)" '^0$' \
	    "$(grep -c 'Address already in use\|live socket' "$tmp/$1.log")"
	check "$1 did not warn about the passed socket" '^0$' \
	    "$(grep -c 'LISTEN_FDS' "$tmp/$1.log")"
}

# saslauthd-lite: the mux in run_dir
mkdir -m 0750 "$tmp/run"
printf 'demo\n' | "$PFH_BUILDDIR/saslauthd-lite/saslauthd-lite-passwd" demo \
    >"$tmp/passwd" 2>/dev/null || { echo "FAIL: saslauthd-lite-passwd"; exit 1; }
chmod 600 "$tmp/passwd"
activate saslauthd-lite "$tmp/run/mux" \
    "$PFH_BUILDDIR/saslauthd-lite/saslauthd-lite" \
    -o run_dir="$tmp/run" -o pwfile="$tmp/passwd"
check "saslauthd-lite answers on the passed socket" '^0: OK' \
    "$(timeout 20 testsaslauthd -f "$tmp/run/mux" -u demo -p demo -s smtp 2>&1)"
check "saslauthd-lite says NO to a wrong password" '^0: NO' \
    "$(timeout 20 testsaslauthd -f "$tmp/run/mux" -u demo -p wrong -s smtp 2>&1)"
stop saslauthd-lite "$tmp/run/mux"

# tlsmap
printf 'example.com secure\n' >"$tmp/tls_policy"
: >"$tmp/main.cf"
activate tlsmap "$tmp/tlsmap" "$PFH_BUILDDIR/tlsmap/tlsmap" \
    -o listen="unix:$tmp/tlsmap" -o maps="tlspolicy=policy:$tmp/tls_policy"
check "tlsmap answers on the passed socket" '^secure$' \
    "$(timeout 20 postmap -c "$tmp" -q example.com "socketmap:unix:$tmp/tlsmap:tlspolicy" 2>&1)"
stop tlsmap "$tmp/tlsmap"

# A passed socket that is not the configured endpoint: the daemon binds its
# own, and says so once, naming the endpoint (the unit and the config
# disagree; silence would leave systemd's socket unanswered unnoticed).
activate tlsmap-other "$tmp/tlsmap-sd" "$PFH_BUILDDIR/tlsmap/tlsmap" \
    -o listen="unix:$tmp/tlsmap-own" -o maps="tlspolicy=policy:$tmp/tls_policy"
# systemd-socket-activate starts the daemon on the first connection
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.close()
' "$tmp/tlsmap-sd"
i=0
while [ ! -S "$tmp/tlsmap-own" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "tlsmap warns that the passed socket is not its endpoint" \
    "^tlsmap\[[0-9]+\]: warning: unix:$tmp/tlsmap-own: 1 socket passed by systemd \(LISTEN_FDS\), none for this endpoint; binding it here instead\$" \
    "$(grep LISTEN_FDS "$tmp/tlsmap-other.log")"
check "tlsmap warns once" '^1$' "$(grep -c LISTEN_FDS "$tmp/tlsmap-other.log")"
check "tlsmap answers on the socket it bound" '^secure$' \
    "$(timeout 20 postmap -c "$tmp" -q example.com "socketmap:unix:$tmp/tlsmap-own:tlspolicy" 2>&1)"
kill "$pid_tlsmap_other" 2>/dev/null
wait "$pid_tlsmap_other" 2>/dev/null
check "tlsmap removed the socket it bound itself" '^no$' \
    "$([ -S "$tmp/tlsmap-own" ] && echo yes || echo no)"

# policyd-ccert
: >"$tmp/identities"
: >"$tmp/identities.confirm"	# empty, and meant to be (pfhelpers(7))
activate policyd-ccert "$tmp/policyd" "$PFH_BUILDDIR/policyd-ccert/policyd-ccert" \
    -o listen="unix:$tmp/policyd" -o identities="$tmp/identities"
check "policyd-ccert answers on the passed socket" '^action=DUNNO$' \
    "$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
          b"client_address=192.0.2.1\nsender=a@example.com\n"
          b"recipient=b@example.net\n\n")
print(s.recv(4096).decode().strip())
' "$tmp/policyd" 2>&1)"
stop policyd-ccert "$tmp/policyd"

[ $fail = 0 ] && echo "socket activation: all daemons adopted their socket"
exit $fail
