#!/usr/bin/env python3
"""SIGTERM, the same way in every daemon (the skeleton drains its clients).

For saslauthd-lite, policyd-ccert and tlsmap, over their real sockets:
  * a connection that holds no request is closed at once;
  * a connection in the middle of a request keeps the daemon running: the
    rest of the request still gets its (correct) answer, then the
    connection closes and the daemon exits 0 ("stopped");
  * a request that never completes holds the daemon only until
    stop_timeout, which is logged with the count still open.
"""

import os
import signal
import subprocess
import time

from pfhtest import (BUILDDIR, Daemon, is_closed, make_tmpdir, ns, ns_read,
                     policy_query, policy_read_reply, policy_request,
                     run_tests, sasl_read_reply, sasl_request, unix_connect,
                     write_conf)

PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
PIN = "sha256:" + ":".join(["AB"] * 32)


def policy_attrs(fp):
    return [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
            ("client_address", "198.51.100.7"), ("sender", "a@example.net"),
            ("recipient", "b@outside.example"), ("ccert_fingerprint", ""),
            ("ccert_pubkey_fingerprint", fp)]


def start_daemon(prog, sockname, table, first_lines, extra):
    """prog with a config of first_lines (DATA: the table file's path,
    SOCK: the socket's) and the extra parameters; (daemon, socket path)"""
    d = Daemon(prog, config="", wait_ready=False)
    data = d.write("table", table)
    sock = d.path(sockname)
    d.write(d.config_file, first_lines.replace("DATA", data)
            .replace("SOCK", sock) +
            "".join("%s = %s\n" % kv for kv in extra.items()))
    d.wait_ready = True
    return d.start(), sock


class Saslauthd:
    name = "saslauthd-lite"

    def start(self, extra):
        tmp = make_tmpdir(prefix="pfh-stop-")
        h = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                           input=b"stop-pw", capture_output=True,
                           check=True).stdout.decode().strip().split(":", 1)[1]
        pw = os.path.join(tmp, "passwd")
        with open(pw, "w") as f:
            f.write("alice:%s\n" % h)
        os.chmod(pw, 0o600)
        conf = os.path.join(tmp, "sasl.conf")
        params = {"run_dir": os.path.join(tmp, "run"), "pwfile": pw,
                  "throttle": "no"}
        params.update(extra)
        write_conf(conf, params)
        self.sock = os.path.join(tmp, "run", "mux")
        self.d = Daemon("saslauthd-lite/saslauthd-lite", args=["-C", conf],
                        workdir=tmp, name="saslauthd-lite")
        return self.d.start()

    def idle(self):
        # libsasl2 sends its request at once; this one has not yet
        return unix_connect(self.sock)

    def request(self):
        return sasl_request("alice", "stop-pw", "smtp", "")

    def answer(self, s):
        assert sasl_read_reply(s) == "OK"


class Policyd:
    name = "policyd-ccert"

    def start(self, extra):
        self.d, self.sock = start_daemon(
            "policyd-ccert/policyd-ccert", "policy.sock",
            "%s stop-host\n" % PIN,
            "listen = unix:SOCK\nidentities = DATA\n", extra)
        return self.d

    def idle(self):
        s = unix_connect(self.sock)
        assert policy_query(s, policy_attrs(PIN)) == {"action": "OK"}
        return s

    def request(self):
        return policy_request(policy_attrs(PIN))

    def answer(self, s):
        assert policy_read_reply(s) == {"action": "OK"}


class Tlsmap:
    name = "tlsmap"

    def start(self, extra):
        self.d, self.sock = start_daemon(
            "tlsmap/tlsmap", "tlsmap.sock", "stop.example secure\n",
            "listen = unix:SOCK\nmaps = p=policy:DATA\n", extra)
        return self.d

    def idle(self):
        s = unix_connect(self.sock)
        s.sendall(ns(b"p stop.example"))
        assert ns_read(s) == b"OK secure"
        return s

    def request(self):
        return ns(b"p stop.example")

    def answer(self, s):
        assert ns_read(s) == b"OK secure"


DAEMONS = (Saslauthd, Policyd, Tlsmap)


def test_sigterm_answers_the_request_in_hand_and_exits_0():
    for cls in DAEMONS:
        t = cls()
        d = t.start({})
        idle = t.idle()
        busy = unix_connect(t.sock)
        data = t.request()
        busy.sendall(data[:3])
        time.sleep(0.3)
        d.send_signal(signal.SIGTERM)
        assert is_closed(idle, 5), "%s: idle connection kept" % t.name
        time.sleep(0.3)
        assert d.running(), "%s: exited with a request in hand" % t.name
        busy.sendall(data[3:])
        t.answer(busy)
        assert is_closed(busy, 5), "%s: answered connection kept" % t.name
        d.proc.wait(10)
        assert d.proc.returncode == 0, (t.name, d.proc.returncode)
        d.wait_log(r"stopped")
        assert "still answering" not in d.log(), t.name
        idle.close()
        busy.close()
        d.cleanup()


def test_stop_timeout_bounds_an_unfinished_request():
    for cls in DAEMONS:
        t = cls()
        d = t.start({"stop_timeout": "1s"})
        busy = unix_connect(t.sock)
        busy.sendall(t.request()[:3])
        time.sleep(0.3)
        t0 = time.monotonic()
        d.send_signal(signal.SIGTERM)
        d.proc.wait(10)
        took = time.monotonic() - t0
        assert d.proc.returncode == 0, (t.name, d.proc.returncode)
        assert took >= 0.9, "%s: did not wait for the request (%.1fs)" \
            % (t.name, took)
        d.wait_log(r"stop: 1 connection still answering after stop_timeout")
        busy.close()
        d.cleanup()


if __name__ == "__main__":
    run_tests()
