#!/usr/bin/env python3
"""saslauthd-lite's shadow backend through the real socket.

The daemon must read a shadow file the test wrote, and the system's
/etc/shadow must stay untouched. So the daemon runs in a private mount
namespace (`unshare --mount --propagation private`) where the test's file
is bind-mounted over /etc/shadow: getspnam_r() in the daemon reads ours,
everyone else still sees the real one, and the mount goes away with the
daemon's namespace. getspnam() needs no /etc/passwd entry, so /etc/passwd
is left alone. Without root the same is tried in a user namespace
(`--user --map-root-user`); when neither may mount, every test skips
(exit 77) and says why.

What auth_shadow.c promises: a right password is OK; a wrong one, an
unknown user and a locked ('!', '*' or empty) hash are NO; the ageing
fields of shadow(5) are honoured, and told only to a right password:
sp_expire (NO from that day on), sp_lstchg = 0 (must change), today >
sp_lstchg + sp_max (expired; lstchg + max is the last good day, as in
pam_unix) and, past sp_inact more days, an inactive account; an empty
sp_lstchg or sp_max turns ageing off. Days are UTC days since 1970, as in
the file. Every NO is "NO authentication failed" on the wire; the log
says which case it was.
"""

import hashlib
import os
import re
import subprocess
import time

from pfhtest import (BUILDDIR, Daemon, write_conf, make_tmpdir, run_tests,
                     sasl_read_reply, sasl_request, skip, unix_connect, which)

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
SECRET = "Sh4dow-test-secret"        # must never show up in a log
FAIL = "NO authentication failed"
LOOSE = 5.0     # s: an upper bound that catches a hang, not a slow machine

_hashes = {}
_ns = {}


def mkhash(password):
    if password not in _hashes:
        out = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                             input=password.encode(), capture_output=True,
                             check=True).stdout.decode().strip()
        _hashes[password] = out.split(":", 1)[1]
    return _hashes[password]


def ns_wrapper(shadow):
    """argv prefix that runs the daemon with `shadow` over /etc/shadow."""
    return _ns["unshare"] + [
        "sh", "-c", 'mount --bind "$0" /etc/shadow && exec "$@"', shadow]


def need_private_mount():
    """Find an unshare invocation that may bind-mount over /etc/shadow, or
    skip. The probe mounts a marker file and reads it back."""
    if "unshare" in _ns:
        if _ns["unshare"] is None:
            skip(_ns["why"])
        return
    unshare, mount = which("unshare"), which("mount")
    _ns["unshare"] = None
    if unshare is None or mount is None:
        _ns["why"] = "needs unshare(1) and mount(8) (util-linux)"
        skip(_ns["why"])
    d = make_tmpdir(prefix="pfh-shprobe-")
    marker = os.path.join(d, "shadow")
    with open(marker, "w") as f:
        f.write("pfh-probe:*:1::::::\n")
    tries = [[unshare, "--mount", "--propagation", "private"]]
    if os.geteuid() != 0:
        tries.append([unshare, "--user", "--map-root-user", "--mount",
                      "--propagation", "private"])
    errs = []
    for prefix in tries:
        p = subprocess.run(prefix + ["sh", "-c",
                           'mount --bind "$0" /etc/shadow && '
                           'exec cat /etc/shadow', marker],
                           capture_output=True, timeout=30)
        if p.returncode == 0 and p.stdout.startswith(b"pfh-probe:"):
            _ns["unshare"] = prefix
            return
        errs.append("%s: %s" % (" ".join(prefix[1:]),
                    p.stderr.decode("utf-8", "replace").strip()
                    or "exit %d" % p.returncode))
    _ns["why"] = ("cannot bind-mount a test shadow file over /etc/shadow in "
                  "a private mount namespace (%s)" % "; ".join(errs))
    skip(_ns["why"])


def system_shadow_state():
    """What the rest of the machine sees at /etc/shadow."""
    try:
        st = os.stat("/etc/shadow")
        with open("/etc/shadow", "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except PermissionError:
        digest = None
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, digest)


def throttled_ms(line):
    """The delay a decision line says the throttle gave it (0: none)."""
    m = re.search(r" throttled=(\d+)ms", line)
    return int(m.group(1)) if m else 0


def today():
    return int(time.time()) // 86400


class ShadowSasl:
    """The daemon with mechanisms = shadow, in its own mount namespace,
    reading `entries` (name, hash, lstchg, min, max, warn, inact, expire;
    None = empty field) as /etc/shadow."""

    def __init__(self, entries, params=None, args=()):
        need_private_mount()
        self.dir = make_tmpdir(prefix="pfh-shadow-")
        self.mux = os.path.join(self.dir, "run", "mux")
        self.shadow = os.path.join(self.dir, "shadow")
        with open(self.shadow, "w") as f:
            for e in entries:
                e = list(e) + [None] * (8 - len(e))
                f.write(":".join("" if v is None else str(v) for v in e)
                        + ":\n")
        os.chmod(self.shadow, 0o640)
        conf = {"run_dir": os.path.join(self.dir, "run"),
                "mechanisms": "shadow",
                "throttle": "no"}
        conf.update(params or {})
        self.conf = os.path.join(self.dir, "sasl.conf")
        write_conf(self.conf, conf)
        self.d = Daemon(PROG, args=["-C", self.conf] + list(args),
                        workdir=self.dir, name="saslauthd-lite",
                        wrapper=ns_wrapper(self.shadow))
        self.d.start()

    def auth(self, login, password, service="smtp", realm="", timeout=10.0):
        with unix_connect(self.mux, timeout) as s:
            s.sendall(sasl_request(login, password, service, realm))
            return sasl_read_reply(s, timeout)

    def decision(self, user):
        lines = [l for l in self.d.log().splitlines()
                 if "auth: result=" in l and " user=%s " % user in l]
        assert lines, "no decision logged for %s" % user
        return lines[-1]

    def expect(self, user, password, wire, reason):
        r = self.auth(user, password)
        assert r == wire, (user, r)
        line = self.decision(user)
        assert "backend=shadow " in line, line
        if reason is None:
            assert "result=OK " in line, line
        else:
            assert 'reason="%s"' % reason in line, line


def within_one_day(fn):
    """Run fn(today); again if the UTC day turned meanwhile, since the
    ageing cases are relative to today."""
    for _ in range(2):
        t = today()
        fn(t)
        if today() == t:
            return
    raise AssertionError("the day turned twice during one test")


# -------------------------------------------------------------------------

def test_password_locked_unknown():
    before = system_shadow_state()
    h = mkhash(SECRET)
    s = ShadowSasl([
        ("pfhs-alice", h, today() - 1, 0, 99999, 7),
        ("pfhs-bang", "!" + h, today() - 1, 0, 99999, 7),
        ("pfhs-bare", "!", today() - 1),
        ("pfhs-star", "*", today() - 1),
        ("pfhs-empty", "", today() - 1),
    ])
    # nobody outside the daemon's namespace sees the test file
    assert system_shadow_state() == before
    with open("/proc/self/mountinfo") as f:
        assert " /etc/shadow " not in f.read()
    s.expect("pfhs-alice", SECRET, "OK", None)
    s.expect("pfhs-alice", SECRET + "x", FAIL, "wrong password")
    # the right password of a locked account
    s.expect("pfhs-bang", SECRET, FAIL, "account locked")
    s.expect("pfhs-bare", SECRET, FAIL, "account locked")
    s.expect("pfhs-star", SECRET, FAIL, "account locked")
    s.expect("pfhs-empty", "anything", FAIL, "account locked")
    s.expect("pfhs-nobody", SECRET, FAIL, "unknown user")
    # the daemon saw ours, not the system's: no system account is known
    for sysuser in ("daemon", "bin", "sys"):
        s.expect(sysuser, SECRET, FAIL, "unknown user")
    assert SECRET not in s.d.log()
    # the wrapper exec'd the daemon: SIGTERM reaches it, a clean exit
    assert s.d.stop() == 0
    assert system_shadow_state() == before


def test_account_expiry():
    h = mkhash(SECRET)

    def run(t):
        s = ShadowSasl([
            ("pfhs-expired", h, t - 10, 0, 99999, 7, None, t - 1),
            ("pfhs-exptoday", h, t - 10, 0, 99999, 7, None, t),
            ("pfhs-exptomorrow", h, t - 10, 0, 99999, 7, None, t + 1),
            ("pfhs-longago", h, t - 10, 0, 99999, 7, None, 1),
            ("pfhs-noexpire", h, t - 10, 0, 99999, 7, None, None),
        ])
        s.expect("pfhs-expired", SECRET, FAIL, "account expired")
        s.expect("pfhs-exptoday", SECRET, FAIL, "account expired")
        s.expect("pfhs-longago", SECRET, FAIL, "account expired")
        s.expect("pfhs-exptomorrow", SECRET, "OK", None)
        s.expect("pfhs-noexpire", SECRET, "OK", None)
        # ageing is told only to the right password: no user oracle
        s.expect("pfhs-expired", "wrong", FAIL, "wrong password")
        s.d.stop()
    within_one_day(run)


def test_password_ageing():
    h = mkhash(SECRET)

    def run(t):
        s = ShadowSasl([
            # sp_lstchg = 0: the password must be changed first
            ("pfhs-mustchange", h, 0, 0, 99999, 7),
            ("pfhs-mustchange-nomax", h, 0),
            # max 30 days: the last good day is lstchg + 30
            ("pfhs-lastday", h, t - 30, 0, 30, 7),
            ("pfhs-aged", h, t - 31, 0, 30, 7),
            ("pfhs-aged-long", h, t - 400, 0, 30, 7),
            # inactive 10 more days after that
            ("pfhs-grace", h, t - 40, 0, 30, 7, 10),
            ("pfhs-inactive", h, t - 41, 0, 30, 7, 10),
            # no sp_max: the password never ages; an empty lstchg (-1)
            # turns ageing off as well
            ("pfhs-nomax", h, t - 5000, 0, None, 7),
            ("pfhs-nolstchg", h, None, 0, 30, 7),
            # sp_min (a change may not come too soon) is no login rule
            ("pfhs-min", h, t - 1, 5, 30, 7),
        ])
        s.expect("pfhs-mustchange", SECRET, FAIL, "password must be changed")
        s.expect("pfhs-mustchange-nomax", SECRET, FAIL,
                 "password must be changed")
        s.expect("pfhs-lastday", SECRET, "OK", None)
        s.expect("pfhs-aged", SECRET, FAIL, "password expired")
        s.expect("pfhs-aged-long", SECRET, FAIL,
                 "password expired")
        s.expect("pfhs-grace", SECRET, FAIL, "password expired")
        s.expect("pfhs-inactive", SECRET, FAIL,
                 "password expired, account inactive")
        s.expect("pfhs-nomax", SECRET, "OK", None)
        s.expect("pfhs-nolstchg", SECRET, "OK", None)
        s.expect("pfhs-min", SECRET, "OK", None)
        s.expect("pfhs-mustchange", "wrong", FAIL, "wrong password")
        s.expect("pfhs-inactive", "wrong", FAIL, "wrong password")
        s.d.stop()
    within_one_day(run)


def test_chain_falls_through_unknown_only():
    # pwfile knows pfhs-pw only; shadow knows pfhs-alice: an unknown user
    # passes to the next backend, a wrong password does not
    h = mkhash(SECRET)
    d = make_tmpdir(prefix="pfh-shpw-")
    pw = os.path.join(d, "passwd")
    with open(pw, "w") as f:
        f.write("pfhs-pw:%s\npfhs-alice:%s\n" % (mkhash("pw-only"),
                                                 mkhash("in-pwfile")))
    os.chmod(pw, 0o600)
    s = ShadowSasl([("pfhs-alice", h, today() - 1),
                    ("pfhs-sh", h, today() - 1)],
                   params={"mechanisms": "pwfile,shadow", "pwfile": pw})
    assert s.auth("pfhs-sh", SECRET) == "OK"
    assert "backend=shadow " in s.decision("pfhs-sh")
    assert s.auth("pfhs-pw", "pw-only") == "OK"
    assert "backend=pwfile " in s.decision("pfhs-pw")
    # pwfile says "wrong password" for pfhs-alice: shadow is never asked
    assert s.auth("pfhs-alice", SECRET) == FAIL
    line = s.decision("pfhs-alice")
    assert "backend=pwfile " in line and 'reason="wrong password"' in line
    # unknown to both
    assert s.auth("pfhs-none", SECRET) == FAIL
    assert 'reason="unknown user"' in s.decision("pfhs-none")


def test_realm_rotation_and_case_shadow():
    # shadow checks the login alone: realms are no new keys to the
    # throttle; "PFHS-ALICE" is another (unknown) user, never alice's hash
    h = mkhash(SECRET)
    s = ShadowSasl([("pfhs-alice", h, today() - 1)],
                   params={"throttle": "yes", "throttle_after": "2",
                           "throttle_delay": "1s",
                           "throttle_max_delay": "4s", "cache": "yes"})
    # (the exact delays: tests/unit/test_sasl_session.c, on a fake clock;
    # here the lower bounds and what the daemon logs it gave)
    waits, given = [], []
    for i in range(4):
        t0 = time.monotonic()
        assert s.auth("pfhs-alice", "guess%d" % i,
                      realm="r%d.example" % i) == FAIL
        waits.append(time.monotonic() - t0)
        assert 'reason="wrong password"' in s.decision("pfhs-alice")
        given.append(throttled_ms(s.decision("pfhs-alice")))
    assert given == [0, 0, 1000, 2000], (given, waits)
    assert waits[2] >= 0.95 and waits[3] >= 1.9, waits
    t0 = time.monotonic()
    assert s.auth("PFHS-ALICE", SECRET, realm="r9.example") == FAIL
    assert time.monotonic() - t0 < LOOSE
    assert 'reason="unknown user"' in s.decision("PFHS-ALICE")
    assert throttled_ms(s.decision("PFHS-ALICE")) == 0
    # the right password still works after its wait, from any realm, and
    # the cache entry serves every realm
    t0 = time.monotonic()
    assert s.auth("pfhs-alice", SECRET, realm="x.example") == "OK"
    assert time.monotonic() - t0 >= 3.5
    assert throttled_ms(s.decision("pfhs-alice")) == 4000
    assert s.auth("pfhs-alice", SECRET, realm="y.example") == "OK"
    assert "cached=yes " in s.decision("pfhs-alice")


def test_shadow_change_flushes_cache():
    h = mkhash(SECRET)
    s = ShadowSasl([("pfhs-alice", h, today() - 1)],
                   params={"cache": "yes", "reload_check_interval": "200ms"})
    assert s.auth("pfhs-alice", SECRET) == "OK"
    assert s.auth("pfhs-alice", SECRET) == "OK"
    assert "cached=yes " in s.decision("pfhs-alice")
    # passwd(1) rewrites the file: written in place here, so the bind
    # mount keeps showing it to the daemon
    mark = s.d.log_mark()
    with open(s.shadow, "w") as f:
        f.write("pfhs-alice:%s:%d::::::\n" % (mkhash("N3w-" + SECRET),
                                              today() - 1))
    s.d.wait_log(r"cache flushed", since=mark)
    assert s.auth("pfhs-alice", SECRET) == FAIL
    line = s.decision("pfhs-alice")
    assert "cached=no " in line and 'reason="wrong password"' in line, line
    assert s.auth("pfhs-alice", "N3w-" + SECRET) == "OK"
    # locking the account works the same way
    mark = s.d.log_mark()
    with open(s.shadow, "w") as f:
        f.write("pfhs-alice:!%s:%d::::::\n" % (mkhash("N3w-" + SECRET),
                                               today() - 1))
    s.d.wait_log(r"cache flushed", since=mark)
    assert s.auth("pfhs-alice", "N3w-" + SECRET) == FAIL
    assert 'reason="account locked"' in s.decision("pfhs-alice")


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    need_private_mount()        # one SKIP line for the whole file
    run_tests()
