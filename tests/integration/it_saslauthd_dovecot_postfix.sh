#!/bin/sh
# saslauthd-lite's Dovecot socket: a private chrooted Postfix smtpd (smtpd_sasl_type = dovecot, smtpd_sasl_path = private/auth) accepts AUTH PLAIN and LOGIN from swaks (235), refuses wrong passwords (535), and the per-address throttle delays 127.0.0.2 after its failures while 127.0.0.3 goes through. Exits 77 (SKIP) when a tool is missing or when not root.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
exec "$PY" "$PFH_SRCDIR/tests/integration/saslauthd_dovecot_postfix.py"
