#!/usr/bin/env python3
"""The contrib/ sample configurations are valid for the real daemons (issue #11).

Each sample in contrib/ is read by its daemon as an admin would use it
(-c FILE, or -C FILE for saslauthd-lite): policyd-ccert and tlsmap print
their effective settings with -n, and the listen endpoints must be the
loopback TCP defaults the man pages and README.md show first. `check` then
loads the sample tables in contrib/ through the sample configurations.

saslauthd-lite has no -n that prints settings (its -n is Cyrus's number of
workers), so its sample goes through `check` with a temporary password
file, and the chroot layout (run_dir, socket_group) is read from the file
with the configuration syntax: last assignment wins, '#' lines and
continuation lines as in main.cf.
"""

import os
import subprocess

import pfhtest
from pfhtest import BUILDDIR, SRCDIR, make_tmpdir, run_tests

SASL = os.path.join(BUILDDIR, "saslauthd-lite", "saslauthd-lite")
SASL_PASSWD = os.path.join(BUILDDIR, "saslauthd-lite", "saslauthd-lite-passwd")
CCERT = os.path.join(BUILDDIR, "policyd-ccert", "policyd-ccert")
TLSMAP = os.path.join(BUILDDIR, "tlsmap", "tlsmap")


def contrib(name):
    return os.path.join(SRCDIR, "contrib", name)


def run(argv, stdin=None):
    r = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                       timeout=60)
    print("# $ " + " ".join(argv) + "  -> %d" % r.returncode)
    for line in (r.stdout + r.stderr).splitlines():
        print("#   " + line)
    return r


def settings(out):
    """-n output: "name = value" per line."""
    d = {}
    for line in out.splitlines():
        if " = " in line:
            k, v = line.split(" = ", 1)
            d[k] = v
        elif line.endswith(" ="):
            d[line[:-2]] = ""
    return d


def conf_values(path):
    """The effective "name = value" assignments of a config file."""
    d = {}
    last = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t":
                if last is not None:
                    d[last] += " " + line.strip()
                continue
            k, _, v = line.partition("=")
            last = k.strip()
            d[last] = v.strip()
    return d


def test_policyd_ccert_sample_n():
    r = run([CCERT, "-c", contrib("policyd-ccert.conf"), "-n"])
    assert r.returncode == 0, r.stderr
    s = settings(r.stdout)
    assert s.get("listen") == "inet:127.0.0.1:10031", s.get("listen")
    assert s.get("default_action") == "DUNNO", s.get("default_action")
    assert s.get("identities") == "/etc/pfhelpers/policyd-ccert.identities"


def test_policyd_ccert_sample_check():
    r = run([CCERT, "-c", contrib("policyd-ccert.conf"),
             "-o", "identities=" + contrib("policyd-ccert.identities"),
             "check"])
    assert r.returncode == 0, r.stderr
    assert "identities" in r.stderr, r.stderr


def test_tlsmap_sample_n():
    r = run([TLSMAP, "-c", contrib("tlsmap.conf"), "-n"])
    assert r.returncode == 0, r.stderr
    s = settings(r.stdout)
    assert s.get("listen") == "inet:127.0.0.1:10030", s.get("listen")
    maps = s.get("maps", "").split()
    assert maps == ["tlspolicy=policy:/etc/pfhelpers/tls_policy",
                    "legacy=persite:/etc/pfhelpers/tls_per_site"], maps


def test_tlsmap_sample_check():
    # postconf_command empty: the samples are checked against
    # postfix_version only (test_tlsmap_installed.py covers the comparison
    # with the installed Postfix).
    maps = "tlspolicy=policy:%s legacy=persite:%s" % (
        contrib("tls_policy"), contrib("tls_per_site"))
    r = run([TLSMAP, "-c", contrib("tlsmap.conf"), "-o", "maps=" + maps,
             "-o", "postconf_command=", "check"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "map tlspolicy:" in r.stdout and "map legacy:" in r.stdout, \
        r.stdout


def test_saslauthd_lite_sample_check():
    d = make_tmpdir("pfh-contrib-")
    pw = os.path.join(d, "passwd")
    r = run([SASL_PASSWD, "alice"], stdin="correct-horse\n")
    assert r.returncode == 0 and r.stdout.startswith("alice:$"), r.stderr
    fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(r.stdout)
    r = run([SASL, "-C", contrib("saslauthd-lite.conf"),
             "-o", "pwfile=" + pw, "check"])
    assert r.returncode == 0, r.stderr
    assert "are valid" in r.stderr, r.stderr


def test_saslauthd_lite_sample_chroot_layout():
    v = conf_values(contrib("saslauthd-lite.conf"))
    assert v.get("run_dir") == "/var/spool/postfix/var/run/saslauthd", \
        v.get("run_dir")
    assert v.get("socket_group") == "sasl", v.get("socket_group")
    assert v.get("socket_mode") == "0660", v.get("socket_mode")
    # the smtpd.conf sample names the same socket as the chrooted smtpd
    # sees it
    with open(contrib("postfix/smtpd.conf")) as f:
        lines = [x.strip() for x in f if x.startswith("saslauthd_path:")]
    assert lines == ["saslauthd_path: /var/run/saslauthd/mux"], lines


if __name__ == "__main__":
    for prog in (SASL, SASL_PASSWD, CCERT, TLSMAP):
        if not os.access(prog, os.X_OK):
            pfhtest.skip("not built: " + prog)
    run_tests()
