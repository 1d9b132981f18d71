#!/bin/sh
# Self-test of the shared Python test harness (tests/lib/pfhtest.py and
# tests/lib/postfix_instance.py): codecs, the Daemon class, the throw-away CA
# and fingerprint helpers, and a private Postfix instance relaying a swaks
# message to an SMTP sink.  Exits 77 (SKIP) when not root or when python3,
# postfix, swaks or openssl is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1   # keep the source dir clean (distcheck)
export PYTHONDONTWRITEBYTECODE
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/lib/selftest_harness.py" "$@"
