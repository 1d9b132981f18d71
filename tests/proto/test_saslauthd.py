#!/usr/bin/env python3
"""Protocol tests for saslauthd-lite: the real binary over its DIR/mux socket.

Every test starts the daemon (tests/lib/pfhtest.Daemon, READY=1 on
NOTIFY_SOCKET) in a private temp dir with its own config (-C), password
file and, for the PAM cases, a private PAM stack (pam_confdir) built from
pam_permit, pam_deny, pam_exec and pam_faildelay.  Hashes are made by the
project's own saslauthd-lite-passwd (sha512crypt, fast enough for timing
tests) or by `openssl passwd` for the weak ones.

Time (issue #14): how long each state of a request lasts (the grace, the
throttle delay chosen, backend_timeout, the queue-full answer, the PAM
failure delay) is tested exactly on a fake clock in
tests/unit/test_sasl_session.c. Here the real thing is checked end to
end: lower bounds (a timer never fires early), the delay the daemon logs
(throttled=MSms), the order answers come in, and upper bounds of LOOSE
seconds past the expected time that catch a hang, not a slow machine.
"""

import os
import re
import signal
import socket
import stat
import struct
import subprocess
import threading
import time

from pfhtest import (BUILDDIR, Daemon, write_conf, DaemonError, make_tmpdir,
                     join_threads, run_tests, sasl_read_reply, sasl_request,
                     skip, unix_connect, is_closed, which)

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
SECRET = "Zq9-alice-secret"          # must never show up in a log
PAMDIR = "/usr/lib/x86_64-linux-gnu/security"
LOOSE = 5.0     # s past the expected answer: a hang, not a slow machine

_hashes = {}


def mkhash(password, method="sha512crypt"):
    key = (password, method)
    if key not in _hashes:
        out = subprocess.run([PASSWD_TOOL, "-m", method, "u"],
                             input=password.encode(), capture_output=True,
                             check=True).stdout.decode().strip()
        _hashes[key] = out.split(":", 1)[1]
    return _hashes[key]


def write_pwfile(path, entries, mode=0o600):
    with open(path, "w") as f:
        for user, h in entries:
            f.write("%s:%s\n" % (user, h))
    os.chmod(path, mode)


class Sasl:
    """The daemon with a config file; d.mux is the socket path."""

    def __init__(self, params=None, args=(), pwfile=None, start=True):
        self.dir = make_tmpdir(prefix="pfh-sasl-")
        self.mux = os.path.join(self.dir, "run", "mux")
        self.pwfile = os.path.join(self.dir, "passwd")
        if pwfile is None:
            pwfile = [("alice", mkhash(SECRET)),
                      ("carol@example.org", mkhash("carol-pw")),
                      ("locked", "!" + mkhash("locked-pw")),
                      ("star", "*")]
        write_pwfile(self.pwfile, pwfile)
        conf = {"run_dir": os.path.join(self.dir, "run"),
                "pwfile": self.pwfile,
                "reload_check_interval": "200ms",
                "throttle": "no"}
        conf.update(params or {})
        self.conf = os.path.join(self.dir, "sasl.conf")
        write_conf(self.conf, conf)
        self.d = Daemon(PROG, args=["-C", self.conf] + list(args),
                        workdir=self.dir, name="saslauthd-lite")
        if start:
            self.d.start()

    def auth(self, login, password, service="smtp", realm="", client=None,
             timeout=10.0):
        with unix_connect(self.mux, timeout) as s:
            s.sendall(sasl_request(login, password, service, realm, client))
            return sasl_read_reply(s, timeout)

    def timed(self, *a, **kw):
        t0 = time.monotonic()
        r = self.auth(*a, **kw)
        return r, time.monotonic() - t0

    def log(self):
        return self.d.log()


def last_decision(s, user=None):
    lines = [l for l in s.log().splitlines() if "auth: result=" in l]
    if user is not None:
        lines = [l for l in lines if " user=%s " % user in l]
    assert lines, "no decision logged"
    return lines[-1]


def throttled_ms(line):
    """The delay a decision line says the throttle gave it (0: none)."""
    m = re.search(r" throttled=(\d+)ms", line)
    return int(m.group(1)) if m else 0


def expect_exit(args, params=None, pwfile=None, pwmode=0o600):
    """Start expecting a refusal: return (exit code, log)."""
    s = Sasl(params=params, args=args, pwfile=pwfile, start=False)
    if pwmode != 0o600:
        os.chmod(s.pwfile, pwmode)
    try:
        s.d.start()
    except DaemonError:
        return s.d.proc.returncode, s.d.log()
    raise AssertionError("daemon started but should have refused")


# -------------------------------------------------------------------------

def test_four_and_five_fields():
    s = Sasl()
    with unix_connect(s.mux) as c:
        c.sendall(sasl_request("alice", SECRET, "smtp", ""))
        assert c.recv(4) == b"\x00\x02OK"
        # the drain: our side shuts down after the reply
        assert is_closed(c, 2.0)
    assert "result=OK user=alice service=smtp realm= client=unknown " \
        "backend=pwfile cached=no" in last_decision(s)
    r = s.auth("alice", SECRET, client="192.0.2.10;49152")
    assert r == "OK"
    assert "client=192.0.2.10 " in last_decision(s)
    assert s.auth("alice", "nope", client="192.0.2.10;49152") == \
        "NO authentication failed"


def test_fifth_field_in_two_writes():
    # a grace of 1 s leaves the split write below room on a busy machine
    s = Sasl(params={"fifth_field_grace": "1s"})
    req = sasl_request("alice", SECRET, "smtp", "", "192.0.2.11;1234")
    four = len(sasl_request("alice", SECRET, "smtp", ""))
    # split inside the 5th field: the grace timer waits for the rest
    with unix_connect(s.mux) as c:
        c.sendall(req[:four + 5])
        time.sleep(0.03)
        c.sendall(req[four + 5:])
        assert sasl_read_reply(c) == "OK"
    assert "client=192.0.2.11 " in last_decision(s)
    # split exactly after the realm: answered as 4 fields, no hang
    with unix_connect(s.mux) as c:
        t0 = time.monotonic()
        c.sendall(req[:four])
        assert sasl_read_reply(c) == "OK"
        dt = time.monotonic() - t0
        assert dt < LOOSE, "4 fields waited %.2fs for a 5th" % dt
        c.sendall(req[four:])        # drained and thrown away
    # a partial 5th field that never completes: 4 fields after the grace
    with unix_connect(s.mux) as c:
        t0 = time.monotonic()
        c.sendall(req[:four + 3])
        assert sasl_read_reply(c) == "OK"
        dt = time.monotonic() - t0
        assert 0.9 <= dt < 1.0 + LOOSE, dt


def test_split_writes_byte_by_byte():
    s = Sasl()
    req = sasl_request("alice", SECRET, "smtp", "")
    with unix_connect(s.mux) as c:
        for i in range(len(req)):
            c.sendall(req[i:i + 1])
            time.sleep(0.002)
        assert sasl_read_reply(c) == "OK"


def test_oversize_field_closes_others_served():
    s = Sasl()
    other = unix_connect(s.mux)          # a client waiting meanwhile
    other.sendall(sasl_request("alice", SECRET, "smtp", "")[:5])
    for fields in (["a" * 257, "pw", "smtp", ""],
                   ["alice", "p" * 257, "smtp", ""],
                   ["alice", SECRET, "smtp", "", "1" * 257]):
        with unix_connect(s.mux) as c:
            c.sendall(sasl_request(*fields))
            assert c.recv(5) == b"\x00\x03NO "
            assert is_closed(c, 2.0)
    # the length alone is enough: no need to send 257 bytes
    with unix_connect(s.mux) as c:
        c.sendall(struct.pack(">H", 257))
        assert c.recv(5) == b"\x00\x03NO "
    other.sendall(sasl_request("alice", SECRET, "smtp", "")[5:])
    assert sasl_read_reply(other) == "OK"
    other.close()
    assert s.auth("alice", SECRET) == "OK"
    assert "longer than 256 bytes" in s.log()


def test_empty_login_or_password():
    s = Sasl()
    assert s.auth("", "x") == "NO NULL login received"
    assert s.auth("alice", "") == "NO NULL password received"
    assert s.auth("alice", SECRET) == "OK"


def test_wrong_unknown_locked_same_answer():
    s = Sasl()
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert 'reason="wrong password"' in last_decision(s, "alice")
    assert s.auth("nobody", "wrong") == "NO authentication failed"
    assert 'reason="unknown user"' in last_decision(s, "nobody")
    assert s.auth("locked", "locked-pw") == "NO authentication failed"
    assert 'reason="account locked"' in last_decision(s, "locked")
    assert s.auth("star", "x") == "NO authentication failed"
    assert 'reason="account locked"' in last_decision(s, "star")


def test_unknown_user_costs_a_hash():
    # no cache (a repeated NO would be a hit) and no throttle (its delay):
    # every try is one backend call
    s = Sasl(params={"cache": "no", "throttle": "no"},
             pwfile=[("alice", mkhash(SECRET, "yescrypt"))])
    # the fastest of a few tries: a loaded machine only ever adds time
    known = min(s.timed("alice", "wrong")[1] for _ in range(5))
    unknown = min(s.timed("zed", "wrong")[1] for _ in range(5))
    # yescrypt costs tens of ms; a bare miss would be well under 1 ms
    assert unknown > known * 0.5, (known, unknown)


def test_weak_hash_refused_at_load():
    md5 = subprocess.run(["openssl", "passwd", "-1", "weak-pw"],
                         capture_output=True, check=True).stdout.decode().strip()
    rc, log = expect_exit([], pwfile=[("alice", md5)])
    assert rc != 0 and "weak password hash (md5crypt) refused" in log, log
    rc, log = expect_exit([], pwfile=[("alice", "abcdefghijklm")])
    assert rc != 0 and "weak password hash (des)" in log, log
    rc, log = expect_exit([], pwfile=[("alice", "$9$junk")])
    assert rc != 0 and "not a crypt(3) hash" in log, log
    assert "junk" not in log and "$9$" not in log, log
    s = Sasl(params={"pwfile_allow_weak_hashes": "yes"},
             pwfile=[("alice", md5)])
    assert s.auth("alice", "weak-pw") == "OK"


def test_pwfile_secrecy():
    rc, log = expect_exit([], pwmode=0o644)
    assert rc != 0 and "lets others read it" in log, log
    rc, log = expect_exit([], pwmode=0o620)
    assert rc != 0, log


def test_pwfile_secrecy_on_reload():
    # judged on the descriptor read: a file that became readable to others
    # is refused (the old table stays); the chmod back alone (a new ctime)
    # makes it load
    s = Sasl()
    try:
        assert s.auth("alice", SECRET) == "OK"
        mark = s.d.log_mark()
        write_pwfile(s.pwfile, [("alice", mkhash(SECRET)),
                                ("dave", mkhash("dave-pw"))], mode=0o644)
        s.d.wait_log(r"mode 0644 lets others read it.*keeping the table "
                     r"loaded before", since=mark)
        assert s.auth("dave", "dave-pw") == "NO authentication failed"
        assert s.auth("alice", SECRET) == "OK"
        os.chmod(s.pwfile, 0o600)
        s.d.wait_log(r"pwfile: .* reloaded: 2 entries", since=mark)
        assert s.auth("dave", "dave-pw") == "OK"
    finally:
        s.d.stop()


REALM_TABLE = [
    # policy,   login,              realm,         expected
    ("pass",    "alice",            "",            "OK"),
    ("pass",    "alice",            "example.org", "NO"),
    ("pass",    "carol",            "example.org", "OK"),
    ("pass",    "carol",            "",            "NO"),
    ("join",    "carol",            "example.org", "OK"),
    ("join",    "alice",            "",            "OK"),
    ("join",    "alice",            "example.org", "NO"),
    ("strip",   "alice",            "example.org", "OK"),
    ("strip",   "alice@other.test", "",            "OK"),
    ("strip",   "carol",            "example.org", "NO"),
    ("default", "carol",            "",            "OK"),
    ("default", "alice",            "",            "NO"),
    ("default", "carol",            "example.org", "OK"),
    ("default", "carol@example.org", "",           "OK"),
]


def test_realm_policies():
    pw = {"alice": SECRET, "carol": "carol-pw"}
    for policy in ("pass", "join", "strip", "default"):
        s = Sasl(params={"realm_policy": policy,
                         "default_realm": "example.org"})
        for pol, login, realm, want in REALM_TABLE:
            if pol != policy:
                continue
            r = s.auth(login, pw[login.split("@")[0]], realm=realm)
            assert r.split()[0] == want, (policy, login, realm, r)
        s.d.stop()
    # -r is Cyrus's join: login@realm, realm still passed
    s = Sasl(args=["-r"])
    assert s.auth("carol", "carol-pw", realm="example.org") == "OK"
    assert "user=carol@example.org " in last_decision(s)
    assert "realm=example.org " in last_decision(s)


def test_cache_hit_expiry_and_flush():
    s = Sasl(args=["-c", "-t", "1"])
    assert s.auth("alice", SECRET) == "OK"
    assert "cached=no" in last_decision(s)
    assert s.auth("alice", SECRET) == "OK"
    assert "cached=yes" in last_decision(s)
    # a wrong password is never answered from a positive entry
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert "cached=no" in last_decision(s)
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert "cached=no" in last_decision(s)      # negative entries are off
    time.sleep(1.2)
    assert s.auth("alice", SECRET) == "OK"
    assert "cached=no" in last_decision(s)       # expired
    assert s.auth("alice", SECRET) == "OK"
    assert "cached=yes" in last_decision(s)
    # the password changes in the file: reloaded, cache flushed
    mark = s.d.log_mark()
    # (the other users stay: dropping most of them needs FILE.confirm)
    write_pwfile(s.pwfile + ".new", [("alice", mkhash("new-pw")),
                                     ("carol@example.org", mkhash("carol-pw")),
                                     ("locked", "!" + mkhash("locked-pw")),
                                     ("star", "*")])
    os.rename(s.pwfile + ".new", s.pwfile)
    s.d.wait_log(r"cache flushed", since=mark)
    assert s.auth("alice", SECRET) == "NO authentication failed"
    assert s.auth("alice", "new-pw") == "OK"
    # SIGHUP flushes too
    assert s.auth("alice", "new-pw") == "OK"
    assert "cached=yes" in last_decision(s)
    s.d.reload()
    assert s.auth("alice", "new-pw") == "OK"
    assert "cached=no" in last_decision(s)


def test_throttle_grows_same_password_does_not_escalate():
    s = Sasl(params={"throttle": "yes", "throttle_after": "2",
                     "throttle_delay": "300ms",
                     "throttle_max_delay": "2400ms"},
             pwfile=[("alice", mkhash(SECRET)), ("dave", mkhash("dave-pw"))])
    plan = [("a", 0.0), ("b", 0.0),      # 2 failures: next waits 300 ms
            ("b", 0.3), ("b", 0.3),      # the same password: no escalation
            ("c", 0.3),                  # new password: 3 failures
            ("d", 0.6),                  # 4 failures
            ("e", 1.2)]
    for pw, want in plan:
        r, dt = s.timed("dave", pw)
        assert r == "NO authentication failed"
        line = last_decision(s, "dave")
        assert throttled_ms(line) == int(want * 1000), (pw, want, line)
        assert want <= dt < want + LOOSE, (pw, want, dt)

    # a correct user in parallel is not delayed: answered while dave's
    # next guess still waits its 2.4 s
    t = threading.Thread(target=s.auth, args=("dave", "f"))
    t.start()
    time.sleep(0.1)
    r, dt = s.timed("alice", SECRET)
    assert r == "OK" and dt < LOOSE, dt
    assert throttled_ms(last_decision(s, "alice")) == 0
    assert t.is_alive(), "alice answered only after dave's wait (%.2fs)" % dt
    join_threads([t])
    # the right password still answers (after the wait), and resets
    r, dt = s.timed("dave", "dave-pw")
    assert r == "OK" and dt >= 2.4
    assert throttled_ms(last_decision(s, "dave")) == 2400
    r, dt = s.timed("dave", "dave-pw")
    assert r == "OK" and dt < LOOSE, dt
    assert throttled_ms(last_decision(s, "dave")) == 0


def test_throttle_per_client_address():
    s = Sasl(params={"throttle": "yes", "throttle_after": "1",
                     "throttle_delay": "400ms"})
    # different users, one address: the address gets throttled
    for u in ("u1", "u2"):
        s.auth(u, "x", client="198.51.100.7;1000")
    r, dt = s.timed("u3", "x", client="198.51.100.7;1001")
    assert dt >= 0.4, dt
    assert throttled_ms(last_decision(s, "u3")) == 400
    r, dt = s.timed("alice", SECRET, client="198.51.100.8;1000")
    assert r == "OK" and dt < LOOSE, dt
    assert throttled_ms(last_decision(s, "alice")) == 0


def test_throttle_parallel_same_password_not_delayed():
    # one application, many connections, one password: one guess in
    # flight, not twenty (the throttle counts distinct passwords)
    s = Sasl(params={"throttle": "yes", "throttle_after": "2",
                     "throttle_delay": "1s", "workers": "4"})
    out = []

    def one():
        out.append(s.timed("alice", SECRET, client="192.0.2.1;1"))
    ts = [threading.Thread(target=one) for _ in range(20)]
    for t in ts:
        t.start()
    join_threads(ts)
    assert len(out) == 20
    for r, dt in out:
        assert r == "OK" and dt < LOOSE, (r, dt)
    assert "throttled=" not in s.log()


def write_pam(dirpath, services):
    os.makedirs(dirpath, exist_ok=True)
    for name, text in services.items():
        with open(os.path.join(dirpath, name), "w") as f:
            f.write(text)


def pam_daemon(params=None, services=None):
    if not os.path.exists(os.path.join(PAMDIR, "pam_exec.so")):
        skip("pam_exec.so not found in %s" % PAMDIR)
    s = Sasl(params=params, start=False)
    pamdir = os.path.join(s.dir, "pam.d")
    write_pam(pamdir, services)
    with open(s.conf, "a") as f:
        f.write("mechanisms = pam\npam_confdir = %s\npam_services = %s\n"
                % (pamdir, ", ".join(sorted(services))))
    s.d.start()
    return s


GOOD = "auth required pam_permit.so\naccount required pam_permit.so\n"
DENY = ("auth optional pam_faildelay.so delay=1500000\n"
        "auth required pam_deny.so\naccount required pam_permit.so\n")


def test_pam_service_and_hang_deadline():
    s = pam_daemon({"backend_timeout": "1s"}, {
        "good": GOOD,
        "hang": "auth required pam_exec.so quiet /bin/sleep 30\n"
                "account required pam_permit.so\n",
        "other": "auth required pam_deny.so\naccount required pam_deny.so\n",
    })
    assert s.auth("anyone", "pw", service="good") == "OK"
    res = {}

    def hang():
        res["hang"] = s.timed("anyone", "pw", service="hang")
        res["hang_end"] = time.monotonic()
    t = threading.Thread(target=hang)
    t.start()
    time.sleep(0.2)
    # other requests are served while one hangs on a worker
    r, dt = s.timed("anyone", "pw", service="good")
    good_end = time.monotonic()
    assert r == "OK" and dt < LOOSE, dt
    join_threads([t])
    r, dt = res["hang"]
    assert r == "NO backend timeout", r
    assert 0.9 <= dt < 1.0 + LOOSE, dt
    assert good_end < res["hang_end"], "good waited for the hung request"
    assert "reason=\"pam: backend timeout\"" in last_decision(s)
    # a service name that is a path is refused, never opened
    assert s.auth("anyone", "pw", service="../good") == \
        "NO authentication failed"
    assert 'reason="service not allowed"' in last_decision(s)


def test_pam_fail_delay_is_a_timer_not_a_worker():
    s = pam_daemon({"workers": "1"}, {"deny": DENY, "good": GOOD})
    out = []

    def one():
        out.append(s.timed("mallory", "guess", service="deny") +
                   (time.monotonic(),))
    ts = [threading.Thread(target=one) for _ in range(4)]
    for t in ts:
        t.start()
    time.sleep(0.2)
    r, dt = s.timed("anyone", "pw", service="good")
    good_end = time.monotonic()
    assert r == "OK" and dt < LOOSE, dt
    join_threads(ts)
    assert len(out) == 4
    for r, dt, end in out:
        assert r == "NO authentication failed"
        # Linux-PAM randomises the delay to 0.5-1.5x (_pam_compute_delay)
        assert 0.7 <= dt < 2.25 + LOOSE, dt     # the delay was served...
    # ...while the one worker was free: "good" did not queue behind the
    # four delays (on the worker it would come after all of them)
    assert good_end < max(end for _, _, end in out), \
        "good waited for the failure delays"


def test_queue_overflow_answers_fast():
    s = pam_daemon({"workers": "1", "max_queue": "1",
                    "backend_timeout": "2s"}, {
        "hang": "auth required pam_exec.so quiet /bin/sleep 3\n"
                "account required pam_permit.so\n"})
    res = []

    def one():
        res.append(s.timed("anyone", "pw", service="hang"))
    ts = [threading.Thread(target=one) for _ in range(2)]
    for t in ts:
        t.start()
        time.sleep(0.2)                    # A runs, B waits in the queue
    r, dt = s.timed("anyone", "pw", service="hang")
    # at once: before the two ahead of it reach their 2 s deadline
    assert r == "NO temporary failure" and dt < LOOSE, (r, dt)
    assert len(res) == 0, "the full queue's answer came after %r" % res
    assert "queue full" in last_decision(s)
    join_threads(ts)
    assert sorted(r for r, _ in res) == ["NO backend timeout"] * 2


def test_sighup_broken_pwfile_keeps_old():
    s = Sasl()
    assert s.auth("alice", SECRET) == "OK"
    with open(s.pwfile, "w") as f:
        f.write("alice-without-a-colon\n")
    mark = s.d.log_mark()
    s.d.reload()
    s.d.wait_log(r"keeping the table loaded before", since=mark)
    assert s.auth("alice", SECRET) == "OK"
    assert s.d.running()


def test_sigterm_finishes_in_flight():
    s = pam_daemon({"backend_timeout": "5s"}, {
        "slow": "auth required pam_exec.so quiet /bin/sleep 1\n"
                "auth required pam_permit.so\n"
                "account required pam_permit.so\n"})
    res = {}

    def one():
        res["r"] = s.auth("anyone", "pw", service="slow")
    t = threading.Thread(target=one)
    t.start()
    time.sleep(0.3)
    rc = s.d.stop(timeout=10)
    join_threads([t])
    assert res.get("r") == "OK", res
    assert rc == 0, rc
    assert not os.path.exists(s.mux)


def test_socket_and_run_dir_modes():
    s = Sasl()
    st = os.stat(s.mux)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert stat.S_IMODE(os.stat(os.path.dirname(s.mux)).st_mode) == 0o750
    s.d.stop()
    rc, log = expect_exit([], params={"socket_mode": "0666"})
    assert rc != 0 and "world-writable socket" in log, log
    bad = Sasl(start=False)
    os.makedirs(os.path.dirname(bad.mux))
    os.chmod(os.path.dirname(bad.mux), 0o777)
    try:
        bad.d.start()
        raise AssertionError("started with a world-writable run_dir")
    except DaemonError:
        assert "world-writable" in bad.d.log()


def test_concurrent_clients():
    s = Sasl(params={"workers": "4"})
    out = []

    def one(i):
        pw = SECRET if i % 2 == 0 else "wrong%d" % i
        out.append((i, s.auth("alice", pw)))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    for t in ts:
        t.start()
    join_threads(ts)
    assert len(out) == 40
    for i, r in out:
        assert r == ("OK" if i % 2 == 0 else "NO authentication failed")


def test_cyrus_flags_and_version():
    v = subprocess.run([os.path.join(BUILDDIR, PROG), "-v"],
                       capture_output=True, timeout=10)
    assert v.returncode == 0
    assert b"authentication mechanisms: pwfile pam shadow" in v.stdout
    s = Sasl(args=["-n", "0", "-l", "-s", "64", "-a", "pwfile",
                   "-O", "@DIR@/passwd"])
    assert s.auth("alice", SECRET) == "OK"
    assert "using 1 worker thread" in s.log()


def test_no_password_in_log():
    s = Sasl(args=["-V", "-c"], params={"throttle": "yes"})
    s.auth("alice", SECRET)
    s.auth("alice", SECRET)
    s.auth("alice", SECRET + "x")
    s.auth("nobody", SECRET)
    assert SECRET not in s.log()
    assert "carol-pw" not in s.log()


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests()
