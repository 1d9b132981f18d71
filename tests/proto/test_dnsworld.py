#!/usr/bin/env python3
"""The offline world tlsmap's `dynamic` map is tested against checks
itself (tests/lib/dnsworld.py, stsworld.py, tls_scenarios.py):

  * the scenario table is consistent (names under the world's zones,
    expected `secure` answers match the policies served);
  * nsd serves every scenario record, all addresses the host address asked
    for (a 127.0.0.N of its own);
  * DNSSEC offline: drill -S chases test. to the trust-anchor file, the
    bogus scenario's TLSA and all of expired. fail, plain. is unsigned;
    ldns-verify-zone agrees on the zone files; libunbound -- what tlsmap
    uses -- with the same stubs and anchor file says secure / bogus /
    insecure for the same names;
  * set_txt() + SIGHUP: nsd serves the new TXT (five changes in a row);
  * stop() leaves no nsd process;
  * every HTTPS scenario behaves as its Behaviour says (status, type,
    sizes, redirect not followed, bad cert fails, slow body times out),
    and set_policy / set_status / requests() work between requests.
"""

import ctypes
import ctypes.util
import socket
import ssl
import subprocess
import time

import pfhtest
from pfhtest import add_cleanup, make_tmpdir, need_tools, run_tests

import dnsworld
import stsworld
import tls_scenarios
from tls_scenarios import HOST_A, SCENARIOS, NAMES

HOST = "127.0.83.7"     # the A records' address: not what nsd listens on


def world():
    need_tools(*dnsworld.TOOLS)
    w = dnsworld.DnsWorld(make_tmpdir("pfh-dns-"), host_addr=HOST)
    add_cleanup(w.stop)
    return w.start()


def sts_world():
    need_tools("openssl")
    s = stsworld.StsWorld(make_tmpdir("pfh-sts-"), "127.0.83.8", port=0)
    add_cleanup(s.stop)
    return s.start()


def test_table_is_consistent():
    assert len(set(NAMES.values())) == len(NAMES), "a domain twice"
    hosts = tls_scenarios.https_hosts()
    for s in SCENARIOS.values():
        tls_scenarios.zone_of(s.domain)
        assert s.expect in ("OK dane-only", "OK dane", "NOTFOUND ",
                            "TEMP ") or s.expect.startswith("OK secure "), s
        assert s.expect_prefix == (s.expect == "TEMP "), s
        if s.expect.startswith("OK secure "):
            b = hosts["mta-sts." + s.domain]
            mx = [ln.split(":", 1)[1].strip()
                  for ln in b.body.splitlines() if ln.startswith("mx:")]
            assert s.expect == tls_scenarios.secure(*mx), s
        if s.expect_tlsrpt:
            assert s.expect_tlsrpt.startswith(s.expect + " policy_type=sts")
    assert tls_scenarios.answer_ok(SCENARIOS["bogus"], "TEMP dnssec bogus")
    assert not tls_scenarios.answer_ok(SCENARIOS["bogus"], "NOTFOUND ")
    assert tls_scenarios.secure("mx.x", "*.b.X") == \
        "OK secure match=mx.x:.b.x servername=hostname"
    big = hosts["mta-sts.big-length.plain"].body
    assert len(big.encode()) == 65537 and "mode: enforce" in big


def test_serves_every_record_at_the_host_address():
    w = world()
    assert w.stub_zones() == " ".join(
        "%s.=127.0.0.1@%d" % (z, w.port) for z in ("test", "expired", "plain"))
    for s in SCENARIOS.values():
        for rec in s.records:
            owner, rtype, rdata = rec[:3]
            r = w.query(owner, rtype)
            assert r["rcode"] == "NOERROR", (owner, rtype, r)
            want = HOST if rdata == HOST_A else rdata
            got = [a for a in r["answer"] if a[2] == rtype]
            assert any(a[3].lower() == want.lower() or
                       # the bogus record was edited after signing
                       (s.bogus == (owner, rtype) and a[3] != want)
                       for a in got), (owner, rtype, want, got)
            if len(rec) > 3:
                assert got[0][1] == rec[3], (owner, got)
        for host in s.https:
            assert w.query(host, "A")["answer"][0][3] == HOST, host
    r = w.query("_mta-sts.idchange.plain", "TXT")
    assert r["answer"] == [("_mta-sts.idchange.plain", 1, "TXT",
                            "v=STSv1; id=1;")], r
    assert w.query(NAMES["absent_signed"], "MX")["rcode"] == "NXDOMAIN"
    assert w.query(NAMES["absent_plain"], "MX")["rcode"] == "NXDOMAIN"
    assert w.query("nullmx.test", "MX")["answer"][0][3] == "0 ."


def test_drill_chases_signatures_to_the_anchor_file():
    w = world()
    with open(w.trust_anchor_file) as f:
        anchors = f.read().split("\n")
    assert [ln.split()[:3] for ln in anchors if ln] == \
        [["test.", "IN", "DS"], ["expired.", "IN", "DS"]], anchors
    for owner, rtype in (("dane.test", "MX"), ("mx.dane.test", "A"),
                         ("_25._tcp.mx.dane.test", "TLSA"),
                         ("_25._tcp.mx1.partial.test", "TLSA"),
                         ("bogus.test", "MX"), ("_mta-sts.bogus.test", "TXT")):
        out = w.chase(owner, rtype)
        assert "Chase successful" in out, (owner, out)
    out = w.chase("_25._tcp.mx.bogus.test", "TLSA")
    assert "Chase failed" in out and "Bogus DNSSEC signature" in out, out
    out = w.chase(NAMES["expired"], "MX")
    assert "Chase failed" in out and "signature has expired" in out, out
    # plain.: no signatures at all
    r = w.query("sts.plain", "MX", dnssec=True)
    assert r["answer"] and not [a for a in r["answer"] if a[2] == "RRSIG"]
    out = w.chase("sts.plain", "MX")
    assert "Chase failed" in out and "No DNSSEC public key" in out, out


def test_ldns_verify_zone_agrees():
    w = world()
    verify = need_tools("ldns-verify-zone")["ldns-verify-zone"]
    r = subprocess.run([verify, w.zone_file("test")], capture_output=True,
                       text=True, timeout=60)
    errors = [ln for ln in (r.stdout + r.stderr).splitlines()
              if ln.startswith("Error")]
    assert r.returncode != 0 and len(errors) == 1 and \
        "_25._tcp.mx.bogus.test.\tTLSA" in errors[0], (r, errors)
    r = subprocess.run([verify, w.zone_file("expired")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and "expired" in r.stdout + r.stderr, r


class _UbResult(ctypes.Structure):
    _fields_ = [("qname", ctypes.c_char_p), ("qtype", ctypes.c_int),
                ("qclass", ctypes.c_int), ("data", ctypes.c_void_p),
                ("len", ctypes.c_void_p), ("canonname", ctypes.c_char_p),
                ("rcode", ctypes.c_int), ("answer_packet", ctypes.c_void_p),
                ("answer_len", ctypes.c_int), ("havedata", ctypes.c_int),
                ("nxdomain", ctypes.c_int), ("secure", ctypes.c_int),
                ("bogus", ctypes.c_int), ("why_bogus", ctypes.c_char_p),
                ("was_ratelimited", ctypes.c_int), ("ttl", ctypes.c_int)]


def _libunbound():
    name = ctypes.util.find_library("unbound")
    if name is None:
        pfhtest.missing_tool(["libunbound"])
    ub = ctypes.CDLL(name)
    ub.ub_ctx_create.restype = ctypes.c_void_p
    ub.ub_ctx_delete.argtypes = [ctypes.c_void_p]
    ub.ub_ctx_zone_remove.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    for fn in ("ub_ctx_set_option", "ub_ctx_add_ta_file", "ub_ctx_set_stub",
               "ub_ctx_zone_remove", "ub_resolve"):
        getattr(ub, fn).restype = ctypes.c_int
    ub.ub_ctx_set_option.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.c_char_p]
    ub.ub_ctx_add_ta_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    ub.ub_ctx_set_stub.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                   ctypes.c_char_p, ctypes.c_int]
    ub.ub_resolve.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                              ctypes.c_int,
                              ctypes.POINTER(ctypes.POINTER(_UbResult))]
    ub.ub_resolve_free.argtypes = [ctypes.POINTER(_UbResult)]
    ub.ub_strerror.restype = ctypes.c_char_p
    return ub


def _ub_context(ub, w, remove_local_zones=True):
    ctx = ub.ub_ctx_create()
    assert ctx
    add_cleanup(ub.ub_ctx_delete, ctx)
    for k, v in (("do-not-query-localhost:", "no"), ("val-bogus-ttl:", "0"),
                 ("aggressive-nsec:", "no")):
        assert ub.ub_ctx_set_option(ctx, k.encode(), v.encode()) == 0, k
    assert ub.ub_ctx_add_ta_file(ctx, w.trust_anchor_file.encode()) == 0
    for stub in w.stub_zone_list():
        zone, addr = stub.split("=")
        assert ub.ub_ctx_set_stub(ctx, zone.encode(), addr.encode(), 0) == 0
    if remove_local_zones:
        # test. is one of unbound's default local zones (RFC 6761, static:
        # NXDOMAIN without asking anyone), and a stub does not override
        # it; ub_ctx_set_option("local-zone:", "test. nodefault") returns 0
        # and has no effect.  ub_ctx_zone_remove (after the stubs: it
        # finalizes the context) does.
        for stub in w.stub_zone_list():
            zone = stub.split("=")[0].encode()
            assert ub.ub_ctx_zone_remove(ctx, zone) == 0, zone
    return ctx


def _ub_resolve(ub, ctx, name, rtype):
    res = ctypes.POINTER(_UbResult)()
    rc = ub.ub_resolve(ctx, name.encode(), rtype, 1, ctypes.byref(res))
    assert rc == 0, ub.ub_strerror(rc)
    r = res.contents
    out = {"rcode": r.rcode, "havedata": r.havedata, "secure": r.secure,
           "bogus": r.bogus, "nxdomain": r.nxdomain,
           "why": (r.why_bogus or b"").decode()}
    ub.ub_resolve_free(res)
    return out


MX, TXT, TLSA = 15, 16, 52


def test_libunbound_test_zone_needs_its_local_zone_removed():
    """The trap tlsmap's test config must avoid: a stub for test. alone
    still answers NXDOMAIN (unbound's default local zone), insecure."""
    w = world()
    ub = _libunbound()
    ctx = _ub_context(ub, w, remove_local_zones=False)
    r = _ub_resolve(ub, ctx, "dane.test", MX)
    assert r["nxdomain"] and not r["secure"] and not r["bogus"], r
    r = _ub_resolve(ub, ctx, "sts.plain", MX)      # plain. is no such zone
    assert r["havedata"], r


def test_libunbound_validates_with_the_stubs_and_anchor_file():
    """What tlsmap will do: stubs from stub_zone_list(), the anchor file,
    do-not-query-localhost no, val-bogus-ttl 0."""
    w = world()
    ub = _libunbound()
    ctx = _ub_context(ub, w)

    def resolve(name, rtype):
        return _ub_resolve(ub, ctx, name, rtype)

    for name, t in (("dane.test", MX), ("_25._tcp.mx.dane.test", TLSA),
                    ("mx.dane.test", 1), ("implicit.test", 1),
                    ("_mta-sts.bogus.test", TXT)):
        r = resolve(name, t)
        assert r["secure"] and r["havedata"] and not r["bogus"], (name, r)
    r = resolve("absent.test", MX)
    assert r["nxdomain"] and r["secure"], r
    r = resolve("_25._tcp.mx2.partial.test", TLSA)     # signed denial
    assert r["nxdomain"] and r["secure"], r
    r = resolve("_25._tcp.mx.bogus.test", TLSA)
    assert r["bogus"] and not r["secure"], r
    r = resolve(NAMES["expired"], MX)
    assert r["bogus"] and "expired" in r["why"], r
    for name, t in (("sts.plain", MX), ("_mta-sts.sts.plain", TXT),
                    ("smart.plain", MX)):
        r = resolve(name, t)
        assert r["havedata"] and not r["secure"] and not r["bogus"], r
    r = resolve("absent.plain", MX)
    assert r["nxdomain"] and not r["secure"] and not r["bogus"], r


def test_txt_change_is_served_after_reload():
    w = world()
    name = "_mta-sts." + NAMES["sts_id_change"]
    alt = SCENARIOS["sts_id_change"].alt
    for i in range(2, 7):
        text = alt["txt"] if i == 2 else tls_scenarios.txt(i)
        w.set_txt(name, text)
        assert w.query(name, "TXT")["answer"] == [(name, 1, "TXT", text)], i
    # the other records of plain. are still there, test. untouched
    assert w.query("sts.plain", "MX")["answer"][0][3] == "10 mx.sts.plain."
    assert "Chase successful" in w.chase("dane.test", "MX")
    w.set_records("new.plain", "A", [HOST], ttl=5)
    assert w.query("new.plain", "A")["answer"] == [("new.plain", 5, "A",
                                                   HOST)]
    w.set_records("new.plain", "A", [])
    assert w.query("new.plain", "A")["rcode"] == "NXDOMAIN"
    try:
        w.set_txt("_mta-sts.both.test", "v=STSv1; id=9;")
        raise AssertionError("a signed zone was re-written")
    except ValueError:
        pass


def test_stop_leaves_no_process():
    w = world()
    pid = w.proc.pid
    with open(w.pidfile) as f:
        assert int(f.read()) == pid
    assert len(dnsworld.group_alive(pid)) >= 2      # nsd forks
    w.stop()
    assert dnsworld.group_alive(pid) == [], pid
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    assert s.connect_ex(("127.0.0.1", w.port)) != 0
    s.close()
    w.stop()                         # idempotent
    with dnsworld.DnsWorld(make_tmpdir("pfh-dns-"), port=w.port) as w2:
        assert w2.query("dane.test", "MX")["rcode"] == "NOERROR"
        pid = w2.proc.pid
    assert dnsworld.group_alive(pid) == [], "context manager left nsd"


def test_https_scenarios():
    s = sts_world()
    hosts = tls_scenarios.https_hosts()
    assert s.hosts() == sorted(hosts)
    for host, b in sorted(hosts.items()):
        if b.kind == "slow" or b.untrusted:
            continue
        status, hdr, body = s.fetch(host)
        assert status == b.status, (host, status)
        if b.kind in ("policy", "chunked"):
            assert hdr["content-type"] == b.ctype, (host, hdr)
            assert body == b.body.encode(), host
        if b.kind == "policy":
            assert int(hdr["content-length"]) == len(body), (host, hdr)
        if b.kind == "chunked":
            assert "content-length" not in hdr, hdr
            assert hdr["transfer-encoding"] == "chunked", hdr
            assert len(body) > 65536, len(body)
        if b.kind == "redirect":
            assert hdr["location"] == b.location, hdr
        assert s.requests(host) == [tls_scenarios.POLICY_PATH], host
    assert len(s.fetch("big-length.plain")[2]) == 65537
    assert s.fetch("html.plain")[1]["content-type"] == "text/html"
    assert s.fetch("charset.plain")[1]["content-type"] == \
        "text/plain; charset=utf-8"
    assert b"\r\n" in s.fetch("crlf.plain")[2]
    assert b"max_age: 2\n" in s.fetch("maxage.plain")[2]
    assert s.fetch("notfound.plain")[0] == 404
    assert s.fetch("error.plain")[0] == 500
    # the redirect was not followed: its target saw only our own GET
    s.clear_requests()
    assert s.fetch("redirect.plain")[0] == 301
    assert s.requests("mta-sts.redirect-target.plain") == []
    assert s.handshakes("redirect-target.plain") == 0
    assert s.handshakes("redirect.plain") == 1
    assert s.fetch("sts.plain", path="/other")[0] == 404
    assert s.requests("sts.plain") == ["/other"]


def test_bad_cert_and_slow_body():
    s = sts_world()
    try:
        s.fetch("badcert.plain")
        raise AssertionError("the untrusted certificate verified")
    except ssl.SSLCertVerificationError:
        pass
    # the names are right: only the CA is wrong
    status, _, body = s.fetch("badcert.plain", cafile=s.untrusted_ca_file)
    assert status == 200 and b"mode: enforce" in body
    assert s.handshakes("badcert.plain") == 2
    start = time.monotonic()
    try:
        s.fetch("slow.plain", timeout=0.5)
        raise AssertionError("the slow body arrived")
    except (socket.timeout, TimeoutError):
        pass
    assert time.monotonic() - start < 5
    # the slow handler stops with the world
    t0 = time.monotonic()
    s.stop()
    assert time.monotonic() - t0 < 5


def test_policy_changes_between_requests():
    s = sts_world()
    alt = SCENARIOS["sts_id_change"].alt
    d = NAMES["sts_id_change"]
    assert b"mx: mx.idchange.plain" in s.fetch(d)[2]
    s.set_policy(d, alt["policy"])
    status, hdr, body = s.fetch(d)
    assert status == 200 and body == alt["policy"].encode()
    assert hdr["content-type"] == "text/plain"
    s.set_status(d, 500)
    assert s.fetch(d)[0] == 500
    s.set_policy("mta-sts." + d, "version: STSv1\n", ctype="text/html")
    assert s.fetch(d)[1]["content-type"] == "text/html"
    assert len(s.requests(d)) == 4
    s.set_status("badcert.plain", 404)
    try:
        s.fetch("badcert.plain")
        raise AssertionError("bad-cert host lost its certificate")
    except ssl.SSLCertVerificationError:
        pass


if __name__ == "__main__":
    run_tests()
