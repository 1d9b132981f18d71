"""pfhtest - shared helper for the pfhelpers protocol, integration and e2e tests.

Python 3 standard library only.  Modelled on postsrsd tests/blackbox/testhelper.py.

Contents:
  * BUILDDIR / SRCDIR discovery (env PFH_BUILDDIR / PFH_SRCDIR, set by make check;
    default: the repository root two levels above this file);
  * skip(), need_tools(), need_root(): exit 77 (automake SKIP);
  * a tiny TAP-ish test runner (run_tests / @test / functions named test_*);
  * Daemon: start a real daemon binary in a private temp dir and wait for
    READY=1 on a NOTIFY_SOCKET datagram socket;
  * socket helpers and client codecs for saslauthd, netstrings (socketmap) and
    the Postfix policy protocol;
  * HTTP clients for the status page (http_request and friends).

Environment knobs:
  PFH_KEEP_TMP=1   keep temp dirs (their paths are printed as "# kept ...").
  PFH_REQUIRE_TOOLS=1  a missing peer tool fails the test, naming the Debian
                   package, instead of skipping it (scripts/test sets it: its
                   install step must have brought every tool).
"""

import atexit
import base64
import inspect
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

__all__ = [
    "SRCDIR", "BUILDDIR", "SKIP", "HARD_ERROR",
    "SkipTest", "skip", "need_tools", "need_root", "which", "missing_tool",
    "need_perl_module",
    "test", "run_tests", "make_tmpdir",
    "Daemon", "DaemonError",
    "unix_connect", "tcp_connect", "free_port", "recv_exact", "recv_until",
    "recv_until_closed", "is_closed",
    "sasl_request", "sasl_read_reply", "sasl_auth",
    "ns", "ns_read", "socketmap_query",
    "policy_request", "policy_read_reply", "policy_query",
    "http_request", "http_request_patient", "http_text",
    "wait_for",
]

SKIP = 77
HARD_ERROR = 99

# --------------------------------------------------------------------------
# Directories
# --------------------------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))
SRCDIR = os.path.abspath(os.environ.get("PFH_SRCDIR") or _REPO)
BUILDDIR = os.path.abspath(os.environ.get("PFH_BUILDDIR") or _REPO)

_KEEP_TMP = os.environ.get("PFH_KEEP_TMP", "") not in ("", "0", "no")


def _tmp_base():
    base = os.environ.get("TMPDIR") or "/tmp"
    # Unix socket paths are limited to 108 bytes; keep the temp dirs short.
    if len(base) > 60 or not os.path.isdir(base):
        base = "/tmp"
    return base


_tmpdirs = []


def make_tmpdir(prefix="pfh-", mode=None):
    """mkdtemp under $TMPDIR (or /tmp), never the source dir.  Removed at
    exit unless PFH_KEEP_TMP is set."""
    d = tempfile.mkdtemp(prefix=prefix, dir=_tmp_base())
    if mode is not None:
        os.chmod(d, mode)
    _tmpdirs.append(d)
    return d


def _cleanup_tmpdirs():
    for d in _tmpdirs:
        if _KEEP_TMP:
            print("# kept %s" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    del _tmpdirs[:]


# --------------------------------------------------------------------------
# Skips and tool discovery
# --------------------------------------------------------------------------

def write_conf(path, params):
    """Write a daemon config file: one "name = value" line per item."""
    with open(path, "w") as f:
        for k, v in params.items():
            f.write("%s = %s\n" % (k, v))
    return path


class SkipTest(SystemExit):
    """Raised by skip().  A SystemExit with code 77, so an uncaught skip
    outside the runner still exits 77."""

    def __init__(self, reason):
        SystemExit.__init__(self, SKIP)
        self.reason = reason


def skip(reason):
    """Skip the current test (inside run_tests) or the whole script (exit 77)."""
    sys.stderr.write("SKIP: %s\n" % reason)
    sys.stderr.flush()
    raise SkipTest(reason)


_EXTRA_PATH = ["/usr/sbin", "/sbin", "/usr/local/sbin"]


def which(name):
    """Return the full path of a tool (PATH plus /usr/sbin, /sbin) or None."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    path = os.environ.get("PATH", "").split(os.pathsep) + _EXTRA_PATH
    return shutil.which(name, path=os.pathsep.join(p for p in path if p))


# The Debian package that brings each tool or module a test uses; every one
# of them is in scripts/install-deps.
TOOL_PACKAGES = {
    "postfix": "postfix", "postconf": "postfix", "postqueue": "postfix",
    "postmap": "postfix", "sendmail": "postfix",
    "testsaslauthd": "sasl2-bin", "saslauthd": "sasl2-bin",
    "swaks": "swaks", "Net::SSLeay": "libnet-ssleay-perl",
    "openssl": "openssl", "mkpasswd": "whois",
    "chromium": "chromium", "unshare": "util-linux", "mount": "mount",
    "systemd-socket-activate": "systemd", "postsuper": "postfix",
    "adduser": "adduser", "gpasswd": "passwd", "make": "build-essential",
    "nsd": "nsd", "ldns-signzone": "ldnsutils", "ldns-keygen": "ldnsutils",
    "drill": "ldnsutils", "ldns-verify-zone": "ldnsutils",
    "libunbound": "libunbound-dev", "dovecot": "dovecot-core",
    "slapd": "slapd", "slapadd": "slapd", "ldapsearch": "ldap-utils", "ldapmodify": "ldap-utils",
    "initdb": "postgresql", "pg_ctl": "postgresql",
    "psql": "postgresql",
    "fail2ban-regex": "fail2ban", "fail2ban-client": "fail2ban",
    "dpkg-buildpackage": "dpkg-dev", "dh": "debhelper", "lintian": "lintian",
    "apt-get": "apt",
}

REQUIRE_TOOLS = os.environ.get("PFH_REQUIRE_TOOLS", "") not in ("", "0", "no")


class MissingTool(RuntimeError):
    """A tool the project's install step should have brought is missing."""


def missing_tool(names):
    """Say which tools (and Debian packages) are missing: a failure under
    PFH_REQUIRE_TOOLS, a skip otherwise.  Never returns."""
    pkgs = []
    for n in names:
        pk = TOOL_PACKAGES.get(n, "unknown package")
        if pk not in pkgs:
            pkgs.append(pk)
    msg = ("missing tool(s): %s -- apt-get install %s (scripts/install-deps "
           "installs it)" % (", ".join(names), " ".join(pkgs)))
    if REQUIRE_TOOLS:
        sys.stderr.write("FAIL: %s\n" % msg)
        sys.stderr.flush()
        raise MissingTool(msg)
    skip(msg)


def need_tools(*names):
    """Fail or skip (missing_tool) unless every tool is found.  Returns
    {name: path}."""
    found = {}
    missing = []
    for n in names:
        p = which(n)
        if p is None:
            missing.append(n)
        else:
            found[n] = p
    if missing:
        missing_tool(missing)
    return found


def need_perl_module(module):
    """Fail or skip unless perl can load the module (swaks's STARTTLS needs
    Net::SSLeay, which a --no-install-recommends install of swaks drops)."""
    perl = which("perl")
    ok = False
    if perl is not None:
        try:
            ok = subprocess.run([perl, "-M" + module, "-e", "1"],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    if not ok:
        missing_tool([module])


def need_root():
    if os.geteuid() != 0:
        skip("needs root")


def stop_pid(pid, sig=signal.SIGINT, timeout=10.0, interval=0.02):
    """Stop a server that is not our child (it daemonized: slapd,
    postgres) by its pid: SIGCONT (a paused one cannot stop), sig, then
    wait until it is gone; SIGKILL once timeout passes."""
    try:
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(interval)
    os.kill(pid, signal.SIGKILL)


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value; return that value.
    Raises AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


def join_threads(threads, timeout=30.0, what="client threads"):
    """Join every thread within one shared deadline; AssertionError naming
    what is still running otherwise (a thread that never returns must fail
    the test, not hang it)."""
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    if alive:
        raise AssertionError("%d of %d %s still running after %.0fs: %s"
                             % (len(alive), len(threads), what, timeout,
                                ", ".join(alive)))


# --------------------------------------------------------------------------
# Test runner
# --------------------------------------------------------------------------

_registry = []
_cleanups = []          # per-test cleanup callbacks (LIFO)
_live_daemons = []      # Daemons started and not yet cleaned up


def test(fn):
    """Decorator: register fn as a test (run in registration order)."""
    _registry.append(fn)
    return fn


def add_cleanup(fn, *args):
    """Register a callback run after the current test (LIFO)."""
    _cleanups.append((fn, args))


def _collect(module_globals):
    fns = [v for k, v in module_globals.items()
           if k.startswith("test_") and inspect.isfunction(v)]
    fns.sort(key=lambda f: f.__code__.co_firstlineno)
    return fns


def _run_cleanups(failed):
    while _cleanups:
        fn, args = _cleanups.pop()
        try:
            fn(*args)
        except Exception:
            print("# cleanup error:")
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
    for d in list(_live_daemons):
        if failed:
            d.dump_log(prefix="# ")
        try:
            d.cleanup()
        except Exception:
            traceback.print_exc()


def _on_signal(signum, frame):
    raise SystemExit(HARD_ERROR)


def run_tests(tests=None, module_globals=None, argv=None):
    """Run tests and exit.

    tests: list of functions; default: those registered with @test, else all
    functions named test_* in the caller's module (in source order).
    Command-line arguments, if any, select tests by name (substring).
    Exit: 1 if any failed, 77 if all skipped, 0 otherwise (99 if none ran).
    """
    if module_globals is None:
        module_globals = inspect.stack()[1].frame.f_globals
    if tests is None:
        tests = list(_registry) or _collect(module_globals)
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        tests = [t for t in tests if any(a in t.__name__ for a in argv)]
    signal.signal(signal.SIGTERM, _on_signal)

    print("1..%d" % len(tests))
    sys.stdout.flush()
    passed = failed = skipped = 0
    for n, fn in enumerate(tests, 1):
        name = fn.__name__
        status = "ok"
        detail = None
        try:
            fn()
        except SkipTest as e:
            status = "skip"
            detail = e.reason
        except (KeyboardInterrupt, SystemExit):
            _run_cleanups(True)
            _cleanup_tmpdirs()
            raise
        except BaseException:
            status = "fail"
            detail = traceback.format_exc()
        _run_cleanups(status == "fail")
        if status == "ok":
            passed += 1
            print("ok %d - %s" % (n, name))
        elif status == "skip":
            skipped += 1
            print("ok %d - %s # SKIP %s" % (n, name, detail))
        else:
            failed += 1
            print("not ok %d - %s" % (n, name))
            for line in detail.rstrip().splitlines():
                print("#   " + line)
        sys.stdout.flush()
    _cleanup_tmpdirs()
    print("%d passed, %d failed" % (passed, failed)
          + (" (%d skipped)" % skipped if skipped else ""))
    sys.stdout.flush()
    if failed:
        sys.exit(1)
    if not tests:
        sys.exit(HARD_ERROR)
    if skipped == len(tests):
        sys.exit(SKIP)
    sys.exit(0)


# --------------------------------------------------------------------------
# Daemon
# --------------------------------------------------------------------------

class DaemonError(Exception):
    pass


def _subst(s, d):
    return s.replace("@DIR@", d) if isinstance(s, str) else s


class Daemon:
    """A real daemon binary started in a private temp dir.

    prog      path relative to BUILDDIR (e.g. "tlsmap/tlsmap") or absolute.
    args      extra argv (list); "@DIR@" is replaced by the temp dir.
    config    config file text, written to DIR/<name>.conf and passed as
              "-c FILE" ("@DIR@" replaced); or config_file= an existing path.
    options   dict or list of (name, value): "-o name=value" each.
    foreground  add "-d" (foreground, log to stderr).  Default True.
    env       extra environment.
    wrapper   argv prefix, e.g. ["strace", "-f", "-o", "/tmp/st"].
    workdir   use this dir instead of a fresh mkdtemp.
    ready_timeout  seconds to wait for READY=1 (default 10).

    Usage:  with Daemon("tlsmap/tlsmap", config=...) as d: ...
    or      d = Daemon(...); d.start(); ...; rc = d.stop()
    """

    def __init__(self, prog, args=(), config=None, config_file=None,
                 options=None, foreground=True, env=None, wrapper=None,
                 workdir=None, name=None, ready_timeout=10.0,
                 wait_ready=True):
        self.dir = workdir or make_tmpdir(prefix="pfh-d-")
        self.prog = prog if os.path.isabs(prog) else os.path.join(BUILDDIR, prog)
        self.name = name or os.path.basename(prog)
        self.args = [_subst(a, self.dir) for a in args]
        self.config_file = config_file
        if config is not None:
            self.config_file = self.path(self.name + ".conf")
            self.write(self.config_file, config)
        if isinstance(options, dict):
            options = list(options.items())
        self.options = [(k, _subst(str(v), self.dir)) for k, v in (options or [])]
        self.foreground = foreground
        self.env = dict(env or {})
        self.wrapper = list(wrapper or [])
        self.ready_timeout = ready_timeout
        self.wait_ready = wait_ready
        self.proc = None
        self.notifications = []     # every datagram received, decoded
        self.returncode = None
        self.stderr_path = self.path("stderr.log")
        self.stdout_path = self.path("stdout.log")
        self._notify = None
        self._errf = None
        self._outf = None
        self._pending = []          # datagrams read but not consumed by a wait

    # -- files ------------------------------------------------------------
    def path(self, *parts):
        """Path inside the daemon's temp dir."""
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=None):
        """Write a file in the temp dir (name relative or absolute); "@DIR@"
        in str content is replaced.  Returns the path."""
        p = name if os.path.isabs(name) else self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = _subst(text, self.dir)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(p, mode)
        return p

    # -- lifecycle --------------------------------------------------------
    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        cmd = self.wrapper + [self.prog]
        if self.config_file:
            cmd += ["-c", self.config_file]
        for k, v in self.options:
            cmd += ["-o", "%s=%s" % (k, v)]
        if self.foreground:
            cmd.append("-d")
        return cmd + self.args

    def start(self):
        if self.proc is not None:
            raise DaemonError("already started")
        if not os.access(self.prog, os.X_OK):
            raise DaemonError("%s not built (run make first)" % self.prog)
        npath = self.path("notify.sock")
        if len(npath) > 100:
            raise DaemonError("temp dir path too long for a unix socket: %s"
                              % npath)
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(npath)
        env = dict(os.environ)
        env.update(self.env)
        env["NOTIFY_SOCKET"] = npath
        self._errf = open(self.stderr_path, "ab")
        self._outf = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(self.argv(), cwd=self.dir, env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self._outf, stderr=self._errf)
        if self not in _live_daemons:
            _live_daemons.append(self)
        if self.wait_ready:
            self.wait_notify("READY=1", self.ready_timeout)
        return self

    def _recv_notify(self, timeout):
        r, _, _ = select.select([self._notify], [], [], max(0.0, timeout))
        if not r:
            return None
        msg = self._notify.recv(65536).decode("utf-8", "replace")
        self.notifications.append(msg)
        return msg

    def drain_notify(self):
        """Consume notifications already queued; return them."""
        got = []
        while True:
            m = self._recv_notify(0)
            if m is None:
                break
            got.append(m)
        self._pending.extend(got)
        out, self._pending = self._pending, []
        return out

    def wait_notify(self, what="READY=1", timeout=10.0):
        """Wait for a datagram with a line equal to `what`.  Returns the list
        of datagrams consumed (ending with the matching one).  Raises
        DaemonError if the process exits or on timeout."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            if self._pending:
                msg = self._pending.pop(0)
            else:
                msg = self._recv_notify(min(0.1, deadline - time.monotonic()))
            if msg is not None:
                seen.append(msg)
                if what in msg.split("\n"):
                    return seen
                continue
            if self.proc.poll() is not None:
                raise DaemonError("%s exited with %s before %s\n%s"
                                  % (self.name, self.proc.returncode, what,
                                     self._tail()))
            if time.monotonic() >= deadline:
                raise DaemonError("%s: no %s within %.1fs (got %r)\n%s"
                                  % (self.name, what, timeout, seen,
                                     self._tail()))

    def reload(self, timeout=10.0, wait_ready=True):
        """SIGHUP and wait for the next READY=1.  Returns the datagrams seen
        (normally ["RELOADING=1", "READY=1"])."""
        self._pending = []
        self.drain_notify()
        self._pending = []
        self.proc.send_signal(signal.SIGHUP)
        if not wait_ready:
            return []
        return self.wait_notify("READY=1", timeout)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        """Send SIGTERM, wait (SIGKILL after timeout) and return the exit
        code (negative = killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.drain_notify()
        return self.returncode

    def saw(self, what):
        """True if any datagram so far contained the line `what`."""
        self.drain_notify()
        return any(what in m.split("\n") for m in self.notifications)

    def cleanup(self):
        """Stop (if running), close files and remove the temp dir (unless
        PFH_KEEP_TMP).  Called automatically by the runner."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        for f in (self._notify, self._errf, self._outf):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._notify = self._errf = self._outf = None
        if self in _live_daemons:
            _live_daemons.remove(self)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and exc[0] is not SkipTest:
            self.dump_log(prefix="# ")
        self.cleanup()
        return False

    # -- logs -------------------------------------------------------------
    def log(self, since=0):
        """stderr text so far (from byte offset `since`)."""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_mark(self):
        """Byte offset of the current end of the log, for wait_log(since=)."""
        try:
            return os.path.getsize(self.stderr_path)
        except OSError:
            return 0

    def wait_log(self, regex, timeout=10.0, since=0):
        """Poll the log until regex matches; return the match object."""
        rx = re.compile(regex, re.M) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(since))
            if m:
                return m
            if time.monotonic() >= deadline:
                raise AssertionError("%s: log never matched %r within %.1fs\n%s"
                                     % (self.name, rx.pattern, timeout,
                                        self._tail()))
            time.sleep(0.05)

    def _tail(self, n=40):
        lines = self.log().splitlines()[-n:]
        return "--- %s stderr (last %d lines) ---\n%s" % (
            self.name, len(lines), "\n".join(lines))

    def dump_log(self, prefix=""):
        for line in self._tail().splitlines():
            print(prefix + line)


def _atexit_kill_daemons():
    for d in list(_live_daemons):
        try:
            d.cleanup()
        except Exception:
            pass
    _cleanup_tmpdirs()


atexit.register(_atexit_kill_daemons)


# --------------------------------------------------------------------------
# Socket helpers
# --------------------------------------------------------------------------

def unix_connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except BaseException:
        s.close()
        raise
    return s


def tcp_connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def free_port(host="127.0.0.1"):
    """A currently unused TCP port on host (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_readable(sock, deadline):
    # SSL sockets may have buffered data that select() cannot see.
    if getattr(sock, "pending", None) and sock.pending():
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    r, _, _ = select.select([sock], [], [], left)
    if not r:
        raise socket.timeout("timed out")


def recv_exact(sock, n, timeout=5.0):
    """Read exactly n bytes.  EOFError if the peer closes first,
    socket.timeout on timeout."""
    deadline = time.monotonic() + timeout
    buf = b""
    while len(buf) < n:
        _wait_readable(sock, deadline)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes: %r"
                           % (len(buf), n, buf))
        buf += chunk
    return buf


def recv_until(sock, delim, timeout=5.0, maxlen=1 << 20):
    """Read up to and including delim, never consuming bytes after it (so
    pipelined replies stay in the socket).  Returns the bytes incl. delim."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        _wait_readable(sock, deadline)
        peek = sock.recv(65536, socket.MSG_PEEK)
        if not peek:
            raise EOFError("connection closed before %r; got %r" % (delim, buf))
        combined = buf + peek
        i = combined.find(delim, max(0, len(buf) - len(delim) + 1))
        if i >= 0:
            need = i + len(delim) - len(buf)
            return buf + recv_exact(sock, need, max(0.1, deadline - time.monotonic()))
        buf += recv_exact(sock, len(peek), 1.0)
        if len(buf) > maxlen:
            raise ValueError("no %r within %d bytes" % (delim, maxlen))


def recv_until_closed(sock, timeout=5.0):
    """Read everything until EOF.  socket.timeout if not closed in time."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        _wait_readable(sock, deadline)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return buf
        if not chunk:
            return buf
        buf += chunk


def relay_pipe(src, dst, delay=0.0):
    """One direction of a TCP relay (a thread's body): copy src to dst,
    each chunk held delay s first, until either side goes; then shut both
    down, so the other direction ends too."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if delay:
                time.sleep(delay)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def is_closed(sock, timeout=2.0):
    """True if the peer closes (EOF or reset) within timeout; any data
    received meanwhile is discarded.  False on timeout."""
    try:
        recv_until_closed(sock, timeout)
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


# --------------------------------------------------------------------------
# Codecs: saslauthd
# --------------------------------------------------------------------------

def _b(x):
    if x is None:
        return b""
    return x if isinstance(x, (bytes, bytearray)) else str(x).encode("utf-8")


def sasl_counted(field):
    field = _b(field)
    return struct.pack(">H", len(field)) + field


def sasl_request(login, password, service, realm, client_addr=None):
    """saslauthd request: 4 counted strings (5 with client_addr)."""
    fields = [login, password, service, realm]
    if client_addr is not None:
        fields.append(client_addr)
    return b"".join(sasl_counted(f) for f in fields)


def sasl_read_reply(sock, timeout=5.0):
    """Read one counted-string reply, e.g. "OK" or "NO reason"."""
    (n,) = struct.unpack(">H", recv_exact(sock, 2, timeout))
    return recv_exact(sock, n, timeout).decode("utf-8", "surrogateescape")


def sasl_auth(path, login, password, service="smtp", realm="",
              client_addr=None, timeout=5.0):
    """One request on a fresh connection to DIR/mux, like libsasl2."""
    with unix_connect(path, timeout) as s:
        s.sendall(sasl_request(login, password, service, realm, client_addr))
        return sasl_read_reply(s, timeout)


# --------------------------------------------------------------------------
# Codecs: netstrings / socketmap
# --------------------------------------------------------------------------

def ns(data):
    """Encode one netstring: b"5:hello,"."""
    data = _b(data)
    return b"%d:%s," % (len(data), data)


def ns_read(sock, timeout=5.0, maxlen=1000000):
    """Read one netstring strictly (no leading zeros, ',' required)."""
    hdr = recv_until(sock, b":", timeout, maxlen=12)
    digits = hdr[:-1]
    if not digits.isdigit() or (len(digits) > 1 and digits[:1] == b"0"):
        raise ValueError("bad netstring length %r" % hdr)
    n = int(digits)
    if n > maxlen:
        raise ValueError("netstring too long: %d" % n)
    data = recv_exact(sock, n + 1, timeout)
    if data[-1:] != b",":
        raise ValueError("netstring missing ',': %r" % data[-1:])
    return data[:-1]


def socketmap_query(sock_or_path, name, key, timeout=5.0):
    """Send "name key" as a netstring, return the reply payload (bytes),
    e.g. b"OK secure match=..." or b"NOTFOUND "."""
    req = ns(_b(name) + b" " + _b(key))
    if isinstance(sock_or_path, str):
        with unix_connect(sock_or_path, timeout) as s:
            s.sendall(req)
            return ns_read(s, timeout)
    sock_or_path.sendall(req)
    return ns_read(sock_or_path, timeout)


# --------------------------------------------------------------------------
# Codecs: Postfix policy protocol
# --------------------------------------------------------------------------

def policy_request(attrs):
    """dict (or list of pairs) -> b"name=value\\n...\\n\\n"."""
    items = attrs.items() if isinstance(attrs, dict) else attrs
    return b"".join(_b(k) + b"=" + _b(v) + b"\n" for k, v in items) + b"\n"


def policy_read_reply(sock, timeout=5.0):
    """Read one reply (lines up to an empty line) into a dict.  If a name
    repeats, the first value wins (as in Postfix)."""
    raw = recv_until(sock, b"\n\n", timeout)
    out = {}
    for line in raw[:-2].split(b"\n"):
        k, sep, v = line.partition(b"=")
        if not sep:
            raise ValueError("policy reply line without '=': %r" % line)
        out.setdefault(k.decode("utf-8", "surrogateescape"),
                       v.decode("utf-8", "surrogateescape"))
    return out


def policy_query(sock, attrs, timeout=5.0):
    sock.sendall(policy_request(attrs))
    return policy_read_reply(sock, timeout)


# --------------------------------------------------------------------------
# HTTP: the status page
# --------------------------------------------------------------------------

def http_request(url, auth=None, method="GET", timeout=10):
    """(status, headers, body bytes), with Basic auth when auth is a
    (user, password) pair; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method)
    if auth is not None:
        tok = base64.b64encode(("%s:%s" % auth).encode()).decode()
        req.add_header("Authorization", "Basic " + tok)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def http_request_patient(url, auth=None, method="GET"):
    """http_request(), but wait out a 429 (the crypt budget, "Retry-After:
    1") like a polite client."""
    for _ in range(20):
        st, hdr, body = http_request(url, auth, method)
        if st != 429:
            return st, hdr, body
        assert hdr["Retry-After"] == "1", hdr["Retry-After"]
        time.sleep(1.1)
    raise AssertionError("still 429 after 20 tries: %s" % url)


def http_text(url, auth=None, timeout=10):
    """(status, body text) of a GET: an answer's body must be UTF-8, an
    error's is decoded leniently."""
    st, _, body = http_request(url, auth, timeout=timeout)
    return st, body.decode("utf-8") if st < 400 else \
        body.decode("utf-8", "replace")
