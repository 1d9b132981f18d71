#!/usr/bin/env python3
"""test_saslauthd_status - saslauthd-lite's status page, over HTTP.

Starts the real daemon (tests/proto/test_saslauthd.py's Sasl helper: own
config, pwfile, DIR/mux), sends known traffic over the mux socket - OKs,
cached OKs, a wrong password, unknown users, a throttled login - and
checks what each endpoint says about it:

  * /metrics parses strictly (tests/lib/promparse.py) and every counter
    moved by exactly the requests sent; label values are fixed sets (no
    user, no address);
  * /status.json has the same numbers, the backend's latency and
    failures, the cache size and hit ratio, the throttled logins, the top
    failing users and clients, and the recent decisions (user, service,
    client, result);
  * / shows them to a person;
  * no password - not the users', not the status page's own - appears in
    any endpoint's output or in the log;
  * status_listen works from the config file and from -o (which wins),
    and the page is off without it.
"""

import json
import os
import re
import socket
import time

from pfhtest import (BUILDDIR, free_port, http_text, run_tests, skip,
                     wait_for)
from promparse import check_naming_scheme, mval, parse_exposition
from test_saslauthd import PAMDIR, PROG, Sasl, mkhash, write_pam

# Distinctive passwords: none of them may show up anywhere but on the wire.
ALICE_PW = "Zq9-Alice-Status-Pw"
WRONG_PW = "Wr0ng-Guess-7731"
MALLORY_PW1 = "M4llory-Try-Nr1"
MALLORY_PW2 = "M4llory-Try-Nr2"
CAROL_PW = "C4rol-Pam-Path-Pw"
PASSWORDS = (ALICE_PW, WRONG_PW, MALLORY_PW1, MALLORY_PW2, CAROL_PW)

CLIENT_OK = "192.0.2.10"
CLIENT_BAD = "192.0.2.66"


def start(params=None, status_opt=True, conf_extra="", run=True, args=()):
    """The daemon, its status page given by -o status_listen (or not);
    conf_extra is appended to the config file ("@DIR@" = its temp dir)."""
    port = free_port()
    args = list(args)
    if status_opt:
        args += ["-o", "status_listen=inet:127.0.0.1:%d" % port]
    s = Sasl(params=params, args=args, start=False, pwfile=[
        ("alice", mkhash(ALICE_PW)), ("carol@example.org", mkhash("carol-x"))])
    if conf_extra:
        with open(s.conf, "a") as f:
            f.write(conf_extra.replace("@DIR@", s.dir))
    s.base = "http://127.0.0.1:%d" % port
    if run:
        s.d.start()
    return s


def snapshot(s):
    st, text = http_text(s.base + "/metrics")
    assert st == 200, (st, text)
    fams = parse_exposition(text)
    st, body = http_text(s.base + "/status.json")
    assert st == 200, (st, body)
    return fams, json.loads(body), text


def section(doc, sid):
    for sec in doc["sections"]:
        if sec["id"] == sid:
            return sec
    raise AssertionError("no section %r in %r"
                         % (sid, [x["id"] for x in doc["sections"]]))


def jcounter(doc, name, **labels):
    for sec in doc["sections"]:
        for c in sec["counters"]:
            if c["name"] == name and c["labels"] == labels:
                return c["value"]
    raise AssertionError("no counter %s%r" % (name, labels))


def jgauge(doc, name, **labels):
    for sec in doc["sections"]:
        for g in sec["gauges"]:
            if g["name"] == name and g["labels"] == labels:
                return g["value"]
    raise AssertionError("no gauge %s%r" % (name, labels))


def table(sec, tid):
    for t in sec["tables"]:
        if t["id"] == tid:
            return t
    raise AssertionError("no table %r in section %r" % (tid, sec["id"]))


def tile(html, metric, labels=""):
    """The value a tile shows for metric (with these label chips)."""
    m = re.search(r'data-metric="%s"[^>]*><div class="v">([^<]*)</div>'
                  r'<div class="l">[^<]*(?:<br>)?%s</div>'
                  % (re.escape(metric), re.escape(labels)), html)
    assert m, "no tile %s %s" % (metric, labels)
    return int(m.group(1).replace("\u2009", ""))


def traffic(s):
    """The known traffic; returns how long the throttled request took."""
    ok = CLIENT_OK + ";40001"
    bad = CLIENT_BAD + ";40002"
    assert s.auth("alice", ALICE_PW, client=ok) == "OK"             # backend
    assert s.auth("alice", ALICE_PW, client=ok) == "OK"             # cached
    assert s.auth("alice", ALICE_PW, client=ok) == "OK"             # cached
    assert s.auth("alice", WRONG_PW, service="imap", client=bad) == \
        "NO authentication failed"                                  # wrong pw
    assert s.auth("mallory", MALLORY_PW1, client=bad) == \
        "NO authentication failed"                                  # unknown
    # CLIENT_BAD has 2 failures = throttle_after: this one waits first
    r, dt = s.timed("mallory", MALLORY_PW2, client=bad)
    assert r == "NO authentication failed"
    return dt


THROTTLE = {"cache": "yes", "throttle": "yes", "throttle_after": "2",
            "throttle_delay": "150ms", "throttle_max_delay": "1s"}


# -------------------------------------------------------------------------

def test_counters_move_by_exactly_the_traffic():
    s = start(THROTTLE)
    m0, j0, _ = snapshot(s)
    dt = traffic(s)
    assert dt >= 0.15, "the throttled login was not delayed (%.3fs)" % dt
    m1, j1, text = snapshot(s)

    def delta(fam, sample=None, **labels):
        return mval(m1, fam, sample, **labels) - mval(m0, fam, sample, **labels)

    P = "saslauthd_lite_"
    expect = [
        ((P + "requests_total",), 6),
        ((P + "answers_total",), dict(result="ok"), 3),
        ((P + "answers_total",), dict(result="no"), 3),
        ((P + "tempfail_total",), 0),
        ((P + "cached_total",), dict(result="ok"), 2),
        ((P + "cached_total",), dict(result="no"), 0),
        ((P + "throttled_total",), 1),
        ((P + "backend_calls_total",), dict(backend="pwfile"), 4),
        ((P + "backend_answers_total",), dict(backend="pwfile", result="ok"), 1),
        ((P + "backend_answers_total",), dict(backend="pwfile", result="no"), 3),
        ((P + "backend_answers_total",), dict(backend="pwfile", result="tempfail"), 0),
        ((P + "backend_timeouts_total",), dict(backend="pwfile"), 0),
        ((P + "cache_lookups_total",), dict(result="hit"), 2),
        ((P + "cache_lookups_total",), dict(result="miss"), 4),
    ]
    for e in expect:
        fam, labels, want = (e[0][0], e[1], e[2]) if len(e) == 3 else \
            (e[0][0], {}, e[1])
        got = delta(fam, **labels)
        assert got == want, "%s%r moved by %r, not %r" % (fam, labels, got, want)
        # the JSON says the same
        assert jcounter(j1, fam, **labels) - jcounter(j0, fam, **labels) == want
    for why in ("oversize", "bad_request", "empty_field", "queue_full"):
        assert delta(P + "refused_total", reason=why) == 0

    # latency: one decision each, one backend call each (not the cached)
    h = P + "answer_seconds"
    assert m1[h]["type"] == "histogram"
    assert delta(h, h + "_count") == 6
    # the throttled request waited 150 ms before it was decided
    assert delta(h, h + "_bucket", le="0.1") == 5, "only the throttled one is slow"
    hb = P + "backend_seconds"
    assert delta(hb, hb + "_count", backend="pwfile") == 4

    # gauges: the cache holds alice's OK only (no negative caching by
    # default); mallory (2 failures) and CLIENT_BAD (3) wait now, alice
    # (1 failure after her OKs) does not
    assert mval(m1, P + "cache_entries") == 1
    assert mval(m1, P + "cache_max_entries") == 10000
    assert mval(m1, P + "throttled_logins") == 1
    assert mval(m1, P + "throttled_clients") == 1
    assert mval(m1, "pfhelpers_table_entries", source="pwfile") == 2
    assert mval(m1, "pfhelpers_ready") == 1

    # fixed label sets: no user or address in /metrics at all
    for word in ("alice", "mallory", CLIENT_OK, CLIENT_BAD):
        assert word not in text, "%s in /metrics" % word
    for fam in m1.values():
        for _, labels, _ in fam["samples"]:
            assert set(labels) <= {"result", "reason", "backend", "le",
                                   "listener", "source", "kind"}, labels
            # source is the table file's fixed name (pfhelpers_table_*)
            assert labels.get("source", "pwfile") == "pwfile", labels
            # kind is the socket's protocol (protocol_requests_total)
            assert labels.get("kind", "mux") in ("mux", "dovecot"), labels
    # the one naming scheme of the suite (promparse, pfhelpers-status(5))
    check_naming_scheme(m1, "saslauthd-lite")

    # JSON: backend latency and failures, cache, throttle, tops, recent
    be = section(j1, "backend_pwfile")
    assert be["title"] == "Backend 1: pwfile"
    bh = be["histograms"][0]
    assert bh["name"] == hb and bh["labels"] == {"backend": "pwfile"}
    assert bh["count"] == 4 and 0 < bh["p50_ms"] <= bh["p90_ms"] <= bh["p99_ms"]
    cache = section(j1, "cache")
    assert cache["facts"]["enabled"] == "yes"
    assert cache["facts"]["hit_ratio"] == "0.333", cache["facts"]
    th = section(j1, "throttle")
    assert th["facts"]["enabled"] == "yes"
    users = table(th, "top_users")
    assert users["columns"] == ["key", "failures", "delay_ms"]
    assert users["rows"] == [["mallory", "2", "150"], ["alice", "1", "0"]], users
    clients = table(th, "top_clients")
    assert clients["rows"] == [[CLIENT_BAD, "3", "300"]], clients
    pw = section(j1, "pwfile")
    assert pw["facts"]["entries"] == "2"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\Z", pw["facts"]["loaded_at"])
    rec = section(j1, "recent")["recent"][0]
    assert rec["title"] == "Recent decisions"
    texts = [e["text"] for e in rec["events"]]
    assert len(texts) == 6, texts
    want = [("NO", "mallory", "smtp", CLIENT_BAD),
            ("NO", "mallory", "smtp", CLIENT_BAD),
            ("NO", "alice", "imap", CLIENT_BAD),
            ("OK", "alice", "smtp", CLIENT_OK),
            ("OK", "alice", "smtp", CLIENT_OK),
            ("OK", "alice", "smtp", CLIENT_OK)]
    for t, (res, user, svc, cl) in zip(texts, want):     # newest first
        assert t.startswith("%s user=%s service=%s client=%s " % (res, user, svc, cl)), t
    assert " cached " in texts[3] and " cached " not in texts[5]
    assert texts[0].endswith("unknown user") and texts[2].endswith("wrong password")
    for e in rec["events"]:
        assert abs(e["time"] - time.time()) < 60

    # the page shows it to a person
    st, html = http_text(s.base + "/")
    assert st == 200
    assert tile(html, P + "throttled_total") == mval(m1, P + "throttled_total")
    assert tile(html, P + "throttled_logins") == 1
    assert tile(html, P + "backend_answers_total",
                '<span class="lb">backend: pwfile</span>'
                '<span class="lb">result: no</span>') == \
        mval(m1, P + "backend_answers_total", backend="pwfile", result="no")
    assert tile(html, P + "cache_entries") == 1
    assert '<td class="k">hit ratio</td><td>0.333</td>' in html
    card = html[html.index('id="s-backend_pwfile"'):]
    card = card[:card.index("</section>")]
    assert "Latency (ms)" in card and "backend call time" in card
    assert re.search(r'<table class="data" id="t-top_users"><tr>.*'
                     r'<td>mallory</td><td>2</td><td>150</td>', html)
    assert re.search(r'<table class="data" id="t-top_clients"><tr>.*'
                     r'<td>%s</td><td>3</td><td>300</td>' % re.escape(CLIENT_BAD), html)
    assert "NO user=mallory service=smtp client=%s" % CLIENT_BAD in html


def test_no_password_in_any_output():
    """Every endpoint and the log, after traffic that carried passwords;
    also the status page's own credential and the pwfile's hashes."""
    admin_pw = "St4tus-Admin-Pw-Q"
    admin_hash = mkhash(admin_pw)
    port = free_port()
    # status_listen from the config file this time, with basic auth
    s = start(THROTTLE, status_opt=False, run=False, conf_extra=(
        "status_listen = inet:127.0.0.1:%d\n"
        "status_auth_file = @DIR@/status.users\n" % port))
    authf = os.path.join(s.dir, "status.users")
    with open(authf, "w") as f:
        f.write("admin:%s\n" % admin_hash)
    os.chmod(authf, 0o600)
    s.d.start()
    s.base = "http://127.0.0.1:%d" % port
    good = ("admin", admin_pw)

    for p in ("/", "/status.json", "/metrics", "/readyz"):
        assert http_text(s.base + p)[0] == 401, p
        assert http_text(s.base + p, auth=("admin", ALICE_PW))[0] == 401, p
    traffic(s)
    # and a few more shapes: empty fields, a realm, an oversize password
    assert s.auth("alice", "") == "NO NULL password received"
    assert s.auth("alice", ALICE_PW, realm="example.org") == "NO authentication failed"
    outputs = []
    for p in ("/", "/status.json", "/metrics", "/readyz", "/healthz"):
        st, body = http_text(s.base + p, auth=good)
        assert st == 200, (p, st)
        outputs.append(body)
    assert "mallory" in outputs[1]          # the traffic is there...
    s.d.stop()
    everything = "\n".join(outputs) + s.log()
    assert "result=NO user=mallory" in everything
    for pw in PASSWORDS + (admin_pw,):      # ...the passwords are not
        assert pw not in everything, "password %r leaked" % pw
    with open(s.pwfile) as f:
        hashes = [line.split(":", 1)[1].strip() for line in f if ":" in line]
    for h in hashes + [admin_hash]:
        assert h not in everything and h.split("$")[-1] not in everything
    # no cache key or digest either: nothing that looks like one
    assert not re.search(r"[0-9a-fA-F]{32}", everything), \
        re.search(r"[0-9a-fA-F]{32}", everything).group(0)
    assert not re.search(r"[A-Za-z0-9+/]{40,}", everything)


def test_pam_chain_backends_counted_apart():
    """Two backends: unknown in the pwfile goes on to PAM; each backend has
    its own card with its calls, failures and latency."""
    if not os.path.exists(os.path.join(PAMDIR, "pam_deny.so")):
        skip("pam_deny.so not found in %s" % PAMDIR)
    s = start({"cache": "no", "throttle": "no"}, run=False,
              conf_extra="mechanisms = pwfile, pam\npam_confdir = @DIR@/pam.d\n"
              "pam_services = smtp, imap\n")
    write_pam(os.path.join(s.dir, "pam.d"), {
        "smtp": "auth required pam_deny.so\naccount required pam_permit.so\n",
        "imap": "auth required pam_permit.so\naccount required pam_permit.so\n"})
    s.d.start()
    m0, _, _ = snapshot(s)
    assert s.auth("alice", ALICE_PW) == "OK"                        # pwfile
    assert s.auth("alice", WRONG_PW) == "NO authentication failed"  # pwfile: final
    assert s.auth("carol", CAROL_PW) == "NO authentication failed"  # pwfile, pam
    assert s.auth("carol", CAROL_PW, service="imap") == "OK"        # pwfile, pam
    m1, j1, _ = snapshot(s)

    def delta(fam, **labels):
        return mval(m1, fam, **labels) - mval(m0, fam, **labels)

    P = "saslauthd_lite_backend_"
    assert delta(P + "calls_total", backend="pwfile") == 4
    assert delta(P + "answers_total", backend="pwfile", result="ok") == 1
    assert delta(P + "answers_total", backend="pwfile", result="no") == 3
    assert delta(P + "calls_total", backend="pam") == 2
    assert delta(P + "answers_total", backend="pam", result="ok") == 1
    assert delta(P + "answers_total", backend="pam", result="no") == 1
    check_naming_scheme(m1, "saslauthd-lite")     # with the pam backend's
    h = P + "seconds"
    assert delta(h, sample=h + "_count", backend="pam") == 2
    assert section(j1, "backend_pwfile")["title"] == "Backend 1: pwfile"
    assert section(j1, "backend_pam")["title"] == "Backend 2: pam"
    assert section(j1, "auth")["facts"]["mechanisms"] == "pwfile, pam"
    assert CAROL_PW not in s.log()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def test_status_listen_from_config_file_and_o():
    """status_listen in the config file works; -o status_listen wins over
    it (like every -o); without it there is no page."""
    s = start(status_opt=False)
    assert "status page" not in s.log()         # off by default
    p_conf, p_opt = free_port(), free_port()
    conf = "status_listen = inet:127.0.0.1:%d\n" % p_conf
    s = start(status_opt=False, conf_extra=conf)
    assert "status page on inet:127.0.0.1:%d" % p_conf in s.log()
    st, body = http_text("http://127.0.0.1:%d/status.json" % p_conf)
    assert st == 200 and json.loads(body)["program"] == "saslauthd-lite"
    assert http_text("http://127.0.0.1:%d/readyz" % p_conf) == (200, "ready\n")
    s.d.stop()
    # the same config line, and -o on the command line (with a Cyrus flag)
    s = start(status_opt=False, conf_extra=conf, args=[
        "-c", "-o", "status_listen=inet:127.0.0.1:%d" % p_opt])
    assert "status page on inet:127.0.0.1:%d" % p_opt in s.log()
    st, body = http_text("http://127.0.0.1:%d/status.json" % p_opt)
    assert st == 200
    assert section(json.loads(body), "cache")["facts"]["enabled"] == "yes"  # -c too
    assert not port_open(p_conf), "the config file's status_listen still served"


def test_pwfile_counts_errors_of_a_bad_reload():
    """The password file reports like every table file: a reload that
    finds 3 bad lines sets pfhelpers_table_errors{source="pwfile"} to 3
    and counts a reload failure, and last_load quotes the first error and
    counts the others, while the old entries keep answering; a good file
    brings 0 and "ok" back, and counts a reload."""
    s = start()
    pw = s.pwfile
    good = open(pw).read()

    def table(name):
        return mval(parse_exposition(http_text(s.base + "/metrics")[1]),
                    "pfhelpers_table_" + name, source="pwfile")

    def errors():
        return table("errors")

    def last_load():
        return section(json.loads(http_text(s.base + "/status.json")[1]),
                       "pwfile")["facts"]["last_load"]

    assert errors() == 0 and last_load() == "ok"
    assert table("reloads_total") == 0 and table("reload_failures_total") == 0
    with open(pw, "w") as f:
        f.write(good + "no-colon-1\nno-colon-2\nno-colon-3\n")
    mark = s.d.log_mark()
    s.d.reload()
    s.d.wait_log(r"keeping the table loaded before", since=mark)
    assert errors() == 3
    assert table("reload_failures_total") == 1 and table("reloads_total") == 0
    assert table("entries") == 2            # the old table answers
    ll = last_load()
    assert ll.startswith("%s, line 3: " % pw), ll
    assert ll.endswith(" (and 2 more errors; `saslauthd-lite check` "
                       "lists them)"), ll
    assert s.auth("alice", ALICE_PW) == "OK"
    with open(pw, "w") as f:
        f.write(good)
    s.d.reload()
    wait_for(lambda: errors() == 0, what="the fixed file loaded")
    assert last_load() == "ok"
    assert table("reloads_total") == 1 and table("reload_failures_total") == 1


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests()
