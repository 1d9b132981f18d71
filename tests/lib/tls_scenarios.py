"""tls_scenarios - the one table of DNS + HTTPS scenarios for tlsmap's
`dynamic` TLS-policy map (design: dynamic-tls.md section 5).

DnsWorld (dnsworld.py) builds its zones from it, StsWorld (stsworld.py)
serves its HTTPS policies from it, and the tlsmap tests iterate over it and
assert `expect` -- so no test hard-codes a name it cannot check.

Zones: `test.` and `expired.` are signed (trust anchors in the DnsWorld's
trust_anchor_file), `plain.` is unsigned (insecure).  Every name lives under
one of them: libunbound only ever talks to the stubs.

A Scenario:
  key       short id ("dane", "sts_enforce", ...): SCENARIOS[key]
  domain    the key tlsmap is asked for ("dane.test")
  records   [(owner, type, rdata)] or [(owner, type, rdata, ttl)], absolute
            owner names without the trailing dot; "@A" as rdata means the
            world's host address.  Every https host also gets "<host> A @A".
  https     {host: Behaviour} served by StsWorld ({} for DNS-only cases)
  expect    the tlsmap answer to a `QUERY` lookup of domain, byte for byte
            unless expect_prefix (then the answer starts with it: TEMP
            carries a reason)
  expect_tlsrpt  the answer under the TLSRPT socketmap name, when it differs
            from expect and the case pins it (None: not pinned here)
  bogus     (owner, type) whose rdata is corrupted after signing, or None
  note      why the case exists
  alt       for the id-change case: the TXT, policy and answer after the change

A Behaviour (what the HTTPS server does for one Host):
  kind      "policy" (200 + body), "redirect" (301 to `location`),
            "status" (bare `status` code), "chunked" (200, chunked body, no
            Content-Length), "slow" (200, body trickled one byte per
            `interval` seconds)
  body      the policy text (str)
  ctype     Content-Type header
  status    HTTP status for kind "status" / "policy"
  location  redirect target URL
  untrusted True: the host's certificate comes from a CA the test CA file
            does not contain (the bad-cert case)
"""

import collections

HOST_A = "@A"          # placeholder for the world's host address
DEFAULT_TTL = 60
TXT_TTL_SHORT = 1      # id-change: the TXT expires at once
PLAIN_TYPE = "text/plain"
POLICY_PATH = "/.well-known/mta-sts.txt"
MAX_POLICY = 65536     # RFC 8461 sec. 3.2 size cap implementations use

Behaviour = collections.namedtuple(
    "Behaviour", "kind body ctype status location untrusted interval")


def behave(kind="policy", body="", ctype=PLAIN_TYPE, status=200,
           location=None, untrusted=False, interval=1.0):
    return Behaviour(kind, body, ctype, status, location, untrusted,
                     interval)


Scenario = collections.namedtuple(
    "Scenario", "key domain records https expect expect_prefix "
                "expect_tlsrpt bogus note alt")


def policy(mode, *mx, max_age=86400, crlf=False, extra=()):
    lines = ["version: STSv1", "mode: " + mode]
    lines += ["mx: " + m for m in mx]
    lines += ["max_age: %d" % max_age]
    lines += list(extra)
    eol = "\r\n" if crlf else "\n"
    return eol.join(lines) + eol


def padded(text, size):
    """A policy padded with RFC 8461 extension lines to exactly size
    bytes: valid if the size cap is ignored, so a test can tell."""
    pad = size - len(text)
    out = [text]
    while pad > 0:
        line = "x-pad: " + "a" * max(1, min(pad - 8, 900)) + "\n"
        if len(line) > pad:
            line = "x-p: " + "a" * max(1, pad - 6) + "\n"
        if len(line) > pad:     # fewer than 7 bytes left: grow the last line
            out[-1] = out[-1][:-1] + "a" * pad + "\n"
            break
        out.append(line)
        pad -= len(line)
    body = "".join(out)
    assert len(body) == size, (len(body), size)
    return body


def secure(*patterns):
    """The Postfix `secure` answer for these policy mx patterns."""
    match = ":".join(p.lower()[1:] if p.startswith("*.") else p.lower()
                     for p in patterns)
    return "OK secure match=%s servername=hostname" % match


def txt(id_):
    return "v=STSv1; id=%s;" % id_


TLSA_HEX = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d8d6deb3c5d"


def _sts(key, label, pol_or_beh, expect, mx=None, txt_ttl=None,
         note="", alt=None, extra_hosts=None, expect_tlsrpt=None,
         expect_prefix=False):
    """An STS case under plain.: MX, _mta-sts TXT, mta-sts host."""
    d = label + ".plain"
    mxh = mx or ("mx." + d)
    t = (("_mta-sts." + d, "TXT", txt(1), txt_ttl) if txt_ttl
         else ("_mta-sts." + d, "TXT", txt(1)))
    beh = (pol_or_beh if isinstance(pol_or_beh, Behaviour)
           else behave(body=pol_or_beh))
    https = {"mta-sts." + d: beh}
    https.update(extra_hosts or {})
    recs = [(d, "MX", "10 %s." % mxh), (mxh, "A", HOST_A), t]
    return Scenario(key, d, recs, https, expect, expect_prefix,
                    expect_tlsrpt, None, note, alt)


def _dns(key, domain, records, expect, note, https=None, bogus=None,
         expect_prefix=False):
    return Scenario(key, domain, records, https or {}, expect,
                    expect_prefix, None, bogus, note, None)


def _one_mx(domain, usage="3"):
    """MX 10 mx.<domain>, its A, and a TLSA of this usage for it."""
    mx = "mx." + domain
    return [(domain, "MX", "10 %s." % mx), (mx, "A", HOST_A),
            ("_25._tcp." + mx, "TLSA", usage + " 1 1 " + TLSA_HEX)]


NOTFOUND = "NOTFOUND "
TEMP = "TEMP "

_ENFORCE = policy("enforce", "mx.sts.plain", "*.backup.sts.plain")

_LIST = [
    # ---- DANE, signed test. ----------------------------------------------
    _dns("dane", "dane.test",
         _one_mx("dane.test"),
         "OK dane-only", "secure MX, every MX has a usable TLSA"),
    _dns("dane_partial", "partial.test",
         [("partial.test", "MX", "10 mx1.partial.test."),
          ("partial.test", "MX", "20 mx2.partial.test."),
          ("mx1.partial.test", "A", HOST_A),
          ("mx2.partial.test", "A", HOST_A),
          ("_25._tcp.mx1.partial.test", "TLSA", "3 1 1 " + TLSA_HEX)],
         "OK dane", "two MX, only one with TLSA"),
    _dns("dane_unusable", "unusable.test",
         _one_mx("unusable.test", "1"),
         "OK dane", "TLSA present but only usage 1 (unusable for SMTP)"),
    _dns("dane_implicit", "implicit.test",
         [("implicit.test", "A", HOST_A),
          ("_25._tcp.implicit.test", "TLSA", "3 1 1 " + TLSA_HEX)],
         "OK dane-only", "no MX: the domain is its own MX (RFC 7672 2.2.2)"),
    _dns("both", "both.test",
         _one_mx("both.test") + [("_mta-sts.both.test", "TXT", txt(1))],
         "OK dane-only", "DANE and an enforce STS policy: DANE wins",
         https={"mta-sts.both.test":
                behave(body=policy("enforce", "mx.both.test"))}),
    _dns("dane_cname", "cname.test",
         [("cname.test", "MX", "10 alias.cname.test."),
          ("alias.cname.test", "CNAME", "mx.dane.test.")],
         "OK dane-only", "the MX host is a secure CNAME alias: its TLSA "
         "records are at the expanded name only (RFC 7672 2.2.3)"),
    _dns("nullmx", "nullmx.test", [("nullmx.test", "MX", "0 .")],
         NOTFOUND, "null MX (RFC 7505): no DANE, no STS"),
    _dns("bogus", "bogus.test",
         _one_mx("bogus.test") + [("_mta-sts.bogus.test", "TXT", txt(1))],
         TEMP, "TLSA rdata edited after signing (bogus): TEMP even though "
         "a valid enforce STS policy is published",
         https={"mta-sts.bogus.test":
                behave(body=policy("enforce", "mx.bogus.test"))},
         bogus=("_25._tcp.mx.bogus.test", "TLSA"), expect_prefix=True),
    _dns("absent_signed", "absent.test", [], NOTFOUND,
         "NXDOMAIN with a signed denial"),
    # ---- expired. (signatures from 2020) ----------------------------------
    _dns("expired", "dane.expired",
         _one_mx("dane.expired"),
         TEMP, "the whole zone's signatures expired in 2020: bogus",
         expect_prefix=True),
    # ---- unsigned plain. ----------------------------------------------------
    _dns("smart_mx", "smart.plain",
         [("smart.plain", "MX", "10 mx.dane.test.")],
         "OK dane", "insecure domain, MX in a signed zone with TLSA "
         "(RFC 7672 2.2.1)"),
    _dns("absent_plain", "absent.plain", [], NOTFOUND,
         "NXDOMAIN, insecure"),
    _sts("sts_enforce", "sts", _ENFORCE,
         secure("mx.sts.plain", "*.backup.sts.plain"),
         note="STS enforce",
         expect_tlsrpt="OK secure match=mx.sts.plain:.backup.sts.plain "
         "servername=hostname policy_type=sts policy_domain=sts.plain "
         "mx_host_pattern=mx.sts.plain "
         "mx_host_pattern=*.backup.sts.plain "
         "{ policy_string = version: STSv1 } "
         "{ policy_string = mode: enforce } "
         "{ policy_string = mx: mx.sts.plain } "
         "{ policy_string = mx: *.backup.sts.plain } "
         "{ policy_string = max_age: 86400 }"),
    _sts("sts_testing", "testing", policy("testing", "mx.testing.plain"),
         NOTFOUND, note="mode testing: no policy for Postfix"),
    _sts("sts_none", "none", policy("none"), NOTFOUND, note="mode none"),
    _sts("sts_charset", "charset",
         behave(body=policy("enforce", "mx.charset.plain"),
                ctype="text/plain; charset=utf-8"),
         secure("mx.charset.plain"),
         note="text/plain with a charset parameter is valid"),
    _sts("sts_html", "html",
         behave(body=policy("enforce", "mx.html.plain"), ctype="text/html"),
         NOTFOUND, note="wrong content type: no policy"),
    _sts("sts_big_length", "big-length",
         padded(policy("enforce", "mx.big-length.plain"), MAX_POLICY + 1),
         NOTFOUND, note="65537-byte body with Content-Length: no policy"),
    _sts("sts_big_chunked", "big-chunked",
         behave(kind="chunked",
                body=padded(policy("enforce", "mx.big-chunked.plain"),
                            MAX_POLICY + 4000)),
         NOTFOUND, note=">64 KiB chunked body without Content-Length"),
    _sts("sts_redirect", "redirect",
         behave(kind="redirect", status=301,
                location="https://mta-sts.redirect-target.plain"
                         + POLICY_PATH),
         NOTFOUND, note="301 to a host with a valid policy: not followed; "
         "assert requests('mta-sts.redirect-target.plain') == []",
         extra_hosts={"mta-sts.redirect-target.plain":
                      behave(body=policy("enforce", "mx.redirect.plain"))}),
    _sts("sts_404", "notfound", behave(kind="status", status=404),
         NOTFOUND, note="policy host answers 404"),
    _sts("sts_500", "error", behave(kind="status", status=500),
         NOTFOUND, note="policy host answers 500"),
    _sts("sts_ip_mx", "ipmx", policy("enforce", "127.0.0.1"), NOTFOUND,
         note="only mx is an IP literal: no valid policy"),
    _sts("sts_no_mx", "nomx", policy("enforce"), NOTFOUND,
         note="enforce policy without any mx: invalid"),
    _sts("sts_crlf", "crlf", policy("enforce", "mx.crlf.plain", crlf=True),
         secure("mx.crlf.plain"), note="CRLF line endings are valid"),
    _sts("sts_max_age", "maxage",
         policy("enforce", "mx.maxage.plain", max_age=2),
         secure("mx.maxage.plain"),
         note="max_age 2: secure until it expires, then (host 500) "
         "NOTFOUND"),
    _sts("sts_id_change", "idchange",
         policy("enforce", "mx.idchange.plain"),
         secure("mx.idchange.plain"), txt_ttl=TXT_TTL_SHORT,
         note="TXT (TTL 1 s) id 1 -> 2 and a new body: the new policy at "
         "once, without waiting for max_age",
         alt={"txt": txt(2),
              "policy": policy("enforce", "mx2.idchange.plain"),
              "expect": secure("mx2.idchange.plain")}),
    _sts("sts_bad_cert", "badcert",
         behave(body=policy("enforce", "mx.badcert.plain"), untrusted=True),
         NOTFOUND, note="policy host's certificate from an untrusted CA"),
    _sts("sts_slow", "slow",
         behave(kind="slow", body=policy("enforce", "mx.slow.plain"),
                interval=1.0),
         NOTFOUND, note="valid policy trickled one byte a second: past "
         "any fetch timeout"),
]

SCENARIOS = collections.OrderedDict((s.key, s) for s in _LIST)
assert len(SCENARIOS) == len(_LIST), "duplicate scenario key"

# key -> domain, for tests that only need the name
NAMES = {k: s.domain for k, s in SCENARIOS.items()}

ZONES = ("test", "expired", "plain")
SIGNED_ZONES = ("test", "expired")


def zone_of(name):
    z = name.rstrip(".").rsplit(".", 1)[-1]
    if z not in ZONES:
        raise ValueError("%s is under none of the world's zones %s"
                         % (name, ZONES))
    return z


def https_hosts():
    """{host: Behaviour} over every scenario."""
    out = {}
    for s in SCENARIOS.values():
        for h, b in s.https.items():
            assert h not in out, "host %s in two scenarios" % h
            out[h] = b
    return out


def answer_ok(scenario, answer):
    """Whether tlsmap's QUERY answer is the one the scenario expects."""
    if scenario.expect_prefix:
        return answer.startswith(scenario.expect)
    return answer == scenario.expect
