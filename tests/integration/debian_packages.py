#!/usr/bin/env python3
"""The Debian packages, built, installed, used, removed and purged.

One dpkg-buildpackage -us -uc -b from a clean copy of the source tree (the
files git knows, committed or not, or the tree without _b when it is not a
git checkout); lintian must print no E: line. The six binary packages
are then installed on this machine with `apt-get install ./*.deb` (offline:
every Depends must already be satisfiable) and checked: owners, modes and
paths of binaries, units, conffiles, the system users, the postfix user's
sasl membership and the chrooted smtpd's socket directory; no daemon was
configured, so none may have been started nor have a .conf made for it.
Each daemon then runs from its installed path as the packaged user (root
for saslauthd-lite, which drops privileges itself like Cyrus saslauthd)
with a configuration in a temp dir, and answers one real request:
tlsmap a socketmap lookup, policyd-ccert a policy request, saslauthd-lite
a login made as the postfix user through its sasl membership;
pfhelpers-sync (its unit has no socket) reads a feed from a throwaway
PostgreSQL cluster, writes the table as its user, reads it again on
SIGHUP, and its `check` passes as that user; the packaged sample passes -n.
`apt-get remove` must leave the conffiles and users, `apt-get purge` must
take away everything install made (the state it noted included) and
nothing else: a snapshot of the directories the packages touch, taken
before install, must match after purge.

Installs system packages: needs root; purges (and deletes the users this
run made) even when a check fails. Skips when the packages are already
installed (they are someone's, not this test's).
"""

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys

from pfhtest import (SRCDIR, Daemon, make_tmpdir, need_root, need_tools,
                     policy_query, run_tests, sasl_auth, skip,
                     socketmap_query, unix_connect, wait_for, write_conf)
from pg_instance import PgInstance, need_postgres

PACKAGES = ["pfhelpers-common", "saslauthd-lite", "policyd-ccert", "tlsmap",
            "pfhelpers-sync", "pfhelpers-doctor"]
DAEMONS = ["saslauthd-lite", "policyd-ccert", "tlsmap"]
USERS = {"policyd-ccert": "_policyd-ccert", "tlsmap": "_tlsmap",
         "pfhelpers-sync": "_pfhelpers-sync"}
SYNC = "pfhelpers-sync"
CHROOT_RUN = "/var/spool/postfix/var/run/saslauthd"
BINARIES = ["/usr/sbin/saslauthd-lite", "/usr/bin/saslauthd-lite-test",
            "/usr/bin/saslauthd-lite-passwd", "/usr/sbin/policyd-ccert",
            "/usr/sbin/policyd-ccert-enrol", "/usr/sbin/tlsmap",
            "/usr/sbin/pfhelpers-sync", "/usr/sbin/pfhelpers-doctor"]
F2B = ["/etc/fail2ban/filter.d/pfhelpers-saslauthd-lite.conf",
       "/etc/fail2ban/jail.d/pfhelpers-saslauthd-lite.conf"]
# what the packages may touch; a purge must leave these as they were
WATCHED = ["/etc", "/lib/systemd", "/usr/sbin", "/usr/bin", "/usr/share/doc",
           "/usr/share/man", "/var/spool/postfix", "/var/lib/systemd",
           "/var/lib/saslauthd-lite"]
# files whose content changes by design (users stay) or by dpkg itself
CHANGING = {"/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-",
            "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
            "/etc/subuid", "/etc/subgid", "/etc/ld.so.cache"}
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith(("MAKE", "MFLAGS", "PFH_", "DEB_"))}
ENV.update(DEBIAN_FRONTEND="noninteractive", DEB_BUILD_OPTIONS="nocheck "
           "parallel=2", LC_ALL="C.UTF-8")


def run(cmd, cwd=None, check=True, timeout=600):
    r = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd),
                             r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg], check=False)
    return r.returncode == 0 and r.stdout.strip() not in ("", "un")


def snapshot():
    """path -> (type, mode, uid, gid) under WATCHED, plus the content of
    the sasl group's line (group memberships must come back as they were)."""
    out = {}
    for top in WATCHED:
        for d, dirs, files in os.walk(top):
            for name in dirs + files:
                p = os.path.join(d, name)
                if p in CHANGING:
                    continue
                st = os.lstat(p)
                out[p] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                          st.st_uid, st.st_gid)
        out[top] = os.path.isdir(top)
    return out


def group_members(name):
    try:
        return sorted(grp.getgrnam(name).gr_mem)
    except KeyError:
        return None


def source_copy(dst):
    """The tree as a release would carry it: git's files (tracked and
    untracked-not-ignored, so uncommitted work is built too), else all
    but _b."""
    if os.path.isdir(os.path.join(SRCDIR, ".git")) or \
            os.path.isfile(os.path.join(SRCDIR, ".git")):
        files = run(["git", "-C", SRCDIR, "ls-files", "-z", "-c", "-o",
                     "--exclude-standard"]).stdout.split("\0")
        for f in files:
            if not f or not os.path.lexists(os.path.join(SRCDIR, f)):
                continue
            os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
            shutil.copy2(os.path.join(SRCDIR, f), os.path.join(dst, f),
                         follow_symlinks=False)
    else:
        shutil.copytree(SRCDIR, dst, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("_b", "*.o"))


class State:
    """Everything the checks share: the debs and the machine before."""
    debs = []
    before = None
    users_before = set()
    sasl_before = None
    tmp = None


S = State()


def build():
    S.tmp = make_tmpdir(prefix="pfh-deb-", mode=0o755)
    src = os.path.join(S.tmp, "pfhelpers-0.1.0")
    os.makedirs(src)
    source_copy(src)
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=900)
    S.debs = sorted(os.path.join(S.tmp, f) for f in os.listdir(S.tmp)
                    if f.endswith(".deb") and "-dbgsym_" not in f)
    names = sorted(os.path.basename(d).split("_")[0] for d in S.debs)
    assert names == sorted(PACKAGES), names
    changes = [os.path.join(S.tmp, f) for f in os.listdir(S.tmp)
               if f.endswith(".changes")]
    r = run(["lintian", "--tag-display-limit", "0"] + changes, check=False)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    assert not errors, "\n".join(errors)


def check_installed():
    for b in BINARIES:
        st = os.stat(b)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
            (0, 0, 0o755), (b, oct(st.st_mode))
    for d in DAEMONS:
        for kind in ("service", "socket"):
            unit = "/lib/systemd/system/%s.%s" % (d, kind)
            drop = "/lib/systemd/system/%s.%s.d/debian.conf" % (d, kind)
            for p in (unit, drop):
                st = os.stat(p)
                assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o644), p
            with open(drop) as f:
                text = f.read()
            assert "ConditionPathExists=/etc/pfhelpers/%s.conf\n" % d in text
            if d in USERS and kind == "service":
                assert "User=%s\n" % USERS[d] in text, text
        check_sample_enabled(d)
    # saslauthd-lite's socket is enabled; one that needs a matching
    # `listen` is not
    assert os.path.islink("/etc/systemd/system/sockets.target.wants/"
                          "saslauthd-lite.socket")
    for d in ("policyd-ccert", "tlsmap"):
        assert not os.path.lexists("/etc/systemd/system/sockets.target.wants/"
                                   "%s.socket" % d), d
    check_sync_installed()
    for f in F2B:
        assert os.path.isfile(f), f
    conff = run(["dpkg-query", "-W", "-f=${Conffiles}",
                 "saslauthd-lite"]).stdout
    assert all(" %s " % f in conff for f in F2B), conff
    with open(F2B[1]) as f:
        assert "\nenabled  = false\n" in f.read()
    for d, user in USERS.items():
        pw = pwd.getpwnam(user)
        assert pw.pw_uid < 1000 and pw.pw_dir == "/nonexistent" and \
            pw.pw_shell == "/usr/sbin/nologin", pw
        assert grp.getgrgid(pw.pw_gid).gr_name == user, user
    assert grp.getgrnam("sasl")
    if has_postfix():
        assert "postfix" in group_members("sasl")
    if os.path.isdir("/var/spool/postfix"):
        st = os.stat(CHROOT_RUN)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
            (0, grp.getgrnam("sasl").gr_gid, 0o750), oct(st.st_mode)
    # no daemon runs: none was configured
    assert not running(), running()


def check_sample_enabled(d):
    """Installed, not configured: d's sample is a conffile of its package
    and the admin's .conf is not made for him; the service is enabled (it
    starts at boot once configured). The sample's path."""
    example = "/etc/pfhelpers/%s.conf.example" % d
    assert os.path.isfile(example), example
    assert not os.path.exists("/etc/pfhelpers/%s.conf" % d)
    conff = run(["dpkg-query", "-W", "-f=${Conffiles}", d]).stdout
    assert " %s " % example in conff, conff
    assert os.path.islink("/etc/systemd/system/multi-user.target.wants/"
                          "%s.service" % d), d
    return example


def check_sync_installed():
    """pfhelpers-sync: a service unit (no socket: it listens on nothing)
    that waits for its .conf, runs as its user and reloads on SIGHUP."""
    unit = "/lib/systemd/system/%s.service" % SYNC
    drop = "/lib/systemd/system/%s.service.d/debian.conf" % SYNC
    for p in (unit, drop):
        st = os.stat(p)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o644), p
    assert not os.path.lexists("/lib/systemd/system/%s.socket" % SYNC)
    with open(unit) as f:
        text = f.read()
    assert "\nExecStart=/usr/sbin/pfhelpers-sync -d\n" in text, text
    assert "\nExecReload=/bin/kill -HUP $MAINPID\n" in text, text
    assert "\nType=notify\n" in text, text
    with open(drop) as f:
        text = f.read()
    assert "ConditionPathExists=/etc/pfhelpers/%s.conf\n" % SYNC in text
    assert "User=%s\n" % USERS[SYNC] in text, text
    assert "DynamicUser=no\n" in text, text
    example = check_sample_enabled(SYNC)
    # the sample is a configuration the installed agent accepts
    r = run(["/usr/sbin/pfhelpers-sync", "-c", example, "-n"], check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def running():
    """pids of processes running one of the packaged binaries"""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            continue
        if exe in BINARIES:
            out.append((pid, exe))
    return out


def has_postfix():
    try:
        pwd.getpwnam("postfix")
        return True
    except KeyError:
        return False


def as_user(user):
    return ["setpriv", "--reuid=" + user, "--regid=" + user,
            "--init-groups", "--"]


def daemon_as(prog, user, args, tmp):
    """Start an installed daemon as `user`; the temp dir and the notify
    socket must be reachable for that user (umask 0 while binding)."""
    d = Daemon(prog, args=args, workdir=tmp, foreground=True,
               wrapper=as_user(user) if user != "root" else [])
    old = os.umask(0)
    try:
        d.start()
    finally:
        os.umask(old)
    with open("/proc/%d/status" % d.pid) as f:
        uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
    assert int(uid) == pwd.getpwnam(user).pw_uid, (prog, uid)
    return d


def user_dirs(user):
    """A temp dir anyone may read (the daemon's config and tables) with a
    run/ subdir the user owns (its socket): (tmp, run)."""
    tmp = make_tmpdir(prefix="pfh-deb-%s-" % user.lstrip("_"), mode=0o755)
    rundir = os.path.join(tmp, "run")
    os.mkdir(rundir)
    shutil.chown(rundir, user, user)
    return tmp, rundir


def readable_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def run_tlsmap():
    tmp, rundir = user_dirs("_tlsmap")
    pol = readable_file(os.path.join(tmp, "tls_policy"),
                        "example.com secure match=.example.com\n")
    sock = os.path.join(rundir, "tlsmap.sock")
    conf = write_conf(os.path.join(tmp, "tlsmap.conf"),
                      {"listen": "unix:" + sock,
                       "maps": "tlspolicy=policy:" + pol})
    os.chmod(conf, 0o644)
    d = daemon_as("/usr/sbin/tlsmap", "_tlsmap", ["-c", conf], tmp)
    try:
        r = socketmap_query(sock, "tlspolicy", "example.com")
        assert r == b"OK secure match=.example.com", r
    finally:
        assert d.stop() == 0, d.log()


def run_policyd():
    tmp, rundir = user_dirs("_policyd-ccert")
    fp = ":".join(["AB"] * 32)
    ids = readable_file(os.path.join(tmp, "identities"),
                        "sha256:%s laptop-bob kind=pubkey\n" % fp)
    sock = os.path.join(rundir, "policy.sock")
    # the packaged sample's user line: a no-op when started as that user
    conf = write_conf(os.path.join(tmp, "policyd-ccert.conf"),
                      {"listen": "unix:" + sock, "identities": ids,
                       "user": "_policyd-ccert"})
    os.chmod(conf, 0o644)
    d = daemon_as("/usr/sbin/policyd-ccert", "_policyd-ccert", ["-c", conf],
                  tmp)
    try:
        with unix_connect(sock) as s:
            r = policy_query(s, [
                ("request", "smtpd_access_policy"),
                ("protocol_state", "RCPT"), ("client_address", "192.0.2.7"),
                ("sender", "bob@example.org"),
                ("recipient", "x@elsewhere.example"),
                ("ccert_pubkey_fingerprint", fp)])
        assert r.get("action") == "OK", r
    finally:
        assert d.stop() == 0, d.log()


def run_saslauthd():
    tmp = make_tmpdir(prefix="pfh-deb-sasl-", mode=0o755)
    r = subprocess.run(["/usr/bin/saslauthd-lite-passwd", "-m",
                        "sha512crypt", "alice"], input=b"alice-pw",
                       capture_output=True, check=True)
    pw = os.path.join(tmp, "passwd")
    with open(pw, "wb") as f:
        f.write(r.stdout)
    os.chmod(pw, 0o600)
    rundir = os.path.join(tmp, "run")
    conf = write_conf(os.path.join(tmp, "saslauthd-lite.conf"),
                      {"run_dir": rundir, "pwfile": pw, "socket_group": "sasl",
                       "throttle": "no"})
    d = daemon_as("/usr/sbin/saslauthd-lite", "root", ["-C", conf], tmp)
    try:
        mux = os.path.join(rundir, "mux")
        st = os.stat(mux)
        assert st.st_gid == grp.getgrnam("sasl").gr_gid, st
        assert sasl_auth(mux, "alice", "alice-pw") == "OK"
        if has_postfix():
            # smtpd's view: the postfix user reaches the mux through the
            # sasl membership the package gave it
            code = ("import socket,sys\n"
                    "f = lambda b: len(b).to_bytes(2, 'big') + b\n"
                    "s = socket.socket(socket.AF_UNIX)\n"
                    "s.connect(%r)\n"
                    "s.sendall(b''.join(map(f, [b'alice', b'alice-pw', "
                    "b'smtp', b''])))\n"
                    "n = int.from_bytes(s.recv(2), 'big')\n"
                    "sys.stdout.write(s.recv(n).decode())\n" % mux)
            r = run(as_user("postfix") + [sys.executable, "-c", code])
            assert r.stdout == "OK", r.stdout + r.stderr
    finally:
        assert d.stop() == 0, d.log()


def run_sync():
    """The installed agent as _pfhelpers-sync: a feed from a real store
    written as that user, read again on SIGHUP; its check passes."""
    user = USERS[SYNC]
    pg = PgInstance().start()
    pg.psql("CREATE TABLE tls_policy (next_hop text, policy text);"
            "INSERT INTO tls_policy VALUES ('example.com', 'secure');")
    tmp, rundir = user_dirs(user)
    out = os.path.join(rundir, "tls_policy")
    conf = write_conf(os.path.join(tmp, "pfhelpers-sync.conf"), {
        "feeds": "tls",
        "tls_source": "pgsql:" + pg.conninfo(),
        "tls_format": "policy",
        "tls_query": "SELECT next_hop, policy FROM tls_policy ORDER BY 1",
        "tls_output": out})
    os.chmod(conf, 0o644)

    def content():
        try:
            with open(out) as f:
                return f.read()
        except FileNotFoundError:
            return None
    d = daemon_as("/usr/sbin/pfhelpers-sync", user, ["-c", conf], tmp)
    try:
        wait_for(lambda: content() is not None, what="the first sync")
        assert content() == "example.com secure\n", content()
        st = os.stat(out)
        assert st.st_uid == pwd.getpwnam(user).pw_uid, st
        # no trigger on the table: only the reload's read can see this row
        pg.psql("INSERT INTO tls_policy VALUES ('example.net', 'dane');")
        # ExecReload's SIGHUP: RELOADING=1 then READY=1, as systemd waits
        d.reload()
        wait_for(lambda: "example.net dane\n" in (content() or ""),
                 what="the sync after SIGHUP")
        r = run(as_user(user) + ["/usr/sbin/pfhelpers-sync", "-c", conf,
                                 "check"], check=False)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        assert d.stop() == 0, d.log()
        pg.stop()


def check_removed():
    for b in BINARIES:
        assert not os.path.exists(b), b
    for d in DAEMONS:
        assert os.path.isfile("/etc/pfhelpers/%s.conf.example" % d)
        assert not os.path.exists("/lib/systemd/system/%s.service" % d)
    for user in USERS.values():
        pwd.getpwnam(user)


def check_purged():
    for user in USERS.values():
        pwd.getpwnam(user)             # Debian policy: system users stay
    assert group_members("sasl") == S.sasl_before, group_members("sasl")
    after = snapshot()
    gone = sorted(set(S.before) - set(after))
    new = sorted(set(after) - set(S.before))
    changed = sorted(p for p in set(after) & set(S.before)
                     if after[p] != S.before[p])
    assert not gone and not new and not changed, \
        "purge left the machine changed: gone %s new %s changed %s" % (
            gone[:20], new[:20], changed[:20])


def purge_all():
    present = [p for p in PACKAGES if installed(p)]
    if present:
        run(["apt-get", "purge", "-y", "-q"] + present, check=False)


def test_packages():
    build()
    S.before = snapshot()
    S.sasl_before = group_members("sasl")
    S.users_before = {u for u in USERS.values() if _user_exists(u)}
    try:
        r = run(["apt-get", "install", "-y", "-q"] + S.debs)
        # offline: the Depends are met by what is here, nothing is fetched
        want = "\n0 upgraded, %d newly installed, 0 to remove" % len(PACKAGES)
        assert want in "\n" + r.stdout, r.stdout
        check_installed()
        run_tlsmap()
        run_policyd()
        run_saslauthd()
        run_sync()
        run(["apt-get", "remove", "-y", "-q"] + PACKAGES)
        check_removed()
        # those without conffiles went whole with the remove
        run(["apt-get", "purge", "-y", "-q"] +
            [p for p in PACKAGES if installed(p)])
        for p in PACKAGES:
            assert not installed(p), p
        check_purged()
    finally:
        purge_all()
        for u in USERS.values():
            if u not in S.users_before and _user_exists(u):
                run(["deluser", "--quiet", "--system", u], check=False)
                if _group_exists(u):
                    run(["delgroup", "--quiet", "--system", u], check=False)


def _user_exists(u):
    try:
        pwd.getpwnam(u)
        return True
    except KeyError:
        return False


def _group_exists(g):
    try:
        grp.getgrnam(g)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    need_root()
    need_tools("dpkg-buildpackage", "dh", "lintian", "apt-get", "setpriv")
    need_postgres()
    if any(installed(p) for p in PACKAGES):
        skip("pfhelpers packages already installed here: not this test's "
             "to purge")
    run_tests()
