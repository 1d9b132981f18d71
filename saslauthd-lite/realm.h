/*
 * realm.h - how the realm field shapes the login a backend sees
 *
 * libsasl2 splits "alice@example.org" at the last '@': login "alice",
 * realm "example.org". The policy decides what the backend, the cache and
 * the throttle see:
 *   pass     login and realm unchanged (Cyrus saslauthd without -r)
 *   join     login@realm when the realm is non-empty; realm still passed
 *            (Cyrus -r, exactly)
 *   strip    drop the realm, and any "@domain" in the login
 *   default  an empty realm becomes default_realm, then as join (a login
 *            that already holds an '@' is left alone)
 * Contract: realm_apply() is pure; it writes NUL-terminated results into
 * the caller's buffers and returns -1 only when they do not fit.
 */
#ifndef SASL_REALM_H
#define SASL_REALM_H

#include <stddef.h>

enum realm_policy { REALM_PASS, REALM_JOIN, REALM_STRIP, REALM_DEFAULT };

/* realm_policy_parse - name to policy; -1 for an unknown name */
int	realm_policy_parse(const char *, enum realm_policy *);
const char *realm_policy_name(enum realm_policy);
int	realm_apply(enum realm_policy, const char *default_realm,
	    const char *login, const char *realm,
	    char *login_out, size_t login_len, char *realm_out, size_t realm_len);
/*
 * realm_userkey - the name a user is known by in pwfile keys (and so the
 * pwfile backend's throttle and cache identity): the login when it holds
 * an '@', else login@realm, else login.
 */
int	realm_userkey(const char *login, const char *realm, char *out,
	    size_t outlen);

#endif /* SASL_REALM_H */
