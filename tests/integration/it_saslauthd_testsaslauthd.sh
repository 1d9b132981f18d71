#!/bin/sh
# saslauthd-lite interop: Debian's testsaslauthd -f DIR/mux prints 0: OK "Success." and 0: NO for a wrong password. Exits 77 (SKIP) when a tool is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/saslauthd_interop.py" testsaslauthd
