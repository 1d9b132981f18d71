#!/bin/sh
# Interop: a private Postfix smtpd (TLS, smtpd_tls_ask_ccert = yes) asks
# policyd-ccert through check_policy_service; an enrolled client certificate
# relays, another or none gets "554 5.7.1 ... Relay access denied", with
# smtpd_tls_fingerprint_digest = md5 and = sha256, over inet: and unix:.
# Exits 77 (SKIP) when not root or when python3, postfix, swaks or openssl
# is missing.
set -u
: "${PFH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PFH_SRCDIR
PY=$(command -v python3 2>/dev/null) || { echo "SKIP: python3 missing"; exit 77; }
PYTHONPATH="$PFH_SRCDIR/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$PY" "$PFH_SRCDIR/tests/integration/policyd_postfix.py" "$@"
