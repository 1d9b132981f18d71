#!/usr/bin/env python3
"""tlsmap's tables under attack from their own file (issue #12).

A table emptied in place, cut short, still being written, cut by a full
disk, or losing most of its entries must never replace a good table: a
`secure` destination that answers NOTFOUND is a silent TLS downgrade.
And a reload, however big, must not stall the lookups.
"""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pfhtest
from pfhtest import (Daemon, DaemonError, free_port, run_tests, skip,
                     unix_connect, wait_for)
from promparse import mval, parse_exposition

PROG = "tlsmap/tlsmap"

POLICY = """\
example.com        secure match=.example.com
mx.example.net     verify
.example.org       verify
a.example          encrypt
b.example          encrypt
c.example          may
"""
SECURE = b"OK secure match=.example.com"


def start(policy=POLICY, options=None, mapdir=None, **kw):
    mapdir = mapdir or "@DIR@"
    d = Daemon(PROG, config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:%s/tls_policy
reload_check_interval = 200ms
""" % mapdir, options=options, **kw)
    if policy is not None:
        d.write(os.path.join(mapdir.replace("@DIR@", d.dir), "tls_policy"),
                policy)
    return d


def q(s, key):
    return pfhtest.socketmap_query(s, "tlspolicy", key)


def conn(d):
    return unix_connect(d.path("tlsmap.sock"))


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=5) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


def table_errors(port):
    m = parse_exposition(http_get(port, "/metrics"))
    return mval(m, "pfhelpers_table_errors", source="tlspolicy")


def map_result(port):
    doc = json.loads(http_get(port, "/status.json"))
    maps = [x for x in doc["sections"] if x["id"] == "maps"][0]
    return [r for r in maps["tables"][0]["rows"] if r[0] == "tlspolicy"][0]


def test_emptied_in_place_keeps_secure():
    """`: > tls_policy`: the old table answers, the status shows why, and
    `touch tls_policy.confirm` lets the empty table in."""
    port = free_port()
    with start(options={"status_listen": "inet:127.0.0.1:%d" % port}) as d, \
            conn(d) as s:
        path = d.path("tls_policy")
        assert q(s, "example.com") == SECURE
        with open(path, "w"):
            pass                    # : > tls_policy
        d.reload()
        wait_for(lambda: table_errors(port) == 1, what="the refusal counted")
        assert q(s, "example.com") == SECURE
        row = map_result(port)
        assert row[3] == "6", row
        assert row[6].startswith("%s: no entries" % path), row
        assert "touch %s.confirm" % path in row[6], row
        d.wait_log(r"error: %s: no entries .*; keeping the table loaded "
                   r"before" % path)
        # still refused on every later tick, and still answering
        time.sleep(0.5)
        assert q(s, "example.com") == SECURE
        # the admin confirms: the empty table loads
        d.write("tls_policy.confirm", "")
        wait_for(lambda: q(s, "example.com") == b"NOTFOUND ",
                 what="confirmed empty table")
        assert table_errors(port) == 0


def test_shrink_held_until_confirmed():
    port = free_port()
    with start(options={"status_listen": "inet:127.0.0.1:%d" % port}) as d, \
            conn(d) as s:
        path = d.path("tls_policy")
        d.write("tls_policy", "c.example may\n")
        wait_for(lambda: table_errors(port) == 1, what="the shrink held")
        assert "would drop 5 of its 6 entries (83%, more than " \
            "table_shrink_limit = 50%)" in map_result(port)[6]
        assert q(s, "example.com") == SECURE
        assert q(s, "c.example") == b"OK may"
        os.utime(d.write("tls_policy.confirm", ""))
        wait_for(lambda: q(s, "example.com") == b"NOTFOUND ",
                 what="confirmed smaller table")
        assert q(s, "c.example") == b"OK may"
        # a later cut is not covered by the old confirmation
        d.write("tls_policy", "")
        wait_for(lambda: table_errors(port) == 1, what="the empty file held")
        assert q(s, "c.example") == b"OK may"
    # table_shrink_limit = 0: any loss is fine, an empty file still is not
    with start(options={"table_shrink_limit": "0"}) as d, conn(d) as s:
        d.write("tls_policy", "c.example may\n")
        wait_for(lambda: q(s, "example.com") == b"NOTFOUND ",
                 what="shrink allowed")


def test_unterminated_last_line():
    """A last line without its newline: refused on reload and at start."""
    with start() as d, conn(d) as s:
        path = d.path("tls_policy")
        mark = d.log_mark()
        d.write("tls_policy", POLICY + "new.example secure match=.ex")
        d.reload()
        d.wait_log(r"error: %s, line 7: no newline at end of file: the file "
                   r"may be cut short .*; keeping the table loaded before"
                   % path, since=mark)
        assert q(s, "example.com") == SECURE
        assert q(s, "new.example") == b"NOTFOUND "
    d = start(policy=POLICY.rstrip("\n"))
    with d, conn(d) as s:
        # a first load refused: the map answers TEMP, never a wrong policy
        r = q(s, "example.com")
        assert r.startswith(b"TEMP map tlspolicy is not loaded: %s, line 6: "
                            b"no newline at end of file"
                            % d.path("tls_policy").encode()), r


def test_file_changing_while_read_never_loads_half():
    """Half the file, a pause, the rest: the half is never loaded."""
    with start(options={"table_shrink_limit": "0"}) as d, conn(d) as s:
        lines = POLICY.splitlines(True)
        seen = set()
        with open(d.path("tls_policy"), "w") as f:
            f.write("".join(lines[:2]))     # example.com, mx.example.net
            f.flush()
            deadline = time.monotonic() + 0.8
            while time.monotonic() < deadline:
                seen.add(q(s, "c.example"))
                time.sleep(0.02)
            f.write("".join(lines[2:]).replace("may", "encrypt"))
        wait_for(lambda: q(s, "c.example") == b"OK encrypt",
                 what="the whole new file")
        assert seen == {b"OK may"}, seen
        assert "2 entries" not in d.log(), d.log()


def test_full_disk_cut_never_loaded():
    """A table written onto a full tmpfs is cut short: never loaded."""
    if os.geteuid() != 0:
        skip("mounting a tmpfs needs root")
    base = pfhtest.make_tmpdir(prefix="pfh-full-")
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755",
                        "pfh-full", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
    pfhtest.add_cleanup(subprocess.run, ["umount", "-l", mnt])
    # 37-byte lines: no page boundary ever falls right after a newline
    line = "host%05d.example encrypt           \n"
    assert len(line % 0) == 37
    old = "".join(line % i for i in range(100))
    d = start(policy=old, mapdir=mnt, options={"table_settle_time": "200ms"})
    with d, conn(d) as s:
        assert q(s, "host00042.example") == b"OK encrypt"
        # fill the disk, then free two pages: with the page of the table
        # itself, the new table gets three and is cut at 12288 bytes
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError:
            pass
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - 2 * 4096))
        os.close(fd)
        mark = d.log_mark()
        new = "".join(line % i for i in range(1000)).replace("encrypt", "secure ")
        try:
            with open(os.path.join(mnt, "tls_policy"), "w") as f:
                f.write(new)
            cut = False
        except OSError:
            cut = True
        size = os.path.getsize(os.path.join(mnt, "tls_policy"))
        assert cut and 0 < size < len(new), (cut, size)
        d.reload()
        d.wait_log(r"no newline at end of file.*keeping the table loaded "
                   r"before", since=mark)
        time.sleep(0.5)
        assert q(s, "host00042.example") == b"OK encrypt"
        assert q(s, "host00150.example") == b"NOTFOUND "


def test_missing_or_empty_map_at_start():
    """A missing or empty map is a start-up error naming the file; an
    empty one is allowed once confirmed."""
    for text in (None, "", "# nothing yet\n"):
        d = start(policy=text)
        path = d.path("tls_policy")
        try:
            d.start()
        except DaemonError:
            pass
        assert d.stop() == 69, d.log()
        if text is None:
            d.wait_log(r"map tlspolicy: open %s: No such file" % path)
        else:
            d.wait_log(r"map tlspolicy: %s: no entries .* confirm with: "
                       r"touch %s.confirm" % (path, path))
        d.cleanup()
    d = start(policy="")
    d.write("tls_policy.confirm", "")
    with d, conn(d) as s:
        assert q(s, "example.com") == b"NOTFOUND "


def test_million_entry_reload_keeps_lookups_fast():
    """A 1,000,000-entry reload parses off the loop: the slowest lookup
    while it runs stays far below the reload's own duration."""
    n = 1000000
    big = "".join("h%07d.example encrypt\n" % i for i in range(n))
    d = start(policy="example.com secure match=.example.com\n" + big,
              ready_timeout=60)
    with d, conn(d) as s:
        path = d.path("tls_policy")
        # the new file, written aside, old enough to need no settling
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write("example.com dane-only\n" + big)
        os.utime(tmp, (time.time() - 10, time.time() - 10))
        before = []
        for _ in range(300):
            t0 = time.monotonic()
            q(s, "example.com")
            before.append(time.monotonic() - t0)
        os.rename(tmp, path)
        during = []
        t_start = time.monotonic()
        d.send_signal(signal.SIGHUP)
        while True:
            t0 = time.monotonic()
            r = q(s, "example.com")
            during.append(time.monotonic() - t0)
            if r == b"OK dane-only":
                break
            assert r == SECURE, r
            assert time.monotonic() - t_start < 60, "no reload in 60 s"
        duration = time.monotonic() - t_start
        during.sort()
        before.sort()
        p99 = during[int(len(during) * 0.99)]
        print("# reload %.3f s, %d lookups meanwhile: max %.1f ms, p99 %.1f "
              "ms (before: max %.1f ms)" % (duration, len(during),
                                            during[-1] * 1e3, p99 * 1e3,
                                            before[-1] * 1e3))
        assert duration > 0.2, "the reload was too quick to matter"
        assert during[-1] < 0.25 * duration, (during[-1], duration)
        assert q(s, "h0999999.example") == b"OK encrypt"


if __name__ == "__main__":
    run_tests()
