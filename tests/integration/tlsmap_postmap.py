#!/usr/bin/env python3
"""Interop: Postfix's own socketmap client (postmap -q) against tlsmap.

Needs postmap (Debian package postfix) but no running Postfix and no root:
postmap -c <dir with an empty main.cf> is enough (Postfix proto/socketmap_table
documents this use).  Run by it_tlsmap_postmap.sh.
"""

import os
import random
import subprocess

import pfhtest
from pfhtest import Daemon, free_port, need_tools, run_tests

PROG = "tlsmap/tlsmap"


def setup():
    tools = need_tools("postmap", "postconf")
    cfgdir = pfhtest.make_tmpdir(prefix="pfh-pm-")
    open(os.path.join(cfgdir, "main.cf"), "w").close()
    r = subprocess.run([tools["postconf"], "-c", cfgdir, "-d", "-h",
                        "mail_version"], capture_output=True, text=True)
    version = ".".join(r.stdout.strip().split(".")[:2]) or "3.7"
    return tools["postmap"], cfgdir, version


def postmap(pm, cfgdir, args, stdin=None):
    return subprocess.run([pm, "-c", cfgdir] + args, input=stdin,
                          capture_output=True, text=True, timeout=60)


def policies(version):
    major, minor = (int(x) for x in version.split("."))
    bound = "protocols=>=TLSv1.2" if (major, minor) >= (3, 6) \
        else "protocols=!SSLv2:!SSLv3"
    return ["none", "may", "encrypt", "encrypt " + bound, "verify",
            "secure match=.example.com", "secure match=nexthop:dot-nexthop",
            "dane", "dane-only", "MAY ciphers=high", "Verify,match=hostname",
            "fingerprint match=" + ":".join(["AB"] * 32)]


def make_table(version, n=200):
    rnd = random.Random(20261122)
    pol = policies(version)
    lines, keys = [], []
    for i in range(n):
        form = i % 5
        if form == 0:
            key = "Host%d.Example.COM" % i
        elif form == 1:
            key = "[mx%d.Example.net]:587" % i
        elif form == 2:
            key = ".Sub%d.example.org" % i
        elif form == 3:
            key = "example%d.net:2525" % i
        else:
            key = "[relay%d.example]" % i
        lines.append("%s %s" % (key, rnd.choice(pol)))
        keys.append(key)
    return "# generated\n" + "\n".join(lines) + "\n", keys


def test_single_lookups_unix_and_inet():
    pm, cfgdir, version = setup()
    port = free_port()
    d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock inet:127.0.0.1:%d
maps = tlspolicy=policy:@DIR@/tls_policy legacy=persite:@DIR@/tls_per_site
postfix_version = %s
""" % (port, version))
    d.write("tls_policy", "example.com secure match=.example.com\n"
            "[mx.example.net]:587 encrypt\n")
    d.write("tls_per_site", "legacy.example MUST_NOPEERMATCH\n")
    with d:
        for ep in ("unix:%s" % d.path("tlsmap.sock"),
                   "inet:127.0.0.1:%d" % port):
            r = postmap(pm, cfgdir, ["-q", "example.com",
                                     "socketmap:%s:tlspolicy" % ep])
            assert r.returncode == 0, r
            assert r.stdout == "secure match=.example.com\n", r.stdout
            r = postmap(pm, cfgdir, ["-q", "EXAMPLE.com.",
                                     "socketmap:%s:tlspolicy" % ep])
            assert r.stdout == "secure match=.example.com\n", r
            r = postmap(pm, cfgdir, ["-q", "[mx.example.net]:587",
                                     "socketmap:%s:tlspolicy" % ep])
            assert r.stdout == "encrypt\n", r
            r = postmap(pm, cfgdir, ["-q", "legacy.example",
                                     "socketmap:%s:legacy" % ep])
            assert r.stdout == "MUST_NOPEERMATCH\n", r
            # not found: no output, non-zero exit, as with any table
            r = postmap(pm, cfgdir, ["-q", "mx.example.net",
                                     "socketmap:%s:tlspolicy" % ep])
            assert r.returncode != 0 and r.stdout == "", r
            # an unknown map name is a PERM: postmap reports a table error
            r = postmap(pm, cfgdir, ["-q", "example.com",
                                     "socketmap:%s:nosuchmap" % ep])
            assert r.returncode != 0 and r.stdout == "", r
            assert "unknown map nosuchmap" in r.stderr, r.stderr


def test_bulk_agrees_with_hash():
    pm, cfgdir, version = setup()
    table, keys = make_table(version)
    d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:@DIR@/tls_policy
postfix_version = %s
""" % version)
    d.write("tls_policy", table)
    with d:
        copy = d.write("hashcopy", table)
        r = postmap(pm, cfgdir, ["hash:" + copy])
        assert r.returncode == 0, r
        queries = []
        for k in keys:
            queries += [k, k.lower(), k.upper()]
        queries += ["absent%d.example" % i for i in range(30)]
        queries += [".example.org", ".com", "[host0.example.com]"]
        stdin = "\n".join(queries) + "\n"
        sock = postmap(pm, cfgdir, ["-q", "-", "socketmap:unix:%s:tlspolicy"
                                    % d.path("tlsmap.sock")], stdin)
        hashed = postmap(pm, cfgdir, ["-q", "-", "hash:" + copy], stdin)
        assert hashed.stderr == "", hashed.stderr
        assert sock.stderr == "", sock.stderr
        got, want = sock.stdout.splitlines(), hashed.stdout.splitlines()
        assert len(want) == 3 * len(keys), len(want)
        diff = [(a, b) for a, b in zip(got, want) if a != b]
        assert got == want, (len(got), len(want), diff[:5])


if __name__ == "__main__":
    run_tests()
