"""slapd_instance - a throwaway OpenLDAP server for the suite.

A real slapd (Debian `slapd`, driven with the `ldap-utils` tools) in a
private temp dir, as /work/shared/design/fleet.md section 3b does it: the
slapd.conf flavour, one mdb database seeded offline with slapadd, ldap://
on a free loopback port and an ldapi:// socket in the temp dir, and with
tls=True a test CA made by openssl (the server certificate has the IP SAN
127.0.0.1: libldap puts the host name in place of "localhost" when it
checks a name, so tests connect to 127.0.0.1) for StartTLS and an ldaps://
port. slapd forks into the background; it is stopped by the pid in its
pidfile (SIGINT, then waited for), never by name.

    from slapd_instance import Slapd, need_slapd
    need_slapd()                      # skip (77) or, under PFH_REQUIRE_TOOLS, fail
    with Slapd(seed=LDIF, acl=ACL, tls=True) as ds:
        ds.url, ds.ldaps_url, ds.ldapi_url, ds.ca_file
        ds.pause(); ds.resume()       # SIGSTOP / SIGCONT: a directory that hangs
        ds.restart()                  # same port, same data
    with Slapd(seed=LDIF, syncprov=True) as ds:   # RFC 4533 provider
        ds.modify(LDIF_CHANGES)       # ldapmodify as the rootdn

Every instance is also stopped at exit (pfhtest.add_cleanup).
"""

import os
import signal
import subprocess
import time
import urllib.parse

from pfhtest import (add_cleanup, free_port, make_tmpdir, need_root, need_tools,
                     stop_pid)

SUFFIX = "dc=example,dc=net"
ROOTDN = "cn=admin," + SUFFIX
ROOTPW = "secret"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"

# Read access for everyone, the passwords for authentication only.
DEFAULT_ACL = """\
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to * by * read
"""


def need_slapd():
    """Root and the tools: skip with 77 without them, or fail under
    PFH_REQUIRE_TOOLS=1 (pfhtest.need_tools)."""
    need_root()
    return need_tools("slapd", "slapadd", "ldapsearch", "openssl")


def make_test_ca(dir, name="ca"):
    """A CA (NAME.pem, NAME.key) and a server certificate it signed for
    127.0.0.1 (NAME-server.pem, NAME-server.key). Returns the four paths."""
    tools = need_tools("openssl")
    ossl = tools["openssl"]
    p = lambda f: os.path.join(dir, f)
    ca, cakey = p(name + ".pem"), p(name + ".key")
    crt, key = p(name + "-server.pem"), p(name + "-server.key")
    csr, ext = p(name + "-server.csr"), p(name + "-server.ext")

    def run(*args):
        subprocess.run([ossl] + list(args), check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=pfhelpers test CA %s" % name, "-keyout", cakey,
        "-out", ca, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
        "-CAcreateserial", "-days", "2", "-out", crt, "-extfile", ext)
    return ca, cakey, crt, key


class Slapd:
    """One slapd; seed is LDIF text below SUFFIX (the suffix entry itself
    is added here), acl the access lines (DEFAULT_ACL)."""

    def __init__(self, seed="", acl=DEFAULT_ACL, tls=False, start=True,
                 schemas=("core", "cosine", "inetorgperson", "nis"),
                 syncprov=False, sessionlog=1000, limits="",
                 maxsize=67108864):
        tools = need_slapd()
        self.slapd, self.slapadd = tools["slapd"], tools["slapadd"]
        self.ldapsearch = tools["ldapsearch"]
        self.dir = make_tmpdir(prefix="pfh-slapd-")
        os.makedirs(os.path.join(self.dir, "db"))
        self.port = free_port()
        self.url = "ldap://127.0.0.1:%d" % self.port
        sock = os.path.join(self.dir, "ldapi")
        self.ldapi_url = "ldapi://" + urllib.parse.quote(sock, safe="")
        self.ldaps_port = self.ldaps_url = self.ca_file = None
        self.pidfile = os.path.join(self.dir, "slapd.pid")
        self.pid = None
        lines = ["include %s/%s.schema" % (SCHEMA_DIR, s) for s in schemas]
        lines += ["modulepath " + MODULE_DIR, "moduleload back_mdb"]
        if syncprov:
            lines += ["moduleload syncprov"]
        lines += [
                  "pidfile " + self.pidfile,
                  "argsfile " + os.path.join(self.dir, "slapd.args"),
                  "loglevel none"]
        if tls:
            self.ca_file, _, crt, key = make_test_ca(self.dir)
            self.ldaps_port = free_port()
            self.ldaps_url = "ldaps://127.0.0.1:%d" % self.ldaps_port
            lines += ["TLSCACertificateFile " + self.ca_file,
                      "TLSCertificateFile " + crt,
                      "TLSCertificateKeyFile " + key]
        lines += ["database mdb", 'suffix "%s"' % SUFFIX,
                  'rootdn "%s"' % ROOTDN, "rootpw " + ROOTPW,
                  "directory " + os.path.join(self.dir, "db"),
                  "maxsize %d" % maxsize, "index objectClass eq",
                  "index uid eq"]
        if syncprov:
            # fleet.md 3b: the sessionlog (in memory) lets a returning
            # consumer get the deletes it missed; it is lost at a restart
            lines += ["index entryCSN,entryUUID eq"]
        if limits:
            lines += [limits]
        lines += [acl]
        if syncprov:
            lines += ["overlay syncprov", "syncprov-checkpoint 100 10"]
            if sessionlog:
                lines += ["syncprov-sessionlog %d" % sessionlog]
        self.conf = os.path.join(self.dir, "slapd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        ldif = ("dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
                "dc: example\no: Example\n\n" % SUFFIX) + seed
        seedfile = os.path.join(self.dir, "seed.ldif")
        with open(seedfile, "w") as f:
            f.write(ldif)
        r = subprocess.run([self.slapadd, "-q", "-f", self.conf, "-l",
                            seedfile], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("slapadd failed: %s" % r.stderr)
        add_cleanup(self.stop)
        if start:
            self.start()

    def urls(self):
        u = [self.url + "/", self.ldapi_url]
        if self.ldaps_url:
            u.append(self.ldaps_url + "/")
        return " ".join(u)

    def start(self, timeout=10.0):
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        r = subprocess.run([self.slapd, "-f", self.conf, "-h", self.urls()],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("slapd failed to start: %s" % r.stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid is None and os.path.exists(self.pidfile):
                with open(self.pidfile) as f:
                    txt = f.read().strip()
                if txt:
                    self.pid = int(txt)
            if self.pid is not None and self.search_ok():
                return
            time.sleep(0.02)
        raise RuntimeError("slapd did not answer within %.0f s" % timeout)

    def modify(self, ldif, add=False):
        """ldapmodify (ldapadd with add=True) as the rootdn over ldapi."""
        tools = need_tools("ldapmodify")
        args = [tools["ldapmodify"], "-x", "-H", self.url, "-D", ROOTDN,
                "-w", ROOTPW]
        if add:
            args.append("-a")
        r = subprocess.run(args, input=ldif, capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise RuntimeError("ldapmodify failed: %s" % r.stderr)

    def search_ok(self):
        r = subprocess.run([self.ldapsearch, "-x", "-H", self.url, "-b", "",
                            "-s", "base", "namingContexts"],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        return r.returncode == 0

    def stop(self, timeout=10.0):
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        stop_pid(pid, signal.SIGINT, timeout)

    def restart(self):
        self.stop()
        self.start()

    def pause(self):
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
