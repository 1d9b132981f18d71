#!/usr/bin/env python3
"""test_status - the admin status page (common/status.c), driven over HTTP.

Starts the real tests/status-testd (server skeleton + status page) with
-o status_listen=..., sends known traffic on its line protocol and checks
every endpoint: counters move by exactly the requests sent, /metrics is
valid Prometheus text exposition format 0.0.4 (tests/lib/promparse.py),
/status.json has the documented fields (doc/status.md), HTML and JSON
escape daemon text, basic auth, readiness, unix sockets, and a flood of
status requests does not stop the protocol socket from answering.
"""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request

from pfhtest import (Daemon, DaemonError, free_port, make_tmpdir, recv_until,
                     run_tests, skip, tcp_connect, wait_for)
# get: (status, headers, body bytes); get_authed waits out a 429 too
from pfhtest import http_request as get, http_request_patient as get_authed
from promparse import check_naming_scheme, mval, parse_exposition

PROG = "tests/status-testd"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def start(extra=None, status=None, **kw):
    """status-testd with a protocol port and a status endpoint."""
    port = free_port()
    sport = free_port() if status is None else None
    opts = [("listen", "inet:127.0.0.1:%d" % port),
            ("status_listen", status or "inet:127.0.0.1:%d" % sport)]
    opts += list(extra or [])
    d = Daemon(PROG, options=opts, **kw)
    d.start()
    d.port = port
    d.base = "http://127.0.0.1:%d" % sport if sport else None
    return d


class Client:
    """One connection on the line protocol."""

    def __init__(self, port):
        self.s = tcp_connect("127.0.0.1", port)
        self.buf = b""

    def ask(self, line):
        self.s.sendall(line.encode("utf-8", "surrogateescape") + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise AssertionError("connection closed after %r" % line)
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        return reply.decode()

    def close(self):
        self.s.close()


def get_json(d, auth=None):
    st, hdr, body = get(d.base + "/status.json", auth)
    assert st == 200, (st, body)
    assert hdr["Content-Type"].startswith("application/json"), hdr["Content-Type"]
    return json.loads(body.decode("utf-8"))


def get_metrics(d, auth=None):
    st, hdr, body = get(d.base + "/metrics", auth)
    assert st == 200, (st, body)
    assert hdr["Content-Type"].startswith("text/plain; version=0.0.4"), hdr["Content-Type"]
    return parse_exposition(body.decode("utf-8"))


def section(doc, sid):
    for s in doc["sections"]:
        if s["id"] == sid:
            return s
    raise AssertionError("no section %r in %r" % (sid, [s["id"] for s in doc["sections"]]))


def find(items, name, **labels):
    for it in items:
        if it["name"] == name and it["labels"] == labels:
            return it
    raise AssertionError("no %s%r in %r" % (name, labels, items))


def snapshot(d, auth=None):
    """Counters seen through all three renderings at once."""
    m = get_metrics(d, auth)
    j = get_json(d, auth)
    return m, j


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------

def test_parser_rejects_bad_exposition():
    """The strict parser must be able to fail, or it proves nothing."""
    bad = [
        "x_total 1\n",                                              # no TYPE
        "# HELP a h\n# TYPE a counter\na 1\n",                      # counter w/o _total
        "# HELP a h\n# TYPE a gauge\na{b=\"1} 1\n",                 # unterminated
        "# HELP a h\n# TYPE a gauge\n# TYPE a gauge\na 1\n",        # TYPE twice
        "# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n",
        "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
        "h_sum 1\nh_count 1\n",                                     # not cumulative
        "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
        "# HELP a h\n# TYPE a gauge\na one\n",                      # bad value
        "# HELP 1a h\n# TYPE 1a gauge\n1a 1\n",                     # bad name
    ]
    for text in bad:
        try:
            parse_exposition(text)
        except AssertionError:
            continue
        raise AssertionError("parser accepted %r" % text)
    parse_exposition("# HELP a_total h\n# TYPE a_total counter\na_total{x=\"q\\\"\"} 3\n")


def test_naming_scheme_check_rejects_drift():
    """check_naming_scheme (the daemons' tests hold their /metrics to it)
    must be able to fail on each kind of drift, or it proves nothing."""
    def fam(name, typ="gauge", labels=""):
        if typ == "histogram":
            return ("# HELP {n} h\n# TYPE {n} histogram\n"
                    "{n}_bucket{{le=\"+Inf\"}} 0\n{n}_sum 0\n{n}_count 0\n").format(n=name)
        return "# HELP %s h\n# TYPE %s %s\n%s%s 1\n" % (name, name, typ, name, labels)
    common = (fam("pfhelpers_up") + fam("pfhelpers_ready") +
              fam("pfhelpers_start_time_seconds") +
              fam("pfhelpers_connections", labels='{listener="unix:/x"}') +
              fam("pfhelpers_connections_total", "counter",
                  '{listener="unix:/x"}'))
    table = "".join(fam(n, t, '{source="m"}') for n, t in [
        ("pfhelpers_table_entries", "gauge"),
        ("pfhelpers_table_reloads_total", "counter"),
        ("pfhelpers_table_reload_failures_total", "counter"),
        ("pfhelpers_table_errors", "gauge")])
    good = common + table + fam("tlsmap_answers_total", "counter",
                                '{kind="policy",level="secure"}') + \
        fam("tlsmap_answer_seconds", "histogram")
    check_naming_scheme(parse_exposition(good), "tlsmap")
    bad = [good + extra for extra in [
        fam("saslauthd_lite_answers_total", "counter"),   # another's prefix
        fam("sasl_answers_total", "counter"),             # no scheme prefix
        fam("pfhelpers_tlsmap_answers_total", "counter"),  # its own as common
        fam("tlsmap_Sessions"),                           # not [a-z0-9_]
        fam("tlsmap_lookups_total"),                      # a gauge in _total
        fam("tlsmap_lookup_latency", "histogram"),        # not in _seconds
        fam("tlsmap_timeout_total", "counter") +
        fam("tlsmap_timeouts_total", "counter"),          # a plural apart
        fam("tlsmap_map_entries", labels='{map="m"}'),    # not a scheme label
    ]]
    bad.append(good.replace(fam("pfhelpers_up"), ""))     # a common one missing
    bad.append(common + fam("pfhelpers_table_errors", labels='{source="m"}'))
    for text in bad:                                      # ^ without the others
        try:
            check_naming_scheme(parse_exposition(text), "tlsmap")
        except AssertionError:
            continue
        raise AssertionError("scheme check accepted %r" % text)


def test_counters_move_by_exactly_the_requests_sent():
    d = start()
    m0, j0 = snapshot(d)
    c = Client(d.port)
    n_ping, n_fail, n_lat, n_bad = 7, 3, 2, 1
    for _ in range(n_ping):
        assert c.ask("ping") == "pong"
    for _ in range(n_fail):
        assert c.ask("fail") == "error"
    for _ in range(n_lat):
        assert c.ask("lat 1500") == "ok"
    for _ in range(n_bad):
        assert c.ask("bogus") == "unknown"
    m1, j1 = snapshot(d)

    fam = "status_testd_requests_total"
    assert m1[fam]["type"] == "counter"
    # one family although the daemon reported its two label sets apart
    assert len(m1[fam]["samples"]) == 2
    assert mval(m1, fam, result="ok") - mval(m0, fam, result="ok") == n_ping + n_lat
    assert mval(m1, fam, result="error") - mval(m0, fam, result="error") == n_fail
    pe = "status_testd_protocol_errors_total"
    assert mval(m1, pe) - mval(m0, pe) == n_bad

    h = "status_testd_request_duration_seconds"
    assert m1[h]["type"] == "histogram"
    cnt = mval(m1, h, h + "_count") - mval(m0, h, h + "_count")
    assert cnt == n_ping + n_lat, cnt
    # the two 1.5 ms requests land between le=0.001 and le=0.0025
    b = lambda m, le: mval(m, h, h + "_bucket", le=le)
    assert (b(m1, "0.0025") - b(m0, "0.0025")) - (b(m1, "0.001") - b(m0, "0.001")) == n_lat
    s = mval(m1, h, h + "_sum") - mval(m0, h, h + "_sum")
    assert 0.003 <= s < 0.003 + 0.5, s

    # the common metrics
    assert mval(m1, "pfhelpers_up") == 1
    assert mval(m1, "pfhelpers_ready") == 1
    st = mval(m1, "pfhelpers_start_time_seconds")
    assert abs(st - time.time()) < 120, st
    conns = mval(m1, "pfhelpers_connections", listener="inet:127.0.0.1:%d" % d.port)
    assert conns == 1, conns            # our client is still connected
    # the naming scheme the daemons' /metrics are held to, too
    check_naming_scheme(m1, "status-testd")

    # JSON: the same numbers, documented field names
    for k in ("program", "version", "pid", "now", "start_time", "uptime_seconds",
              "ready", "ready_reason", "listeners", "sections"):
        assert k in j1, k
    assert j1["program"] == "status-testd"
    assert j1["pid"] == d.pid
    assert j1["ready"] is True and j1["ready_reason"] is None
    assert j1["uptime_seconds"] >= 0
    assert j1["listeners"] == [{"endpoint": "inet:127.0.0.1:%d" % d.port, "connections": 1}]
    req0, req1 = section(j0, "requests"), section(j1, "requests")
    for k in ("id", "title", "facts", "counters", "gauges", "histograms", "recent", "tables"):
        assert k in req1, k
    assert req1["title"] == "Requests"
    assert int(req1["facts"]["answered"]) - int(req0["facts"]["answered"]) == n_ping + n_fail + n_lat
    c_ok = find(req1["counters"], fam, result="ok")["value"] - \
        find(req0["counters"], fam, result="ok")["value"]
    assert c_ok == n_ping + n_lat
    hist = find(req1["histograms"], h)
    for k in ("name", "help", "labels", "count", "sum_seconds", "p50_ms", "p90_ms", "p99_ms"):
        assert k in hist, k
    assert hist["count"] - find(req0["histograms"], h)["count"] == n_ping + n_lat
    assert hist["p50_ms"] <= hist["p90_ms"] <= hist["p99_ms"]
    assert 1.4 <= hist["p99_ms"] <= 1.8, hist          # the 1.5 ms requests
    g = find(req1["gauges"], "status_testd_open_connections")
    assert g["value"] == 1
    act = section(j1, "activity")
    tbl = act["tables"][0]
    assert tbl["id"] == "commands" and tbl["columns"] == ["command", "count"]
    rows = dict(tbl["rows"])
    assert int(rows["ping"]) == n_ping and int(rows["fail"]) == n_fail
    assert int(rows["unknown"]) == n_bad
    ev = act["recent"][0]
    assert ev["title"] == "Recent requests"
    assert ev["events"][0]["text"].startswith("lat 1500 us from 127.0.0.1:")
    assert abs(ev["events"][0]["time"] - time.time()) < 60
    assert len([e for e in ev["events"] if e["text"].startswith("fail from")]) == n_fail

    # HTML shows the same counters
    st_, hdr, body = get(d.base + "/")
    html = body.decode("utf-8")
    assert st_ == 200 and hdr["Content-Type"].startswith("text/html")
    assert '<meta http-equiv="refresh"' in html
    assert "<link" not in html and "<script" not in html and "src=" not in html
    mo = re.search(r'data-metric="status_testd_protocol_errors_total"[^>]*>'
                   r'<div class="v">([^<]*)</div>', html)
    assert mo and int(mo.group(1)) == mval(m1, pe), mo
    assert "Requests" in html and "Recent requests" in html
    assert "p50" in html and "p99" in html
    c.close()


def test_escaping_of_daemon_text():
    d = start()
    c = Client(d.port)
    evil = '<script>alert("x")</script> & \'q\' \\ \udcff end'
    assert c.ask("note " + evil) == "noted"
    st, _, body = get(d.base + "/")
    html = body.decode("utf-8")         # must be valid UTF-8
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;" in html
    assert "\ufffd end" in html
    j = get_json(d)
    assert section(j, "requests")["facts"]["last note"] == \
        '<script>alert("x")</script> & \'q\' \\ \ufffd end'
    ev = section(j, "activity")["recent"][0]["events"][0]["text"]
    assert ev.startswith("<script>") and ev.endswith("\ufffd end")
    get_metrics(d)                      # still valid
    c.close()


def test_methods_paths_head():
    d = start()
    st, hdr, _ = get(d.base + "/", method="POST")
    assert st == 405 and "GET" in hdr["Allow"]
    st, _, _ = get(d.base + "/metrics", method="DELETE")
    assert st == 405
    for p in ("/nope", "/status", "/metrics/x", "/../etc/passwd"):
        st, _, _ = get(d.base + p)
        assert st == 404, (p, st)
    st, hdr, body = get(d.base + "/status.json", method="HEAD")
    assert st == 200 and body == b""
    st, hdr, body = get(d.base + "/healthz")
    assert st == 200 and body == b"ok\n"
    assert hdr["Cache-Control"] == "no-store"
    assert "default-src 'none'" in hdr["Content-Security-Policy"]


def test_readyz_follows_status_ready():
    d = start()
    c = Client(d.port)
    st, _, body = get(d.base + "/readyz")
    assert st == 200 and body == b"ready\n"
    assert c.ask("unready") == "ok"
    st, _, body = get(d.base + "/readyz")
    assert st == 503 and body == b"not ready: told to be unready\n", (st, body)
    assert mval(get_metrics(d), "pfhelpers_ready") == 0
    j = get_json(d)
    assert j["ready"] is False and j["ready_reason"] == "told to be unready"
    st, _, body = get(d.base + "/")
    assert b"not ready: told to be unready" in body
    st, _, _ = get(d.base + "/healthz")
    assert st == 200
    assert c.ask("ready") == "ok"
    st, _, _ = get(d.base + "/readyz")
    assert st == 200
    c.close()


def make_hash(password):
    """A crypt hash the way an admin makes one (yescrypt, else SHA-512)."""
    mk = shutil.which("mkpasswd")
    if mk:
        r = subprocess.run([mk, "-m", "yescrypt", "--stdin"], input=password + "\n",
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.startswith("$"):
            return r.stdout.strip()
    ossl = shutil.which("openssl")
    if ossl:
        r = subprocess.run([ossl, "passwd", "-6", "-stdin"], input=password + "\n",
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.startswith("$6$"):
            return r.stdout.strip()
    skip("neither mkpasswd nor openssl to make a crypt hash")


def test_basic_auth():
    password = "S3cret-status-pw!"
    h = make_hash(password)
    tmp = make_tmpdir()
    authf = os.path.join(tmp, "status.users")
    with open(authf, "w") as f:
        f.write("# admins\n\nadmin:%s\n" % h)
    os.chmod(authf, 0o600)
    d = start(extra=[("status_auth_file", authf)])
    c = Client(d.port)
    assert c.ask("ping") == "pong"
    good = ("admin", password)
    for p in ("/", "/status.json", "/metrics", "/readyz"):
        st, hdr, _ = get(d.base + p)
        assert st == 401, (p, st)
        assert hdr["WWW-Authenticate"].startswith("Basic realm="), hdr["WWW-Authenticate"]
        st, _, _ = get_authed(d.base + p, auth=("admin", "wrong"))
        assert st == 401, (p, st)
        st, _, _ = get_authed(d.base + p, auth=("nobody", password))
        assert st == 401, (p, st)
        st, _, _ = get_authed(d.base + p, auth=("admin", password + "x"))
        assert st == 401, (p, st)
    # /healthz stays open for load balancers
    st, _, body = get(d.base + "/healthz")
    assert st == 200 and body == b"ok\n"
    outputs = []
    for p in ("/", "/status.json", "/metrics", "/readyz"):
        st, _, body = get_authed(d.base + p, auth=good)
        assert st == 200, (p, st)
        outputs.append(body)
    # a guessing flood hits the crypt budget (429), but a credential that
    # was verified is served from the cache meanwhile, and wrong stays wrong
    codes = [get(d.base + "/metrics", auth=("admin", "guess%d" % i))[0]
             for i in range(30)]
    assert set(codes) <= {401, 429} and 429 in codes, codes
    st, _, _ = get(d.base + "/metrics", auth=good)
    assert st == 200
    st, _, _ = get_authed(d.base + "/metrics", auth=("admin", "wrong"))
    assert st == 401
    fams = parse_exposition(outputs[2].decode())
    assert mval(fams, "status_testd_requests_total", result="ok") == 1
    d.stop()
    everything = b"".join(outputs) + d.log().encode()
    assert password.encode() not in everything
    assert h.encode() not in everything
    assert h.split("$")[-1].encode() not in everything
    assert b"authentication failed" in d.log().encode()
    c.close()


def test_auth_file_problems_are_clear():
    tmp = make_tmpdir()
    missing = os.path.join(tmp, "nope")
    d = Daemon(PROG, options=[("listen", "inet:127.0.0.1:%d" % free_port()),
                              ("status_listen", "inet:127.0.0.1:%d" % free_port()),
                              ("status_auth_file", missing)], wait_ready=False)
    d.start()
    assert d.proc.wait(10) != 0
    assert "status_auth_file %s" % missing in d.log(), d.log()
    bad = os.path.join(tmp, "bad")
    with open(bad, "w") as f:
        f.write("admin:Pl4in-St4tus-Pw\n")
    d = Daemon(PROG, options=[("listen", "inet:127.0.0.1:%d" % free_port()),
                              ("status_listen", "inet:127.0.0.1:%d" % free_port()),
                              ("status_auth_file", bad)], wait_ready=False)
    d.start()
    assert d.proc.wait(10) != 0
    assert "not a modern crypt hash" in d.log(), d.log()
    assert "Pl4in" not in d.log() and "St4tus" not in d.log(), d.log()


def get_raw_auth(url, user, password):
    """get() with a Basic-auth user of arbitrary bytes; waits out 429."""
    tok = base64.b64encode(user + b":" + password).decode()
    for _ in range(20):
        req = urllib.request.Request(url)
        req.add_header("Authorization", "Basic " + tok)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            if e.code != 429:
                return e.code
        time.sleep(1.1)
    raise AssertionError("still 429 after 20 tries: %s" % url)


# Every way a user name could end a log line, move the cursor or stop the
# line from being UTF-8 (common/log.c sanitizes every line).
# (Basic auth ends the user at the first ":".)
FORGING_NAMES = [
    b"admin\nstatus-testd[1] forged line",
    b"admin\r\nstatus-testd[1] forged crlf line",
    b"evil\rforged cr",
    b"\x1b[2J\x1b[1;31mforged esc\x1b[0m\x7f",
    b"nel\xc2\x85forged nel line",              # U+0085, a C1 control
    b"csi\xc2\x9b2Jforged csi",                 # U+009B
    b"ls\xe2\x80\xa8forged ls line",            # U+2028
    b"bidi\xe2\x80\xaeforged rlo",              # U+202E
    b"raw\x85\x9b\xff\xfe\xc0\xafforged bytes", # not UTF-8 at all
    b"tab\tvt\x0bff\x0cfs\x1cforged seps",
    b"x" * 10000,
]


def test_auth_user_name_cannot_forge_log_lines():
    h = make_hash("S3cret-status-pw!")
    tmp = make_tmpdir()
    authf = os.path.join(tmp, "status.users")
    with open(authf, "w") as f:
        f.write("admin:%s\n" % h)
    os.chmod(authf, 0o600)
    d = start(extra=[("status_auth_file", authf)])
    mark = d.log_mark()
    for k, name in enumerate(FORGING_NAMES):
        assert get_raw_auth(d.base + "/status.json", name, b"wrong") == 401, name
        wait_for(lambda: d.log(mark).count("authentication failed") >= k + 1,
                 what="the auth failure of name %d logged" % k)
    d.stop()
    with open(d.stderr_path, "rb") as f:
        f.seek(mark)
        raw = f.read()
    text = raw.decode("utf-8")              # strict: every line is UTF-8
    lines = text.split("\n")
    assert lines[-1] == "", repr(text[-200:])
    lines = lines[:-1]
    # no other line ends, terminal controls or line/bidi separators at all
    bad = [c for c in text if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                             or c in "\u2028\u2029\u202a\u202b"
                                             "\u202c\u202d\u202e")]
    assert not bad, (bad[:10], text)
    assert text.splitlines() == lines, text
    prefix = re.compile(r"^status-testd\[\d+\]: ")
    for ln in lines:
        assert prefix.match(ln), ("a line not from the daemon", ln)
        assert "forged" not in ln or "authentication failed for user" in ln, ln
    fails = [ln for ln in lines if "authentication failed" in ln]
    assert len(fails) == len(FORGING_NAMES), fails
    # each event is exactly one line, in order, with the escapes visible
    assert r'user "admin\nstatus-testd[1] forged line"' in fails[0], fails[0]
    assert r'"admin\r\nstatus-testd[1] forged crlf line"' in fails[1], fails[1]
    assert r'\x1b[2J\x1b[1;31mforged esc\x1b[0m\x7f"' in fails[3], fails[3]
    assert r"nel\u0085forged" in fails[4], fails[4]
    assert r"ls\u2028forged" in fails[6], fails[6]
    assert r"raw\x85\x9b\xff\xfe\xc0\xafforged" in fails[8], fails[8]
    # a 10 kB name is a short line with a visible cut
    assert len(fails[10]) < 200, len(fails[10])
    assert fails[10].endswith('user "' + "x" * 64 + '...(truncated)"'), fails[10]


STATUS_MAX_BODY = 4 * 1024 * 1024          # common/status.c, doc/pfhelpers-status.5


def json_or_error(d):
    """/status.json as (doc or None for the size-cap error, body length).
    Whatever the status, the body must parse: a 200 is the whole document,
    anything else the short error object."""
    st, hdr, body = get(d.base + "/status.json")
    assert hdr["Content-Type"].startswith("application/json"), (st, hdr["Content-Type"])
    try:
        doc = json.loads(body.decode("utf-8"))
    except ValueError as e:
        raise AssertionError("%d with broken JSON (%d bytes, ends %r): %s"
                             % (st, len(body), body[-80:], e)) from None
    if st == 200:
        assert doc["program"] == "status-testd" and doc["sections"][-1]["id"] == "bulk"
        return doc, len(body)
    assert st == 500, st
    assert doc == {"error": "status data too large",
                   "limit_bytes": STATUS_MAX_BODY}, doc
    return None, len(body)


def test_status_over_the_size_cap_is_an_error_never_a_cut_200():
    d = start()
    c = Client(d.port)
    # bulk gauges whose names are one JSON byte per character: measure
    # once, then aim a little under the cap ...
    n = 500
    assert c.ask("bulk %d 1000" % n) == "ok"
    doc, size = json_or_error(d)
    assert doc is not None, size
    name_len = 1000 + (STATUS_MAX_BODY - 300 - size) // n
    assert c.ask("bulk %d %d" % (n, name_len)) == "ok"
    doc, base = json_or_error(d)
    assert doc is not None and STATUS_MAX_BODY - 900 < base <= STATUS_MAX_BODY - 300, base
    # ... and walk the body across the cap a byte at a time with the pad
    # fact (K bytes of pad add K + 8 of JSON): every size near the cap is
    # a whole document or the error, never a 200 cut short
    edge = STATUS_MAX_BODY - base - 8
    seen = set()
    for k in range(max(1, edge - 70), min(1023, edge + 70)):
        assert c.ask("pad %d" % k) == "ok"
        doc, length = json_or_error(d)
        seen.add(doc is not None)
        if doc is not None:
            assert length <= STATUS_MAX_BODY
            assert section(doc, "bulk")["facts"]["pad"] == "p" * k
    assert seen == {True, False}, "the walk never crossed the cap"
    # far over the cap: every format answers 500 with a short valid body
    assert c.ask("bulk 4000 2000") == "ok"
    assert json_or_error(d)[0] is None
    st, hdr, body = get(d.base + "/metrics")
    assert (st, body) == (500, b"status data too large\n"), (st, body[:200])
    assert hdr["Content-Type"].startswith("text/plain"), hdr["Content-Type"]
    st, hdr, body = get(d.base + "/")
    assert st == 500 and hdr["Content-Type"].startswith("text/html"), st
    html = body.decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n"), html
    assert "<h1>Status data too large</h1>" in html and len(body) < 1024, html
    d.wait_log(r"warning: status page: response for /status\.json over 4194304 "
               r"bytes; answered 500")
    d.wait_log(r"response for /metrics over 4194304 bytes; answered 500")
    # and back under it, the page is whole again
    assert c.ask("bulk 0 0") == "ok" and c.ask("pad 0") == "ok"
    get_metrics(d)
    assert get(d.base + "/")[0] == 200
    j = get_json(d)
    assert [s["id"] for s in j["sections"]][-1] != "bulk"
    c.close()


def test_bad_status_listen_is_fatal():
    d = Daemon(PROG, options=[("listen", "inet:127.0.0.1:%d" % free_port()),
                              ("status_listen", "inet:127.0.0.1:99999")], wait_ready=False)
    d.start()
    assert d.proc.wait(10) == 69            # EX_UNAVAILABLE
    assert "status page inet:127.0.0.1:99999" in d.log(), d.log()


def test_non_loopback_warns():
    d = start(status="inet:0.0.0.0:%d" % free_port())
    d.wait_log(r"warning: status page on non-loopback address inet:0\.0\.0\.0:\d+ "
               r"without status_auth_file")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        http.client.HTTPConnection.__init__(self, "localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def test_unix_socket_listener():
    tmp = make_tmpdir()
    path = os.path.join(tmp, "status.sock")
    d = start(status="unix:" + path)
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) & 0o007 == 0, oct(st.st_mode)
    conn = UnixHTTPConnection(path)
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    assert r.status == 200
    fams = parse_exposition(r.read().decode())
    assert mval(fams, "pfhelpers_up") == 1
    conn.close()
    assert d.stop() == 0
    assert not os.path.exists(path), "unix socket left behind"


def test_status_flood_does_not_stop_the_protocol_socket():
    d = start()
    c = Client(d.port)
    n_status = 200
    results = []
    lock = threading.Lock()
    pages = ["/", "/status.json", "/metrics", "/readyz"]

    def worker(k):
        for i in range(k, n_status, 16):
            try:
                st, _, _ = get(d.base + pages[i % len(pages)], timeout=20)
            except Exception as e:      # noqa: BLE001 - recorded and asserted below
                st = repr(e)
            with lock:
                results.append(st)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    pings = 0
    slowest = 0.0
    while any(t.is_alive() for t in threads):
        t0 = time.monotonic()
        assert c.ask("ping") == "pong"
        slowest = max(slowest, time.monotonic() - t0)
        pings += 1
    for t in threads:
        t.join()
    assert len(results) == n_status
    assert all(r == 200 for r in results), [r for r in results if r != 200][:5]
    assert pings > 0
    assert slowest < 1.0, "a ping took %.3fs during the status flood" % slowest
    m = get_metrics(d)
    assert mval(m, "status_testd_requests_total", result="ok") == pings
    c.close()


def test_idle_http_connections_make_room_and_time_out():
    """Idle clients cannot hold the page hostage (issue #12): with 40 idle
    connections (the cap is 32) /healthz still answers at once, the oldest
    idle ones having been closed to make room, and the rest are closed
    once they have gone 5 s without sending a request head."""
    d = start()
    host, port = d.base[len("http://"):].split(":")
    idle = []
    for _ in range(40):
        s = socket.create_connection((host, int(port)), timeout=5)
        idle.append(s)
    time.sleep(0.3)
    for _ in range(3):
        assert get(d.base + "/healthz", timeout=5)[0] == 200
    # the protocol socket is unaffected
    c = Client(d.port)
    assert c.ask("ping") == "pong"
    # every idle connection is closed by the request deadline (5 s)
    t0 = time.monotonic()
    for s in idle:
        s.settimeout(max(0.1, t0 + 20 - time.monotonic()))
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass
    assert time.monotonic() - t0 < 20
    assert get(d.base + "/healthz", timeout=5)[0] == 200
    for s in idle:
        s.close()
    c.close()


if __name__ == "__main__":
    run_tests()
