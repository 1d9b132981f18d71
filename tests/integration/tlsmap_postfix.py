#!/usr/bin/env python3
"""A real Postfix smtp(8) client follows tlsmap's answers.

A private Postfix instance relays to a local SMTP sink through relayhost
[127.0.0.1]:PORT; smtp(8) looks that exact string up in tlsmap
(smtp_tls_policy_maps, or the legacy smtp_tls_per_site). Needs root,
postfix and swaks (otherwise SKIP).  Run by it_tlsmap_postfix.sh.
"""

import os
import subprocess

import pfhtest
from pfhtest import Daemon, free_port, run_tests, which
from postfix_instance import PostfixInstance, Sink, make_ca, swaks

PROG = "tlsmap/tlsmap"


def target_version():
    pc = which("postconf")
    if pc is None:
        pfhtest.missing_tool(["postconf"])
    d = pfhtest.make_tmpdir(prefix="pfh-pv-")
    open(os.path.join(d, "main.cf"), "w").close()
    r = subprocess.run([pc, "-c", d, "-d", "-h", "mail_version"],
                       capture_output=True, text=True)
    return ".".join(r.stdout.strip().split(".")[:2]) or "3.7"


def tlsmap_for(policy, persite):
    port = free_port()
    d = Daemon(PROG, config="""\
listen = inet:127.0.0.1:%d
maps = tlspolicy=policy:@DIR@/tls_policy legacy=persite:@DIR@/tls_per_site
reload_check_interval = 200ms
postfix_version = %s
""" % (port, target_version()))
    d.write("tls_policy", policy)
    d.write("tls_per_site", persite)
    d.tcp_port = port
    return d


def set_table(d, name, text, mapname):
    """Replace a table and wait until tlsmap serves it (no signal needed)."""
    mark = d.log_mark()
    tmp = d.path(name + ".new")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, d.path(name))
    d.wait_log(r"map %s: reloaded" % mapname, since=mark)


def send(pf, rcpt):
    rc, out = swaks(["--server", "127.0.0.1", "--port", str(pf.port),
                     "--from", "sender@test.example", "--to", rcpt,
                     "--header", "Subject: tlsmap interop"], timeout=60)
    assert rc == 0, out


def test_policy_maps_encrypt_may_none():
    if os.geteuid() != 0:
        pfhtest.skip("private Postfix instance needs root")
    with Sink() as sink:          # offers no STARTTLS
        nexthop = "[127.0.0.1]:%d" % sink.port
        d = tlsmap_for("%s encrypt\n" % nexthop, "unused.example NONE\n")
        with d:
            pf = PostfixInstance(main_cf={
                "relayhost": nexthop,
                "smtp_tls_policy_maps":
                    "socketmap:inet:127.0.0.1:%d:tlspolicy" % d.tcp_port})
            with pf:
                send(pf, "a@outside.example")
                pf.wait_log(r"to=<a@outside\.example>.*status=deferred "
                            r"\(TLS is required, but was not offered", 40)
                assert sink.messages == []

                set_table(d, "tls_policy", "%s may\n" % nexthop, "tlspolicy")
                pf.flush()
                sink.wait_messages(1, 40)
                pf.wait_log(r"to=<a@outside\.example>.*status=sent", 20)

                set_table(d, "tls_policy", "%s none\n" % nexthop, "tlspolicy")
                send(pf, "b@outside.example")
                msgs = sink.wait_messages(2, 40)
                assert msgs[1].rcpt_to == ["b@outside.example"]
                assert not msgs[1].tls
                pf.wait_queue_empty(20)


def test_policy_maps_secure_name_check():
    if os.geteuid() != 0:
        pfhtest.skip("private Postfix instance needs root")
    ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    with Sink(certfile=ca.server_cert, keyfile=ca.server_key) as sink:
        nexthop = "[127.0.0.1]:%d" % sink.port
        d = tlsmap_for("%s secure match=other.example\n" % nexthop,
                       "unused.example NONE\n")
        with d:
            pf = PostfixInstance(main_cf={
                "relayhost": nexthop,
                "smtp_tls_CAfile": ca.ca_cert,
                "smtp_tls_loglevel": "1",
                "smtp_tls_policy_maps":
                    "socketmap:inet:127.0.0.1:%d:tlspolicy" % d.tcp_port})
            with pf:
                send(pf, "c@outside.example")
                pf.wait_log(r"to=<c@outside\.example>.*status=deferred "
                            r"\(Server certificate not verified", 40)
                assert sink.messages == []
                set_table(d, "tls_policy",
                          "%s secure match=mx.test.example\n" % nexthop,
                          "tlspolicy")
                pf.flush()
                msgs = sink.wait_messages(1, 40)
                assert msgs[0].tls, msgs[0]
                pf.wait_log(r"Verified TLS connection established to "
                            r"127\.0\.0\.1", 20)


def test_legacy_per_site():
    if os.geteuid() != 0:
        pfhtest.skip("private Postfix instance needs root")
    with Sink() as sink:
        nexthop = "[127.0.0.1]:%d" % sink.port
        # per-site looks up the next-hop and the server host name: list both
        d = tlsmap_for("unused.example none\n",
                       "%s MUST_NOPEERMATCH\n127.0.0.1 MUST_NOPEERMATCH\n"
                       % nexthop)
        with d:
            pf = PostfixInstance(main_cf={
                "relayhost": nexthop,
                "smtp_tls_policy_maps": "",
                "smtp_tls_per_site":
                    "socketmap:inet:127.0.0.1:%d:legacy" % d.tcp_port})
            with pf:
                send(pf, "d@outside.example")
                pf.wait_log(r"to=<d@outside\.example>.*status=deferred "
                            r"\(TLS is required, but was not offered", 40)
                assert sink.messages == []
                set_table(d, "tls_per_site", "%s NONE\n127.0.0.1 NONE\n"
                          % nexthop, "legacy")
                pf.flush()
                sink.wait_messages(1, 40)
                pf.wait_log(r"to=<d@outside\.example>.*status=sent", 20)


if __name__ == "__main__":
    run_tests()
