#!/usr/bin/env python3
"""readme_recipes - README.md's Postfix recipes, word for word, on this
machine's own Postfix (run by readme_recipes.sh).

The README promises that every command in "Using it with Postfix" works as
written on Debian 12's Postfix. This test holds it to that: it takes each
```sh block marked <!-- recipe: NAME --> out of README.md and runs it with
bash -e, unchanged, as root, with the build's `make install` (into a
DESTDIR, put first in PATH) standing in for the README's `make install`.
The paths, the user, the group and the commands are the documented ones:
/etc/pfhelpers, /etc/postfix, /var/spool/postfix/var/run/saslauthd, group
sasl, adduser, postconf -e, postfix reload.

What the recipes stand on is what a Debian admin has before reading them:
Debian's Postfix configured the way its installer does for "Internet Site"
(main.cf.debian plus main.cf.tls, the installer's smtpd_relay_restrictions,
master.cf with smtpd and smtp chrooted), here with a test certificate,
inet_interfaces = 127.0.0.1, mynetworks = 127.0.0.1/32 (so a client on
127.0.0.2 is a roaming one), a relayhost that is an SMTP sink of the test
standing in for the Internet, and maillog_file so the test can read
Postfix's log.

After each recipe, mail goes through the real smtpd and smtp:
  smtp-auth    AUTH PLAIN from 127.0.0.2 relays (the sink gets it); a wrong
               password gets 535; no AUTH gets 554 relay access denied.
  ccert-relay  the enrolled client certificate relays from 127.0.0.2; an
               other certificate gets 554.
  tls-policy   postmap -q answers the README's policy; a policy "encrypt"
               added for the relayhost defers mail to the plaintext sink
               ("TLS is required") and the sink gets nothing.

It changes the machine's Postfix, so it runs only where that Postfix has
no configuration of its own (no /etc/postfix/main.cf: a fresh machine or
CI; Debian's "No configuration") and nothing of pfhelpers is installed in
/etc/pfhelpers; otherwise it skips. Everything it made is removed at the
end: main.cf, smtpd.conf, /etc/pfhelpers, the run directory, the group
membership, the queue; Postfix and the daemons are stopped.
"""

import grp
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pfhtest
from pfhtest import (BUILDDIR, SRCDIR, make_tmpdir, need_root, need_tools,
                     run_tests, skip, test, wait_for)
from postfix_instance import Sink, make_ca, swaks

PASSWORD = "correct-horse"      # alice's password in the README
ROAMING = "127.0.0.2"           # outside mynetworks = 127.0.0.1/32
RECIPES = ("smtp-auth", "ccert-relay", "tls-policy")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAILLOG = "/var/log/pfhelpers-readme-recipes.log"
CREATED = ["/etc/pfhelpers", "/etc/postfix/main.cf",
           "/etc/postfix/sasl/smtpd.conf", "/etc/postfix/pfh-recipes",
           MAILLOG]


def readme_recipes(path):
    """{name: [block, ...]} in README order."""
    text = open(path).read()
    found = {}
    for m in re.finditer(r"<!-- recipe: ([a-z-]+) -->\n```sh\n(.*?)\n```",
                         text, re.S):
        found.setdefault(m.group(1), []).append(m.group(2) + "\n")
    return found


def port_busy(port):
    s = socket.socket()
    try:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        s.close()


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd),
                             r.returncode, r.stdout, r.stderr))
    return r


class Machine:
    """The machine's Postfix as a Debian admin has it, and its undoing."""

    def __init__(self):
        self.tmp = make_tmpdir(prefix="pfh-recipes-")
        self.inst = os.path.join(self.tmp, "inst")
        self.work = os.path.join(self.tmp, "work")
        os.makedirs(self.work)
        self.master_cf = open("/etc/postfix/master.cf").read()
        self.spool_var_existed = os.path.exists("/var/spool/postfix/var")
        self.sasl_member = "postfix" in grp.getgrnam("sasl").gr_mem
        self.path = None
        self.sink = None
        self.ca = None

    # -- the README's `make install` --------------------------------------
    def install(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MAKE") and k != "MFLAGS"}
        run(["make", "-s", "-C", BUILDDIR, "install", "DESTDIR=" + self.inst],
            env=env)
        dirs = []
        for root, _, files in os.walk(self.inst):
            if os.path.basename(root) in ("sbin", "bin") and files:
                dirs.append(root)
        assert any(os.path.exists(os.path.join(d, "saslauthd-lite"))
                   for d in dirs), "make install put no saslauthd-lite in %s" % dirs
        self.path = ":".join(sorted(dirs)) + ":" + SYSTEM_PATH

    # -- Postfix as Debian's installer configures it ------------------------
    def configure_postfix(self):
        d = "/etc/postfix/pfh-recipes"
        self.ca = make_ca(d)
        for f in (self.ca.client1_cert, self.ca.client1_key,
                  self.ca.client2_cert, self.ca.client2_key):
            shutil.copy(f, self.work)
        os.rename(os.path.join(self.work, "client1.pem"),
                  os.path.join(self.work, "client.pem"))
        os.rename(os.path.join(self.work, "client1.key"),
                  os.path.join(self.work, "client.key"))
        main = open("/usr/share/postfix/main.cf.debian").read()
        main += open("/usr/share/postfix/main.cf.tls").read()
        with open("/etc/postfix/main.cf", "w") as f:
            f.write(main)
        self.sink = Sink(port=0).start()
        run(["postconf", "-e",
             "smtpd_relay_restrictions=permit_mynetworks "
             "permit_sasl_authenticated defer_unauth_destination",
             "myhostname = mx.recipes.test",
             "mydestination = $myhostname, localhost",
             "inet_interfaces = 127.0.0.1", "inet_protocols = ipv4",
             "mynetworks = 127.0.0.1/32",
             "relayhost = [127.0.0.1]:%d" % self.sink.port,
             "alias_maps =", "alias_database =",
             "smtpd_tls_cert_file = " + self.ca.server_cert,
             "smtpd_tls_key_file = " + self.ca.server_key,
             "maillog_file = " + MAILLOG])
        # the installer's defer_unauth_destination stays: only the README's
        # own smtpd_relay_restrictions can turn a refused relay into a 554
        if os.path.exists("/usr/lib/postfix/configure-instance.sh"):
            # what Debian's service runs before start: the chroot's files
            run(["/usr/lib/postfix/configure-instance.sh", "-"])
        run(["postfix", "check"])
        run(["postfix", "start"])
        wait_for(lambda: port_busy(25), timeout=30, what="smtpd on port 25")

    # -- one README block, word for word ------------------------------------
    def block(self, name, i, text):
        print("# --- recipe %s, block %d:\n%s" % (name, i + 1,
              "".join("#   " + l + "\n" for l in text.splitlines())))
        env = {"PATH": self.path, "HOME": self.work, "LANG": "C.UTF-8",
               "TERM": "dumb"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:     # the sanitizer build's daemons
                env[k] = os.environ[k]
        # stdin answers saslauthd-lite-passwd (it reads standard input once
        # when it is not a terminal); nothing else in a block reads it
        r = subprocess.run(["bash", "-e", "-c", text], cwd=self.work, env=env,
                           input=PASSWORD + "\n", capture_output=True,
                           text=True, timeout=180)
        out = r.stdout + r.stderr
        print("".join("#   | " + l + "\n" for l in out.splitlines()))
        assert r.returncode == 0, ("README recipe %s block %d failed "
                                   "(exit %d)" % (name, i + 1, r.returncode))
        return out

    def maillog(self):
        try:
            return open(MAILLOG, errors="replace").read()
        except FileNotFoundError:
            return ""

    # -- undo ----------------------------------------------------------------
    def our_pids(self):
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                exe = os.readlink("/proc/%s/exe" % p)
            except OSError:
                continue
            if exe.startswith(self.inst + "/"):
                pids.append(int(p))
        return pids

    def undo(self):
        subprocess.run(["postsuper", "-d", "ALL"], capture_output=True)
        subprocess.run(["postfix", "stop"], capture_output=True)
        for pid in self.our_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            wait_for(lambda: not self.our_pids(), timeout=15,
                     what="the daemons to stop")
        except AssertionError:
            for pid in self.our_pids():
                os.kill(pid, signal.SIGKILL)
        if not self.sasl_member and \
                "postfix" in grp.getgrnam("sasl").gr_mem:
            subprocess.run(["gpasswd", "-d", "postfix", "sasl"],
                           capture_output=True)
        for p in CREATED:
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.lexists(p):
                os.unlink(p)
        if not self.spool_var_existed:
            shutil.rmtree("/var/spool/postfix/var", ignore_errors=True)
        with open("/etc/postfix/master.cf", "w") as f:
            f.write(self.master_cf)
        if self.sink:
            self.sink.stop()


def relay(args, server_host="127.0.0.1"):
    return swaks(["--server", server_host, "--local-interface", ROAMING,
                  "--from", "bob@recipes.test", "--to",
                  "someone@elsewhere.example", "--h-Subject", "recipes"]
                 + args)


def check_smtp_auth(m, out):
    assert '0: OK "Success."' in out, "testsaslauthd did not say OK"
    assert re.search(r"<~  235 2\.7\.0 Authentication successful", out), \
        "swaks got no 235 for alice"
    n = len(m.sink.messages)
    rc, t = relay(["--tls", "--auth", "PLAIN", "--auth-user", "alice",
                   "--auth-password", PASSWORD])
    assert rc == 0 and re.search(r"<~  250 2\.0\.0 Ok: queued", t), t
    m.sink.wait_messages(n + 1, timeout=60)
    rc, t = relay(["--tls", "--auth", "PLAIN", "--auth-user", "alice",
                   "--auth-password", "wrong-" + PASSWORD])
    assert re.search(r"<~\* 535 5\.7\.8", t), t
    rc, t = relay(["--tls"])
    assert re.search(r"<~\* 554 5\.7\.1 .*Relay access denied", t), t


def check_ccert_relay(m, out):
    assert re.search(r"policyd-ccert: check: configuration .* and its data "
                     r"files are valid$", out, re.M), \
        "policyd-ccert check did not pass"
    n = len(m.sink.messages)
    rc, t = relay(["--tls", "--tls-cert", os.path.join(m.work, "client.pem"),
                   "--tls-key", os.path.join(m.work, "client.key")])
    assert rc == 0 and re.search(r"<~  250 2\.0\.0 Ok: queued", t), t
    m.sink.wait_messages(n + 1, timeout=60)
    rc, t = relay(["--tls", "--tls-cert",
                   os.path.join(m.work, "client2.pem"), "--tls-key",
                   os.path.join(m.work, "client2.key")])
    assert re.search(r"<~\* 554 5\.7\.1 .*Relay access denied", t), t


def check_tls_policy(m, out):
    assert "secure match=.example.com" in out.splitlines(), \
        "postmap -q did not print the README's policy"
    n = len(m.sink.messages)
    # the relayhost is the plaintext sink: "encrypt" must defer, not downgrade
    with open("/etc/pfhelpers/tls_policy", "a") as f:
        f.write("[127.0.0.1]:%d encrypt\n" % m.sink.port)
    key = "[127.0.0.1]:%d" % m.sink.port
    wait_for(lambda: run(["postmap", "-q", key,
                          "socketmap:inet:127.0.0.1:10030:tlspolicy"],
                         check=False).stdout.strip() == "encrypt",
             timeout=30, interval=0.5, what="tlsmap to load the new entry")
    rc, t = relay(["--tls", "--auth", "PLAIN", "--auth-user", "alice",
                   "--auth-password", PASSWORD, "--h-Subject", "must-defer"])
    assert rc == 0, t
    wait_for(lambda: re.search(r"status=deferred \(TLS is required, but was "
                               r"not offered by host 127\.0\.0\.1", m.maillog()),
             timeout=60, interval=0.5, what="the deferral in %s" % MAILLOG)
    time.sleep(1)
    assert len(m.sink.messages) == n, "mail went out in plaintext"


CHECKS = {"smtp-auth": check_smtp_auth, "ccert-relay": check_ccert_relay,
          "tls-policy": check_tls_policy}


@test
def test_readme_recipes():
    recipes = readme_recipes(os.path.join(SRCDIR, "README.md"))
    assert set(recipes) == set(RECIPES), \
        "README recipes %s, expected %s" % (sorted(recipes), list(RECIPES))
    m = Machine()
    try:
        m.install()
        m.configure_postfix()
        for name in RECIPES:
            out = "".join(m.block(name, i, b)
                          for i, b in enumerate(recipes[name]))
            CHECKS[name](m, out)
    except BaseException:
        log = m.maillog()
        print("# --- %s (tail):\n%s" % (MAILLOG, "".join(
            "#   " + l + "\n" for l in log.splitlines()[-40:])))
        raise
    finally:
        m.undo()


if __name__ == "__main__":
    need_root()
    need_tools("postfix", "postconf", "postmap", "postsuper", "swaks",
               "testsaslauthd", "openssl", "adduser", "gpasswd", "make")
    pfhtest.need_perl_module("Net::SSLeay")
    if os.path.exists("/etc/postfix/main.cf"):
        skip("this machine's Postfix has a configuration of its own "
             "(/etc/postfix/main.cf): the README recipes run only on an "
             "unconfigured one (a fresh machine, CI)")
    if os.path.exists("/etc/pfhelpers"):
        skip("/etc/pfhelpers exists: pfhelpers is set up on this machine")
    for port in (25, 10030, 10031):
        if port_busy(port):
            skip("port %d is in use on 127.0.0.1" % port)
    try:
        grp.getgrnam("sasl")
    except KeyError:
        pfhtest.missing_tool(["saslauthd"])
    run_tests()
