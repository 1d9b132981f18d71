#!/bin/sh
# run_readme_recipes - (named apart from readme_recipes.py, which automake
# would map to the same log) README.md's Postfix recipes word for word on this
# machine's own (unconfigured) Postfix, then mail through it; see
# readme_recipes.py. Exits 77 (SKIP) when not root or when this machine's
# Postfix has a configuration of its own.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/e2e/readme_recipes.py" "$@"
