"""stsworld - the HTTPS side of tlsmap's offline test world: every
mta-sts.<domain> policy host of tls_scenarios on one address and port
(design: dynamic-tls.md section 5.2).  Python 3 standard library plus the
openssl command (certificates).

    with StsWorld(tmpdir, "127.0.0.7", port=443) as s:
        s.ca_file                     # the CA tlsmap must trust
        s.set_policy("idchange.plain", body)
        s.requests("mta-sts.redirect-target.plain")   # [] : never contacted

Behaviour is chosen by the Host header (tls_scenarios.Behaviour).  One leaf
certificate, from the test CA, names every trusted host; the hosts marked
untrusted get a leaf (right names) from a second CA that ca_file does not
contain -- picked by the SNI callback.  The TLS handshake runs in the
request's own thread, so a slow or silent client blocks nobody.
"""

import http.client
import http.server
import os
import socket
import ssl
import subprocess
import threading

import tls_scenarios
from tls_scenarios import POLICY_PATH, behave


def _openssl(argv, cwd):
    r = subprocess.run(["openssl"] + argv, cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(argv), r.stderr))


def make_ca(d, name, cn):
    """A P-256 CA: returns (cert path, key path)."""
    _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
              "-out", name + ".pem", "-subj", "/CN=" + cn,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-days", "30"], d)
    return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")


def make_leaf(d, name, ca, hosts):
    """A leaf for hosts signed by ca (cert, key): returns (cert, key)."""
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                "subjectAltName=%s\n"
                % ",".join("DNS:" + h for h in hosts))
    _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
              "-out", name + ".csr", "-subj", "/CN=" + hosts[0]], d)
    _openssl(["x509", "-req", "-in", name + ".csr", "-CA", ca[0],
              "-CAkey", ca[1], "-set_serial",
              str(int.from_bytes(os.urandom(8), "big")),
              "-extfile", ext, "-days", "7", "-out", name + ".pem"], d)
    return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")


def policy_host(domain_or_host):
    h = domain_or_host.rstrip(".").lower()
    return h if h.startswith("mta-sts.") else "mta-sts." + h


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    world = None

    def finish_request(self, request, client_address):
        # In the request's thread (ThreadingMixIn): the TLS handshake.
        request.settimeout(10)
        try:
            tls = self.world._ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass        # a client hanging up on the slow body is expected


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stsworld"

    def log_message(self, *args):
        pass

    def _head(self, status, ctype, length=None, extra=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_GET(self):
        w = self.server.world
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        w._record(host, self.path)
        b = w.behaviour(host)
        if b is None or self.path != POLICY_PATH:
            msg = b"no such policy\n"
            self._head(404, "text/plain", len(msg))
            self.wfile.write(msg)
            return
        body = b.body.encode("utf-8")
        if b.kind == "policy":
            self._head(b.status, b.ctype, len(body))
            self.wfile.write(body)
        elif b.kind == "status":
            msg = ("status %d\n" % b.status).encode()
            self._head(b.status, "text/plain", len(msg))
            self.wfile.write(msg)
        elif b.kind == "redirect":
            self._head(b.status, "text/plain", 0,
                       [("Location", b.location)])
        elif b.kind == "chunked":
            self._head(200, b.ctype, None,
                       [("Transfer-Encoding", "chunked")])
            for i in range(0, len(body), 4096):
                part = body[i:i + 4096]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif b.kind == "slow":
            self._head(200, b.ctype, len(body))
            for i in range(len(body)):
                if w._stopping.wait(b.interval):
                    return
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
        else:
            raise ValueError("unknown behaviour %r" % (b.kind,))


class StsWorld:
    """The scenarios' policy hosts over HTTPS on addr:port, in a thread."""

    def __init__(self, tmpdir, addr="127.0.0.1", port=443):
        self.dir = tmpdir
        self.addr = addr
        self.port = port
        self._lock = threading.Lock()
        self._behaviour = dict(tls_scenarios.https_hosts())
        self._requests = {}
        self._handshakes = {}
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        trusted = sorted(h for h, b in self._behaviour.items()
                         if not b.untrusted)
        untrusted = sorted(h for h, b in self._behaviour.items()
                           if b.untrusted)
        ca = make_ca(tmpdir, "ca", "tlsmap-test-ca")
        bad_ca = make_ca(tmpdir, "untrusted-ca", "tlsmap-untrusted-ca")
        self.ca_file = ca[0]
        self.untrusted_ca_file = bad_ca[0]
        self.leaf = make_leaf(tmpdir, "leaf", ca, trusted)
        self.bad_leaf = make_leaf(tmpdir, "bad-leaf", bad_ca, untrusted)
        self._untrusted = set(untrusted)
        self._ctx = self._context(self.leaf)
        self._bad_ctx = self._context(self.bad_leaf)
        self._ctx.sni_callback = self._sni

    @staticmethod
    def _context(leaf):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(*leaf)
        return ctx

    def _sni(self, sock, server_name, ctx):
        name = (server_name or "").lower()
        with self._lock:
            self._handshakes[name] = self._handshakes.get(name, 0) + 1
        if name in self._untrusted:
            sock.context = self._bad_ctx
        return None

    def _record(self, host, path):
        with self._lock:
            self._requests.setdefault(host, []).append(path)

    # ---- what a test reads ---------------------------------------------------

    def behaviour(self, host):
        with self._lock:
            return self._behaviour.get(host)

    def requests(self, host):
        """The paths requested with this Host header, in order."""
        with self._lock:
            return list(self._requests.get(policy_host(host), []))

    def handshakes(self, host):
        """TLS handshakes that asked for this name by SNI."""
        with self._lock:
            return self._handshakes.get(policy_host(host), 0)

    def clear_requests(self):
        with self._lock:
            self._requests.clear()
            self._handshakes.clear()

    def hosts(self):
        with self._lock:
            return sorted(self._behaviour)

    # ---- what a test changes ---------------------------------------------------

    def set_behaviour(self, domain, b):
        with self._lock:
            self._behaviour[policy_host(domain)] = b

    def set_policy(self, domain, body, ctype=None):
        """Serve body (200) for domain's policy host from now on."""
        old = self.behaviour(policy_host(domain))
        self.set_behaviour(domain, behave(
            body=body, ctype=ctype or (old.ctype if old else "text/plain"),
            untrusted=bool(old and old.untrusted)))

    def set_status(self, domain, code):
        """Answer domain's policy host with a bare status code."""
        old = self.behaviour(policy_host(domain))
        self.set_behaviour(domain, behave(
            kind="status", status=code,
            untrusted=bool(old and old.untrusted)))

    # ---- running -------------------------------------------------------------

    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        srv = _Server((self.addr, self.port), _Handler)
        srv.world = self
        self.port = srv.server_address[1]
        self._server = srv
        self._thread = threading.Thread(target=srv.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="stsworld", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        srv, self._server = self._server, None
        if srv is None:
            return
        self._stopping.set()
        srv.shutdown()
        srv.server_close()
        self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- a client, for tests -------------------------------------------------

    def url(self, domain):
        return "https://%s%s" % (policy_host(domain), POLICY_PATH)

    def fetch(self, domain, timeout=5.0, cafile=None, path=POLICY_PATH):
        """GET domain's policy like an MTA-STS client, connecting to this
        world whatever the name resolves to; never follows a redirect.
        Returns (status, {header: value} lower-case names, body bytes)."""
        host = policy_host(domain)
        ctx = ssl.create_default_context(cafile=cafile or self.ca_file)
        conn = http.client.HTTPSConnection(host, self.port, timeout=timeout,
                                           context=ctx)
        conn.sock = ctx.wrap_socket(
            socket.create_connection((self.addr, self.port), timeout),
            server_hostname=host)
        try:
            conn.request("GET", path, headers={"Host": host})
            r = conn.getresponse()
            body = r.read()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    body)
        finally:
            conn.close()

