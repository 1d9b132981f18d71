#!/bin/sh
# saslauthd-lite interop: a private Postfix smtpd (libsasl2, pwcheck_method: saslauthd) accepts AUTH PLAIN and LOGIN from swaks, refuses wrong passwords with 535 and unauthenticated relay with 554. Exits 77 (SKIP) when a tool is missing or when not root.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/saslauthd_interop.py" postfix
