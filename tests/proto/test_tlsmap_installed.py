#!/usr/bin/env python3
"""tlsmap against the installed Postfix (issue #11).

`tlsmap check` compares postfix_version with what `postconf -d -h
mail_version` prints, and the daemon warns at start when the target is
newer. The first tests use the real installed postconf (they skip without
one); the others point postconf_command at small scripts that print a
chosen version, fail or hang.
"""

import os
import subprocess
import time

import pfhtest
from pfhtest import Daemon, run_tests, unix_connect

PROG = "tlsmap/tlsmap"

# line 1 works everywhere, line 2 needs 3.9 (enable_rpk), line 3 needs 3.10
NEW_POLICY = """\
old.example  secure match=.old.example
rpk.example  secure enable_rpk=yes
rpt.example  encrypt policy_type=no-policy-found
"""
OLD_POLICY = "old.example secure match=.old.example\n"


def config(version, extra=""):
    return """\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:@DIR@/tls_policy
postfix_version = %s
""" % version + extra


def check(d, env=None, timeout=30):
    t0 = time.monotonic()
    r = subprocess.run(d.argv()[:-1] + ["check"], capture_output=True,
                       text=True, timeout=timeout, env=env)
    return r, time.monotonic() - t0


def errors(r):
    return [x.split(": error: ", 1)[1] for x in r.stderr.splitlines()
            if ": error: " in x]


def fake_postconf(d, body, name="postconf"):
    """A stand-in postconf: records its arguments, then runs body (sh)."""
    return d.write(name, '#!/bin/sh\necho "$@" > "%s"\n%s\n'
                   % (d.path(name + ".args"), body), mode=0o755)


def installed():
    """(path, mail_version) of the real postconf, or skip."""
    pc = pfhtest.need_tools("postconf")["postconf"]
    r = subprocess.run([pc, "-d", "-h", "mail_version"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0 or not r.stdout.strip():
        pfhtest.skip("%s -d -h mail_version failed: %s" % (pc, r.stderr))
    return pc, r.stdout.strip()


def major_minor(v):
    return tuple(int(x) for x in v.split("-")[0].split(".")[:2])


def test_real_postconf_older_than_target():
    pc, mv = installed()
    if major_minor(mv) >= (3, 9):
        pfhtest.skip("installed Postfix %s knows enable_rpk" % mv)
    d = Daemon(PROG, config=config("3.10"))
    path = d.write("tls_policy", NEW_POLICY)
    r, _ = check(d)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "all maps valid" not in r.stdout, r.stdout
    # the map itself is fine for 3.10 ...
    assert "map tlspolicy: policy:%s: 3 entries ok" % path in r.stdout
    # ... but each entry the installed Postfix would reject is listed
    errs = errors(r)
    assert errs[0] == (
        '%s, line 2: installed Postfix %s rejects the policy for '
        '"rpk.example": attribute "enable_rpk" needs Postfix 3.9 or later '
        '(target is %d.%d)' % ((path, mv) + major_minor(mv))), errs
    assert errs[1].startswith(
        '%s, line 3: installed Postfix %s rejects the policy for '
        '"rpt.example": attribute "policy_type" needs Postfix 3.10'
        % (path, mv)), errs
    assert len(errs) == 3, errs
    assert errs[2].startswith(
        "postfix_version = 3.10 is newer than the installed Postfix %s: "
        % mv), errs
    assert "4.7.5" in errs[2] and "set postfix_version = %d.%d" \
        % major_minor(mv) in errs[2], errs
    assert ("installed Postfix %s (%s) is older than the target "
            "postfix_version = 3.10: 2 entries it would reject" % (mv, pc)) \
        in r.stdout, r.stdout
    assert r.stdout.rstrip().endswith(
        "target Postfix version 3.10: errors found (the installed Postfix "
        "is %s, older than the target)" % mv), r.stdout

    # the same config without the comparison is what #11 saw
    d.options = [("postconf_command", "")]
    r, _ = check(d)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert ("postconf_command is empty: checked against postfix_version = "
            "3.10 only") in r.stdout, r.stdout
    assert "all maps valid (not compared with an installed Postfix)" \
        in r.stdout, r.stdout
    d.cleanup()


def test_real_postconf_target_not_newer():
    pc, mv = installed()
    target = "%d.%d" % major_minor(mv)
    d = Daemon(PROG, config=config(target))
    d.write("tls_policy", OLD_POLICY)
    r, _ = check(d)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert ("installed Postfix %s (%s): not older than the target "
            "postfix_version = %s" % (mv, pc, target)) in r.stdout, r.stdout
    assert r.stdout.rstrip().endswith(
        "target Postfix version %s: all maps valid (compared with the "
        "installed Postfix %s)" % (target, mv)), r.stdout
    # an entry too new for the target is still a map error, as before
    d.write("tls_policy", NEW_POLICY)
    r, _ = check(d)
    if major_minor(mv) < (3, 10):
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "errors found (compared with the installed Postfix %s)" % mv \
            in r.stdout, r.stdout
    d.cleanup()


def test_fake_postconf_versions():
    d = Daemon(PROG, config=config("3.10", "postconf_command = "
                                   "@DIR@/postconf\n"))
    path = d.write("tls_policy", NEW_POLICY)
    fake = d.path("postconf")
    for printed, rc, rejected in (("3.9.1", 1, [3]), ("3.8.4", 1, [2, 3]),
                                  ("3.10.2", 0, []), ("3.11-20250620", 0, []),
                                  ("3.12.0-RC1", 0, [])):
        fake_postconf(d, "echo %s" % printed)
        r, _ = check(d)
        assert r.returncode == rc, (printed, r.returncode, r.stdout, r.stderr)
        with open(d.path("postconf.args")) as f:
            assert f.read() == "-d -h mail_version\n"
        lines = [int(e.split(", line ")[1].split(":")[0]) for e in errors(r)
                 if e.startswith(path + ", line ")]
        assert lines == rejected, (printed, r.stderr)
        if rc:
            assert ("installed Postfix %s (%s) is older than the target "
                    "postfix_version = 3.10: %d entr%s it would reject"
                    % (printed, fake, len(rejected),
                       "y" if len(rejected) == 1 else "ies")) in r.stdout, \
                r.stdout
            assert "errors found" in r.stdout, r.stdout
        else:
            assert ("all maps valid (compared with the installed Postfix %s)"
                    % printed) in r.stdout, r.stdout
    d.cleanup()


def test_no_postfix_and_path_search():
    d = Daemon(PROG, config=config("3.10", "postconf_command = "
                                   "pfh-no-such-postconf\n"))
    d.write("tls_policy", NEW_POLICY)
    r, _ = check(d)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert ("no installed Postfix found (pfh-no-such-postconf not in PATH, "
            "/usr/sbin or /sbin): checked against postfix_version = 3.10 "
            "only") in r.stdout, r.stdout
    assert r.stdout.rstrip().endswith(
        "all maps valid (no installed Postfix to compare with)"), r.stdout
    # an absolute path that is not there is no Postfix either
    d.options = [("postconf_command", d.path("nothere"))]
    r, _ = check(d)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert ("no installed Postfix found (%s is not an executable file)"
            % d.path("nothere")) in r.stdout, r.stdout
    # a bare name is looked for in $PATH before /usr/sbin
    os.mkdir(d.path("bin"))
    fake_postconf(d, "echo 3.8.0", name="bin/postconf")
    d.options = [("postconf_command", "postconf")]
    env = dict(os.environ, PATH=d.path("bin") + ":/usr/bin:/bin")
    r, _ = check(d, env=env)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "installed Postfix 3.8.0 (%s)" % d.path("bin/postconf") \
        in r.stdout, r.stdout
    d.cleanup()


def pid_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_postconf_hangs_or_fails():
    d = Daemon(PROG, config=config("3.10", "postconf_command = "
                                   "@DIR@/postconf\npostconf_timeout = 500ms\n"))
    d.write("tls_policy", OLD_POLICY)
    fake = d.path("postconf")
    # a wrapper whose child keeps the pipes open: the group is killed
    fake_postconf(d, "sleep 30 &\necho $! > %s\nwait" % d.path("child.pid"))
    r, took = check(d)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert took < 5, took
    assert errors(r) == [
        'cannot tell the installed Postfix version: %s -d -h mail_version '
        'did not finish within 500 ms (killed) (postconf_command = "" skips '
        'the comparison, e.g. when tlsmap serves Postfix on another host)'
        % fake], r.stderr
    assert "all maps valid" not in r.stdout, r.stdout
    with open(d.path("child.pid")) as f:
        child = int(f.read())
    pfhtest.wait_for(lambda: pid_gone(child), timeout=5,
                     what="postconf's child killed with it")
    for body, why in (
            ("echo 'postconf: fatal: boom' >&2; exit 1",
             "exited with status 1: postconf: fatal: boom"),
            ("kill -9 $$", "was killed by signal 9"),
            ("echo 'mail_version = 3.7.11'",
             'printed "mail_version = 3.7.11", not a Postfix version'),
            ("true", 'printed "", not a Postfix version')):
        fake_postconf(d, body)
        r, _ = check(d)
        assert r.returncode == 1, (body, r.returncode, r.stdout, r.stderr)
        assert ("cannot tell the installed Postfix version: %s -d -h "
                "mail_version %s" % (fake, why)) in r.stderr, r.stderr
        assert "errors found (not compared with the installed Postfix)" \
            in r.stdout, r.stdout
    d.cleanup()


def test_daemon_warns_once_and_serves():
    d = Daemon(PROG, config=config("3.10", "postconf_command = "
                                   "@DIR@/postconf\n"))
    d.write("tls_policy", NEW_POLICY)
    fake_postconf(d, "echo 3.8.4")
    with d:
        warn = d.wait_log(r"warning: postfix_version = 3\.10 is newer than "
                          r"the installed Postfix 3\.8\.4 \(%s\): 2 loaded "
                          r"entries use features it lacks" %
                          d.path("postconf")).group(0)
        assert d.log().count("is newer than the installed") == 1, d.log()
        assert "rpk.example" not in d.log(), d.log()   # a count, no list
        # it still serves: mail to the other destinations keeps flowing
        with unix_connect(d.path("tlsmap.sock")) as s:
            assert pfhtest.socketmap_query(s, "tlspolicy", "old.example") \
                == b"OK secure match=.old.example"
            assert pfhtest.socketmap_query(s, "tlspolicy", "rpk.example") \
                == b"OK secure enable_rpk=yes"
    assert warn
    # not newer: one info line naming the installed version, no warning
    d = Daemon(PROG, config=config("3.10", "postconf_command = "
                                   "@DIR@/postconf\n"))
    d.write("tls_policy", NEW_POLICY)
    fake_postconf(d, "echo 3.10.1")
    with d:
        d.wait_log(r"installed Postfix 3\.10\.1 \(%s\): not older than "
                   r"postfix_version = 3\.10" % d.path("postconf"))
        assert "warning: postfix_version" not in d.log(), d.log()


if __name__ == "__main__":
    run_tests()
