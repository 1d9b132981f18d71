#!/usr/bin/env python3
"""https_testd.py - a small HTTPS server for the MTA-STS fetch tests.

    python3 https_testd.py DIR

Generates, with the openssl CLI, into DIR: ca.pem (the test CA a client
trusts), a leaf for every mta-sts.<scenario>.test name, a leaf from a
second, untrusted CA (for mta-sts.untrusted.test) and one whose only name
is other.test (for mta-sts.wrongname.test).  Then listens on 127.0.0.1
(and ::1 when it can) on free ports and prints one line

    READY <port4> <port6>        (port6 0 when ::1 is not available)

Behaviour is chosen by the Host header, mta-sts.<scenario>.test (see
SCENARIOS); every request is appended to DIR/requests.log as
"<host> <path> ae=<Accept-Encoding> ua=<User-Agent>" ("-" for a header
not sent) before it is answered.  The server exits when its stdin
closes, so it never outlives the test that started it.
"""

import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

POLICY = (b"version: STSv1\r\nmode: enforce\r\nmx: mail.ok.test\r\n"
          b"mx: *.backup.ok.test\r\nmax_age: 86400\r\n")
BODY_MAX = 65536

SCENARIOS = ["ok", "charset", "upper", "html", "notype", "notfound", "error",
             "redirect", "target", "max", "over", "chunked", "slow",
             "untrusted", "wrongname"]


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".pem", "-subj", "/CN=" + name, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign", cwd=d)


def make_leaf(d, name, ca, sans):
    san = ",".join("DNS:" + s for s in sans)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + sans[0],
            "-addext", "subjectAltName=" + san, cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
            "-CAkey", ca + ".key", "-CAcreateserial", "-copy_extensions",
            "copyall", "-days", "1", "-out", name + ".pem", cwd=d)


def context(d, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(d, name + ".pem"),
                        os.path.join(d, name + ".key"))
    return ctx


def scenario_of(host):
    host = (host or "").split(":")[0].lower()
    if host.startswith("mta-sts.") and host.endswith(".test"):
        return host[len("mta-sts."):-len(".test")]
    return ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def head(self, status, ctype, extra):
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()

    def send(self, status, ctype, body, extra=()):
        self.head(status, ctype,
                  list(extra) + [("Content-Length", str(len(body)))])
        self.wfile.write(body)

    def do_GET(self):
        host = self.headers.get("Host", "")
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write("%s %s ae=%s ua=%s\n" % (
                    host, self.path, self.headers.get("Accept-Encoding", "-"),
                    self.headers.get("User-Agent", "-")))
        sc = scenario_of(host)
        self.close_connection = True
        if sc in ("ok", "target", "untrusted", "wrongname"):
            self.send(200, "text/plain", POLICY)
        elif sc == "charset":
            self.send(200, "text/plain; charset=utf-8", POLICY)
        elif sc == "upper":
            self.send(200, "Text/PLAIN ;charset=UTF-8", POLICY)
        elif sc == "html":
            self.send(200, "text/html", POLICY)
        elif sc == "notype":
            self.send(200, None, POLICY)
        elif sc == "notfound":
            self.send(404, "text/plain", b"not found\n")
        elif sc == "error":
            self.send(500, "text/plain", b"oops\n")
        elif sc == "redirect":
            loc = "https://mta-sts.target.test:%d/.well-known/mta-sts.txt" % (
                self.server.server_address[1])
            self.send(301, "text/plain", b"moved\n", [("Location", loc)])
        elif sc == "max":
            self.send(200, "text/plain", b"x" * BODY_MAX)
        elif sc == "over":
            self.send(200, "text/plain", b"x" * (BODY_MAX + 1))
        elif sc == "chunked":
            self.head(200, "text/plain", [("Transfer-Encoding", "chunked")])
            chunk = b"y" * 8192
            try:
                for _ in range(10):        # 80 KiB, no length announced
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
        elif sc == "slow":
            self.head(200, "text/plain", [("Content-Length", "1000")])
            try:
                for _ in range(1000):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        else:
            self.send(404, "text/plain", b"unknown scenario\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, addr, family, contexts, log_path, log_lock):
        self.address_family = family
        self.contexts = contexts
        self.log_path = log_path
        self.log_lock = log_lock
        ThreadingHTTPServer.__init__(self, addr, Handler)

    def server_bind(self):
        # HTTPServer's own asks DNS for getfqdn(host): no lookups here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        # The handshake runs on the request's own thread, not in accept().
        try:
            tls = self.contexts["default"].wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            ThreadingHTTPServer.finish_request(self, tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def main():
    d = sys.argv[1]
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    make_leaf(d, "leaf", "ca", ["mta-sts.%s.test" % s for s in SCENARIOS])
    make_leaf(d, "rogue", "rogue-ca", ["mta-sts.untrusted.test"])
    make_leaf(d, "wrongname", "ca", ["other.test"])
    contexts = {"default": context(d, "leaf")}
    by_sni = {"mta-sts.untrusted.test": context(d, "rogue"),
              "mta-sts.wrongname.test": context(d, "wrongname")}

    def pick(sslobj, name, ctx):
        if name in by_sni:
            sslobj.context = by_sni[name]

    contexts["default"].sni_callback = pick
    log_path = os.path.join(d, "requests.log")
    open(log_path, "w").close()
    lock = threading.Lock()
    servers = [Server(("127.0.0.1", 0), socket.AF_INET, contexts, log_path, lock)]
    port6 = 0
    try:
        servers.append(Server(("::1", 0), socket.AF_INET6, contexts, log_path, lock))
        port6 = servers[1].server_address[1]
    except OSError:
        pass
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    sys.stdout.write("READY %d %d\n" % (servers[0].server_address[1], port6))
    sys.stdout.flush()
    sys.stdin.read()            # until the test closes our stdin
    os._exit(0)


if __name__ == "__main__":
    main()
