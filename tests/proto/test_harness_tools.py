#!/usr/bin/env python3
"""The test harness's answer to a missing peer tool (issue #11: swaks
without Net::SSLeay skipped or failed obscurely on a fresh machine).

  * need_tools() of a tool that is not installed skips (exit 77) with the
    Debian package to install, and under PFH_REQUIRE_TOOLS=1 (what
    scripts/test sets) fails instead, naming the package;
  * need_perl_module() does the same for a perl module (swaks's STARTTLS
    needs Net::SSLeay from libnet-ssleay-perl);
  * every tool the suite looks up has its package in TOOL_PACKAGES, and
    every such package is installed by scripts/install-deps.
"""

import os
import re
import subprocess
import sys

import pfhtest
from pfhtest import SRCDIR, run_tests

LIB = os.path.join(SRCDIR, "tests", "lib")


def child(code, require):
    env = dict(os.environ, PYTHONPATH=LIB, PFH_REQUIRE_TOOLS=require)
    return subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)


def test_missing_tool_skips_naming_the_package():
    r = child("import pfhtest\npfhtest.TOOL_PACKAGES['pfh-no-such-tool'] = "
              "'pfh-no-such-pkg'\npfhtest.need_tools('pfh-no-such-tool')\n",
              "0")
    assert r.returncode == 77, (r.returncode, r.stderr)
    assert "apt-get install pfh-no-such-pkg" in r.stderr, r.stderr


def test_missing_tool_fails_when_required():
    r = child("import pfhtest\npfhtest.TOOL_PACKAGES['pfh-no-such-tool'] = "
              "'pfh-no-such-pkg'\npfhtest.need_tools('pfh-no-such-tool')\n",
              "1")
    assert r.returncode not in (0, 77), (r.returncode, r.stderr)
    assert "FAIL: missing tool(s): pfh-no-such-tool -- apt-get install " \
           "pfh-no-such-pkg" in r.stderr, r.stderr


def test_missing_perl_module_fails_when_required():
    r = child("import pfhtest\npfhtest.TOOL_PACKAGES['No::Such::PfhModule'] "
              "= 'libno-such-perl'\n"
              "pfhtest.need_perl_module('No::Such::PfhModule')\n", "1")
    assert r.returncode not in (0, 77), (r.returncode, r.stderr)
    assert "apt-get install libno-such-perl" in r.stderr, r.stderr


def test_swaks_tls_module_is_there():
    """The install step brought Net::SSLeay (this run is proof enough:
    under PFH_REQUIRE_TOOLS a missing one fails here)."""
    pfhtest.need_perl_module("Net::SSLeay")


def test_every_package_is_installed_by_install_deps():
    deps = open(os.path.join(SRCDIR, "scripts", "install-deps")).read()
    words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9+.-]*", deps))
    # the browser comes through PFH_EXTRA_PACKAGES from scripts/test
    words |= set(re.findall(r'PFH_EXTRA_PACKAGES="([^"]*)"',
                            open(os.path.join(SRCDIR, "scripts",
                                              "test")).read())[0].split())
    base = {"util-linux", "mount"}      # Essential: on every Debian
    missing = sorted(set(pfhtest.TOOL_PACKAGES.values()) - words - base)
    assert not missing, "not in scripts/install-deps: %s" % missing


if __name__ == "__main__":
    run_tests()
