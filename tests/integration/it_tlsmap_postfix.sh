#!/bin/sh
# tlsmap interop with a real Postfix smtp(8) client (private instance, local
# SMTP sink): encrypt defers, may and none deliver, secure checks the name,
# legacy smtp_tls_per_site MUST_NOPEERMATCH defers.  Exits 77 (SKIP) unless root with postfix, swaks.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/tlsmap_postfix.py" "$@"
