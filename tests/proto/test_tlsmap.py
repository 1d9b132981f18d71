#!/usr/bin/env python3
"""Protocol tests for tlsmap: the real daemon over its real sockets.

Every case starts tlsmap in a private temp dir (tables, config, socket) and
talks socketmap (netstrings) to it, as Postfix's dict_sockmap does.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pfhtest
from pfhtest import (Daemon, is_closed, ns, ns_read, run_tests, tcp_connect,
                     free_port, unix_connect, wait_for)

PROG = "tlsmap/tlsmap"

POLICY = """\
# static TLS policy
example.com        secure match=.example.com
Mixed.Example.ORG. encrypt protocols=>=TLSv1.2
[mx.example.net]:587 encrypt protocols=>=TLSv1.2
[mx.example.net]   may
mx.example.net     verify
.example.org       verify
"""

PERSITE = """\
legacy.example     must_nopeermatch
[relay.example]:25 MUST
open.example       none
"""


def start(policy=POLICY, persite=PERSITE, extra="", options=None,
          files=None, **kw):
    """Start tlsmap on the two maps (and any other files, name: text)."""
    d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:@DIR@/tls_policy legacy=persite:@DIR@/tls_per_site
reload_check_interval = 200ms
""" + extra, options=options, **kw)
    d.write("tls_policy", policy)
    d.write("tls_per_site", persite)
    for name, text in (files or {}).items():
        d.write(name, text)
    d.start()
    return d


def conn(d):
    return unix_connect(d.path("tlsmap.sock"))


def q(sock, name, key):
    return pfhtest.socketmap_query(sock, name, key)


def rewrite(d, name, text):
    """Replace a table atomically (new inode), as an editor or ansible does."""
    tmp = d.path(name + ".new")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, d.path(name))


def test_reply_types():
    with start(persite="legacy.example MUST\n",
               extra="maps = tlspolicy=policy:@DIR@/tls_policy "
                     "legacy=persite:@DIR@/tls_per_site "
                     "broken=policy:@DIR@/broken\n",
               files={"broken": "x.example bogus\n"}) as d:
        with conn(d) as s:
            assert q(s, "tlspolicy", "example.com") == \
                b"OK secure match=.example.com"
            # NOTFOUND carries its space, byte-exact on the wire
            s.sendall(ns(b"tlspolicy nowhere.example"))
            assert pfhtest.recv_exact(s, 12) == b"9:NOTFOUND ,"
            assert q(s, "legacy", "LEGACY.example") == b"OK MUST"
            r = q(s, "broken", "example.com")
            assert r.startswith(b"TEMP map broken is not loaded"), r
            assert b"broken, line 1: invalid security level" in r, r
            assert q(s, "nosuchmap", "example.com") == \
                b"PERM unknown map nosuchmap"
            # a request without a key is the client's bug: PERM, keep going
            assert q(s, "tlspolicy", "").startswith(b"PERM malformed")
            # the connection survived all of that
            assert q(s, "tlspolicy", "example.com").startswith(b"OK ")
        d.wait_log(r"warning: unix: lookup in unknown map \"nosuchmap\"")


def test_keys_as_smtp_sends_them():
    with start() as d, conn(d) as s:
        for key in ("example.com", "EXAMPLE.COM", "Example.Com."):
            assert q(s, "tlspolicy", key) == b"OK secure match=.example.com"
        assert q(s, "tlspolicy", "mixed.example.org") == \
            b"OK encrypt protocols=>=TLSv1.2"
        # bracketed and port forms are distinct keys
        assert q(s, "tlspolicy", "[mx.example.net]:587") == \
            b"OK encrypt protocols=>=TLSv1.2"
        assert q(s, "tlspolicy", "[MX.example.net]") == b"OK may"
        assert q(s, "tlspolicy", "mx.example.net") == b"OK verify"
        assert q(s, "tlspolicy", "[mx.example.net]:25") == b"NOTFOUND "
        assert q(s, "tlspolicy", "[example.com]") == b"NOTFOUND "
        # the parent-domain walk: .parent answered from the table or not
        assert q(s, "tlspolicy", ".example.org") == b"OK verify"
        assert q(s, "tlspolicy", ".Example.Org.") == b"OK verify"
        assert q(s, "tlspolicy", "www.example.org") == b"NOTFOUND "
        assert q(s, "tlspolicy", ".com") == b"NOTFOUND "
        assert q(s, "tlspolicy", ".example.com") == b"NOTFOUND "
        # a key with spaces: split at the first space only
        assert q(s, "tlspolicy", "example.com x") == b"NOTFOUND "


def test_pipelined_and_split():
    keys = ["example.com", "nope.example", "[mx.example.net]", ".example.org",
            "mx.example.net"] * 40
    want = {"example.com": b"OK secure match=.example.com",
            "nope.example": b"NOTFOUND ", "[mx.example.net]": b"OK may",
            ".example.org": b"OK verify", "mx.example.net": b"OK verify"}
    with start() as d, conn(d) as s:
        s.sendall(b"".join(ns("tlspolicy " + k) for k in keys))
        for k in keys:
            assert ns_read(s) == want[k], k
        # one byte at a time, two requests back to back
        data = ns("tlspolicy example.com") + ns("legacy legacy.example")
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(0.002)
        assert ns_read(s) == b"OK secure match=.example.com"
        assert ns_read(s) == b"OK MUST_NOPEERMATCH"


def test_size_limit():
    with start() as d:
        with conn(d) as s:
            # exactly 10000 bytes is allowed (Postfix's query limit)
            req = b"tlspolicy " + b"a" * (10000 - 10)
            assert len(req) == 10000
            assert q(s, "tlspolicy", req[10:]) == b"NOTFOUND "
            # 10001 bytes: closed, even before the payload arrives
            s.sendall(b"10001:")
            assert is_closed(s)
        d.wait_log(r"warning: unix: request longer than 10000 bytes")
        with conn(d) as s:
            assert q(s, "tlspolicy", "example.com").startswith(b"OK ")


def test_garbage_closes_only_that_client():
    with start() as d:
        other = conn(d)
        assert q(other, "tlspolicy", "example.com").startswith(b"OK ")
        for junk in (b"x5:hello,", b"5:hello;", b"05:hello,", b":hello,"):
            with conn(d) as s:
                assert q(s, "tlspolicy", "example.com").startswith(b"OK ")
                s.sendall(junk)
                assert is_closed(s), junk
            # the other client is still served on its old connection
            assert q(other, "tlspolicy", "example.com").startswith(b"OK ")
        other.close()
        d.wait_log(r"warning: unix: malformed netstring request: closing")


def test_idle_timeout():
    with start(options={"idle_timeout": "1s"}) as d, conn(d) as s:
        assert q(s, "tlspolicy", "example.com").startswith(b"OK ")
        t0 = time.monotonic()
        assert is_closed(s, timeout=5)
        assert time.monotonic() - t0 >= 0.8


def test_reload_under_load():
    old = b"OK secure match=.example.com"
    new = b"OK dane-only"
    with start() as d:
        stop = threading.Event()
        seen = []
        errors = []

        def hammer():
            try:
                with conn(d) as s:
                    while not stop.is_set():
                        seen.append(q(s, "tlspolicy", "example.com"))
            except Exception as e:  # recorded for the main thread
                errors.append(repr(e))

        t = threading.Thread(target=hammer)
        t.start()
        try:
            wait_for(lambda: len(seen) > 50, what="queries before reload")
            rewrite(d, "tls_policy",
                    POLICY.replace("secure match=.example.com", "dane-only"))
            d.reload()
            # a file just written is loaded once it has settled (1 s)
            wait_for(lambda: seen[-1] == new, what="the new answer")
            n = len(seen)
            wait_for(lambda: len(seen) > n + 50, what="queries after reload")
        finally:
            stop.set()
            t.join(10)
        assert not errors, errors
        assert set(seen) <= {old, new}, set(seen)
        # atomic switch: once the new answer appears the old one never returns
        first_new = seen.index(new)
        assert old not in seen[first_new:]
        assert seen[-1] == new


def test_broken_file_keeps_old_answers():
    with start() as d, conn(d) as s:
        mark = d.log_mark()
        rewrite(d, "tls_policy", POLICY + "bad.example secure cipher=high\n")
        d.reload()
        d.wait_log(r"error: .*tls_policy, line 8: invalid attribute name "
                   r"\"cipher\"; keeping the table loaded before", since=mark)
        assert q(s, "tlspolicy", "example.com") == \
            b"OK secure match=.example.com"
        assert q(s, "tlspolicy", "bad.example") == b"NOTFOUND "
        # fixing the file brings the change in, without a signal
        rewrite(d, "tls_policy", POLICY + "bad.example secure ciphers=high\n")
        wait_for(lambda: q(s, "tlspolicy", "bad.example") ==
                 b"OK secure ciphers=high", what="fixed file picked up")


def test_check_lists_every_error():
    bad = BAD3
    with start() as d, conn(d) as s:
        mark = d.log_mark()
        rewrite(d, "tls_policy", bad)
        path = d.path("tls_policy")
        # check: every bad line, in file order, with its file and line
        r = subprocess.run(d.argv()[:-1] + ["check"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        errors = [x.split(": error: ", 1)[1] for x in r.stderr.splitlines()
                  if ": error: " in x]
        assert errors == [
            '%s, line 8: invalid attribute name "cipher"' % path,
            '%s, line 10: missing value for key "bad2.example"' % path,
            '%s, line 11: invalid security level "bogus"' % path,
        ], r.stderr
        assert "map tlspolicy: policy:%s: 3 errors" % path in r.stdout, r.stdout
        assert "tls_per_site: 3 entries ok" in r.stdout, r.stdout
        assert "errors found" in r.stdout, r.stdout
        # the daemon refuses the file as a whole and logs one line for it
        d.wait_log(r"error: %s, line 8: invalid attribute name \"cipher\" "
                   r"\(and 2 more errors\); keeping the table loaded before"
                   % re.escape(path), since=mark)
        assert "line 10" not in d.log(since=mark)
        assert q(s, "tlspolicy", "example.com") == \
            b"OK secure match=.example.com"
        assert q(s, "tlspolicy", "ok.example") == b"NOTFOUND "


BAD3 = POLICY + ("bad1.example secure cipher=high\n"
                  "ok.example may\n"
                  "bad2.example\n"
                  "bad3.example bogus\n")


def test_status_shows_error_count_old_table_answers():
    """A reload that finds 3 bad lines: the maps table quotes the first
    error and counts the others, pfhelpers_table_errors says 3 for that map
    only, and the old table keeps answering; a good file brings 0 back."""
    import json
    from promparse import mval, parse_exposition
    port = free_port()
    with start(options={"status_listen": "inet:127.0.0.1:%d" % port}) as d, \
            conn(d) as s:
        m = parse_exposition(http_get(port, "/metrics")[1])
        assert mval(m, "pfhelpers_table_errors", source="tlspolicy") == 0
        assert m["pfhelpers_table_errors"]["type"] == "gauge"
        mark = d.log_mark()
        rewrite(d, "tls_policy", BAD3)
        d.reload()
        path = d.path("tls_policy")
        d.wait_log(r"line 8: .*\(and 2 more errors\); keeping the table "
                   r"loaded before", since=mark)
        m = parse_exposition(http_get(port, "/metrics")[1])
        assert mval(m, "pfhelpers_table_errors", source="tlspolicy") == 3
        assert mval(m, "pfhelpers_table_errors", source="legacy") == 0
        # the old table, all 6 entries of it, still answers
        assert mval(m, "pfhelpers_table_entries", source="tlspolicy") == 6
        fails = mval(m, "pfhelpers_table_reload_failures_total", source="tlspolicy")
        assert fails == 1, fails
        assert mval(m, "pfhelpers_table_reload_failures_total", source="legacy") == 0
        assert mval(m, "pfhelpers_table_reloads_total", source="tlspolicy") == 0
        assert q(s, "tlspolicy", "example.com") == \
            b"OK secure match=.example.com"
        assert q(s, "tlspolicy", "ok.example") == b"NOTFOUND "
        doc = json.loads(http_get(port, "/status.json")[1])
        maps = [x for x in doc["sections"] if x["id"] == "maps"][0]
        rows = {r[0]: r for r in maps["tables"][0]["rows"]}
        assert rows["tlspolicy"][6] == (
            '%s, line 8: invalid attribute name "cipher" (and 2 more '
            'errors; `tlsmap check` lists them)' % path), rows["tlspolicy"]
        assert rows["tlspolicy"][3] == "6", rows["tlspolicy"]
        assert rows["legacy"][6] == "ok", rows["legacy"]
        gauges = {tuple(g["labels"].items()): g["value"]
                  for g in maps["gauges"] if g["name"] == "pfhelpers_table_errors"}
        assert gauges[(("source", "tlspolicy"),)] == 3, gauges
        html = http_get(port, "/")[1]
        assert "(and 2 more errors; `tlsmap check` lists them)" in html
        # one bad line: no count to show
        rewrite(d, "tls_policy", POLICY + "bad.example\n")
        wait_for(lambda: mval(parse_exposition(http_get(port, "/metrics")[1]),
                              "pfhelpers_table_errors", source="tlspolicy") == 1,
                 what="one error counted")
        doc = json.loads(http_get(port, "/status.json")[1])
        maps = [x for x in doc["sections"] if x["id"] == "maps"][0]
        row = [r for r in maps["tables"][0]["rows"] if r[0] == "tlspolicy"][0]
        assert row[6] == '%s, line 8: missing value for key "bad.example"' \
            % path, row
        # fixed: the count goes back to 0
        rewrite(d, "tls_policy", POLICY + "ok.example may\n")
        wait_for(lambda: q(s, "tlspolicy", "ok.example") == b"OK may",
                 what="fixed file picked up")
        m = parse_exposition(http_get(port, "/metrics")[1])
        assert mval(m, "pfhelpers_table_errors", source="tlspolicy") == 0
        # two refused (3 errors, then 1), one that replaced the table
        assert mval(m, "pfhelpers_table_reload_failures_total", source="tlspolicy") == 2
        assert mval(m, "pfhelpers_table_reloads_total", source="tlspolicy") == 1
        assert mval(m, "pfhelpers_table_entries", source="tlspolicy") == 7


def test_temp_reply_counts_errors():
    """A map that never loaded answers TEMP with its first error and how
    many more there are, in one short reply."""
    deep = "d" * 200 + "/" + "f" * 200
    with start(extra="maps = tlspolicy=policy:@DIR@/tls_policy "
                     "later=policy:@DIR@/later deep=policy:@DIR@/%s\n"
                     % deep, files={"later": "x.example bogus\n",
                                    deep: "x.example bogus\n"}) as d, \
            conn(d) as s:
        r = q(s, "later", "x.example")
        assert r.startswith(b"TEMP map later is not loaded: %s, line 1: "
                            % d.path("later").encode()), r
        assert b"more error" not in r, r
        rewrite(d, "later", BAD3)
        path = d.path("later")
        wait_for(lambda: b"more errors" in q(s, "later", "x.example"),
                 what="the bad file tried")
        r = q(s, "later", "x.example")
        assert r == ('TEMP map later is not loaded: %s, line 8: invalid '
                     'attribute name "cipher" (and 2 more errors)'
                     % path).encode(), r
        # a first error of 470 bytes (a long path) is cut; the count never is
        with open(d.path(deep + ".new"), "w") as f:
            f.write("x.example bogus\ny.example bogus\n")
        os.rename(d.path(deep + ".new"), d.path(deep))
        wait_for(lambda: b"(and 1 more error)" in q(s, "deep", "x.example"),
                 what="the deep file tried")
        first = '%s, line 1: invalid security level "bogus"' % d.path(deep)
        assert len(first) > 400
        r = q(s, "deep", "x.example")
        assert r == ("TEMP map deep is not loaded: %s (and 1 more error)"
                     % first[:300]).encode(), r
        assert q(s, "tlspolicy", "example.com").startswith(b"OK secure")


def test_change_without_sighup():
    with start() as d, conn(d) as s:
        assert q(s, "legacy", "open.example") == b"OK NONE"
        rewrite(d, "tls_per_site", PERSITE.replace("open.example       none",
                                                   "open.example MAY"))
        wait_for(lambda: q(s, "legacy", "open.example") == b"OK MAY",
                 what="file change picked up by the tick")
        d.wait_log(r"map legacy: reloaded .*tls_per_site")


def test_config_reload_changes_maps():
    with start() as d, conn(d) as s:
        assert q(s, "legacy", "legacy.example") == b"OK MUST_NOPEERMATCH"
        # SIGHUP with a new map set: report-only and a renamed map
        with open(d.config_file, "a") as f:
            f.write("maps = tlspolicy=policy:@DIR@/tls_policy "
                    "old=persite:@DIR@/tls_per_site\n".replace("@DIR@", d.dir))
            f.write("report_only_maps = old\n")
        d.reload()
        assert q(s, "old", "legacy.example") == b"NOTFOUND "
        assert q(s, "legacy", "legacy.example") == b"PERM unknown map legacy"
        assert q(s, "tlspolicy", "example.com").startswith(b"OK secure")
        # a new map set whose file is broken is refused as a whole
        mark = d.log_mark()
        with open(d.config_file, "a") as f:
            f.write("maps = tlspolicy=policy:@DIR@/nonexistent "
                    "old=persite:@DIR@/tls_per_site\n".replace("@DIR@", d.dir))
        d.reload()
        d.wait_log(r"error: reload: map tlspolicy: open .*nonexistent.*; "
                   r"keeping the running configuration", since=mark)
        assert q(s, "old", "legacy.example") == b"NOTFOUND "
        assert q(s, "tlspolicy", "example.com").startswith(b"OK secure")


def test_report_only_map():
    with start(extra="report_only_maps = legacy\n") as d, conn(d) as s:
        assert q(s, "legacy", "legacy.example") == b"NOTFOUND "
        assert q(s, "tlspolicy", "example.com").startswith(b"OK ")
        d.wait_log(r"report-only: client=unix map=legacy key=legacy.example: "
                   r"would answer \"OK must_nopeermatch\" \(.*tls_per_site, "
                   r"line 1\); answered NOTFOUND")


def test_inet_listener_and_sigterm():
    port = free_port()
    with start(options={"listen": "unix:@DIR@/tlsmap.sock inet:127.0.0.1:%d"
                        % port}) as d:
        with tcp_connect("127.0.0.1", port) as t, conn(d) as s:
            assert q(t, "tlspolicy", "example.com").startswith(b"OK ")
            assert q(s, "tlspolicy", "example.com").startswith(b"OK ")
            # idle clients must not hold up the exit
            assert d.stop() == 0
        d.wait_log(r"stopped")
        assert not os.path.exists(d.path("tlsmap.sock"))


def test_log_prefix_left_to_journald():
    """Under systemd with -d, stderr is journald's stream (JOURNAL_STREAM
    names its device and inode) and journald adds "tlsmap[pid]: " itself,
    taking each line's priority from its "<N>" prefix;
    anywhere else, including a child that inherited the variable but not
    the stream, lines keep their own prefix."""
    for matching in (True, False):
        d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:@DIR@/tls_policy broken=policy:@DIR@/broken
""")
        d.write("tls_policy", POLICY)
        d.write("broken", "x.example bogus\n")
        # the daemon appends to this very file: same device and inode
        st = os.stat(d.write(d.stderr_path, ""))
        other = os.stat(d.path("tls_policy"))
        d.env["JOURNAL_STREAM"] = "%d:%d" % (
            st.st_dev, st.st_ino if matching else other.st_ino)
        with d:
            sock = d.path("tlsmap.sock")
            if matching:
                # the syslog priority goes first, for journald to take off
                d.wait_log(r"^<6>listening on unix:%s$" % re.escape(sock))
                d.wait_log(r"^<4>warning: not every map loaded")
                assert "tlsmap[" not in d.log(), d.log()
            else:
                d.wait_log(r"^tlsmap\[%d\]: listening on unix:%s$"
                           % (d.pid, re.escape(sock)))
                d.wait_log(r"^tlsmap\[%d\]: warning: not every map loaded"
                           % d.pid)


def test_version_validation():
    policy = "old.example secure\nnew.example secure servername=hostname\n"
    for version, ok in (("3.3", False), ("3.4", True)):
        d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:@DIR@/tls_policy
postfix_version = %s
""" % version)
        path = d.write("tls_policy", policy)
        r = subprocess.run(d.argv()[:-1] + ["check"], capture_output=True,
                           text=True, timeout=30)
        if ok:
            assert r.returncode == 0, r.stderr
            assert "1 entries" not in r.stdout and "2 entries ok" in r.stdout
        else:
            assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
            assert ("%s, line 2: attribute \"servername\" needs Postfix 3.4 "
                    "or later (target is 3.3)" % path) in r.stderr, r.stderr
        d.start()
        with conn(d) as s:
            r = q(s, "tlspolicy", "new.example")
            if ok:
                assert r == b"OK secure servername=hostname", r
            else:
                # never a wrong answer: Postfix defers until the file is fixed
                assert r.startswith(b"TEMP map tlspolicy is not loaded"), r
                assert b"line 2" in r
        d.cleanup()


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_status_page():
    port = free_port()
    with start(options={"status_listen": "inet:127.0.0.1:%d" % port},
               extra="maps = tlspolicy=policy:@DIR@/tls_policy "
                     "legacy=persite:@DIR@/tls_per_site "
                     "later=policy:@DIR@/later\n",
               files={"later": "x.example bogus\n"}) as d:
        code, body = http_get(port, "/readyz")
        assert code == 503, (code, body)
        with conn(d) as s:
            q(s, "tlspolicy", "example.com")
            q(s, "tlspolicy", "Example.com")
            q(s, "tlspolicy", "nope.example")
            q(s, "legacy", "legacy.example")
            q(s, "later", "x.example")
            q(s, "nosuchmap", "x.example")
        code, m = http_get(port, "/metrics")
        assert code == 200
        for line in (
                'tlsmap_answers_total{kind="policy",level="secure"} 2',
                'tlsmap_answers_total{kind="policy",level="notfound"} 1',
                'tlsmap_answers_total{kind="persite",'
                'level="MUST_NOPEERMATCH"} 1',
                'tlsmap_answers_total{kind="policy",level="may"} 0',
                'tlsmap_error_answers_total{result="temp"} 1',
                'tlsmap_error_answers_total{result="perm"} 1',
                'pfhelpers_table_entries{source="tlspolicy"} 6',
                'pfhelpers_table_entries{source="later"} 0'):
            assert line in m.splitlines(), (line, m)
        # the map that had no file loads once it appears: ready
        rewrite(d, "later", "x.example may\n")
        wait_for(lambda: http_get(port, "/readyz")[0] == 200,
                 what="ready once every map loaded")
        code, js = http_get(port, "/status.json")
        assert code == 200
        assert "tlspolicy example.com -> secure" in js, js
        assert "nope.example -> NOTFOUND" in js, js


def test_status_metrics_strict_and_page():
    """/metrics parses strictly, answers by level and NOTFOUND move by the
    lookups sent, the maps table has the entry counts, and the page's
    answers table shows the same numbers."""
    import json
    import re
    from promparse import check_naming_scheme, mval, parse_exposition
    port = free_port()
    with start(options={"status_listen": "inet:127.0.0.1:%d" % port}) as d:
        code, text = http_get(port, "/metrics")
        m0 = parse_exposition(text)
        with conn(d) as s:
            for name, key in [("tlspolicy", "example.com"),
                              ("tlspolicy", "[mx.example.net]:587"),
                              ("tlspolicy", "[mx.example.net]:587"),
                              ("tlspolicy", "nope.example"),
                              ("legacy", "legacy.example"),
                              ("legacy", "nope.example"),
                              ("legacy", "nope2.example")]:
                q(s, name, key)
        code, text = http_get(port, "/metrics")
        assert code == 200
        m1 = parse_exposition(text)
        fam = "tlsmap_answers_total"
        assert m1[fam]["type"] == "counter"
        for labels, n in [(dict(kind="policy", level="secure"), 1),
                          (dict(kind="policy", level="encrypt"), 2),
                          (dict(kind="policy", level="notfound"), 1),
                          (dict(kind="persite", level="MUST_NOPEERMATCH"), 1),
                          (dict(kind="persite", level="notfound"), 2),
                          (dict(kind="policy", level="may"), 0)]:
            assert mval(m1, fam, **labels) - mval(m0, fam, **labels) == n, labels
        h = "tlsmap_answer_seconds"
        assert mval(m1, h, h + "_count") - mval(m0, h, h + "_count") == 7
        assert mval(m1, "pfhelpers_table_entries", source="tlspolicy") == 6
        assert mval(m1, "pfhelpers_table_entries", source="legacy") == 3
        # the one naming scheme of the suite (promparse, pfhelpers-status(5))
        check_naming_scheme(m1, "tlsmap")
        assert "nope.example" not in text and "legacy.example" not in text

        code, body = http_get(port, "/status.json")
        doc = json.loads(body)
        maps = [sec for sec in doc["sections"] if sec["id"] == "maps"][0]
        rows = {r[0]: r for r in maps["tables"][0]["rows"]}
        assert rows["tlspolicy"][3] == "6" and rows["legacy"][3] == "3", rows
        assert rows["legacy"][1] == "persite" and rows["legacy"][6] == "ok"
        recent = [sec for sec in doc["sections"] if sec["id"] == "recent"][0]
        texts = [e["text"] for e in recent["recent"][0]["events"]]
        assert texts[0] == "legacy nope2.example -> NOTFOUND", texts
        assert "tlspolicy [mx.example.net]:587 -> encrypt" in texts

        code, html = http_get(port, "/")
        for labels in ("kind=policy,level=encrypt", "kind=persite,level=notfound"):
            k, lv = (x.split("=")[1] for x in labels.split(","))
            m = re.search(r'data-labels="%s">(\d+)<' % re.escape(labels), html)
            assert m and int(m.group(1)) == mval(m1, fam, kind=k, level=lv), labels
        m = re.search(r'data-total="kind=persite">(\d+)<', html)
        assert m and int(m.group(1)) == sum(
            v for _, l, v in m1[fam]["samples"] if l["kind"] == "persite")


def test_explain_and_migrate():
    d = Daemon(PROG, config="""\
maps = tlspolicy=policy:@DIR@/tls_policy legacy=persite:@DIR@/tls_per_site
""")
    d.write("tls_policy", POLICY)
    d.write("tls_per_site", PERSITE)
    base = d.argv()[:-1]
    r = subprocess.run(base + ["explain", "WWW.example.org.", "tlspolicy"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r       # the key itself is not in the map
    assert "answer: NOTFOUND" in r.stdout
    assert ".example.org" in r.stdout and "line 7" in r.stdout
    assert "<- used" in r.stdout
    r = subprocess.run(base + ["explain", "example.com"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    assert "answer: OK secure match=.example.com" in r.stdout
    assert "from: %s, line 2" % d.path("tls_policy") in r.stdout

    per_site = d.write("old_per_site", "example.com MUST\n"
                       "[relay.example]:25 must_nopeermatch\n"
                       "mx1.example.net MUST\nopen.example NONE\n"
                       "bad.example STRICT\n")
    r = subprocess.run([d.prog, "migrate", "-m", "mx1.example.net", per_site],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r
    lines = [x for x in r.stdout.splitlines() if not x.startswith("#")]
    assert lines == ["example.com verify", "[relay.example]:25 encrypt",
                     "open.example none"], r.stdout
    assert "# mx1.example.net MUST" in r.stdout
    assert "# bad.example STRICT" in r.stdout
    assert "line 3: mx1.example.net: MX host name" in r.stderr
    assert "line 5: bad.example: invalid value" in r.stderr


if __name__ == "__main__":
    run_tests()
