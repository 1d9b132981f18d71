#!/usr/bin/env python3
"""test_status_flood - a flood of status page requests does not slow Postfix.

A real tlsmap serves socketmap on one listener and its status page on
another, in the same event loop. 16 HTTP clients fetch /, /status.json,
/metrics and /readyz as fast as they can for a few seconds while a
socketmap client keeps querying (on one kept connection, and every tenth
query on a fresh one, as Postfix's proxymap would). The HTTP clients are
processes, not threads, so the timing measures the daemon, not Python's
GIL. Every socketmap answer
must arrive, be the right one, and none may take over 500 ms (generous:
this is a guard against the page blocking the loop, not a benchmark).
Afterwards the daemon's own counters agree with the lookups sent.
"""

import http.client
import multiprocessing
import os
import time

from pfhtest import (BUILDDIR, Daemon, free_port, ns, ns_read, run_tests,
                     skip, unix_connect)
from promparse import mval, parse_exposition

PROG = "tlsmap/tlsmap"
FLOOD_SECONDS = 4.0
HTTP_CLIENTS = 16
MAX_ANSWER = 0.5

POLICY = "".join("site%03d.example secure match=.site%03d.example\n" % (i, i)
                 for i in range(200))


def http_get(port, path):
    """One request on a fresh connection: (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def flood(port, k, stop, good, bad, errq):
    """One HTTP client process: fetch pages until told to stop."""
    pages = ["/", "/status.json", "/metrics", "/readyz"]
    i = k
    while not stop.is_set():
        try:
            st, body = http_get(port, pages[i % len(pages)])
            ok = st == 200 and len(body) > 0
            if not ok:
                errq.put("%s: HTTP %d" % (pages[i % len(pages)], st))
        except Exception as e:          # noqa: BLE001 - reported to the test
            ok = False
            errq.put(repr(e))
        with (good if ok else bad).get_lock():
            (good if ok else bad).value += 1
        i += 1


def test_status_flood_does_not_slow_socketmap():
    sport = free_port()
    d = Daemon(PROG, config="listen = unix:@DIR@/tlsmap.sock\n"
                            "maps = tlspolicy=policy:@DIR@/tls_policy\n",
               options=[("status_listen", "inet:127.0.0.1:%d" % sport)])
    d.write("tls_policy", POLICY)
    d.start()
    m0 = parse_exposition(http_get(sport, "/metrics")[1].decode())

    mp = multiprocessing.get_context("fork")
    stop = mp.Event()
    good = mp.Value("l", 0)
    bad = mp.Value("l", 0)
    errq = mp.Queue()
    procs = [mp.Process(target=flood, args=(sport, k, stop, good, bad, errq))
             for k in range(HTTP_CLIENTS)]
    for p in procs:
        p.start()
    time.sleep(0.3)                     # the flood is under way
    path = d.path("tlsmap.sock")
    kept = unix_connect(path)
    sent = found = 0
    slowest = 0.0
    slow = []
    t_end = time.monotonic() + FLOOD_SECONDS
    try:
        while time.monotonic() < t_end:
            n = sent % 250              # 200 listed sites, 50 misses
            key = "site%03d.example" % n
            want = (b"OK secure match=.site%03d.example" % n) if n < 200 \
                else b"NOTFOUND "
            t0 = time.monotonic()
            if sent % 10 == 9:          # a fresh connection now and then
                with unix_connect(path) as s:
                    s.sendall(ns(b"tlspolicy " + key.encode()))
                    got = ns_read(s, timeout=5)
            else:
                kept.sendall(ns(b"tlspolicy " + key.encode()))
                got = ns_read(kept, timeout=5)
            dt = time.monotonic() - t0
            assert got == want, (key, got, want)
            sent += 1
            found += n < 200
            slowest = max(slowest, dt)
            if dt > MAX_ANSWER:
                slow.append((key, dt))
    finally:
        stop.set()
        for p in procs:
            p.join(30)
            if p.exitcode is None:
                p.kill()
        kept.close()

    served = good.value
    print("# %d socketmap answers during %d status requests; slowest %.1f ms"
          % (sent, served, slowest * 1000))
    errors = []
    while not errq.empty():
        errors.append(errq.get())
    assert bad.value == 0 and not errors, (bad.value, errors[:5])
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    # the flood was real: the page answered many requests meanwhile
    assert served >= 4 * HTTP_CLIENTS, served
    assert sent >= 50, sent
    assert not slow, "socketmap answers over %d ms during the flood: %r" \
        % (MAX_ANSWER * 1000, slow[:5])

    # the daemon counted exactly the lookups we sent, nothing lost
    m1 = parse_exposition(http_get(sport, "/metrics")[1].decode())
    fam = "tlsmap_answers_total"

    def delta(**labels):
        return mval(m1, fam, **labels) - mval(m0, fam, **labels)

    assert delta(kind="policy", level="secure") == found
    assert delta(kind="policy", level="notfound") == sent - found
    assert mval(m1, "tlsmap_protocol_errors_total", error="malformed") == 0
    assert d.stop() == 0


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    run_tests()
