#!/usr/bin/env python3
"""saslauthd-lite's Dovecot socket against a real Postfix smtpd.

A private Postfix whose test smtpd runs chrooted in its queue directory
(master.cf column 5 y, as Debian does it) with `smtpd_sasl_type = dovecot`
and `smtpd_sasl_path = private/auth`; saslauthd-lite listens there
(dovecot_listen = unix:QUEUE/private/auth, socket_group = postfix). swaks
drives AUTH PLAIN and LOGIN (235), wrong passwords (535), and failures
from one client address (127.0.0.2) that the per-address throttle then
delays, while another address (127.0.0.3) goes through at once: the
client address is Postfix's rip=, which libsasl2 never sends.

Exit 77 when a tool is missing or when not root (a failure under
PFH_REQUIRE_TOOLS=1).
"""

import os
import pwd
import re
import time

from pfhtest import BUILDDIR, run_tests, skip
from saslauthd_interop import PROG, SECRET, need_postfix, start_daemon

DELAY_MS = 1500


def start_dovecot_socket(socket_path):
    """saslauthd-lite (saslauthd_interop's: alice, yescrypt) with its
    Dovecot socket at socket_path and a quick per-address throttle."""
    d, _ = start_daemon("socket_group = postfix\ndovecot_listen = unix:%s\n"
                        "throttle = yes\nthrottle_after = 2\n"
                        "throttle_delay = %dms\nthrottle_max_delay = 10s\n"
                        % (socket_path, DELAY_MS))
    return d


def chrooted_smtpds(queue_dir):
    """pids of smtpd processes whose root is the queue directory."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % p) as f:
                if f.read().strip() != "smtpd":
                    continue
            if os.path.realpath(os.readlink("/proc/%s/root" % p)) == \
                    os.path.realpath(queue_dir):
                pids.append(int(p))
        except OSError:
            continue
    return pids


def decisions(d):
    return [l for l in d.log().splitlines() if "auth: result=" in l]


def test_postfix_smtpd_dovecot_sasl_chrooted():
    need_postfix()
    from postfix_instance import PostfixInstance, Sink, swaks
    with Sink() as sink:
        pf = PostfixInstance(
            main_cf={"relayhost": "[127.0.0.1]:%d" % sink.port,
                     "smtp_tls_security_level": "none",
                     "smtpd_sasl_auth_enable": "yes",
                     "smtpd_sasl_type": "dovecot",
                     "smtpd_sasl_path": "private/auth",
                     "smtpd_tls_auth_only": "no",
                     "smtpd_relay_restrictions":
                         "permit_sasl_authenticated, reject_unauth_destination"},
            mynetworks="192.0.2.0/24",       # 127.0.0.x must authenticate
            smtpd_chroot=True)
        # smtpd asks the socket for its mechanisms as it starts: the
        # socket comes first, in private/ as postfix start would make it
        # (postfix's, 0700; root binds there)
        pf.write_config()
        private = os.path.join(pf.queue_dir, "private")
        os.makedirs(private, mode=0o700, exist_ok=True)
        os.chown(private, pwd.getpwnam("postfix").pw_uid, -1)
        d = start_dovecot_socket(os.path.join(private, "auth"))
        with d, pf:
            run_sessions(pf, d, sink, swaks)
            assert chrooted_smtpds(pf.queue_dir), \
                "no smtpd chrooted in %s" % pf.queue_dir
    log = d.log()
    assert SECRET not in log


def run_sessions(pf, d, sink, swaks):
    def base(addr):
        return ["--server", "127.0.0.1", "--port", str(pf.port),
                "--local-interface", addr,
                "--from", "sender@test.example",
                "--to", "user@outside.example",
                "--helo", "client.test.example"]

    for mech in ("PLAIN", "LOGIN"):
        rc, out = swaks(base("127.0.0.1") + ["--auth", mech, "--auth-user",
                                             "alice", "--auth-password",
                                             SECRET])
        assert rc == 0, out
        assert "235 2.7.0 Authentication successful" in out, out
        assert "250 2.0.0 Ok: queued" in out, out
    sink.wait_messages(2, timeout=30)
    rc, out = swaks(base("127.0.0.1") + ["--auth", "PLAIN", "--auth-user",
                                         "alice", "--auth-password",
                                         "wrong"])
    assert rc != 0 and "535 5.7.8" in out, out
    rc, out = swaks(base("127.0.0.1"))
    assert rc != 0 and "554 5.7.1" in out and "Relay access denied" in out
    ok = [l for l in decisions(d) if "result=OK user=alice" in l]
    assert len(ok) == 2 and all(" client=127.0.0.1 " in l for l in ok), ok

    # two guesses from 127.0.0.2, for two users nobody knows: the address
    # (not a login) has failed, and its next request waits (the throttle
    # counts a repeated wrong password once, so two different ones)
    for user, guess in (("bob", "guess-1"), ("carol", "guess-2")):
        rc, out = swaks(base("127.0.0.2") + ["--auth", "LOGIN", "--auth-user",
                                             user, "--auth-password", guess,
                                             "--quit-after", "AUTH"])
        assert rc != 0 and "535 5.7.8" in out, out
    def timed_login(addr):
        t0 = time.monotonic()
        rc, out = swaks(base(addr) + ["--auth", "PLAIN", "--auth-user",
                                      "alice", "--auth-password", SECRET,
                                      "--quit-after", "AUTH"])
        assert rc == 0 and "235 2.7.0" in out, out
        return time.monotonic() - t0
    slow = timed_login("127.0.0.2")
    fast = timed_login("127.0.0.3")
    dec = decisions(d)
    two = [l for l in dec if " client=127.0.0.2 " in l]
    assert [bool(re.search(r"result=NO user=(bob|carol) ", l))
            for l in two] == [True, True, False], two
    m = re.search(r"result=OK user=alice .* throttled=(\d+)ms", two[2])
    assert m and int(m.group(1)) >= DELAY_MS - 100, two
    assert slow >= (DELAY_MS - 100) / 1000.0, slow
    three = [l for l in dec if " client=127.0.0.3 " in l]
    assert len(three) == 1 and "result=OK user=alice" in three[0], three
    assert "throttled=" not in three[0], three
    assert fast < slow, (fast, slow)


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests(tests=[test_postfix_smtpd_dovecot_sasl_chrooted], argv=[])
