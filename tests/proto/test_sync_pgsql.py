#!/usr/bin/env python3
"""pfhelpers-sync against a real PostgreSQL (tests/lib/pg_instance.py).

Each case starts its own throwaway cluster(s), loads the shipped trigger
SQL, runs the real agent, and looks at what it writes and at what a real
reader daemon (tlsmap over its socketmap, saslauthd-lite over its mux)
answers from it: changes within a second, outages and restarts that keep
the last good file, a mass delete and a bad row refused, failover to a
second host, check's errors, and a store reached over TLS as an admin
would set it up (verify-full, a password file, a hostssl-only pg_hba).
"""

import hashlib
import os
import re
import signal
import subprocess
import time
import urllib.request

import pfhtest
from pfhtest import (BUILDDIR, SRCDIR, Daemon, free_port, ns, ns_read,
                     policy_query, run_tests, sasl_auth, test, unix_connect,
                     wait_for)
from pg_instance import PgInstance, need_postgres
from postfix_instance import make_ca
from promparse import check_naming_scheme, mval, parse_exposition

PROG = "sync/pfhelpers-sync"
TRIGGER_SQL = os.path.join(SRCDIR, "sync", "pfhelpers-sync.sql")
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")

SCHEMA = """
CREATE TABLE tls_policy (nexthop text PRIMARY KEY, policy text NOT NULL);
CREATE TRIGGER tls_policy_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tls_policy
  FOR EACH STATEMENT EXECUTE FUNCTION pfhelpers_sync_notify('pfhelpers_sync');
CREATE TABLE mail_users (login text PRIMARY KEY, hash text);
CREATE TRIGGER mail_users_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mail_users
  FOR EACH STATEMENT EXECUTE FUNCTION pfhelpers_sync_notify('mail_users');
"""


def store(rows=None, tls=False):
    """A started cluster with the trigger SQL, the schema and policy rows."""
    pg = PgInstance(tls=tls).start()
    with open(TRIGGER_SQL) as f:
        pg.psql(f.read())
    pg.psql(SCHEMA)
    for k, v in (rows if rows is not None else
                 [("example.com", "secure"), ("b.example", "may")]):
        pg.psql("INSERT INTO tls_policy VALUES ('%s', '%s')" % (k, v))
    return pg


def agent_conf(conninfo, extra=""):
    return """\
feeds = tls
tls_source = pgsql:%s
tls_format = policy
tls_output = @DIR@/out/tls_policy
tls_query = SELECT nexthop, policy FROM tls_policy ORDER BY 1
retry_min = 100ms
retry_max = 1s
status_listen = inet:127.0.0.1:%d
""" % (conninfo, free_port()) + extra


class Agent:
    def __init__(self, conninfo, extra="", workdir=None):
        self.conf = agent_conf(conninfo, extra)
        self.d = Daemon(PROG, config=self.conf, workdir=workdir,
                        name="pfhelpers-sync")
        os.makedirs(self.d.path("out"), exist_ok=True)
        self.status = [l.split("= ", 1)[1] for l in
                       self.conf.replace("@DIR@", self.d.dir).splitlines()
                       if l.startswith("status_listen")][0]
        self.url = "http://" + self.status.split(":", 1)[1]

    def start(self):
        self.d.start()
        return self

    def stop(self):
        """Stop the agent, ready for start() again in the same dir."""
        self.d.stop()
        self.d.cleanup()
        os.unlink(self.d.path("notify.sock"))
        self.d.proc = None
        self.mark = self.d.log_mark()

    def out(self, name="tls_policy"):
        return self.d.path("out", name)

    def text(self, name="tls_policy"):
        try:
            with open(self.out(name)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        return parse_exposition(self.get("/metrics")[1])

    def first_sync(self):
        """The store's policy rows written (the agent started by "with
        a.d"): the file's text."""
        self.wait_text(lambda t: "example.com secure" in t, timeout=5)
        return self.text()

    def synced_rows(self, n):
        """The first sync's file, once it has n lines: its text."""
        self.wait_text(lambda t: t.count("\n") == n, timeout=5)
        return self.text()

    def wait_text(self, pred, timeout=1.0, what="the output file"):
        """pred(text) within timeout seconds: the issue's "about a second"."""
        return wait_for(lambda: self.text() is not None and
                        pred(self.text()), timeout=timeout, what=what)


def tlsmap_on(path):
    """tlsmap serving the synced file, checking it often (its own reload)."""
    d = Daemon("tlsmap/tlsmap", config="""\
listen = unix:@DIR@/tlsmap.sock
maps = tlspolicy=policy:%s
reload_check_interval = 100ms
table_settle_time = 0
""" % path, name="tlsmap")
    d.start()
    return d


def lookup(d, key):
    with unix_connect(d.path("tlsmap.sock")) as s:
        s.sendall(ns("tlspolicy " + key))
        return ns_read(s).decode()


@test
def test_changes_reach_the_file_and_tlsmap_within_a_second():
    pg = store()
    a = Agent(pg.conninfo())
    with a.d:
        assert a.first_sync() == "b.example may\nexample.com secure\n"
        st = os.stat(a.out())
        assert st.st_mode & 0o777 == 0o644, oct(st.st_mode)
        with open(a.out() + ".state") as f:
            state = f.read()
        assert "rows = 2\n" in state and "generation = " in state, state
        assert "password" not in state
        t = tlsmap_on(a.out())
        with t:
            assert lookup(t, "example.com") == "OK secure"
            pg.psql("INSERT INTO tls_policy VALUES ('c.example', 'encrypt')")
            a.wait_text(lambda x: "c.example encrypt" in x)
            wait_for(lambda: lookup(t, "c.example") == "OK encrypt",
                     timeout=2, what="tlsmap answering the new row")
            pg.psql("UPDATE tls_policy SET policy = 'verify' "
                    "WHERE nexthop = 'example.com'")
            a.wait_text(lambda x: "example.com verify" in x)
            wait_for(lambda: lookup(t, "example.com") == "OK verify",
                     timeout=2, what="tlsmap answering the changed row")
            pg.psql("DELETE FROM tls_policy WHERE nexthop = 'b.example'")
            a.wait_text(lambda x: "b.example" not in x)
            wait_for(lambda: lookup(t, "b.example") == "NOTFOUND ",
                     timeout=2, what="tlsmap forgetting the deleted row")
        # a burst of 30 commits is read far fewer times (debounce)
        before = mval(a.metrics(), "pfhelpers_sync_feed_syncs_total",
                      source="tls")
        # (one psql process: 30 psql starts would take longer than the
        # debounce on a loaded machine, and that is not a burst)
        pg.psql("UPDATE tls_policy SET policy = 'encrypt' "
                "WHERE nexthop = 'c.example';\n" * 30, script=True)
        a.wait_text(lambda x: "c.example encrypt" in x)
        time.sleep(0.5)
        after = mval(a.metrics(), "pfhelpers_sync_feed_syncs_total",
                     source="tls")
        assert after - before < 30, (before, after)
        fams = a.metrics()
        check_naming_scheme(fams, "pfhelpers-sync", listeners=False)
        assert mval(fams, "pfhelpers_sync_feed_rows", source="tls") == 2
        assert a.get("/readyz")[0] == 200


@test
def test_pwfile_feed_serves_saslauthd():
    pg = store()
    h = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                       input=b"alice-pw", capture_output=True,
                       check=True).stdout.decode().strip().split(":", 1)[1]
    pg.psql("INSERT INTO mail_users VALUES ('alice', '%s')" % h)
    a = Agent(pg.conninfo(), extra="""\
feeds = tls auth
auth_source = pgsql:%s
auth_format = pwfile
auth_output = @DIR@/out/passwd
auth_query = SELECT login, hash FROM mail_users ORDER BY 1
auth_notify_channel = mail_users
""" % pg.conninfo()).start()
    with a.d:
        wait_for(lambda: a.text("passwd") == "alice:%s\n" % h, timeout=5,
                 what="the password file")
        assert os.stat(a.out("passwd")).st_mode & 0o777 == 0o600
        # two feeds, one store: one connection
        n = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                    "application_name = '' AND backend_type = "
                    "'client backend' AND pid <> pg_backend_pid()")
        assert n.strip() == "1", n
        s = Daemon("saslauthd-lite/saslauthd-lite", args=["-C",
                   "@DIR@/s.conf"], name="saslauthd-lite")
        s.write("s.conf", "run_dir = @DIR@/run\npwfile = %s\n"
                "reload_check_interval = 100ms\ntable_settle_time = 0\n"
                "throttle = no\n" % a.out("passwd"))
        s.start()
        with s:
            mux = s.path("run", "mux")
            assert sasl_auth(mux, "alice", "alice-pw").startswith("OK")
            assert sasl_auth(mux, "bob", "bob-pw").startswith("NO")
            pg.psql("INSERT INTO mail_users VALUES ('bob', '%s')" % h.replace(
                "$", "$"))
            wait_for(lambda: "bob:" in a.text("passwd"), timeout=1,
                     what="bob in the password file")
            wait_for(lambda: sasl_auth(mux, "bob", "alice-pw")
                     .startswith("OK"), timeout=2, what="bob accepted")
            # a bad hash refuses the whole update; both readers keep theirs
            pg.psql("INSERT INTO mail_users VALUES ('carol', 'Summer2024')")
            a.d.wait_log(r"feed auth: update refused: .*line 3", timeout=2)
            assert "carol" not in a.text("passwd")
            assert "Summer2024" not in a.d.log()
            assert sasl_auth(mux, "bob", "alice-pw").startswith("OK")
            fams = a.metrics()
            assert mval(fams, "pfhelpers_sync_feed_refused_updates_total",
                        source="auth", reason="bad_row") >= 1
            assert mval(fams, "pfhelpers_sync_feed_synced",
                        source="auth") == 0
            # a NULL hash too
            pg.psql("DELETE FROM mail_users WHERE login = 'carol';"
                    "INSERT INTO mail_users VALUES ('dave', NULL)")
            a.d.wait_log(r"feed auth: update refused: row 3: column 2 "
                         r"\(hash\) is NULL", timeout=2)


def fingerprint(seed):
    d = hashlib.sha256(seed.encode()).digest()
    return ":".join("%02X" % b for b in d)


def ccert_action(d, pin):
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
             ("sender", "app@example.net"), ("ccert_fingerprint", ""),
             ("ccert_pubkey_fingerprint", pin)]
    with unix_connect(d.path("policy.sock")) as s:
        return policy_query(s, attrs)["action"]


@test
def test_identities_feed_serves_policyd_ccert():
    pg = store()
    pg.psql("CREATE TABLE hosts (pin text, name text, opts text);"
            "CREATE TRIGGER hosts_sync AFTER INSERT OR UPDATE OR DELETE "
            "OR TRUNCATE ON hosts FOR EACH STATEMENT EXECUTE FUNCTION "
            "pfhelpers_sync_notify('hosts');"
            "INSERT INTO hosts VALUES ('%s', 'app-server', "
            "'senders=@example.net')" % fingerprint("app"))
    a = Agent(pg.conninfo(), extra="""\
feeds = tls ids
ids_source = pgsql:%s
ids_format = identities
ids_output = @DIR@/out/identities
ids_query = SELECT pin, name, opts FROM hosts ORDER BY 1
ids_notify_channel = hosts
""" % pg.conninfo()).start()
    with a.d:
        wait_for(lambda: a.text("identities") == "%s app-server "
                 "senders=@example.net\n" % fingerprint("app"), timeout=5,
                 what="the identities file")
        p = Daemon("policyd-ccert/policyd-ccert", config="""\
listen = unix:@DIR@/policy.sock
identities = %s
reload_check_interval = 100ms
table_settle_time = 0
""" % a.out("identities"), name="policyd-ccert")
        p.start()
        with p:
            assert ccert_action(p, fingerprint("app")) == "OK"
            assert ccert_action(p, fingerprint("new")) == "DUNNO"
            pg.psql("INSERT INTO hosts VALUES ('%s', 'new-box', NULL)"
                    % fingerprint("new"))
            wait_for(lambda: "new-box" in a.text("identities"), timeout=1,
                     what="new-box in the identities file")
            wait_for(lambda: ccert_action(p, fingerprint("new")) == "OK",
                     timeout=2, what="policyd-ccert permitting new-box")
            # an unknown option is refused as policyd-ccert refuses it
            pg.psql("UPDATE hosts SET opts = 'sendrs=@x' WHERE name = "
                    "'new-box'")
            a.d.wait_log(r"feed ids: update refused: query result, line \d: "
                         r"unknown attribute \"sendrs\"",
                         timeout=2)
            assert ccert_action(p, fingerprint("new")) == "OK"


@test
def test_outage_keeps_the_file_and_changes_arrive_after_it():
    pg = store()
    a = Agent(pg.conninfo())
    with a.d:
        good = a.first_sync()
        pg.stop()
        a.d.wait_log(r"the tables stay as they are; retrying", timeout=5)
        time.sleep(1.0)
        assert a.d.running() and a.text() == good
        # the agent restarted during the outage keeps the file, and its
        # state file says it synced before: ready, the file serves
        a.stop()
        assert a.text() == good
        a.start()
        time.sleep(0.5)
        assert a.text() == good
        assert a.get("/readyz")[0] == 200
        assert mval(a.metrics(), "pfhelpers_sync_feed_connected",
                    source="tls") == 0
        # the store returns: a change made while the agent was away
        # (its notification went to nobody) arrives by the re-read
        pg.start()
        a.d.wait_log(r"connected again after \d+ failed attempts", timeout=5,
                     since=a.mark)
        wait_for(lambda: mval(a.metrics(), "pfhelpers_sync_feed_connected",
                              source="tls") == 1, timeout=5, what="up")
        a.stop()
        pg.psql("INSERT INTO tls_policy VALUES ('away.example', 'may')")
        a.d.start()
        a.wait_text(lambda t: "away.example may" in t, timeout=3)
        # a notification lost to a dropped connection: the reconnect
        # re-reads (retry_min 100ms, so the change lands before it)
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' AND "
                "pid <> pg_backend_pid(); "
                "INSERT INTO tls_policy VALUES ('lost.example', 'may')")
        a.wait_text(lambda t: "lost.example may" in t, timeout=3)


@test
def test_never_synced_is_not_ready():
    need_postgres()
    dead = pfhtest.make_tmpdir(prefix="pfh-nopg-")
    a = Agent("host=%s port=5 dbname=postgres" % dead)
    with a.d:
        a.d.wait_log(r"store .*: connection to server on socket .*failed.*"
                     r"the tables stay as they are; retrying", timeout=5)
        status, body = a.get("/readyz")
        assert status == 503 and "feed tls has never synced" in body, body
        assert a.text() is None
        fams = a.metrics()
        assert mval(fams, "pfhelpers_sync_feed_connected", source="tls") == 0
        assert mval(fams, "pfhelpers_sync_feed_sync_age_seconds",
                    source="tls") == -1
        # backoff: a few attempts in a second, not hundreds
        time.sleep(1.0)
        tries = len(re.findall(r"retrying in", a.d.log()))
        assert 2 <= tries <= 8, tries


def refused(pg, a, sql, why):
    """sql committed, the tls feed's update refused (the log names why),
    and the file as it was"""
    good = a.text()
    pg.psql(sql)
    a.d.wait_log(r"feed tls: update refused: " + why, timeout=2)
    assert a.text() == good


@test
def test_mass_delete_is_refused_also_after_a_restart():
    pg = store([("h%d.example" % i, "may") for i in range(10)])
    a = Agent(pg.conninfo()).start()
    with a.d:
        good = a.synced_rows(10)
        refused(pg, a, "DELETE FROM tls_policy WHERE nexthop <> "
                "'h0.example' AND nexthop <> 'h1.example'",
                r"it would delete 8 of the 10 rows .*max_delete_fraction "
                r"= 0.5")
        fams = a.metrics()
        assert mval(fams, "pfhelpers_sync_feed_refused_updates_total",
                    source="tls", reason="mass_delete") == 1
        status, body = a.get("/status.json")
        assert "max_delete_fraction" in body, body
        a.stop()
        a.start()
        a.d.wait_log(r"update refused: it would delete 8 of the 10", timeout=5,
                     since=a.mark)
        assert a.text() == good
        # a smaller delete passes
        pg.psql("INSERT INTO tls_policy SELECT 'n' || g || '.example', 'may'"
                " FROM generate_series(1, 6) g")
        a.wait_text(lambda t: t.count("\n") == 8 and "n6.example" in t)


@test
def test_a_table_past_max_table_size_is_refused():
    # 50 rows of 16 bytes: 800 of the 1,024 allowed (the next read's
    # buffer is reserved at the last read's size: the cap must still hold)
    pg = store([("h%02d.example" % i, "may") for i in range(50)])
    a = Agent(pg.conninfo(), extra="max_table_size = 1k\n").start()
    with a.d:
        a.synced_rows(50)
        refused(pg, a, "INSERT INTO tls_policy SELECT 'n' || g || "
                "'.example', 'may' FROM generate_series(10, 29) g",
                r"row \d+: the table is larger than max_table_size")
        assert mval(a.metrics(), "pfhelpers_sync_feed_synced",
                    source="tls") == 0
        # back under the cap: written again
        pg.psql("DELETE FROM tls_policy WHERE nexthop >= 'n15'")
        a.wait_text(lambda t: t.count("\n") == 55 and "n14.example" in t)
        assert len(a.text()) <= 1024


@test
def test_failover_to_the_second_host():
    a_pg = store([("first.example", "may")])
    b_pg = store([("second.example", "encrypt")])
    conninfo = ("host=%s,%s port=%d,%d dbname=postgres user=postgres"
                % (a_pg.dir, b_pg.dir, a_pg.port, b_pg.port))
    a = Agent(conninfo, extra="max_delete_fraction = 1\n").start()
    with a.d:
        a.wait_text(lambda t: t == "first.example may\n", timeout=5)
        a_pg.stop()
        a.wait_text(lambda t: t == "second.example encrypt\n", timeout=5)
        b_pg.psql("INSERT INTO tls_policy VALUES ('third.example', 'may')")
        a.wait_text(lambda t: "third.example may" in t)
        status, body = a.get("/status.json")
        assert b_pg.dir in body, body


@test
def test_sighup_adds_a_feed_and_keeps_the_files():
    pg = store()
    pg.psql("INSERT INTO mail_users VALUES ('alice', '!')")
    a = Agent(pg.conninfo())
    with a.d:
        good = a.first_sync()
        with open(a.d.config_file, "a") as f:
            f.write("feeds = tls auth\n"
                    "auth_source = pgsql:%s\n"
                    "auth_format = pwfile\n"
                    "auth_output = %s\n"
                    "auth_query = SELECT login, hash FROM mail_users\n"
                    "auth_notify_channel = mail_users\n"
                    % (pg.conninfo(), a.out("passwd")))
        a.d.reload()
        wait_for(lambda: a.text("passwd") == "alice:!\n", timeout=2,
                 what="the new feed's file")
        assert a.text() == good
        # a bad config on SIGHUP keeps the running one
        with open(a.d.config_file, "a") as f:
            f.write("auth_format = csv\n")
        mark = a.d.log_mark()
        a.d.reload()
        a.d.wait_log(r"auth_format = csv", since=mark)
        pg.psql("INSERT INTO mail_users VALUES ('bob', '*')")
        wait_for(lambda: "bob:*" in a.text("passwd"), timeout=1,
                 what="the running config still syncing")


@test
def test_check_names_the_bad_line():
    need_postgres()
    d = pfhtest.make_tmpdir(prefix="pfh-sync-")
    conf = os.path.join(d, "s.conf")
    prog = os.path.join(BUILDDIR, PROG)
    cases = [
        ("feeds = tls\ntls_source = pgsql:host=/tmp\ntls_sourcee = x\n",
         "s.conf, line 3: unknown parameter \"tls_sourcee\""),
        ("feeds = tls\ntls_output_mode = 9\n",
         "s.conf, line 2: tls_output_mode: not an octal mode"),
        ("feeds = tls tls\n", "s.conf, line 1: feeds: \"tls\" is listed twice"),
        ("feeds = tls\ntls_source = pgsql:host=/tmp\ntls_format = csv\n"
         "tls_output = /tmp/x\ntls_query = SELECT 1\n",
         "tls_format = csv: want pwfile, identities or policy"),
        ("feeds = a\na_source = pgsql:host=/tmp\na_format = pwfile\n"
         "a_output = /tmp/x\na_query = SELECT 1\na_output_mode = 0644\n",
         "a_output_mode = 0644: a password file must give others no access"),
        ("feeds = a\na_source = pgsql:host='/tmp\na_format = policy\n"
         "a_output = /tmp/x\na_query = SELECT 1\n",
         "a_source: libpq cannot parse the connection string"),
        ("feeds = a\na_source = pgsql:password=hunter2 bogus=1\n"
         "a_format = policy\na_output = /tmp/x\na_query = SELECT 1\n",
         "a_source: libpq cannot parse"),
    ]
    for text, want in cases:
        with open(conf, "w") as f:
            f.write(text)
        r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode != 0, (text, r)
        assert want in r.stderr, (want, r.stderr)
        assert "hunter2" not in r.stderr
    # a good config whose output does not parse
    with open(os.path.join(d, "tls_policy"), "w") as f:
        f.write("example.com bogus\n")
    with open(conf, "w") as f:
        f.write("feeds = tls\ntls_source = pgsql:host=/tmp\n"
                "tls_format = policy\ntls_output = %s/tls_policy\n"
                "tls_query = SELECT 1\n" % d)
    r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "tls_policy, line 1" in r.stderr, r.stderr
    with open(os.path.join(d, "tls_policy"), "w") as f:
        f.write("example.com secure\n")
    r = subprocess.run([prog, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "feed tls" in r.stderr and "1 rows" in \
        r.stderr, r.stderr


TLS_WARNING = (r"tls_source: reaches the store over TCP without "
               r"sslmode=verify-full")


def tls_store():
    """The TLS cluster with the role pfsync (scram, read-only on the
    table), and its password file: the password is never in a config."""
    pg = store(tls=True)
    pw = "pfsync-" + hashlib.sha256(os.urandom(16)).hexdigest()[:16]
    pg.add_role("pfsync", pw)
    pg.psql("GRANT SELECT ON tls_policy TO pfsync")
    return pg, pg.passfile("pfsync", pw), pw


def ssl_of(pg, app):
    """pg_stat_ssl's ssl|version of the backends named app, server side."""
    return pg.psql("SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN "
                   "pg_stat_activity a USING (pid) WHERE "
                   "a.application_name = '%s'" % app).strip()


@test
def test_verify_full_with_a_password_file():
    pg, passfile, pw = tls_store()
    conninfo = pg.tcp_conninfo(passfile=passfile,
                               application_name="pfh-sync-tls")
    a = Agent(conninfo)
    with a.d:
        assert a.first_sync() == "b.example may\nexample.com secure\n"
        log = a.d.log()
        assert re.search(r"store pgsql host=localhost port=%d "
                         r"dbname=postgres: connected, TLS TLSv1\.[23] "
                         % pg.port, log), log
        assert not re.search(TLS_WARNING, log), log
        # the server says so too: this backend speaks TLS
        assert ssl_of(pg, "pfh-sync-tls").startswith("t|TLSv1."), \
            ssl_of(pg, "pfh-sync-tls")
        pg.psql("INSERT INTO tls_policy VALUES ('c.example', 'encrypt')")
        a.wait_text(lambda x: "c.example encrypt" in x)
        assert a.get("/readyz")[0] == 200
        for text in (a.d.log(), a.get("/status.json")[1], a.text(),
                     open(a.out() + ".state").read()):
            assert pw not in text


@test
def test_a_certificate_that_does_not_verify_is_refused():
    pg, passfile, pw = tls_store()
    other_ca = make_ca(pfhtest.make_tmpdir(prefix="pfh-ca-"))
    # a name the certificate does not carry (hostaddr keeps the address)
    a = Agent(pg.tcp_conninfo(passfile=passfile, host="wrong.example",
                              hostaddr="127.0.0.1"))
    with a.d:
        a.d.wait_log(r"store .*: .*server certificate for .* does not match "
                     r"host name \"wrong\.example\".*the tables stay as "
                     r"they are; retrying", timeout=5)
        status, body = a.get("/readyz")
        assert status == 503 and "feed tls has never synced" in body, body
        assert a.text() is None
        assert mval(a.metrics(), "pfhelpers_sync_feed_connected",
                    source="tls") == 0
    # synced once with the right CA; then the CA changes to one that did
    # not sign the server's certificate (a SIGHUP): refused, file kept
    b = Agent(pg.tcp_conninfo(passfile=passfile))
    with b.d:
        good = b.first_sync()
        with open(b.d.config_file) as f:
            conf = f.read()
        with open(b.d.config_file, "w") as f:
            f.write(conf.replace(pg.tls.ca_cert, other_ca.ca_cert))
        mark = b.d.log_mark()
        b.d.reload()
        b.d.wait_log(r"store .*: .*certificate verify failed.*the tables "
                     r"stay as they are; retrying", timeout=5, since=mark)
        pg.psql("INSERT INTO tls_policy VALUES ('c.example', 'encrypt')")
        time.sleep(1.0)
        assert b.text() == good
        fams = b.metrics()
        assert mval(fams, "pfhelpers_sync_feed_connected", source="tls") == 0
        status, body = b.get("/status.json")
        assert "certificate verify failed" in body, body
        # the file of a good sync serves through this, as in an outage
        assert b.get("/readyz")[0] == 200


@test
def test_no_silent_downgrade_and_the_warning():
    pg, passfile, pw = tls_store()
    # sslmode=disable: the hba wants TLS; libpq must not get in without
    a = Agent(pg.tcp_conninfo(passfile=passfile, sslmode="disable",
                              sslrootcert=None, host="127.0.0.1"))
    with a.d:
        a.d.wait_log(TLS_WARNING)
        a.d.wait_log(r"pg_hba\.conf rejects connection .*no encryption.*"
                     r"retrying", timeout=5)
        assert a.get("/readyz")[0] == 503
        assert a.text() is None
    # sslmode=require gets in (TLS, no name check), with the warning
    b = Agent(pg.tcp_conninfo(passfile=passfile, sslmode="require",
                              sslrootcert=None, host="127.0.0.1",
                              application_name="pfh-sync-req"))
    with b.d:
        b.d.wait_log(TLS_WARNING)
        b.first_sync()
        assert ssl_of(pg, "pfh-sync-req").startswith("t|")
    # check warns as well; a socket directory does not
    r = subprocess.run([os.path.join(BUILDDIR, PROG), "-c",
                        b.d.config_file, "check"], capture_output=True,
                       text=True, timeout=30)
    assert re.search(TLS_WARNING, r.stderr), r.stderr
    c = Agent(pg.conninfo())
    with c.d:
        c.first_sync()
        assert not re.search(TLS_WARNING, c.d.log())


if __name__ == "__main__":
    run_tests(module_globals=globals())
