#!/usr/bin/env python3
"""pfhelpers-doctor against a real Postfix configuration and the real
daemons (run straight from TESTS).

A private Postfix configuration directory (postfix_instance.py; postconf
-c reads it, Postfix itself is not started) has a chrooted smtpd with SMTP
AUTH through Cyrus SASL (smtpd.conf: pwcheck_method saslauthd), the relay
decided by policyd-ccert, and smtp_tls_policy_maps on tlsmap; the three
daemons run from the build tree where that configuration expects them.
Some cases rewire it: master.cf -o overrides of the relay transport's TLS
tables, tlsmap's idle_timeout, and SMTP AUTH through saslauthd-lite's
Dovecot socket (dovecot_listen in the queue directory).
The correct configuration has no finding (exit 0). Then one mistake at a
time: the doctor names it with the right fix (a postconf fix is run
verbatim and the doctor then says nothing again), and -q prints nothing.
"""

import os
import re
import signal
import subprocess

import pfhtest
from pfhtest import BUILDDIR, Daemon, free_port, make_tmpdir, need_root, \
    run_tests, write_conf
from postfix_instance import PostfixInstance

DOCTOR = os.path.join(BUILDDIR, "doctor/pfhelpers-doctor")
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")
PROGS = ["saslauthd-lite/saslauthd-lite", "policyd-ccert/policyd-ccert",
         "tlsmap/tlsmap"]
PIN = "sha256:" + ":".join(["AB"] * 32)
GOOD_SMTPD_CONF = ("pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\n"
                   "saslauthd_path: /var/run/saslauthd/mux\n")


class World:
    """The Postfix configuration, the daemons and the doctor's command."""

    def __init__(self):
        need_root()
        pfhtest.need_tools("postconf")
        self.ccert_port = free_port()
        self.tlsmap_port = free_port()
        self.chroot_port = free_port()
        self.policy = "check_policy_service inet:127.0.0.1:%d" % self.ccert_port
        self.relay = ("permit_mynetworks, permit_sasl_authenticated, %s, "
                      "reject_unauth_destination" % self.policy)
        self.pf = PostfixInstance(
            main_cf={
                "smtpd_tls_auth_only": "yes",
                "smtpd_tls_ask_ccert": "yes",
                "smtpd_relay_restrictions": self.relay,
                "smtp_tls_policy_maps": "socketmap:inet:127.0.0.1:%d:tlspolicy"
                                        % self.tlsmap_port,
            },
            # SMTP AUTH on a chrooted smtpd, as Debian runs it
            extra_master=["127.0.0.1:%d inet n - y - - smtpd"
                          % self.chroot_port,
                          "  -o smtpd_sasl_auth_enable=yes"])
        self.pf._check_env()
        self.pf.write_config()
        self.dir = self.pf.config_dir
        self.queue = self.pf.queue_dir
        self.sasl_dir = self.pf.path("sasl")
        self.smtpd_conf = self.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF)
        self.progs = make_tmpdir(prefix="pfh-doc-bin-")
        for p in PROGS:
            os.symlink(os.path.join(BUILDDIR, p),
                       os.path.join(self.progs, os.path.basename(p)))
        self.start_sasl()
        self.start_ccert()
        self.start_tlsmap()

    def start_sasl(self, **extra):
        d = Daemon("saslauthd-lite/saslauthd-lite", name="saslauthd-lite")
        pw = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "alice"],
                            input=b"alice-pw", capture_output=True,
                            check=True).stdout.decode()
        d.write("passwd", pw, mode=0o600)
        self.sasl_conf = write_conf(d.path("sasl.conf"), {
            "run_dir": os.path.join(self.queue, "var/run/saslauthd"),
            "pwfile": d.path("passwd"),
            "socket_group": "postfix",
            "throttle": "no", **extra})
        d.args = ["-C", self.sasl_conf]
        d.start()
        self.sasl = d
        self.mux = os.path.join(self.queue, "var/run/saslauthd/mux")

    def start_ccert(self, listen=None):
        d = Daemon("policyd-ccert/policyd-ccert", config="")
        ids = d.write("identities", "%s laptop kind=pubkey\n" % PIN)
        d.write(d.config_file, "listen = %s\nidentities = %s\n"
                "socket_group = postfix\n"
                % (listen or "inet:127.0.0.1:%d" % self.ccert_port, ids))
        d.start()
        self.ccert = d
        self.ccert_conf = d.config_file

    def start_tlsmap(self, listen=None):
        version = subprocess.run(["postconf", "-d", "-h", "mail_version"],
                                 capture_output=True, text=True,
                                 check=True).stdout.strip()
        self.version = ".".join(version.split(".")[:2])
        d = Daemon("tlsmap/tlsmap", config="")
        d.write("tls_policy", "example.com secure\n")
        self.tlsmap_text = ("listen = %s\nsocket_group = postfix\n"
                            "maps = tlspolicy=policy:%s\n"
                            "postfix_version = %s\n"
                            % (listen or "inet:127.0.0.1:%d" % self.tlsmap_port,
                               d.path("tls_policy"), self.version))
        d.write(d.config_file, self.tlsmap_text)
        d.start()
        self.tlsmap = d
        self.tlsmap_conf = d.config_file

    def doctor(self, *extra):
        argv = [DOCTOR, "-C", self.dir, "-S", self.sasl_dir,
                "-s", self.sasl_conf, "-p", self.ccert_conf,
                "-t", self.tlsmap_conf, "-B", self.progs] + list(extra)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert r.stderr == "", r.stderr
        return r.returncode, r.stdout

    def postconf(self, **params):
        self.pf.postconf(params)

    def stop(self):
        for d in (self.sasl, self.ccert, self.tlsmap):
            if d.running():
                d.stop()


def world():
    """A fresh world for each test: its daemons stop when the test ends."""
    w = World()
    pfhtest.add_cleanup(w.stop)
    return w


def only_finding(out, severity):
    """The one line of out, which must have that severity."""
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith(severity + ": "), out
    return lines[0]


def fix_of(line):
    m = re.search(r"; fix: (.*)$", line)
    assert m, line
    return m.group(1)


def assert_clean(w):
    rc, out = w.doctor()
    assert (rc, out) == (0, ""), out


def run_fix(w, line):
    """Run a postconf fix exactly as printed; then nothing is wrong."""
    fix = fix_of(line)
    assert fix.startswith("postconf -c %s -e '" % w.dir), fix
    subprocess.run(fix, shell=True, check=True)
    assert_clean(w)


def test_correct_configuration_has_no_finding():
    w = world()
    assert_clean(w)
    rc, out = w.doctor("-q")
    assert (rc, out) == (0, ""), out


def test_cram_md5_over_saslauthd():
    w = world()
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF.replace(
        "PLAIN LOGIN", "PLAIN LOGIN CRAM-MD5 DIGEST-MD5"))
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert "offers CRAM-MD5 DIGEST-MD5 with pwcheck_method: saslauthd" in line
    assert fix_of(line) == "mech_list: PLAIN LOGIN in %s" % w.smtpd_conf
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF)
    assert_clean(w)


def test_smtpd_conf_without_mech_list_or_saslauthd():
    w = world()
    w.pf.write("sasl/smtpd.conf", "pwcheck_method: saslauthd\n")
    rc, out = w.doctor()
    line = only_finding(out, "warning")
    assert rc == 1
    assert "%s has no mech_list" % w.smtpd_conf in line, line
    assert fix_of(line) == "mech_list: PLAIN LOGIN in %s" % w.smtpd_conf
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF.replace(
        "pwcheck_method: saslauthd", "pwcheck_method: auxprop"))
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert "%s has pwcheck_method: auxprop, not saslauthd" % w.smtpd_conf \
        in line, line
    assert fix_of(line) == "pwcheck_method: saslauthd in %s" % w.smtpd_conf
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF)
    assert_clean(w)


def test_cyrus_sasl_config_path_wins():
    w = world()
    empty = make_tmpdir(prefix="pfh-doc-sasl-")
    # -S names a directory without smtpd.conf: libsasl2 looks only in
    # cyrus_sasl_config_path when it is set
    w.postconf(cyrus_sasl_config_path=empty)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert "there is no smtpd.conf in %s" % empty in line, line
    assert fix_of(line) == ("create %s/smtpd.conf with the lines "
                            "pwcheck_method: saslauthd and mech_list: PLAIN "
                            "LOGIN" % empty)
    w.postconf(cyrus_sasl_config_path=w.sasl_dir)
    argv = [DOCTOR, "-C", w.dir, "-S", empty, "-s", w.sasl_conf,
            "-p", w.ccert_conf, "-t", w.tlsmap_conf, "-B", w.progs]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, ""), r.stdout


def test_saslauthd_path_outside_the_chroot():
    w = world()
    # the path as the host sees it: the chrooted smtpd looks inside the
    # queue directory for it
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF.replace(
        "/var/run/saslauthd/mux", w.mux))
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert ("looks for saslauthd at %s%s, but saslauthd-lite (%s) listens "
            "on %s" % (w.queue, w.mux, w.sasl_conf, w.mux)) in line, line
    assert "chrooted" in line
    assert fix_of(line) == ("saslauthd_path: /var/run/saslauthd/mux in %s"
                            % w.smtpd_conf)
    w.pf.write("sasl/smtpd.conf", GOOD_SMTPD_CONF)
    assert_clean(w)


def doctor_with_mode(w, sock, mode):
    """The doctor's (rc, out) while sock has mode; 0660 again after."""
    os.chmod(sock, mode)
    try:
        return w.doctor()
    finally:
        os.chmod(sock, 0o660)


def test_socket_postfix_cannot_open():
    w = world()
    rc, out = doctor_with_mode(w, w.mux, 0o600)
    line = only_finding(out, "error")
    assert rc == 2
    assert ("cannot connect to %s (saslauthd_path: /var/run/saslauthd/mux "
            "in %s, chrooted): user postfix is not allowed" %
            (w.mux, w.smtpd_conf)) in line, line
    assert "socket_group" in fix_of(line)
    assert_clean(w)


def test_auth_without_tls():
    w = world()
    w.postconf(smtpd_tls_auth_only="no")
    rc, out = w.doctor()
    line = only_finding(out, "warning")
    assert rc == 1
    assert "smtpd_tls_auth_only = no" in line
    assert fix_of(line) == ("postconf -c %s -e 'smtpd_tls_auth_only = yes'"
                            % w.dir)
    rc, out = w.doctor("-q")
    assert (rc, out) == (1, "")
    run_fix(w, line)


def test_policy_after_reject_unauth_destination():
    w = world()
    w.postconf(smtpd_relay_restrictions="permit_mynetworks, "
               "permit_sasl_authenticated, reject_unauth_destination, "
               + w.policy)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert ("smtpd_relay_restrictions (main.cf) has %s after "
            "reject_unauth_destination" % w.policy) in line, line
    assert fix_of(line) == ("postconf -c %s -e 'smtpd_relay_restrictions = "
                            "%s'" % (w.dir, w.relay))
    run_fix(w, line)


def test_sasl_after_reject_unauth_destination():
    w = world()
    w.postconf(smtpd_relay_restrictions="permit_mynetworks, %s, "
               "reject_unauth_destination, permit_sasl_authenticated"
               % w.policy)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("has permit_sasl_authenticated after reject_unauth_destination"
            in line), line
    assert fix_of(line) == ("postconf -c %s -e 'smtpd_relay_restrictions = "
                            "permit_mynetworks, %s, permit_sasl_authenticated, "
                            "reject_unauth_destination'" % (w.dir, w.policy))
    run_fix(w, line)


def test_no_ask_ccert():
    w = world()
    w.postconf(smtpd_tls_ask_ccert="no")
    rc, out = w.doctor()
    lines = out.splitlines()
    # both smtpd services ask policyd-ccert
    assert len(lines) == 2 and rc == 2, out
    for line in lines:
        assert line.startswith("error: ") and \
            "smtpd_tls_ask_ccert = no" in line, out
        assert fix_of(line) == ("postconf -c %s -e 'smtpd_tls_ask_ccert = "
                                "yes'" % w.dir)
    run_fix(w, lines[0])


def test_pins_of_another_digest():
    w = world()
    w.postconf(smtpd_tls_fingerprint_digest="md5")
    rc, out = w.doctor()
    line = only_finding(out, "error")
    ids = w.ccert.path("identities")
    assert ("sends md5 fingerprints (smtpd_tls_fingerprint_digest = md5), "
            "but in %s no identity has a md5 pin (laptop)" % ids) in line, line
    assert fix_of(line).startswith("add each identity's md5 pin")
    # the identity's md5 pin as well (policyd-ccert reads it on its own)
    with open(ids, "a") as f:
        f.write("%s laptop kind=pubkey\n" % (":".join(["CD"] * 16)))
    assert_clean(w)


def test_map_tlsmap_does_not_serve():
    w = world()
    table = "socketmap:inet:127.0.0.1:%d:nosuchmap" % w.tlsmap_port
    w.postconf(smtp_tls_policy_maps=table)
    rc, out = w.doctor()
    w.postconf(smtp_tls_policy_maps=table.replace("nosuchmap", "tlspolicy"))
    line = only_finding(out, "error")
    assert ("smtp_tls_policy_maps names %s, but tlsmap serves no map "
            "nosuchmap" % table) in line, line
    assert_clean(w)


def test_map_on_the_wrong_endpoint():
    w = world()
    other = free_port()
    w.postconf(smtp_tls_policy_maps="socketmap:inet:127.0.0.1:%d:tlspolicy"
               % other)
    rc, out = w.doctor()
    w.postconf(smtp_tls_policy_maps="socketmap:inet:127.0.0.1:%d:tlspolicy"
               % w.tlsmap_port)
    line = only_finding(out, "error")
    assert ("listens on inet:127.0.0.1:%d, not inet:127.0.0.1:%d"
            % (w.tlsmap_port, other)) in line, line
    w.postconf(smtp_tls_policy_maps="socketmap:inet:127.0.0.1:%d:tlspolicy"
               % other)
    assert fix_of(line) == ("postconf -c %s -e 'smtp_tls_policy_maps = "
                            "socketmap:inet:127.0.0.1:%d:tlspolicy'"
                            % (w.dir, w.tlsmap_port))
    run_fix(w, line)


def set_override(w, service, name, value):
    """-o name=value on master.cf's service, written into master.cf as an
    admin would (the braced -o { name = value } when the value has blanks
    or commas, which postconf -P refuses); None removes it. postconf -M
    must then show it."""
    path = os.path.join(w.dir, "master.cf")
    with open(path) as f:
        lines = f.read().splitlines()
    svc, typ = service.split("/")
    start = next(i for i, l in enumerate(lines)
                 if l.split()[:2] == [svc, typ])
    end = start + 1
    while end < len(lines) and lines[end][:1] in (" ", "\t"):
        end += 1
    own = re.compile(r"\s+-o\s+(\{\s*)?%s\s*=" % re.escape(name))
    body = [l for l in lines[start + 1:end] if not own.match(l)]
    if value is not None:
        body.append("  -o { %s = %s }" % (name, value)
                    if re.search(r"[\s,]", value) else
                    "  -o %s=%s" % (name, value))
    lines[start + 1:end] = body
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    shown = subprocess.run(["postconf", "-c", w.dir, "-M", service],
                           capture_output=True, text=True, check=True).stdout
    assert (value is None) == (name + "=" not in shown), shown


def run_master_fix(w, line, service):
    """Apply a "in master.cf, service S: -o name=value" fix as printed
    (the braced -o { name = value } form too); then nothing is wrong."""
    fix = fix_of(line)
    m = re.fullmatch(r"in master\.cf, service %s: -o (?:\{ (\S+) = (.*) \}|"
                     r"([^=\s]+)=(\S*))" % re.escape(service), fix)
    assert m, fix
    name, value = (m.group(1), m.group(2)) if m.group(1) else \
        (m.group(3), m.group(4))
    set_override(w, service, name, value)
    assert_clean(w)


def test_transport_override_checked_like_main_cf():
    """A transport's -o smtp_tls_policy_maps in master.cf: a map tlsmap
    does not serve, an endpoint it does not listen on, and a list without
    tlsmap's table are found, with the master.cf line to change."""
    w = world()
    good = "socketmap:inet:127.0.0.1:%d:tlspolicy" % w.tlsmap_port
    # the same table as main.cf: nothing to say
    set_override(w, "relay/unix", "smtp_tls_policy_maps", good)
    assert_clean(w)
    bad = good.replace("tlspolicy", "nosuchmap")
    set_override(w, "relay/unix", "smtp_tls_policy_maps", bad)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("master.cf service relay/unix's -o smtp_tls_policy_maps names "
            "%s, but tlsmap serves no map nosuchmap" % bad) in line, line
    other = "socketmap:inet:127.0.0.1:%d:tlspolicy" % free_port()
    set_override(w, "relay/unix", "smtp_tls_policy_maps", other)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert ("master.cf service relay/unix's -o smtp_tls_policy_maps names "
            "%s, but tlsmap" % other) in line, line
    assert fix_of(line) == ("in master.cf, service relay/unix: "
                            "-o smtp_tls_policy_maps=" + good)
    run_master_fix(w, line, "relay/unix")
    # smtp_tls_per_site overridden to tlsmap's policy map: the wrong type
    set_override(w, "relay/unix", "smtp_tls_per_site", good)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("relay/unix's -o smtp_tls_per_site names %s, a tlsmap map of "
            "type policy" % good) in line, line
    set_override(w, "relay/unix", "smtp_tls_per_site", None)
    assert_clean(w)


def test_transport_override_drops_tlsmap():
    w = world()
    good = "socketmap:inet:127.0.0.1:%d:tlspolicy" % w.tlsmap_port
    local = "hash:%s/tls_policy" % w.dir
    set_override(w, "relay/unix", "smtp_tls_policy_maps", local)
    rc, out = w.doctor()
    line = only_finding(out, "warning")
    assert rc == 1
    assert ("master.cf service relay/unix overrides smtp_tls_policy_maps "
            "with -o smtp_tls_policy_maps=%s, which drops tlsmap's %s"
            % (local, good)) in line, line
    assert fix_of(line) == ("in master.cf, service relay/unix: -o { "
                            "smtp_tls_policy_maps = %s, %s }" % (local, good))
    run_master_fix(w, line, "relay/unix")
    # an empty override drops it too
    set_override(w, "relay/unix", "smtp_tls_policy_maps", "")
    rc, out = w.doctor()
    line = only_finding(out, "warning")
    assert fix_of(line) == ("in master.cf, service relay/unix: "
                            "-o smtp_tls_policy_maps=" + good)
    run_master_fix(w, line, "relay/unix")


def test_tlsmap_idle_timeout_below_postfix():
    """Postfix's socketmap client reuses a connection until it has been
    idle 10 s; a tlsmap that closes sooner gets a warning naming the line."""
    w = world()
    for value, finding in (("5s", True), ("10s", True), ("11s", False),
                           ("0", False)):
        w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text +
                       "idle_timeout = %s\n" % value)
        try:
            rc, out = w.doctor()
        finally:
            w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text)
        if not finding:
            assert (rc, out) == (0, ""), (value, out)
            continue
        line = only_finding(out, "warning")
        assert rc == 1
        assert ("tlsmap (%s) closes idle connections after %s (idle_timeout)"
                ", but Postfix's socketmap client keeps each one for reuse "
                "until it has been idle 10s" % (w.tlsmap_conf, value)) \
            in line, line
        n = len(w.tlsmap_text.splitlines()) + 1
        assert fix_of(line).startswith("in %s, line %d: idle_timeout = 300s "
                                       % (w.tlsmap_conf, n)), line
    # not used by Postfix at all: nothing to compare
    w.postconf(smtp_tls_policy_maps="")
    w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text + "idle_timeout = 5s\n")
    try:
        assert_clean(w)
    finally:
        w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text)


def test_tlsmap_validates_for_a_newer_postfix():
    w = world()
    major, minor = w.version.split(".")
    newer = "%s.%d" % (major, int(minor) + 1)
    w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text.replace(
        "postfix_version = %s" % w.version, "postfix_version = " + newer))
    try:
        rc, out = w.doctor()
    finally:
        w.tlsmap.write(w.tlsmap_conf, w.tlsmap_text)
    lines = out.splitlines()
    assert rc == 2
    mine = [l for l in lines if "validates policies for Postfix %s" % newer
            in l]
    assert len(mine) == 1, out
    assert fix_of(mine[0]) == "postfix_version = %s in %s" % (
        w.version, w.tlsmap_conf)
    # tlsmap's own check says so too, and the doctor reports its failure
    own = [l for l in lines if "tlsmap's own check fails" in l]
    assert len(own) == 1, out
    assert_clean(w)


def test_dovecot_socket_missing():
    w = world()
    w.postconf(smtpd_sasl_type="dovecot", smtpd_sasl_path="private/auth")
    rc, out = w.doctor()
    w.postconf(smtpd_sasl_type="cyrus", smtpd_sasl_path="smtpd")
    line = only_finding(out, "error")
    assert ("looks for %s/private/auth (smtpd_sasl_path = private/auth, "
            "relative to queue_directory), which does not exist"
            % w.queue) in line, line
    # saslauthd-lite is set up here without a Dovecot socket: say how
    assert fix_of(line).startswith("dovecot_listen = unix:%s/private/auth "
                                   "in %s" % (w.queue, w.sasl_conf)), line
    assert_clean(w)


def dovecot_world():
    """saslauthd-lite serving the Dovecot protocol where the chrooted
    smtpd looks (dovecot_listen = unix:QUEUE/private/auth, smtpd_sasl_path
    = private/auth), the way saslauthd_dovecot_postfix.py runs it."""
    w = world()
    private = os.path.join(w.queue, "private")
    os.makedirs(private, mode=0o755, exist_ok=True)
    w.auth = os.path.join(private, "auth")
    w.sasl.stop()
    w.start_sasl(dovecot_listen="unix:" + w.auth)
    w.postconf(smtpd_sasl_type="dovecot", smtpd_sasl_path="private/auth")
    return w


def test_dovecot_wiring_correct():
    """No finding, and the doctor's AUTH PLAIN really reached saslauthd-lite
    over the Dovecot socket (its decision log names the doctor's login)."""
    w = dovecot_world()
    assert_clean(w)
    log = [l for l in w.sasl.log().splitlines()
           if "pfhelpers-doctor-no-such-user" in l]
    assert log, w.sasl.log()[-2000:]
    # the socket postfix may not open, as the chrooted smtpd would meet it
    rc, out = doctor_with_mode(w, w.auth, 0o600)
    line = only_finding(out, "error")
    assert ("smtpd (service 127.0.0.1:%d/inet) cannot connect to %s "
            "(smtpd_sasl_path = private/auth, relative to queue_directory)"
            ": user postfix is not allowed" % (w.chroot_port, w.auth)) \
        in line, line
    assert_clean(w)


def test_dovecot_path_as_the_chrooted_smtpd_sees_it():
    """The host's path in smtpd_sasl_path: the chrooted smtpd looks inside
    the queue directory for it. The fix is the path relative to it."""
    w = dovecot_world()
    w.postconf(smtpd_sasl_path=w.auth)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert ("smtpd (service 127.0.0.1:%d/inet, chrooted) looks for the "
            "Dovecot auth socket at unix:%s%s (smtpd_sasl_path = %s), but "
            "saslauthd-lite (%s) serves it on unix:%s (dovecot_listen)"
            % (w.chroot_port, w.queue, w.auth, w.auth, w.sasl_conf, w.auth)
            ) in line, line
    assert fix_of(line) == ("postconf -c %s -e 'smtpd_sasl_path = "
                            "private/auth'" % w.dir)
    run_fix(w, line)
    # the mux socket is not the Dovecot one either
    w.postconf(smtpd_sasl_path="var/run/saslauthd/mux")
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert "looks for the Dovecot auth socket at unix:%s" % w.mux in line, \
        line
    run_fix(w, line)


def test_dovecot_socket_not_dovecot():
    """saslauthd-lite without dovecot_listen: smtpd_sasl_path at a socket
    that does not speak the Dovecot protocol (the mux) fails the probe."""
    w = world()
    w.postconf(smtpd_sasl_type="dovecot",
               smtpd_sasl_path="var/run/saslauthd/mux")
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("the Dovecot auth socket unix:%s does not answer the auth "
            "handshake and one AUTH PLAIN" % w.mux) in line, line


def test_daemon_not_answering():
    w = world()
    w.ccert.stop()
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert ("policyd-ccert at inet:127.0.0.1:%d does not answer a policy "
            "request" % w.ccert_port) in line, line
    rc, out = w.doctor("-q")
    assert (rc, out) == (2, "")
    w.start_ccert()
    assert_clean(w)


def test_daemon_hung():
    w = world()
    # the socket accepts (the kernel's backlog), the daemon never answers
    os.kill(w.sasl.pid, signal.SIGSTOP)
    try:
        rc, out = w.doctor()
    finally:
        os.kill(w.sasl.pid, signal.SIGCONT)
    line = only_finding(out, "error")
    assert rc == 2
    assert ("saslauthd at %s does not answer a password check: unix:%s "
            "sent no answer within 3000 ms" % (w.mux, w.mux)) in line, line
    assert_clean(w)


def test_unix_sockets_inside_the_queue_directory():
    """policyd-ccert and tlsmap on unix sockets under queue_directory,
    named relative to it in main.cf: found, judged for the postfix user,
    asked; a socket postfix may not open is an error."""
    w = world()
    private = os.path.join(w.queue, "private")
    os.makedirs(private, mode=0o755, exist_ok=True)
    w.ccert.stop()
    w.tlsmap.stop()
    w.start_ccert("unix:" + os.path.join(private, "policyd-ccert"))
    sock = os.path.join(private, "tlsmap")
    w.start_tlsmap("unix:" + sock)
    policy = "check_policy_service unix:private/policyd-ccert"
    w.postconf(smtpd_relay_restrictions=w.relay.replace(w.policy, policy),
               smtp_tls_policy_maps="socketmap:unix:private/tlsmap:tlspolicy")
    assert_clean(w)
    os.chmod(sock, 0o600)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("smtp (service smtp/unix) cannot connect to %s "
            "(smtp_tls_policy_maps): user postfix is not allowed" % sock
            ) in line, line
    os.chmod(sock, 0o660)
    w.postconf(smtpd_relay_restrictions="permit_mynetworks, "
               "permit_sasl_authenticated, reject_unauth_destination, "
               + policy)
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert ("has %s after reject_unauth_destination" % policy) in line, line


def test_broken_daemon_configuration():
    w = world()
    with open(w.ccert_conf, "a") as f:
        f.write("no_such_parameter = 1\n")
    rc, out = w.doctor()
    line = only_finding(out, "error")
    assert rc == 2
    assert "policyd-ccert's configuration cannot be read" in line, line
    assert "no_such_parameter" in line, line


if __name__ == "__main__":
    run_tests()
