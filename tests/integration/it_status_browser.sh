#!/bin/sh
# Browser test of the status page: headless Chromium loads / of a running
# tests/status-testd and the rendered DOM must show the counters the test
# produced; it also takes laptop and phone screenshots (kept when
# PFH_SCREENSHOT_DIR is set). Exits 77 (SKIP) when python3 or chromium is
# missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1   # keep the source dir clean (distcheck)
export PYTHONDONTWRITEBYTECODE
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$PY" "$PFH_SRCDIR/tests/integration/status_browser.py" "$@"
