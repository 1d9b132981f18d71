/*
 * realm.c - the realm policy (see realm.h for the truth table)
 *
 * Kept pure and apart from the session so the truth table is unit-tested
 * byte for byte: realm handling is the part of Cyrus saslauthd users most
 * often get wrong (cyrus-sasl #785, #832).
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "realm.h"

static const char *const realm_names[] = {
	[REALM_PASS] = "pass", [REALM_JOIN] = "join",
	[REALM_STRIP] = "strip", [REALM_DEFAULT] = "default",
};

/* realm_policy_parse - name to policy */
int
realm_policy_parse(const char *name, enum realm_policy *p)
{
	size_t i;

	for (i = 0; i < nitems(realm_names); i++) {
		if (strcmp(name, realm_names[i]) == 0) {
			*p = (enum realm_policy)i;
			return 0;
		}
	}
	return -1;
}

/* realm_policy_name - policy to name */
const char *
realm_policy_name(enum realm_policy p)
{
	return (size_t)p < nitems(realm_names) ? realm_names[p] : "?";
}

/* copy - bounded copy; -1 when it does not fit */
static int
copy(char *out, size_t outlen, const char *in, size_t n)
{
	if (n >= outlen)
		return -1;
	memcpy(out, in, n);
	out[n] = 0;
	return 0;
}

/* join - login@realm, or login when the realm is empty */
static int
join(const char *login, const char *realm, char *out, size_t outlen)
{
	int n;

	if (*realm == 0)
		return copy(out, outlen, login, strlen(login));
	n = snprintf(out, outlen, "%s@%s", login, realm);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* realm_apply - shape login and realm by policy */
int
realm_apply(enum realm_policy p, const char *default_realm, const char *login,
    const char *realm, char *login_out, size_t login_len, char *realm_out,
    size_t realm_len)
{
	const char *at, *r;

	switch (p) {
	case REALM_JOIN:
		/* Cyrus -r: join, and the realm is still passed along */
		if (copy(realm_out, realm_len, realm, strlen(realm)) < 0)
			return -1;
		return join(login, realm, login_out, login_len);
	case REALM_STRIP:
		at = strrchr(login, '@');
		/* a zero-size realm buffer has no room even for the NUL */
		if (realm_len == 0)
			return -1;
		realm_out[0] = 0;
		return copy(login_out, login_len, login,
		    at ? (size_t)(at - login) : strlen(login));
	case REALM_DEFAULT:
		r = *realm ? realm : default_realm ? default_realm : "";
		if (copy(realm_out, realm_len, r, strlen(r)) < 0)
			return -1;
		if (strchr(login, '@') != NULL)
			return copy(login_out, login_len, login, strlen(login));
		return join(login, r, login_out, login_len);
	case REALM_PASS:
	default:
		if (copy(realm_out, realm_len, realm, strlen(realm)) < 0)
			return -1;
		return copy(login_out, login_len, login, strlen(login));
	}
}

/* realm_userkey - the user's one name for tables, cache and throttle */
int
realm_userkey(const char *login, const char *realm, char *out, size_t outlen)
{
	if (strchr(login, '@') != NULL)
		return copy(out, outlen, login, strlen(login));
	return join(login, realm, out, outlen);
}
