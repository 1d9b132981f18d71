#!/usr/bin/env python3
"""saslauthd-lite's Dovecot auth socket (dovecot_listen), through the socket.

The protocol is Dovecot's auth client protocol as Postfix's smtpd speaks it
(src/xsasl/xsasl_dovecot_server.c): the server's handshake, then VERSION
and CPID from the client; AUTH <id> <mech> service=... [secured] [rip= lip=]
[resp=<base64>], CONT <id> <base64>, CANCEL <id>; OK/FAIL/CONT answers.

Every behaviour case (@both) runs twice: against saslauthd-lite, and
against Dovecot's own auth server (Debian dovecot-core: a private instance,
`dovecot -F -c CONF` in a temp dir, no protocols, a passwd-file with the
same sha512crypt hashes), so the wire format is proven against the real
implementation. Cases that only saslauthd-lite can show (the unsecured
rule, temporary failures, the decision log, throttling, the mux beside
it) run against it alone, each saying why.

Dovecot's auth penalty delays the answers to a client address that failed
before, so every request here comes from its own loopback address.
"""

import base64
import os
import pwd
import re
import signal
import stat
import subprocess
import time

from pfhtest import (BUILDDIR, Daemon, DaemonError, add_cleanup, free_port,
                     http_text, is_closed, make_tmpdir, need_root, need_tools,
                     run_tests, sasl_auth, skip, test, unix_connect, wait_for,
                     write_conf)
from promparse import check_naming_scheme, mval, parse_exposition
from test_saslauthd import mkhash

PROG = "saslauthd-lite/saslauthd-lite"
SECRET = "Zq9-alice-secret"          # must never show up in a log
PAMDIR = "/usr/lib/x86_64-linux-gnu/security"
TIMEOUT = 10.0

_rip = [0]


USERS = [("alice", SECRET), ("bob", "bob-pw")]


def slow_deny(seconds):
    """A PAM stack for service smtp that takes this long to say no."""
    return {"smtp": "auth required pam_exec.so quiet /bin/sleep %d\n"
                    "auth required pam_deny.so\n"
                    "account required pam_permit.so\n" % seconds}


def need_pam_exec():
    if not os.path.exists(os.path.join(PAMDIR, "pam_exec.so")):
        skip("pam_exec.so not found in %s" % PAMDIR)


def rip():
    """A loopback address no request has come from yet."""
    _rip[0] += 1
    return "127.0.%d.%d" % (_rip[0] // 250, _rip[0] % 250 + 1)


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def plain(user, password, authzid=""):
    return b64("%s\0%s\0%s" % (authzid, user, password))


class Lite:
    """saslauthd-lite with its Dovecot socket."""
    kind = "saslauthd-lite"

    def __init__(self, params=None, pam=None, path=None, start=True,
                 endpoint=None):
        self.dir = make_tmpdir(prefix="pfh-sdc-")
        self.path = path or os.path.join(self.dir, "auth")
        self.endpoint = endpoint or "unix:" + self.path
        self.mux = os.path.join(self.dir, "run", "mux")
        pwfile = os.path.join(self.dir, "passwd")
        with open(pwfile, "w") as f:
            for u, p in USERS:
                f.write("%s:%s\n" % (u, mkhash(p)))
        os.chmod(pwfile, 0o600)
        conf = {"run_dir": os.path.join(self.dir, "run"), "pwfile": pwfile,
                "throttle": "no"}
        if pam is not None:
            pamdir = os.path.join(self.dir, "pam.d")
            os.mkdir(pamdir)
            for name, text in pam.items():
                with open(os.path.join(pamdir, name), "w") as f:
                    f.write(text)
            conf.update({"mechanisms": "pam", "pam_confdir": pamdir,
                         "pam_services": ", ".join(sorted(pam))})
        conf.update(params or {})
        self.conf = os.path.join(self.dir, "sasl.conf")
        write_conf(self.conf, conf)
        # the interface outside tests drive: -o on the command line
        self.d = Daemon(PROG, args=["-C", self.conf, "-o",
                                    "dovecot_listen=" + self.endpoint],
                        workdir=self.dir, name="saslauthd-lite")
        if start:
            self.d.start()
            add_cleanup(self.d.stop)

    def check(self):
        """saslauthd-lite ... check: its exit status and output."""
        r = subprocess.run([os.path.join(BUILDDIR, PROG), "-C", self.conf,
                            "-o", "dovecot_listen=" + self.endpoint,
                            "check"], capture_output=True, text=True,
                           timeout=30)
        return r.returncode, r.stdout + r.stderr

    def log(self):
        return self.d.log()

    def decisions(self):
        return [l for l in self.log().splitlines() if "auth: result=" in l]


DOVECOT_CONF = """\
protocols =
base_dir = {dir}/base
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = {dir}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  user = root
  unix_listener {dir}/auth {{
    mode = 0600
  }}
}}
service auth-worker {{
  user = root
}}
"""


class Dove:
    """A private Dovecot whose auth server has the same users."""
    kind = "dovecot"

    def __init__(self):
        tools = need_tools("dovecot")
        self.dir = make_tmpdir(prefix="pfh-dove-")
        self.path = os.path.join(self.dir, "auth")
        with open(os.path.join(self.dir, "users"), "w") as f:
            for u, p in USERS:
                f.write("%s:{CRYPT}%s\n" % (u, mkhash(p)))
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(DOVECOT_CONF.format(dir=self.dir))
        self.out = open(os.path.join(self.dir, "stdout"), "w")
        self.proc = subprocess.Popen([tools["dovecot"], "-F", "-c", conf],
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        add_cleanup(self.stop)
        wait_for(self._ready, timeout=20, what="Dovecot's auth socket")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("dovecot exited %d: %s" % (
                self.proc.returncode, open(self.out.name).read()))
        try:
            with unix_connect(self.path, 1.0):
                return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    def log(self):
        try:
            return open(os.path.join(self.dir, "dovecot.log")).read()
        except OSError:
            return ""


class Client:
    """One connection: reads the server's handshake, sends its own."""

    def __init__(self, peer, version="VERSION\t1\t2\nCPID\t4242\n"):
        self.peer = peer
        self.s = unix_connect(peer.path, TIMEOUT)
        self.buf = b""
        self.handshake = []
        while True:
            line = self.line()
            assert line is not None, "closed in the handshake"
            self.handshake.append(line)
            if line == "DONE":
                break
        if version:
            self.send(version)

    def send(self, text):
        if isinstance(text, str):
            text = text.encode()
        try:
            self.s.sendall(text)
        except (BrokenPipeError, ConnectionResetError):
            pass        # closed already: closed() says so

    def line(self, timeout=TIMEOUT):
        """The next line, or None when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, "no line within %ss (have %r)" % (timeout,
                                                                self.buf)
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def words(self, timeout=TIMEOUT):
        line = self.line(timeout)
        assert line is not None, "closed, expected a reply"
        return line.split("\t")

    def auth(self, id, mech, resp=None, addr=None, extra=()):
        w = ["AUTH", str(id), mech, "service=smtp", "nologin",
             "lip=127.0.0.1", "rip=" + (addr or rip())] + list(extra)
        if resp is not None:
            w.append("resp=" + resp)
        self.send("\t".join(w) + "\n")

    def closed(self):
        """The server closed the connection (a disconnect)."""
        if self.buf:
            return False
        return is_closed(self.s, timeout=TIMEOUT)

    def close(self):
        self.s.close()


def fields(words):
    """The key=value words of a reply, and the flags."""
    kv, flags = {}, set()
    for w in words[2:]:
        if "=" in w:
            k, v = w.split("=", 1)
            kv[k] = v
        else:
            flags.add(w)
    return kv, flags


def expect(c, cmd, id):
    w = c.words()
    assert w[:2] == [cmd, str(id)], (c.peer.kind, w)
    return fields(w)


def login(c, id, user, password, addr=None):
    """A whole PLAIN exchange; the reply's words."""
    c.auth(id, "PLAIN", plain(user, password), addr=addr)
    return c.words()


PEERS = {"saslauthd-lite": Lite, "dovecot": Dove}


def both(fn):
    """Register fn(peer) as a test against each server."""
    for kind, cls in PEERS.items():
        def run(fn=fn, cls=cls):
            fn(cls())
        run.__name__ = "test_%s%s" % (fn.__name__,
                                      "" if cls is Lite else "_dovecot")
        test(run)
    return fn


# --------------------------------------------------------------------------
# The handshake
# --------------------------------------------------------------------------

@both
def handshake_lists_plain_and_login_and_a_cookie(peer):
    c = Client(peer, version=None)
    h = [l.split("\t") for l in c.handshake]
    assert h[0][0] == "VERSION" and h[0][1] == "1", h
    mechs = {w[1]: set(w[2:]) for w in h if w[0] == "MECH"}
    assert set(mechs) == {"PLAIN", "LOGIN"}, mechs
    assert all("plaintext" in f for f in mechs.values()), mechs
    keys = [w[0] for w in h]
    assert keys[-1] == "DONE" and keys.count("DONE") == 1, keys
    for k in ("SPID", "CUID", "COOKIE"):
        assert keys.count(k) == 1, (k, keys)
    val = {w[0]: w[1] for w in h if len(w) == 2}
    assert val["SPID"].isdigit() and val["CUID"].isdigit(), val
    assert re.fullmatch(r"[0-9a-f]{32}", val["COOKIE"]), val
    # a cookie is per connection
    c2 = Client(peer, version=None)
    val2 = {w.split("\t")[0]: w.split("\t")[1] for w in c2.handshake
            if w.count("\t") == 1}
    assert val2["COOKIE"] != val["COOKIE"]
    assert val2["CUID"] != val["CUID"]


@both
def version_major_2_disconnects(peer):
    c = Client(peer, version="VERSION\t2\t0\nCPID\t1\n")
    c.auth(1, "PLAIN", plain("alice", SECRET))
    assert c.closed()


@both
def auth_before_version_disconnects(peer):
    c = Client(peer, version=None)
    c.auth(1, "PLAIN", plain("alice", SECRET))
    assert c.closed()


# --------------------------------------------------------------------------
# PLAIN
# --------------------------------------------------------------------------

@both
def plain_right_password_ok_with_user(peer):
    c = Client(peer)
    w = login(c, 1, "alice", SECRET)
    assert w[:3] == ["OK", "1", "user=alice"], w


def fails_with_user(peer, id, user, password):
    """A definite no, naming the user, not temporary."""
    w = login(Client(peer), id, user, password)
    assert w[:2] == ["FAIL", str(id)], w
    kv, flags = fields(w)
    assert kv.get("user") == user and "temp" not in flags, w


@both
def plain_wrong_password_fail_with_user(peer):
    fails_with_user(peer, 7, "alice", "wrong")


@both
def plain_unknown_user_fails_like_a_wrong_password(peer):
    fails_with_user(peer, 3, "nobody", "whatever")


@both
def plain_authzid_empty_or_the_user_accepted(peer):
    c = Client(peer)
    c.auth(1, "PLAIN", plain("alice", SECRET, authzid="alice"))
    assert c.words()[:3] == ["OK", "1", "user=alice"]


@both
def plain_authzid_of_someone_else_refused(peer):
    c = Client(peer)
    c.auth(1, "PLAIN", plain("alice", SECRET, authzid="bob"))
    w = c.words()
    assert w[:2] == ["FAIL", "1"], w


@both
def plain_extra_nul_fails(peer):
    c = Client(peer)
    for i, data in enumerate([b"\0alice\0" + SECRET.encode() + b"\0x",
                              b"\0alice\0\0" + SECRET.encode(),
                              b"alice\0" + SECRET.encode(), b""], 1):
        c.auth(i, "PLAIN", b64(data))
        w = c.words()
        assert w[:2] == ["FAIL", str(i)], (data, w)
    # the connection still serves
    assert login(c, 9, "alice", SECRET)[0] == "OK"


@both
def plain_without_initial_response_continues(peer):
    c = Client(peer)
    c.auth(5, "PLAIN")
    assert c.words() == ["CONT", "5", ""]
    c.send("CONT\t5\t%s\n" % plain("alice", SECRET))
    assert c.words()[:3] == ["OK", "5", "user=alice"]


@both
def invalid_base64_fails(peer):
    c = Client(peer)
    c.auth(1, "PLAIN", "!!!!")
    kv, _ = expect(c, "FAIL", 1)
    assert "Invalid base64" in kv.get("reason", ""), kv
    c.auth(2, "PLAIN")
    assert c.words() == ["CONT", "2", ""]
    c.send("CONT\t2\t*not base64*\n")
    kv, _ = expect(c, "FAIL", 2)
    assert "Invalid base64" in kv.get("reason", ""), kv
    assert login(c, 3, "alice", SECRET)[0] == "OK"


# --------------------------------------------------------------------------
# LOGIN
# --------------------------------------------------------------------------

@both
def login_mechanism_asks_username_then_password(peer):
    c = Client(peer)
    c.auth(1, "LOGIN")
    assert c.words() == ["CONT", "1", b64("Username:")]
    c.send("CONT\t1\t%s\n" % b64("alice"))
    assert c.words() == ["CONT", "1", b64("Password:")]
    c.send("CONT\t1\t%s\n" % b64(SECRET))
    assert c.words()[:3] == ["OK", "1", "user=alice"]


@both
def login_initial_response_is_the_user(peer):
    c = Client(peer)
    c.auth(2, "LOGIN", b64("alice"))
    assert c.words() == ["CONT", "2", b64("Password:")]
    c.send("CONT\t2\t%s\n" % b64("wrong"))
    w = c.words()
    assert w[:2] == ["FAIL", "2"] and fields(w)[0].get("user") == "alice", w


# --------------------------------------------------------------------------
# Many requests, persistent connections
# --------------------------------------------------------------------------

@both
def many_requests_on_one_connection(peer):
    c = Client(peer)
    for i in range(1, 9):
        good = i % 2 == 1
        w = login(c, i, "alice" if good else "bob",
                  SECRET if good else "nope")
        assert w[:2] == (["OK", str(i)] if good else ["FAIL", str(i)]), w


@both
def several_requests_in_flight_answered_by_id(peer):
    c = Client(peer)
    want = {}
    lines = []
    for i, (u, p, ok) in enumerate([("alice", SECRET, True),
                                    ("bob", "nope", False),
                                    ("bob", "bob-pw", True),
                                    ("alice", "nope", False)], 11):
        lines.append("AUTH\t%d\tPLAIN\tservice=smtp\trip=%s\tresp=%s\n"
                     % (i, rip(), plain(u, p)))
        want[str(i)] = ("OK" if ok else "FAIL", u)
    c.send("".join(lines))
    got = {}
    for _ in want:
        w = c.words()
        got[w[1]] = (w[0], fields(w)[0].get("user"))
    assert got == want, got


@both
def cancel_forgets_the_request(peer):
    c = Client(peer)
    c.auth(1, "PLAIN")
    assert c.words() == ["CONT", "1", ""]
    c.send("CANCEL\t1\n")
    # the id is free again
    assert login(c, 1, "alice", SECRET)[:2] == ["OK", "1"]


@both
def cancel_of_a_request_being_checked(peer):
    # the check was in flight when CANCEL came (one write): the
    # connection goes on serving. (Dovecot answers the cancelled request
    # when its check had started; we drop the answer. Postfix never
    # cancels.)
    c = Client(peer)
    c.send("AUTH\t1\tPLAIN\tservice=smtp\trip=%s\tresp=%s\nCANCEL\t1\n"
           % (rip(), plain("alice", SECRET)))
    time.sleep(0.3)
    c.auth(2, "PLAIN", plain("alice", SECRET))
    w = c.words()
    if w[1] == "1" and peer.kind == "dovecot":
        w = c.words()
    assert w[:2] == ["OK", "2"], w
    assert login(c, 1, "bob", "bob-pw")[:2] == ["OK", "1"]


@both
def cont_for_an_unknown_id_fails(peer):
    c = Client(peer)
    c.send("CONT\t99\t%s\n" % plain("alice", SECRET))
    w = c.words()
    assert w[:2] == ["FAIL", "99"], w
    assert login(c, 1, "alice", SECRET)[0] == "OK"


# --------------------------------------------------------------------------
# Broken protocol: a disconnect
# --------------------------------------------------------------------------

def disconnects(peer, line):
    c = Client(peer)
    c.send(line)
    assert c.closed(), (peer.kind, line)


@both
def unknown_command_disconnects(peer):
    disconnects(peer, "BOGUS\t1\n")


@both
def unknown_mechanism_disconnects(peer):
    disconnects(peer, "AUTH\t1\tCRAM-MD5\tservice=smtp\trip=%s\n" % rip())


@both
def malformed_auth_disconnects(peer):
    for line in ["AUTH\tx\tPLAIN\tservice=smtp\n",
                 "AUTH\t0\tPLAIN\tservice=smtp\n",
                 "AUTH\t1\n",
                 "AUTH\t1\tPLAIN\trip=127.0.0.1\n",
                 "AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\tsecured\n"
                 % plain("alice", SECRET)]:
        disconnects(peer, line)


@both
def duplicate_id_disconnects(peer):
    c = Client(peer)
    c.auth(4, "PLAIN")
    assert c.words() == ["CONT", "4", ""]
    c.auth(4, "PLAIN", plain("alice", SECRET))
    assert c.closed()


@both
def oversized_line_disconnects(peer):
    # Dovecot 2.3 takes lines up to 16384 bytes, and so do we
    c = Client(peer)
    c.auth(1, "PLAIN", "A" * 12000)
    w = c.words()
    assert w[:2] == ["FAIL", "1"], w
    c.auth(2, "PLAIN", "A" * 20000)
    assert c.closed()


# --------------------------------------------------------------------------
# saslauthd-lite only
# --------------------------------------------------------------------------

# Dovecot's auth server leaves disable_plaintext_auth to its own login
# processes (they send `secured` for local connections), so its auth
# socket answers an unsecured remote request; saslauthd-lite enforces it.
@test
def test_unsecured_remote_client_refused_unless_allowed():
    s = Lite()
    c = Client(s)
    c.auth(1, "PLAIN", plain("alice", SECRET), addr="192.0.2.7")
    kv, _ = expect(c, "FAIL", 1)
    assert "Plaintext" in kv.get("reason", ""), kv
    c.auth(2, "LOGIN", addr="192.0.2.7")
    expect(c, "FAIL", 2)
    c.auth(3, "PLAIN", plain("alice", SECRET), addr="192.0.2.7",
           extra=["secured"])
    assert c.words()[:3] == ["OK", "3", "user=alice"]
    # no rip at all is no loopback client
    c.send("AUTH\t4\tPLAIN\tservice=smtp\tresp=%s\n" % plain("alice", SECRET))
    expect(c, "FAIL", 4)
    assert "refused (dovecot_allow_unsecured = no)" in s.log()
    assert "auth: result=OK" in s.log()
    assert len(s.decisions()) == 1, s.decisions()

    s2 = Lite({"dovecot_allow_unsecured": "yes"})
    c = Client(s2)
    c.auth(1, "PLAIN", plain("alice", SECRET), addr="192.0.2.7")
    assert c.words()[:2] == ["OK", "1"]


@test
def test_decision_log_has_the_client_and_never_the_password():
    s = Lite()
    c = Client(s)
    login(c, 1, "alice", SECRET, addr="127.0.0.9")
    login(c, 2, "alice", "wrong-" + SECRET, addr="::1")
    d = s.decisions()
    assert " result=OK user=alice service=smtp realm= client=127.0.0.9 " \
        in d[0], d
    assert " result=NO user=alice service=smtp realm= client=::1 " \
        in d[1], d
    log = s.log()
    assert SECRET not in log and b64(SECRET) not in log
    assert plain("alice", SECRET) not in log


@test
def test_backend_timeout_is_a_temporary_failure():
    # a temporary failure: Dovecot's passwd-file has none to show
    need_pam_exec()
    s = Lite({"backend_timeout": "300ms"},
             pam=slow_deny(3))
    c = Client(s)
    w = login(c, 1, "alice", SECRET)
    assert w[:2] == ["FAIL", "1"], w
    kv, flags = fields(w)
    assert "temp" in flags and kv.get("user") == "alice", w


@test
def test_control_character_in_the_user_refused_unchecked():
    s = Lite()
    c = Client(s)
    for i, user in enumerate(["al\tice", "alice\nOK\t9", "a\x01b"], 1):
        c.auth(i, "PLAIN", b64("\0%s\0%s" % (user, SECRET)))
        w = c.words()
        assert w[:2] == ["FAIL", str(i)] and "user" not in fields(w)[0], w
    c.auth(4, "LOGIN", b64("x\ty"))
    expect(c, "FAIL", 4)
    assert s.decisions() == []
    assert login(c, 5, "alice", SECRET)[0] == "OK"


@test
def test_refusals_on_one_connection_cannot_flood_the_log():
    # a refusal that keeps the connection costs the client one line each:
    # without a cap, one write floods syslog. 16 a minute per connection.
    s = Lite()
    c = Client(s)
    n = 300
    c.send("".join("AUTH\t%d\tPLAIN\tservice=smtp\trip=%s\tresp=!!\n"
                   % (i, rip()) for i in range(1, n + 1)))
    for i in range(1, n + 1):
        expect(c, "FAIL", i)
    # 70 PLAIN requests left open (no response yet), past the 64 allowed
    c.send("".join("AUTH\t%d\tPLAIN\tservice=smtp\trip=%s\n"
                   % (i, rip()) for i in range(1000, 1070)))
    for _ in range(70):
        c.words()
    c.send("".join("CANCEL\t%d\n" % i for i in range(1000, 1070)))
    assert login(c, 5000, "alice", "nope")[0] == "FAIL"
    lines = [l for l in s.log().splitlines() if "dovecot: " in l]
    assert 16 <= len(lines) <= 20, lines
    assert any("not logged" in l for l in lines), lines
    assert len(s.decisions()) == 1, s.decisions()
    # another connection has its own allowance
    c2 = Client(s)
    c2.auth(1, "PLAIN", "!!")
    expect(c2, "FAIL", 1)
    wait_for(lambda: len([l for l in s.log().splitlines()
                          if "dovecot: " in l]) == len(lines) + 1,
             what="the other connection's line")
    # what was held back is counted when the connection goes
    c.close()
    s.d.wait_log(r"dovecot: 290 more refused requests on this connection "
                 r"were not logged")


@test
def test_nul_byte_in_a_line_disconnects():
    s = Lite()
    disconnects(s, "AUTH\t1\tPLAIN\tservice=smtp\0\trip=127.0.0.1\n")
    assert "dovecot:" in s.log()


@test
def test_overlong_service_disconnects():
    # Dovecot takes any service name; ours names a PAM service, and one
    # cut short could name another
    s = Lite()
    disconnects(s, "AUTH\t1\tPLAIN\tservice=%s\trip=127.0.0.1\tresp=%s\n"
                % ("s" * 257, plain("alice", SECRET)))
    c = Client(s)
    c.send("AUTH\t1\tPLAIN\tservice=%s\trip=127.0.0.1\tresp=%s\n"
           % ("s" * 256, plain("alice", SECRET)))
    expect(c, "OK", 1)


@test
def test_per_ip_throttle_from_rip():
    s = Lite({"throttle": "yes", "throttle_after": "2",
              "throttle_delay": "400ms", "throttle_max_delay": "5s"})
    c = Client(s)
    # two failures from one address, for two different users
    assert login(c, 1, "alice", "x", addr="127.0.0.5")[0] == "FAIL"
    assert login(c, 2, "bob", "y", addr="127.0.0.5")[0] == "FAIL"
    t0 = time.monotonic()
    assert login(c, 3, "bob", "bob-pw", addr="127.0.0.5")[0] == "OK"
    assert time.monotonic() - t0 >= 0.4
    assert login(c, 4, "bob", "bob-pw", addr="127.0.0.6")[0] == "OK"
    d = s.decisions()
    assert re.search(r"client=127\.0\.0\.5 .* throttled=\d+ms", d[2]), d
    assert "client=127.0.0.6" in d[3] and "throttled=" not in d[3], d


@test
def test_throttle_refusal_is_held_for_throttle_delay():
    # Dovecot's auth penalty cannot be shown beside (it delays every
    # failure): saslauthd-lite holds only a refusal, on this socket only
    s = Lite({"throttle": "yes", "throttle_after": "1",
              "throttle_delay": "2s", "throttle_max_delay": "3s"})
    a, b, c = Client(s), Client(s), Client(s)
    assert login(a, 1, "alice", "guess1", addr="127.0.0.7")[0] == "FAIL"
    # in parallel: b's guess waits 2 s; c's, behind it, would wait 5 s,
    # past throttle_max_delay: refused unchecked, its FAIL held for 2 s
    t0 = time.monotonic()
    b.auth(2, "PLAIN", plain("alice", "guess2"), addr="127.0.0.8")
    c.auth(3, "PLAIN", plain("alice", "guess3"), addr="127.0.0.9")
    w = c.words()
    dt = time.monotonic() - t0
    assert w[:2] == ["FAIL", "3"] and "temp" in fields(w)[1], w
    assert dt >= 2.0, dt
    assert dt < 2.0 + TIMEOUT, dt
    assert b.words()[:2] == ["FAIL", "2"]
    wait_for(lambda: len(s.decisions()) == 3, what="three decisions")
    assert any('reason="throttled: too many requests for this login"' in l
               for l in s.decisions()), s.decisions()
    # c's next line is read once the refusal is out
    assert login(c, 4, "bob", "bob-pw", addr="127.0.0.10")[0] == "OK"
    # the mux refuses at once: a held answer there holds a connection
    d = Client(s)
    d.auth(5, "PLAIN", plain("alice", "guess5"), addr="127.0.0.11")
    t0 = time.monotonic()
    assert sasl_auth(s.mux, "alice", "guess6") == "NO temporary failure"
    assert time.monotonic() - t0 < 1.5


@test
def test_mux_socket_keeps_working_beside():
    s = Lite({"socket_mode": "0640"})
    assert sasl_auth(s.mux, "alice", SECRET) == "OK"
    c = Client(s)
    assert login(c, 1, "alice", SECRET)[0] == "OK"
    # the Dovecot socket takes the mux socket's mode
    assert stat.S_IMODE(os.stat(s.path).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(s.mux).st_mode) == 0o640


@test
def test_peer_going_away_mid_check_is_harmless():
    need_pam_exec()
    s = Lite({"backend_timeout": "3s"},
             pam=slow_deny(1))
    c = Client(s)
    # in one write: lines that arrive together are taken together
    c.send("AUTH\t1\tPLAIN\tservice=smtp\trip=%s\tresp=%s\n"
           "AUTH\t2\tLOGIN\tservice=smtp\trip=%s\n"
           % (rip(), plain("alice", SECRET), rip()))
    assert c.words() == ["CONT", "2", b64("Username:")]
    c.close()
    # reading waits while a check is in flight (the drain's cue), so the
    # close is seen once it is decided: logged once, answered to nobody
    wait_for(lambda: len(s.decisions()) == 1, what="the decision")
    time.sleep(0.3)
    assert len(s.decisions()) == 1, s.decisions()
    c = Client(s)
    c.auth(3, "PLAIN", plain("alice", "nope"))
    w = c.words()
    assert w[:2] == ["FAIL", "3"], w
    assert s.d.proc.poll() is None


@test
def test_sigterm_lets_the_answer_in_flight_go_out():
    need_pam_exec()
    s = Lite(pam=slow_deny(1))
    idle = Client(s)
    c = Client(s)
    c.auth(1, "PLAIN", plain("alice", SECRET))
    time.sleep(0.3)
    s.d.proc.send_signal(signal.SIGTERM)
    # an idle connection goes at once; the one with a check waits for it
    assert idle.closed()
    w = c.words()
    assert w[:3] == ["FAIL", "1", "user=alice"], w
    assert c.closed()
    assert s.d.proc.wait(10) == 0


@test
def test_metrics_count_the_dovecot_requests():
    port = free_port()
    s = Lite({"status_listen": "inet:127.0.0.1:%d" % port})
    assert sasl_auth(s.mux, "alice", SECRET) == "OK"
    c = Client(s)
    assert login(c, 1, "alice", SECRET)[0] == "OK"
    assert login(c, 2, "alice", "wrong")[0] == "FAIL"
    c.auth(3, "PLAIN", "!!!!")
    expect(c, "FAIL", 3)
    c.auth(4, "PLAIN", "A" * 20000)
    assert c.closed()
    st, text = http_text("http://127.0.0.1:%d/metrics" % port)
    assert st == 200, (st, text)
    fams = parse_exposition(text)
    check_naming_scheme(fams, "saslauthd-lite")
    proto = "saslauthd_lite_protocol_requests_total"
    assert mval(fams, proto, kind="dovecot") == 2, text
    assert mval(fams, proto, kind="mux") == 1, text
    assert mval(fams, "saslauthd_lite_requests_total") == 3, text
    refused = "saslauthd_lite_refused_total"
    assert mval(fams, refused, reason="bad_request") == 1, text
    assert mval(fams, refused, reason="oversize") == 1, text
    assert mval(fams, "saslauthd_lite_answers_total", result="ok") == 2


# --------------------------------------------------------------------------
# Deadlines (saslauthd-lite only: Dovecot's own timeouts are not ours)
# --------------------------------------------------------------------------

@test
def test_silent_client_closed_at_first_request_timeout():
    # our greeting is no request: a client that connects and never sends
    # VERSION and CPID gives its connection slot back
    s = Lite({"first_request_timeout": "1s"})
    silent = Client(s, version=None)
    half = Client(s, version="VERSION\t1\t2\n")
    t0 = time.monotonic()
    assert silent.closed() and half.closed()
    took = time.monotonic() - t0
    assert 0.7 <= took <= 6, took
    wait_for(lambda: "first_request_timeout" in s.log(),
             what="the timeout's log line")
    assert re.search(r"closing a connection from .* that sent no request "
                     r"within 1000 ms \(first_request_timeout\)", s.log())


@test
def test_handshaken_idle_client_survives_first_request_timeout():
    # Postfix keeps its connection open, idle, between AUTH requests
    s = Lite({"first_request_timeout": "1s"})
    c = Client(s)
    time.sleep(2.5)
    assert login(c, 1, "alice", SECRET)[:2] == ["OK", "1"]
    time.sleep(1.5)
    assert login(c, 2, "alice", SECRET)[:2] == ["OK", "2"]
    assert "first_request_timeout" not in s.log()


# --------------------------------------------------------------------------
# The socket's directory (saslauthd-lite only), as run_dir's
# (test_saslauthd_rundir.py): whoever controls it could swap the socket
# --------------------------------------------------------------------------

def dovecot_dir_refused(sockdir, *words):
    """Start and check both refuse dovecot_listen in sockdir."""
    s = Lite(path=os.path.join(sockdir, "auth"), start=False)
    ep = "dovecot_listen unix:%s: " % s.path
    try:
        s.d.start()
    except DaemonError:
        log = s.d.log()
        for w in (ep, "collect passwords") + words:
            assert w in log, (w, log)
        assert not os.path.exists(s.path)
    else:
        s.d.stop()
        raise AssertionError("started with the socket in %s" % sockdir)
    rc, out = s.check()
    assert rc != 0, out
    for w in (ep,) + words:
        assert w in out, (w, out)


def owned_dir(name, mode, user):
    """A directory in a root-owned 0755 temp dir, owned by user, group 0."""
    need_root()
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        skip("no user %s" % user)
    top = make_tmpdir(prefix="pfh-sdd-")
    os.chmod(top, 0o755)
    d = os.path.join(top, name)
    os.mkdir(d)
    os.chmod(d, mode)
    os.chown(d, uid, 0)
    return top, d


@test
def test_socket_dir_owned_by_someone_else_refused():
    top, foreign = owned_dir("foreign", 0o755, "nobody")
    dovecot_dir_refused(foreign, "directory %s is owned by nobody" % foreign,
                        "not by root, the daemon's user or Postfix's")
    # a symbolic link to it is judged by its target
    link = os.path.join(top, "link")
    os.symlink("foreign", link)
    dovecot_dir_refused(link, "directory %s is owned by nobody" % foreign)
    # group-writable by a group that is not root's or ours
    shared = os.path.join(top, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o770)
    os.chown(shared, 0, 65534)
    dovecot_dir_refused(shared, "(mode 0770) is writable by group")
    # world-writable and sticky, as /tmp: refused as the socket's own
    sticky = os.path.join(top, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    dovecot_dir_refused(sticky, "(mode 1777) is writable by every user")


@test
def test_socket_dir_of_postfix_accepted():
    # Postfix's private/ is postfix's, 0700: where its smtpd looks
    _, private = owned_dir("private", 0o700, "postfix")
    s = Lite(path=os.path.join(private, "auth"), start=False)
    rc, out = s.check()
    assert rc == 0, out
    s.d.start()
    add_cleanup(s.d.stop)
    assert login(Client(s), 1, "alice", SECRET)[0] == "OK"


@test
def test_tcp_endpoint_is_warned_about():
    # a TCP port has no socket_mode: anyone local can use it as an oracle
    ep = "inet:127.0.0.1:%d" % free_port()
    s = Lite(endpoint=ep)
    warning = ("dovecot_listen %s: a TCP endpoint has no access control"
               % ep)
    assert warning in s.log(), s.log()
    rc, out = s.check()
    assert rc == 0 and warning in out, out
    # a unix socket is not
    assert "a TCP endpoint" not in Lite().log()


if __name__ == "__main__":
    run_tests()
