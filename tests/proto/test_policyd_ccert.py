#!/usr/bin/env python3
"""Protocol tests for policyd-ccert: the real binary over its real sockets.

Covers every decision path (over inet and unix listeners), the wire rules
(pipelining, split writes, garbage and oversize requests answered by a
disconnect without a reply while other clients are still served, a client
vanishing mid-request), the identities file lifecycle (SIGHUP under load
without a dropped connection, a bad file keeping the old table, a changed
file picked up without a signal), SIGTERM, bad configs, a default_action
that permits (an open relay: refused by -n, at start and on SIGHUP unless
default_action_open_relay = yes confirms it, and then warned about), and
the enrol tool's fingerprints against openssl's.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pfhtest
from pfhtest import (Daemon, DaemonError, policy_query, policy_read_reply,
                     policy_request, recv_until_closed, is_closed,
                     tcp_connect, unix_connect, free_port, skip, wait_for)

PROG = "policyd-ccert/policyd-ccert"
ENROL = os.path.join(pfhtest.BUILDDIR, "policyd-ccert/policyd-ccert-enrol")


def fp(seed, digest="sha256"):
    """A Postfix-style fingerprint (upper-case hex with colons)."""
    d = hashlib.new(digest, seed.encode()).digest()
    return ":".join("%02X" % b for b in d)


def bare(f):
    return f.replace(":", "")


PK_BOB = fp("bob-key")                  # sha256 public key pin
CERT_BOB = fp("bob-cert")
PK_MD5 = fp("legacy-key", "md5")        # md5 (compatibility_level < 3.6)
CERT_RELAY = fp("relay-cert")           # listed as a certificate pin
PK_OLD = fp("old-key")
PK_SENDERS = fp("senders-key")
PK_UNKNOWN = fp("nobody-key")

IDENTITIES = """\
# written by test_policyd_ccert.py
sha256:{pk_bob_lower} laptop-bob kind=pubkey note="Bob's laptop"
{pk_md5_bare_lower} legacy-box
{cert_relay} relay-host kind=cert
{pk_old} old-box expires=2001-01-01
{pk_senders} app-server senders=@example.net,boss@example.org
""".format(pk_bob_lower=PK_BOB.lower(), pk_md5_bare_lower=bare(PK_MD5).lower(),
           cert_relay=CERT_RELAY, pk_old=PK_OLD, pk_senders=PK_SENDERS)


def request(**kw):
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
             ("protocol_name", "ESMTP"), ("client_address", "198.51.100.7"),
             ("client_name", "host7.example.net"),
             ("sender", "app@example.net"), ("recipient", "user@outside.example"),
             ("ccert_fingerprint", ""), ("ccert_pubkey_fingerprint", ""),
             ("policy_context", "")]
    out = []
    for k, v in attrs:
        out.append((k, kw.pop(k, v)))
    out.extend(kw.items())
    return out


def start(extra_conf="", identities=IDENTITIES, listen=None, **kw):
    d = Daemon(PROG, config="", wait_ready=False, **kw)
    ids = d.write("identities", identities)
    if listen is None:
        listen = "unix:" + d.path("policy.sock")
    d.conf_head = ("listen = %s\nidentities = %s\n"
                   "reload_check_interval = 200ms\n" % (listen, ids))
    d.write(d.config_file, d.conf_head + extra_conf)
    d.wait_ready = True
    d.start()
    d.ids_path = ids
    d.sock_path = d.path("policy.sock")
    return d


def connect(d):
    return unix_connect(d.sock_path)


DECISIONS = [
    # (what, attrs, expected action, identity in the log)
    ("pubkey sha256 pin (lower case in the file)",
     dict(ccert_pubkey_fingerprint=PK_BOB, ccert_fingerprint=CERT_BOB),
     "OK", "laptop-bob"),
    ("pubkey md5 pin (no colons in the file)",
     dict(ccert_pubkey_fingerprint=PK_MD5, ccert_fingerprint=fp("x", "md5")),
     "OK", "legacy-box"),
    ("certificate pin",
     dict(ccert_pubkey_fingerprint=PK_UNKNOWN, ccert_fingerprint=CERT_RELAY),
     "OK", "relay-host"),
    ("not listed",
     dict(ccert_pubkey_fingerprint=PK_UNKNOWN, ccert_fingerprint=fp("y")),
     "DUNNO", None),
    ("no certificate", dict(), "DUNNO", None),
    ("expired", dict(ccert_pubkey_fingerprint=PK_OLD),
     "REJECT client certificate expired", "old-box"),
    ("sender allowed (domain)",
     dict(ccert_pubkey_fingerprint=PK_SENDERS, sender="Mailer@Example.NET"),
     "OK", "app-server"),
    ("sender allowed (address)",
     dict(ccert_pubkey_fingerprint=PK_SENDERS, sender="boss@example.org"),
     "OK", "app-server"),
    ("sender mismatch",
     dict(ccert_pubkey_fingerprint=PK_SENDERS, sender="eve@example.org"),
     "REJECT 5.7.1 sender not allowed for this client certificate",
     "app-server"),
    ("null sender without <> in the list",
     dict(ccert_pubkey_fingerprint=PK_SENDERS, sender=""),
     "REJECT 5.7.1 sender not allowed for this client certificate",
     "app-server"),
    ("not a policy request",
     dict(request="junk", ccert_pubkey_fingerprint=PK_BOB), "DUNNO", None),
]

CONF_EXPIRED = "expired_action = REJECT client certificate expired\n"


def check_decisions(d, sock):
    for what, attrs, want, ident in DECISIONS:
        mark = d.log_mark()
        got = policy_query(sock, request(**attrs))
        assert got == {"action": want}, "%s: got %r" % (what, got)
        if attrs.get("request") == "junk":
            continue
        m = d.wait_log(r"decision: action=\"([^\"]*)\".* identity=(\S+) ",
                       since=mark)
        assert m.group(1) == want, what
        assert m.group(2) == (ident or "-"), "%s: %s" % (what, m.group(0))


def test_decisions_unix():
    with start(CONF_EXPIRED) as d:
        s = connect(d)
        check_decisions(d, s)
        # the same persistent connection keeps working
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        s.close()
        log = d.log()
        assert 'warning: decision: action="REJECT client certificate ' \
               'expired" reason=expired identity=old-box pin=pubkey-sha256' \
               in log
        assert "pin=pubkey-sha256 client=host7.example.net[198.51.100.7] " \
               "sender=<app@example.net> recipient=<user@outside.example> " \
               "state=RCPT" in log
        mode = os.stat(d.sock_path).st_mode & 0o777
        assert mode == 0o660, oct(mode)


def test_decisions_inet():
    port = free_port()
    with start(CONF_EXPIRED, listen="inet:127.0.0.1:%d" % port) as d:
        s = tcp_connect("127.0.0.1", port)
        check_decisions(d, s)
        s.close()


def test_report_only():
    with start("report_only = yes\n") as d:
        s = connect(d)
        got = policy_query(s, request(ccert_pubkey_fingerprint=PK_SENDERS,
                                      sender="eve@example.org"))
        assert got == {"action": "DUNNO"}
        d.wait_log(r'decision: action="DUNNO" would="REJECT 5.7.1 sender not '
                   r'allowed for this client certificate" report_only=yes '
                   r'reason=sender identity=app-server')
        got = policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB))
        assert got == {"action": "DUNNO"}
        d.wait_log(r'action="DUNNO" would="OK" report_only=yes reason=listed '
                   r'identity=laptop-bob')


def test_configured_actions():
    conf = ("permit_action = RELAY\n"
            "default_action = 450 4.7.1 client certificate required\n")
    with start(conf) as d:
        s = connect(d)
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "RELAY"}
        assert policy_query(s, request()) == \
            {"action": "450 4.7.1 client certificate required"}


def test_pipelined_in_order():
    with start() as d:
        s = connect(d)
        seq = [(PK_BOB, "OK"), (PK_UNKNOWN, "DUNNO"), (PK_MD5, "OK"),
               ("", "DUNNO"), (PK_SENDERS, "OK")] * 20
        s.sendall(b"".join(policy_request(request(ccert_pubkey_fingerprint=f))
                           for f, _ in seq))
        for i, (_, want) in enumerate(seq):
            assert policy_read_reply(s) == {"action": want}, i
        # nothing extra was sent
        s.settimeout(0.3)
        try:
            extra = s.recv(100)
        except socket.timeout:
            extra = b""
        assert extra == b"", extra


def test_pipelined_burst_larger_than_input_buffer():
    """A client may write many requests before reading: they are answered
    in order, however much arrives at once."""
    port = free_port()
    with start(listen="inet:127.0.0.1:%d" % port) as d:
        s = tcp_connect("127.0.0.1", port)
        n = 2000
        data = policy_request(request(ccert_pubkey_fingerprint=PK_BOB)) * n
        t = threading.Thread(target=s.sendall, args=(data,))
        t.start()
        time.sleep(0.5)     # let the kernel buffer as much as it can
        for i in range(n):
            assert policy_read_reply(s) == {"action": "OK"}, i
        t.join(10)
        assert "input buffer full" not in d.log()


def test_split_one_byte_at_a_time():
    with start() as d:
        s = connect(d)
        data = policy_request(request(ccert_pubkey_fingerprint=PK_BOB)) * 2
        for i in range(len(data)):
            s.send(data[i:i + 1])
            if i % 50 == 0:
                time.sleep(0.001)
        assert policy_read_reply(s) == {"action": "OK"}
        assert policy_read_reply(s) == {"action": "OK"}


def test_reply_bytes_exact():
    with start() as d:
        s = connect(d)
        s.sendall(policy_request(request(ccert_pubkey_fingerprint=PK_BOB)))
        assert pfhtest.recv_exact(s, len(b"action=OK\n\n")) == b"action=OK\n\n"


def bad_input_disconnects(d, payload, log_rx):
    """payload gets no reply and a disconnect; a second client, connected
    before, is still served on its persistent connection."""
    other = connect(d)
    assert policy_query(other, request(ccert_pubkey_fingerprint=PK_BOB)) == \
        {"action": "OK"}
    mark = d.log_mark()
    s = connect(d)
    # one good request first: its reply must still arrive, in order
    s.sendall(policy_request(request(ccert_pubkey_fingerprint=PK_BOB)))
    assert policy_read_reply(s) == {"action": "OK"}
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    rest = recv_until_closed(s, timeout=5)
    assert rest == b"", "reply to bad input: %r" % rest[:200]
    d.wait_log(log_rx, since=mark)
    assert policy_query(other, request(ccert_pubkey_fingerprint=PK_MD5)) == \
        {"action": "OK"}
    other.close()
    s.close()


def test_garbage_line():
    with start() as d:
        bad_input_disconnects(d, b"request=smtpd_access_policy\nthis line has "
                              b"no equals sign\n\n",
                              r"warning: unix: malformed request .* "
                              r"disconnecting without a reply")


def test_crlf_request():
    with start() as d:
        bad_input_disconnects(d, b"request=smtpd_access_policy\r\n\r\n",
                              r"malformed request")


def test_oversize_line():
    with start() as d:
        bad_input_disconnects(d, b"request=smtpd_access_policy\nx=" +
                              b"a" * 9000 + b"\n\n",
                              r"request with a line longer than 8192 bytes")


def test_oversize_line_without_newline():
    with start() as d:
        bad_input_disconnects(d, b"x=" + b"a" * 20000,
                              r"request with a line longer than 8192 bytes")


def test_oversize_request():
    with start() as d:
        body = b"".join(b"a%d=%s\n" % (i, b"v" * 1000) for i in range(70))
        bad_input_disconnects(d, b"request=smtpd_access_policy\n" + body +
                              b"\n", r"request with more than 65536 bytes")


def test_too_many_attributes():
    with start() as d:
        body = b"".join(b"a%d=v\n" % i for i in range(200))
        bad_input_disconnects(d, body + b"\n",
                              r"request with more than 128 attributes")


def test_128_attributes_is_fine():
    with start() as d:
        s = connect(d)
        attrs = request(ccert_pubkey_fingerprint=PK_BOB)
        attrs += [("x%d" % i, "y") for i in range(128 - len(attrs))]
        assert len(attrs) == 128
        assert policy_query(s, attrs) == {"action": "OK"}


def test_vanished_client():
    with start() as d:
        other = connect(d)
        for n in (10, 300):
            mark = d.log_mark()
            s = connect(d)
            s.sendall(policy_request(request(ccert_pubkey_fingerprint=PK_BOB))
                      [:n])
            s.close()
            d.wait_log(r"lost connection in the middle of a request "
                       r"\(%d bytes\)" % n, since=mark)
        # a client that vanishes without reading its reply
        s = connect(d)
        s.sendall(policy_request(request(ccert_pubkey_fingerprint=PK_BOB)))
        s.close()
        assert policy_query(other, request(ccert_pubkey_fingerprint=PK_BOB)) \
            == {"action": "OK"}
        assert d.running()


def test_many_concurrent_clients():
    with start() as d:
        socks = [connect(d) for _ in range(200)]
        for s in socks:
            s.sendall(policy_request(request(ccert_pubkey_fingerprint=PK_BOB)))
        for s in socks:
            assert policy_read_reply(s) == {"action": "OK"}
        for s in socks:
            s.close()


def rewrite(path, text):
    """Atomic replace, the way an admin's tooling should write the file."""
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def test_reload_under_load():
    """SIGHUP and file swaps while a client keeps one persistent connection
    busy: no dropped connection, no wrong answer, and the new table wins."""
    new_pk = fp("new-key")
    with start() as d:
        s = connect(d)
        stop = threading.Event()
        result = {"n": 0, "err": None, "seen_new": False}

        def client():
            try:
                while not stop.is_set():
                    a = policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB))
                    assert a == {"action": "OK"}, a
                    b = policy_query(s, request(ccert_pubkey_fingerprint=new_pk))
                    assert b["action"] in ("OK", "DUNNO"), b
                    if b["action"] == "OK":
                        result["seen_new"] = True
                    result["n"] += 2
            except Exception as e:      # reported by the main thread
                result["err"] = e

        t = threading.Thread(target=client)
        t.start()
        try:
            for i in range(5):
                time.sleep(0.1)
                d.reload()
            rewrite(d.ids_path, IDENTITIES + "%s new-laptop\n" % new_pk)
            d.reload()
            wait_for(lambda: result["seen_new"] or result["err"], 10,
                     what="the new pin to be answered")
            time.sleep(0.2)
        finally:
            stop.set()
            t.join(10)
        assert result["err"] is None, result["err"]
        assert result["seen_new"]
        assert result["n"] > 20, result["n"]
        # still the same connection: it was never dropped
        assert policy_query(s, request(ccert_pubkey_fingerprint=new_pk)) == \
            {"action": "OK"}
        d.wait_log(r"identities: loaded 6 pins for 6 identities")


def test_bad_file_on_reload_keeps_old():
    with start() as d:
        s = connect(d)
        mark = d.log_mark()     # first: the directory watch may log it
        rewrite(d.ids_path, IDENTITIES + "%s\nZZZZ broken-line\n" % fp("a"))
        d.reload()
        m = d.wait_log(r"error: %s, line 7: missing value.*; keeping the "
                       r"table loaded "
                       r"before" % re.escape(d.ids_path), since=mark)
        assert m
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        # a duplicate pin (another spelling) is rejected naming both lines
        rewrite(d.ids_path, IDENTITIES + "%s dup\n" % bare(PK_BOB))
        mark = d.log_mark()
        d.reload()
        d.wait_log(r"line 7: duplicate key \"%s\" \(first on line 2\)"
                   % bare(PK_BOB), since=mark)
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        # fixed file: picked up once it settled (dropping 5 of the 5
        # pins needs the admin's confirmation)
        rewrite(d.ids_path, "%s only-one\n" % PK_UNKNOWN)
        d.write(d.ids_path + ".confirm", "")
        d.reload()
        wait_for(lambda: policy_query(s, request(
            ccert_pubkey_fingerprint=PK_BOB)) == {"action": "DUNNO"},
            what="the fixed file")
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_UNKNOWN)) \
            == {"action": "OK"}


def test_status_counts_errors_of_a_bad_reload():
    """A reload that finds 3 bad lines: last_load quotes the first error
    and counts the others, pfhelpers_table_errors{source="identities"} is
    3 (and a reload failure is counted), and the old pins keep answering;
    a good file brings 0 back and counts a reload."""
    import json
    import urllib.request
    from promparse import mval, parse_exposition
    port = free_port()
    with start("status_listen = inet:127.0.0.1:%d\n" % port) as d:
        def get(path):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                        timeout=10) as r:
                return r.read().decode()

        def facts():
            doc = json.loads(get("/status.json"))
            return [x for x in doc["sections"]
                    if x["id"] == "identities"][0]["facts"]

        def table(name):
            return mval(parse_exposition(get("/metrics")),
                        "pfhelpers_table_" + name, source="identities")

        def errors():
            return table("errors")

        s = connect(d)
        assert errors() == 0 and facts()["last_load"] == "ok"
        mark = d.log_mark()     # first: the directory watch may log it
        rewrite(d.ids_path, IDENTITIES + "%s\nZZZZ broken-line\n"
                "%s carol expires=2026-13-01\n" % (fp("a"), fp("c")))
        d.reload()
        d.wait_log(r"error: %s, line 7: missing value.* \(and 2 more "
                   r"errors\); keeping the table loaded before"
                   % re.escape(d.ids_path), since=mark)
        assert errors() == 3
        f = facts()
        assert f["last_load"].startswith("%s, line 7: missing value"
                                         % d.ids_path), f
        assert f["last_load"].endswith(" (and 2 more errors)"), f
        assert f["pins"] == "5", f
        assert table("entries") == 5 and table("reload_failures_total") == 1
        assert table("reloads_total") == 0
        assert "(and 2 more errors)" in get("/")
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        rewrite(d.ids_path, IDENTITIES + "%s late-comer\n" % PK_UNKNOWN)
        d.reload()
        wait_for(lambda: errors() == 0, what="the fixed file loaded")
        assert facts()["last_load"] == "ok" and facts()["pins"] == "6"
        assert table("entries") == 6 and table("reloads_total") == 1


def test_file_change_without_signal():
    with start() as d:
        s = connect(d)
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_UNKNOWN)) \
            == {"action": "DUNNO"}
        rewrite(d.ids_path, IDENTITIES + "%s late-comer\n" % PK_UNKNOWN)
        wait_for(lambda: policy_query(s, request(
            ccert_pubkey_fingerprint=PK_UNKNOWN)) == {"action": "OK"},
            timeout=10, what="the tick to load the new file")
        # removal (revocation) takes effect the same way (the admin
        # confirms that 5 of the 6 pins go)
        rewrite(d.ids_path, "%s late-comer\n" % PK_UNKNOWN)
        d.write(d.ids_path + ".confirm", "")
        wait_for(lambda: policy_query(s, request(
            ccert_pubkey_fingerprint=PK_BOB)) == {"action": "DUNNO"},
            timeout=10, what="the revocation")


def test_sigterm_finishes_request_and_exits_0():
    with start() as d:
        idle = connect(d)
        assert policy_query(idle, request(ccert_pubkey_fingerprint=PK_BOB)) \
            == {"action": "OK"}
        busy = connect(d)
        data = policy_request(request(ccert_pubkey_fingerprint=PK_BOB))
        busy.sendall(data[:40])
        time.sleep(0.2)
        d.send_signal(signal.SIGTERM)
        assert is_closed(idle, 5), "idle connection not closed on SIGTERM"
        busy.sendall(data[40:])
        assert policy_read_reply(busy) == {"action": "OK"}
        assert is_closed(busy, 5)
        d.proc.wait(10)
        assert d.proc.returncode == 0, d.proc.returncode
        d.wait_log(r"stopped")


def run_bad_config(conf, identities=IDENTITIES):
    d = Daemon(PROG, config="", wait_ready=False)
    ids = d.write("identities", identities)
    d.write(d.config_file, "listen = unix:%s\nidentities = %s\n%s"
            % (d.path("s"), ids, conf))
    r = subprocess.run(d.argv(), capture_output=True, text=True, timeout=20)
    d.cleanup()
    return r


def test_bad_configs_refused():
    cases = [
        ("permit_action =\n", 78, "permit_action = : empty action"),
        ("default_action = PERMIT\n", 78, "default_action = PERMIT: action"),
        ("sender_mismatch_action = hash:/etc/x\n", 78, "is not one of"),
        ("listen = bogus:thing\n", 78, "listen = bogus:thing"),
        ("socket_mode = 999\n", 78, 'line 3: socket_mode: not an octal '
         'mode (0 to 0777, e.g. 0660): "999"'),
        ("decision_log = some\n", 78, "decision_log = some"),
        ("report_only = maybe\n", 78, "report_only"),
    ]
    for conf, code, msg in cases:
        r = run_bad_config(conf)
        assert r.returncode == code, (conf, r.returncode, r.stderr)
        assert msg in r.stderr, (conf, r.stderr)
    r = run_bad_config("", identities=IDENTITIES + "%s bob expires=2026-13-01\n"
                       % fp("q"))
    assert r.returncode != 0
    assert re.search(r"identities: .*identities, line 7: expires=2026-13-01 "
                     r"is not a date", r.stderr), r.stderr


# default_action spellings Postfix takes as a permit (access(5): OK, RELAY,
# all-numerical), and ones it does not
PERMITTING = ["OK", "ok", "oK", "OK relay", "ok every client", "RELAY",
              "relay", "Relay text", "200", "0", "12345"]
NOT_PERMITTING = ["DUNNO", "REJECT", "REJECT OK", "DEFER_IF_PERMIT OK",
                  "450 4.7.1 client certificate required", "554 5.7.1 ok",
                  "HOLD", "DISCARD", "WARN ok", "PREPEND X-OK: yes"]
CONFIRM = "default_action_open_relay = yes\n"


def open_relay_refused(action):
    return ("default_action = %s: permits every client without an enrolled "
            "certificate, an open relay; set default_action_open_relay = yes "
            "if that is meant" % action)


def open_relay_warning(action):
    return ("warning: default_action = %s: permits every client without an "
            "enrolled certificate, an open relay (confirmed by "
            "default_action_open_relay = yes)" % action)


def run_check(conf, identities=IDENTITIES, options=()):
    """policyd-ccert -n on a config: the CompletedProcess."""
    d = Daemon(PROG, config="", wait_ready=False, foreground=False,
               options=list(options))
    ids = d.write("identities", identities)
    d.write(d.config_file, "listen = unix:%s\nidentities = %s\n%s"
            % (d.path("s"), ids, conf))
    r = subprocess.run(d.argv() + ["-n"], capture_output=True, text=True,
                       timeout=20)
    d.cleanup()
    return r


def test_open_relay_default_refused_by_check():
    """-n refuses every spelling of a permitting default_action, naming
    the parameter, the value and the confirming parameter."""
    for a in PERMITTING:
        r = run_check("default_action = %s\n" % a)
        assert r.returncode == 78, (a, r.returncode, r.stderr)
        assert open_relay_refused(a) in r.stderr, (a, r.stderr)
        assert "is valid" not in r.stderr, (a, r.stderr)
        assert r.stdout == "", (a, r.stdout)
    # the same through -o, blanks around the value and all
    r = run_check("", options=[("default_action", "  Ok  ")])
    assert r.returncode == 78 and open_relay_refused("Ok") in r.stderr, \
        r.stderr
    # a bare 4NN/5NN is all digits, which Postfix also takes as OK
    for a in ("554", "450"):
        r = run_check("default_action = %s\n" % a)
        assert r.returncode == 78, (a, r.stderr)
        assert "default_action = %s: action %s needs a text" % (a, a) in \
            r.stderr, (a, r.stderr)
    # "no" is the same as not saying it
    r = run_check("default_action = OK\ndefault_action_open_relay = no\n")
    assert r.returncode == 78 and open_relay_refused("OK") in r.stderr


def test_open_relay_default_not_permitting_is_quiet():
    """The refusal is about permits only: the rest passes -n without the
    warning, with or without the confirmation."""
    for a in NOT_PERMITTING:
        for conf in ("", CONFIRM):
            r = run_check("default_action = %s\n%s" % (a, conf))
            assert r.returncode == 0, (a, conf, r.stderr)
            assert "open relay" not in r.stderr, (a, r.stderr)
            assert "is valid" in r.stderr, (a, r.stderr)


def test_open_relay_default_confirmed_check_warns():
    """With default_action_open_relay = yes, -n accepts and warns on
    stderr."""
    for a in PERMITTING:
        r = run_check("default_action = %s\n%s" % (a, CONFIRM))
        assert r.returncode == 0, (a, r.returncode, r.stderr)
        assert open_relay_warning(a) in r.stderr, (a, r.stderr)
        assert "is valid" in r.stderr, (a, r.stderr)
        assert "default_action = %s\n" % a in r.stdout, r.stdout
        assert "default_action_open_relay = yes\n" in r.stdout, r.stdout


def test_open_relay_default_refused_at_start():
    """The daemon itself refuses to start, before it listens."""
    for a in ("OK", "relay", "200"):
        d = Daemon(PROG, config="", wait_ready=False)
        ids = d.write("identities", IDENTITIES)
        sock = d.path("s")
        d.write(d.config_file, "listen = unix:%s\nidentities = %s\n"
                "default_action = %s\n" % (sock, ids, a))
        d.start()
        rc = d.proc.wait(20)
        log = d.log()
        ready = d.saw("READY=1")
        d.cleanup()
        assert rc == 78, (a, rc, log)
        assert open_relay_refused(a) in log, (a, log)
        assert not ready and not os.path.exists(sock), a


def test_open_relay_default_confirmed():
    """Confirmed: the daemon starts with the warning, and a client with no
    certificate, or an unlisted one, really is answered OK. Each SIGHUP
    says it again, also when it refuses to drop the confirmation."""
    with start("default_action = OK\n" + CONFIRM) as d:
        d.wait_log(re.escape(open_relay_warning("OK")))
        s = connect(d)
        mark = d.log_mark()
        assert policy_query(s, request()) == {"action": "OK"}
        d.wait_log(r'decision: action="OK" reason=no_cert identity=- ',
                   since=mark)
        assert policy_query(s, request(
            ccert_pubkey_fingerprint=PK_UNKNOWN)) == {"action": "OK"}
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        # the other actions are not touched by it
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_OLD)) == \
            {"action": "DUNNO"}
        mark = d.log_mark()
        d.reload()
        d.wait_log(r"reload: configuration reloaded", since=mark)
        d.wait_log(re.escape(open_relay_warning("OK")), since=mark)
        # a SIGHUP without the confirmation is refused; the old config
        # (still an open relay, and said so) keeps running
        rewrite(d.config_file, d.conf_head + "default_action = OK\n")
        mark = d.log_mark()
        d.reload()
        d.wait_log(r"error: reload: %s; keeping the running configuration"
                   % re.escape(open_relay_refused("OK")), since=mark)
        d.wait_log(re.escape(open_relay_warning("OK")), since=mark)
        assert policy_query(s, request()) == {"action": "OK"}
        # back to the default: no more warnings
        rewrite(d.config_file, d.conf_head)
        mark = d.log_mark()
        d.reload()
        d.wait_log(r"reload: configuration reloaded", since=mark)
        assert policy_query(s, request()) == {"action": "DUNNO"}
        assert "open relay" not in d.log(mark), d.log(mark)


def test_open_relay_default_refused_on_reload():
    """A SIGHUP to an unconfirmed permitting default_action keeps the old
    config: clients without a certificate still get DUNNO. The same file
    with the confirmation does take effect, so the reload was real."""
    with start() as d:
        s = connect(d)
        assert policy_query(s, request()) == {"action": "DUNNO"}
        for a in ("OK", "RELAY", "200", "ok relay"):
            rewrite(d.config_file, d.conf_head + "default_action = %s\n" % a)
            mark = d.log_mark()
            d.reload()
            d.wait_log(r"error: reload: %s; keeping the running "
                       r"configuration" % re.escape(open_relay_refused(a)),
                       since=mark)
            assert policy_query(s, request()) == {"action": "DUNNO"}, a
            assert policy_query(s, request(
                ccert_pubkey_fingerprint=PK_UNKNOWN)) == {"action": "DUNNO"}
            assert policy_query(s, request(
                ccert_pubkey_fingerprint=PK_BOB)) == {"action": "OK"}
            assert "open relay (confirmed" not in d.log(mark), a
        rewrite(d.config_file, d.conf_head + "default_action = OK\n" +
                CONFIRM)
        mark = d.log_mark()
        d.reload()
        d.wait_log(r"reload: configuration reloaded", since=mark)
        d.wait_log(re.escape(open_relay_warning("OK")), since=mark)
        assert policy_query(s, request()) == {"action": "OK"}


def test_decision_log_modes():
    with start("decision_log = certs\n") as d:
        s = connect(d)
        mark = d.log_mark()
        assert policy_query(s, request()) == {"action": "DUNNO"}
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        d.wait_log(r"identity=laptop-bob", since=mark)
        assert "reason=no_cert" not in d.log(mark)


def test_decision_line_of_each_request_is_its_own():
    # one connection: a listed pin, an unlisted one, no certificate, no
    # client address; each line shows only its own request's fields
    unlisted = fp("nobody-key")
    with start() as d:
        s = connect(d)
        mark = d.log_mark()
        assert policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB)) == \
            {"action": "OK"}
        assert policy_query(s, request(ccert_pubkey_fingerprint=unlisted)) \
            == {"action": "DUNNO"}
        assert policy_query(s, request(client_address="")) == \
            {"action": "DUNNO"}
        d.wait_log(r"reason=no_cert", since=mark)
        lines = [l for l in d.log(mark).splitlines() if "decision:" in l]
        assert len(lines) == 3, lines
        assert "pin=pubkey-sha256 client=host7.example.net[198.51.100.7]" \
            in lines[0], lines[0]
        assert "reason=not_listed identity=- pin=unlisted-sha256:%s " \
            % unlisted.replace(":", "")[:8] in lines[1], lines[1]
        assert "reason=no_cert identity=- pin=none " \
            "client=host7.example.net[] " in lines[2], lines[2]


def test_status_page():
    """Counters move by exactly the requests sent, the expiring table lists
    the pins due within expiry_warning_days, /readyz is ready."""
    import datetime
    import json
    import urllib.request
    soon = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    later = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    ids = IDENTITIES + ("%s soon-box expires=%s note=\"renew me\"\n"
                        "%s later-box expires=%s\n"
                        % (fp("soon"), soon, fp("later"), later))
    port = free_port()
    with start("status_listen = inet:127.0.0.1:%d\n" % port,
               identities=ids) as d:
        base = "http://127.0.0.1:%d" % port

        def get(path):
            with urllib.request.urlopen(base + path, timeout=10) as r:
                return r.status, r.read().decode()

        def counter(doc, name, **labels):
            for sec in doc["sections"]:
                for c in sec.get("counters", []):
                    if c["name"] == name and c["labels"] == labels:
                        return c["value"]
            raise AssertionError("no %s %r" % (name, labels))

        assert get("/readyz")[0] == 200
        before = json.loads(get("/status.json")[1])
        s = connect(d)
        for _ in range(3):
            policy_query(s, request(ccert_pubkey_fingerprint=PK_BOB))
        policy_query(s, request(ccert_pubkey_fingerprint=PK_SENDERS,
                                sender="eve@example.org"))
        policy_query(s, request())
        s.sendall(b"garbage\n\n")
        assert is_closed(s)
        wait_for(lambda: counter(json.loads(get("/status.json")[1]),
                                 "policyd_ccert_protocol_errors_total",
                                 error="format") == 1, what="error counted")
        doc = json.loads(get("/status.json")[1])
        name = "policyd_ccert_answers_total"
        for labels, n in [(dict(result="permit", reason="listed"), 3),
                          (dict(result="reject", reason="sender"), 1),
                          (dict(result="dunno", reason="no_cert"), 1),
                          (dict(result="permit", reason="not_listed"), 0)]:
            assert counter(doc, name, **labels) - \
                counter(before, name, **labels) == n, labels
        secs = {sec["id"]: sec for sec in doc["sections"]}
        facts = secs["identities"]["facts"]
        assert facts["pins"] == "7" and facts["identities"] == "7", facts
        rows = secs["identities"]["tables"][0]["rows"]
        names = [r[0] for r in rows]
        # expired (2001) and within 30 days; not the one in 90 days
        assert names == ["old-box", "soon-box"], rows
        assert rows[1][2] == soon and rows[1][3] == "10" and \
            rows[1][6] == "renew me", rows[1]
        recent = secs["decisions"]["recent"][0]["events"]
        assert any("laptop-bob" in e["text"] for e in recent), recent
        metrics = get("/metrics")[1]
        assert '\npolicyd_ccert_answers_total{result="permit",' \
               'reason="listed"} ' in metrics
        assert "\n# TYPE policyd_ccert_answer_seconds histogram\n" in metrics
        assert "laptop-bob" not in metrics      # no names in label values


def test_status_expiry_counts_and_decisions_by_action():
    """The page counts pins expired and expiring within expiry_warning_days
    exactly (past the 100 rows its table shows), /metrics parses strictly,
    and decisions by action add up to the replies sent, on the page too."""
    import datetime
    import json
    import re
    import urllib.request
    from promparse import check_naming_scheme, mval, parse_exposition
    day = lambda n: (datetime.date.today() + datetime.timedelta(days=n)).isoformat()
    ids = IDENTITIES            # old-box expired in 2001
    ids += "%s gone-box expires=%s\n" % (fp("gone"), day(-1))
    ids += "%s today-box expires=%s\n" % (fp("today"), day(0))
    ids += "%s edge-box expires=%s\n" % (fp("edge"), day(30))
    ids += "%s later-box expires=%s\n" % (fp("later"), day(31))
    ids += "".join("%s fleet-%03d expires=%s\n" % (fp("fleet%d" % i), i, day(5))
                   for i in range(120))
    port = free_port()
    with start("status_listen = inet:127.0.0.1:%d\n" % port,
               identities=ids) as d:
        base = "http://127.0.0.1:%d" % port

        def get(path):
            with urllib.request.urlopen(base + path, timeout=10) as r:
                return r.read().decode()

        m0 = parse_exposition(get("/metrics"))
        s = connect(d)
        sent = {"permit": 0, "dunno": 0, "reject": 0}
        for attrs, action in [
                (dict(ccert_pubkey_fingerprint=PK_BOB), "permit"),
                (dict(ccert_pubkey_fingerprint=PK_BOB), "permit"),
                (dict(ccert_fingerprint=CERT_RELAY), "permit"),
                (dict(ccert_pubkey_fingerprint=fp("fleet7")), "permit"),
                (dict(ccert_pubkey_fingerprint=PK_UNKNOWN), "dunno"),
                (dict(), "dunno"),
                (dict(ccert_pubkey_fingerprint=PK_SENDERS,
                      sender="eve@example.org"), "reject")]:
            policy_query(s, request(**attrs))
            sent[action] += 1
        s.close()
        m1 = parse_exposition(get("/metrics"))
        doc = json.loads(get("/status.json"))
        html = get("/")

        # 2 expired (2001, yesterday); today, +5 (x120) and +30 expiring
        assert mval(m1, "policyd_ccert_pins_expired") == 2
        assert mval(m1, "policyd_ccert_pins_expiring") == 122
        assert mval(m1, "policyd_ccert_identities") == 5 + 4 + 120
        assert mval(m1, "pfhelpers_table_entries", source="identities") == \
            5 + 4 + 120                            # the pins
        # the one naming scheme of the suite (promparse, pfhelpers-status(5))
        check_naming_scheme(m1, "policyd-ccert")
        sec = [x for x in doc["sections"] if x["id"] == "identities"][0]
        assert sec["facts"]["identities"] == str(5 + 4 + 120)
        rows = sec["tables"][0]["rows"]
        assert len(rows) == 100, len(rows)          # the table's cap...
        assert [r[0] for r in rows[:3]] == ["old-box", "gone-box", "today-box"]
        assert rows[1][3] == "-1" and rows[2][3] == "0"

        fam = "policyd_ccert_answers_total"
        for action, n in sent.items():
            moved = sum(v for _, l, v in m1[fam]["samples"] if l["result"] == action) - \
                sum(v for _, l, v in m0[fam]["samples"] if l["result"] == action)
            assert moved == n, (action, moved, n)
            # the page's decisions matrix has a total per action
            m = re.search(r'data-total="result=%s">(\d+)<' % action, html)
            assert m and int(m.group(1)) == \
                sum(v for _, l, v in m1[fam]["samples"] if l["result"] == action), action
        assert re.search(r'data-labels="result=permit,reason=listed">%d<'
                         % mval(m1, fam, result="permit", reason="listed"), html)
        recent = [x for x in doc["sections"] if x["id"] == "decisions"][0]
        texts = [e["text"] for e in recent["recent"][0]["events"]]
        assert texts[0].startswith("REJECT") and "app-server" in texts[0], texts
        assert any("fleet-007" in t for t in texts), texts
        metrics = get("/metrics")
        for name in ("fleet-007", "laptop-bob", "198.51.100.7"):
            assert name not in metrics


# --------------------------------------------------------------------------
# policyd-ccert-enrol against openssl
# --------------------------------------------------------------------------

def openssl(*args, input=None):
    exe = pfhtest.which("openssl")
    if exe is None:
        skip("openssl missing")
    r = subprocess.run([exe] + list(args), input=input, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def make_cert(dirname, days=30, key="ec"):
    k = os.path.join(dirname, "k.pem")
    c = os.path.join(dirname, "c.pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] \
        if key == "ec" else ["-newkey", "rsa:2048"]
    openssl("req", "-x509", *newkey, "-nodes", "-keyout", k, "-out", c,
            "-days", str(days), "-subj", "/CN=client.test.example")
    return c, k


def enrol(*args):
    r = subprocess.run([ENROL] + list(args), capture_output=True, text=True,
                       timeout=30)
    return r


def test_enrol_matches_openssl():
    tmp = pfhtest.make_tmpdir()
    for key in ("ec", "rsa"):
        cert, k = make_cert(tmp, key=key)
        r = enrol("--senders", "@example.net", cert, "laptop-bob")
        assert r.returncode == 0, r.stderr
        out = r.stdout
        active = {}
        commented = {}
        for line in out.splitlines():
            m = re.match(r"(#?)(md5|sha1|sha256|sha512):([0-9A-F:]+) "
                         r"laptop-bob kind=(\w+)", line)
            if m:
                (commented if m.group(1) else active)[
                    (m.group(4), m.group(2))] = m.group(3)
        assert set(active) == {("pubkey", d) for d in
                               ("md5", "sha1", "sha256", "sha512")}, active
        assert set(commented) == {("cert", d) for d in
                                  ("md5", "sha1", "sha256", "sha512")}
        for dg in ("md5", "sha1", "sha256", "sha512"):
            o = openssl("x509", "-in", cert, "-noout", "-fingerprint",
                        "-" + dg).decode()
            assert o.strip().split("=", 1)[1] == commented[("cert", dg)], dg
            pub = openssl("x509", "-in", cert, "-noout", "-pubkey")
            der = openssl("pkey", "-pubin", "-outform", "DER", input=pub)
            o = openssl("dgst", "-" + dg, "-c", input=der).decode()
            assert o.strip().split("= ", 1)[1].upper() == \
                active[("pubkey", dg)], dg
        end = openssl("x509", "-in", cert, "-noout", "-enddate").decode()
        assert "notAfter:" in out
        assert "subject:   CN = client.test.example" in out
        assert re.search(r"expires=\d{4}-\d\d-\d\d senders=@example.net", out)
        assert "openssl pkey -pubin -outform DER" in out
        assert end.strip().split("=", 1)[1].split()[-2] in out  # the year

        # the output loads as an identities file and the pins match
        with start(identities=out) as d:
            s = connect(d)
            a = policy_query(s, request(ccert_pubkey_fingerprint=active[
                ("pubkey", "md5")], sender="x@example.net"))
            assert a == {"action": "OK"}
            a = policy_query(s, request(ccert_fingerprint=commented[
                ("cert", "sha256")], sender="x@example.net"))
            assert a == {"action": "DUNNO"}     # cert pins are commented


def test_enrol_public_key_and_options():
    tmp = pfhtest.make_tmpdir()
    cert, k = make_cert(tmp)
    pub = os.path.join(tmp, "pub.pem")
    with open(pub, "wb") as f:
        f.write(openssl("pkey", "-in", k, "-pubout"))
    r = enrol("--expires", "none", "--note", 'a "quoted" note', pub, "box-1")
    assert r.returncode == 0, r.stderr
    assert "kind=cert" not in r.stdout
    assert "expires=" not in r.stdout.replace("# ", "")
    assert 'note="a \\"quoted\\" note"' in r.stdout
    r2 = enrol(cert, "box-1")
    sha = [l for l in r.stdout.splitlines() if l.startswith("sha256:")]
    assert sha and sha[0].split()[0] in r2.stdout   # same key, same pin
    r = enrol("--pin", "cert", "--expires", "2030-01-31", cert, "box-1")
    assert r.returncode == 0
    assert re.search(r"^sha256:\S+ box-1 kind=cert expires=2030-01-31$",
                     r.stdout, re.M)
    assert re.search(r"^#sha256:\S+ box-1 kind=pubkey", r.stdout, re.M)
    # errors: clear message, non-zero exit, nothing on stdout
    for args, msg in [(["--senders", "example.com", cert, "x"],
                       "is not @domain"),
                      ([cert, "bad name"], "identity NAME wants"),
                      (["--expires", "2030-02-30", cert, "x"], "--expires"),
                      ([os.path.join(tmp, "k-missing.pem"), "x"],
                       "cannot open"),
                      ([k + ".nothing", "x"], "cannot open"),
                      (["--pin", "cert", pub, "x"], "needs a certificate")]:
        r = enrol(*args)
        assert r.returncode != 0, args
        assert msg in r.stderr, (args, r.stderr)
        assert r.stdout == "", args
    junk = os.path.join(tmp, "junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    r = enrol(junk, "x")
    assert r.returncode != 0 and "no PEM/DER certificate" in r.stderr


if __name__ == "__main__":
    pfhtest.run_tests()
