#!/usr/bin/env python3
"""saslauthd-lite against the real peers: Debian's testsaslauthd (libsasl2's
own protocol client) and a private Postfix smtpd whose libsasl2 uses
`pwcheck_method: saslauthd` with `saslauthd_path` at our socket, driven by
swaks (AUTH PLAIN and LOGIN).

Usage: saslauthd_interop.py testsaslauthd|postfix   (run by the it_*.sh
wrappers; exit 77 when a tool is missing or, for Postfix, when not root).
"""

import os
import subprocess
import sys

from pfhtest import (BUILDDIR, Daemon, make_tmpdir, need_root, need_tools,
                     run_tests, skip)

PROG = "saslauthd-lite/saslauthd-lite"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
SECRET = "Interop-s3cret"


def start_daemon(extra_conf=""):
    """saslauthd-lite on DIR/run/mux with alice (yescrypt) in its pwfile."""
    d = make_tmpdir(prefix="pfh-sasl-it-", mode=0o755)
    h = subprocess.run([PASSWD_TOOL, "alice"], input=SECRET.encode(),
                       capture_output=True, check=True).stdout.decode()
    pw = os.path.join(d, "passwd")
    with open(pw, "w") as f:
        f.write(h)
    os.chmod(pw, 0o600)
    conf = os.path.join(d, "sasl.conf")
    with open(conf, "w") as f:
        f.write("run_dir = %s/run\npwfile = %s\n%s" % (d, pw, extra_conf))
    daemon = Daemon(PROG, args=["-C", conf], workdir=d,
                    name="saslauthd-lite")
    daemon.start()
    return daemon, os.path.join(d, "run", "mux")


def test_testsaslauthd():
    tools = need_tools("testsaslauthd")
    d, mux = start_daemon()

    def run(user, pw):
        r = subprocess.run([tools["testsaslauthd"], "-f", mux, "-u", user,
                            "-p", pw, "-s", "smtp"],
                           capture_output=True, timeout=20)
        return r.stdout.decode().strip()
    assert run("alice", SECRET) == '0: OK "Success."'
    out = run("alice", "wrong")
    assert out.startswith("0: NO "), out
    assert run("nobody", "wrong").startswith("0: NO "), out
    assert "result=OK user=alice service=smtp" in d.log()
    assert SECRET not in d.log()


def need_postfix():
    """Root, Postfix, swaks and the postfix group, or a skip (a failure
    for a missing tool under PFH_REQUIRE_TOOLS)."""
    need_root()
    need_tools("postfix", "postconf", "swaks")
    import grp
    try:
        grp.getgrnam("postfix")
    except KeyError:
        skip("no postfix group")


def test_postfix_smtpd_auth():
    need_postfix()
    from postfix_instance import PostfixInstance, Sink, swaks
    # smtpd runs as postfix: the socket's group lets it in, nobody else
    d, mux = start_daemon("socket_group = postfix\n")
    # Debian's Postfix reads $config_directory/sasl/smtpd.conf whatever
    # cyrus_sasl_config_path says; set both so either build finds it
    smtpd_conf = ("pwcheck_method: saslauthd\nsaslauthd_path: %s\n"
                  "mech_list: PLAIN LOGIN\n" % mux)
    with Sink() as sink:
        pf = PostfixInstance(
            main_cf={"relayhost": "[127.0.0.1]:%d" % sink.port,
                     "smtp_tls_security_level": "none",
                     "smtpd_sasl_auth_enable": "yes",
                     "smtpd_sasl_type": "cyrus",
                     "smtpd_sasl_path": "smtpd",
                     "cyrus_sasl_config_path": "@DIR@/etc/sasl",
                     "smtpd_tls_auth_only": "no",
                     "smtpd_relay_restrictions":
                         "permit_sasl_authenticated, reject_unauth_destination"},
            extra_files={"etc/sasl/smtpd.conf": smtpd_conf},
            mynetworks="192.0.2.0/24")       # 127.0.0.1 must authenticate
        with pf:
            base = ["--server", "127.0.0.1", "--port", str(pf.port),
                    "--from", "sender@test.example",
                    "--to", "user@outside.example",
                    "--helo", "client.test.example"]
            for mech in ("PLAIN", "LOGIN"):
                rc, out = swaks(base + ["--auth", mech, "--auth-user",
                                        "alice", "--auth-password", SECRET])
                assert rc == 0, out
                assert "235 2.7.0 Authentication successful" in out, out
                assert "250 2.0.0 Ok: queued" in out, out
            sink.wait_messages(2, timeout=30)
            for user, pw in (("alice", "wrong"), ("nobody", SECRET)):
                rc, out = swaks(base + ["--auth", "PLAIN", "--auth-user",
                                        user, "--auth-password", pw])
                assert rc != 0 and "535 5.7.8" in out, out
            rc, out = swaks(base)
            assert rc != 0 and "554 5.7.1" in out and \
                "Relay access denied" in out, out
    log = d.log()
    assert log.count("result=OK user=alice service=smtp") >= 2, log
    assert 'result=NO user=nobody service=smtp' in log, log
    assert SECRET not in log


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    tests = {"testsaslauthd": [test_testsaslauthd],
             "postfix": [test_postfix_smtpd_auth]}.get(which)
    if tests is None:
        sys.stderr.write("usage: saslauthd_interop.py testsaslauthd|postfix\n")
        sys.exit(99)
    run_tests(tests=tests, argv=[])
