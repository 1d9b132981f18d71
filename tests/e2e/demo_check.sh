#!/bin/sh
# demo_check - the README's first command must work: run scripts/demo
# --check against this build (no package installation, no build of its
# own) in a temp dir on free ports. The demo starts the three daemons on
# its embedded configuration, runs the three try-commands it prints
# (testsaslauthd, a policy request, postmap -q) plus the status pages,
# verifies every answer and stops the daemons (each must exit 0).
# Exit 77 (skip) when a tool the try-commands need is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PFH_BUILDDIR:=$PFH_SRCDIR}"
PATH=$PATH:/usr/sbin:/sbin
export PATH

. "$PFH_SRCDIR/tests/lib/tools.sh"
need_tool bash openssl testsaslauthd postmap
for b in saslauthd-lite/saslauthd-lite policyd-ccert/policyd-ccert \
    policyd-ccert/policyd-ccert-enrol tlsmap/tlsmap; do
	[ -x "$PFH_BUILDDIR/$b" ] || {
		echo "FAIL: $PFH_BUILDDIR/$b not built"
		exit 1
	}
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfh-demo.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# Five ports: base, base+1, base+51..53; pick a base where all are free,
# below the kernel's ephemeral range (outgoing connections of other tests
# take ports there at any moment).
free() {
	! bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
pick() {
	base=
	for try in 1 2 3 4 5 6 7 8 9 10; do
		b=$(( ($$ * 7 + try * 977 + $1 * 331) % (lo - 10100) + 10000 ))
		if free $b && free $((b + 1)) && free $((b + 51)) &&
		    free $((b + 52)) && free $((b + 53)); then
			base=$b
			return 0
		fi
	done
	return 1
}

# A port can still be taken between the check and the bind; only then
# (the log says so) try again on other ports.
for attempt in 1 2 3; do
	pick $attempt || { echo "FAIL: no free ports"; exit 1; }
	rm -rf "$tmp/demo-run"
	bash "$PFH_SRCDIR/scripts/demo" --check --no-install \
	    --builddir "$PFH_BUILDDIR" --dir "$tmp/demo-run" --base-port "$base"
	rc=$?
	[ $rc != 0 ] && grep -qs 'Address already in use' "$tmp"/demo-run/logs/*.log ||
	    break
	echo "# a port was taken meanwhile; again with other ports"
done
if [ $rc != 0 ]; then
	for f in "$tmp"/demo-run/logs/*.log; do
		[ -f "$f" ] || continue
		echo "----- $f"
		tail -30 "$f"
	done
fi

# The demo must leave no daemon behind.
left=$(ps -eo pid=,args= | grep -F "$tmp/demo-run" | grep -v grep)
if [ -n "$left" ]; then
	echo "FAIL: processes left behind:"
	echo "$left"
	rc=1
fi
exit $rc
