#!/usr/bin/env python3
"""A real Postfix smtp(8) delivery follows tlsmap's MTA-STS answer.

The offline world of the dynamic-map tests (tests/lib/dnsworld.py,
stsworld.py, tls_scenarios.py) publishes sts.plain: MX mx.sts.plain, an
_mta-sts TXT record and an enforce policy on https://mta-sts.sts.plain.
tlsmap's `dynamic` map fetches it and answers
`OK secure match=mx.sts.plain:.backup.sts.plain servername=hostname`.

A private Postfix instance relays mail for a@sts.plain the way it relays
to any domain: smtp(8) looks up the MX itself. Its processes read a
resolv.conf of their own (a mount namespace, postfix_instance.resolv_conf)
that names the world's nsd on port 53 of a loopback address of this run,
so Postfix and tlsmap see the same DNS, and the host's resolver is never
touched. The MX host's address runs an SMTP sink on port 25:

  1. the sink's certificate names another host: the mail is deferred
     ("Server certificate not verified"), the sink never gets it. With
     Postfix's default smtp_tls_security_level (none) or `may`, it would
     have been delivered: only the dynamic answer made it `secure`;
  2. the sink's certificate names mx.sts.plain: the mail is delivered over
     a verified TLS connection, with the MX host name as SNI
     (servername=hostname).

Needs root (ports 25, 53, 443; Postfix master; unshare), postfix, swaks,
nsd, ldnsutils, openssl. Run directly by make check (TESTS).
"""

import atexit
import os

import pfhtest
from pfhtest import Daemon, free_port, need_root, need_tools, run_tests

PROG = "tlsmap/tlsmap"

need_tools("nsd", "ldns-signzone", "ldns-keygen", "drill", "openssl",
           "unshare", "mount")
need_root()

from dnsworld import DnsWorld                              # noqa: E402
from postfix_instance import PostfixInstance, Sink, swaks  # noqa: E402
from stsworld import StsWorld, make_ca, make_leaf          # noqa: E402
from tls_scenarios import SCENARIOS                        # noqa: E402

# this run's own loopback addresses: the name server (port 53) and the
# host every name of the world resolves to (HTTPS on 443, the sink on 25)
_P = os.getpid()
NS_ADDR = "127.%d.%d.%d" % (200 + _P % 50, (_P >> 6) % 250 + 1, _P % 250 + 2)
HOST_ADDR = "127.%d.%d.%d" % (200 + _P % 50, (_P >> 6) % 250 + 1,
                              (_P + 1) % 250 + 2)

SC = SCENARIOS["sts_enforce"]
MX = "mx." + SC.domain


def world():
    d = pfhtest.make_tmpdir(prefix="pfh-dnsw-")
    h = pfhtest.make_tmpdir(prefix="pfh-stsw-")
    dns = DnsWorld(d, addr=NS_ADDR, port=53, host_addr=HOST_ADDR).start()
    sts = StsWorld(h, addr=HOST_ADDR, port=443)
    sts.start()
    atexit.register(sts.stop)
    return dns, sts


def tlsmap(dns, sts):
    port = free_port()
    d = Daemon(PROG, config="""\
listen = inet:127.0.0.1:%d
maps = dyn=dynamic:@DIR@/cache
postconf_command =
dns_stub_zones = %s
dns_trust_anchor_file = %s
dns_timeout = 5s
sts_ca_file = %s
sts_timeout = 5s
control_listen = unix:@DIR@/control
""" % (port, dns.stub_zones(), dns.trust_anchor_file, sts.ca_file))
    d.tcp_port = port
    return d


def test_delivery_follows_the_sts_policy():
    dns, sts = world()
    certs = pfhtest.make_tmpdir(prefix="pfh-mxca-")
    ca = make_ca(certs, "mxca", "pfhtest MX CA")
    wrong = make_leaf(certs, "wrong", ca, ["other.plain"])
    right = make_leaf(certs, "right", ca, [MX])
    resolv = os.path.join(pfhtest.make_tmpdir(prefix="pfh-resolv-"),
                          "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:2\n" % NS_ADDR)
    d = tlsmap(dns, sts)
    with d:
        pf = PostfixInstance(resolv_conf=resolv, main_cf={
            "smtp_tls_CAfile": ca[0],
            "smtp_tls_loglevel": "1",
            "smtp_tls_policy_maps":
                "socketmap:inet:127.0.0.1:%d:dyn" % d.tcp_port})
        with Sink(host=HOST_ADDR, port=25, hostname=MX,
                  certfile=wrong[0], keyfile=wrong[1]) as sink:
            with pf:
                rc, out = swaks(["--server", "127.0.0.1", "--port",
                                 str(pf.port), "--from",
                                 "sender@test.example", "--to",
                                 "a@" + SC.domain, "--header",
                                 "Subject: MTA-STS delivery"], timeout=60)
                assert rc == 0, out
                # smtp(8) found the MX through the world's DNS and asked
                # tlsmap, which answered secure: the wrong name defers
                pf.wait_log(r"to=<a@sts\.plain>, relay=mx\.sts\.plain\["
                            + HOST_ADDR.replace(".", r"\.") +
                            r"\]:25.*status=deferred \(Server certificate "
                            r"not verified", 60)
                assert sink.messages == []
                assert MX in sink.server_names, sink.server_names
                sink.stop()
                with Sink(host=HOST_ADDR, port=25, hostname=MX,
                          certfile=right[0], keyfile=right[1]) as good:
                    pf.flush()
                    msgs = good.wait_messages(1, 60)
                    assert msgs[0].tls and msgs[0].rcpt_to == [
                        "a@" + SC.domain], msgs[0]
                    assert good.server_names == [MX], good.server_names
                    pf.wait_log(r"Verified TLS connection established to "
                                r"mx\.sts\.plain\[", 30)
                    pf.wait_log(r"to=<a@sts\.plain>.*status=sent", 30)
    # the policy was fetched once, over HTTPS, from the policy host
    assert sts.requests("mta-sts." + SC.domain), sts.hosts()


if __name__ == "__main__":
    run_tests()
