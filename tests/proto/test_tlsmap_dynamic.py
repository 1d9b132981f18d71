#!/usr/bin/env python3
"""tlsmap's dynamic maps (DANE first, then MTA-STS) against an offline world.

The world (tests/lib/dnsworld.py, stsworld.py, tls_scenarios.py): nsd on a
loopback port serving the signed zones test. and expired. (ldns-signzone;
one TLSA edited after signing: bogus) and the unsigned plain., and an HTTPS
server with a test CA on port 443 of a loopback address of this run's own,
serving good and broken MTA-STS policies. tlsmap is pointed at nsd with
dns_stub_zones and at the zones' keys with dns_trust_anchor_file: every
answer is validated by the real libunbound, every policy fetched over real
TLS. The expected answer of each scenario is in tls_scenarios.
"""

import atexit
import os
import subprocess
import threading
import time

import pfhtest
from pfhtest import (Daemon, free_port, ns, ns_read, run_tests, tcp_connect,
                     need_root, need_tools, wait_for)

PROG = "tlsmap/tlsmap"

pfhtest.need_tools("nsd", "ldns-signzone", "ldns-keygen", "drill", "openssl")
need_root()   # the policy hosts listen on port 443

from dnsworld import DnsWorld                            # noqa: E402
from stsworld import StsWorld                            # noqa: E402
import tls_scenarios                                     # noqa: E402
from tls_scenarios import SCENARIOS, answer_ok, txt      # noqa: E402

# this run's own loopback address: parallel runs never share port 443
HOST_ADDR = "127.%d.%d.%d" % (100 + os.getpid() % 100, (os.getpid() >> 7) % 250 + 1,
                              os.getpid() % 250 + 2)

_world = {}


def world():
    """The DNS and HTTPS world, built once for the whole file."""
    if not _world:
        d = pfhtest.make_tmpdir(prefix="pfh-dnsw-")
        h = pfhtest.make_tmpdir(prefix="pfh-stsw-")
        # for the whole file: stopped at exit (DnsWorld registers itself)
        dns = DnsWorld(d, host_addr=HOST_ADDR).start()
        sts = StsWorld(h, addr=HOST_ADDR, port=443)
        sts.start()
        atexit.register(sts.stop)
        _world.update(dns=dns, sts=sts)
    return _world["dns"], _world["sts"]


def start(extra="", stubs=None, version="3.10", cache="@DIR@/cache"):
    """tlsmap with a plain and a TLSRPT dynamic map on one cache."""
    dns, sts = world()
    d = Daemon(PROG, config="""\
listen = inet:127.0.0.1:%d
maps = dyn=dynamic:%s rpt=dynamic-tlsrpt:%s
postfix_version = %s
postconf_command =
dns_stub_zones = %s
dns_trust_anchor_file = %s
dns_timeout = 4s
sts_ca_file = %s
sts_timeout = 3s
cache_min_ttl = 1s
control_listen = unix:@DIR@/control
reload_check_interval = 200ms
""" % (free_port(), cache, cache, version, stubs if stubs is not None else dns.stub_zones(),
       dns.trust_anchor_file, sts.ca_file) + extra)
    d.start()
    return d


def port_of(d):
    with open(d.config_file) as f:
        for line in f:
            if line.startswith("listen"):
                return int(line.rsplit(":", 1)[1])
    raise AssertionError("no listen")


class Client:
    def __init__(self, d):
        self.s = tcp_connect("127.0.0.1", port_of(d), timeout=30)

    def q(self, name, key, timeout=30):
        self.s.sendall(ns("%s %s" % (name, key)))
        return ns_read(self.s, timeout=timeout).decode()

    def close(self):
        self.s.close()


def ctl(d, *args):
    return subprocess.run([os.path.join(pfhtest.BUILDDIR, PROG), "-c",
                           d.config_file] + list(args),
                          capture_output=True, text=True, timeout=30)


@pfhtest.test
def test_every_scenario_answers_as_expected():
    dns, sts = world()
    with start() as d:
        c = Client(d)
        bad = []
        for sc in SCENARIOS.values():
            if sc.key in ("sts_id_change", "sts_max_age"):
                continue        # changed by their own tests
            a = c.q("dyn", sc.domain)
            if not answer_ok(sc, a):
                bad.append((sc.key, sc.expect, a))
            # the TLSRPT map: its pinned answer, and never attributes on
            # a DANE or an error answer
            r = c.q("rpt", sc.domain)
            rpt_head = "%s policy_type=sts policy_domain=%s " % (sc.expect,
                                                                 sc.domain)
            if sc.expect_tlsrpt is not None:
                if r != sc.expect_tlsrpt:
                    bad.append((sc.key + "/rpt", sc.expect_tlsrpt, r))
            elif sc.expect.startswith("OK secure"):
                if not r.startswith(rpt_head):
                    bad.append((sc.key + "/rpt", rpt_head + "...", r))
            elif not answer_ok(sc, r):
                bad.append((sc.key + "/rpt", sc.expect, r))
            if not r.startswith("OK secure"):
                assert "policy_type" not in r, (sc.key, r)
        c.close()
        assert bad == [], "\n".join("%s: want %r, got %r" % b for b in bad)
        # a redirect is never followed: its target never saw a request
        assert sts.requests("mta-sts.redirect-target.plain") == []
        # bogus: the DNSSEC failure is named, and logged as a warning
        assert d.wait_log(r"warning: dynamic: bogus\.test: TEMP: .*DNSSEC "
                          r"validation failed")


@pfhtest.test
def test_bogus_dane_is_temp_although_sts_says_secure():
    """bogus.test publishes a valid enforce STS policy: never served."""
    dns, sts = world()
    with start() as d:
        c = Client(d)
        for _ in range(3):      # cached or not, the same
            a = c.q("dyn", SCENARIOS["bogus"].domain)
            assert a.startswith("TEMP ") and "DNSSEC" in a, a
        assert sts.requests("mta-sts.bogus.test") == [], \
            "STS was consulted although DANE failed"
        c.close()


@pfhtest.test
def test_dns_down_is_temp_within_the_deadline():
    dead = "test.=127.0.0.1@%d plain.=127.0.0.1@%d" % (free_port(),
                                                       free_port())
    with start(stubs=dead, extra="dns_timeout = 2s\n") as d:
        c = Client(d)
        t0 = time.time()
        a = c.q("dyn", "dane.test")
        dt = time.time() - t0
        assert a.startswith("TEMP "), a
        assert 1.5 < dt < 4.0, dt
        # another connection is served meanwhile, at once
        c2 = Client(d)
        t0 = time.time()
        assert c2.q("dyn", ".dane.test") == "NOTFOUND "
        assert time.time() - t0 < 0.5
        c.close()
        c2.close()


@pfhtest.test
def test_forward_mode_validates_in_process():
    """dns_forwarders instead of stubs: every query goes to the forwarder
    (here the world's nsd, which answers but never validates), and
    libunbound still validates each answer itself against the anchors: the
    expired zone is TEMP, not the forwarder's word. A forwarder that does
    not answer is TEMP within the deadline."""
    dns, sts = world()
    fwd = "dns_forwarders = %s@%d\n" % (dns.addr, dns.port)
    with start(stubs="", extra=fwd) as d:
        c = Client(d)
        for key in ("sts_enforce", "absent_plain", "expired"):
            sc = SCENARIOS[key]
            a = c.q("dyn", sc.domain)
            assert answer_ok(sc, a), (key, sc.expect, a)
        c.close()
        assert d.wait_log(r"dynamic: dane\.expired: TEMP: .*DNSSEC")
    dead = "dns_forwarders = 127.0.0.1@%d\ndns_timeout = 2s\n" % free_port()
    with start(stubs="", extra=dead) as d:
        c = Client(d)
        t0 = time.time()
        a = c.q("dyn", "sts.plain")
        assert a.startswith("TEMP "), a
        assert time.time() - t0 < 4.0
        c.close()


@pfhtest.test
def test_keys_that_are_not_domains_answer_notfound_at_once():
    """Postfix's parent probes and [host]:port next hops: no DNS at all
    (the resolver here points at nothing, so any lookup would wait)."""
    dead = "test.=127.0.0.1@%d" % free_port()
    with start(stubs=dead) as d:
        c = Client(d)
        for key in (".sts.plain", "[sts.plain]:25", "[sts.plain]",
                    "127.0.0.1", "localhost", "a..b", "-x.test", "x_y.test"):
            t0 = time.time()
            assert c.q("dyn", key) == "NOTFOUND ", key
            assert time.time() - t0 < 0.5, key
        c.close()


@pfhtest.test
def test_sts_id_change_fetches_the_new_policy_at_once():
    dns, sts = world()
    sc = SCENARIOS["sts_id_change"]
    with start() as d:
        c = Client(d)
        assert c.q("dyn", sc.domain) == sc.expect
        sts.set_policy(sc.domain, sc.alt["policy"])
        # the body alone changed: the old policy stays (same id)
        time.sleep(1.5)
        assert c.q("dyn", sc.domain) == sc.expect
        dns.set_txt("_mta-sts." + sc.domain, sc.alt["txt"], ttl=1)
        wait_for(lambda: c.q("dyn", sc.domain) == sc.alt["expect"],
                 timeout=15, what="the new id's policy")
        # now the new id's host fails: the policy held stays in force,
        # and the failing host is asked once, not on every lookup
        n = len(sts.requests("mta-sts." + sc.domain))
        sts.set_status(sc.domain, 500)
        dns.set_txt("_mta-sts." + sc.domain, txt(3), ttl=1)
        # a lookup finds the TXT record due and checks it behind its answer
        wait_for(lambda: c.q("dyn", sc.domain) == sc.alt["expect"] and
                 len(sts.requests("mta-sts." + sc.domain)) > n,
                 timeout=15, interval=0.3, what="a fetch of id 3")
        for _ in range(5):
            time.sleep(0.5)
            assert c.q("dyn", sc.domain) == sc.alt["expect"]
        assert len(sts.requests("mta-sts." + sc.domain)) == n + 1, \
            sts.requests("mta-sts." + sc.domain)
        out = ctl(d, "explain", sc.domain).stdout
        assert "fetches of id 3 paused" in out, out
        c.close()


@pfhtest.test
def test_max_age_expiry_ends_the_policy():
    dns, sts = world()
    sc = SCENARIOS["sts_max_age"]
    with start() as d:
        c = Client(d)
        assert c.q("dyn", sc.domain) == sc.expect
        sts.set_status(sc.domain, 500)
        wait_for(lambda: c.q("dyn", sc.domain) == "NOTFOUND ", timeout=15,
                 what="max_age 2 to expire")
        c.close()


@pfhtest.test
def test_concurrent_lookups_of_one_domain_resolve_once():
    dns, sts = world()
    host = "mta-sts." + SCENARIOS["sts_crlf"].domain
    with start() as d:
        before = len(sts.requests(host))
        answers = []

        def one():
            c = Client(d)
            answers.append(c.q("dyn", SCENARIOS["sts_crlf"].domain))
            c.close()
        th = [threading.Thread(target=one) for _ in range(20)]
        for t in th:
            t.start()
        pfhtest.join_threads(th)
        assert answers == [SCENARIOS["sts_crlf"].expect] * 20, answers
        assert len(sts.requests(host)) == before + 1


@pfhtest.test
def test_restart_with_dns_down_answers_from_the_cache_file():
    dns, sts = world()
    wd = pfhtest.make_tmpdir(prefix="pfh-dyn-")
    cache = os.path.join(wd, "cache")
    with start(cache=cache) as d:
        c = Client(d)
        got = {k: c.q("dyn", SCENARIOS[k].domain)
               for k in ("dane", "dane_partial", "sts_enforce", "sts_testing")}
        c.close()
    assert os.path.exists(cache)
    dead = "test.=127.0.0.1@%d plain.=127.0.0.1@%d" % (free_port(),
                                                       free_port())
    with start(cache=cache, stubs=dead) as d:
        assert d.wait_log(r"4 cache entries read from")
        c = Client(d)
        for k, a in got.items():
            t0 = time.time()
            assert c.q("dyn", SCENARIOS[k].domain) == a, k
            assert time.time() - t0 < 0.5, k
        # what was never cached needs DNS, which is down: TEMP
        assert c.q("dyn", SCENARIOS["dane_implicit"].domain).startswith("TEMP")
        c.close()


@pfhtest.test
def test_full_disk_keeps_the_previous_cache_file():
    """The cache file's filesystem fills up: the periodic save (on the
    writer thread) fails once, says so, is not retried at every tick, and
    leaves the previous file whole; answers go on meanwhile. With room
    again, the save at the stop writes the new entry."""
    dns, sts = world()
    need_tools("mount", "umount")
    disk = pfhtest.make_tmpdir(prefix="pfh-disk-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0755",
                    "tmpfs", disk], check=True)
    pfhtest.add_cleanup(subprocess.run, ["umount", "-l", disk])
    cache = os.path.join(disk, "cache")
    sts_sc, dane_sc = SCENARIOS["sts_enforce"], SCENARIOS["dane"]
    with start(cache=cache) as d:
        c = Client(d)
        assert c.q("dyn", sts_sc.domain) == sts_sc.expect
        c.close()
    with open(cache) as f:
        before = f.read()
    assert " %s " % sts_sc.domain in before, before
    filler = os.path.join(disk, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"x" * 4096) > 0:
            pass
    except OSError:
        pass
    os.close(fd)
    with start(cache=cache) as d:
        c = Client(d)
        mark = d.log_mark()
        assert c.q("dyn", dane_sc.domain) == dane_sc.expect
        assert d.wait_log(r"warning: dynamic: cannot write the cache file "
                          r"%s: No space left on device \(the previous one "
                          r"is kept\)" % cache, since=mark)
        time.sleep(1.5)         # several ticks: one try a minute, not each
        assert d.log(since=mark).count("cannot write the cache file") == 1
        assert c.q("dyn", sts_sc.domain) == sts_sc.expect
        assert c.q("dyn", dane_sc.domain) == dane_sc.expect
        c.close()
        with open(cache) as f:
            assert f.read() == before
        assert sorted(os.listdir(disk)) == ["cache", "filler"]
        os.unlink(filler)
    assert d.wait_log(r"dynamic: cache saved to %s" % cache)
    with open(cache) as f:
        after = f.read()
    assert " %s " % dane_sc.domain in after and " %s " % sts_sc.domain in after


@pfhtest.test
def test_damaged_cache_file_keeps_the_good_records():
    dns, sts = world()
    wd = pfhtest.make_tmpdir(prefix="pfh-dyn-")
    path = os.path.join(wd, "cache")
    with start(cache=path) as d:
        c = Client(d)
        for k in ("dane", "dane_partial", "smart_mx"):
            c.q("dyn", SCENARIOS[k].domain)
        c.close()
    lines = open(path).read().splitlines(True)
    assert len(lines) == 4, lines
    # an admin's editor, or a crash of someone else's tool: a cut line
    with open(path, "w") as f:
        f.write(lines[0] + lines[1] + lines[2][:20] + "\n" + lines[3])
    with start(cache=path) as d:
        assert d.wait_log(r"cache file .*, line 3: .*the rest of the file is "
                          r"ignored")
        assert d.wait_log(r"1 cache entries read")
        c = Client(d)
        for k in ("dane", "dane_partial", "smart_mx"):
            assert answer_ok(SCENARIOS[k], c.q("dyn", SCENARIOS[k].domain))
        c.close()


@pfhtest.test
def test_control_socket_explain_purge_refresh():
    dns, sts = world()
    with start() as d:
        st = os.stat(d.path("control"))
        assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
        c = Client(d)
        c.q("dyn", "dane.test")
        c.q("dyn", "sts.plain")
        r = ctl(d, "explain", "dane.test")
        assert r.returncode == 0, r
        assert "dane: dane-only" in r.stdout and "answer: OK dane-only" in \
            r.stdout, r.stdout
        r = ctl(d, "explain", "sts.plain")
        assert "policy id 1" in r.stdout and "OK secure" in r.stdout, r.stdout
        r = ctl(d, "purge", "dane.test")
        assert r.returncode == 0 and "purged: 1 entry" in r.stdout, r
        assert "cache: no entry" in ctl(d, "explain", "dane.test").stdout
        assert "policy id 1" in ctl(d, "explain", "sts.plain").stdout
        n = len(sts.requests("mta-sts.sts.plain"))
        r = ctl(d, "refresh", "sts.plain")
        assert r.returncode == 0 and "refreshed: OK secure" in r.stdout, r
        assert len(sts.requests("mta-sts.sts.plain")) == n + 1
        r = ctl(d, "purge", "all")
        assert "purged:" in r.stdout
        r = ctl(d, "frobnicate", "x")
        assert r.returncode != 0
        # the Postfix socket does not take control verbs
        assert c.q("explain", "dane.test").startswith("PERM ")
        c.close()


@pfhtest.test
def test_postmap_reads_each_answer_type():
    postmap = need_tools("postmap")["postmap"]
    dns, sts = world()
    with start() as d:
        cf = pfhtest.make_tmpdir(prefix="pfh-pm-")
        open(os.path.join(cf, "main.cf"), "w").close()
        for k in ("dane", "dane_partial", "sts_enforce", "sts_testing"):
            sc = SCENARIOS[k]
            r = subprocess.run([postmap, "-c", cf, "-q", sc.domain,
                                "socketmap:inet:127.0.0.1:%d:dyn" % port_of(d)],
                               capture_output=True, text=True, timeout=60)
            if sc.expect == "NOTFOUND ":
                assert r.returncode == 1 and r.stdout == "", (k, r)
            else:
                assert r.returncode == 0, (k, r)
                assert "OK " + r.stdout.strip() == sc.expect, (k, r.stdout)


@pfhtest.test
def test_metrics_count_what_happened():
    from promparse import check_naming_scheme, mval, parse_exposition
    dns, sts = world()
    sp = free_port()
    with start(extra="status_listen = inet:127.0.0.1:%d\n" % sp) as d:
        c = Client(d)
        for k in ("dane", "dane", "bogus", "sts_enforce", "sts_404"):
            c.q("dyn", SCENARIOS[k].domain)
        c.close()
        st, text = pfhtest.http_text("http://127.0.0.1:%d/metrics" % sp)
        assert st == 200, st
        fams = parse_exposition(text)
        check_naming_scheme(fams, "tlsmap")
        assert mval(fams, "tlsmap_answers_total", kind="dynamic",
                    level="dane-only") == 2
        assert mval(fams, "tlsmap_dynamic_cache_lookups_total",
                    result="hit") == 1
        assert mval(fams, "tlsmap_dynamic_resolution_errors_total",
                    error="dnssec-bogus") == 1
        assert mval(fams, "tlsmap_dynamic_policy_fetch_errors_total",
                    error="http-status") == 1
        assert mval(fams, "tlsmap_dynamic_cache_entries") == 4
        st, page = pfhtest.http_text("http://127.0.0.1:%d/" % sp)
        assert "Recent dynamic decisions" in page and "bogus.test" in page


@pfhtest.test
def test_tlsrpt_map_needs_postfix_310():
    dns, sts = world()
    d = Daemon(PROG, config="""\
listen = inet:127.0.0.1:%d
maps = rpt=dynamic-tlsrpt:@DIR@/cache
postfix_version = 3.9
postconf_command =
""" % free_port())
    r = subprocess.run([d.prog, "-c", d.config_file, "check"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "dynamic-tlsrpt needs postfix_version " \
        "3.10" in r.stderr, r


@pfhtest.test
def test_check_judges_the_cache_dir_as_the_run_user():
    """check as root with `user` set: the cache directory must be writable
    by that user, not by root (who may write anywhere)."""
    import pwd
    dns, sts = world()
    nobody = pwd.getpwnam("nobody")
    base = pfhtest.make_tmpdir(prefix="pfh-dyncheck-", mode=0o755)
    rootdir = os.path.join(base, "root-only")
    os.mkdir(rootdir, 0o755)
    theirs = os.path.join(base, "theirs")
    os.mkdir(theirs, 0o755)
    os.chown(theirs, nobody.pw_uid, nobody.pw_gid)

    def check(cache):
        d = Daemon(PROG, config="""\
listen = inet:127.0.0.1:%d
maps = dyn=dynamic:%s
user = nobody
postconf_command =
dns_stub_zones = %s
dns_trust_anchor_file = %s
""" % (free_port(), cache, dns.stub_zones(), dns.trust_anchor_file))
        return subprocess.run([d.prog, "-c", d.config_file, "check"],
                              capture_output=True, text=True, timeout=30)
    r = check(os.path.join(rootdir, "cache"))
    assert r.returncode != 0, r
    assert "map dyn: cache file %s/cache: the daemon, as nobody, cannot " \
        "write it" % rootdir in r.stderr, r.stderr
    r = check(os.path.join(theirs, "cache"))
    assert r.returncode == 0, r
    assert "cannot write" not in r.stderr, r.stderr


if __name__ == "__main__":
    run_tests(module_globals=globals())
