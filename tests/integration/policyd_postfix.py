#!/usr/bin/env python3
"""Interop of policyd-ccert with a real Postfix smtpd (run by
it_policyd_postfix.sh).

The identities file holds exactly what policyd-ccert-enrol printed for
client1's certificate; Postfix decides relay with
  smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
      check_policy_service <our socket>, reject_unauth_destination
and mynetworks = 127.0.0.2/32, so the test client on 127.0.0.1 is not
trusted and only its certificate can let it relay to outside.example.
"""

import os
import re
import subprocess

import pfhtest
from pfhtest import Daemon, free_port, need_root, need_tools
from postfix_instance import PostfixInstance, Sink, make_ca, swaks

PROG = "policyd-ccert/policyd-ccert"
ENROL = os.path.join(pfhtest.BUILDDIR, "policyd-ccert/policyd-ccert-enrol")


def enrolled_identities(ca):
    r = subprocess.run([ENROL, "--senders", "@test.example", ca.client1_cert,
                        "client1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def start_policyd(ca, listen, sockdir=None):
    d = Daemon(PROG, config="", wait_ready=False)
    ids = d.write("identities", enrolled_identities(ca))
    conf = "listen = %s\nidentities = %s\n" % (listen, ids)
    if sockdir:
        conf += "socket_mode = 0660\nsocket_group = postfix\n"
    d.write(d.config_file, conf)
    d.wait_ready = True
    d.start()
    return d


def postfix(ca, sink, policy_endpoint, digest):
    return PostfixInstance(
        main_cf={
            "relayhost": "[127.0.0.1]:%d" % sink.port,
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "may",
            "smtpd_tls_cert_file": ca.server_cert,
            "smtpd_tls_key_file": ca.server_key,
            "smtpd_tls_CAfile": ca.ca_cert,
            "smtpd_tls_ask_ccert": "yes",
            "smtpd_tls_fingerprint_digest": digest,
            "smtpd_relay_restrictions":
                "permit_mynetworks, permit_sasl_authenticated, "
                "check_policy_service %s, reject_unauth_destination"
                % policy_endpoint,
        },
        mynetworks="127.0.0.2/32")


def check_relay(ca, sink, d, pf, digest):
    mark = d.log_mark()
    n = len(sink.messages)
    rcpt = "user-%s@outside.example" % digest
    base = ["--server", "127.0.0.1", "--port", str(pf.port),
            "--from", "app@test.example", "--to", rcpt, "--tls"]

    # enrolled certificate: 250 at RCPT, relayed to the sink
    rc, out = swaks(base + ["--tls-cert", ca.client1_cert,
                            "--tls-key", ca.client1_key])
    assert rc == 0, out
    assert re.search(r"RCPT TO:<%s>\s*\n<~?\s+250 " % re.escape(rcpt), out), out
    msgs = sink.wait_messages(n + 1, 30)
    assert rcpt in msgs[-1].rcpt_to, msgs[-1]
    m = d.wait_log(r'decision: action="OK" reason=listed identity=client1 '
                   r'pin=pubkey-%s client=\S+\[127\.0\.0\.1\] '
                   r'sender=<app@test\.example> recipient=<%s> state=RCPT'
                   % (digest, re.escape(rcpt)), since=mark)
    assert m

    # another certificate (signed by the same CA) and no certificate
    for extra, pin in ((["--tls-cert", ca.client2_cert, "--tls-key",
                         ca.client2_key], "unlisted-%s" % digest),
                       ([], "none")):
        mark = d.log_mark()
        rc, out = swaks(base + extra)
        assert rc != 0, out
        assert re.search(r"554 5\.7\.1 .*Relay access denied", out), out
        d.wait_log(r'decision: action="DUNNO" reason=(not_listed|no_cert) '
                   r'identity=- pin=%s' % pin, since=mark)

    # a listed certificate sending as a foreign domain: our reject text
    rc, out = swaks(["--server", "127.0.0.1", "--port", str(pf.port),
                     "--from", "app@elsewhere.example", "--to", rcpt, "--tls",
                     "--tls-cert", ca.client1_cert, "--tls-key",
                     ca.client1_key])
    assert rc != 0
    assert "sender not allowed for this client certificate" in out, out
    assert len(sink.messages) == n + 1


def test_inet_md5_and_sha256():
    ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    port = free_port()
    with Sink() as sink:
        d = start_policyd(ca, "inet:127.0.0.1:%d" % port)
        for digest in ("md5", "sha256"):
            with postfix(ca, sink, "inet:127.0.0.1:%d" % port, digest) as pf:
                check_relay(ca, sink, d, pf, digest)
        assert d.stop() == 0


def test_unix_listener():
    ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    sockdir = pfhtest.make_tmpdir(prefix="pfh-sock-", mode=0o755)
    sock = os.path.join(sockdir, "policyd-ccert")
    with Sink() as sink:
        d = start_policyd(ca, "unix:" + sock, sockdir)
        st = os.stat(sock)
        assert st.st_mode & 0o777 == 0o660
        with postfix(ca, sink, "unix:" + sock, "sha256") as pf:
            check_relay(ca, sink, d, pf, "sha256")
        assert d.stop() == 0


if __name__ == "__main__":
    need_root()
    need_tools("postfix", "postconf", "postqueue", "swaks", "openssl")
    if not os.access(ENROL, os.X_OK):
        pfhtest.skip("policyd-ccert-enrol not built")
    pfhtest.run_tests()
