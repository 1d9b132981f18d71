#!/usr/bin/env python3
"""Where a daemon's configuration comes from, and `check`.

  * A daemon whose default configuration file is missing says so, naming
    the file, at start, on SIGHUP, for -n and for check: a build whose
    configuration directory is not the one the admin edited must not run
    quietly on defaults (issue #11: tlsmap then defers all mail).
  * The default configuration directory is /etc/pfhelpers whatever
    --prefix says (configure run for real in a temp dir), and follows an
    explicit --sysconfdir or --with-confdir.
  * `DAEMON check` (saslauthd-lite: -C FILE check) reports every bad line
    of the data files as "FILE, line N: ..." and exits 65; a good set-up
    exits 0. All three use the skeleton's check; tlsmap's verify hook
    prints a line per map and exits 1 on a problem (tlsmap(8)), and is
    tested in test_tlsmap*.py.
"""

import os
import re
import signal
import subprocess

import pfhtest
from pfhtest import (BUILDDIR, SRCDIR, Daemon, free_port, make_tmpdir,
                     run_tests, skip, wait_for)

SASL = os.path.join(BUILDDIR, "saslauthd-lite/saslauthd-lite")
POLICYD = os.path.join(BUILDDIR, "policyd-ccert/policyd-ccert")
TLSMAP = os.path.join(BUILDDIR, "tlsmap/tlsmap")
HASH = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"


def default_config(prog):
    """The compiled-in default config path, from the usage text."""
    r = subprocess.run([prog, "-h"], capture_output=True, text=True,
                       timeout=20)
    m = re.search(r"configuration file \(default (\S+)\)", r.stderr)
    assert m, r.stderr
    return m.group(1)


def missing_default(prog):
    path = default_config(prog)
    if os.path.exists(path):
        skip("%s exists on this machine" % path)
    return path


def warning_for(path, flag):
    return ("warning: configuration file %s not found: running on built-in "
            "defaults and the command line (name another file with -%s FILE)"
            % (path, flag))


def test_default_dir_is_etc_pfhelpers():
    """The build under test looks in /etc/pfhelpers (default prefix)."""
    for prog, name in ((SASL, "saslauthd-lite"), (POLICYD, "policyd-ccert"),
                       (TLSMAP, "tlsmap")):
        assert default_config(prog) == "/etc/pfhelpers/%s.conf" % name


def test_missing_default_warned_by_n_and_check():
    path = missing_default(POLICYD)
    d = make_tmpdir()
    ids = os.path.join(d, "ids")
    open(ids, "w").write("")
    args = [POLICYD, "-o", "identities=" + ids,
            "-o", "listen=inet:127.0.0.1:%d" % free_port()]
    r = subprocess.run(args + ["-n"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    assert warning_for(path, "c") in r.stderr, r.stderr
    assert "configuration (built-in defaults) is valid" in r.stderr
    r = subprocess.run(args + ["check"], capture_output=True, text=True,
                       timeout=20)
    assert warning_for(path, "c") in r.stderr, r.stderr
    spath = missing_default(SASL)
    r = subprocess.run([SASL, "-O", "/nonexistent/pw", "check"],
                       capture_output=True, text=True, timeout=20)
    assert warning_for(spath, "C") in r.stderr, r.stderr
    assert r.returncode == 65, r.stderr


def test_missing_default_warned_at_start_and_reload():
    """The daemon itself, started on defaults: the warning at start and at
    every SIGHUP, on stderr (-d) as in the log."""
    path = missing_default(POLICYD)
    d = make_tmpdir()
    ids = os.path.join(d, "ids")
    open(ids, "w").write("")
    open(ids + ".confirm", "w").write("")   # empty, and meant to be
    port = free_port()
    p = subprocess.Popen([POLICYD, "-d", "-o", "identities=" + ids,
                          "-o", "listen=inet:127.0.0.1:%d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = []
    try:
        os.set_blocking(p.stderr.fileno(), False)

        def saw(text, n=1):
            try:
                chunk = os.read(p.stderr.fileno(), 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                lines.append(chunk.decode("utf-8", "replace"))
            return "".join(lines).count(text) >= n
        wait_for(lambda: saw("daemon started"), timeout=20,
                 what="policyd-ccert to start")
        assert "".join(lines).count(warning_for(path, "c")) == 1
        p.send_signal(signal.SIGHUP)
        wait_for(lambda: saw(warning_for(path, "c"), 2), timeout=20,
                 what="the warning again on SIGHUP")
    finally:
        p.terminate()
        p.wait(20)


def configure_confdir(*args):
    """Run the source tree's configure in a temp dir; the PFH_CONFDIR it
    substitutes and its summary line."""
    conf = os.path.join(SRCDIR, "configure")
    if not os.access(conf, os.X_OK):
        skip("no configure script in the source tree")
    d = make_tmpdir(prefix="pfh-conf-")
    r = subprocess.run([conf, "-q"] + list(args), cwd=d, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    mk = open(os.path.join(d, "Makefile")).read()
    var = dict(re.findall(r"^(\w+) = (.*)$", mk, re.M))
    assert "PFH_CONFDIR" in var, "no PFH_CONFDIR in the Makefile"
    value = var["PFH_CONFDIR"]
    for _ in range(10):     # make's expansion of ${name} and $(name)
        value = re.sub(r"\$[{(](\w+)[})]", lambda m: var.get(m.group(1), ""),
                       value)
    summary = re.search(r"configuration:\s+(\S+)", r.stdout + r.stderr)
    return value


def test_configure_prefix_keeps_etc():
    """--prefix=/opt/pfh: the config stays in /etc/pfhelpers, as every
    document says; --sysconfdir and --with-confdir move it."""
    assert configure_confdir("--prefix=/opt/pfh") == "/etc/pfhelpers"
    assert configure_confdir("--prefix=/opt/pfh",
                             "--sysconfdir=/opt/pfh/etc") == \
        "/opt/pfh/etc/pfhelpers"
    assert configure_confdir("--with-confdir=/srv/pfh") == "/srv/pfh"


def test_sasl_check_reports_every_bad_line():
    d = make_tmpdir()
    pw = os.path.join(d, "passwd")
    with open(pw, "w") as f:
        f.write("alice:%s\n" "bob:notahash\n" "carol:%s\n" "eve-without-a-colon\n"
                "dave:\n" % (HASH, HASH))
    os.chmod(pw, 0o600)
    conf = os.path.join(d, "sasl.conf")
    with open(conf, "w") as f:
        f.write("mechanisms = pwfile\npwfile = %s\nrun_dir = %s\n"
                % (pw, os.path.join(d, "run")))
    r = subprocess.run([SASL, "-C", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 65, (r.returncode, r.stderr)
    for n in (2, 4, 5):
        assert re.search(r"%s, line %d: " % (re.escape(pw), n), r.stderr), \
            (n, r.stderr)
    assert not re.search(r"line [13]: ", r.stderr), r.stderr
    assert "3 problems" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(d, "run")), \
        "check created the run directory"
    with open(pw, "w") as f:
        f.write("alice:%s\n" % HASH)
    r = subprocess.run([SASL, "-C", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "pwfile %s: 1 entries" % pw in r.stderr
    assert "valid" in r.stderr
    # a world-readable password file is a problem check names
    os.chmod(pw, 0o644)
    r = subprocess.run([SASL, "-C", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 65, r.stderr


def test_policyd_check_reports_every_bad_line():
    d = make_tmpdir()
    ids = os.path.join(d, "ids")
    good = "sha256:" + ":".join(["AB"] * 32)
    with open(ids, "w") as f:
        f.write("%s host1\n" "nothex host2\n" "%s host3 expires=2027-13-40\n"
                "%s host4\n" % (good, good.replace("AB", "CD"),
                                good.replace("AB", "EF")))
    conf = os.path.join(d, "p.conf")
    with open(conf, "w") as f:
        f.write("identities = %s\nlisten = inet:127.0.0.1:%d\n"
                % (ids, free_port()))
    r = subprocess.run([POLICYD, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 65, (r.returncode, r.stderr)
    for n in (2, 3):
        assert re.search(r"%s, line %d: " % (re.escape(ids), n), r.stderr), \
            (n, r.stderr)
    assert "2 problems" in r.stderr, r.stderr
    with open(ids, "w") as f:
        f.write("%s host1\n" % good)
    r = subprocess.run([POLICYD, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "1 identities" in r.stderr, r.stderr
    # a bad configuration is a configuration error (78), before any data
    with open(conf, "a") as f:
        f.write("no_such_parameter = 1\n")
    r = subprocess.run([POLICYD, "-c", conf, "check"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 78, (r.returncode, r.stderr)
    assert "check: " in r.stderr


def test_config_cut_short_is_not_used():
    """A configuration whose last line has no newline (a full disk, a
    killed copy) is refused at start, and at SIGHUP the running one stays:
    the lines it lost would otherwise run on their defaults, silently."""
    d = make_tmpdir()
    ids = os.path.join(d, "ids")
    with open(ids, "w") as f:
        f.write("sha256:%s host1\n" % ":".join(["AB"] * 32))
    conf = os.path.join(d, "p.conf")
    port = free_port()
    good = "identities = %s\nlisten = inet:127.0.0.1:%d\n" % (ids, port)
    with open(conf, "w") as f:
        f.write(good + "default_action = REJ")      # cut mid-line
    r = subprocess.run([POLICYD, "-c", conf, "-n"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 78, (r.returncode, r.stderr)
    assert "%s, line 3: no newline at end of file" % conf in r.stderr, \
        r.stderr
    with open(conf, "w") as f:
        f.write(good)
    p = subprocess.Popen([POLICYD, "-d", "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = []
    try:
        os.set_blocking(p.stderr.fileno(), False)

        def saw(text):
            try:
                chunk = os.read(p.stderr.fileno(), 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                out.append(chunk.decode("utf-8", "replace"))
            return text in "".join(out)
        wait_for(lambda: saw("daemon started"), timeout=20,
                 what="policyd-ccert to start")
        with open(conf, "w") as f:
            f.write(good + "default_action = REJECT 5.7.1 no")
        p.send_signal(signal.SIGHUP)
        wait_for(lambda: saw("keeping the running configuration"),
                 timeout=20, what="the refused reload")
        assert "no newline at end of file" in "".join(out), "".join(out)
    finally:
        p.terminate()
        p.wait(20)


if __name__ == "__main__":
    run_tests()
