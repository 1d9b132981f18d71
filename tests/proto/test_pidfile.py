#!/usr/bin/env python3
"""pid_file, for every daemon: written as root, so nothing at the path is
trusted (issue #13).

A symbolic link or a hard link planted at pid_file to a root-owned file
must not get that file truncated or written: the daemon refuses to start,
naming the pid file, and the file keeps its content. A pid file directory
others can write to is refused too. An ordinary pid file holds the pid
and goes at stop, but a link put in its place while the daemon runs is
left alone. The daemons run as root (no user), like the other proto tests.
"""

import os
import pwd
import subprocess

from pfhtest import (BUILDDIR, Daemon, DaemonError, need_root, run_tests,
                     skip, write_conf)

PRECIOUS = "root's precious data\n"


def sasl(d):
    pw = d.path("passwd")
    h = subprocess.run(
        [os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd"),
         "-m", "sha512crypt", "u"], input=b"pw", capture_output=True,
        check=True).stdout.decode().strip()
    with open(pw, "w") as f:
        f.write("alice:%s\n" % h.split(":", 1)[1])
    os.chmod(pw, 0o600)
    write_conf(d.path("sasl.conf"), {"run_dir": d.path("run"),
                                     "pwfile": pw, "throttle": "no"})
    return ["-C", d.path("sasl.conf")]


def tlsmap(d):
    d.write("tls_policy", "example.com secure\n")
    d.write("tlsmap.conf", "listen = unix:@DIR@/tlsmap.sock\n"
            "maps = tlspolicy=policy:@DIR@/tls_policy\n")
    return ["-c", d.path("tlsmap.conf")]


def ccert(d):
    # one pin: an empty table is refused at start (issue #12)
    d.write("identities", "sha256:%s host1\n" % ":".join(["AB"] * 32))
    d.write("policyd-ccert.conf", "listen = unix:@DIR@/policy.sock\n"
            "identities = @DIR@/identities\n")
    return ["-c", d.path("policyd-ccert.conf")]


DAEMONS = [("saslauthd-lite/saslauthd-lite", sasl),
           ("tlsmap/tlsmap", tlsmap),
           ("policyd-ccert/policyd-ccert", ccert)]


def daemon(prog, setup, pid_file=None, start=True):
    """prog with its minimal config and pid_file (default DIR/pid)."""
    d = Daemon(prog, name=os.path.basename(prog))
    d.args = setup(d)
    d.options = [("pid_file", pid_file or d.path("pid"))]
    if start:
        d.start()
    return d


def refused(d, *words):
    try:
        d.start()
    except DaemonError:
        log = d.log()
        assert d.proc.returncode != 0, log
        for w in words:
            assert w in log, (w, log)
        return log
    d.stop()
    raise AssertionError("%s started" % d.name)


def victim(d):
    p = d.path("victim")
    with open(p, "w") as f:
        f.write(PRECIOUS)
    os.chmod(p, 0o600)
    return p


def unchanged(p):
    with open(p) as f:
        assert f.read() == PRECIOUS, "%s was written to" % p


def each(fn):
    for prog, setup in DAEMONS:
        if not os.access(os.path.join(BUILDDIR, prog), os.X_OK):
            skip("%s not built" % prog)
        fn(prog, setup)


def test_pid_file_written_and_removed():
    def one(prog, setup):
        d = daemon(prog, setup)
        with open(d.path("pid")) as f:
            assert f.read() == "%d\n" % d.pid
        assert d.stop() == 0
        assert not os.path.exists(d.path("pid"))
    each(one)


def test_planted_symlink_refused():
    need_root()

    def one(prog, setup):
        d = daemon(prog, setup, start=False)
        v = victim(d)
        os.symlink(v, d.path("pid"))
        refused(d, "pid file %s is a symbolic link" % d.path("pid"),
                "refusing to follow it")
        unchanged(v)
        assert os.path.islink(d.path("pid"))
        # a dangling link is not followed to create its target either
        os.unlink(d.path("pid"))
        os.symlink(d.path("made"), d.path("pid"))
        refused(daemon(prog, setup, pid_file=d.path("pid"), start=False),
                "is a symbolic link")
        assert not os.path.exists(d.path("made"))
    each(one)


def test_planted_hard_link_refused():
    need_root()

    def one(prog, setup):
        d = daemon(prog, setup, start=False)
        v = victim(d)
        os.link(v, d.path("pid"))
        refused(d, "pid file %s has 2 hard links" % d.path("pid"))
        unchanged(v)
    each(one)


def test_foreign_pid_file_refused():
    need_root()
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        skip("no user nobody")

    def one(prog, setup):
        d = daemon(prog, setup, start=False)
        p = d.path("pid")
        with open(p, "w") as f:
            f.write(PRECIOUS)
        os.chown(p, nobody, -1)
        refused(d, "pid file %s is owned by uid %d" % (p, nobody))
        unchanged(p)
    each(one)


def test_pid_dir_writable_by_others_refused():
    need_root()

    def one(prog, setup):
        d = daemon(prog, setup, start=False)
        pdir = d.path("piddir")
        os.mkdir(pdir)
        os.chmod(pdir, 0o1777)      # sticky is no excuse for the last one
        d.options = [("pid_file", os.path.join(pdir, "pid"))]
        refused(d, "pid file %s/pid: directory %s (mode 1777) is writable "
                "by every user" % (pdir, pdir))
        assert os.listdir(pdir) == []
    each(one)


def test_link_swapped_in_at_runtime_left_alone():
    need_root()

    def one(prog, setup):
        d = daemon(prog, setup)
        v = victim(d)
        os.unlink(d.path("pid"))
        os.symlink(v, d.path("pid"))
        assert d.stop() == 0
        unchanged(v)
        assert os.path.islink(d.path("pid")), "someone else's link removed"
    each(one)


if __name__ == "__main__":
    run_tests()
