#!/bin/sh
# pfhelpers-doctor against a real Postfix configuration (postconf -c) and the
# real daemons: a correct wiring has no finding, each mistake is found with
# its fix. Exits 77 (SKIP) when not root or when python3 or postconf is
# missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$PY" "$PFH_SRCDIR/tests/integration/doctor.py" "$@"
