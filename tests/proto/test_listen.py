#!/usr/bin/env python3
"""The shared listener code through the three real daemons.

SIGHUP and the listener settings it cannot apply (listen / run_dir,
socket_mode, socket_group, status_listen): the warning names the bound
and the wanted value, and after a revert the daemon says nothing is
pending instead of naming the value it was on last (issue #11).
"""

import os
import re

from pfhtest import Daemon, make_tmpdir, run_tests, test, unix_connect

TLSMAP = "tlsmap/tlsmap"
POLICYD = "policyd-ccert/policyd-ccert"
SASL = "saslauthd-lite/saslauthd-lite"


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
    ids = d.write("identities", "")

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
        f.write("")
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


if __name__ == "__main__":
    run_tests()
