#!/usr/bin/env python3
"""policyd-ccert, saslauthd-lite and the status page's auth file against
their own files cut short, emptied or missing (issue #12).

tlsmap has its own file (test_tlsmap_tables.py); here: a cut identities
file must not drop a senders= continuation (any sender accepted), an
emptied password file must not lock everyone out, and a missing or empty
file is a start-up error naming it.
"""

import base64
import hashlib
import os
import subprocess
import time
import urllib.error
import urllib.request

import pfhtest
from pfhtest import (BUILDDIR, Daemon, DaemonError, free_port, policy_query,
                     run_tests, sasl_auth, unix_connect, wait_for)

POLICYD = "policyd-ccert/policyd-ccert"
SASL = "saslauthd-lite/saslauthd-lite"
TLSMAP = "tlsmap/tlsmap"
PASSWD_TOOL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite-passwd")


def fp(seed):
    d = hashlib.sha256(seed.encode()).digest()
    return ":".join("%02X" % b for b in d)


PK_APP = fp("app-key")
PK_BOB = fp("bob-key")
IDENTITIES = """\
%s laptop-bob
%s app-server kind=pubkey
    senders=@example.net
""" % (PK_BOB, PK_APP)


def mkhash(password):
    out = subprocess.run([PASSWD_TOOL, "-m", "sha512crypt", "u"],
                         input=password.encode(), capture_output=True,
                         check=True).stdout.decode().strip()
    return out.split(":", 1)[1]


def policyd(identities, wait=True):
    d = Daemon(POLICYD, config="", wait_ready=False)
    ids = d.write("identities", identities) if identities is not None \
        else d.path("identities")
    d.write(d.config_file, "listen = unix:%s\nidentities = %s\n"
            "reload_check_interval = 200ms\n" % (d.path("policy.sock"), ids))
    d.ids = ids
    if wait:
        d.wait_ready = True
        d.start()
    return d


def ask(d, pubkey, sender):
    with unix_connect(d.path("policy.sock")) as s:
        return policy_query(s, [
            ("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
            ("client_address", "198.51.100.7"), ("sender", sender),
            ("recipient", "x@outside.example"),
            ("ccert_pubkey_fingerprint", pubkey)])["action"]


def start_fails(d, rx):
    """The daemon exits before READY, its log matching rx."""
    d.wait_ready = True
    try:
        d.start()
    except DaemonError:
        pass
    rc = d.stop()
    assert rc not in (0, None), (rc, d.log())
    d.wait_log(rx)
    d.cleanup()


def test_policyd_cut_short_keeps_senders():
    """The senders= continuation cut off mid-line: refused, so the app
    server is still held to its senders; at start it is fatal."""
    with policyd(IDENTITIES) as d:
        assert ask(d, PK_APP, "eve@example.org").startswith("REJECT")
        # rewritten in place, cut short right before "senders=": read as
        # it is, the continuation would be blank and any sender allowed
        cut = IDENTITIES[:IDENTITIES.index("senders=")]
        with open(d.ids, "w") as f:
            f.write(cut)
        d.reload()
        time.sleep(1.5)
        assert ask(d, PK_APP, "eve@example.org").startswith("REJECT")
        d.wait_log(r"error: %s, line 3: no newline at end of file.*; keeping "
                   r"the table loaded before" % d.ids)
        time.sleep(0.5)
        assert ask(d, PK_APP, "eve@example.org").startswith("REJECT")
        assert ask(d, PK_APP, "app@example.net") == "OK"
    d = policyd(IDENTITIES.rstrip("\n"), wait=False)
    start_fails(d, r"identities: %s, line 3: no newline at end of file"
                % d.ids)


def test_policyd_emptied_and_missing():
    with policyd(IDENTITIES) as d:
        with open(d.ids, "w"):
            pass
        d.reload()
        d.wait_log(r"error: %s: no entries .*; keeping the table loaded "
                   r"before" % d.ids)
        assert ask(d, PK_BOB, "bob@example.net") == "OK"
    d = policyd(None, wait=False)
    start_fails(d, r"identities: open %s: No such file" % d.ids)
    d = policyd("# no one enrolled yet\n", wait=False)
    start_fails(d, r"identities: %s: no entries .*confirm with: touch "
                r"%s.confirm" % (d.ids, d.ids))
    # a fresh install with no identity yet: explicit, by the confirmation
    d = policyd("# no one enrolled yet\n", wait=False)
    d.write(d.ids + ".confirm", "")
    d.wait_ready = True
    with d:
        assert ask(d, PK_BOB, "bob@example.net") == "DUNNO"


def sasl(pwtext, wait=True):
    tmp = pfhtest.make_tmpdir(prefix="pfh-d-")
    conf = os.path.join(tmp, "sasl.conf")
    d = Daemon(SASL, args=["-C", conf], workdir=tmp, wait_ready=False)
    pw = d.path("passwd")
    if pwtext is not None:
        d.write(pw, pwtext, mode=0o600)
    d.write(conf, "run_dir = %s\npwfile = %s\nthrottle = no\n"
            "reload_check_interval = 200ms\n" % (d.path("run"), pw))
    d.pw = pw
    if wait:
        d.wait_ready = True
        d.start()
    return d


def test_saslauthd_emptied_pwfile_keeps_users():
    pwtext = "alice:%s\nbob:%s\n" % (mkhash("alice-pw"), mkhash("bob-pw"))
    with sasl(pwtext) as d:
        mux = d.path("run", "mux")
        assert sasl_auth(mux, "alice", "alice-pw") == "OK"
        with open(d.pw, "w"):
            pass                        # : > passwd
        d.reload()
        d.wait_log(r"error: %s: no entries .*; keeping the table loaded "
                   r"before" % d.pw)
        assert sasl_auth(mux, "alice", "alice-pw") == "OK"
        # a cut-short file is refused too
        with open(d.pw, "w") as f:
            f.write(pwtext[:-20])
        d.wait_log(r"error: %s, line 2: no newline at end of file" % d.pw)
        assert sasl_auth(mux, "bob", "bob-pw") == "OK"
    d = sasl("", wait=False)
    start_fails(d, r"pwfile: %s: no entries" % d.pw)
    d = sasl(None, wait=False)
    start_fails(d, r"%s" % d.pw)


def get(port, user, pw):
    req = urllib.request.Request("http://127.0.0.1:%d/status.json" % port)
    tok = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    req.add_header("Authorization", "Basic " + tok)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_status_auth_file_cut_short():
    port = free_port()
    d = Daemon(TLSMAP, config="listen = unix:@DIR@/tlsmap.sock\n"
               "maps = p=policy:@DIR@/tls_policy\n")
    d.write("tls_policy", "example.com secure\n")
    auth = d.write("status_users", "admin:%s\nops:%s\n"
                   % (mkhash("admin-pw"), mkhash("ops-pw")), mode=0o600)
    d.options += [("status_listen", "inet:127.0.0.1:%d" % port),
                  ("status_auth_file", auth)]
    with d:
        assert get(port, "admin", "admin-pw") == 200
        text = open(auth).read()
        with open(auth, "w") as f:      # cut in the middle of ops's hash
            f.write(text[:-10])
        # once it settled, the next request reads it: refused, old users
        time.sleep(1.2)
        assert get(port, "ops", "ops-pw") == 200
        d.wait_log(r"%s:2: no newline at end of file.*keeping the loaded "
                   r"users" % auth)
    # and at start
    d2 = Daemon(TLSMAP, config="listen = unix:@DIR@/tlsmap.sock\n"
                "maps = p=policy:@DIR@/tls_policy\n", wait_ready=False)
    d2.write("tls_policy", "example.com secure\n")
    auth = d2.write("status_users", text[:-10], mode=0o600)
    d2.options += [("status_listen", "inet:127.0.0.1:%d" % free_port()),
                   ("status_auth_file", auth)]
    start_fails(d2, r"%s:2: no newline at end of file" % auth)


if __name__ == "__main__":
    run_tests()
