"""A throwaway PostgreSQL cluster for tests (design: fleet.md section 3a).

PgInstance(port=None) runs initdb as the "postgres" OS user (initdb refuses
root) in a fresh temp dir, starts the server on a Unix socket in that dir
and a loopback TCP port (fsync off: a test cluster), and stops it by the
pid in postmaster.pid.  start()/stop() may be called again (an outage);
the data survives.  psql(sql) runs SQL through the socket as the postgres
superuser and returns stdout ("-At": unaligned, tuples only).

PgInstance(tls=True) is the store an admin would run (fleet.md 1.5): a
test CA and a server certificate (names localhost and 127.0.0.1, made by
postfix_instance.make_ca) under DIR/tls, ssl=on, and a pg_hba.conf that
trusts the Unix socket (for setup), lets the role pfsync in over TCP only
with TLS and scram-sha-256, and rejects everything else over TCP.
add_role(name, password) creates a login role; passfile(user, password)
writes a mode-0600 libpq password file for it and returns its path.
tcp_conninfo(**kw) is a conninfo to 127.0.0.1 with verify-full by
default, keywords overriding.

need_postgres() skips the test (exit 77) without root, the postgres user
or the server binaries; under PFH_REQUIRE_TOOLS=1 a missing one fails.
"""

import os
import pwd
import shutil
import signal
import subprocess

import pfhtest
from postfix_instance import make_ca


def _bindir():
    """Debian keeps the server tools off PATH: ask pg_config, then look."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                             text=True, timeout=10)
        d = out.stdout.strip()
        if out.returncode == 0 and os.path.exists(os.path.join(d, "initdb")):
            return d
    except OSError:
        pass
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in sorted(os.listdir(base), reverse=True):
            d = os.path.join(base, v, "bin")
            if os.path.exists(os.path.join(d, "initdb")):
                return d
    return None


def need_postgres():
    """The server binaries, root and the postgres user, or skip/fail."""
    pfhtest.need_root()
    d = _bindir()
    if d is None:
        pfhtest.missing_tool(["initdb", "pg_ctl"])
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pfhtest.missing_tool(["initdb"])
    if shutil.which("psql") is None and not os.path.exists(
            os.path.join(d, "psql")):
        pfhtest.missing_tool(["psql"])
    return d


HBA_TLS = """\
local   all  all                   trust
hostssl all  pfsync 127.0.0.1/32   scram-sha-256
host    all  all    127.0.0.1/32   reject
"""


class PgInstance:
    def __init__(self, port=None, tls=False):
        self.bindir = need_postgres()
        self.dir = pfhtest.make_tmpdir(prefix="pfh-pg-")
        self.port = port or pfhtest.free_port()
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o755)
        self._as_postgres([os.path.join(self.bindir, "initdb"), "-D",
                           self.data, "-U", "postgres", "-A", "trust",
                           "-E", "UTF8", "--locale=C.UTF-8", "-N",
                           "--no-instructions"])
        self.started = False
        self.tls = None
        if tls:
            self._setup_tls(pw)
        pfhtest.add_cleanup(self.stop)

    def _setup_tls(self, pw):
        """The CA and server certificate, the key the server's own, and
        the hostssl-only pg_hba.conf."""
        self.tls = make_ca(os.path.join(self.dir, "tls"))
        for path in (self.tls.dir, self.tls.server_key,
                     self.tls.server_cert, self.tls.ca_cert):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(self.tls.dir, 0o755)
        os.chmod(self.tls.ca_cert, 0o644)
        os.chmod(self.tls.server_cert, 0o644)
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write(HBA_TLS)

    def _as_postgres(self, argv, timeout=60):
        r = subprocess.run(["runuser", "-u", "postgres", "--"] + argv,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("%s failed: %s%s" % (argv[0], r.stdout,
                                                      r.stderr))
        return r.stdout

    def start(self):
        opts = ("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
                % (self.dir, self.port))
        if self.tls:
            opts += (" -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s"
                     % (self.tls.server_cert, self.tls.server_key))
        self._as_postgres([os.path.join(self.bindir, "pg_ctl"), "-D",
                           self.data, "-l", self.log, "-w", "-t", "30",
                           "-o", opts, "start"])
        self.started = True
        return self

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop(self):
        """Fast shutdown by pid (SIGINT); wait until it is gone."""
        pid = self.pid()
        self.started = False
        if pid is not None:
            pfhtest.stop_pid(pid, signal.SIGINT, 30.0)

    def conninfo(self, dbname="postgres"):
        """Over the Unix socket, as the postgres superuser."""
        return "host=%s port=%d dbname=%s user=postgres" % (
            self.dir, self.port, dbname)

    def tcp_conninfo(self, **kw):
        """To 127.0.0.1 as pfsync, verify-full against the test CA, with
        keywords added or overriding (a value None drops the keyword)."""
        ci = {"host": "localhost", "port": str(self.port),
              "dbname": "postgres", "user": "pfsync",
              "sslmode": "verify-full",
              "sslrootcert": self.tls.ca_cert if self.tls else None}
        ci.update(kw)
        return " ".join("%s=%s" % (k, v) for k, v in ci.items()
                        if v is not None)

    def add_role(self, name, password):
        self.psql("SET password_encryption = 'scram-sha-256'; "
                  "CREATE ROLE %s LOGIN PASSWORD '%s'" % (name, password))

    def passfile(self, user, password, directory=None):
        """A libpq password file (mode 0600) for user on every host and
        port of this cluster; its path."""
        path = os.path.join(directory or self.dir, "pgpass-" + user)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("*:%d:*:%s:%s\n" % (self.port, user, password))
        return path

    def psql(self, sql, dbname="postgres", script=False):
        """sql with -c (one transaction), or with script=True read from
        stdin as psql reads a file: each statement its own transaction,
        all from one process (a burst of commits)."""
        psql = shutil.which("psql") or os.path.join(self.bindir, "psql")
        args = [psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                self.dir, "-p", str(self.port), "-U", "postgres", "-d",
                dbname]
        r = subprocess.run(args + ([] if script else ["-c", sql]),
                           input=sql if script else None,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("psql failed: %s" % r.stderr)
        return r.stdout
