#!/bin/sh
# tlsmap dynamic map + real Postfix smtp(8): a delivery follows the MTA-STS
# answer (offline DNS + HTTPS world, sink on the MX address): a wrong
# certificate defers, the right one delivers.  Exits 77 (SKIP) unless root with postfix, swaks, nsd.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/tlsmap_sts_postfix.py" "$@"
