#!/usr/bin/env python3
"""status_browser - headless Chromium renders the status page of status-testd.

Run by it_status_browser.sh. The DOM Chromium builds must show the
counters produced by known traffic; screenshots at laptop (1280x900) and
phone (390x844) sizes must be real PNGs of that size. With
PFH_SCREENSHOT_DIR set, the screenshots are copied there (that is how
doc/screenshots/status-testd.png is made).

layout_check() (used here and by status_browser_daemons.py) has Chromium
lay the page out in a window of a given size and asserts that nothing
overflows the viewport or its card, nothing is clipped by a scrolling box,
no word shorter than WORD_MAX is broken across lines, and no visible label
is a snake_case identifier or a key=value pair.
"""

import html
import json
import os
import re
import shutil
import struct
import subprocess
import urllib.request

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


# Runs in the page once it has loaded: measures every element and text run
# against the viewport and its card, every box that clips or scrolls, every
# word of fewer than WORD_MAX characters (one that wraps was split letter
# by letter: only paths, addresses and the like may be), and reads the labels (all visible text but the data: table cells the daemon
# wrote, fact values, recent events, tile numbers). Hands the result back
# as JSON in a hidden <pre id="pfh-check">, which --dump-dom shows.
WORD_MAX = 16              # as the page's STATUS_WORD_MAX
LAYOUT_JS = r"""
addEventListener("load", function () {
  var vw = document.documentElement.clientWidth;
  var out = {viewport: vw, scroll_width: document.documentElement.scrollWidth,
             overflow: [], clipped: [], broken: [], labels: []};
  var DATA = "script, style, table.data:not(.fam) td, table.kv td:not(.k), " +
      "ol.recent li, .tile .v";
  var SNAKE = /\b[a-z][a-z0-9]*(_[a-z0-9]+)+\b/, KV = /[a-z]\w*=\S/;
  function where(e) {
    var p = [];
    for (; e && e !== document.body; e = e.parentElement) {
      var s = e.tagName.toLowerCase();
      if (e.id) s += "#" + e.id;
      else if (typeof e.className == "string" && e.className.trim())
        s += "." + e.className.trim().split(/\s+/).join(".");
      p.unshift(s);
    }
    return p.join(" > ");
  }
  function outside(what, r, e) {
    var card = e.closest(".card"), c = card && card.getBoundingClientRect();
    if (r.width == 0 && r.height == 0)
      return;
    if (r.left < -0.5 || r.right > vw + 0.5)
      out.overflow.push(what + " [" + Math.round(r.left) + "," +
          Math.round(r.right) + "] past the viewport (" + vw + ")");
    else if (c && (r.left < c.left - 0.5 || r.right > c.right + 0.5))
      out.overflow.push(what + " [" + Math.round(r.left) + "," +
          Math.round(r.right) + "] past its card [" + Math.round(c.left) +
          "," + Math.round(c.right) + "]");
  }
  var all = document.body.querySelectorAll("*");
  for (var i = 0; i < all.length; i++) {
    var e = all[i];
    outside(where(e), e.getBoundingClientRect(), e);
    if (getComputedStyle(e).overflowX != "visible" &&
        e.scrollWidth > e.clientWidth + 1)
      out.clipped.push(where(e) + ": " + e.scrollWidth + " px of content in " +
          e.clientWidth);
  }
  var tw = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
  while ((n = tw.nextNode())) {
    var p = n.parentElement, t = n.data.trim();
    if (!t || !p.getClientRects().length)
      continue;
    var r = document.createRange();
    r.selectNodeContents(n);
    outside(where(p) + " text '" + t.slice(0, 40) + "'", r.getBoundingClientRect(), p);
    var words = /[^\s-]+/g, m;         // wrapping after a hyphen is fine
    while ((m = words.exec(n.data))) {
      if (m[0].length >= WORD_MAX)
        continue;
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      if (r.getClientRects().length > 1)
        out.broken.push(where(p) + ": '" + m[0] + "' in '" + t.slice(0, 60) + "'");
    }
    if (!p.closest(DATA) && (SNAKE.test(t) || KV.test(t)))
      out.labels.push(where(p) + ": '" + t + "'");
  }
  var pre = document.createElement("pre");
  pre.id = "pfh-check";
  pre.style.display = "none";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""


def layout_check(url, size):
    """Lay out the page at url in a size=(w, h) window; assert it fits and
    reads as words. Returns the measurements.

    The page is fetched once and Chromium renders that copy from a file with
    LAYOUT_JS appended (the page is self-contained, so it lays out alike;
    its refresh is dropped so the copy stays put).
    """
    browser()                           # skip (77) without Chromium
    with urllib.request.urlopen(url, timeout=10) as r:
        page = r.read().decode("utf-8")
    page = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", page)
    assert "</body>" in page
    page = page.replace("</body>", "<script>var WORD_MAX = %d;%s</script></body>"
                        % (WORD_MAX, LAYOUT_JS))
    path = os.path.join(make_tmpdir(prefix="pfh-layout-"), "page.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    dom = chrome(["--dump-dom", "--window-size=%d,%d" % size,
                  "--virtual-time-budget=1000"], "file://" + path)
    m = re.search(r'<pre id="pfh-check"[^>]*>(.*?)</pre>', dom, re.S)
    assert m, "the layout check did not run"
    got = json.loads(html.unescape(m.group(1)))
    what = "%s at %dx%d" % (url, size[0], size[1])
    assert got["viewport"] == size[0], (what, got["viewport"])
    problems = ["overflows: " + o for o in got["overflow"]] + \
        ["clipped: " + c for c in got["clipped"]] + \
        ["word broken: " + w for w in got["broken"]] + \
        ["label not in words: " + l for l in got["labels"]]
    if got["scroll_width"] > got["viewport"]:
        problems.insert(0, "page scrolls sideways: %d px wide"
                        % got["scroll_width"])
    assert not problems, "%s: %d problems:\n  %s" % (
        what, len(problems), "\n  ".join(problems[:40]))
    return got


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
    m = tile("status_testd_requests_total", '<span class="lb">result: ok</span>')
    assert m and m.group(1) == "45", m and m.group(1)
    m = tile("status_testd_requests_total", '<span class="lb">result: error</span>')
    assert m and m.group(1) == "3", m and m.group(1)
    m = tile("status_testd_protocol_errors_total", "")
    assert m and m.group(1) == "2", m and m.group(1)
    assert "status-testd</h1>" in dom
    assert 'id="ready">ready</span>' in dom
    assert "admin &lt;b&gt;ran&lt;/b&gt; a check" in dom      # escaped, not bold
    assert "<b>ran</b>" not in dom
    assert "Latency (ms)" in dom and "Recent requests" in dom
    for size in ((1280, 900), (800, 900)):
        layout_check(url, size)

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
