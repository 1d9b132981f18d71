#!/bin/sh
# The Debian packages: built, linted, installed, used as the packaged users,
# removed and purged (tests/integration/debian_packages.py). Exits 77
# (SKIP) unless root with dpkg-buildpackage; PFH_REQUIRE_TOOLS=1 fails on a
# missing tool.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/debian_packages.py" "$@"
