#!/bin/sh
# run_e2e_all - run e2e_all.py (named apart: automake would map both
# e2e_all.sh and e2e_all.py to e2e_all.log). The whole suite behind one
# private Postfix instance: SMTP AUTH through
# saslauthd-lite, relay by client certificate through policyd-ccert (md5 and
# sha256, unix: and inet:), outbound TLS policy and a legacy per-site table
# through tlsmap (unix: and inet:). Exits 77 (SKIP) when not root or when
# python3, postfix, swaks or openssl is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/e2e/e2e_all.py" "$@"
