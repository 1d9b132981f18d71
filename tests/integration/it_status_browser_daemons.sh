#!/bin/sh
# Browser test of the real daemons' status pages: headless Chromium loads /
# of a running saslauthd-lite, policyd-ccert and tlsmap after known traffic
# and the rendered DOM must show the counters that traffic produced; it
# takes a 1280x900 screenshot of each (kept when PFH_SCREENSHOT_DIR is set:
# doc/screenshots/<daemon>.png). Exits 77 (SKIP) when python3 or chromium
# is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1   # keep the source dir clean (distcheck)
export PYTHONDONTWRITEBYTECODE
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
PYTHONPATH="$PFH_SRCDIR/tests/lib:$PFH_SRCDIR/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$PY" "$PFH_SRCDIR/tests/integration/status_browser_daemons.py" "$@"
