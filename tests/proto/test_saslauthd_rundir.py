#!/usr/bin/env python3
"""saslauthd-lite's run_dir: only root and the daemon's user may control it.

Whoever can write to run_dir, or to any directory above it, or owns it,
can swap the mux socket for one of their own and collect the passwords
Postfix sends (issue #13). The daemon starts (as root, like the other
proto tests; the chown to nobody needs root) with run_dir set to a
directory made unsafe one way at a time and must refuse with an error
naming the component at fault; a symbolic link is followed and its target
judged, so a link to a good directory is fine.
"""

import os
import pwd
import grp
import stat
import subprocess

from pfhtest import (BUILDDIR, Daemon, DaemonError, make_tmpdir, need_root,
                     run_tests, sasl_auth, skip, write_conf)

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
PW = "rundir-pw"


def nobody():
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        skip("no user nobody")


def nogroup():
    for name in ("nogroup", "nobody"):
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            pass
    skip("no group nogroup")


class Rundir:
    """A temp dir with a pwfile and a config; run_dir set per test."""

    def __init__(self):
        need_root()
        self.dir = make_tmpdir(prefix="pfh-rd-")
        os.chmod(self.dir, 0o755)
        h = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                           input=PW.encode(), capture_output=True,
                           check=True).stdout.decode().strip()
        self.pwfile = self.path("passwd")
        with open(self.pwfile, "w") as f:
            f.write("alice:%s\n" % h.split(":", 1)[1])
        os.chmod(self.pwfile, 0o600)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def daemon(self, run_dir):
        """A daemon of its own temp dir (notify socket, log, config)."""
        d = Daemon(PROG, args=["-C", "@DIR@/sasl.conf"],
                   name="saslauthd-lite")
        write_conf(d.path("sasl.conf"), {"run_dir": run_dir,
                                         "pwfile": self.pwfile,
                                         "throttle": "no"})
        return d

    def refused(self, run_dir, *words):
        d = self.daemon(run_dir)
        try:
            d.start()
        except DaemonError:
            log = d.log()
            assert d.proc.returncode != 0
            for w in ("run_dir %s: " % run_dir,) + words:
                assert w in log, (w, log)
            assert not os.path.exists(os.path.join(run_dir, "mux"))
            return log
        d.stop()
        raise AssertionError("started with run_dir %s" % run_dir)

    def accepted(self, run_dir, real=None):
        """It starts and answers; the socket is in real (default run_dir)."""
        d = self.daemon(run_dir)
        d.start()
        assert sasl_auth(os.path.join(run_dir, "mux"), "alice", PW) == "OK"
        st = os.lstat(os.path.join(real or run_dir, "mux"))
        assert stat.S_ISSOCK(st.st_mode)
        d.stop()


def test_foreign_owned_run_dir_refused():
    r = Rundir()
    run = r.path("run")
    os.mkdir(run, 0o750)
    os.chown(run, nobody(), 0)
    r.refused(run, "directory %s is owned by nobody" % run,
              "not by root or the daemon's user", "collect passwords")
    # the same directory given back to root is fine
    os.chown(run, 0, 0)
    r.accepted(run)


def test_group_writable_run_dir():
    r = Rundir()
    run = r.path("run")
    os.mkdir(run)
    os.chmod(run, 0o770)
    os.chown(run, 0, nogroup())
    r.refused(run, "directory %s (mode 0770) is writable by group" % run,
              "neither root's nor the daemon's")
    # group-writable by root's own group: only root can write there
    os.chown(run, 0, 0)
    r.accepted(run)


def test_symlink_to_foreign_dir_refused():
    r = Rundir()
    foreign = r.path("foreign")
    os.mkdir(foreign, 0o755)
    os.chown(foreign, nobody(), nogroup())
    link = r.path("link")
    os.symlink(foreign, link)
    r.refused(link, "directory %s is owned by nobody" % foreign)
    # relative links and ".." are resolved the kernel's way
    os.mkdir(r.path("sub"))
    rel = r.path("sub", "rel")
    os.symlink("../foreign/.", rel)
    r.refused(rel, "directory %s is owned by nobody" % foreign)


def test_symlink_to_good_dir_accepted():
    r = Rundir()
    good = r.path("good")
    os.mkdir(good, 0o750)
    link = r.path("link")
    os.symlink("good", link)
    r.accepted(link, real=good)


def test_link_in_a_foreign_dir_refused():
    # the target is good, but the owner of the directory holding the
    # link can point it elsewhere at any time
    r = Rundir()
    good = r.path("good")
    os.mkdir(good, 0o750)
    foreign = r.path("foreign")
    os.mkdir(foreign, 0o755)
    os.symlink(good, os.path.join(foreign, "link"))
    os.chown(foreign, nobody(), nogroup())
    r.refused(os.path.join(foreign, "link"),
              "directory %s is owned by nobody" % foreign)


def test_foreign_parent_refused():
    r = Rundir()
    parent = r.path("spool")
    os.mkdir(parent, 0o755)
    os.chown(parent, nobody(), nogroup())
    # run_dir exists below it, root's and 0750: still refused
    run = os.path.join(parent, "run")
    os.mkdir(run, 0o750)
    r.refused(run, "directory %s is owned by nobody" % parent)
    # run_dir missing: refused before anything is made in there
    missing = os.path.join(parent, "var", "run", "saslauthd")
    r.refused(missing, "directory %s is owned by nobody" % parent)
    assert not os.path.exists(os.path.join(parent, "var"))
    # a world-writable parent, not sticky
    os.chown(parent, 0, 0)
    os.chmod(parent, 0o777)
    r.refused(run, "directory %s (mode 0777) is writable by every user"
              % parent)


def test_created_layout_still_works():
    # what the daemon makes itself (parents 0755 root, run_dir 0750) and
    # a sticky /tmp above the temp dir pass
    r = Rundir()
    run = r.path("var", "run", "saslauthd")
    r.accepted(run)
    assert stat.S_IMODE(os.stat(r.path("var")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o750
    # a sticky world-writable directory as run_dir itself is refused
    sticky = r.path("sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    r.refused(sticky, "world-writable")


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests()
