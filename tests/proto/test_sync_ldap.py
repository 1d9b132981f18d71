#!/usr/bin/env python3
"""pfhelpers-sync against a real OpenLDAP slapd with the syncprov overlay.

Each case starts its own slapd (tests/lib/slapd_instance.py, RFC 4533
provider), runs the real agent with ldap: feeds (refreshAndPersist) and
looks at what it writes and at what the real readers answer from it
(saslauthd-lite over its mux, tlsmap over its socketmap, policyd-ccert
over the policy protocol): adds, modifies, renames and deletes within
about a second; deletes made while the agent was cut off, learnt in the
delete phase (the provider's session log) and in the present phase (after
a provider restart lost it); a mass delete and a non-crypt hash refused;
StartTLS verified against the test CA and refused with another; SASL
EXTERNAL over ldapi; check's errors.
"""

import base64
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pfhtest
from pfhtest import (BUILDDIR, Daemon, free_port, ns, ns_read, policy_query,
                     relay_pipe, run_tests, sasl_auth, test, unix_connect,
                     wait_for)
from promparse import check_naming_scheme, mval, parse_exposition
from slapd_instance import ROOTDN, SUFFIX, Slapd, make_test_ca, need_slapd

PROG = "sync/pfhelpers-sync"
PEOPLE = "ou=people," + SUFFIX
HOSTS = "ou=hosts," + SUFFIX
TLSOU = "ou=tls," + SUFFIX
SYNC_DN = "uid=pfsync," + SUFFIX
SYNC_PW = "Sync-Reader-Pw-7"


def crypt_hash(pw):
    out = subprocess.run(["openssl", "passwd", "-6", "-salt", "pfhsyncsalt",
                          pw], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def person(uid, pw, scheme="{CRYPT}"):
    value = scheme + (crypt_hash(pw) if scheme == "{CRYPT}" else pw)
    return ("dn: uid=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\n"
            "sn: %s\nuserPassword: %s\n\n" % (uid, PEOPLE, uid, uid, uid,
                                               value))


def policy_entry(key, policy):
    return ("dn: cn=%s,%s\nobjectClass: device\ncn: %s\ndescription: %s\n\n"
            % (key, TLSOU, key, policy))


def seed(users=("alice", "bob"), policies=(("example.com", "secure"),)):
    ous = "".join("dn: %s\nobjectClass: organizationalUnit\nou: %s\n\n"
                  % (dn, dn.split(",")[0][3:]) for dn in (PEOPLE, HOSTS, TLSOU))
    reader = ("dn: %s\nobjectClass: account\nobjectClass: "
              "simpleSecurityObject\nuid: pfsync\nuserPassword: %s\n\n"
              % (SYNC_DN, SYNC_PW))
    return (ous + reader + "".join(person(u, u + "-pw") for u in users) +
            "".join(policy_entry(k, v) for k, v in policies))


# Only the sync reader (and root over ldapi) may read the hashes.
ACL = """\
access to attrs=userPassword
    by dn.exact="%s" read
    by dn.exact="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" read
    by anonymous auth
    by * none
access to * by * read
""" % SYNC_DN
LIMITS = 'limits dn.exact="%s" size=unlimited time=unlimited' % SYNC_DN


def directory(**kw):
    kw.setdefault("seed", seed())
    return Slapd(acl=ACL, syncprov=True, limits=LIMITS, **kw)


PWFILE_FEED = """\
auth_source = ldap:%(url)s
auth_format = pwfile
auth_output = @DIR@/out/passwd
auth_search_base = %(people)s
auth_filter = (objectClass=inetOrgPerson)
auth_attributes = uid userPassword
auth_bind_dn = %(dn)s
auth_bind_password_file = @DIR@/sync.pw
"""

POLICY_FEED = """\
tls_source = ldap:%(url)s
tls_format = policy
tls_output = @DIR@/out/tls_policy
tls_search_base = %(tlsou)s
tls_filter = (objectClass=device)
tls_attributes = cn description
tls_bind_dn = %(dn)s
tls_bind_password_file = @DIR@/sync.pw
"""


def stop_for_restart(d):
    """Stop a Daemon so that start() runs it again in the same dir."""
    d.stop()
    d.cleanup()
    os.unlink(d.path("notify.sock"))
    d.proc = None


class Agent:
    def __init__(self, url, feeds="auth", body=PWFILE_FEED, extra=""):
        self.port = free_port()
        conf = ("feeds = %s\n" % feeds + body % {
            "url": url, "people": PEOPLE, "tlsou": TLSOU, "dn": SYNC_DN} +
            "retry_min = 100ms\nretry_max = 1s\n"
            "status_listen = inet:127.0.0.1:%d\n" % self.port + extra)
        self.d = Daemon(PROG, config=conf, name="pfhelpers-sync")
        os.makedirs(self.d.path("out"), exist_ok=True)
        self.d.write("sync.pw", SYNC_PW + "\n", mode=0o600)
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        self.d.start()
        return self

    def stop(self):
        stop_for_restart(self.d)
        self.mark = self.d.log_mark()

    def out(self, name="passwd"):
        return self.d.path("out", name)

    def text(self, name="passwd"):
        try:
            with open(self.out(name)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def wait_text(self, pred, timeout=1.0, name="passwd", what="the file"):
        return wait_for(lambda: self.text(name) is not None and
                        pred(self.text(name)), timeout=timeout, what=what)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        return parse_exposition(self.get("/metrics")[1])


def logins(text):
    return sorted(l.split(":", 1)[0] for l in text.splitlines() if l)


def saslauthd_on(path):
    s = Daemon("saslauthd-lite/saslauthd-lite", args=["-C", "@DIR@/s.conf"],
               name="saslauthd-lite")
    s.write("s.conf", "run_dir = @DIR@/run\npwfile = %s\n"
            "reload_check_interval = 1h\ntable_settle_time = 0\n"
            "throttle = no\n" % path)
    s.start()
    return s


def tlsmap_on(path):
    d = Daemon("tlsmap/tlsmap", config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:%s
reload_check_interval = 1h
table_settle_time = 0
""" % path, name="tlsmap")
    d.start()
    return d


def lookup(d, key):
    with unix_connect(d.path("tlsmap.sock")) as s:
        s.sendall(ns("tlspolicy " + key))
        return ns_read(s).decode()


@test
def test_adds_modifies_renames_and_deletes_reach_the_readers():
    ds = directory()
    a = Agent(ds.url, feeds="auth tls", body=PWFILE_FEED + POLICY_FEED,
              extra="heartbeat_interval = 1s\n").start()
    with a.d:
        a.wait_text(lambda t: logins(t) == ["alice", "bob"], timeout=5)
        assert os.stat(a.out()).st_mode & 0o777 == 0o600
        assert a.text().startswith("alice:$6$"), "the {CRYPT} prefix stays"
        a.wait_text(lambda t: t == "example.com secure\n", name="tls_policy",
                    timeout=5)
        with open(a.out() + ".state") as f:
            state = f.read()
        assert re.search(r"generation = rid=\d+,csn=\d{14}", state), state
        assert "source = ldap %s" % ds.url in state, state
        s, t = saslauthd_on(a.out()), tlsmap_on(a.out("tls_policy"))
        with s, t:
            mux = s.path("run", "mux")
            assert sasl_auth(mux, "alice", "alice-pw").startswith("OK")
            assert lookup(t, "example.com") == "OK secure"
            # add: an entry and a policy, each answered within a second
            t0 = time.monotonic()
            ds.modify(person("carol", "carol-pw") +
                      policy_entry("b.example", "may"), add=True)
            wait_for(lambda: sasl_auth(mux, "carol", "carol-pw")
                     .startswith("OK"), timeout=1.5, what="carol accepted")
            wait_for(lambda: lookup(t, "b.example") == "OK may", timeout=1.5,
                     what="b.example's policy")
            assert time.monotonic() - t0 < 2.0
            # modify: the new password works, the old one no longer
            ds.modify("dn: uid=alice,%s\nchangetype: modify\nreplace: "
                      "userPassword\nuserPassword: {CRYPT}%s\n"
                      % (PEOPLE, crypt_hash("alice-new")))
            wait_for(lambda: sasl_auth(mux, "alice", "alice-new")
                     .startswith("OK"), timeout=1.5, what="the new password")
            assert sasl_auth(mux, "alice", "alice-pw").startswith("NO")
            # rename (modrdn): same entryUUID, the login follows the rdn
            ds.modify("dn: uid=bob,%s\nchangetype: modrdn\nnewrdn: "
                      "uid=robert\ndeleteoldrdn: 1\n" % PEOPLE)
            wait_for(lambda: sasl_auth(mux, "robert", "bob-pw")
                     .startswith("OK"), timeout=1.5, what="robert accepted")
            assert sasl_auth(mux, "bob", "bob-pw").startswith("NO")
            assert logins(a.text()) == ["alice", "carol", "robert"]
            # delete
            ds.modify("dn: uid=carol,%s\nchangetype: delete\n" % PEOPLE)
            wait_for(lambda: sasl_auth(mux, "carol", "carol-pw")
                     .startswith("NO"), timeout=1.5, what="carol refused")
            ds.modify("dn: cn=b.example,%s\nchangetype: delete\n" % TLSOU)
            wait_for(lambda: lookup(t, "b.example").startswith("NOTFOUND"),
                     timeout=1.5, what="b.example gone")
        fams = a.metrics()
        check_naming_scheme(fams, "pfhelpers-sync", listeners=False)
        assert mval(fams, "pfhelpers_sync_feed_synced", source="auth") == 1
        assert mval(fams, "pfhelpers_sync_feed_rows", source="auth") == 2
        status, body = a.get("/status.json")
        assert status == 200 and "ldap " + ds.url in body, body
        assert SYNC_PW not in a.d.log() and "alice-pw" not in a.d.log()
        assert a.get("/readyz")[0] == 200


class Cutter:
    """A TCP relay in front of slapd that the test can cut: the agent's
    connection drops and new ones are refused until restore()."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.conns = []
        self.lsock = None
        self.lock = threading.Lock()
        self.restore()

    def restore(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(8)
        self.lsock = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def _accept(self, ls):
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.conns += [c, u]
            for x, y in ((c, u), (u, c)):
                threading.Thread(target=relay_pipe, args=(x, y),
                                 daemon=True).start()

    def cut(self):
        # shutdown wakes the thread in accept(): a close alone would leave
        # the socket listening until accept returned
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.conns = []


@test
def test_deletes_made_while_away_are_applied_in_both_phases():
    ds = directory(seed=seed(users=("alice", "bob", "carol", "dave", "erin")))
    relay = Cutter(ds.port)
    a = Agent("ldap://127.0.0.1:%d" % relay.port,
              extra="max_delete_fraction = 1\n").start()
    with a.d:
        a.wait_text(lambda t: len(logins(t)) == 5, timeout=5)
        # cut off: the file stays; the directory changes meanwhile
        relay.cut()
        a.d.wait_log(r"the tables stay as they are; retrying", timeout=5)
        ds.modify("dn: uid=carol,%s\nchangetype: delete\n" % PEOPLE)
        ds.modify(person("frank", "frank-pw"), add=True)
        time.sleep(0.5)
        assert len(logins(a.text())) == 5
        # back: the cookie's refresh brings the delete (delete phase,
        # from the provider's session log) and the add
        mark = a.d.log_mark()
        relay.restore()
        a.wait_text(lambda t: logins(t) == ["alice", "bob", "dave", "erin",
                                            "frank"], timeout=5)
        a.d.wait_log(r"connected again", since=mark)
        # cut off again, and the provider restarts: its session log is
        # gone, so the refresh is a present phase, and whatever it does
        # not name was deleted while we were away
        relay.cut()
        ds.modify("dn: uid=dave,%s\nchangetype: delete\n" % PEOPLE)
        ds.restart()
        mark = a.d.log_mark()
        relay.restore()
        a.wait_text(lambda t: logins(t) == ["alice", "bob", "erin", "frank"],
                    timeout=5)
        a.d.wait_log(r"feed auth: 1 entries deleted while we were away",
                     since=mark)


@test
def test_a_restarted_agent_asks_only_for_what_changed():
    ds = directory(seed=seed(users=("alice", "bob", "carol")))
    a = Agent(ds.url).start()
    with a.d:
        a.wait_text(lambda t: logins(t) == ["alice", "bob", "carol"],
                    timeout=5)
        snap = a.out() + ".ldap"
        wait_for(lambda: os.path.exists(snap), timeout=2, what=snap)
        assert os.stat(snap).st_mode & 0o777 == 0o600, "it holds hashes"
        a.stop()
        # while the agent is away: a delete, an add and a modify
        ds.modify("dn: uid=bob,%s\nchangetype: delete\n" % PEOPLE)
        ds.modify(person("dave", "dave-pw"), add=True)
        ds.modify("dn: uid=alice,%s\nchangetype: modify\nreplace: "
                  "userPassword\nuserPassword: {CRYPT}%s\n"
                  % (PEOPLE, crypt_hash("alice-new")))
        a.start()
        a.d.wait_log(r"feed auth: 3 entries from .*passwd.ldap; asking the "
                     r"directory for what changed since", since=a.mark)
        a.wait_text(lambda t: logins(t) == ["alice", "carol", "dave"] and
                    crypt_hash("alice-new") in t, timeout=5)
        # a snapshot made by another search is not used
        a.stop()
        with open(a.d.config_file, "a") as f:
            f.write("auth_filter = (&(objectClass=inetOrgPerson)"
                    "(!(uid=carol)))\nmax_delete_fraction = 1\n")
        a.start()
        a.d.wait_log(r"passwd.ldap: the feed's search changed since it was "
                     r"written; refreshing from nothing", since=a.mark)
        a.wait_text(lambda t: logins(t) == ["alice", "dave"], timeout=5)


@test
def test_outage_keeps_the_file_and_a_restarted_agent_serves_it():
    ds = directory()
    a = Agent(ds.url).start()
    with a.d:
        a.wait_text(lambda t: logins(t) == ["alice", "bob"], timeout=5)
        good = a.text()
        s = saslauthd_on(a.out())
        mux = s.path("run", "mux")
        assert sasl_auth(mux, "alice", "alice-pw").startswith("OK")
        ds.stop()
        a.d.wait_log(r"store ldap .*the tables stay as they are", timeout=5)
        assert sasl_auth(mux, "alice", "alice-pw").startswith("OK")
        # the agent and the daemon restarted during the outage: the last
        # good data still answers
        a.stop()
        a.start()
        time.sleep(0.5)
        assert a.text() == good and a.get("/readyz")[0] == 200
        stop_for_restart(s)
        s.start()
        assert sasl_auth(mux, "alice", "alice-pw").startswith("OK")
        assert sasl_auth(mux, "bob", "bob-pw").startswith("OK")
        s.stop()
        ds.start()
        a.d.wait_log(r"connected again after \d+ failed attempts",
                     since=a.mark, timeout=5)
        ds.modify(person("carol", "carol-pw"), add=True)
        a.wait_text(lambda t: "carol" in logins(t), timeout=1.5)


@test
def test_mass_delete_and_a_non_crypt_hash_are_refused():
    ds = directory(seed=seed(users=["u%d" % i for i in range(10)]))
    relay = Cutter(ds.port)
    a = Agent("ldap://127.0.0.1:%d" % relay.port).start()
    with a.d:
        a.wait_text(lambda t: len(logins(t)) == 10, timeout=5)
        good = a.text()
        # the deletes reach the agent in one refresh, after a cut: the
        # guard judges the whole update against the last good file
        # (deletes that arrive one by one in the persist phase are each
        # their own update)
        relay.cut()
        a.d.wait_log(r"the tables stay as they are; retrying", timeout=5)
        ds.modify("".join("dn: uid=u%d,%s\nchangetype: delete\n\n"
                          % (i, PEOPLE) for i in range(2, 10)))
        relay.restore()
        a.d.wait_log(r"feed auth: update refused: it would delete 8 of the "
                     r"10 rows .*max_delete_fraction = 0.5", timeout=5)
        assert a.text() == good
        assert mval(a.metrics(), "pfhelpers_sync_feed_refused_updates_total",
                    source="auth", reason="mass_delete") >= 1
        assert mval(a.metrics(), "pfhelpers_sync_feed_synced",
                    source="auth") == 0
        # a restarted agent still refuses it: the baseline is the file
        a.stop()
        a.start()
        a.d.wait_log(r"update refused: it would delete 8 of the 10",
                     since=a.mark, timeout=5)
        assert a.text() == good
    ds2 = directory(seed=seed(users=("alice",)))
    b = Agent(ds2.url).start()
    with b.d:
        b.wait_text(lambda t: logins(t) == ["alice"], timeout=5)
        ds2.modify(person("sam", "Plain-Ssha-Pw", scheme="{SSHA}"), add=True)
        b.d.wait_log(r"feed auth: update refused: entry \"uid=sam,%s\": "
                     r"userPassword is not a \{CRYPT\} hash" % PEOPLE,
                     timeout=3)
        assert "Plain-Ssha-Pw" not in b.d.log()
        assert logins(b.text()) == ["alice"]


def make_client_cert(d, name):
    key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                    "-subj", "/CN=" + name, "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    spki = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-pubkey"],
                          check=True, capture_output=True).stdout
    spki_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                              input=spki, check=True,
                              capture_output=True).stdout
    import hashlib
    pin = hashlib.sha256(spki_der).hexdigest().upper()
    end = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-enddate",
                          "-dateopt", "iso_8601"], check=True,
                         capture_output=True, text=True).stdout
    return der, pin, end.split("=", 1)[1][:10]


@test
def test_identities_from_certificates_serve_policyd_ccert():
    tmp = pfhtest.make_tmpdir(prefix="pfh-certs-")
    der, pin, day = make_client_cert(tmp, "app-server")
    host = ("dn: uid=app,%s\nobjectClass: inetOrgPerson\nuid: app\n"
            "cn: app-server\nsn: app\ndescription: senders=@example.net\n"
            "userCertificate;binary:: %s\n\n"
            % (HOSTS, base64.b64encode(der).decode()))
    ds = directory(seed=seed() + host)
    a = Agent(ds.url, feeds="ids", body="""\
ids_source = ldap:%(url)s
ids_format = identities
ids_output = @DIR@/out/identities
ids_search_base = ou=hosts,dc=example,dc=net
ids_filter = (objectClass=inetOrgPerson)
ids_attributes = userCertificate;binary cn description
""").start()
    with a.d:
        want = ("sha256:%s app-server senders=@example.net kind=pubkey "
                "expires=%s\n" % (pin, day))
        a.wait_text(lambda t: t == want, name="identities", timeout=5,
                    what="the pin line")
        p = Daemon("policyd-ccert/policyd-ccert", config="""\
listen = unix:@DIR@/policy.sock
identities = %s
""" % a.out("identities"), name="policyd-ccert")
        p.start()
        with p:
            colons = ":".join(pin[i:i + 2] for i in range(0, 64, 2))
            attrs = [("request", "smtpd_access_policy"),
                     ("protocol_state", "RCPT"),
                     ("sender", "app@example.net"), ("ccert_fingerprint", ""),
                     ("ccert_pubkey_fingerprint", colons)]
            with unix_connect(p.path("policy.sock")) as s:
                assert policy_query(s, attrs)["action"] == "OK"
        # a second certificate (a renewal with a new key): a second pin
        der2, pin2, day2 = make_client_cert(tmp, "app-server-2")
        ds.modify("dn: uid=app,%s\nchangetype: modify\nadd: "
                  "userCertificate;binary\nuserCertificate;binary:: %s\n"
                  % (HOSTS, base64.b64encode(der2).decode()))
        want2 = ("sha256:%s app-server senders=@example.net kind=pubkey "
                 "expires=%s\n" % (pin2, day2))
        a.wait_text(lambda t: sorted(t.splitlines(True)) ==
                    sorted([want, want2]), name="identities", timeout=1.5,
                    what="both pins")


@test
def test_starttls_is_verified_and_another_ca_is_refused():
    ds = directory(tls=True)
    a = Agent(ds.url, extra="auth_start_tls = yes\n"
              "auth_tls_ca_cert_file = %s\n" % ds.ca_file).start()
    with a.d:
        a.wait_text(lambda t: logins(t) == ["alice", "bob"], timeout=5)
    other = pfhtest.make_tmpdir(prefix="pfh-otherca-")
    ca = make_test_ca(other, "other")[0]
    b = Agent(ds.url, extra="auth_start_tls = yes\n"
              "auth_tls_ca_cert_file = %s\n" % ca).start()
    with b.d:
        b.d.wait_log(r"store ldap .*StartTLS: Connect error.*the tables stay "
                     r"as they are", timeout=5)
        time.sleep(0.5)
        assert b.text() is None
        assert b.get("/readyz")[0] == 503
    # ldaps:// too, and never a plain fallback
    c = Agent(ds.ldaps_url, extra="auth_tls_ca_cert_file = %s\n" % ca).start()
    with c.d:
        c.d.wait_log(r"the tables stay as they are", timeout=5)
        assert c.text() is None


@test
def test_sasl_external_over_ldapi():
    ds = directory()
    a = Agent(ds.ldapi_url, body=PWFILE_FEED.replace(
        "auth_bind_dn = %(dn)s\nauth_bind_password_file = @DIR@/sync.pw\n",
        "")).start()
    with a.d:
        # the hashes are readable only as the sync DN or as root by
        # peercred: this file proves the EXTERNAL bind
        a.wait_text(lambda t: logins(t) == ["alice", "bob"] and "$6$" in t,
                    timeout=5)


@test
def test_check_names_the_bad_line():
    need_slapd()
    d = pfhtest.make_tmpdir(prefix="pfh-sync-")
    conf = os.path.join(d, "s.conf")
    prog = os.path.join(BUILDDIR, PROG)
    base = ("feeds = a\na_source = ldap:ldap://127.0.0.1/\na_format = pwfile\n"
            "a_output = /tmp/x\n")
    cases = [
        (base, "a_attributes: want the login and the hash attributes"),
        (base + "a_attributes = uid userPassword cn\n",
         "a_attributes: more than 2 attributes"),
        (base + "a_attributes = uid user(Password\n",
         "a_attributes: \"user(Password\" is not an attribute description"),
        (base + "a_attributes = uid userPassword\na_query = SELECT 1\n",
         "a_query is for pgsql: sources"),
        (base + "a_attributes = uid userPassword\na_scope = all\n",
         "a_scope = all: want sub, one or base"),
        (base + "a_attributes = uid userPassword\na_filter = uid=*\n",
         "a_filter = uid=*: want an LDAP filter in parentheses"),
        (base + "a_attributes = uid userPassword\na_bind_dn = cn=x\n",
         "a_bind_dn is set but a_bind_password_file is not"),
        (base.replace("ldap://127.0.0.1/", "http://x/") +
         "a_attributes = uid userPassword\n",
         "want ldap://, ldaps:// or ldapi:// URIs"),
        (base.replace("ldap://127.0.0.1/", "ldaps://a.example/ "
                      "ldap://b.example/") +
         "a_attributes = uid userPassword\n",
         "a_source mixes ldaps:// and clear-text ldap:// URIs"),
        (base.replace("ldap://127.0.0.1/", "ldaps://a.example/") +
         "a_attributes = uid userPassword\na_start_tls = yes\n",
         "a_start_tls = yes needs ldap:// URIs only"),
        (base.replace("127.0.0.1", "ldap.example.net") +
         "a_attributes = uid userPassword\na_bind_dn = cn=r\n"
         "a_bind_password_file = /etc/passwd\n",
         "a_bind_dn over a clear-text ldap:// URI would send the bind "
         "password unprotected"),
        ("feeds = a\na_source = pgsql:host=/tmp\na_format = policy\n"
         "a_output = /tmp/x\na_query = SELECT 1\na_attributes = cn x\n",
         "are for ldap: sources"),
    ]
    for text, want in cases:
        with open(conf, "w") as f:
            f.write(text)
        r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode != 0, (text, r)
        assert want in r.stderr, (want, r.stderr)
    # check: the bind password file must exist and be private
    pw = os.path.join(d, "pw")
    with open(pw, "w") as f:
        f.write("x\n")
    os.chmod(pw, 0o644)
    good = base + ("a_attributes = uid userPassword\na_bind_dn = cn=r\n"
                   "a_bind_password_file = %s\n" % pw)
    with open(conf, "w") as f:
        f.write(good)
    r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "others may read it; chmod 0600" in \
        r.stderr, r.stderr
    os.chmod(pw, 0o600)
    r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    os.unlink(pw)
    r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "No such file" in r.stderr, r.stderr
    # a clear-text directory on another host is warned about
    with open(conf, "w") as f:
        f.write(base.replace("127.0.0.1", "ldap.example.net") +
                "a_attributes = uid userPassword\n")
    r = subprocess.run([prog, "-c", conf, "-n"], capture_output=True,
                       text=True, timeout=30)
    assert "without a_start_tls = yes" in r.stderr, r.stderr


if __name__ == "__main__":
    run_tests(module_globals=globals())
