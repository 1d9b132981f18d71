#!/usr/bin/env python3
"""Self-test of the shared test harness (pfhtest.py, postfix_instance.py).

Run by tests/integration/it_harness_selftest.sh.  Needs root, postfix,
swaks and openssl; exits 77 otherwise.
"""

import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source dir
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pfhtest  # noqa: E402
from pfhtest import (Daemon, free_port, is_closed, need_root,  # noqa: E402
                     need_tools, ns, ns_read, policy_read_reply,
                     policy_request, recv_exact, recv_until_closed,
                     sasl_read_reply, sasl_request)
from postfix_instance import (PostfixInstance, Sink, cert_fingerprint,  # noqa: E402
                              make_ca, pubkey_fingerprint, swaks)

SYSTEM_MAIN_CF = "/etc/postfix/main.cf"

# A stand-in daemon speaking the sd_notify readiness protocol, so the Daemon
# class is exercised without the real binaries.
FAKE_DAEMON = r'''
import os, signal, socket, sys, time
def notify(msg):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(msg.encode(), os.environ["NOTIFY_SOCKET"])
    s.close()
state = {"reload": 0, "stop": False}
def hup(*a):
    state["reload"] += 1
def term(*a):
    state["stop"] = True
signal.signal(signal.SIGHUP, hup)
signal.signal(signal.SIGTERM, term)
sys.stderr.write("fake: started argv=%r\n" % (sys.argv[1:],))
sys.stderr.flush()
notify("READY=1\nSTATUS=serving")
seen = 0
while not state["stop"]:
    time.sleep(0.02)
    if state["reload"] != seen:
        seen = state["reload"]
        notify("RELOADING=1")
        sys.stderr.write("fake: reload %d\n" % seen)
        sys.stderr.flush()
        notify("READY=1")
notify("STOPPING=1")
sys.stderr.write("fake: stopping\n")
sys.exit(0)
'''


def test_codec_vectors():
    # protocols.md section 1.2: 4-field request, and the 5-field extension.
    req = sasl_request("alice", "s3cret", "smtp", "example.org")
    assert req == bytes.fromhex(
        "0005616c696365" "0006733363726574" "0004736d7470"
        "000b6578616d706c652e6f7267"), req.hex()
    req5 = sasl_request("alice", "s3cret", "smtp", "example.org",
                        "192.0.2.10;49152")
    # 34 + 18 = 52 bytes (protocols.md 1.2 says "82", which is a typo).
    assert len(req) == 34 and len(req5) == 52 and req5.startswith(req)
    assert ns(b"tlspolicy example.com") == b"21:tlspolicy example.com,"
    assert ns("") == b"0:,"
    assert policy_request({"request": "smtpd_access_policy", "sender": ""}) \
        == b"request=smtpd_access_policy\nsender=\n\n"


def test_socket_helpers():
    a, b = socket.socketpair()
    try:
        b.sendall(b"\x00\x02OK" + b"\x00\x03NO " + ns(b"OK x") + ns(b"")
                  + b"action=DUNNO\naction=REJECT\n\nrest")
        assert sasl_read_reply(a) == "OK"
        assert sasl_read_reply(a) == "NO "
        assert ns_read(a) == b"OK x"
        assert ns_read(a) == b""
        # pipelined data after the reply stays unread
        assert policy_read_reply(a) == {"action": "DUNNO"}
        assert recv_exact(a, 4) == b"rest"
        assert not is_closed(a, 0.2)
        b.sendall(b"tail")
        b.close()
        assert recv_until_closed(a) == b"tail"
    finally:
        a.close()
    a, b = socket.socketpair()
    b.sendall(b"007:x,")
    try:
        ns_read(a)
        raise AssertionError("leading zero accepted")
    except ValueError:
        pass
    a.close()
    b.close()
    p = free_port()
    assert 0 < p < 65536


def test_daemon_lifecycle():
    fake = os.path.join(pfhtest.make_tmpdir(prefix="pfh-fake-"), "fake")
    with open(fake, "w") as f:
        f.write("#!%s\n%s" % (sys.executable, FAKE_DAEMON))
    os.chmod(fake, 0o755)
    d = Daemon(fake, args=["extra"], options={"socket": "@DIR@/sock"},
               config="x = @DIR@\n")
    with d:
        assert d.pid > 0
        assert d.notifications[-1].startswith("READY=1")
        d.wait_log(r"fake: started argv=.*'-o', 'socket=%s/sock'"
                   % d.dir)
        with open(d.config_file) as f:
            assert f.read() == "x = %s\n" % d.dir
        got = d.reload()
        assert got == ["RELOADING=1", "READY=1"], got
        d.wait_log(r"fake: reload 1")
        assert d.stop() == 0
        assert d.saw("STOPPING=1")
        assert "fake: stopping" in d.log()


def test_daemon_dies_before_ready():
    d = Daemon(sys.executable, args=["-c", "import sys; sys.stderr.write("
                                     "'boom\\n'); sys.exit(3)"],
               foreground=False)
    try:
        d.start()
        raise AssertionError("start() should have failed")
    except pfhtest.DaemonError as e:
        assert "exited with 3" in str(e) and "boom" in str(e), e
    finally:
        d.cleanup()


def test_fingerprints():
    need_tools("openssl")
    ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    for cert in (ca.client1_cert, ca.client2_cert, ca.server_cert):
        for dig in ("sha256", "sha1", "md5"):
            out = subprocess.run(
                ["openssl", "x509", "-in", cert, "-noout", "-fingerprint",
                 "-" + dig], capture_output=True, text=True,
                check=True).stdout.strip()
            want = out.split("=", 1)[1]
            got = cert_fingerprint(cert, dig)
            assert got == want, (cert, dig, got, want)
        # pubkey: digest of DER SPKI, as in protocols.md section 3
        pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout",
                              "-pubkey"], capture_output=True, check=True
                             ).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                             input=pub, capture_output=True, check=True).stdout
        dg = subprocess.run(["openssl", "dgst", "-sha256", "-c"], input=der,
                            capture_output=True, check=True
                            ).stdout.decode().strip().split("= ")[1].upper()
        assert pubkey_fingerprint(cert) == dg, (pubkey_fingerprint(cert), dg)
    assert cert_fingerprint(ca.client1_cert) != cert_fingerprint(ca.client2_cert)
    # the chain verifies
    subprocess.run(["openssl", "verify", "-CAfile", ca.ca_cert,
                    ca.server_cert, ca.client1_cert, ca.client2_cert],
                   check=True, capture_output=True)


def test_postfix_relays_to_sink():
    had_main_cf = os.path.exists(SYSTEM_MAIN_CF)
    with Sink() as sink:
        pf = PostfixInstance(
            main_cf={"relayhost": "[127.0.0.1]:%d" % sink.port,
                     "smtp_tls_security_level": "none"},
            smtpd_args={"smtpd_client_restrictions": "permit_mynetworks, reject",
                        "syslog_name": "postfix-pfhtest/smtpd-test"},
            mynetworks="127.0.0.0/8")
        with pf:
            assert pf.postconf("mynetworks") == "127.0.0.0/8"
            assert pf.postconf("queue_directory").startswith(pf.dir)
            rc, out = swaks(["--server", "127.0.0.1", "--port", str(pf.port),
                             "--from", "sender@test.example",
                             "--to", "user@outside.example",
                             "--helo", "client.test.example",
                             "--header", "Subject: pfhtest selftest"],
                            timeout=60)
            assert rc == 0, out
            assert any(l.startswith("<~  250 ") and "queued" in l
                       for l in out.splitlines()) or \
                any(l.startswith("<-  250 ") and "queued" in l
                    for l in out.splitlines()), out
            msgs = sink.wait_messages(1, timeout=20)
            m = msgs[0]
            assert m.mail_from == "sender@test.example", m
            assert m.rcpt_to == ["user@outside.example"], m
            assert b"Subject: pfhtest selftest" in m.data
            assert m.helo == "mx.test.example", m
            pf.wait_log(r"to=<user@outside\.example>, relay=127\.0\.0\.1"
                        r"\[127\.0\.0\.1\]:%d.*status=sent" % sink.port, 20)
            pf.wait_queue_empty(10)
            assert pf.queue_ids() == []
            # smtpd -o overrides made it into master.cf
            pf.wait_log(r"postfix-pfhtest/smtpd-test/smtpd\[\d+\]: connect from")
        assert pf.leftover_pids() == [], pf.leftover_pids()
    assert os.path.exists(SYSTEM_MAIN_CF) == had_main_cf


def test_sink_deferral_and_flush():
    """A 4xx from the sink leaves the message queued; queue_ids() sees it,
    and flush() delivers it once the sink accepts."""
    with Sink(replies={"RCPT": "450 4.2.0 try later"}) as sink:
        with PostfixInstance(main_cf={"relayhost": "[127.0.0.1]:%d" % sink.port,
                                      "minimal_backoff_time": "300s",
                                      "maximal_backoff_time": "600s",
                                      "queue_run_delay": "300s"}) as pf:
            rc, out = swaks(["--server", "127.0.0.1", "--port", str(pf.port),
                             "--from", "a@test.example",
                             "--to", "b@outside.example"])
            assert rc == 0, out
            pf.wait_log(r"to=<b@outside\.example>.*status=deferred", 20)
            ids = pf.queue_ids()
            assert len(ids) == 1, pf.mailq()
            sink.replies.clear()
            pf.flush()
            sink.wait_messages(1, 20)
            pf.wait_queue_empty(20)


def test_tls_client_certs_and_starttls_sink():
    """Postfix's own relay_clientcerts check agrees with cert_fingerprint():
    client1 (enrolled) may relay, client2 may not.  The relayed message goes
    to the sink over STARTTLS (smtp_tls_security_level = encrypt)."""
    ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    with Sink(certfile=ca.server_cert, keyfile=ca.server_key) as sink:
        pf = PostfixInstance(
            main_cf={
                "relayhost": "[127.0.0.1]:%d" % sink.port,
                "smtp_tls_security_level": "encrypt",
                "smtpd_tls_security_level": "may",
                "smtpd_tls_cert_file": ca.server_cert,
                "smtpd_tls_key_file": ca.server_key,
                "smtpd_tls_CAfile": ca.ca_cert,
                "smtpd_tls_ask_ccert": "yes",
                "smtpd_tls_loglevel": "1",
                "relay_clientcerts": "texthash:@DIR@/etc/relay_clientcerts",
                "smtpd_relay_restrictions":
                    "permit_tls_clientcerts, reject_unauth_destination",
            },
            extra_files={"etc/relay_clientcerts": "%s client1\n"
                         % cert_fingerprint(ca.client1_cert)},
            mynetworks="192.0.2.0/24")
        with pf:
            base = ["--server", "127.0.0.1", "--port", str(pf.port),
                    "--from", "a@test.example", "--to", "c@outside.example",
                    "--tls"]
            rc, out = swaks(base + ["--tls-cert", ca.client2_cert,
                                    "--tls-key", ca.client2_key])
            assert rc != 0 and "554 5.7.1" in out and "Relay access denied" in out, out
            rc, out = swaks(base + ["--tls-cert", ca.client1_cert,
                                    "--tls-key", ca.client1_key])
            assert rc == 0, out
            m = sink.wait_messages(1, 20)[0]
            assert m.tls and m.rcpt_to == ["c@outside.example"], m
            pf.wait_log(r"to=<c@outside\.example>.*status=sent", 10)


def main():
    need_root()
    need_tools("postfix", "postconf", "postqueue", "swaks", "openssl")
    pfhtest.run_tests()


if __name__ == "__main__":
    main()
