#!/usr/bin/env python3
"""status_browser_daemons - headless Chromium renders each real daemon's page.

Run by it_status_browser_daemons.sh. saslauthd-lite, policyd-ccert and
tlsmap each run with status_listen on a free loopback port and get known
traffic on their Postfix-facing socket; Chromium loads `/` and the DOM it
builds must show the counters that traffic produced (tiles, the family
tables with their totals, the daemon's own tables and recent lists), and
no password. At 1280x900 and 800x900 every table and element must fit the
window and its card, with no label left as a snake_case identifier
(status_browser.layout_check); the sockets sit at Debian's chrooted
Postfix paths, long enough to have clipped the listener table once. A
1280x900 screenshot of each page is taken; with
PFH_SCREENSHOT_DIR set they are copied there as <daemon>.png (that is how
doc/screenshots/saslauthd-lite.png, policyd-ccert.png and tlsmap.png are
made).
"""

import datetime
import hashlib
import html
import os
import re
import shutil
import subprocess

import pfhtest
from pfhtest import (BUILDDIR, Daemon, free_port, make_tmpdir, policy_query,
                     run_tests, sasl_auth, skip, socketmap_query, tcp_connect,
                     unix_connect)
from status_browser import browser, chrome, layout_check, png_size

SIZE = (1280, 900)
LAYOUT_SIZES = ((1280, 900), (800, 900))


def dom_of(url):
    browser()                           # skip (77) without Chromium
    return html.unescape(chrome(["--dump-dom"], url))


def check_layout(url):
    for size in LAYOUT_SIZES:
        layout_check(url, size)


def screenshot(url, name):
    out = make_tmpdir(prefix="pfh-shots-")
    path = os.path.join(out, name + ".png")
    # a second of virtual time: every layer painted before the shot
    chrome(["--screenshot=" + path, "--window-size=%d,%d" % SIZE,
            "--virtual-time-budget=1000"], url)
    assert png_size(path) == SIZE, (path, png_size(path))
    assert os.path.getsize(path) > 20000, "suspiciously small screenshot"
    keep = os.environ.get("PFH_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, name + ".png"))


def tile(dom, metric, labels=""):
    """The number a tile shows, by its labels (result=ok: the chip that
    reads "result: ok")."""
    chips = "".join('<span class="lb">%s: %s</span>'
                    % tuple(l.replace("_", " ").split("=", 1))
                    for l in labels.split())
    m = re.search(r'data-metric="%s"[^>]*><div class="v">([^<]*)</div>'
                  r'<div class="l">[^<]*(?:<br>)?%s</div>'
                  % (re.escape(metric), re.escape(chips)), dom)
    assert m, "no tile %s %s" % (metric, labels)
    return int(m.group(1).replace("\u2009", ""))


def cell(dom, labels):
    """A family table's cell, by its label set."""
    m = re.search(r'data-labels="%s">([^<]*)<' % re.escape(labels), dom)
    assert m, "no cell %s" % labels
    return int(m.group(1).replace("\u2009", ""))


def accepted(dom):
    """The listeners table's accepted column (pfhelpers_connections_total)
    for the one Postfix-facing listener."""
    m = re.findall(r'<tr><td[^>]*>(?:unix|inet):[^<]*</td><td[^>]*>\d+</td>'
                   r'<td[^>]*>(\d+)</td></tr>', dom)
    assert len(m) == 1, "listeners table rows %r" % m
    return int(m[0])


def total(dom, labels):
    m = re.search(r'data-total="%s">([^<]*)<' % re.escape(labels), dom)
    assert m, "no total %s" % labels
    return int(m.group(1).replace("\u2009", ""))


def status_opt():
    port = free_port()
    return port, ("status_listen", "inet:127.0.0.1:%d" % port)


# --------------------------------------------------------------------------

SASL_PASSWORDS = {"alice": "Alice-Br0wser-pw", "bob": "B0b-Br0wser-pw"}
SASL_GUESSES = ["Gu3ss-%d-xyzzy" % i for i in range(6)]


def test_saslauthd_lite_page():
    sport, opt = status_opt()
    # saslauthd-lite's own config flag is -C (Cyrus took -c)
    d = Daemon("saslauthd-lite/saslauthd-lite", args=["-C", "@DIR@/sasl.conf"],
               options=[opt], name="saslauthd-lite")
    tool = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
    lines = ""
    for user, pw in SASL_PASSWORDS.items():
        lines += subprocess.run([tool, "-m", "sha512crypt", user],
                                input=pw.encode(), capture_output=True,
                                check=True).stdout.decode()
    d.write("passwd", lines, mode=0o600)
    run = "var/spool/postfix/var/run/saslauthd"  # Debian's chrooted smtpd
    os.makedirs(d.path(run))
    d.write("sasl.conf", "run_dir = @DIR@/%s\npwfile = @DIR@/passwd\n" % run +
            "cache = yes\nthrottle_after = 3\nthrottle_delay = 20ms\n"
            "throttle_max_delay = 100ms\n")
    d.start()
    mux = d.path(run, "mux")
    ok = no = 0
    for i in range(12):                 # 2 backend calls, 10 from the cache
        user = "alice" if i % 3 else "bob"
        r = sasl_auth(mux, user, SASL_PASSWORDS[user],
                      service="smtp" if user == "alice" else "imap",
                      client_addr="192.0.2.%d;5870%d" % (10 + i % 4, i % 10))
        assert r == "OK", r
        ok += 1
    for i, guess in enumerate(SASL_GUESSES):   # a guesser: throttled late on
        r = sasl_auth(mux, ["root", "admin", "alice"][i % 3], guess,
                      client_addr="203.0.113.66;4000%d" % i)
        assert r == "NO authentication failed", r
        no += 1
    url = "http://127.0.0.1:%d/" % sport
    dom = dom_of(url)
    assert "<h1>saslauthd-lite</h1>" in dom and 'id="ready">ready</span>' in dom
    assert tile(dom, "saslauthd_lite_answers_total", "result=ok") == ok
    assert tile(dom, "saslauthd_lite_answers_total", "result=no") == no
    assert tile(dom, "saslauthd_lite_cached_total", "result=ok") == ok - 2
    assert tile(dom, "saslauthd_lite_throttled_total") == len(SASL_GUESSES) - 3
    assert tile(dom, "saslauthd_lite_backend_calls_total", "backend=pwfile") == 2 + no
    assert tile(dom, "saslauthd_lite_cache_entries") == 2
    assert '<td class="k">hit ratio</td><td>%.3f</td>' % ((ok - 2) / (ok + no)) in dom
    assert re.search(r'id="t-top_clients">.*?<td>203\.0\.113\.66</td><td>%d</td>'
                     % no, dom)
    assert re.search(r'id="t-top_users">.*?<td>root</td><td>2</td>', dom)
    assert "NO user=alice service=smtp client=203.0.113.66" in dom
    assert "OK user=alice service=smtp client=192.0.2." in dom
    assert "Backend 1: pwfile" in dom and "backend call time" in dom
    for pw in list(SASL_PASSWORDS.values()) + SASL_GUESSES:
        assert pw not in dom, pw
    check_layout(url)
    screenshot(url, "saslauthd-lite")
    assert d.stop() == 0


# --------------------------------------------------------------------------

def fp(seed):
    d = hashlib.sha256(seed.encode()).digest()
    return ":".join("%02X" % b for b in d)


def day(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def test_policyd_ccert_page():
    sport, opt = status_opt()
    d = Daemon("policyd-ccert/policyd-ccert", config="", options=[opt],
               name="policyd-ccert")
    d.write("identities", """\
# enrolled client certificates (policyd-ccert-enrol)
{bob} laptop-bob note="Bob's laptop"
{relay} relay-dmz kind=cert
{scan} scanner-2f expires={soon} note="renew before the audit"
{old} old-nas expires=2024-06-30
{app} app-server senders=@example.net
{mon} monitoring expires={later}
""".format(bob=fp("bob"), relay=fp("relay"), scan=fp("scan"), old=fp("old"),
           app=fp("app"), mon=fp("mon"), soon=day(12), later=day(200)))
    sock = "var/spool/postfix/private/policyd-ccert"
    os.makedirs(os.path.dirname(d.path(sock)))
    d.write(d.config_file, "listen = unix:@DIR@/%s\n" % sock +
            "identities = @DIR@/identities\n"
            "expired_action = REJECT 5.7.1 client certificate expired\n")
    d.start()
    s = unix_connect(d.path(sock))
    base = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
            ("protocol_name", "ESMTP"), ("client_address", "198.51.100.7"),
            ("sender", "app@example.net"), ("recipient", "user@outside.example")]
    want = {"OK": 0, "DUNNO": 0, "REJECT": 0}
    for seed, n in [("bob", 7), ("relay", 5), ("app", 4), ("scan", 2),
                    ("nobody", 3), ("old", 1), (None, 6)]:
        for _ in range(n):
            attrs = list(base)
            if seed:
                attrs.append(("ccert_pubkey_fingerprint", fp(seed)))
                attrs.append(("ccert_fingerprint", fp(seed)))
            r = policy_query(s, attrs)["action"].split()[0]
            want[r] += 1
    s.close()
    assert want == {"OK": 18, "DUNNO": 9, "REJECT": 1}, want
    url = "http://127.0.0.1:%d/" % sport
    dom = dom_of(url)
    assert "<h1>policyd-ccert</h1>" in dom and 'id="ready">ready</span>' in dom
    assert total(dom, "result=permit") == 18
    assert total(dom, "result=dunno") == 9
    assert total(dom, "result=reject") == 1
    assert cell(dom, "result=permit,reason=listed") == 18
    assert cell(dom, "result=dunno,reason=not_listed") == 3
    assert cell(dom, "result=dunno,reason=no_cert") == 6
    assert cell(dom, "result=reject,reason=expired") == 1
    assert tile(dom, "policyd_ccert_identities") == 6
    assert tile(dom, "policyd_ccert_pins_expiring") == 1
    assert tile(dom, "policyd_ccert_pins_expired") == 1
    assert accepted(dom) == 1
    assert re.search(r"<td>scanner-2f</td><td>sha256</td><td>%s</td><td>12</td>"
                     % day(12), dom)
    assert "<td>old-nas</td>" in dom and "<td>monitoring</td>" not in dom
    assert re.search(r"REJECT[^<]*old-nas", dom) and re.search(r"OK[^<]*laptop-bob", dom)
    check_layout(url)
    screenshot(url, "policyd-ccert")
    assert d.stop() == 0


# --------------------------------------------------------------------------

TLS_POLICY = """\
# TLS policy for the destinations that matter
example.com          secure match=.example.com
bank.example         secure match=mx1.bank.example:mx2.bank.example
partner.example      verify
[mx.example.net]:587 encrypt protocols=>=TLSv1.2
.example.org         encrypt
legacy-partner.example may
"""
TLS_PER_SITE = """\
old-relay.example    MUST_NOPEERMATCH
lab.example          NONE
"""


def test_tlsmap_page():
    sport, opt = status_opt()
    port = free_port()
    d = Daemon("tlsmap/tlsmap", config="""\
listen = inet:127.0.0.1:%d
maps = tlspolicy=policy:@DIR@/etc/postfix/tls_policy \
    legacy=persite:@DIR@/etc/postfix/tls_per_site
""" % port, options=[opt], name="tlsmap")
    d.write("etc/postfix/tls_policy", TLS_POLICY)
    d.write("etc/postfix/tls_per_site", TLS_PER_SITE)
    d.start()
    s = tcp_connect("127.0.0.1", port)
    lookups = [("tlspolicy", "example.com", 9), ("tlspolicy", "bank.example", 4),
               ("tlspolicy", "[mx.example.net]:587", 6),
               ("tlspolicy", "partner.example", 2),
               ("tlspolicy", "gmail.com", 11), ("tlspolicy", "web.de", 5),
               ("legacy", "old-relay.example", 3), ("legacy", "lab.example", 1),
               ("legacy", "gmail.com", 8)]
    for name, key, n in lookups:
        for _ in range(n):
            socketmap_query(s, name, key)
    s.close()
    url = "http://127.0.0.1:%d/" % sport
    dom = dom_of(url)
    assert "<h1>tlsmap</h1>" in dom and 'id="ready">ready</span>' in dom
    assert cell(dom, "kind=policy,level=secure") == 13
    assert cell(dom, "kind=policy,level=encrypt") == 6
    assert cell(dom, "kind=policy,level=verify") == 2
    assert cell(dom, "kind=policy,level=notfound") == 16
    assert cell(dom, "kind=persite,level=MUST_NOPEERMATCH") == 3
    assert cell(dom, "kind=persite,level=notfound") == 8
    assert total(dom, "kind=policy") == 37 and total(dom, "kind=persite") == 12
    assert re.search(r"<td>tlspolicy</td><td>policy</td><td[^>]*>[^<]*tls_policy</td>"
                     r"<td>6</td>", dom)
    assert re.search(r"<td>legacy</td><td>persite</td><td[^>]*>[^<]*tls_per_site</td>"
                     r"<td>2</td>", dom)
    assert "legacy gmail.com -> NOTFOUND" in dom
    assert "tlspolicy [mx.example.net]:587 -> encrypt" in dom
    assert accepted(dom) == 1
    check_layout(url)
    screenshot(url, "tlsmap")
    assert d.stop() == 0


def test_tlsmap_page_with_a_dynamic_map():
    """A static and a dynamic map on one page: the dynamic answers by
    result, the cache, the recent decisions with their reasons, at every
    layout width. The dynamic map resolves in the offline world of the
    dynamic-map tests (nsd with signed zones, an HTTPS policy host)."""
    browser()
    pfhtest.need_tools("nsd", "ldns-signzone", "ldns-keygen", "drill",
                       "openssl")
    from dnsworld import DnsWorld
    from stsworld import StsWorld
    import tls_scenarios
    p = os.getpid()
    host = "127.%d.%d.%d" % (150 + p % 50, (p >> 6) % 250 + 1, p % 250 + 2)
    dns = DnsWorld(make_tmpdir(prefix="pfh-dnsw-"), host_addr=host).start()
    sts = StsWorld(make_tmpdir(prefix="pfh-stsw-"), addr=host, port=443)
    sts.start()
    pfhtest.add_cleanup(sts.stop)
    pfhtest.add_cleanup(dns.stop)
    sport, opt = status_opt()
    port = free_port()
    d = Daemon("tlsmap/tlsmap", config="""\
listen = inet:127.0.0.1:%d
maps = tlspolicy=policy:@DIR@/etc/postfix/tls_policy \
    dynamic=dynamic:@DIR@/tlsmap.cache
postfix_version = 3.10
postconf_command =
dns_stub_zones = %s
dns_trust_anchor_file = %s
sts_ca_file = %s
""" % (port, dns.stub_zones(), dns.trust_anchor_file, sts.ca_file),
        options=[opt], name="tlsmap")
    d.write("etc/postfix/tls_policy", TLS_POLICY)
    d.start()
    s = tcp_connect("127.0.0.1", port, timeout=30)
    sc = tls_scenarios.SCENARIOS
    want = {}
    for key in ("dane", "dane_partial", "sts_enforce", "absent_plain",
                "bogus", "dane", "sts_enforce"):
        a = socketmap_query(s, "dynamic", sc[key].domain).decode()
        assert tls_scenarios.answer_ok(sc[key], a), (key, a)
        kind = a.split()[1] if a.startswith("OK") else a.split()[0]
        want[kind] = want.get(kind, 0) + 1
    assert socketmap_query(s, "tlspolicy", "example.com").startswith(b"OK")
    s.close()
    assert want == {"dane-only": 2, "dane": 1, "secure": 2, "NOTFOUND": 1,
                    "TEMP": 1}, want
    url = "http://127.0.0.1:%d/" % sport
    dom = dom_of(url)
    assert "<h1>tlsmap</h1>" in dom and 'id="ready">ready</span>' in dom
    assert "Recent dynamic decisions" in dom
    for key in ("dane", "sts_enforce", "bogus"):
        assert sc[key].domain in dom, key
    check_layout(url)
    screenshot(url, "tlsmap-dynamic")
    assert d.stop() == 0


if __name__ == "__main__":
    for prog in ("saslauthd-lite/saslauthd-lite", "policyd-ccert/policyd-ccert",
                 "tlsmap/tlsmap"):
        if not os.access(os.path.join(BUILDDIR, prog), os.X_OK):
            skip("%s not built" % prog)
    run_tests()
