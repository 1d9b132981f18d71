#!/usr/bin/env python3
"""e2e_all - the whole suite behind one private Postfix instance.

Each scenario starts the same complete set-up (run by run_e2e_all.sh; needs
root, postfix, swaks and openssl, otherwise exit 77):

  * a throw-away CA with a server certificate and two client certificates
    (client1 enrolled in policyd-ccert, client2 not);
  * saslauthd-lite on DIR/sasl/run/mux (user alice in a yescrypt pwfile made
    with saslauthd-lite-passwd), reached by libsasl2 in smtpd through
    smtpd.conf (pwcheck_method: saslauthd);
  * policyd-ccert twice, on a unix: and on an inet: listener;
  * tlsmap twice, on a unix: and on an inet: listener, serving the
    "tlspolicy" (smtp_tls_policy_maps) and "legacy" (smtp_tls_per_site) maps;
  * SMTP sinks on loopback standing in for the outside world;
  * one Postfix instance (no chroot, loopback only) with
      - "smtpd" (the port-25 service: no AUTH, relay by certificate through
        the unix policyd-ccert, sha256 fingerprints),
      - "submission" (STARTTLS, smtpd_tls_auth_only, AUTH through
        saslauthd-lite),
      - four certificate-relay smtpd services, md5/sha256 x unix/inet,
      - smtp transports using the unix and the inet tlsmap for
        smtp_tls_policy_maps, and two for the legacy smtp_tls_per_site,
    with mynetworks = 127.0.0.2/32 so the test client (127.0.0.1) is not
    trusted and only a password or a certificate lets it relay.

Every scenario asserts the SMTP replies, the daemons' decision log lines
and Postfix's log lines, then stops everything and checks that each daemon
exited 0 and no process of the set-up is left.
"""

import os
import re
import subprocess

import pfhtest
from pfhtest import (BUILDDIR, Daemon, free_port, make_tmpdir, need_root,
                     need_tools, run_tests, skip)
from postfix_instance import (PostfixInstance, Sink, make_ca, master_cf_args,
                              swaks)

SASL = "saslauthd-lite/saslauthd-lite"
PASSWD = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
POLICYD = "policyd-ccert/policyd-ccert"
ENROL = os.path.join(BUILDDIR, "policyd-ccert/policyd-ccert-enrol")
TLSMAP = "tlsmap/tlsmap"
SECRET = "E2e-s3cret-pw"
ENDPOINTS = ("unix", "inet")
DIGESTS = ("md5", "sha256")


class Suite:
    """The complete set-up; a context manager that leaves nothing behind."""

    def __init__(self):
        self.daemons = []
        self.sinks = []
        self.pf = None

    # -- daemons ------------------------------------------------------------
    def _sasl(self):
        d = make_tmpdir(prefix="pfh-e2e-sasl-", mode=0o755)
        r = subprocess.run([PASSWD, "alice"], input=SECRET.encode(),
                           capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        pw = os.path.join(d, "passwd")
        with open(pw, "wb") as f:
            f.write(r.stdout)
        os.chmod(pw, 0o600)
        conf = os.path.join(d, "saslauthd-lite.conf")
        with open(conf, "w") as f:
            # smtpd runs as postfix: the socket's group lets it in
            f.write("run_dir = %s/run\npwfile = %s\nsocket_group = postfix\n"
                    % (d, pw))
        self.sasl = Daemon(SASL, args=["-C", conf], workdir=d,
                           name="saslauthd-lite")
        self.daemons.append(self.sasl)
        self.sasl.start()
        self.mux = os.path.join(d, "run", "mux")

    def _listen(self, d, kind, sockname):
        """A listen= line: unix socket in the daemon's dir (which postfix
        can enter), or a free loopback port."""
        if kind == "unix":
            os.chmod(d.dir, 0o755)
            path = d.path(sockname)
            return ("listen = unix:%s\nsocket_group = postfix\n" % path,
                    "unix:" + path)
        port = free_port()
        return ("listen = inet:127.0.0.1:%d\n" % port,
                "inet:127.0.0.1:%d" % port)

    def _policyd(self, kind):
        d = Daemon(POLICYD, config="", wait_ready=False,
                   name="policyd-ccert-" + kind)
        r = subprocess.run([ENROL, self.ca.client1_cert, "client1"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        ids = d.write("identities", r.stdout)
        listen, ep = self._listen(d, kind, "policyd-ccert")
        d.write(d.config_file, listen + "identities = %s\n" % ids)
        self.daemons.append(d)
        d.wait_ready = True
        d.start()
        d.endpoint = ep
        return d

    def _tlsmap(self, kind, policy, persite):
        d = Daemon(TLSMAP, config="", wait_ready=False, name="tlsmap-" + kind,
                   options={"maps": "tlspolicy=policy:@DIR@/tls_policy "
                                    "legacy=persite:@DIR@/tls_per_site"},
                   args=["-v"])
        d.write("tls_policy", policy)
        d.write("tls_per_site", persite)
        listen, ep = self._listen(d, kind, "tlsmap")
        d.write(d.config_file, listen)
        self.daemons.append(d)
        d.wait_ready = True
        d.start()
        d.endpoint = ep
        return d

    def _sink(self, tls=False):
        if tls:
            s = Sink(certfile=self.ca.server_cert, keyfile=self.ca.server_key)
        else:
            s = Sink()
        self.sinks.append(s)
        s.start()
        return s

    # -- Postfix ------------------------------------------------------------
    def _smtpd(self, name, args):
        """An extra smtpd service on its own loopback port."""
        port = free_port()
        line = "127.0.0.1:%d inet n - n - - smtpd" % port
        args = [("syslog_name", "postfix-e2e/" + name)] + list(args)
        return port, [line] + master_cf_args(args)

    def start(self):
        self.dir = make_tmpdir(prefix="pfh-e2e-", mode=0o755)
        self.ca = make_ca(os.path.join(self.dir, "ca"))
        self._sasl()
        self.policyd = {k: self._policyd(k) for k in ENDPOINTS}

        # The outside world: one plain sink for relayed mail, and per
        # tlsmap endpoint a sink for each TLS policy scenario.
        self.out = self._sink()
        self.tls_sinks = {}
        policy = ""
        persite = ""
        transport = ""
        for ep in ENDPOINTS:
            s = {"encrypt": self._sink(),            # no STARTTLS
                 "may": self._sink(tls=True),
                 "none": self._sink(tls=True),
                 "secure": self._sink(tls=True),     # name does not match
                 "legacy-must": self._sink(),        # no STARTTLS
                 "legacy-none": self._sink(tls=True)}
            self.tls_sinks[ep] = s
            policy += ("[127.0.0.1]:%d encrypt\n[127.0.0.1]:%d may\n"
                       "[127.0.0.1]:%d none\n"
                       "[127.0.0.1]:%d secure match=other.example\n"
                       % (s["encrypt"].port, s["may"].port, s["none"].port,
                          s["secure"].port))
            persite += ("[127.0.0.1]:%d MUST_NOPEERMATCH\n"
                        "[127.0.0.1]:%d NONE\n"
                        % (s["legacy-must"].port, s["legacy-none"].port))
            for what, sink in s.items():
                tr = ("legacy" + ep if what.startswith("legacy")
                      else "smtp" + ep)
                transport += "%s-%s.example %s:[127.0.0.1]:%d\n" % (
                    what, ep, tr, sink.port)
        self.tlsmap = {k: self._tlsmap(k, policy, persite) for k in ENDPOINTS}

        relay = ("permit_mynetworks, permit_sasl_authenticated, "
                 "check_policy_service %s, reject_unauth_destination")
        self.ports = {}
        extra = []
        port, lines = self._smtpd("submission", [
            ("smtpd_sasl_auth_enable", "yes"),
            ("smtpd_tls_auth_only", "yes"),
            ("smtpd_relay_restrictions",
             "permit_sasl_authenticated, reject_unauth_destination")])
        self.ports["submission"] = port
        extra += lines
        for digest in DIGESTS:
            for ep in ENDPOINTS:
                name = "ccert-%s-%s" % (digest, ep)
                port, lines = self._smtpd(name, [
                    ("smtpd_tls_fingerprint_digest", digest),
                    ("smtpd_relay_restrictions",
                     relay % self.policyd[ep].endpoint)])
                self.ports[name] = port
                extra += lines
        for ep in ENDPOINTS:
            tm = self.tlsmap[ep].endpoint
            extra.append("smtp%s unix - - n - - smtp" % ep)
            extra += master_cf_args([
                ("syslog_name", "postfix-e2e/smtp" + ep),
                ("smtp_tls_policy_maps", "socketmap:%s:tlspolicy" % tm)])
            # Postfix ignores smtp_tls_per_site when smtp_tls_policy_maps
            # is set; "may" as the global level shows a NONE entry wins.
            extra.append("legacy%s unix - - n - - smtp" % ep)
            extra += master_cf_args([
                ("syslog_name", "postfix-e2e/legacy" + ep),
                ("smtp_tls_policy_maps", ""),
                ("smtp_tls_security_level", "may"),
                ("smtp_tls_per_site", "socketmap:%s:legacy" % tm)])

        self.pf = PostfixInstance(
            main_cf={
                "relayhost": "[127.0.0.1]:%d" % self.out.port,
                "transport_maps": "texthash:@DIR@/etc/transport",
                "smtpd_tls_security_level": "may",
                "smtpd_tls_cert_file": self.ca.server_cert,
                "smtpd_tls_key_file": self.ca.server_key,
                "smtpd_tls_CAfile": self.ca.ca_cert,
                "smtpd_tls_ask_ccert": "yes",
                "smtpd_tls_loglevel": "1",
                "smtpd_tls_fingerprint_digest": "sha256",
                "smtpd_sasl_type": "cyrus",
                "smtpd_sasl_path": "smtpd",
                # Debian's Postfix reads $config_directory/sasl/smtpd.conf
                # whatever cyrus_sasl_config_path says: use that directory
                "cyrus_sasl_config_path": "@DIR@/etc/sasl",
                "smtpd_relay_restrictions":
                    relay % self.policyd["unix"].endpoint,
                "smtp_tls_CAfile": self.ca.ca_cert,
                "smtp_tls_loglevel": "1",
                "smtp_tls_policy_maps":
                    "socketmap:%s:tlspolicy" % self.tlsmap["unix"].endpoint,
            },
            smtpd_args={"syslog_name": "postfix-e2e/smtpd"},
            extra_files={
                "etc/transport": transport,
                "etc/sasl/smtpd.conf":
                    "pwcheck_method: saslauthd\nsaslauthd_path: %s\n"
                    "mech_list: PLAIN LOGIN\n" % self.mux},
            extra_master=extra,
            mynetworks="127.0.0.2/32")
        self.pf.start()
        self.ports["smtpd"] = self.pf.port
        return self

    def stop(self):
        """Stop Postfix, the daemons (each must exit 0) and the sinks;
        return the list of problems (empty when all is clean)."""
        problems = []
        if self.pf is not None:
            self.pf.stop()
            left = self.pf.leftover_pids()
            if left:
                problems.append("Postfix processes left: %r" % left)
        for d in self.daemons:
            if d.proc is None:
                continue
            rc = d.stop()
            if rc != 0:
                problems.append("%s exited %r" % (d.name, rc))
            if d.proc.poll() is None:
                problems.append("%s still running" % d.name)
        for s in self.sinks:
            s.stop()
        # nothing that names one of our temp dirs may still run
        dirs = [d.dir for d in self.daemons] + [self.dir]
        me = os.getpid()
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) == me:
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8",
                                                               "replace")
            except OSError:
                continue
            if any(x in cmd for x in dirs):
                problems.append("left behind: pid %s %s" % (p, cmd))
        return problems

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        if exc[0] is not None and self.pf is not None:
            for line in self.pf._log_tail(60).splitlines():
                print("# " + line)
        problems = self.stop()
        if exc[0] is None:
            assert not problems, "\n".join(problems)
        return False

    # -- helpers --------------------------------------------------------------
    def swaks(self, service, *args, rcpt="user@outside.example",
              sender="app@test.example", tls=True):
        argv = ["--server", "127.0.0.1", "--port", str(self.ports[service]),
                "--from", sender, "--to", rcpt, "--helo", "client.test.example"]
        if tls:
            argv.append("--tls")
        return swaks(argv + list(args))

    def logs_have_no_secret(self):
        for d in self.daemons:
            assert SECRET not in d.log(), "%s logged the password" % d.name
        assert SECRET not in self.pf.log(), "Postfix logged the password"


def refused_relay(out):
    return re.search(r"554 5\.7\.1 .*Relay access denied", out)


# ---------------------------------------------------------------------------
# 1. Submission with SMTP AUTH through libsasl2 -> saslauthd-lite
# ---------------------------------------------------------------------------

def test_smtp_auth_through_saslauthd_lite():
    with Suite() as s:
        pf, sasl = s.pf, s.sasl
        n = len(s.out.messages)
        for mech in ("PLAIN", "LOGIN"):
            rcpt = "auth-%s@outside.example" % mech.lower()
            mark = sasl.log_mark()
            rc, out = s.swaks("submission", "--auth", mech, "--auth-user",
                              "alice", "--auth-password", SECRET, rcpt=rcpt)
            assert rc == 0, out
            assert "235 2.7.0 Authentication successful" in out, out
            assert re.search(r"250 2\.0\.0 Ok: queued", out), out
            n += 1
            msgs = s.out.wait_messages(n, 40)
            assert rcpt in msgs[-1].rcpt_to, msgs[-1]
            sasl.wait_log(r"auth: result=OK user=alice service=smtp realm=\S* "
                          r"client=\S+ backend=pwfile", since=mark)
            pf.wait_log(r"postfix-e2e/submission/smtpd\[\d+\]: \w+: "
                        r"client=\S+\[127\.0\.0\.1\], sasl_method=%s, "
                        r"sasl_username=alice" % mech)

        # wrong password and unknown user: 535, and saslauthd-lite says why
        for user, pw, why in (("alice", "wrong-pw", "wrong password"),
                              ("mallory", SECRET, "unknown user")):
            mark = sasl.log_mark()
            rc, out = s.swaks("submission", "--auth", "PLAIN", "--auth-user",
                              user, "--auth-password", pw)
            assert rc != 0, out
            assert "535 5.7.8" in out, out
            sasl.wait_log(r'auth: result=NO user=%s service=smtp .*reason="%s"'
                          % (user, why), since=mark)
        pf.wait_log(r"warning: \S+\[127\.0\.0\.1\]: SASL PLAIN "
                    r"authentication failed")

        # no AUTH: no relay; and AUTH is not even offered before STARTTLS
        rc, out = s.swaks("submission")
        assert rc != 0 and refused_relay(out), out
        rc, out = s.swaks("submission", "--auth", "PLAIN", "--auth-user",
                          "alice", "--auth-password", SECRET, tls=False)
        assert rc != 0, out
        assert "235 " not in out, out
        assert len(s.out.messages) == n
        s.logs_have_no_secret()


# ---------------------------------------------------------------------------
# 2. Relay by client certificate through policyd-ccert
# ---------------------------------------------------------------------------

def test_relay_by_client_certificate():
    with Suite() as s:
        ca = s.ca
        n = len(s.out.messages)
        for digest in DIGESTS:
            for ep in ENDPOINTS:
                svc = "ccert-%s-%s" % (digest, ep)
                d = s.policyd[ep]
                rcpt = "%s@outside.example" % svc

                mark = d.log_mark()
                rc, out = s.swaks(svc, "--tls-cert", ca.client1_cert,
                                  "--tls-key", ca.client1_key, rcpt=rcpt)
                assert rc == 0, "%s: %s" % (svc, out)
                n += 1
                msgs = s.out.wait_messages(n, 40)
                assert rcpt in msgs[-1].rcpt_to, msgs[-1]
                d.wait_log(r'decision: action="OK" reason=listed '
                           r'identity=client1 pin=pubkey-%s '
                           r'client=\S+\[127\.0\.0\.1\] '
                           r'sender=<app@test\.example> recipient=<%s> '
                           r'state=RCPT' % (digest, re.escape(rcpt)),
                           since=mark)

                for extra, why in (([ "--tls-cert", ca.client2_cert,
                                      "--tls-key", ca.client2_key],
                                    "not_listed"),
                                   ([], "no_cert")):
                    mark = d.log_mark()
                    rc, out = s.swaks(svc, *extra, rcpt=rcpt)
                    assert rc != 0 and refused_relay(out), \
                        "%s %s: %s" % (svc, why, out)
                    d.wait_log(r'decision: action="DUNNO" reason=%s '
                               r'identity=-' % why, since=mark)
        # the port-25 service is wired the same way (unix, sha256)
        rc, out = s.swaks("smtpd", "--tls-cert", ca.client1_cert,
                          "--tls-key", ca.client1_key,
                          rcpt="port25@outside.example")
        assert rc == 0, out
        rc, out = s.swaks("smtpd", rcpt="port25@outside.example")
        assert rc != 0 and refused_relay(out), out
        s.out.wait_messages(n + 1, 40)
        assert len(s.out.messages) == n + 1
        # and a password does not help there (no AUTH on port 25)
        rc, out = s.swaks("smtpd", "--auth", "PLAIN", "--auth-user", "alice",
                          "--auth-password", SECRET)
        assert rc != 0 and "235 " not in out, out


# ---------------------------------------------------------------------------
# 3. Outbound TLS policy through tlsmap (smtp_tls_policy_maps)
# ---------------------------------------------------------------------------

def submit(s, rcpt):
    """Queue a message for rcpt through the submission service."""
    rc, out = s.swaks("submission", "--auth", "PLAIN", "--auth-user", "alice",
                      "--auth-password", SECRET, rcpt=rcpt)
    assert rc == 0, out


def test_tls_policy_through_tlsmap():
    with Suite() as s:
        pf = s.pf
        for ep in ENDPOINTS:
            sinks = s.tls_sinks[ep]
            for what in ("encrypt", "may", "none", "secure"):
                submit(s, "%s@%s-%s.example" % (what, what, ep))
            # encrypt to a sink without STARTTLS: deferred, TLS required
            pf.wait_log(r"to=<encrypt@encrypt-%s\.example>.*status=deferred "
                        r"\(TLS is required, but was not offered" % ep, 60)
            # secure against a certificate whose name does not match
            pf.wait_log(r"to=<secure@secure-%s\.example>.*status=deferred "
                        r"\(Server certificate not verified" % ep, 60)
            # may: delivered, over TLS (the sink offers it)
            m = sinks["may"].wait_messages(1, 60)[0]
            assert m.tls, m
            # none: delivered in clear although the sink offers STARTTLS
            m = sinks["none"].wait_messages(1, 60)[0]
            assert not m.tls, m
            assert sinks["encrypt"].messages == []
            assert sinks["secure"].messages == []
            # tlsmap answered every one of those (its -v lookup lines)
            for what in ("encrypt", "may", "none", "secure"):
                s.tlsmap[ep].wait_log(
                    r"lookup: client=\S+ map=tlspolicy "
                    r"key=\[127\.0\.0\.1\]:%d -> %s$"
                    % (sinks[what].port, what))


# ---------------------------------------------------------------------------
# 4. A legacy smtp_tls_per_site table served by tlsmap
# ---------------------------------------------------------------------------

def test_legacy_per_site_through_tlsmap():
    with Suite() as s:
        pf = s.pf
        for ep in ENDPOINTS:
            sinks = s.tls_sinks[ep]
            submit(s, "must@legacy-must-%s.example" % ep)
            submit(s, "none@legacy-none-%s.example" % ep)
            pf.wait_log(r"to=<must@legacy-must-%s\.example>.*status=deferred "
                        r"\(TLS is required, but was not offered" % ep, 60)
            # NONE beats the transport's global "may": delivered in clear
            m = sinks["legacy-none"].wait_messages(1, 60)[0]
            assert not m.tls, m
            assert sinks["legacy-must"].messages == []
            s.tlsmap[ep].wait_log(r"(?i)lookup: client=\S+ map=legacy "
                                  r"key=\[127\.0\.0\.1\]:%d -> NONE$"
                                  % sinks["legacy-none"].port)


if __name__ == "__main__":
    need_root()
    need_tools("postfix", "postconf", "postqueue", "swaks", "openssl")
    for prog in (SASL, POLICYD, TLSMAP):
        if not os.access(os.path.join(BUILDDIR, prog), os.X_OK):
            skip("%s not built" % prog)
    for tool in (PASSWD, ENROL):
        if not os.access(tool, os.X_OK):
            skip("%s not built" % tool)
    run_tests()
