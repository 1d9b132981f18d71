#!/usr/bin/env python3
"""test_saslauthd_ldap - saslauthd-lite's ldap backend against a real slapd.

Every test starts its own slapd (tests/lib/slapd_instance.py: a private
mdb database seeded with slapadd, ldap:// on a free loopback port, a test
CA for StartTLS and ldaps://) and saslauthd-lite with -a ldap, and asks
through the mux socket as testsaslauthd would. What is proven:
  * bind (search, then a bind as the entry found), anonymous and as a
    service DN; fastbind (a bind as the DN the template makes); custom
    (userPassword's {CRYPT} value compared by saslauthd-lite);
  * StartTLS and ldaps:// with the test CA; a CA that did not sign the
    server's certificate is a temporary failure, never OK;
  * two servers, the first down: the second answers;
  * the holes: an empty password, filter metacharacters (`*`, `)(uid=*`,
    a backslash) in the login never match someone else; a login whose
    filter finds two entries is a failure; an unknown user is one too,
    and costs what a wrong password costs (bind: a dummy bind, through a
    relay that makes each round trip 15 ms; custom: a crypt);
  * a directory that stops answering mid-request (SIGSTOP) is a
    temporary failure within backend_timeout, whatever ldap_timeout says,
    and works again after SIGCONT; a restarted slapd is reconnected to;
  * -a ldap -O FILE with a Cyrus-format /etc/saslauthd.conf, and "check"
    naming FILE, line N for a bad value there;
  * ldap_password never shows in the log or on the status page.
"""

import json
import os
import socket
import subprocess
import threading
import time

from pfhtest import (BUILDDIR, add_cleanup, free_port, http_text,
                     join_threads, make_tmpdir, relay_pipe, run_tests, skip)
from slapd_instance import SUFFIX, Slapd, need_slapd
from test_saslauthd import PROG, Sasl, last_decision, mkhash

PEOPLE = "ou=people," + SUFFIX
READER_DN = "cn=reader," + SUFFIX
READER_PW = "R3ader-Service-Pw-5519"     # must never show up in a log
ALICE_PW = "Alice-Ldap-Pw-1"
STAR_PW = "Star-Ldap-Pw-2"
BACK_PW = "Back-Ldap-Pw-3"
DUP_PW = "Dup-Ldap-Pw-4"
YES_PW = "Yes-Ldap-Pw-5"
LOOSE_S = 1.0   # past backend_timeout: a hang, not a slow machine


def crypt_hash(pw):
    out = subprocess.run(["openssl", "passwd", "-6", "-salt", "pfhtestsalt",
                          pw], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def person(uid, pw, ou="people", plain=False):
    value = pw if plain else "{CRYPT}" + crypt_hash(pw)
    return ("dn: uid=%s,ou=%s,%s\nobjectClass: inetOrgPerson\nuid: %s\n"
            "cn: %s\nsn: %s\nuserPassword: %s\n\n"
            % (uid, ou, SUFFIX, uid, uid, uid, value))


def seed():
    ous = "".join("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n"
                  % (ou, SUFFIX, ou) for ou in ("people", "others"))
    reader = ("dn: %s\nobjectClass: organizationalRole\n"
              "objectClass: simpleSecurityObject\ncn: reader\n"
              "userPassword: %s\n\n" % (READER_DN, READER_PW))
    return (ous + reader + person("alice", ALICE_PW) +
            person("bob", "Bob-Plain-Pw", plain=True) +
            person("st*r", STAR_PW) +
            # LDIF values are raw: this uid is the 10 bytes back\slash
            "dn: uid=back\\5cslash,%s\nobjectClass: inetOrgPerson\n"
            "uid: back\\slash\ncn: b\nsn: b\nuserPassword: {CRYPT}%s\n\n"
            % (PEOPLE, crypt_hash(BACK_PW)) +
            person("dup", DUP_PW) + person("dup", DUP_PW, ou="others") +
            # a costly hash: the crypt work dominates its check
            person("yes", "{CRYPT}" + mkhash(YES_PW, "yescrypt"),
                   plain=True))


# The reader may read the hashes (custom); users bind; all else readable.
ACL = """\
access to attrs=userPassword
    by dn.exact="%s" read
    by anonymous auth
    by * none
access to * by * read
""" % READER_DN


def directory(tls=False):
    return Slapd(seed=seed(), acl=ACL, tls=tls)


def daemon(ds_or_urls, params=None, args=(), start=True):
    urls = ds_or_urls if isinstance(ds_or_urls, str) else ds_or_urls.url
    conf = {"mechanisms": "ldap", "ldap_servers": urls,
            "ldap_search_base": SUFFIX, "backend_timeout": "3s",
            "ldap_timeout": "2s"}
    conf.update(params or {})
    return Sasl(params=conf, args=args, start=start)


def assert_secret_hidden(s, *secrets):
    log = s.log()
    for sec in secrets:
        assert sec not in log, "a secret in the log"


def assert_tempfail_within(s, budget):
    """One request to a directory that does not answer: a temporary
    failure (the backend's or the session's deadline), within budget s
    and LOOSE_S more."""
    r, took = s.timed("alice", ALICE_PW)
    assert r in ("NO temporary failure", "NO backend timeout"), r
    assert took < budget + LOOSE_S, took


def assert_back_after_resume(s):
    deadline = time.monotonic() + 10
    while s.auth("alice", ALICE_PW) != "OK":
        assert time.monotonic() < deadline, "never answered after SIGCONT"
        time.sleep(0.2)


# -------------------------------------------------------------------------

def test_search_then_bind_anonymous():
    ds = directory()
    s = daemon(ds)
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert "wrong password" in last_decision(s, "alice")
    assert s.auth("nobody", "whatever") == "NO authentication failed"
    assert 'reason="unknown' in last_decision(s, "nobody")
    # bob's userPassword is in the clear: slapd's own compare takes it
    assert s.auth("bob", "Bob-Plain-Pw") == "OK"


def test_search_then_bind_as_service_dn():
    ds = directory()
    s = daemon(ds, {"ldap_bind_dn": READER_DN, "ldap_password": READER_PW})
    for _ in range(3):      # the pooled connection is bound back each time
        assert s.auth("alice", ALICE_PW) == "OK"
        assert s.auth("alice", "wrong") == "NO authentication failed"
    assert_secret_hidden(s, READER_PW, ALICE_PW)


def test_wrong_service_password_is_a_temporary_failure():
    ds = directory()
    s = daemon(ds, {"ldap_bind_dn": READER_DN, "ldap_password": "not-it"})
    assert s.auth("alice", ALICE_PW) == "NO temporary failure"
    assert "ldap_bind_dn" in last_decision(s, "alice")


def test_fastbind():
    ds = directory()
    s = daemon(ds, {"ldap_auth_method": "fastbind",
                    "ldap_filter": "uid=%u," + PEOPLE})
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert s.auth("nobody", ALICE_PW) == "NO authentication failed"
    # a DN-special login is one escaped value, not another DN
    assert s.auth("alice,ou=people", ALICE_PW) == "NO authentication failed"
    assert s.auth("st*r", STAR_PW) == "OK"


def test_custom_compares_the_crypt_hash():
    ds = directory()
    s = daemon(ds, {"ldap_auth_method": "custom",
                    "ldap_bind_dn": READER_DN, "ldap_password": READER_PW})
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    # a cleartext userPassword is not compared: no {CRYPT} value
    assert s.auth("bob", "Bob-Plain-Pw") == "NO authentication failed"
    assert "{CRYPT}" in last_decision(s, "bob")
    assert_secret_hidden(s, READER_PW, ALICE_PW)


def test_starttls_with_the_test_ca():
    ds = directory(tls=True)
    s = daemon(ds, {"ldap_start_tls": "yes",
                    "ldap_tls_cacert_file": ds.ca_file})
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    s2 = daemon(ds.ldaps_url, {"ldap_tls_cacert_file": ds.ca_file})
    assert s2.auth("alice", ALICE_PW) == "OK"


def test_a_wrong_ca_is_never_ok():
    ds = directory(tls=True)
    from slapd_instance import make_test_ca
    other = make_tmpdir(prefix="pfh-ca2-")
    wrong_ca = make_test_ca(other, "other")[0]
    for url, extra in ((ds.url, {"ldap_start_tls": "yes"}),
                       (ds.ldaps_url, {})):
        for ca in (wrong_ca, ""):       # "": the system's CAs
            s = daemon(url, dict(extra, ldap_tls_cacert_file=ca))
            for pw in (ALICE_PW, "wrong"):
                assert s.auth("alice", pw) == "NO temporary failure", url
            assert url in last_decision(s, "alice")
        # the same server with the right CA: the certificate was the cause
        s = daemon(url, dict(extra, ldap_tls_cacert_file=ds.ca_file))
        assert s.auth("alice", ALICE_PW) == "OK", url


def test_two_servers_the_first_one_down():
    ds = directory()
    dead = "ldap://127.0.0.1:%d" % free_port()     # nobody listens
    s = daemon("%s %s" % (dead, ds.url))
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert dead in s.log()          # the failure was logged
    # the first one down, the second up: each only one way
    s2 = daemon("%s %s" % (ds.url, dead))
    assert s2.auth("alice", ALICE_PW) == "OK"


def test_a_hung_first_server_fails_over_within_the_budget():
    # ldap_timeout below backend_timeout: the hung one costs ldap_timeout,
    # the next server answers, and later requests skip the hung one
    hung, ds = directory(), directory()
    s = daemon("%s %s" % (hung.url, ds.url),
               {"ldap_timeout": "400ms", "backend_timeout": "3s"})
    assert s.auth("alice", ALICE_PW) == "OK"        # from the first
    hung.pause()
    try:
        r, took = s.timed("alice", ALICE_PW)
        assert r == "OK" and took < 3.0, (r, took)
        r, took = s.timed("alice", ALICE_PW)
        assert r == "OK" and took < 0.4, (r, took)  # skipped now
    finally:
        hung.resume()


def test_starttls_to_a_stopped_server_is_bounded():
    ds = directory(tls=True)
    s = daemon(ds, {"ldap_start_tls": "yes", "ldap_tls_cacert_file":
                    ds.ca_file, "backend_timeout": "1s",
                    "ldap_timeout": "30s"})
    ds.pause()
    try:
        assert_tempfail_within(s, 1.0)
    finally:
        ds.resume()
    assert_back_after_resume(s)


def test_all_servers_down_is_a_temporary_failure():
    dead = "ldap://127.0.0.1:%d ldap://127.0.0.1:%d" % (free_port(),
                                                          free_port())
    need_slapd()
    s = daemon(dead)
    assert s.auth("alice", ALICE_PW) == "NO temporary failure"


def test_empty_password_is_never_a_bind():
    ds = directory()
    s = daemon(ds)
    assert s.auth("alice", "") == "NO NULL password received"
    s2 = daemon(ds, {"ldap_auth_method": "fastbind",
                     "ldap_filter": "uid=%u," + PEOPLE})
    assert s2.auth("alice", "") == "NO NULL password received"
    assert s2.auth("alice", ALICE_PW) == "OK"


def test_filter_metacharacters_match_nobody_else():
    ds = directory()
    s = daemon(ds)
    for login in ("*", "al*", ")(uid=*", "alice)(uid=*", "*)(|(uid=*",
                  "alice\\", "\\2a", "st\\2ar"):
        assert s.auth(login, ALICE_PW) == "NO authentication failed", login
        assert 'reason="unknown' in last_decision(s), login
    # and the literal names are found, exactly
    assert s.auth("st*r", STAR_PW) == "OK"
    assert s.auth("back\\slash", BACK_PW) == "OK"
    assert s.auth("back*", BACK_PW) == "NO authentication failed"


def test_a_user_found_twice_is_a_failure():
    ds = directory()
    s = daemon(ds)
    assert s.auth("dup", DUP_PW) == "NO authentication failed"
    assert "more than one entry" in last_decision(s, "dup")


def test_a_directory_that_stops_answering():
    ds = directory()
    s = daemon(ds, {"backend_timeout": "1500ms", "ldap_timeout": "60s"})
    assert s.auth("alice", ALICE_PW) == "OK"        # a pooled connection
    ds.pause()
    try:
        assert_tempfail_within(s, 1.5)      # the pooled connection
        assert_tempfail_within(s, 1.5)      # a fresh one: the same
    finally:
        ds.resume()
    assert_back_after_resume(s)


def test_slapd_restarted_is_reconnected_to():
    ds = directory()
    s = daemon(ds, {"ldap_bind_dn": READER_DN, "ldap_password": READER_PW})
    assert s.auth("alice", ALICE_PW) == "OK"
    ds.restart()
    # the pooled connection is dead: dropped and made again at once
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"


def test_parallel_requests_share_the_pool():
    ds = directory()
    s = daemon(ds, {"workers": "3"})
    results = []

    def one(i):
        pw = ALICE_PW if i % 2 == 0 else "wrong-%d" % i
        results.append((i, s.auth("alice", pw)))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    join_threads(threads)
    for i, r in results:
        assert r == ("OK" if i % 2 == 0 else "NO authentication failed"), \
            (i, r)
    assert len(results) == 24


CYRUS_CONF = """\
# /etc/saslauthd.conf as Cyrus saslauthd reads it
ldap_servers: {dead} {url}
ldap_search_base: {base}
ldap_filter: (uid=%u)
ldap_bind_dn: {dn}
ldap_bind_pw: {pw}
ldap_auth_method: bind
ldap_scope: sub
ldap_timeout: 2
ldap_version: 3
ldap_tls_check_peer: no
"""


class SlowLink:
    """A TCP relay to slapd that holds each request DELAY s: every round
    trip to the directory then costs that much, far above the noise."""
    DELAY = 0.015

    def __init__(self, ds):
        self.target = ("127.0.0.1", ds.port)
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.url = "ldap://127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.socks = [self.lsock]
        add_cleanup(self.close)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.create_connection(self.target)
            self.socks += [c, u]
            for a, b, delay in ((c, u, self.DELAY), (u, c, 0)):
                threading.Thread(target=relay_pipe, args=(a, b, delay),
                                 daemon=True).start()

    def close(self):
        for x in self.socks:
            x.close()


def unknown_vs_wrong(s, user):
    """The fastest of a few tries each: a loaded machine only adds time.
    No cache (a repeated NO would be a hit), no throttle (its delay)."""
    for _ in range(2):          # connections made, the dummy learnt
        assert s.auth(user, "wrong") == "NO authentication failed"
        assert s.auth("zed", "wrong") == "NO authentication failed"
    known = min(s.timed(user, "wrong")[1] for _ in range(5))
    unknown = min(s.timed("zed", "wrong")[1] for _ in range(5))
    assert 'reason="unknown user"' in last_decision(s, "zed")
    return known, unknown


def test_unknown_user_costs_a_bind():
    # a wrong password costs the bind back, the search and the user's bind;
    # an unknown user used to cost the search alone. bob's userPassword is
    # in the clear, so slapd's own check of it costs nothing either.
    ds = directory()
    link = SlowLink(ds)
    s = daemon(link.url, {"cache": "no", "throttle": "no", "workers": "1"})
    assert s.auth("bob", "Bob-Plain-Pw") == "OK"
    known, unknown = unknown_vs_wrong(s, "bob")
    # 3 round trips each; 1 against 3 without the dummy bind
    assert unknown > known * 0.7, (known, unknown)
    # the dummy bind is never an OK, whatever the password
    assert s.auth("zed", READER_PW) == "NO authentication failed"


def test_unknown_user_costs_a_crypt():
    # custom: the known user's {CRYPT} value is hashed here; an unknown
    # user pays one hash of the value compared last
    ds = directory()
    s = daemon(ds, {"ldap_auth_method": "custom", "cache": "no",
                    "throttle": "no", "ldap_bind_dn": READER_DN,
                    "ldap_password": READER_PW})
    known, unknown = unknown_vs_wrong(s, "yes")
    # yescrypt costs ms; a search alone is a fraction of one
    assert unknown > known * 0.5, (known, unknown)
    # so does an entry without a {CRYPT} value (bob's is in the clear)
    plain = min(s.timed("bob", "wrong")[1] for _ in range(5))
    assert plain > known * 0.5, (known, plain)
    assert s.auth("yes", YES_PW) == "OK"


def test_cyrus_format_file_with_dash_O():
    ds = directory()
    dir = make_tmpdir(prefix="pfh-cyrus-")
    conf = os.path.join(dir, "saslauthd.conf")
    with open(conf, "w") as f:
        f.write(CYRUS_CONF.format(dead="ldap://127.0.0.1:%d" % free_port(),
                                  url=ds.url, base=SUFFIX, dn=READER_DN,
                                  pw=READER_PW))
    os.chmod(conf, 0o600)
    # saslauthd-lite -a ldap -O FILE -m DIR, the Cyrus command line
    s = Sasl(params={"mechanisms": "pwfile"}, start=False)
    s.d.args += ["-a", "ldap", "-O", conf, "-m", os.path.join(s.dir, "run")]
    s.d.start()
    assert s.auth("alice", ALICE_PW) == "OK"
    assert s.auth("alice", "wrong") == "NO authentication failed"
    assert "ldap_tls_check_peer" in s.log()      # said it was ignored
    assert_secret_hidden(s, READER_PW)
    # -O before -a: the same
    s2 = Sasl(params={"mechanisms": "pwfile"}, start=False)
    s2.d.args += ["-O", conf, "-a", "ldap"]
    s2.d.start()
    assert s2.auth("alice", ALICE_PW) == "OK"


def write_cyrus(conf, ds, mode=0o600, **keys):
    """A Cyrus-format file: ldap_servers and ldap_search_base for ds, then
    ldap_KEY: VALUE for each keyword, in order (ldap_filter is line 3)."""
    with open(conf, "w") as f:
        f.write("ldap_servers: %s\nldap_search_base: %s\n" % (ds.url, SUFFIX))
        for k, v in keys.items():
            f.write("ldap_%s: %s\n" % (k, v))
    os.chmod(conf, mode)
    return conf


def test_reload_rereads_the_cyrus_file():
    ds = directory()
    conf = os.path.join(make_tmpdir(prefix="pfh-cyrus-"), "saslauthd.conf")

    def write(filt):
        write_cyrus(conf, ds, filter=filt)

    write("(uid=%u)")
    s = Sasl(params={"mechanisms": "ldap", "ldap_config": conf})
    assert s.auth("alice", ALICE_PW) == "OK"
    # only people of ou=others now: alice is not one of them
    write("(&(uid=%u)(ou:dn:=others))")
    s.d.reload()
    assert s.auth("alice", ALICE_PW) == "NO authentication failed"
    assert 'reason="unknown' in last_decision(s, "alice")
    # a broken file is refused: the running settings stay
    mark = s.d.log_mark()
    write("(uid=%u")
    s.d.reload(wait_ready=False)
    s.d.wait_log(r"line 3: ldap_filter: unbalanced", since=mark)
    assert s.auth("alice", ALICE_PW) == "NO authentication failed"
    write("(uid=%u)")
    s.d.reload()
    assert s.auth("alice", ALICE_PW) == "OK"


def test_a_readable_cyrus_file_with_a_password_is_warned_about():
    ds = directory()
    conf = write_cyrus(os.path.join(make_tmpdir(prefix="pfh-cyrus-"),
                                    "saslauthd.conf"), ds, mode=0o644,
                       bind_dn=READER_DN, password=READER_PW)
    s = Sasl(params={"mechanisms": "ldap", "ldap_config": conf})
    assert s.auth("alice", ALICE_PW) == "OK"
    assert "holds ldap_password and everyone may read it" in s.log()
    assert_secret_hidden(s, READER_PW)


def check(args):
    r = subprocess.run([os.path.join(BUILDDIR, PROG)] + args + ["check"],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_check_names_the_bad_line():
    need_slapd()
    dir = make_tmpdir(prefix="pfh-cyrus-")
    conf = os.path.join(dir, "saslauthd.conf")
    s = Sasl(params={"mechanisms": "ldap", "ldap_search_base": SUFFIX},
             start=False)
    cases = [
        ("ldap_servers: http://x\n", "line 1: ldap_servers"),
        ("# c\nldap_filter: (uid=%u\n", "line 2: ldap_filter: unbalanced"),
        ("ldap_filter: (uid=%x)\n", "not a known token"),
        ("ldap_tls_cacert_file: /nonexistent/ca.pem\n",
         "ldap_tls_cacert_file: /nonexistent/ca.pem"),
        ("ldap_auth_method: sasl\n", "want bind, fastbind or custom"),
        ("ldap_scope: deep\n", "want sub, one or base"),
        ("ldap_group_dn: cn=mail," + SUFFIX + "\n", "not supported"),
        ("no colon here\n", "line 1: expected"),
        ("ldap_auth_method: fastbind\n", "user's DN"),
    ]
    for text, want in cases:
        with open(conf, "w") as f:
            f.write(text)
        rc, out = check(["-C", s.conf, "-O", conf, "-a", "ldap"])
        assert rc != 0, (text, out)
        assert conf in out or "line" not in want, (text, out)
        assert want in out, (text, want, out)
    # a parameter of the config file: named by its name
    rc, out = check(["-C", s.conf, "-o", "ldap_filter=(uid=%u))"])
    assert rc != 0 and "ldap_filter: unbalanced" in out, out
    rc, out = check(["-C", s.conf, "-o", "ldap_servers=ldap://a:99999999"])
    assert rc != 0 and "ldap_servers" in out, out
    # and a good one passes
    with open(conf, "w") as f:
        f.write("ldap_servers: ldap://127.0.0.1/\nldap_search_base: %s\n"
                % SUFFIX)
    rc, out = check(["-C", s.conf, "-a", "ldap", "-O", conf])
    assert rc == 0, out


def test_status_page_shows_the_pool_never_the_password():
    ds = directory()
    port = free_port()
    s = daemon(ds, {"ldap_bind_dn": READER_DN, "ldap_password": READER_PW},
               args=["-o", "status_listen=inet:127.0.0.1:%d" % port])
    assert s.auth("alice", ALICE_PW) == "OK"
    st, body = http_text("http://127.0.0.1:%d/status.json" % port)
    assert st == 200
    assert READER_PW not in body and ALICE_PW not in body
    doc = json.loads(body)
    sec = [x for x in doc["sections"] if x["id"] == "ldap"]
    assert sec, [x["id"] for x in doc["sections"]]
    text = json.dumps(sec[0])
    assert ds.url in text and "server_in_use" in text, text
    st, metrics = http_text("http://127.0.0.1:%d/metrics" % port)
    assert "saslauthd_lite_ldap_pool_size 5" in metrics, metrics
    assert "saslauthd_lite_ldap_connects_total 1" in metrics, metrics
    for path in ("/", "/status.json", "/metrics"):
        st, b = http_text("http://127.0.0.1:%d%s" % (port, path))
        assert READER_PW not in b, path
    assert_secret_hidden(s, READER_PW)


if __name__ == "__main__":
    if not os.access(os.path.join(BUILDDIR, PROG), os.X_OK):
        skip("%s not built" % PROG)
    need_slapd()
    run_tests()
