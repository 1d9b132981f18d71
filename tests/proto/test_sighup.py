#!/usr/bin/env python3
"""What SIGHUP does with each parameter, through the real daemons (issue #12).

Every parameter either takes effect on SIGHUP or is named in a warning
"reload: PARAM changed from X to Y: needs a restart; still running with X"
(listener settings in their own words, test_listen.py). The comparison is
with what runs, so after a revert nothing stays pending.

- Table-driven over server_common_params (the list comes from the binary's
  hidden "params" word, so a new common parameter without a row here
  fails): change it in the file, SIGHUP, see the new value in effect (over
  HTTP, in the log's own prefix, in process ids, in behaviour) or the
  warning name it; revert, SIGHUP, no warning left.
- Each daemon's own restart parameters: warned about, and quiet after a
  revert (saslauthd-lite used to compare with the config loaded last).
- status_auth_file over HTTP: adding it makes the page ask for credentials
  (401), a broken new file never leaves the page open (never 200 without
  credentials), removing it is refused until a restart.
- The .conf(5) pages mark exactly the daemon's restart parameters.
"""

import os
import re
import shutil
import subprocess
import time

from pfhtest import (BUILDDIR, SRCDIR, Daemon, free_port,
                     http_request_patient, is_closed, make_tmpdir, run_tests,
                     skip, tcp_connect, test, wait_for, write_conf)

TLSMAP = "tlsmap/tlsmap"
POLICYD = "policyd-ccert/policyd-ccert"
SASL = "saslauthd-lite/saslauthd-lite"
TESTD = "tests/status-testd"
SYNC = "sync/pfhelpers-sync"

DAEMONS = {
    "tlsmap": TLSMAP,
    "policyd-ccert": POLICYD,
    "saslauthd-lite": SASL,
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def params_of(prog):
    """The daemon's own list: {name: "reload" | "restart"}, in order."""
    r = subprocess.run([os.path.join(BUILDDIR, prog), "params"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (prog, r.returncode, r.stderr)
    out = {}
    for line in r.stdout.splitlines():
        name, kind = line.split()
        assert kind in ("reload", "restart"), line
        out[name] = kind
    assert out, (prog, r.stdout)
    return out


def common_params():
    """server_common_params: status-testd has those and its own listen."""
    p = params_of(TESTD)
    del p["listen"]
    return p


def make_hash(password):
    """A crypt hash the way an admin makes one (yescrypt, else SHA-512)."""
    mk = shutil.which("mkpasswd")
    if mk:
        r = subprocess.run([mk, "-m", "yescrypt", "--stdin"],
                           input=password + "\n", capture_output=True,
                           text=True)
        if r.returncode == 0 and r.stdout.startswith("$"):
            return r.stdout.strip()
    ossl = shutil.which("openssl")
    if ossl:
        r = subprocess.run([ossl, "passwd", "-6", "-stdin"],
                           input=password + "\n", capture_output=True,
                           text=True)
        if r.returncode == 0 and r.stdout.startswith("$6$"):
            return r.stdout.strip()
    skip("neither mkpasswd nor openssl to make a crypt hash")


def restart_lines(text):
    return [l for l in text.splitlines()
            if "needs a restart" in l or "no restart pending" in l]


def warnings_naming(text, name):
    return [l for l in text.splitlines() if "needs a restart" in l and
            re.search(r"reload: %s changed" % re.escape(name), l)]


def reload_log(d):
    """SIGHUP; the log lines of this reload (it must be adopted)."""
    mark = d.log_mark()
    d.reload()
    d.wait_log(r"reload: configuration reloaded|keeping the running",
               since=mark)
    text = d.log(since=mark)
    assert "keeping the running configuration" not in text, text
    return text


def conf_text(params):
    return "".join("%s = %s\n" % kv for kv in params.items())


class Tlsmap:
    """tlsmap on a TCP port with a status page behind auth file A."""

    def __init__(self, extra=None):
        self.dir = make_tmpdir(prefix="pfh-hup-")
        self.port = free_port()
        self.sport = free_port()
        self.users = {}
        for who in ("alice", "bob"):
            self.users[who] = (who, "pw-%s-1!" % who)
            with open(self.path(who + ".users"), "w") as f:
                f.write("%s:%s\n" % (who, make_hash(self.users[who][1])))
            os.chmod(self.path(who + ".users"), 0o640)
        with open(self.path("tls_policy"), "w") as f:
            f.write("example.com secure\n")
        self.base = {
            "listen": "inet:127.0.0.1:%d" % self.port,
            "maps": "p=policy:%s" % self.path("tls_policy"),
            "postconf_command": "",
            "status_listen": "inet:127.0.0.1:%d" % self.sport,
            "reload_check_interval": "3600s",
        }
        self.base.update(extra or {})
        self.conf = self.path("tlsmap.conf")
        self.write(self.base)
        self.d = Daemon(TLSMAP, config_file=self.conf, workdir=self.dir,
                        name="tlsmap")
        self.d.start()
        self.url = "http://127.0.0.1:%d" % self.sport

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, params):
        with open(self.conf, "w") as f:
            f.write(conf_text(params).replace("@DIR@", self.dir))

    def change(self, **kw):
        p = dict(self.base)
        p.update(kw)
        self.write(p)
        return reload_log(self.d)

    def revert(self):
        self.write(self.base)
        return reload_log(self.d)

    def page(self, who=None, path="/status.json"):
        return http_request_patient(self.url + path,
                                    self.users[who] if who else None)[0]


def ids_of(pid):
    """(real uid, real gid) of a process."""
    uid = gid = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("Gid:"):
                gid = int(line.split()[1])
    return uid, gid


# --------------------------------------------------------------------------
# the table of common parameters
# --------------------------------------------------------------------------
#
# name: (new value, check while changed, check after the revert). A check
# gets (t, log of that reload); the reload kind comes from the binary and
# decides what the log must say.

def chk_facility(t, log):
    # logged after logging was set up again, so it went to the new facility
    assert "reload: syslog_facility changed from mail to local3" in log, log


def chk_name(t, log):
    t.d.wait_log(r"^pfh-renamed\[%d\]: reload: configuration reloaded"
                 % t.d.pid, since=0)


def chk_name_back(t, log):
    assert re.search(r"^tlsmap\[%d\]: reload: configuration reloaded"
                     % t.d.pid, log, re.M), log


def chk_ids(t, log):
    assert "privileges stay those it started with" in log, log
    assert ids_of(t.d.pid) == t.ids, (ids_of(t.d.pid), t.ids)


def chk_pid_file(t, log):
    assert not os.path.exists(t.path("new.pid"))


def chk_status_listen(t, log):
    # the page stays on the port it was bound to
    assert t.page("alice") == 200


def chk_auth_b(t, log):
    assert t.page() == 401
    assert t.page("alice") == 401
    assert t.page("bob") == 200


def chk_auth_a(t, log):
    assert t.page() == 401
    assert t.page("bob") == 401
    assert t.page("alice") == 200


def chk_interval(t, log):
    # a changed map file is noticed within the new interval, not in an hour
    mark = t.d.log_mark()
    with open(t.path("tls_policy"), "w") as f:
        f.write("example.com secure\nexample.net encrypt\n")
    t.d.wait_log(r"map p: reloaded .*: 2 entries", timeout=5, since=mark)


def write_map(t, n):
    with open(t.path("tls_policy"), "w") as f:
        f.write("".join("d%d.example secure\n" % i for i in range(n - 1)))
        f.write("example.com secure\n")


def chk_settle(t, log):
    # table_settle_time = 0: a map written a moment ago loads at the SIGHUP
    # (with 1s it waits for the next check, an hour away in this set-up)
    mark = t.d.log_mark()
    write_map(t, 3)
    t.d.reload()
    t.d.wait_log(r"map p: reloaded .*: 3 entries", timeout=5, since=mark)


def chk_shrink(t, log):
    # table_shrink_limit = 0: a reload that drops 3 of 4 entries loads
    for n in (4, 1):
        mark = t.d.log_mark()
        write_map(t, n)
        time.sleep(1.3)         # past table_settle_time (1s)
        t.d.reload()
        t.d.wait_log(r"map p: reloaded .*: %d entr" % n, timeout=5,
                     since=mark)


def chk_stop_timeout(t, log):
    assert "reload: stop_timeout changed from 10s to 3s" in log, log


def chk_max_conns(t, log):
    # the listener keeps the limit it was bound with (4096), not 1
    a = tcp_connect("127.0.0.1", t.port)
    b = tcp_connect("127.0.0.1", t.port)
    try:
        q = b"p example.com"
        b.sendall(b"%d:%s," % (len(q), q))
        assert b"secure" in b.recv(4096)
        assert not is_closed(a, 0.3)
    finally:
        a.close()
        b.close()


def chk_idle(t, log):
    c = tcp_connect("127.0.0.1", t.port)
    try:
        assert is_closed(c, 5.0), "idle_timeout = 1s did not close"
    finally:
        c.close()


def chk_first_request(t, log):
    # first_request_timeout = 1s: a connection that never sends closes soon
    # (idle_timeout is tlsmap's 300s)
    c = tcp_connect("127.0.0.1", t.port)
    try:
        assert is_closed(c, 5.0), "first_request_timeout = 1s did not close"
    finally:
        c.close()


def chk_per_peer(t, log):
    # max_new_connections_per_peer = 1: a second silent connection from
    # this address closes the first
    a = tcp_connect("127.0.0.1", t.port)
    try:
        time.sleep(0.3)
        b = tcp_connect("127.0.0.1", t.port)
        try:
            assert is_closed(a, 5.0), "the older silent connection stayed"
        finally:
            b.close()
    finally:
        a.close()


COMMON_CASES = {
    "syslog_facility": ("local3", chk_facility, None),
    "syslog_name": ("pfh-renamed", chk_name, chk_name_back),
    "user": ("nobody", chk_ids, None),
    "group": ("nogroup", chk_ids, None),
    "pid_file": ("@DIR@/new.pid", chk_pid_file, None),
    "status_listen": ("inet:127.0.0.1:@PORT@", chk_status_listen, None),
    "status_auth_file": ("@DIR@/bob.users", chk_auth_b, chk_auth_a),
    "reload_check_interval": ("200ms", chk_interval, None),
    "table_settle_time": ("0", chk_settle, None),
    "table_shrink_limit": ("0", chk_shrink, None),
    "stop_timeout": ("3s", chk_stop_timeout, None),
    "max_connections": ("1", chk_max_conns, None),
    "first_request_timeout": ("1s", chk_first_request, None),
    "max_new_connections_per_peer": ("1", chk_per_peer, None),
    "idle_timeout": ("1s", chk_idle, None),
}


@test
def test_every_common_parameter_takes_effect_or_is_warned_about():
    common = common_params()
    assert set(common) == set(COMMON_CASES), \
        "rows missing or extra: %r" % (set(common) ^ set(COMMON_CASES))
    # the security parameters never keep their old value silently
    for name in ("status_listen", "user", "group"):
        assert common[name] == "restart", (name, common[name])
    assert common["status_auth_file"] == "reload"
    t = Tlsmap({"status_auth_file": "@DIR@/alice.users"})
    t.ids = ids_of(t.d.pid)
    with t.d:
        for name, kind in common.items():
            value, check, check_back = COMMON_CASES[name]
            value = value.replace("@PORT@", str(free_port()))
            log = t.change(**{name: value})
            if kind == "restart":
                w = warnings_naming(log, name)
                assert len(w) == 1, (name, log)
                assert name == "status_listen" or \
                    "still running with" in w[0], w
            else:
                assert restart_lines(log) == [], (name, log)
                assert re.search(r"reload: %s changed from .* to " %
                                 re.escape(name), log), (name, log)
            check(t, log)
            log = t.revert()
            assert [l for l in restart_lines(log)
                    if "needs a restart" in l] == [], (name, log)
            if kind == "restart":
                assert re.search(r"reload: %s is back to the running .*; "
                                 r"no restart pending" % re.escape(name),
                                 log), (name, log)
            if check_back:
                check_back(t, log)
            # and the next reload has nothing to say about it
            log = reload_log(t.d)
            assert restart_lines(log) == [], (name, log)


# --------------------------------------------------------------------------
# each daemon's own restart parameters
# --------------------------------------------------------------------------

DAEMON_RESTART_VALUES = {
    "tlsmap": {"postconf_command": "/bin/false", "postconf_timeout": "2s",
               "dns_forwarders": "127.0.0.1@5399",
               "dns_stub_zones": "test.=127.0.0.1@5399",
               "dns_trust_anchor_file": "/etc/pfhelpers/test-anchor.key",
               "cache_size": "100",
               "sts_ca_file": "/etc/ssl/certs/ca-certificates.crt",
               "sts_timeout": "3s",
               "control_listen": "unix:/run/pfh-hup-test.control"},
    "saslauthd-lite": {"workers": "7", "max_queue": "100",
                       "throttle_table_size": "500", "recent_size": "20",
                       "dovecot_listen": "unix:/run/pfh-hup-test.auth"},
    "policyd-ccert": {},
}
LISTENER_PARAMS = {"listen", "run_dir", "socket_mode", "socket_group",
                   "status_listen"}


def start_daemon(name):
    dir = make_tmpdir(prefix="pfh-hup-")
    if name == "tlsmap":
        with open(os.path.join(dir, "tls_policy"), "w") as f:
            f.write("example.com secure\n")
        base = {"listen": "inet:127.0.0.1:%d" % free_port(),
                "maps": "p=policy:%s/tls_policy" % dir,
                "postconf_command": ""}
    elif name == "policyd-ccert":
        with open(os.path.join(dir, "identities"), "w") as f:
            # an empty table is refused at start (issue #12)
            f.write("sha256:%s host1\n" % ":".join(["AB"] * 32))
        base = {"listen": "inet:127.0.0.1:%d" % free_port(),
                "identities": "%s/identities" % dir}
    else:
        with open(os.path.join(dir, "passwd"), "w") as f:
            f.write("alice:%s\n" % make_hash("alice-pw"))
        os.chmod(os.path.join(dir, "passwd"), 0o600)
        base = {"run_dir": "%s/run" % dir, "pwfile": "%s/passwd" % dir,
                "workers": "5", "max_queue": "256"}
    conf = os.path.join(dir, "d.conf")
    write_conf(conf, base)
    flag = "-C" if name == "saslauthd-lite" else "-c"
    d = Daemon(DAEMONS[name], args=[flag, conf], workdir=dir, name=name)
    d.start()
    return d, conf, base


@test
def test_daemon_restart_parameters_warn_until_reverted():
    for name, prog in DAEMONS.items():
        kinds = params_of(prog)
        common = common_params()
        own = [p for p, k in kinds.items() if k == "restart" and
               p not in common and p not in LISTENER_PARAMS]
        assert set(own) == set(DAEMON_RESTART_VALUES[name]), (name, own)
        if not own:
            continue
        d, conf, base = start_daemon(name)
        with d:
            changed = dict(base)
            changed.update(DAEMON_RESTART_VALUES[name])
            write_conf(conf, changed)
            log = reload_log(d)
            for p in own:
                w = warnings_naming(log, p)
                assert len(w) == 1, (name, p, log)
                assert "still running with" in w[0], w
            # a second reload of the same file says it again: still pending
            log = reload_log(d)
            for p in own:
                assert len(warnings_naming(log, p)) == 1, (name, p, log)
            write_conf(conf, base)
            log = reload_log(d)
            assert [l for l in restart_lines(log)
                    if "needs a restart" in l] == [], (name, log)
            for p in own:
                assert "reload: %s is back to the running" % p in log, log


# --------------------------------------------------------------------------
# status_auth_file over HTTP
# --------------------------------------------------------------------------

@test
def test_adding_status_auth_file_asks_for_credentials():
    t = Tlsmap()
    with t.d:
        assert t.page() == 200
        log = t.change(status_auth_file=t.path("alice.users"))
        for path in ("/", "/status.json", "/metrics", "/readyz"):
            assert t.page(path=path) == 401, path
        assert restart_lines(log) == [], log
        assert "the status page asks for its users" in log, log
        assert t.page("alice") == 200
        assert t.page("bob") == 401
        assert http_request_patient(t.url + "/healthz")[0] == 200


@test
def test_broken_new_file_on_an_open_page_denies():
    t = Tlsmap()
    with t.d:
        assert t.page() == 200
        broken = t.path("broken.users")
        with open(broken, "w") as f:
            f.write("alice:plaintext-password\n")
        log = t.change(status_auth_file=broken)
        assert t.page() == 401
        assert t.page("alice") == 401
        assert "denies every request" in log, log
        # a missing file too
        log = t.change(status_auth_file=t.path("missing.users"))
        assert "denies every request" in log, log
        assert t.page() == 401
        # fixed in place: taken as soon as it changes, no signal needed
        log = t.change(status_auth_file=broken)
        time.sleep(0.02)
        shutil.copy(t.path("alice.users"), broken)
        wait_for(lambda: t.page("alice") == 200, timeout=5,
                 what="the fixed file")
        assert t.page() == 401


@test
def test_broken_new_file_keeps_the_old_users():
    t = Tlsmap({"status_auth_file": "@DIR@/alice.users"})
    with t.d:
        broken = t.path("broken.users")
        with open(broken, "w") as f:
            f.write("bob\n")
        log = t.change(status_auth_file=broken)
        assert ("still running with status_auth_file %s"
                % t.path("alice.users")) in log, log
        assert t.page() == 401
        assert t.page("alice") == 200
        # the next reload tries again and says so again
        log = reload_log(t.d)
        assert "still running with status_auth_file" in log, log
        assert t.page() == 401
        log = t.revert()
        assert "error" not in log, log
        assert t.page("alice") == 200


@test
def test_removing_status_auth_file_is_refused():
    t = Tlsmap({"status_auth_file": "@DIR@/alice.users"})
    with t.d:
        p = dict(t.base)
        del p["status_auth_file"]
        t.write(p)
        log = reload_log(t.d)
        w = warnings_naming(log, "status_auth_file")
        assert len(w) == 1 and "never opens the status page" in w[0], log
        assert t.page() == 401
        assert t.page("alice") == 200
        log = reload_log(t.d)
        assert len(warnings_naming(log, "status_auth_file")) == 1, log
        assert t.page() == 401
        log = t.revert()
        assert [l for l in restart_lines(log)
                if "needs a restart" in l] == [], log
        assert "status_auth_file is back to the running" in log, log
        assert t.page("alice") == 200


# --------------------------------------------------------------------------
# the manual pages say the same
# --------------------------------------------------------------------------

HEAD = re.compile(r"^\.BR? +(\w+)(.*)$")


def page_params(page):
    """{name: restart?} from a .conf(5) page: every .B/.BR line that starts
    with a parameter name; "restart" on it marks a restart parameter."""
    out = {}
    with open(page) as f:
        for line in f:
            m = HEAD.match(line.rstrip("\n"))
            if m:
                name = m.group(1)
                restart = bool(re.search(r"\brestart\b", m.group(2)))
                out[name] = out.get(name, False) or restart
    return out


@test
def test_conf_pages_mark_exactly_the_restart_parameters():
    # pfhelpers-sync has no listener for the tests above, but its page too
    # lists each parameter (a feed's as NAME_param) and marks the restart ones
    for name, prog in dict(DAEMONS, **{"pfhelpers-sync": SYNC}).items():
        page = os.path.join(SRCDIR, "doc", name + ".conf.5")
        kinds = params_of(prog)
        doc = page_params(page)
        missing = [p for p in kinds if p not in doc]
        assert missing == [], "%s: not in %s: %r" % (name, page, missing)
        wrong = [p for p, k in kinds.items()
                 if (k == "restart") != doc[p]]
        assert wrong == [], ("%s: %s marks these differently from the "
                             "daemon (%r): %r" % (name, page, kinds, wrong))


if __name__ == "__main__":
    run_tests(module_globals=globals())
