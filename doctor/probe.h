/*
 * probe.h - one real request to a daemon, as Postfix would send it
 *
 * Contract: each probe connects to endpoint ("unix:/path", a bare
 *   "/path", or "inet:host:port", endpoint.h's forms), sends one request
 *   in the daemon's wire protocol (encoded with common/'s codecs), and
 *   waits for one complete reply, all within timeout_ms. 0 and the reply
 *   (NUL-terminated, clipped to outlen) in out; -1 and one sentence in why
 *   (cannot connect and why, no reply within the time, a reply that is
 *   not the protocol's, the connection closed early).
 * probe_saslauthd() - the mux's four counted strings (login, password,
 *   service "smtp", empty realm): reply "OK..." or "NO...".
 * probe_policy() - a minimal smtpd_access_policy request at RCPT: the
 *   value of action=.
 * probe_socketmap() - the netstring "name key": "OK ...", "NOTFOUND ",
 *   "TEMP ..." or "PERM ...".
 * probe_dovecot() - the Dovecot auth client handshake (VERSION, CPID)
 *   and one AUTH PLAIN for login (flagged secured, as smtpd under TLS):
 *   the server's handshake up to DONE, then its "OK\t1..." or
 *   "FAIL\t1..." line, which is the reply.
 * Blocking: up to timeout_ms each.
 */
#ifndef PFH_PROBE_H
#define PFH_PROBE_H

#include <stddef.h>

int	probe_saslauthd(const char *endpoint, const char *login,
	    int timeout_ms, char *out, size_t outlen, char *why, size_t whylen);
int	probe_policy(const char *endpoint, int timeout_ms, char *out,
	    size_t outlen, char *why, size_t whylen);
int	probe_socketmap(const char *endpoint, const char *name,
	    const char *key, int timeout_ms, char *out, size_t outlen,
	    char *why, size_t whylen);
int	probe_dovecot(const char *endpoint, const char *login,
	    int timeout_ms, char *out, size_t outlen, char *why,
	    size_t whylen);

#endif /* PFH_PROBE_H */
