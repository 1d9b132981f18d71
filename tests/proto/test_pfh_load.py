#!/usr/bin/env python3
"""test_pfh_load - bench/pfh-load speaks the four protocols correctly.

Small servers written here (one per protocol, answering from fixed tables)
record every request they get; pfh-load runs against them with a short -n.
The tests check the counts on both sides, the request bytes, the rotation
through the spec file, and that wrong expectations, hang-ups, malformed
replies, timeouts and a dead server are reported as errors with a non-zero
exit. Then pfh-load --serve-constant is checked with pfh-load itself.
No timing is asserted: this runs on loaded CI machines.
"""

import base64
import os
import select
import socket
import socketserver
import struct
import subprocess
import threading
import time

from pfhtest import (BUILDDIR, Daemon, make_tmpdir, run_tests, skip, test)

PFH_LOAD = os.path.join(BUILDDIR, "bench", "pfh-load")

FP_A = "0B:E7:19:30:A4:1C:E9:2C:D8:33:81:8F:2B:FC:AE:BF:13:B4:77:F0:69:82:8B:1E:72:51:5E:49:28:30:39:59"
FP_B = "D7:04:2F:A7:0B:8C:A5:21:FA:31:77:E1:41:8A:EE:80"
FP_C = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
LISTED = {FP_A, FP_B}

# Postfix 3.7's attribute order (protocols.md 2.2), as pfh-load must send it.
POLICY_ATTRS_37 = [
    "request", "protocol_state", "protocol_name", "client_address",
    "client_name", "client_port", "reverse_client_name", "server_address",
    "server_port", "helo_name", "sender", "recipient", "recipient_count",
    "queue_id", "instance", "size", "etrn_domain", "stress", "sasl_method",
    "sasl_username", "sasl_sender", "ccert_subject", "ccert_issuer",
    "ccert_fingerprint", "ccert_pubkey_fingerprint", "encryption_protocol",
    "encryption_cipher", "encryption_keysize", "policy_context",
]


# --------------------------------------------------------------------------
# Test servers: threaded, on a unix socket, recording what they receive
# --------------------------------------------------------------------------

def _read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.connections = 0

    def conn(self):
        with self.lock:
            self.connections += 1

    def add(self, req):
        with self.lock:
            self.requests.append(req)


class SaslHandler(socketserver.StreamRequestHandler):
    """Cyrus saslauthd's shape: 4 counted strings, one reply, shutdown,
    drain to EOF. OK for password "s3cretPW", NO otherwise."""

    def handle(self):
        rec = self.server.rec
        rec.conn()
        try:
            fields = []
            for _ in range(4):
                n = struct.unpack(">H", _read_exact(self.rfile, 2))[0]
                fields.append(_read_exact(self.rfile, n).decode())
        except EOFError:
            return
        rec.add(tuple(fields))
        reply = b"OK" if fields[1] == "s3cretPW" else b"NO authentication failed"
        self.wfile.write(struct.pack(">H", len(reply)) + reply)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        while self.connection.recv(4096):
            pass


class PolicyHandler(socketserver.StreamRequestHandler):
    """Persistent policy connection: action=OK for listed fingerprints,
    DUNNO otherwise. Misbehaves on purpose for some senders."""

    def handle(self):
        rec = self.server.rec
        rec.conn()
        while True:
            attrs = []
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                if line == b"\n":
                    break
                name, _, value = line.rstrip(b"\n").decode().partition("=")
                attrs.append((name, value))
            rec.add(attrs)
            d = dict(attrs)
            sender = d.get("sender", "")
            if sender == "hangup@example.net":
                return
            if sender == "noaction@example.net":
                self.wfile.write(b"foo=bar\n\n")
            elif sender == "silent@example.net":
                # read on, never answer this one
                continue
            else:
                act = "OK" if d.get("ccert_fingerprint") in LISTED else "DUNNO"
                self.wfile.write(b"action=" + act.encode() + b"\n\n")
            self.wfile.flush()


class SocketmapHandler(socketserver.StreamRequestHandler):
    """Persistent socketmap connection: map "echo" answers "OK <key>", any
    other map NOTFOUND; the key "extra" gets a reply plus junk, the map
    "hang" never answers, the key "bye" is answered and the connection
    closed, as servers that limit requests per connection do."""

    def handle(self):
        rec = self.server.rec
        rec.conn()
        while True:
            digits = b""
            while True:
                ch = self.rfile.read(1)
                if not ch:
                    return
                if ch == b":":
                    break
                digits += ch
            payload = _read_exact(self.rfile, int(digits)).decode()
            if _read_exact(self.rfile, 1) != b",":
                return
            rec.add(payload)
            name, _, key = payload.partition(" ")
            if name == "hang":
                continue
            reply = ("OK " + key) if name == "echo" else "NOTFOUND "
            out = b"%d:%s," % (len(reply), reply.encode())
            if key == "extra":
                out += b"3:xyz,"
            self.wfile.write(out)
            self.wfile.flush()
            if key == "bye":
                return


class DovecotHandler(socketserver.StreamRequestHandler):
    """Dovecot's auth server as Postfix sees it: the handshake, then the
    client's VERSION and CPID must come first; each AUTH PLAIN is answered
    OK for password "s3cretPW", FAIL otherwise. The user "wrongid" gets
    an answer with another id. DONE is held back until VERSION and CPID
    are in and nothing followed them for 0.2 s: a client that sends AUTH
    before it has read DONE is recorded as such and hung up on."""

    def handle(self):
        rec = self.server.rec
        rec.conn()
        self.wfile.write(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\n"
                         b"MECH\tLOGIN\tplaintext\nSPID\t1\nCUID\t1\n"
                         b"COOKIE\t" + b"ab" * 16 + b"\n")
        self.wfile.flush()
        # the hello off the socket itself: nothing may follow it yet
        buf = b""
        while buf.count(b"\n") < 2:
            chunk = self.connection.recv(4096)
            if not chunk:
                return
            buf += chunk
        first = buf.split(b"\n", 2)
        if not first[0].startswith(b"VERSION\t1\t") or \
                not first[1].startswith(b"CPID\t"):
            rec.add(("bad-hello", buf))
            return
        if first[2] or select.select([self.connection], [], [], 0.2)[0]:
            rec.add(("auth-before-done", buf))
            return
        self.wfile.write(b"DONE\n")
        self.wfile.flush()
        while True:
            line = self.rfile.readline()
            if not line:
                return
            w = line.rstrip(b"\n").decode().split("\t")
            args = dict(x.partition("=")[::2] for x in w[3:])
            _, user, pw = base64.b64decode(args["resp"]).decode().split("\0")
            rec.add((w[0], w[1], w[2], user, pw, args.get("service"),
                     args.get("rip"), "secured" in args, "nologin" in args))
            if user == "slow":
                # answered late; a client gone meanwhile is recorded
                time.sleep(1.0)
                if select.select([self.connection], [], [], 0)[0] and \
                        not self.connection.recv(1, socket.MSG_PEEK):
                    rec.add(("hung-up-before-answer", w[1]))
                    return
            rid = "999" if user == "wrongid" else w[1]
            if pw == "s3cretPW":
                out = "OK\t%s\tuser=%s\n" % (rid, user)
            else:
                out = "FAIL\t%s\tuser=%s\n" % (rid, user)
            self.wfile.write(out.encode())
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def start_server(handler):
    d = make_tmpdir(prefix="pfh-load-")
    path = os.path.join(d, "sock")
    srv = Server(path, handler)
    srv.rec = Recorder()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, "unix:" + path


def stop_server(srv):
    srv.shutdown()
    srv.server_close()


# --------------------------------------------------------------------------
# Running pfh-load
# --------------------------------------------------------------------------

class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        lines = [l for l in proc.stdout.splitlines() if l.startswith("label=")]
        assert len(lines) == 1, "no machine line in %r / %r" % (
            proc.stdout, proc.stderr)
        self.kv = dict(f.split("=", 1) for f in lines[0].split())

    def __getitem__(self, k):
        return int(self.kv[k])

    def __repr__(self):
        return "rc=%s %s\nstderr: %s" % (self.rc, self.kv, self.stderr)


def pfh_load(*args, specs=None, timeout=60):
    argv = [PFH_LOAD] + list(args)
    if specs is not None:
        d = make_tmpdir(prefix="pfh-load-")
        f = os.path.join(d, "specs")
        with open(f, "w") as fh:
            fh.write(specs)
        argv[1:1] = ["-f", f]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout)
    return Result(p)


def need_binary():
    if not os.access(PFH_LOAD, os.X_OK):
        skip("bench/pfh-load not built")


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

SASL_SPECS = """\
# user password service realm expected
alice s3cretPW smtp example.org OK
bob wrong smtp - NO
"""


@test
def test_sasl_one_request_per_connection():
    need_binary()
    srv, ep = start_server(SaslHandler)
    try:
        r = pfh_load("-p", "sasl", "-c", "4", "-n", "40", ep, specs=SASL_SPECS)
    finally:
        stop_server(srv)
    assert r.rc == 0, r
    assert r["replies"] == 40 and r["ok"] == 40 and r["errors"] == 0, r
    assert r["connects"] == 40, r
    assert srv.rec.connections == 40, srv.rec.connections
    reqs = srv.rec.requests
    assert len(reqs) == 40
    assert reqs.count(("alice", "s3cretPW", "smtp", "example.org")) == 20, reqs
    assert reqs.count(("bob", "wrong", "smtp", "")) == 20, reqs


@test
def test_sasl_wrong_expectation_is_an_error():
    need_binary()
    srv, ep = start_server(SaslHandler)
    try:
        r = pfh_load("-p", "sasl", "-c", "2", "-n", "10", ep,
                     specs="alice s3cretPW smtp - NO\n")
    finally:
        stop_server(srv)
    assert r.rc == 1, r
    assert r["replies"] == 10 and r["mismatch"] == 10 and r["ok"] == 0, r
    assert 'expected "NO", got "OK"' in r.stderr, r.stderr
    # the report masks the password
    assert "s3cretPW" not in r.stderr and "s3cretPW" not in r.stdout


@test
def test_policy_persistent_postfix_requests():
    need_binary()
    srv, ep = start_server(PolicyHandler)
    specs = ("%s app@example.net OK\n%s - OK\n%s other@example.org DUNNO\n"
             % (FP_A, FP_B, FP_C))
    try:
        r = pfh_load("-p", "policy", "-c", "3", "-n", "300", ep, specs=specs)
    finally:
        stop_server(srv)
    assert r.rc == 0, r
    assert r["replies"] == 300 and r["ok"] == 300 and r["errors"] == 0, r
    # persistent: one connection per client, not per request
    assert srv.rec.connections == 3 and r["connects"] == 3, (srv.rec.connections, r)
    reqs = srv.rec.requests
    assert len(reqs) == 300
    for attrs in reqs:
        assert [n for n, _ in attrs] == POLICY_ATTRS_37, attrs
        d = dict(attrs)
        assert d["request"] == "smtpd_access_policy"
        assert d["protocol_state"] == "RCPT"
        assert d["ccert_pubkey_fingerprint"] not in LISTED
    fps = [dict(a)["ccert_fingerprint"] for a in reqs]
    assert fps.count(FP_A) == fps.count(FP_B) == fps.count(FP_C) == 100
    senders = [dict(a)["sender"] for a in reqs]
    assert senders.count("") == 100  # "-" is the null sender
    assert senders.count("app@example.net") == 100


@test
def test_policy_wrong_expectation_is_an_error():
    need_binary()
    srv, ep = start_server(PolicyHandler)
    specs = "%s - ok\n%s - OK\n" % (FP_A, FP_C)  # FP_C gets DUNNO
    try:
        r = pfh_load("-p", "policy", "-c", "2", "-n", "50", "-e", "1", ep,
                     specs=specs)
    finally:
        stop_server(srv)
    assert r.rc == 1, r
    assert r["replies"] == 50 and r["mismatch"] == 25 and r["ok"] == 25, r
    # -e 1: exactly one detailed report
    assert r.stderr.count("mismatch:") == 1, r.stderr


@test
def test_policy_hangup_and_missing_action_are_errors():
    need_binary()
    srv, ep = start_server(PolicyHandler)
    specs = ("%s hangup@example.net OK\n%s noaction@example.net OK\n"
             "%s app@example.net OK\n" % (FP_A, FP_A, FP_A))
    try:
        r = pfh_load("-p", "policy", "-c", "1", "-n", "6", ep, specs=specs)
    finally:
        stop_server(srv)
    assert r.rc == 1, r
    assert r["io_errors"] == 2 and r["proto_errors"] == 2, r
    assert r["ok"] == 2 and r["replies"] == 2, r
    # the 2nd hang-up came on a connection that had served a request:
    # sent once more on a new connection, as Postfix does
    assert r["retries"] == 1, r
    assert "without a complete reply" in r.stderr, r.stderr
    assert "bad reply" in r.stderr, r.stderr


@test
def test_policy_timeout():
    need_binary()
    srv, ep = start_server(PolicyHandler)
    try:
        r = pfh_load("-p", "policy", "-n", "2", "-T", "300", ep,
                     specs="%s silent@example.net OK\n" % FP_A)
    finally:
        stop_server(srv)
    assert r.rc == 1, r
    assert r["timeouts"] == 2 and r["replies"] == 0, r


@test
def test_socketmap_persistent_netstrings():
    need_binary()
    srv, ep = start_server(SocketmapHandler)
    specs = ("echo example.com OK example.com\n"
             "tlspolicy example.org NOTFOUND\n")
    try:
        r = pfh_load("-p", "socketmap", "-c", "2", "-n", "200", ep, specs=specs)
    finally:
        stop_server(srv)
    assert r.rc == 0, r
    assert r["replies"] == 200 and r["ok"] == 200, r
    assert srv.rec.connections == 2
    reqs = srv.rec.requests
    assert reqs.count("echo example.com") == 100, reqs[:4]
    assert reqs.count("tlspolicy example.org") == 100


@test
def test_socketmap_mismatch_and_extra_bytes():
    need_binary()
    srv, ep = start_server(SocketmapHandler)
    try:
        r = pfh_load("-p", "socketmap", "-n", "4", ep,
                     specs="echo a.example OK b.example\n")
        r2 = pfh_load("-p", "socketmap", "-n", "3", ep,
                      specs="echo extra OK extra\n")
    finally:
        stop_server(srv)
    assert r.rc == 1 and r["mismatch"] == 4, r
    assert 'got "OK a.example"' in r.stderr, r.stderr
    # a reply followed by bytes nobody asked for: the reply counts, the
    # junk is a protocol error and the connection is dropped
    assert r2.rc == 1 and r2["replies"] == 3 and r2["proto_errors"] == 3, r2
    assert r2["connects"] == 3, r2


@test
def test_server_closing_persistent_connection_is_retried():
    need_binary()
    srv, ep = start_server(SocketmapHandler)
    try:
        r = pfh_load("-p", "socketmap", "-n", "5", ep, specs="echo bye OK bye\n")
    finally:
        stop_server(srv)
    assert r.rc == 0, r
    assert r["replies"] == 5 and r["errors"] == 0, r
    assert r["retries"] == 4 and r["connects"] == 5, r
    assert srv.rec.connections == 5 and len(srv.rec.requests) == 5


@test
def test_dead_server_ends_in_errors():
    need_binary()
    d = make_tmpdir(prefix="pfh-load-")
    for proto in ("sasl", "policy", "socketmap"):
        r = pfh_load("-p", proto, "-c", "2", "-n", "5",
                     "unix:" + os.path.join(d, "nobody"))
        assert r.rc == 1, r
        assert r["io_errors"] == 5 and r["replies"] == 0, r


DOVECOT_SPECS = """\
# user password service rip expected
alice s3cretPW smtp 198.51.100.7 OK
bob wrong smtp - FAIL
"""


@test
def test_dovecot_handshake_then_auth_lines_on_kept_connections():
    need_binary()
    srv, ep = start_server(DovecotHandler)
    try:
        r = pfh_load("-p", "dovecot", "-c", "3", "-n", "30", ep,
                     specs=DOVECOT_SPECS)
    finally:
        stop_server(srv)
    assert r.rc == 0, r
    assert r["replies"] == 30 and r["ok"] == 30 and r["errors"] == 0, r
    assert r["connects"] == 3 and srv.rec.connections == 3, r
    reqs = srv.rec.requests
    assert len(reqs) == 30, reqs
    # the id is the spec's number; rip= only when the spec names one
    assert reqs.count(("AUTH", "1", "PLAIN", "alice", "s3cretPW", "smtp",
                       "198.51.100.7", True, True)) == 15, reqs
    assert reqs.count(("AUTH", "2", "PLAIN", "bob", "wrong", "smtp",
                       None, True, True)) == 15, reqs


@test
def test_dovecot_wrong_word_or_id_is_a_mismatch():
    need_binary()
    srv, ep = start_server(DovecotHandler)
    try:
        r = pfh_load("-p", "dovecot", "-n", "4", ep,
                     specs="alice s3cretPW smtp - FAIL\n")
        wid = pfh_load("-p", "dovecot", "-n", "2", ep,
                       specs="wrongid s3cretPW smtp - OK\n")
    finally:
        stop_server(srv)
    assert r.rc == 1 and r["mismatch"] == 4 and r["ok"] == 0, r
    assert 'expected "FAIL", got "OK' in r.stderr, r.stderr
    assert "s3cretPW" not in r.stderr and "s3cretPW" not in r.stdout
    assert wid.rc == 1 and wid["mismatch"] == 2, wid


@test
def test_dovecot_waits_for_the_answer_in_flight_at_the_end():
    # Dovecot's auth server stalls after a client hangs up with a request
    # pending; Postfix never does that, so neither does pfh-load
    need_binary()
    srv, ep = start_server(DovecotHandler)
    try:
        t0 = time.monotonic()
        r = pfh_load("-p", "dovecot", "-t", "0.3", ep,
                     specs="slow s3cretPW smtp - OK\n")
        dt = time.monotonic() - t0
    finally:
        stop_server(srv)
    assert r.rc == 1 and r["replies"] == 0, r     # none inside the window
    assert dt >= 1.0, dt
    assert not [q for q in srv.rec.requests
                if q[0] == "hung-up-before-answer"], srv.rec.requests


@test
def test_bad_spec_file_is_refused():
    need_binary()
    p = subprocess.run([PFH_LOAD, "-p", "sasl", "-r", "alice only", "-n", "1",
                        "unix:/nonexistent"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode != 0
    assert "USER PASSWORD SERVICE REALM" in p.stderr, p.stderr
    p = subprocess.run([PFH_LOAD, "-p", "nosuch", "unix:/x"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    assert p.returncode == 2 and "usage" in p.stderr


@test
def test_serve_constant_all_protocols():
    need_binary()
    cases = [
        ("sasl", [], "u p smtp - OK"),
        ("policy", [], FP_A + " - DUNNO"),
        ("policy", ["-a", "REJECT go away"], FP_A + " - reject go"),
        ("socketmap", [], "tlspolicy example.com NOTFOUND"),
        ("socketmap", ["-a", "OK secure"], "tlspolicy example.com OK secure"),
        ("dovecot", [], "u p smtp 127.0.0.1 OK"),
        ("dovecot", ["-a", "FAIL"], "u p smtp - FAIL"),
    ]
    for proto, extra, spec in cases:
        d = make_tmpdir(prefix="pfh-load-")
        ep = "unix:" + os.path.join(d, "sock")
        srv = Daemon(PFH_LOAD, args=["-p", proto, "--serve-constant"] + extra
                     + [ep], foreground=False, name="pfh-load-serve")
        srv.start()
        try:
            r = pfh_load("-p", proto, "-c", "4", "-n", "500", "-r", spec, ep)
            bad = pfh_load("-p", proto, "-n", "3", "-r", spec + "X", ep)
            dur = pfh_load("-p", proto, "-c", "2", "-t", "0.3", "-r", spec, ep)
        finally:
            assert srv.stop() == 0
        assert r.rc == 0 and r["replies"] == 500 and r["ok"] == 500, (proto, r)
        assert bad.rc == 1 and bad["mismatch"] == 3, (proto, bad)
        assert dur.rc == 0 and dur["replies"] > 0 and dur["errors"] == 0, dur


if __name__ == "__main__":
    run_tests()
