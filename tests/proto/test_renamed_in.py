#!/usr/bin/env python3
"""A table renamed into place takes effect within a second (issue #17).

Each daemon runs with reload_check_interval = 1h, so its periodic check
never fires during a test: whatever changes the answer here is the watch
on the file's directory (common/filewatch.c). A new file is written
beside the table and renamed over it, as a sync agent, postmap-style
tools and `mv` do; the daemon must answer the new way within a second.
An in-place edit is seen too, once it has settled (table_settle_time);
a bad file renamed in is refused like any other, the old table kept.
"""

import hashlib
import os
import subprocess
import time

import pfhtest
from pfhtest import (BUILDDIR, Daemon, free_port, ns, ns_read, policy_query,
                     run_tests, sasl_auth, tcp_connect, unix_connect)

POLICYD = "policyd-ccert/policyd-ccert"
SASL = "saslauthd-lite/saslauthd-lite"
TLSMAP = "tlsmap/tlsmap"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
NO_TICK = "reload_check_interval = 1h\n"


def rename_in(path, text, mode=0o644):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def within(seconds, fn, want, what):
    """fn() == want within seconds of now; how long it took."""
    t0 = time.monotonic()
    while True:
        got = fn()
        if got == want:
            return time.monotonic() - t0
        if time.monotonic() - t0 > seconds:
            raise AssertionError("%s: %r, not %r, after %.1f s"
                                 % (what, got, want, seconds))
        time.sleep(0.02)


def fp(seed):
    return ":".join("%02X" % b for b in hashlib.sha256(seed.encode()).digest())


def test_tlsmap_policy_map():
    port = free_port()
    d = Daemon(TLSMAP, config="listen = inet:127.0.0.1:%d\n"
               "maps = tlspolicy=policy:@DIR@/tls_policy\n"
               "postconf_command =\n" % port + NO_TICK)
    table = d.write("tls_policy", "a.example encrypt\n")
    with d:
        s = tcp_connect("127.0.0.1", port)

        def ask():
            s.sendall(ns("tlspolicy a.example"))
            return ns_read(s).decode()
        assert ask() == "OK encrypt"
        rename_in(table, "a.example secure match=mx.a.example\n")
        took = within(1.0, ask, "OK secure match=mx.a.example",
                      "renamed-in policy table")
        d.wait_log(r"map tlspolicy: reloaded")
        # a bad table renamed in: refused, the loaded one stays
        mark = d.log_mark()
        rename_in(table, "a.example bogus-level\n")
        d.wait_log(r"%s, line 1: .*bogus-level" % table, since=mark)
        assert ask() == "OK secure match=mx.a.example"
        # edited in place: seen once it settled (1 s), not at the 1 h tick
        with open(table, "w") as f:
            f.write("a.example dane-only\n")
        within(3.0, ask, "OK dane-only", "policy table edited in place")
        s.close()
    print("# tlsmap: renamed-in table served after %.3f s" % took)


def test_policyd_identities():
    pk = fp("carol-key")
    d = Daemon(POLICYD, config="")
    ids = d.write("identities", "%s laptop-bob\n" % fp("bob-key"))
    d.write(d.config_file, "listen = unix:%s\nidentities = %s\n"
            % (d.path("policy.sock"), ids) + NO_TICK)

    def ask():
        with unix_connect(d.path("policy.sock")) as s:
            return policy_query(s, [
                ("request", "smtpd_access_policy"),
                ("protocol_state", "RCPT"),
                ("client_address", "198.51.100.7"),
                ("sender", "carol@example.net"),
                ("recipient", "x@outside.example"),
                ("ccert_pubkey_fingerprint", pk)])["action"]
    with d:
        assert ask() == "DUNNO"
        rename_in(ids, "%s laptop-bob\n%s laptop-carol\n"
                  % (fp("bob-key"), pk))
        within(1.0, ask, "OK", "renamed-in identities")


def test_saslauthd_pwfile():
    def mkhash(pw):
        out = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                             input=pw.encode(), capture_output=True,
                             check=True).stdout.decode().strip()
        return out.split(":", 1)[1]
    tmp = pfhtest.make_tmpdir(prefix="pfh-d-")
    conf = os.path.join(tmp, "sasl.conf")
    d = Daemon(SASL, args=["-C", conf], workdir=tmp)
    pw = d.write(d.path("passwd"), "alice:%s\n" % mkhash("old-pw"),
                 mode=0o600)
    d.write(conf, "run_dir = %s\npwfile = %s\nthrottle = no\n"
            % (d.path("run"), pw) + NO_TICK)
    mux = d.path("run", "mux")
    with d:
        assert sasl_auth(mux, "alice", "old-pw") == "OK"
        rename_in(pw, "alice:%s\n" % mkhash("new-pw"), mode=0o600)
        within(1.0, lambda: sasl_auth(mux, "alice", "new-pw"), "OK",
               "renamed-in password file")
        # the cache does not keep the old password alive
        assert sasl_auth(mux, "alice", "old-pw").startswith("NO")


if __name__ == "__main__":
    run_tests()
