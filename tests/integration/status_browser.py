#!/usr/bin/env python3
"""status_browser - headless Chromium renders the status page of status-testd.

Run by it_status_browser.sh. The DOM Chromium builds must show the
counters produced by known traffic; screenshots at laptop (1280x900) and
phone (390x844) sizes must be real PNGs of that size. With
PFH_SCREENSHOT_DIR set, the screenshots are copied there (that is how
doc/screenshots/status-testd.png is made).
"""

import os
import re
import shutil
import struct
import subprocess

import pfhtest
from pfhtest import (Daemon, free_port, make_tmpdir, run_tests, skip,
                     tcp_connect, which)

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser():
    for b in BROWSERS:
        p = which(b)
        if p:
            return p
    pfhtest.missing_tool(["chromium"])


def chrome(args, url):
    """Run headless Chromium once; return its stdout."""
    prof = make_tmpdir(prefix="pfh-chrome-")
    cmd = [browser(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars",
           "--user-data-dir=" + prof] + args + [url]
    r = subprocess.run(cmd, capture_output=True, timeout=120,
                       env=dict(os.environ, HOME=prof))
    if r.returncode != 0:
        raise AssertionError("chromium failed (%d): %s"
                             % (r.returncode, r.stderr.decode(errors="replace")[-2000:]))
    return r.stdout.decode("utf-8", "replace")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %s" % path
    w, h = struct.unpack(">II", head[16:24])
    return w, h


def traffic(port):
    s = tcp_connect("127.0.0.1", port)
    f = s.makefile("rwb")
    lines = ["ping"] * 41 + ["lat 850", "lat 1200", "lat 2600", "lat 14000"] + \
        ["fail"] * 3 + ["bogus"] * 2 + ["note admin <b>ran</b> a check"]
    for line in lines:
        f.write(line.encode() + b"\n")
        f.flush()
        assert f.readline()
    return s, f


def test_page_renders_with_counters():
    port, sport = free_port(), free_port()
    d = Daemon("tests/status-testd",
               options=[("listen", "inet:127.0.0.1:%d" % port),
                        ("status_listen", "inet:127.0.0.1:%d" % sport)])
    d.start()
    s, f = traffic(port)
    url = "http://127.0.0.1:%d/" % sport

    dom = chrome(["--dump-dom"], url)
    # counters as Chromium rendered them: 41 pings + 4 lat = 45 ok, 3 errors
    tile = lambda name, labels: re.search(
        r'data-metric="%s"[^>]*><div class="v">([^<]*)</div><div class="l">[^<]*'
        r'(?:<br>)?%s' % (re.escape(name), re.escape(labels)), dom)
    m = tile("pfhelpers_testd_requests_total", '<span class="lb">result=ok</span>')
    assert m and m.group(1) == "45", m and m.group(1)
    m = tile("pfhelpers_testd_requests_total", '<span class="lb">result=error</span>')
    assert m and m.group(1) == "3", m and m.group(1)
    m = tile("pfhelpers_testd_protocol_errors_total", "")
    assert m and m.group(1) == "2", m and m.group(1)
    assert "status-testd</h1>" in dom
    assert 'id="ready">ready</span>' in dom
    assert "admin &lt;b&gt;ran&lt;/b&gt; a check" in dom      # escaped, not bold
    assert "<b>ran</b>" not in dom
    assert "Latency (ms)" in dom and "Recent requests" in dom

    out = make_tmpdir(prefix="pfh-shots-")
    shots = {}
    for name, size in (("laptop", (1280, 900)), ("phone", (390, 844))):
        path = os.path.join(out, "status-testd-%s.png" % name)
        chrome(["--screenshot=" + path, "--window-size=%d,%d" % size], url)
        assert png_size(path) == size, (path, png_size(path))
        assert os.path.getsize(path) > 10000, "suspiciously small screenshot"
        shots[name] = path
    keep = os.environ.get("PFH_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(shots["laptop"], os.path.join(keep, "status-testd.png"))
        shutil.copy(shots["phone"], os.path.join(keep, "status-testd-phone.png"))
    f.close()
    s.close()
    d.stop()


if __name__ == "__main__":
    run_tests()
