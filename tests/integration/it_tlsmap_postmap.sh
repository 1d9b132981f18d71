#!/bin/sh
# tlsmap interop with Postfix's own socketmap client: postmap -q over unix:
# and inet:, and postmap -q - bulk lookups that must agree with a hash: copy
# of the same table.  Exits 77 (SKIP) when python3 or postmap is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/tlsmap_postmap.py" "$@"
