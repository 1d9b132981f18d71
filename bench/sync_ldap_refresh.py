#!/usr/bin/env python3
"""sync_ldap_refresh.py - pfhelpers-sync's LDAP feed on a large directory

    PFH_BUILDDIR=/path/to/build python3 bench/sync_ldap_refresh.py [ROWS] [CHANGES]

One throwaway slapd with the syncprov overlay (tests/lib/slapd_instance.py)
holding ROWS (default 100,000) inetOrgPerson entries with {CRYPT} hashes,
one agent with a pwfile feed. Measured: the initial refresh, from the
agent's start to its state file giving ROWS rows; then CHANGES (default
20) entries added one at a time with ldapmodify, from ldapmodify's return
(the change is committed) to the agent's file being replaced, and the
agent's CPU per change (utime + stime from /proc). Every persist change
rewrites the whole file and the OUTPUT.ldap snapshot, so the cost grows
with the table, as a PostgreSQL re-read does (run-sync.sh).
Needs root and the slapd and ldap-utils packages.
"""
import os
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
os.environ.setdefault("PFH_SRCDIR", SRC)
BUILD = os.environ.get("PFH_BUILDDIR", SRC)
os.environ["PFH_BUILDDIR"] = BUILD
from slapd_instance import Slapd, SUFFIX  # noqa: E402


def ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    changes = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    h = subprocess.run(["openssl", "passwd", "-5", "-salt", "pfhbench0",
                        "pw-initial"], capture_output=True, text=True,
                       check=True).stdout.strip()
    people = "ou=people," + SUFFIX
    seed = ("dn: %s\nobjectClass: organizationalUnit\nou: people\n\n"
            % people + "".join(
                "dn: uid=u%d,%s\nobjectClass: inetOrgPerson\nuid: u%d\n"
                "cn: u\nsn: u\nuserPassword: {CRYPT}%s\n\n"
                % (i, people, i, h) for i in range(n)))
    t = time.monotonic()
    ds = Slapd(seed=seed, syncprov=True, acl="access to * by * read\n",
               maxsize=1 << 30,
               limits="limits anonymous size=unlimited time=unlimited")
    print("slapadd of %d entries and slapd start: %.1f s"
          % (n, time.monotonic() - t))
    d = tempfile.mkdtemp(prefix="pfh-bench-ldap-")
    os.mkdir(os.path.join(d, "out"))
    out = os.path.join(d, "out", "passwd")
    with open(os.path.join(d, "s.conf"), "w") as f:
        f.write("feeds = auth\nauth_source = ldap:%s\nauth_format = pwfile\n"
                "auth_output = %s\nauth_search_base = %s\n"
                "auth_filter = (objectClass=inetOrgPerson)\n"
                "auth_attributes = uid userPassword\n" % (ds.url, out, people))
    log = open(os.path.join(d, "log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(BUILD, "sync", "pfhelpers-sync"), "-c",
                          os.path.join(d, "s.conf"), "-d"], stderr=log)

    def rows():
        try:
            with open(out + ".state") as f:
                for line in f:
                    if line.startswith("rows = "):
                        return int(line.split("=")[1])
        except OSError:
            pass
        return -1
    while rows() != n:
        if p.poll() is not None or time.monotonic() - t0 > 300:
            sys.exit("the agent did not sync; see %s/log" % d)
        time.sleep(0.01)
    print("initial refresh of %d entries: %.2f s (agent CPU %.2f s)"
          % (n, time.monotonic() - t0, ticks(p.pid) /
             os.sysconf("SC_CLK_TCK")))
    lat = []
    c0 = ticks(p.pid)
    for i in range(changes):
        ino = os.stat(out).st_ino
        ds.modify("dn: uid=new%d,%s\nchangetype: add\nobjectClass: "
                  "inetOrgPerson\nuid: new%d\ncn: n\nsn: n\nuserPassword: "
                  "{CRYPT}%s\n" % (i, people, i, h), add=True)
        t = time.monotonic()
        while os.stat(out).st_ino == ino:
            time.sleep(0.002)
        lat.append((time.monotonic() - t) * 1000)
        time.sleep(0.2)
    cpu = (ticks(p.pid) - c0) * 1000.0 / os.sysconf("SC_CLK_TCK") / changes
    lat.sort()
    print("%d adds, ldapmodify returned to file replaced: p50 %.0f ms, "
          "max %.0f ms; agent CPU per change %.0f ms"
          % (changes, lat[len(lat) // 2], lat[-1], cpu))
    p.terminate()
    p.wait()
    ds.stop()


if __name__ == "__main__":
    main()
