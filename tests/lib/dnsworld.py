"""dnsworld - an offline DNSSEC world for tlsmap's `dynamic` map tests
(design: dynamic-tls.md section 5.1).  Python 3 standard library only;
needs nsd, ldns-keygen, ldns-signzone and drill (packages nsd, ldnsutils).

    with DnsWorld(tmpdir, host_addr="127.0.0.7") as w:
        w.stub_zones()        # "test.=127.0.0.1@PORT expired.=... plain.=..."
        w.trust_anchor_file   # DS of the test. and expired. KSKs
        w.set_txt("_mta-sts.idchange.plain", "v=STSv1; id=2;")

Zones built from tls_scenarios.SCENARIOS in tmpdir:
  test.     signed (ECDSAP256SHA256 KSK + ZSK, NSEC); the bogus scenario's
            record is corrupted in the signed file after signing;
  expired.  signed with its own KSK, signatures valid in January 2020 only;
  plain.    unsigned; the only zone set_txt()/set_records() re-write.
No delegations: the resolver under test reaches every zone through a stub
(dns_stub_zones), so nothing ever needs port 53.  test. is one of
libunbound's default local zones (RFC 6761: NXDOMAIN, asking no one) and a
stub does not override it: the resolver must ub_ctx_zone_remove() each stub
zone (tests/proto/test_dnsworld.py shows both).

nsd runs in the foreground (-d) from tmpdir on addr@port, its own session;
stop() ends it and anything it forked, by that process group, before the
leader is reaped (so the group id cannot have been reused).  Reload is
SIGHUP: nsd 4.6 re-reads every zone file whose mtime changed; set_records()
moves the mtime forward explicitly and waits until nsd serves the new SOA
serial.
"""

import atexit
import os
import signal
import socket
import subprocess
import time

import tls_scenarios
from tls_scenarios import HOST_A, DEFAULT_TTL, SCENARIOS, ZONES, zone_of

TOOLS = ("nsd", "ldns-keygen", "ldns-signzone", "drill")
EXPIRED_WINDOW = ("20200101000000", "20200201000000")

_SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"]


def _tool(name):
    for d in os.environ.get("PATH", "").split(os.pathsep) + _SBIN:
        p = os.path.join(d, name)
        if d and os.access(p, os.X_OK):
            return p
    raise RuntimeError("%s not found (packages nsd, ldnsutils)" % name)


def free_udp_tcp_port(addr):
    """A port free for both UDP and TCP on addr (DNS needs both)."""
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((addr, 0))
            port = t.getsockname()[1]
            try:
                u.bind((addr, port))
            except OSError:
                continue
            return port
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free UDP+TCP port on %s" % addr)


def group_alive(pgid):
    """The pids of running (not zombie) processes in process group pgid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(d))
    return out


def _quote_txt(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def parse_drill(out):
    """drill's text output -> {"rcode", "flags", "answer": [(owner, ttl,
    type, rdata)]}; owner without the trailing dot, TXT rdata unquoted."""
    res = {"rcode": None, "flags": set(), "answer": []}
    section = None
    for line in out.splitlines():
        if line.startswith(";; ->>HEADER<<-"):
            res["rcode"] = line.split("rcode:")[1].split(",")[0].strip()
        elif line.startswith(";; flags:"):
            res["flags"] = set(line.split(":")[1].split(";")[0].split())
        elif line.startswith(";; ANSWER SECTION"):
            section = "answer"
        elif line.startswith(";;"):
            section = None if "SECTION" in line else section
        elif section == "answer" and line.strip():
            f = line.split(None, 4)
            rdata = f[4] if len(f) > 4 else ""
            if f[3] == "TXT":
                rdata = "".join(p for p in rdata.strip().split('"')[1::2])
            res["answer"].append((f[0].rstrip("."), int(f[1]), f[3], rdata))
    return res


class DnsWorld:
    """The zones of tls_scenarios under a private nsd on addr@port."""

    def __init__(self, tmpdir, addr="127.0.0.1", port=None, host_addr=None):
        self.dir = tmpdir
        self.addr = addr
        self.port = port or free_udp_tcp_port(addr)
        self.host_addr = host_addr or "127.0.0.1"
        self.scenarios = SCENARIOS
        self.names = dict(tls_scenarios.NAMES)
        self.conf = self.path("nsd.conf")
        self.pidfile = self.path("nsd.pid")
        self.logfile = self.path("nsd.log")
        self.trust_anchor_file = self.path("trust-anchors.ds")
        self.proc = None
        self._serial = {z: 1 for z in ZONES}
        self._mtime_ns = 0
        self._records = {z: [] for z in ZONES}
        self._ksk_ds = {}
        for s in SCENARIOS.values():
            for rec in s.records:
                self._add(*rec)
            for host in s.https:
                self._add(host, "A", HOST_A)
        for z in ZONES:
            self._add("ns." + z, "A", HOST_A)
        self._build()
        atexit.register(self.stop)

    # ---- zone data -------------------------------------------------------

    def path(self, name):
        return os.path.join(self.dir, name)

    def zone_file(self, zone):
        """The file nsd serves for zone ("test", "expired", "plain")."""
        return self.path("%s.zone" % zone +
                         ("" if zone == "plain" else ".signed"))

    def _add(self, owner, rtype, rdata, ttl=None):
        rec = [owner.rstrip(".").lower(), ttl or DEFAULT_TTL, rtype, rdata]
        if rec not in self._records[zone_of(owner)]:
            self._records[zone_of(owner)].append(rec)

    def _zone_text(self, zone):
        lines = ["$ORIGIN %s." % zone,
                 "%s. %d IN SOA ns.%s. hostmaster.%s. %d 3600 600 86400 %d"
                 % (zone, DEFAULT_TTL, zone, zone, self._serial[zone],
                    DEFAULT_TTL),
                 "%s. %d IN NS ns.%s." % (zone, DEFAULT_TTL, zone)]
        for owner, ttl, rtype, rdata in self._records[zone]:
            if rdata == HOST_A:
                rdata = self.host_addr
            if rtype == "TXT":
                rdata = _quote_txt(rdata)
            lines.append("%s. %d IN %s %s" % (owner, ttl, rtype, rdata))
        return "\n".join(lines) + "\n"

    def _run(self, argv):
        r = subprocess.run(argv, cwd=self.dir, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s"
                               % (" ".join(argv), r.returncode, r.stderr))
        return r.stdout.strip()

    def _sign(self, zone, window=None):
        src = self.path(zone + ".zone")
        with open(src, "w") as f:
            f.write(self._zone_text(zone))
        keygen = _tool("ldns-keygen")
        ksk = self._run([keygen, "-a", "ECDSAP256SHA256", "-k", zone + "."])
        zsk = self._run([keygen, "-a", "ECDSAP256SHA256", zone + "."])
        argv = [_tool("ldns-signzone"), "-f", self.zone_file(zone)]
        if window:
            argv += ["-i", window[0], "-e", window[1]]
        self._run(argv + [src, ksk, zsk])
        self._ksk_ds[zone] = self.path(ksk + ".ds")

    def _corrupt(self, zone, owner, rtype):
        """Change one rdata byte of owner/rtype in the signed file, so its
        RRSIG no longer verifies (the bogus scenario)."""
        fn = self.zone_file(zone)
        with open(fn) as f:
            lines = f.read().split("\n")
        hits = 0
        for i, line in enumerate(lines):
            f = line.split("\t")
            if len(f) >= 5 and f[0] == owner + "." and f[3] == rtype:
                last = f[4][-1]
                f[4] = f[4][:-1] + ("0" if last != "0" else "1")
                lines[i] = "\t".join(f)
                hits += 1
        if hits == 0:
            raise RuntimeError("no %s %s in %s to corrupt" % (owner, rtype, fn))
        with open(fn, "w") as f:
            f.write("\n".join(lines))

    def _write_plain(self):
        fn = self.zone_file("plain")
        with open(fn + ".new", "w") as f:
            f.write(self._zone_text("plain"))
        os.rename(fn + ".new", fn)
        # nsd re-reads a zone file whose mtime differs from the loaded one;
        # two writes within a timestamp tick must still differ.
        self._mtime_ns = max(time.time_ns(), self._mtime_ns + 1000000000)
        os.utime(fn, ns=(self._mtime_ns, self._mtime_ns))

    def _build(self):
        self._sign("test")
        for s in SCENARIOS.values():
            if s.bogus:
                self._corrupt("test", *s.bogus)
        self._sign("expired", EXPIRED_WINDOW)
        self._write_plain()
        with open(self.trust_anchor_file, "w") as out:
            for z in ("test", "expired"):
                with open(self._ksk_ds[z]) as f:
                    out.write(f.read().strip() + "\n")
        zones = "".join('zone:\n  name: "%s."\n  zonefile: "%s"\n'
                        % (z, self.zone_file(z)) for z in ZONES)
        with open(self.conf, "w") as f:
            f.write("""\
server:
  ip-address: %(addr)s@%(port)d
  port: %(port)d
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "%(dir)s"
  pidfile: "%(dir)s/nsd.pid"
  logfile: "%(dir)s/nsd.log"
  database: ""
  zonelistfile: "%(dir)s/zone.list"
  xfrdfile: "%(dir)s/xfrd.state"
  xfrdir: "%(dir)s"
  server-count: 1
  verbosity: 2
  hide-version: yes
remote-control:
  control-enable: no
""" % {"addr": self.addr, "port": self.port, "dir": self.dir} + zones)

    def ksk_ds_file(self, zone):
        """The DS file of a signed zone's KSK (as ldns-keygen wrote it)."""
        return self._ksk_ds[zone]

    # ---- the resolver's view -----------------------------------------------

    def stub_zone_list(self):
        return ["%s.=%s@%d" % (z, self.addr, self.port) for z in ZONES]

    def stub_zones(self):
        """tlsmap's dns_stub_zones value: "test.=ADDR@PORT expired.=...". """
        return " ".join(self.stub_zone_list())

    def drill(self, name, rtype="A", *opts):
        """Run drill against the world; returns the CompletedProcess."""
        return subprocess.run([_tool("drill")] + list(opts) +
                              ["-p", str(self.port), "@" + self.addr,
                               name, rtype],
                              capture_output=True, text=True, timeout=30)

    def query(self, name, rtype="A", dnssec=False):
        """parse_drill() of one query (dnssec: with the DO bit)."""
        r = self.drill(name, rtype, *(["-D"] if dnssec else []))
        return parse_drill(r.stdout)

    def chase(self, name, rtype="A"):
        """drill -S (signature chase) to the world's trust anchors: its
        output; "Chase successful" means the chain verified."""
        r = self.drill(name, rtype, "-S", "-k", self.trust_anchor_file)
        return r.stdout + r.stderr

    def _serial_served(self, zone):
        ans = self.query(zone + ".", "SOA")["answer"]
        return int(ans[0][3].split()[2]) if ans else None

    # ---- nsd ---------------------------------------------------------------

    def start(self, timeout=15.0):
        if self.proc is not None:
            return self
        log = open(self.path("nsd.stderr"), "w")
        self.proc = subprocess.Popen([_tool("nsd"), "-d", "-c", self.conf],
                                     cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError("nsd exited: %s" % self.log())
            # drill waits 5 s on a UDP query nobody answers: ask only once
            # nsd's TCP listener accepts.
            if (self._listening() and
                    all(self._serial_served(z) == self._serial[z]
                        for z in ZONES)):
                return self
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("nsd did not answer: %s" % self.log())
            time.sleep(0.1)

    def _listening(self):
        try:
            socket.create_connection((self.addr, self.port), 1).close()
            return True
        except OSError:
            return False

    def log(self):
        out = ""
        for fn in ("nsd.stderr", "nsd.log"):
            try:
                with open(self.path(fn)) as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def stop(self):
        """End nsd and every process it forked; idempotent."""
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        # Wait without reaping: while the leader is an unreaped zombie its
        # pid (= the group id) cannot be reused, so the group signals below
        # only reach nsd's own processes.  nsd's server child outlives the
        # leader briefly (orphaned to init): wait until none is running.
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                gone = os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG |
                                 os.WNOWAIT) is not None
            except ChildProcessError:
                gone = True
            if gone and not group_alive(p.pid):
                break
            time.sleep(0.05)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- changing plain. while it runs ---------------------------------------

    def reload(self, timeout=10.0):
        """Make nsd serve the current plain. zone: SIGHUP, then wait for its
        SOA serial (nsd re-reads changed zone files on SIGHUP)."""
        if self.proc is None:
            return
        os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.time() + timeout
        while self._serial_served("plain") != self._serial["plain"]:
            if time.time() > deadline:
                raise RuntimeError("nsd did not load plain. serial %d: %s"
                                   % (self._serial["plain"], self.log()))
            time.sleep(0.05)

    def set_records(self, name, rtype, rdatas, ttl=None):
        """Replace name's rtype RRset in plain. (rdatas [] deletes it) and
        have nsd serve it before returning."""
        name = name.rstrip(".").lower()
        if zone_of(name) != "plain":
            raise ValueError("only plain. (unsigned) is re-written: %s" % name)
        old = [r for r in self._records["plain"]
               if r[0] == name and r[2] == rtype]
        keep_ttl = ttl or (old[0][1] if old else DEFAULT_TTL)
        self._records["plain"] = [r for r in self._records["plain"]
                                  if r not in old]
        for rd in rdatas:
            self._records["plain"].append([name, keep_ttl, rtype, rd])
        self._serial["plain"] += 1
        self._write_plain()
        self.reload()

    def set_txt(self, name, text, ttl=None):
        """Replace name's TXT record (e.g. the id-change scenario's
        _mta-sts TXT); the TTL stays unless given."""
        self.set_records(name, "TXT", [text], ttl)
