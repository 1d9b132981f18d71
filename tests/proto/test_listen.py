#!/usr/bin/env python3
"""The shared listener code through the three real daemons.

SIGHUP and the listener settings it cannot apply (listen / run_dir,
socket_mode, socket_group, status_listen): the warning names the bound
and the wanted value, and after a revert the daemon says nothing is
pending instead of naming the value it was on last (issue #11).

Started as root with user = nobody (these tests skip unless root): the
socket files belong to nobody, are removed at SIGTERM when nobody may
write their directory, and otherwise a warning at start names the socket,
the directory and the user, and the leftover is replaced at the next
start (a non-socket file never is).

Postfix's access (root only): a socket Postfix's user (postconf -h
mail_owner, else "postfix") cannot connect to gets a warning at start and
in -n output that names the socket, its mode/owner/group, the user and
the fix; one it can reach gets none.
"""

import grp
import os
import pwd
import re
import stat
import subprocess

from pfhtest import (Daemon, DaemonError, make_tmpdir, need_root, run_tests,
                     test, unix_connect)

TLSMAP = "tlsmap/tlsmap"
POLICYD = "policyd-ccert/policyd-ccert"
SASL = "saslauthd-lite/saslauthd-lite"



# tables that load: an empty one is refused at start (issue #12)
ONE_PIN = "sha256:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB host1\n"
ONE_USER = "alice:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/\n"

def tlsmap_conf(listen, extra=""):
    return ("listen = %s\nmaps = p=policy:@DIR@/tls_policy\n%s"
            % (listen, extra))


def start_tlsmap(listen, extra="", **kw):
    d = Daemon(TLSMAP, config=tlsmap_conf(listen, extra), wait_ready=False,
               **kw)
    d.write("tls_policy", "example.com secure\n")
    d.wait_ready = True
    return d.start()


def rewrite(d, text):
    d.write(d.config_file, text)


def reload_log(d):
    """SIGHUP; the log lines of this reload."""
    mark = d.log_mark()
    d.reload()
    d.wait_log(r"reload: configuration reloaded|reload: .*keeping",
               since=mark)
    return d.log(since=mark)


def restart_lines(text):
    return [l for l in text.splitlines()
            if "needs a restart" in l or "no restart pending" in l]


@test
def test_tlsmap_listen_change_and_revert():
    d = start_tlsmap("unix:@DIR@/a.sock")
    try:
        a, b = d.path("a.sock"), d.path("b.sock")
        rewrite(d, tlsmap_conf("unix:@DIR@/b.sock"))
        log = reload_log(d)
        assert re.search(r"warning: reload: listen changed from unix:%s to "
                         r"unix:%s: this needs a restart; still listening "
                         r"on unix:%s" % (re.escape(a), re.escape(b),
                                          re.escape(a)), log), log
        # still pending at the next reload: said again, same values
        log = reload_log(d)
        assert "listen changed from unix:%s to unix:%s" % (a, b) in log, log
        # revert: nothing pending, B never named
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock"))
        log = reload_log(d)
        lines = restart_lines(log)
        assert lines and all(b not in l for l in lines), log
        assert re.search(r"reload: listen is back to the running unix:%s; "
                         r"no restart pending" % re.escape(a), log), log
        assert "warning: reload: listen" not in log, log
        # and quiet from then on
        log = reload_log(d)
        assert restart_lines(log) == [], log
        with unix_connect(a):
            pass
    finally:
        d.stop()


@test
def test_tlsmap_equivalent_spelling_is_no_change():
    d = start_tlsmap("unix:@DIR@/a.sock")
    try:
        # a bare path is unix:, a comma list of one is the same list
        rewrite(d, tlsmap_conf("@DIR@/a.sock,"))
        log = reload_log(d)
        assert restart_lines(log) == [], log
    finally:
        d.stop()


@test
def test_tlsmap_mode_group_status_change_and_revert():
    st = "unix:@DIR@/status.sock"
    d = start_tlsmap("unix:@DIR@/a.sock", "socket_mode = 0660\n"
                     "status_listen = %s\n" % st)
    try:
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock", "socket_mode = 0600\n"
                               "status_listen = unix:@DIR@/other.sock\n"))
        log = reload_log(d)
        assert ("socket_mode changed from 0660 to 0600: this needs a "
                "restart; the socket keeps 0660") in log, log
        assert re.search(r"status_listen changed from unix:%s to unix:%s: "
                         r"this needs a restart; the status page stays on "
                         r"unix:%s" % (re.escape(d.path("status.sock")),
                                       re.escape(d.path("other.sock")),
                                       re.escape(d.path("status.sock"))),
                         log), log
        assert "warning: reload: listen" not in log, log
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock", "socket_mode = 0660\n"
                               "status_listen = %s\n" % st))
        log = reload_log(d)
        assert "socket_mode is back to the running 0660" in log, log
        assert "status_listen is back to the running unix:%s" % \
            d.path("status.sock") in log, log
        assert "warning: reload:" not in log, log
        assert "other.sock" not in log, log
    finally:
        d.stop()


@test
def test_tlsmap_group_change_and_revert():
    grp = "nogroup" if os.geteuid() == 0 else str(os.getgid())
    d = start_tlsmap("unix:@DIR@/a.sock")
    try:
        # "" = the group the socket got; a number or name for it is no change
        want = str(os.stat(d.path("a.sock")).st_gid)
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock",
                               "socket_group = %s\n" % want))
        assert restart_lines(reload_log(d)) == []
        if os.geteuid() != 0:
            return
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock",
                               "socket_group = %s\n" % grp))
        log = reload_log(d)
        assert re.search(r"socket_group changed from \S+ to nogroup: this "
                         r"needs a restart", log), log
        rewrite(d, tlsmap_conf("unix:@DIR@/a.sock"))
        log = reload_log(d)
        assert "socket_group is back to the running" in log, log
        assert "nogroup" not in log, log
    finally:
        d.stop()


@test
def test_policyd_listen_change_and_revert():
    d = Daemon(POLICYD, config="", wait_ready=False)
    ids = d.write("identities", ONE_PIN)

    def conf(sock):
        return "listen = unix:%s\nidentities = %s\n" % (d.path(sock), ids)
    rewrite(d, conf("a.sock"))
    d.wait_ready = True
    d.start()
    try:
        a, b = d.path("a.sock"), d.path("b.sock")
        rewrite(d, conf("b.sock"))
        log = reload_log(d)
        assert ("listen changed from unix:%s to unix:%s: this needs a "
                "restart; still listening on unix:%s" % (a, b, a)) in log, log
        rewrite(d, conf("a.sock"))
        log = reload_log(d)
        assert "listen is back to the running unix:%s" % a in log, log
        assert b not in log, log
    finally:
        d.stop()


@test
def test_saslauthd_run_dir_change_and_revert():
    top = make_tmpdir(prefix="pfh-sl-")
    pw = os.path.join(top, "passwd")
    with open(pw, "w") as f:
        f.write(ONE_USER)
    os.chmod(pw, 0o600)
    conf = os.path.join(top, "sasl.conf")

    def write(run):
        with open(conf, "w") as f:
            f.write("run_dir = %s\npwfile = %s\n" % (os.path.join(top, run),
                                                      pw))
    write("run")
    d = Daemon(SASL, args=["-C", conf], workdir=top, name="saslauthd-lite")
    d.start()
    try:
        a = os.path.join(top, "run", "mux")
        b = os.path.join(top, "run2", "mux")
        write("run2")
        log = reload_log(d)
        assert ("run_dir changed from unix:%s to unix:%s: this needs a "
                "restart; still listening on unix:%s" % (a, b, a)) in log, log
        write("run")
        log = reload_log(d)
        assert "run_dir is back to the running unix:%s" % a in log, log
        assert "run2" not in log, log
    finally:
        d.stop()


def start_as_nobody(prog, conf_text, args=(), files=None):
    """prog started as root with user = nobody; ready once it logged so
    (READY=1 is sent after the drop, to a socket nobody may write)."""
    need_root()
    wd = make_tmpdir(prefix="pfh-n-", mode=0o755)
    d = Daemon(prog, config=conf_text, args=args, workdir=wd,
               wait_ready=False)
    for name, text in (files or {}).items():
        d.write(name, text)
    d.start()
    try:
        os.chmod(d.path("notify.sock"), 0o777)
    except OSError:
        pass
    d.wait_log(r"daemon started|error:")
    return d


def owner(path):
    st = os.lstat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name)


NOBODY = ("nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name)
STAYS = "cannot remove the socket at stop"


@test
def test_nobody_socket_removed_when_dir_is_writable():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    os.chown(sdir, pwd.getpwnam("nobody").pw_uid, -1)
    sock = os.path.join(sdir, "t.sock")
    d = start_as_nobody(TLSMAP, tlsmap_conf("unix:" + sock, "user = nobody\n"),
                        files={"tls_policy": "example.com secure\n"})
    try:
        assert "daemon started" in d.log(), d.log()
        assert owner(sock) == NOBODY, owner(sock)
        assert STAYS not in d.log(), d.log()
        with unix_connect(sock):
            pass
    finally:
        assert d.stop() == 0
    assert not os.path.lexists(sock), "socket left after SIGTERM"


@test
def test_nobody_socket_in_root_dir_warns_stays_and_is_replaced():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    sock = os.path.join(sdir, "t.sock")
    conf = tlsmap_conf("unix:" + sock, "user = nobody\n")
    d = start_as_nobody(TLSMAP, conf,
                        files={"tls_policy": "example.com secure\n"})
    try:
        log = d.log()
        m = re.search(r"warning: unix:(\S+): running as (\S+) the daemon "
                      r"cannot remove the socket at stop: no write "
                      r"permission on directory (\S+) .*stays behind after "
                      r"stop and the next start replaces it", log)
        assert m and m.groups() == (sock, "nobody", sdir), log
        assert log.count(STAYS) == 1, log
        assert owner(sock) == NOBODY, owner(sock)
    finally:
        assert d.stop() == 0
    # what is left is nobody's stale socket, never root's
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    assert owner(sock) == NOBODY, owner(sock)
    d2 = start_as_nobody(TLSMAP, conf,
                         files={"tls_policy": "example.com secure\n"})
    try:
        assert "daemon started" in d2.log(), d2.log()
        with unix_connect(sock):
            pass
    finally:
        d2.stop()


@test
def test_non_socket_at_the_path_is_refused():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    path = os.path.join(sdir, "t.sock")
    with open(path, "w") as f:
        f.write("precious\n")
    d = Daemon(TLSMAP, config=tlsmap_conf("unix:" + path), wait_ready=False)
    d.write("tls_policy", "example.com secure\n")
    d.start()
    d.proc.wait(10)
    assert d.proc.returncode != 0
    assert "%s exists and is not a socket" % path in d.log(), d.log()
    with open(path) as f:
        assert f.read() == "precious\n"


@test
def test_nobody_explicit_socket_group():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    sock = os.path.join(sdir, "t.sock")
    d = start_as_nobody(TLSMAP, tlsmap_conf(
        "unix:" + sock, "user = nobody\nsocket_group = postfix\n"),
        files={"tls_policy": "example.com secure\n"})
    try:
        assert owner(sock) == ("nobody", "postfix"), owner(sock)
    finally:
        d.stop()


@test
def test_nobody_status_socket_owned_and_removed():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    os.chown(sdir, pwd.getpwnam("nobody").pw_uid, -1)
    st = os.path.join(sdir, "status.sock")
    d = start_as_nobody(TLSMAP, tlsmap_conf(
        "unix:" + os.path.join(sdir, "t.sock"),
        "user = nobody\nstatus_listen = unix:%s\n" % st),
        files={"tls_policy": "example.com secure\n"})
    try:
        assert "daemon started" in d.log(), d.log()
        assert owner(st) == NOBODY, owner(st)
    finally:
        assert d.stop() == 0
    assert not os.path.lexists(st)


@test
def test_saslauthd_run_dir_it_creates_is_the_run_users():
    need_root()
    top = make_tmpdir(prefix="pfh-sl-", mode=0o755)
    pw = os.path.join(top, "passwd")
    with open(pw, "w") as f:
        f.write(ONE_USER)
    os.chmod(pw, 0o600)
    run = os.path.join(top, "run")
    conf = os.path.join(top, "sasl.conf")
    with open(conf, "w") as f:
        f.write("run_dir = %s\npwfile = %s\nuser = nobody\n" % (run, pw))
    d = Daemon(SASL, args=["-C", conf], workdir=top, name="saslauthd-lite",
               wait_ready=False)
    d.start()
    os.chmod(d.path("notify.sock"), 0o777)
    d.wait_log(r"daemon started|error:")
    try:
        assert "daemon started" in d.log(), d.log()
        assert owner(run)[0] == "nobody", owner(run)
        assert owner(os.path.join(run, "mux")) == NOBODY
        assert STAYS not in d.log(), d.log()
    finally:
        assert d.stop() == 0
    assert not os.path.lexists(os.path.join(run, "mux"))


PF_WARN = "Postfix (user %s) cannot connect"


def tlsmap_start_log(listen, extra="", env=None):
    """Start tlsmap as root (no drop), return its start-up log, stop it."""
    need_root()
    d = start_tlsmap(listen, extra, env=env)
    try:
        return d.log()
    finally:
        d.stop()


@test
def test_postfix_warned_about_root_group_socket():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    sock = os.path.join(sdir, "t.sock")
    log = tlsmap_start_log("unix:" + sock, "socket_mode = 0660\n")
    m = re.search(r"warning: unix:(\S+): Postfix \(user postfix\) cannot "
                  r"connect: no write permission on the socket \S+ \(mode "
                  r"0660, owner root, group root\); fix: .*socket_group = "
                  r"sasl.*adduser postfix sasl.*postfix reload", log)
    assert m and m.group(1) == sock, log
    assert log.count(PF_WARN % "postfix") == 1, log


@test
def test_postfix_group_socket_not_warned():
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    log = tlsmap_start_log("unix:" + os.path.join(sdir, "t.sock"),
                           "socket_group = postfix\n")
    assert "cannot connect" not in log, log
    # and a world-connectable one (another route to "can connect")
    log = tlsmap_start_log("unix:" + os.path.join(sdir, "u.sock"),
                           "socket_mode = 0666\n")
    assert "cannot connect" not in log, log


@test
def test_postfix_warned_about_closed_parent_dir():
    top = make_tmpdir(prefix="pfh-s-", mode=0o755)
    sdir = os.path.join(top, "closed")
    os.mkdir(sdir, 0o700)
    log = tlsmap_start_log("unix:" + os.path.join(sdir, "t.sock"),
                           "socket_group = postfix\n")
    assert re.search(r"Postfix \(user postfix\) cannot connect: no search "
                     r"\(x\) permission on directory %s \(mode 0700, owner "
                     r"root, group root\) \(the socket: mode 0660, owner "
                     r"root, group postfix\)" % re.escape(sdir), log), log


@test
def test_postfix_user_from_postconf_mail_owner():
    need_root()
    if not os.access("/usr/sbin/postconf", os.X_OK):
        raise SystemExit(77)
    cfdir = make_tmpdir(prefix="pfh-pc-", mode=0o755)
    with open(os.path.join(cfdir, "main.cf"), "w") as f:
        f.write("mail_owner = nobody\n")
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    log = tlsmap_start_log("unix:" + os.path.join(sdir, "t.sock"),
                           "socket_group = postfix\n",
                           env={"MAIL_CONFIG": cfdir})
    # postfix could connect, nobody (mail_owner here) cannot
    assert PF_WARN % "nobody" in log, log
    assert PF_WARN % "postfix" not in log, log


@test
def test_postfix_check_in_dash_n():
    need_root()
    sdir = make_tmpdir(prefix="pfh-s-", mode=0o755)
    sock = os.path.join(sdir, "t.sock")
    d = Daemon(TLSMAP, config=tlsmap_conf("unix:" + sock), wait_ready=False)
    d.write("tls_policy", "example.com secure\n")
    r = subprocess.run([d.prog, "-c", d.config_file, "-n"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "unix:%s: %s" % (sock, PF_WARN % "postfix") in r.stderr, r.stderr
    assert not os.path.lexists(sock)
    r = subprocess.run([d.prog, "-c", d.config_file, "-n", "-o",
                        "socket_group=postfix"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "cannot connect" not in r.stderr, r.stderr


@test
def test_postfix_check_policyd_and_saslauthd():
    need_root()
    d = Daemon(POLICYD, config="", wait_ready=False)
    ids = d.write("identities", ONE_PIN)
    os.chmod(d.dir, 0o755)
    rewrite(d, "listen = unix:%s\nidentities = %s\n" % (d.path("p.sock"),
                                                         ids))
    d.wait_ready = True
    d.start()
    d.stop()
    assert PF_WARN % "postfix" in d.log(), d.log()

    top = make_tmpdir(prefix="pfh-sl-", mode=0o755)
    pw = os.path.join(top, "passwd")
    with open(pw, "w") as f:
        f.write(ONE_USER)
    os.chmod(pw, 0o600)
    conf = os.path.join(top, "sasl.conf")
    with open(conf, "w") as f:
        f.write("run_dir = %s/run\npwfile = %s\n" % (top, pw))
    d = Daemon(SASL, args=["-C", conf], workdir=top, name="saslauthd-lite")
    d.start()
    d.stop()
    # run_dir is created 0750 root:root: postfix cannot even search it
    assert re.search(r"unix:%s/run/mux: Postfix \(user postfix\) cannot "
                     r"connect: no search \(x\) permission on directory "
                     r"%s/run " % (re.escape(top), re.escape(top)),
                     d.log()), d.log()
    with open(conf, "a") as f:
        f.write("socket_group = postfix\n")
    os.rmdir(os.path.join(top, "run"))     # the daemon made it 0750 root
    d = Daemon(SASL, args=["-C", conf], name="saslauthd-lite")
    d.start()
    d.stop()
    assert "cannot connect" not in d.log(), d.log()


if __name__ == "__main__":
    run_tests()
