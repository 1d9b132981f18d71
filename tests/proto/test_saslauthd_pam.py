#!/usr/bin/env python3
"""saslauthd-lite's pam backend: PAM_RHOST and what backend_timeout measures.

The daemon runs as in test_saslauthd.py: a private temp dir, its own config
(-C) and a private PAM stack (pam_confdir) made of pam_permit, pam_deny,
pam_faildelay and pam_exec. pam_exec runs "/bin/sh SCRIPT" (so a noexec
/tmp does not matter) and the script leaves files behind that say what the
PAM stack saw, or that it ran at all.

PAM_RHOST: pam_exec exports the PAM items that are set (PAM_RHOST among
them) and nothing of the daemon's own environment, so "<unset>" in the
script's file means the daemon never set the item; without a client
address the item must be unset or empty, never a stale address.

backend_timeout (saslauthd-lite.conf(5)): one deadline per backend call,
armed when the call is queued for a worker, so queue wait counts; a call
whose deadline passes in the queue never runs; after a timeout the next
backend of the chain is asked, with a deadline of its own; the throttle
delay before and the PAM failure delay after are not counted.

Time (issue #14): those deadlines and delays are tested to the
millisecond on a fake clock in tests/unit/test_sasl_session.c; here the
real daemon and PAM are checked end to end with lower bounds (a deadline
never fires early), the delay the daemon logs, and upper bounds LOOSE
seconds past the expected time (a hang, not a slow machine).
"""

import os
import re
import subprocess
import threading
import time

from pfhtest import (BUILDDIR, Daemon, DaemonError, free_port, write_conf,
                     join_threads, make_tmpdir, run_tests, sasl_read_reply,
                     sasl_request, skip, unix_connect, wait_for)
from promparse import check_naming_scheme, parse_exposition

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
PAMDIR = "/usr/lib/x86_64-linux-gnu/security"
UNSET = "<unset>"
LOOSE = 5.0     # s past the expected answer: a hang, not a slow machine


def mkhash(password):
    out = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                         input=password.encode(), capture_output=True,
                         check=True).stdout.decode().strip()
    return out.split(":", 1)[1]


class PamSasl:
    """The daemon with mechanisms = pam and a private pam_confdir."""

    def __init__(self, services, params=None, pwfile=None, args=(),
                 start=True):
        if not os.path.exists(os.path.join(PAMDIR, "pam_exec.so")):
            skip("pam_exec.so not found in %s" % PAMDIR)
        self.dir = make_tmpdir(prefix="pfh-spam-")
        self.mux = os.path.join(self.dir, "run", "mux")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        pamdir = os.path.join(self.dir, "pam.d")
        os.mkdir(pamdir)
        for name, text in services.items():
            with open(os.path.join(pamdir, name), "w") as f:
                f.write(text.replace("@DIR@", self.dir))
        # every test stack may be used unless the test says otherwise;
        # a parameter given as None is left out (its default applies)
        conf = {"run_dir": os.path.join(self.dir, "run"),
                "mechanisms": "pam",
                "pam_confdir": pamdir,
                "pam_services": ", ".join(sorted(services)),
                "throttle": "no"}
        if pwfile is not None:
            conf["pwfile"] = os.path.join(self.dir, "passwd")
            with open(conf["pwfile"], "w") as f:
                for user, password in pwfile:
                    f.write("%s:%s\n" % (user, mkhash(password)))
            os.chmod(conf["pwfile"], 0o600)
        conf.update(params or {})
        conf = {k: v for k, v in conf.items() if v is not None}
        self.conf = os.path.join(self.dir, "sasl.conf")
        write_conf(self.conf, conf)
        self.d = Daemon(PROG, args=["-C", self.conf] + list(args),
                        workdir=self.dir, name="saslauthd-lite")
        if start:
            self.d.start()

    def script(self, name, text):
        """A shell script for pam_exec ("@DIR@" replaced); its path."""
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text.replace("@DIR@", self.dir))
        return p

    def auth(self, login, password, service, client=None, timeout=10.0,
             realm=""):
        with unix_connect(self.mux, timeout) as s:
            s.sendall(sasl_request(login, password, service, realm, client))
            return sasl_read_reply(s, timeout)

    def timed(self, *a, **kw):
        t0 = time.monotonic()
        r = self.auth(*a, **kw)
        return r, time.monotonic() - t0

    def throttled_ms(self, user):
        """The delay the last decision for user says it was given."""
        m = re.search(r" throttled=(\d+)ms", self.decision(user))
        return int(m.group(1)) if m else 0

    def decision(self, user):
        lines = [l for l in self.d.log().splitlines()
                 if "auth: result=" in l and " user=%s " % user in l]
        assert lines, "no decision logged for %s" % user
        return lines[-1]


# what the stack saw: one file per login, holding PAM_RHOST or "<unset>"
RHOST_SCRIPT = ('printf "%%s" "${PAM_RHOST-%s}" > "@DIR@/out/rhost.$PAM_USER"\n'
                % UNSET)


def read_rhost(s, user):
    with open(os.path.join(s.out, "rhost." + user)) as f:
        return f.read()


def test_pam_rhost_is_the_client_address():
    s = PamSasl({"rhost": "auth required pam_exec.so quiet /bin/sh "
                          "@DIR@/rhost.sh\n"
                          "auth required pam_permit.so\n"
                          "account required pam_permit.so\n"})
    s.script("rhost.sh", RHOST_SCRIPT)
    # five fields: PAM_RHOST is the address, without the ";port"
    assert s.auth("v4", "pw", "rhost", client="192.0.2.10;49152") == "OK"
    assert read_rhost(s, "v4") == "192.0.2.10"
    assert "client=192.0.2.10 " in s.decision("v4")
    assert s.auth("v6", "pw", "rhost", client="2001:db8::7;4711") == "OK"
    assert read_rhost(s, "v6") == "2001:db8::7"
    # four fields, right after a five-field request: no address leaks in
    assert s.auth("four", "pw", "rhost") == "OK"
    assert read_rhost(s, "four") in (UNSET, ""), read_rhost(s, "four")
    assert "client=unknown " in s.decision("four")
    # a fifth field that is no address literal is not passed on either
    assert s.auth("name", "pw", "rhost", client="mail.example;25") == "OK"
    assert read_rhost(s, "name") in (UNSET, ""), read_rhost(s, "name")


def test_pam_rhost_set_before_a_failing_stack():
    # pam_deny after pam_exec: the item is set for a wrong password too
    s = PamSasl({"rhostdeny": "auth optional pam_exec.so quiet /bin/sh "
                              "@DIR@/rhost.sh\n"
                              "auth required pam_deny.so\n"
                              "account required pam_permit.so\n"})
    s.script("rhost.sh", RHOST_SCRIPT)
    assert s.auth("mallory", "guess", "rhostdeny",
                  client="198.51.100.9;1025") == "NO authentication failed"
    assert read_rhost(s, "mallory") == "198.51.100.9"


def test_malformed_client_address_dropped_whole():
    # the address is PAM_RHOST and the per-client throttle key: a fifth
    # field that is not entirely an address (and port) gives neither,
    # rather than the part before the first odd byte
    s = PamSasl({"rhost": "auth required pam_exec.so quiet /bin/sh "
                          "@DIR@/rhost.sh\n"
                          "auth required pam_permit.so\n"
                          "account required pam_permit.so\n"},
                args=["-V"])
    s.script("rhost.sh", RHOST_SCRIPT)
    for i, bad in enumerate(["192.0.2.1x;25", "192.0.2.10 ;25",
                             "deadbeef;25", "1.2.3.4.5;25",
                             "192.0.2.10;25x", "192.0.2.10;99999",
                             "2001:db8::7]:25"]):
        user = "bad%d" % i
        assert s.auth(user, "pw", "rhost", client=bad) == "OK"
        assert read_rhost(s, user) in (UNSET, ""), (bad, read_rhost(s, user))
        assert "client=unknown " in s.decision(user), s.decision(user)
    log = s.d.log()
    assert 'client address "192.0.2.1x;25" dropped: not an IPv4' in log, log
    assert "dropped: the port after ';'" in log, log
    # a good one in another spelling is the same client, canonically
    assert s.auth("canon", "pw", "rhost", client="2001:DB8:0::7;25") == "OK"
    assert read_rhost(s, "canon") == "2001:db8::7"
    assert "client=2001:db8::7 " in s.decision("canon")


def test_backend_timeout_counts_queue_wait():
    s = PamSasl({"hang": "auth required pam_exec.so quiet /bin/sleep 3\n"
                         "account required pam_permit.so\n",
                 "mark": "auth required pam_exec.so quiet /bin/sh "
                         "@DIR@/mark.sh\n"
                         "auth required pam_permit.so\n"
                         "account required pam_permit.so\n"},
                params={"workers": "1", "backend_timeout": "1s"})
    s.script("mark.sh", ': > "@DIR@/out/ran.$PAM_USER"\n')
    # the mark service works when it gets the worker
    assert s.auth("first", "pw", "mark") == "OK"
    assert os.path.exists(os.path.join(s.out, "ran.first"))
    res = {}

    def one(user, service):
        res[user] = s.timed(user, "pw", service)
    hang = threading.Thread(target=one, args=("hanger", "hang"))
    hang.start()
    time.sleep(0.5)                 # the one worker now sleeps 3 s
    queued = threading.Thread(target=one, args=("queued", "mark"))
    queued.start()
    join_threads([hang, queued])
    r, dt = res["hanger"]
    assert r == "NO backend timeout" and 0.9 <= dt < 1.0 + LOOSE, (r, dt)
    # the queued call never reached a worker: its deadline, counted from
    # its own queueing, fired after backend_timeout
    r, dt = res["queued"]
    assert r == "NO backend timeout", r
    assert 0.9 <= dt < 1.0 + LOOSE, dt
    assert 'reason="pam: backend timeout"' in s.decision("queued")
    # ...and it is never run later: once the sleeper is done the worker
    # serves the next request, and the queued one has left no mark
    wait_for(lambda: s.auth("after", "pw", "mark", timeout=10) == "OK",
             timeout=10, what="the worker to be free again")
    assert os.path.exists(os.path.join(s.out, "ran.after"))
    assert not os.path.exists(os.path.join(s.out, "ran.queued"))


def test_backend_timeout_then_next_backend():
    # pam hangs past its deadline: with chain_on_tempfail the chain goes
    # on to pwfile, which gets a deadline of its own
    s = PamSasl({"smtp": "auth required pam_exec.so quiet /bin/sleep 3\n"
                         "account required pam_permit.so\n"},
                params={"mechanisms": "pam,pwfile", "backend_timeout": "1s",
                        "workers": "4", "chain_on_tempfail": "yes"},
                pwfile=[("alice", "alice-pw")])
    r, dt = s.timed("alice", "alice-pw", "smtp")
    assert r == "OK" and 0.9 <= dt < 1.0 + LOOSE, (r, dt)
    assert "backend=pwfile " in s.decision("alice")
    # no later backend says OK: the timeout is the answer
    r, dt = s.timed("alice", "wrong", "smtp")
    assert r == "NO backend timeout" and 0.9 <= dt < 1.0 + LOOSE, (r, dt)
    r, dt = s.timed("nobody", "pw", "smtp")
    assert r == "NO backend timeout" and 0.9 <= dt < 1.0 + LOOSE, (r, dt)
    assert 'reason="pam: backend timeout"' in s.decision("nobody")


# pam_exec fails with PAM_SYSTEM_ERR when its program exits non-zero: a
# backend error, which saslauthd-lite counts as a temporary failure
TEMPFAIL_STACK = ("auth required pam_exec.so quiet /bin/false\n"
                  "account required pam_permit.so\n")
# pam_unix does not know these test logins: PAM_USER_UNKNOWN
UNKNOWN_STACK = ("auth required pam_unix.so\n"
                 "account required pam_permit.so\n")


def test_tempfail_ends_the_chain_by_default():
    # a stale secondary must not accept what the primary could not check
    s = PamSasl({"smtp": TEMPFAIL_STACK, "unknown": UNKNOWN_STACK},
                params={"mechanisms": "pam,pwfile", "backend_timeout": "1s"},
                pwfile=[("alice", "alice-pw")])
    assert s.auth("alice", "alice-pw", "smtp") == "NO temporary failure"
    line = s.decision("alice")
    assert "backend=pam " in line and 'reason="pam: PAM auth: ' in line, line
    assert "backend=pwfile" not in s.d.log()
    # an unknown user still goes on to the next backend
    assert s.auth("alice", "alice-pw", "unknown") == "OK"
    assert "backend=pwfile " in s.decision("alice")
    # a deadline missed is a temporary failure too
    s2 = PamSasl({"smtp": "auth required pam_exec.so quiet /bin/sleep 3\n"
                          "account required pam_permit.so\n"},
                 params={"mechanisms": "pam,pwfile",
                         "backend_timeout": "500ms"},
                 pwfile=[("alice", "alice-pw")])
    r, dt = s2.timed("alice", "alice-pw", "smtp")
    # at the 500 ms deadline, not when the 3 s PAM call ends
    assert r == "NO backend timeout" and 0.45 <= dt < 3.0, (r, dt)
    assert "backend=pam " in s2.decision("alice")


def test_chain_on_tempfail_yes_asks_the_next():
    s = PamSasl({"smtp": TEMPFAIL_STACK},
                params={"mechanisms": "pam,pwfile",
                        "chain_on_tempfail": "yes"},
                pwfile=[("alice", "alice-pw")])
    assert s.auth("alice", "alice-pw", "smtp") == "OK"
    assert "backend=pwfile " in s.decision("alice")
    # no later OK: still the temporary failure, not pwfile's "no"
    assert s.auth("alice", "wrong", "smtp") == "NO temporary failure"
    assert 'reason="pam: PAM auth: ' in s.decision("alice")


def test_backend_timeout_excludes_throttle_and_fail_delay():
    # Linux-PAM randomises a failure delay to 50..150 % of what the stack
    # asks for: 1.5 s is always more than the 600 ms deadline
    s = PamSasl({"denydelay": "auth optional pam_faildelay.so delay=1500000\n"
                              "auth required pam_deny.so\n"
                              "account required pam_permit.so\n",
                 "slowdeny": "auth required pam_exec.so quiet /bin/sleep 0.2\n"
                             "auth required pam_deny.so\n"
                             "account required pam_permit.so\n"},
                params={"backend_timeout": "600ms", "throttle": "yes",
                        "throttle_after": "1", "throttle_delay": "1s",
                        "throttle_max_delay": "1s"})
    # the failure delay is served after the backend answered
    r, dt = s.timed("trudy", "guess1", "denydelay")
    assert r == "NO authentication failed", r
    assert 0.7 <= dt < 2.25 + LOOSE, dt
    # one failure: the next try waits 1 s, then a 0.2 s backend call;
    # 1.2 s in all but only the 0.2 s call runs against the deadline
    r, dt = s.timed("trudy", "guess2", "slowdeny")
    assert r == "NO authentication failed", r
    assert 1.15 <= dt < 1.2 + LOOSE, dt
    assert s.throttled_ms("trudy") == 1000
    assert 'reason="PAM auth: ' in s.decision("trudy"), s.decision("trudy")


# -- pam_services: only the services the admin allows ---------------------

# pam_exec leaves a mark first, so "no mark" means pam_start() never ran
ROOTOK = ("auth optional pam_exec.so quiet /bin/sh @DIR@/mark.sh\n"
          "auth sufficient pam_rootok.so\n"
          "auth required pam_deny.so\n"
          "account sufficient pam_rootok.so\n"
          "account required pam_deny.so\n")
MARK_SCRIPT = ': > "@DIR@/out/ran.$PAM_SERVICE.$PAM_USER"\n'


def fetch_status(port, path):
    from urllib.request import urlopen
    with urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.read().decode()


def test_pam_service_allow_list():
    stacks = {"smtp": "auth required pam_deny.so\n"
                      "account required pam_permit.so\n",
              "su": ROOTOK, "runuser": ROOTOK}
    if os.geteuid() == 0:
        # the test stack really is root's OK with any password when the
        # service is allowed: what a client naming "su" got before
        s = PamSasl(stacks, params={"pam_services": "su"})
        s.script("mark.sh", MARK_SCRIPT)
        assert s.auth("root", "any-guess", "su") == "OK"
        assert os.path.exists(os.path.join(s.out, "ran.su.root"))
        s.d.stop()
    port = free_port()
    # the default: smtp only
    s = PamSasl(stacks, params={"pam_services": None},
                args=["-o", "status_listen=inet:127.0.0.1:%d" % port])
    s.script("mark.sh", MARK_SCRIPT)
    for service in ("su", "runuser", "SMTP", "login", "../pam.d/su"):
        assert s.auth("root", "any-guess", service) == \
            "NO authentication failed", service
        line = s.decision("root")
        assert 'reason="service not allowed"' in line, line
    assert os.listdir(s.out) == [], os.listdir(s.out)
    # the allowed service still goes to its stack
    assert s.auth("alice", "pw", "smtp") == "NO authentication failed"
    assert 'reason="PAM auth: ' in s.decision("alice")
    text = fetch_status(port, "/metrics")
    assert "\nsaslauthd_lite_pam_service_refused_total 5\n" in text, text
    # the pam backend's metrics follow the scheme too
    check_naming_scheme(parse_exposition(text), "saslauthd-lite")
    # the recent decisions say why
    assert "service not allowed" in fetch_status(port, "/status.json")
    s.d.stop()


def test_pam_services_list_and_reload():
    stacks = {"smtp": "auth required pam_permit.so\n"
                      "account required pam_permit.so\n",
              "imap": "auth required pam_permit.so\n"
                      "account required pam_permit.so\n"}
    s = PamSasl(stacks, params={"pam_services": "smtp,  imap"})
    assert s.auth("u", "pw", "smtp") == "OK"
    assert s.auth("u", "pw", "imap") == "OK"
    # a reload narrows the list
    with open(s.conf, "a") as f:
        f.write("pam_services = imap\n")
    s.d.reload()
    assert s.auth("u", "pw", "smtp") == "NO authentication failed"
    assert 'reason="service not allowed"' in s.decision("u")
    assert s.auth("u", "pw", "imap") == "OK"
    # names that are no PAM service, or none at all, refuse the config
    for bad in ("../su", "smtp /etc/pam.d/su", ""):
        b = PamSasl(stacks, params={"pam_services": bad}, start=False)
        try:
            b.d.start()
        except DaemonError:
            assert "pam_services" in b.d.log(), b.d.log()
            continue
        raise AssertionError("started with pam_services = %r" % bad)


# -- the cache and a reload while a backend is still checking -------------

# pam_exec holds the transaction until the test lets it go: the reload
# happens while the backend checks the old data, every time
HOLD_SCRIPT = (': > "@DIR@/out/started.$PAM_USER"\n'
               'i=0\n'
               'while [ ! -e "@DIR@/out/go" ] && [ $i -lt 400 ]; do\n'
               '    sleep 0.05; i=$((i+1))\n'
               'done\n')
PERMIT = "auth required pam_permit.so\naccount required pam_permit.so\n"
DENY = "auth required pam_deny.so\naccount required pam_permit.so\n"


def held(verdict):
    return ("auth required pam_exec.so quiet /bin/sh @DIR@/hold.sh\n"
            "auth required pam_%s.so\naccount required pam_permit.so\n"
            % verdict)


def set_stack(s, name, text):
    p = os.path.join(s.dir, "pam.d", name)
    with open(p + ".new", "w") as f:
        f.write(text.replace("@DIR@", s.dir))
    os.rename(p + ".new", p)


def race(s, user, password, change):
    """auth(user, password) whose backend is held until change() - the
    password change and its reload - has happened; the answer."""
    res = {}
    go = os.path.join(s.out, "go")
    if os.path.exists(go):
        os.unlink(go)

    def one():
        res["r"] = s.auth(user, password, "smtp", timeout=30)
    t = threading.Thread(target=one)
    t.start()
    wait_for(lambda: os.path.exists(os.path.join(s.out, "started." + user)),
             timeout=10, what="the PAM transaction to start")
    change()
    open(go, "w").close()
    join_threads([t], 30, "held requests")
    return res.get("r")


def test_reload_during_check_does_not_cache_old_answer():
    s = PamSasl({"smtp": held("permit")},
                params={"cache": "yes", "cache_negative_ttl": "1h",
                        "backend_timeout": "20s"})
    s.script("hold.sh", HOLD_SCRIPT)

    # the password is changed (here: the stack now refuses) and SIGHUP
    # flushes the cache while the old password is still being checked
    def lock_and_reload():
        set_stack(s, "smtp", DENY)
        s.d.reload()
    assert race(s, "alice", "old-pw", lock_and_reload) == "OK"
    # the old answer did not go into the flushed cache: the old password
    # is checked again, against the new data
    assert s.auth("alice", "old-pw", "smtp") == "NO authentication failed"
    line = s.decision("alice")
    assert "cached=no " in line and 'reason="PAM auth: ' in line, line

    # the same for a negative entry: a NO checked before the reload
    set_stack(s, "smtp", held("deny"))

    def unlock_and_reload():
        set_stack(s, "smtp", PERMIT)
        s.d.reload()
    assert race(s, "bob", "bob-pw", unlock_and_reload) == \
        "NO authentication failed"
    assert s.auth("bob", "bob-pw", "smtp") == "OK"
    assert "cached=no " in s.decision("bob")
    # without a reload in between, answers are cached as before
    assert s.auth("bob", "bob-pw", "smtp") == "OK"
    assert "cached=yes " in s.decision("bob")


def test_pwfile_change_during_check_does_not_cache_old_answer():
    # pwfile does not know carol, so pam is asked and held; meanwhile the
    # password file changes (no SIGHUP: the reload check notices it)
    s = PamSasl({"smtp": held("permit")},
                params={"mechanisms": "pwfile, pam", "cache": "yes",
                        "backend_timeout": "20s",
                        "reload_check_interval": "200ms"},
                pwfile=[("dave", "dave-pw")])
    s.script("hold.sh", HOLD_SCRIPT)
    pw = os.path.join(s.dir, "passwd")

    def add_carol():
        mark = s.d.log_mark()
        with open(pw + ".new", "w") as f:
            f.write("dave:%s\ncarol:%s\n" % (mkhash("dave-pw"),
                                              mkhash("carol-new")))
        os.chmod(pw + ".new", 0o600)
        os.rename(pw + ".new", pw)
        s.d.wait_log(r"cache flushed", since=mark)
    assert race(s, "carol", "carol-old", add_carol) == "OK"
    # carol is in the file now, with another password: pwfile says no
    assert s.auth("carol", "carol-old", "smtp") == "NO authentication failed"
    line = s.decision("carol")
    assert "cached=no " in line and "backend=pwfile " in line, line
    assert s.auth("carol", "carol-new", "smtp") == "OK"


# -- parallel guessing, counted where it matters: at the backend ----------

COUNT_SCRIPT = ('printf "%s %s\\n" "$(date +%s.%N)" "$PAM_USER" '
                '>> "@DIR@/out/calls"\n')
THROTTLE = {"throttle": "yes", "throttle_after": "3",
            "throttle_delay": "1s", "throttle_max_delay": "4s",
            "workers": "4"}


def counted(verdict):
    return ("auth required pam_exec.so quiet /bin/sh @DIR@/count.sh\n"
            "auth required pam_%s.so\naccount required pam_permit.so\n"
            % verdict)


def sequential_checks(horizon, after=3, delay=1.0, max_delay=4.0):
    """Backend checks one sequential guesser gets by `horizon` seconds with
    a new password each time and zero backend time: the most it can get."""
    n, t = 0, 0.0
    while True:
        d = 0.0 if n < after else min(delay * 2 ** (n - after), max_delay)
        t += d
        if t > horizon:
            return n
        n += 1


def backend_calls(s, user_prefix, until):
    try:
        with open(os.path.join(s.out, "calls")) as f:
            rows = [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return 0
    return sum(1 for ts, user in rows
               if user.startswith(user_prefix) and float(ts) <= until)


def attack(s, login, client=None, nconn=40, seconds=10.0):
    """nconn connections guess for `seconds`, each its next guess right
    after its answer; returns the answers."""
    out = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def conn(i):
        k = 0
        while time.time() < stop:
            r = s.auth(login(i, k), "guess-%d-%d" % (i, k), "smtp",
                       client=client, timeout=30)
            with lock:
                out.append(r)
            k += 1
            time.sleep(0.05)
    ts = [threading.Thread(target=conn, args=(i,)) for i in range(nconn)]
    for t in ts:
        t.start()
    return ts, out


def check_flood(s, login, client, port):
    t0 = time.time()
    ts, out = attack(s, login, client)
    # meanwhile another user logs in, from another address, undelayed
    for when in (1.5, 5.0):
        time.sleep(max(0, t0 + when - time.time()))
        r, dt = s.timed("bob", "bob-pw", "imap", client="198.51.100.77;2525")
        # undelayed: the throttle gave bob nothing, whatever the load
        assert r == "OK" and dt < LOOSE, (r, dt)
        assert s.throttled_ms("bob") == 0, s.decision("bob")
    join_threads(ts, 60, "guessing connections")
    # checks by t0 + 9.5 s: the sequential schedule has its 6th at 7 s
    # and its 7th at 11 s, far from the line either way
    n = backend_calls(s, "mallory", t0 + 9.5)
    bound = sequential_checks(9.5)
    assert bound == 6, bound
    assert n <= bound, "%d backend checks in 9.5 s, sequential gets %d" % (
        n, bound)
    assert n >= 4, n                # throttled, not shut out
    assert set(out) == {"NO authentication failed", "NO temporary failure"}
    # the refusals are logged with their reason, and counted
    log = s.d.log()
    why = ("login" if client is None else "client")
    assert 'backend=none cached=no' in log
    assert ('reason="throttled: too many requests %s this %s"'
            % ("for" if why == "login" else "from", why)) in log
    assert re.search(r"user=mallory\S* .* throttled=\d+ms reason=", log)
    text = fetch_status(port, "/metrics")
    m = re.search(r'^saslauthd_lite_refused_total\{reason="throttled"\} (\d+)$',
                  text, re.M)
    assert m and int(m.group(1)) == out.count("NO temporary failure"), \
        (m and m.group(0), out.count("NO temporary failure"))
    assert "throttled: too many requests" in fetch_status(port,
                                                          "/status.json")


def test_parallel_guessing_one_login():
    port = free_port()
    s = PamSasl({"smtp": counted("deny"), "imap": counted("permit")},
                params=THROTTLE,
                args=["-o", "status_listen=inet:127.0.0.1:%d" % port])
    s.script("count.sh", COUNT_SCRIPT)
    # four-field clients (no address): only the login counts
    check_flood(s, lambda i, k: "mallory", None, port)


def test_parallel_guessing_one_client():
    port = free_port()
    s = PamSasl({"smtp": counted("deny"), "imap": counted("permit")},
                params=THROTTLE,
                args=["-o", "status_listen=inet:127.0.0.1:%d" % port])
    s.script("count.sh", COUNT_SCRIPT)
    # a new login for every guess, all from one address
    check_flood(s, lambda i, k: "mallory%d_%d" % (i, k),
                "203.0.113.5;40000", port)


# -- the throttle and cache key is the user PAM is asked about ------------

def test_realm_rotation_and_case_pam():
    s = PamSasl({"smtp": counted("deny"), "imap": counted("permit")},
                params={"throttle": "yes", "throttle_after": "2",
                        "throttle_delay": "1s", "throttle_max_delay": "4s",
                        "cache": "yes"})
    s.script("count.sh", COUNT_SCRIPT)
    # realm_policy = pass: PAM gets "alice" whatever the realm, so a new
    # realm per guess is the same login to the throttle
    waits, given = [], []
    for i in range(4):
        r, dt = s.timed("alice", "guess%d" % i, "smtp", realm="r%d.example" % i)
        assert r == "NO authentication failed", r
        waits.append(dt)
        given.append(s.throttled_ms("alice"))
    assert given == [0, 0, 1000, 2000], (given, waits)
    assert waits[2] >= 0.95 and waits[3] >= 1.9, waits
    with open(os.path.join(s.out, "calls")) as f:
        users = [l.split()[1] for l in f]
    assert users == ["alice"] * 4, users
    assert "throttled=" in s.decision("alice")
    # case is not folded: PAM is asked about "ALICE", which is a name of
    # its own (Unix logins are case-sensitive), so its key is its own
    r, dt = s.timed("ALICE", "guess9", "smtp", realm="r9.example")
    assert r == "NO authentication failed" and dt < LOOSE, (r, dt)
    assert s.throttled_ms("ALICE") == 0, s.decision("ALICE")
    with open(os.path.join(s.out, "calls")) as f:
        assert f.read().split()[-1] == "ALICE"
    assert " user=ALICE " in s.decision("ALICE")
    # the cache: one entry for what PAM verified, whatever the realm
    assert s.auth("bob", "bob-pw", "imap", realm="a.example") == "OK"
    assert "cached=no " in s.decision("bob")
    assert s.auth("bob", "bob-pw", "imap", realm="b.example") == "OK"
    assert "cached=yes " in s.decision("bob")
    assert s.auth("BOB", "bob-pw", "imap") == "OK"
    assert "cached=no " in s.decision("BOB")
    # the service still matters to PAM, so to the cache
    assert s.auth("bob", "bob-pw", "smtp") == "NO authentication failed"


# -- PAM password changes: the cache forgets within cache_ttl_system ------

def test_pam_cache_ttl_system():
    # the default: 5 minutes, whatever cache_ttl says (8 h by default)
    port = free_port()
    s = PamSasl({"smtp": PERMIT}, params={"cache": "yes"},
                args=["-o", "status_listen=inet:127.0.0.1:%d" % port])
    import json
    doc = json.loads(fetch_status(port, "/status.json"))
    facts = [x for x in doc["sections"] if x["id"] == "cache"][0]["facts"]
    assert facts["ttl_s"] == "28800" and facts["ttl_system_s"] == "300", \
        facts
    s.d.stop()
    s = PamSasl({"smtp": PERMIT}, params={"cache": "yes",
                                          "cache_ttl_system": "2s"})
    assert s.auth("alice", "pw", "smtp") == "OK"
    assert s.auth("alice", "pw", "smtp") == "OK"
    assert "cached=yes " in s.decision("alice")
    # the password changes (or the account is locked) behind PAM: nothing
    # tells the daemon; the cached OK stands, but for 2 s, not 8 h
    t0 = time.monotonic()
    set_stack(s, "smtp", DENY)
    assert s.auth("alice", "pw", "smtp") == "OK"
    assert "cached=yes " in s.decision("alice")
    time.sleep(max(0, t0 + 2.3 - time.monotonic()))
    assert s.auth("alice", "pw", "smtp") == "NO authentication failed"
    assert "cached=no " in s.decision("alice")


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests()
