#!/usr/bin/env python3
"""contrib/fail2ban: the saslauthd-lite filter against the daemon's real log.

saslauthd-lite (the build tree's) runs with a password file; requests with
and without a client address (the mux protocol's 5th field, "ADDR;PORT" as
a patched libsasl2 sends it) make OK and NO decisions. Its own log is then
given to fail2ban-regex with the filter as shipped: exactly the failures'
addresses must be found, once per failure, and no OK line nor a failure
without an address. The log is checked twice: as the daemon wrote it with
-d (what journald stores: no time stamp, so fail2ban-regex -d {NONE}) and
with the time stamp and host name rsyslog puts in front of each line in
/var/log/mail.log.
"""

import os
import re
import subprocess
import time

from pfhtest import (BUILDDIR, SRCDIR, Daemon, make_tmpdir, need_tools,
                     run_tests, sasl_auth, skip, write_conf)

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
FILTER = os.path.join(SRCDIR, "contrib/fail2ban/filter.d/"
                      "pfhelpers-saslauthd-lite.conf")
JAIL = os.path.join(SRCDIR, "contrib/fail2ban/jail.d/"
                    "pfhelpers-saslauthd-lite.conf")
SECRET = "f2b-alice-secret"

# (login, password, client field, expected reply)
REQUESTS = [
    ("alice", SECRET, "192.0.2.1;40001", "OK"),
    ("alice", "wrong", "192.0.2.10;40002", "NO"),
    ("nosuchuser", "x", "2001:db8::7;40003", "NO"),
    ("alice", "wrong", "192.0.2.10;40004", "NO"),
    ("alice", SECRET, "198.51.100.5;40005", "OK"),
    ("alice", "wrong", None, "NO"),          # stock libsasl2: no address
    # a login made to look like another client's line: "=" and " " are
    # replaced in the log, so this failure counts for 192.0.2.11 only
    ("x client=203.0.113.99 backend=pwfile", "y", "192.0.2.11;40006", "NO"),
]
FAILED_ADDRS = ["192.0.2.10", "2001:db8::7", "192.0.2.10", "192.0.2.11"]


def filter_dir(tmp):
    """The filter in a fail2ban config layout (it includes common.conf)."""
    d = os.path.join(tmp, "f2b", "filter.d")
    os.makedirs(d)
    with open(FILTER) as f:
        text = f.read()
    with open(os.path.join(d, os.path.basename(FILTER)), "w") as f:
        f.write(text)
    os.symlink("/etc/fail2ban/filter.d/common.conf",
               os.path.join(d, "common.conf"))


def make_log():
    """Start the daemon, make the decisions, stop it: its log text."""
    tmp = make_tmpdir(prefix="pfh-f2b-")
    out = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "alice"],
                         input=SECRET.encode(), capture_output=True,
                         check=True).stdout.decode()
    pw = os.path.join(tmp, "passwd")
    with open(pw, "w") as f:
        f.write(out)
    os.chmod(pw, 0o600)
    conf = write_conf(os.path.join(tmp, "sasl.conf"),
                      {"run_dir": os.path.join(tmp, "run"), "pwfile": pw,
                       "throttle": "no"})
    d = Daemon(PROG, args=["-C", conf], workdir=tmp, name="saslauthd-lite")
    d.start()
    try:
        mux = os.path.join(tmp, "run", "mux")
        for login, password, client, want in REQUESTS:
            r = sasl_auth(mux, login, password, client_addr=client)
            assert r.split(" ")[0] == want, (login, client, r)
    finally:
        assert d.stop() == 0
    return tmp, d.log()


def fail2ban_regex(tmp, logtext, args=()):
    """Run fail2ban-regex on logtext: (matched lines, the addresses found)."""
    logf = os.path.join(tmp, "mail-%d.log" % time.monotonic_ns())
    with open(logf, "w") as f:
        f.write(logtext)
    filt = os.path.join(tmp, "f2b", "filter.d", os.path.basename(FILTER))
    if not os.path.exists(filt):
        filter_dir(tmp)
    r = subprocess.run(["fail2ban-regex"] + list(args) +
                       ["--print-all-matched", "--print-no-missed", logf,
                        filt],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", r.stdout,
                  re.M)
    assert m, r.stdout
    section = r.stdout.split("|- Matched line(s):\n", 1)
    lines = section[1].split("\n`-", 1)[0].splitlines() if len(section) > 1 \
        else []
    matched = [l[3:] for l in lines]
    assert int(m.group(1)) == len(matched), r.stdout
    addrs = [re.search(r" client=(\S+) ", l).group(1) for l in matched]
    return matched, addrs


def check(matched, addrs):
    assert addrs == FAILED_ADDRS, addrs
    assert all("result=NO" in l for l in matched), matched
    assert not any("client=unknown" in l for l in matched), matched


def test_daemon_log_as_written():
    tmp, log = make_log()
    decisions = [l for l in log.splitlines() if "auth: result=" in l]
    assert len(decisions) == len(REQUESTS), log
    check(*fail2ban_regex(tmp, log, ["-d", "{NONE}"]))


def test_daemon_log_as_rsyslog_writes_it():
    tmp, log = make_log()
    stamp = time.strftime("%b %e %H:%M:%S")
    text = "".join("%s mx %s\n" % (stamp, l) for l in log.splitlines())
    check(*fail2ban_regex(tmp, text))


def test_jail_names_the_filter_and_is_off():
    # the shipped jail must load with the shipped filter (fail2ban's own
    # parser, the --test of the whole configuration), disabled as shipped
    tmp = make_tmpdir(prefix="pfh-f2b-")
    etc = os.path.join(tmp, "etc")
    subprocess.run(["cp", "-a", "/etc/fail2ban", etc], check=True)
    for src, sub in ((FILTER, "filter.d"), (JAIL, "jail.d")):
        subprocess.run(["cp", src, os.path.join(etc, sub)], check=True)
    # only our jail, enabled, on a file backend (no journal here)
    with open(os.path.join(etc, "jail.d", "pfh.local"), "w") as f:
        f.write("[DEFAULT]\nenabled = false\n[pfhelpers-saslauthd-lite]\n"
                "enabled = true\nbackend = polling\nlogpath = %s\n"
                % os.path.join(tmp, "mail.log"))
    for name in os.listdir(os.path.join(etc, "jail.d")):
        if name not in ("pfh.local", os.path.basename(JAIL)):
            os.unlink(os.path.join(etc, "jail.d", name))
    open(os.path.join(tmp, "mail.log"), "w").close()
    r = subprocess.run(["fail2ban-client", "-c", etc, "-d"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "['add', 'pfhelpers-saslauthd-lite'" in r.stdout, r.stdout
    assert "saslauthd-lite" in r.stdout and "client=" in r.stdout, r.stdout
    with open(JAIL) as f:
        assert re.search(r"^enabled\s*=\s*false$", f.read(), re.M)


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    need_tools("fail2ban-regex", "fail2ban-client")
    run_tests()
