"""postfix_instance - a private Postfix instance, an SMTP sink, a throw-away CA
and swaks, for the pfhelpers integration and e2e tests (stdlib only).

The instance lives entirely in a temp dir (config, queue, data, maillog) and
never touches /etc/postfix/main.cf or the system queue.  It needs root (the
Postfix master must start as root) and the Debian postfix package; otherwise
start() skips with exit 77.
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from types import SimpleNamespace

import pfhtest
from pfhtest import free_port, make_tmpdir, skip, which

__all__ = ["PostfixInstance", "PostfixError", "Sink", "SinkMessage",
           "make_ca", "cert_fingerprint", "pubkey_fingerprint",
           "der_cert", "der_spki", "swaks"]

# Services copied from the stock master.cf (default smtp/inet is dropped).
DEFAULT_SERVICES = [
    "pickup", "cleanup", "qmgr", "tlsmgr", "rewrite", "bounce", "defer",
    "trace", "verify", "flush", "proxymap", "proxywrite", "smtp", "relay",
    "showq", "error", "retry", "discard", "local", "virtual", "lmtp",
    "anvil", "scache", "postlog",
]

# Used when neither master.cf.dist nor master.cf.proto is installed.
_FALLBACK_MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

_MASTER_CF_SOURCES = ["/usr/share/postfix/master.cf.dist",
                      "/etc/postfix/master.cf.proto"]


class PostfixError(Exception):
    pass


def _fmt_value(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def master_cf_services(text, keep=DEFAULT_SERVICES):
    """Filter master.cf text: keep the listed services (smtp only as
    'unix'), force chroot (column 5) to n, drop comments."""
    out = []
    keeping = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            if keeping:
                out.append(line)
            continue
        f = line.split()
        keeping = (len(f) >= 8 and f[0] in keep
                   and not (f[0] == "smtp" and f[1] == "inet"))
        if keeping:
            f[4] = "n"
            out.append("%-10s %-10s %-3s %-3s %-3s %-7s %-3s %s" % (
                f[0], f[1], f[2], f[3], f[4], f[5], f[6], " ".join(f[7:])))
    return "\n".join(out) + "\n"


def master_cf_args(opts):
    """-o continuation lines; values with whitespace use { name = value }."""
    lines = []
    for k, v in (opts.items() if isinstance(opts, dict) else opts):
        v = _fmt_value(v)
        if re.search(r"\s", v) or v.startswith("{"):
            lines.append("  -o { %s = %s }" % (k, v))
        else:
            lines.append("  -o %s=%s" % (k, v))
    return lines


def _proc_matches(pid, needle):
    """True if /proc/PID has `needle` in its cmdline or MAIL_CONFIG=needle in
    its environment."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if needle.encode() in f.read():
                return True
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = f.read().split(b"\0")
        return ("MAIL_CONFIG=" + needle).encode() in env
    except OSError:
        return False


def _pids_matching(needle):
    me = os.getpid()
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me and _proc_matches(int(d), needle):
            pids.append(int(d))
    return pids


class PostfixInstance:
    """A private Postfix instance in a temp dir.

    main_cf      dict of extra/override main.cf parameters ("@DIR@" is
                 replaced by the instance dir; lists are joined with ", ";
                 bools become yes/no).
    smtpd_args   dict (or list of pairs) of -o overrides for the test smtpd.
    extra_files  dict relpath -> text, written under the instance dir before
                 start ("@DIR@" replaced).  Absolute paths are refused.
    extra_master list of extra master.cf lines (e.g. a second smtpd or a
                 spawn service).
    mynetworks   default "127.0.0.0/8".
    port         smtpd port (default: a free one).
    resolv_conf  a resolv.conf (path; "@DIR@" replaced) the instance's
                 processes read instead of /etc/resolv.conf: master is
                 started in a mount namespace of its own (unshare) where
                 that file is bind-mounted over /etc/resolv.conf, so smtp(8)
                 asks a test name server and the host's resolver is left
                 alone.  smtp(8) must not be chrooted (it is not here).
    smtpd_chroot run the test smtpd chrooted in the queue directory
                 (master.cf column 5 y, as Debian does); default no.

    Attributes: dir, config_dir (DIR/etc), queue_dir (DIR/spool), data_dir
    (DIR/data), maillog (DIR/maillog), port, host ("127.0.0.1").
    """

    def __init__(self, main_cf=None, smtpd_args=None, extra_files=None,
                 extra_master=None, mynetworks="127.0.0.0/8", port=None,
                 resolv_conf=None, smtpd_chroot=False):
        self.main_cf = dict(main_cf or {})
        self.smtpd_chroot = smtpd_chroot
        self.smtpd_args = smtpd_args or {}
        self.extra_files = dict(extra_files or {})
        self.extra_master = list(extra_master or [])
        self.mynetworks = mynetworks
        self.host = "127.0.0.1"
        self.port = port
        self.resolv_conf = resolv_conf
        self.dir = None
        self.running = False
        self._master_pid = None

    # -- paths ------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _subst(self, v):
        return v.replace("@DIR@", self.dir) if isinstance(v, str) else v

    # -- config -------------------------------------------------------------
    def _check_env(self):
        if os.geteuid() != 0:
            skip("private Postfix instance needs root")
        tools = pfhtest.need_tools("postfix", "postconf", "postqueue")
        self.postfix_cmd = tools["postfix"]
        self.postconf_cmd = tools["postconf"]
        self.postqueue_cmd = tools["postqueue"]
        try:
            out = subprocess.run([self.postconf_cmd, "-d", "-h",
                                  "daemon_directory"], capture_output=True,
                                 text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if not out or not os.access(os.path.join(out, "master"), os.X_OK):
            skip("Postfix master daemon not found (daemon_directory=%r)" % out)
        import pwd
        import grp
        try:
            pwd.getpwnam(self.main_cf.get("mail_owner", "postfix"))
            grp.getgrnam(self.main_cf.get("setgid_group", "postdrop"))
        except KeyError:
            skip("postfix user or postdrop group missing")

    def _base_params(self):
        d = self.dir
        return {
            "compatibility_level": "3.6",
            "queue_directory": os.path.join(d, "spool"),
            "data_directory": os.path.join(d, "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "myhostname": "mx.test.example",
            "mydomain": "test.example",
            "myorigin": "$myhostname",
            "mydestination": "",
            "relay_domains": "",
            "mynetworks": self.mynetworks,
            "alias_maps": "",
            "alias_database": "",
            "maillog_file": os.path.join(d, "maillog"),
            "maillog_file_prefixes": d,
            "syslog_name": "postfix-pfhtest",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "smtpd_banner": "$myhostname ESMTP pfhtest",
            # Fast retries for tests.
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "4s",
        }

    def main_cf_text(self):
        params = self._base_params()
        params.update(self.main_cf)
        return "".join("%s = %s\n" % (k, self._subst(_fmt_value(v)))
                       for k, v in params.items())

    def master_cf_text(self):
        for src in _MASTER_CF_SOURCES:
            if os.path.exists(src):
                with open(src) as f:
                    base = master_cf_services(f.read())
                break
        else:
            base = _FALLBACK_MASTER_CF
        smtpd = ["%s:%d inet n - %s - - smtpd" % (
            self.host, self.port, "y" if self.smtpd_chroot else "n")]
        smtpd += master_cf_args({k: self._subst(_fmt_value(v)) for k, v in
                                 (self.smtpd_args.items()
                                  if isinstance(self.smtpd_args, dict)
                                  else self.smtpd_args)})
        extra = [self._subst(x) for x in self.extra_master]
        return "\n".join(smtpd) + "\n" + base + "".join(x + "\n" for x in extra)

    def write_config(self):
        """Create the temp dir (0755: the postfix user must traverse it) and
        write main.cf, master.cf and extra_files."""
        if self.dir is None:
            self.dir = make_tmpdir(prefix="pfh-pf-", mode=0o755)
            # Every ancestor must be searchable by the postfix user.
            p = os.path.dirname(self.dir)
            while p != "/":
                if not os.stat(p).st_mode & 0o001:
                    raise PostfixError("%s is not searchable by others; "
                                       "set TMPDIR elsewhere" % p)
                p = os.path.dirname(p)
        if self.port is None:
            self.port = free_port(self.host)
        self.config_dir = self.path("etc")
        self.queue_dir = self.path("spool")
        self.data_dir = self.path("data")
        self.maillog = self.path("maillog")
        os.makedirs(self.config_dir, mode=0o755, exist_ok=True)
        # postfix(1) chdir()s to the queue directory before anything else,
        # so "postfix check" cannot create it; post-install makes the rest.
        os.makedirs(self.queue_dir, mode=0o755, exist_ok=True)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write(self.main_cf_text())
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(self.master_cf_text())
        for rel, text in self.extra_files.items():
            self.write(rel, text)

    def write(self, rel, text, mode=0o644):
        """Write a file under the instance dir ("@DIR@" replaced)."""
        if os.path.isabs(rel):
            raise PostfixError("extra file must be relative: %s" % rel)
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), mode=0o755, exist_ok=True)
        data = self._subst(text)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(p, mode)
        return p

    # -- commands -----------------------------------------------------------
    def _run(self, argv, check=True, timeout=60, input=None):
        env = dict(os.environ)
        env["MAIL_CONFIG"] = self.config_dir
        r = subprocess.run(argv, capture_output=True, text=True, env=env,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise PostfixError("%s failed (%d):\n%s%s\n%s" % (
                " ".join(argv), r.returncode, r.stdout, r.stderr,
                self._log_tail()))
        return r

    def postfix(self, *args, check=True):
        return self._run([self.postfix_cmd, "-c", self.config_dir] + list(args),
                         check=check)

    def postconf(self, params, reload=True):
        """dict: set main.cf parameters (postconf -e) and reload if running.
        str or list of names: return the value (str) / {name: value}."""
        if isinstance(params, dict):
            argv = [self.postconf_cmd, "-c", self.config_dir, "-e"]
            argv += ["%s=%s" % (k, self._subst(_fmt_value(v)))
                     for k, v in params.items()]
            self._run(argv)
            if reload and self.running:
                self.reload()
            return None
        names = [params] if isinstance(params, str) else list(params)
        r = self._run([self.postconf_cmd, "-c", self.config_dir] + names)
        vals = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition(" = ")
            vals[k.strip()] = v
        return vals[params] if isinstance(params, str) else vals

    def reload(self):
        mark = self.log_mark()
        self.postfix("reload")
        self.wait_log(r"reload -- version", timeout=10, since=mark)

    # -- lifecycle ------------------------------------------------------------
    def start(self, timeout=30.0):
        """postfix check, postfix start, then wait until the smtpd port
        answers with a 220 greeting."""
        self._check_env()
        self.write_config()
        self.postfix("check")
        pfhtest.add_cleanup(self.stop)
        self.running = True
        _live_instances.append(self)
        try:
            if self.resolv_conf:
                self._start_with_resolv_conf()
            else:
                self.postfix("start")
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with socket.create_connection((self.host, self.port),
                                                  timeout=5) as s:
                        banner = s.makefile("rb").readline()
                        s.sendall(b"QUIT\r\n")
                    if banner.startswith(b"220"):
                        break
                except OSError:
                    pass
                if time.monotonic() >= deadline:
                    raise PostfixError("smtpd on %s:%d not ready within %.0fs"
                                       "\n%s" % (self.host, self.port,
                                                 timeout, self._log_tail()))
                time.sleep(0.1)
            self._master_pid = self._read_master_pid()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_with_resolv_conf(self):
        tools = pfhtest.need_tools("unshare", "mount")
        conf = self._subst(self.resolv_conf)
        if not os.path.isfile(conf):
            raise PostfixError("resolv_conf %s: no such file" % conf)
        # the private propagation keeps the bind mount out of the host's
        # namespace; master and every child it forks stay in the new one
        self._run([tools["unshare"], "--mount", "--propagation", "private",
                   "--", "sh", "-c",
                   '"$1" --bind "$2" /etc/resolv.conf && shift 2 && '
                   'exec "$@"', "sh", tools["mount"], conf,
                   self.postfix_cmd, "-c", self.config_dir, "start"])

    def _read_master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def leftover_pids(self):
        """Processes that still belong to this instance."""
        if self.dir is None:
            return []
        return _pids_matching(self.config_dir)

    def stop(self, timeout=10.0):
        """postfix stop; wait; kill anything left that belongs to us."""
        if self.dir is None or not self.running:
            return
        self.running = False
        if self in _live_instances:
            _live_instances.remove(self)
        master = self._master_pid or self._read_master_pid()
        self.postfix("stop", check=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.leftover_pids() and not (master and _alive(master)):
                return
            time.sleep(0.1)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.leftover_pids()
            if master and _alive(master):
                pids.append(master)
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            time.sleep(0.5)

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and exc[0] is not pfhtest.SkipTest \
                and self.dir is not None:
            for line in self._log_tail().splitlines():
                print("# " + line)
        self.stop()
        return False

    # -- logs ---------------------------------------------------------------
    def log(self, since=0):
        """maillog text (from byte offset `since`)."""
        try:
            with open(self.maillog, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError, AttributeError):
            return ""

    def log_mark(self):
        try:
            return os.path.getsize(self.maillog)
        except (OSError, AttributeError):
            return 0

    def wait_log(self, regex, timeout=10.0, since=0):
        rx = re.compile(regex, re.M) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(since))
            if m:
                return m
            if time.monotonic() >= deadline:
                raise AssertionError("maillog never matched %r within %.1fs\n%s"
                                     % (rx.pattern, timeout, self._log_tail()))
            time.sleep(0.1)

    def _log_tail(self, n=40):
        lines = self.log().splitlines()[-n:]
        return "--- maillog (last %d lines) ---\n%s" % (len(lines),
                                                       "\n".join(lines))

    # -- queue --------------------------------------------------------------
    def mailq(self):
        """Output of postqueue -p."""
        return self._run([self.postqueue_cmd, "-c", self.config_dir, "-p"],
                         check=False).stdout

    def queue_ids(self):
        ids = []
        for line in self.mailq().splitlines():
            m = re.match(r"^([0-9A-Za-z]{6,})[*!]?\s+\d+\s", line)
            if m:
                ids.append(m.group(1))
        return ids

    def flush(self):
        self._run([self.postqueue_cmd, "-c", self.config_dir, "-f"])

    def wait_queue_empty(self, timeout=20.0):
        pfhtest.wait_for(lambda: not self.queue_ids(), timeout,
                         interval=0.3, what="empty mail queue")


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


_live_instances = []


def _atexit_stop_instances():
    for inst in list(_live_instances):
        try:
            inst.stop()
        except Exception:
            pass


# Registered after pfhtest's handler, so it runs first (atexit is LIFO):
# instances stop before their temp dirs are removed.
import atexit  # noqa: E402
atexit.register(_atexit_stop_instances)


# --------------------------------------------------------------------------
# SMTP sink
# --------------------------------------------------------------------------

class SinkMessage(SimpleNamespace):
    """helo, mail_from, rcpt_to (list), data (bytes, dot-unstuffed, CRLF),
    tls (bool), tls_version, peer ((host, port)), esmtp (list of lines)."""


class Sink:
    """A minimal SMTP server in a thread on a loopback port.

    certfile/keyfile: advertise STARTTLS and wrap with ssl on request;
    server_names lists the SNI each handshake sent (None: none sent).
    replies: dict overriding replies, keys "MAIL", "RCPT", "DATA" (the reply
    after the final dot), "EHLO_GREETING"; e.g. {"RCPT": "450 4.2.0 try later"}.
    """

    def __init__(self, host="127.0.0.1", port=0, hostname="sink.test.example",
                 certfile=None, keyfile=None, replies=None):
        self.host = host
        self.hostname = hostname
        self.certfile = certfile
        self.keyfile = keyfile
        self.replies = dict(replies or {})
        self.messages = []
        self.transcripts = []
        self.errors = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((host, port))
        self.port = self._lsock.getsockname()[1]
        self._thread = None
        self._conns = []
        self._ctx = None
        self.server_names = []      # the SNI of each TLS handshake
        if certfile:
            self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ctx.load_cert_chain(certfile, keyfile)
            self._ctx.sni_callback = (
                lambda sock, name, ctx: self.server_names.append(name))

    def start(self):
        self._lsock.listen(16)
        self._lsock.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._lsock.close()
        for t in list(self._conns):
            t.join(5)

    def __enter__(self):
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait_messages(self, n=1, timeout=20.0):
        """Wait until at least n messages arrived; return the list."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "sink got %d of %d messages within %.0fs; errors=%r"
                        % (len(self.messages), n, timeout, self.errors))
                self._cond.wait(left)
            return list(self.messages)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, peer = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            t = threading.Thread(target=self._session, args=(conn, peer),
                                 daemon=True)
            self._conns.append(t)
            t.start()

    def _session(self, conn, peer):
        tx = []
        try:
            self._smtp(conn, peer, tx)
        except Exception as e:  # recorded, not raised in the thread
            self.errors.append("%s: %r" % (peer, e))
        finally:
            try:
                conn.close()
            except OSError:
                pass
            self.transcripts.append(tx)

    def _smtp(self, conn, peer, tx):
        conn.settimeout(30)
        rf = conn.makefile("rb")

        def send(line):
            tx.append("S: " + line)
            conn.sendall(line.encode() + b"\r\n")

        def reset():
            return SinkMessage(helo=helo, mail_from=None, rcpt_to=[], data=None,
                               tls=tls, tls_version=tls_version, peer=peer)

        helo = None
        tls = False
        tls_version = None
        msg = reset()
        send("220 %s ESMTP pfhtest sink" % self.hostname)
        while not self._stop.is_set():
            raw = rf.readline(4096)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tx.append("C: " + line)
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb == "EHLO":
                helo = arg
                msg = reset()
                ext = ["PIPELINING", "SIZE 10240000", "8BITMIME",
                       "ENHANCEDSTATUSCODES", "SMTPUTF8"]
                if self._ctx and not tls:
                    ext.append("STARTTLS")
                send("250-%s" % self.replies.get("EHLO_GREETING", self.hostname))
                for e in ext[:-1]:
                    send("250-" + e)
                send("250 " + ext[-1])
            elif verb == "HELO":
                helo = arg
                msg = reset()
                send("250 %s" % self.hostname)
            elif verb == "STARTTLS" and self._ctx and not tls:
                send("220 2.0.0 Ready to start TLS")
                conn = self._ctx.wrap_socket(conn, server_side=True)
                rf = conn.makefile("rb")
                tls = True
                tls_version = conn.version()
                helo = None
                msg = reset()
            elif verb == "MAIL":
                m = re.match(r"(?i)FROM:\s*<([^>]*)>(.*)", arg)
                if not m:
                    send("501 5.5.4 Syntax: MAIL FROM:<address>")
                    continue
                msg = reset()
                msg.mail_from = m.group(1)
                msg.mail_params = m.group(2).strip()
                send(self.replies.get("MAIL", "250 2.1.0 Ok"))
            elif verb == "RCPT":
                m = re.match(r"(?i)TO:\s*<([^>]*)>", arg)
                if not m or msg.mail_from is None:
                    send("503 5.5.1 Error: need MAIL command"
                         if m else "501 5.5.4 Syntax: RCPT TO:<address>")
                    continue
                reply = self.replies.get("RCPT", "250 2.1.5 Ok")
                if reply.startswith("2"):
                    msg.rcpt_to.append(m.group(1))
                send(reply)
            elif verb == "DATA":
                if not msg.rcpt_to:
                    send("554 5.5.1 Error: no valid recipients")
                    continue
                send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    d = rf.readline(1 << 20)
                    if not d:
                        return
                    if d in (b".\r\n", b".\n"):
                        break
                    if d.startswith(b".."):
                        d = d[1:]
                    lines.append(d)
                msg.data = b"".join(lines)
                tx.append("C: <%d bytes of data>" % len(msg.data))
                reply = self.replies.get("DATA", "250 2.0.0 Ok: queued")
                if reply.startswith("2"):
                    with self._cond:
                        self.messages.append(msg)
                        self._cond.notify_all()
                send(reply)
                msg = reset()
            elif verb == "RSET":
                msg = reset()
                send("250 2.0.0 Ok")
            elif verb == "NOOP":
                send("250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 Error: command not recognized")


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

def _openssl(*args, cwd=None):
    exe = which("openssl")
    if exe is None:
        pfhtest.missing_tool(["openssl"])
    r = subprocess.run([exe] + list(args), cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s%s"
                           % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def make_ca(directory, key_type="ec"):
    """Make a throw-away CA, a server cert (CN mx.test.example; SAN
    mx.test.example, localhost, 127.0.0.1) and two client certs (client1 =
    the enrolled one, client2 = not enrolled), all signed by the CA.

    key_type: "ec" (P-256, fast) or "rsa" (2048).
    Returns a SimpleNamespace of paths: dir, ca_cert, ca_key, server_cert,
    server_key, client1_cert, client1_key, client2_cert, client2_key."""
    os.makedirs(directory, exist_ok=True)
    if key_type == "ec":
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    else:
        newkey = ["-newkey", "rsa:2048"]

    def p(name):
        return os.path.join(directory, name)

    _openssl("req", "-x509", *newkey, "-nodes", "-keyout", p("ca.key"),
             "-out", p("ca.pem"), "-days", "3650", "-sha256",
             "-subj", "/O=pfhelpers tests/CN=pfhelpers Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, cn, ext):
        with open(p(name + ".ext"), "w") as f:
            f.write(ext)
        _openssl("req", "-new", *newkey, "-nodes", "-keyout", p(name + ".key"),
                 "-out", p(name + ".csr"), "-subj", "/CN=" + cn)
        _openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"),
                 "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "825",
                 "-sha256", "-extfile", p(name + ".ext"),
                 "-out", p(name + ".pem"))
        os.chmod(p(name + ".key"), 0o600)

    leaf("server", "mx.test.example",
         "basicConstraints=CA:FALSE\n"
         "keyUsage=critical,digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=serverAuth\n"
         "subjectAltName=DNS:mx.test.example,DNS:localhost,IP:127.0.0.1\n")
    for c in ("client1", "client2"):
        leaf(c, c + ".test.example",
             "basicConstraints=CA:FALSE\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=clientAuth\n"
             "subjectAltName=DNS:%s.test.example\n" % c)
    return SimpleNamespace(
        dir=directory, ca_cert=p("ca.pem"), ca_key=p("ca.key"),
        server_cert=p("server.pem"), server_key=p("server.key"),
        client1_cert=p("client1.pem"), client1_key=p("client1.key"),
        client2_cert=p("client2.pem"), client2_key=p("client2.key"))


def der_cert(path):
    """DER bytes of the first certificate in a PEM (or DER) file."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  data, re.S)
    if not m:
        return data
    import base64
    return base64.b64decode(b"".join(m.group(1).split()))


def _der_tlv(buf, off):
    """Return (tag, header_len, content_len) of the TLV at off."""
    tag = buf[off]
    n = buf[off + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7F
    return tag, 2 + k, int.from_bytes(buf[off + 2:off + 2 + k], "big")


def der_spki(cert_der):
    """DER SubjectPublicKeyInfo of a DER certificate (what Postfix hashes for
    ccert_pubkey_fingerprint, i2d_X509_PUBKEY)."""
    _, h, _ = _der_tlv(cert_der, 0)           # Certificate SEQUENCE
    off = h
    _, h, _ = _der_tlv(cert_der, off)         # tbsCertificate SEQUENCE
    off += h
    tag, h, n = _der_tlv(cert_der, off)
    if tag == 0xA0:                           # [0] version
        off += h + n
    for _ in range(5):                        # serial, sigalg, issuer,
        tag, h, n = _der_tlv(cert_der, off)   # validity, subject
        off += h + n
    tag, h, n = _der_tlv(cert_der, off)       # subjectPublicKeyInfo
    if tag != 0x30:
        raise ValueError("unexpected DER tag 0x%02x for SPKI" % tag)
    return cert_der[off:off + h + n]


def _colon_hex(digest_bytes):
    return ":".join("%02X" % b for b in digest_bytes)


def cert_fingerprint(path, digest="sha256"):
    """Postfix ccert_fingerprint: digest of the DER certificate, upper-case
    hex with colons."""
    return _colon_hex(hashlib.new(digest, der_cert(path)).digest())


def pubkey_fingerprint(path, digest="sha256"):
    """Postfix ccert_pubkey_fingerprint: digest of the DER
    SubjectPublicKeyInfo, upper-case hex with colons."""
    return _colon_hex(hashlib.new(digest, der_spki(der_cert(path))).digest())


# --------------------------------------------------------------------------
# swaks
# --------------------------------------------------------------------------

def swaks(args, timeout=60):
    """Run swaks with args (list); return (exit code, transcript with stdout
    and stderr merged).  Skips if swaks is missing."""
    exe = which("swaks")
    if exe is None:
        pfhtest.missing_tool(["swaks"])
    if any(a.startswith("--tls") or a.startswith("-tls") for a in args):
        pfhtest.need_perl_module("Net::SSLeay")
    try:
        r = subprocess.run([exe] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return -1, out + "\n*** swaks timed out after %ss\n" % timeout
    return r.returncode, r.stdout.decode("utf-8", "replace")
