/*
 * fuzz_realm.c - fuzz harness for saslauthd-lite's realm policy
 *
 * The input is up to four NUL-separated strings: the login and the realm
 * as a client sent them (untrusted), default_realm (absent = NULL) and a
 * policy name. For each policy, realm_apply() gets output buffers of
 * every interesting size (0, 1, exactly too short, exactly enough, large),
 * each followed by a guard byte. Invariants, from realm.h's truth table:
 *   - nothing is written past a buffer (the guard byte stays);
 *   - 0 exactly when both results fit, and then they are
 *       pass     login, realm
 *       join     login@realm (login when realm is empty), realm
 *       strip    login up to its last '@', ""
 *       default  r = realm, or default_realm when realm is empty; login if
 *                it holds an '@', else as join with r; and r;
 *   - realm_userkey(): login if it holds an '@', else login@realm, else
 *     login, with the same rule about fitting;
 *   - realm_policy_parse() takes exactly the four names, and
 *     realm_policy_name() gives them back.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "realm.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "realm";

#define GUARD	0xa5

/* guarded - n usable bytes and a guard byte after them */
static char *
guarded(size_t n)
{
	char *b = xmalloc(n + 1);

	memset(b, 'Z', n);
	b[n] = (char)GUARD;
	return b;
}

/* joined - what join() should give: login@realm, or login */
static char *
joined(const char *login, const char *realm)
{
	return *realm ? xasprintf("%s@%s", login, realm) : xstrdup(login);
}

/* expected - the truth table of realm.h */
static void
expected(enum realm_policy p, const char *dflt, const char *login,
    const char *realm, char **lo, char **ro)
{
	const char *r, *at;

	switch (p) {
	case REALM_PASS:
		*lo = xstrdup(login);
		*ro = xstrdup(realm);
		break;
	case REALM_JOIN:
		*lo = joined(login, realm);
		*ro = xstrdup(realm);
		break;
	case REALM_STRIP:
		at = strrchr(login, '@');
		*lo = at ? xstrndup(login, (size_t)(at - login)) :
		    xstrdup(login);
		*ro = xstrdup("");
		break;
	case REALM_DEFAULT:
		r = *realm ? realm : dflt ? dflt : "";
		*lo = strchr(login, '@') ? xstrdup(login) : joined(login, r);
		*ro = xstrdup(r);
		break;
	}
}

/* try_apply - one policy, one pair of buffer sizes */
static void
try_apply(enum realm_policy p, const char *dflt, const char *login,
    const char *realm, const char *lo, const char *ro, size_t llen,
    size_t rlen)
{
	char *lb = guarded(llen), *rb = guarded(rlen);
	int rc, fits = strlen(lo) < llen && strlen(ro) < rlen;

	rc = realm_apply(p, dflt, login, realm, lb, llen, rb, rlen);
	FUZZ_CHECK((unsigned char)lb[llen] == GUARD);
	FUZZ_CHECK((unsigned char)rb[rlen] == GUARD);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == 0) == fits);
	if (rc == 0)
		FUZZ_CHECK(strcmp(lb, lo) == 0 && strcmp(rb, ro) == 0);
	free(lb);
	free(rb);
}

/* sizes - the buffer sizes worth trying for a result of length n */
static size_t
sizes(size_t n, size_t *out)
{
	size_t k = 0;

	out[k++] = 0;
	out[k++] = 1;
	if (n > 0)
		out[k++] = n;		/* no room for the NUL */
	out[k++] = n + 1;
	out[k++] = n + 64;
	return k;
}

/* check_policy - every size pair for one policy */
static void
check_policy(enum realm_policy p, const char *dflt, const char *login,
    const char *realm)
{
	size_t ls[5], rs[5], nl, nr, i, j;
	char *lo, *ro;

	expected(p, dflt, login, realm, &lo, &ro);
	nl = sizes(strlen(lo), ls);
	nr = sizes(strlen(ro), rs);
	for (i = 0; i < nl; i++)
		for (j = 0; j < nr; j++)
			try_apply(p, dflt, login, realm, lo, ro, ls[i], rs[j]);
	free(lo);
	free(ro);
}

/* check_userkey - realm_userkey at every size worth trying */
static void
check_userkey(const char *login, const char *realm)
{
	char *want = strchr(login, '@') ? xstrdup(login) :
	    joined(login, realm), *b;
	size_t s[5], n, i;
	int rc;

	n = sizes(strlen(want), s);
	for (i = 0; i < n; i++) {
		b = guarded(s[i]);
		rc = realm_userkey(login, realm, b, s[i]);
		FUZZ_CHECK((unsigned char)b[s[i]] == GUARD);
		FUZZ_CHECK((rc == 0) == (strlen(want) < s[i]));
		if (rc == 0)
			FUZZ_CHECK(strcmp(b, want) == 0);
		free(b);
	}
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const names[] = {"pass", "join", "strip", "default"};
	char *in = fuzz_cstr(data, len), *f[4];
	enum realm_policy p;
	size_t i;
	int want;

	fuzz_input(data, len);
	/* up to four NUL-separated fields; missing ones are absent */
	(void)fuzz_fields(in, len, f, nitems(f));

	for (p = REALM_PASS; p <= REALM_DEFAULT; p++)
		check_policy(p, f[2], f[0], f[1] ? f[1] : "");
	check_userkey(f[0], f[1] ? f[1] : "");

	if (f[3] != NULL) {
		for (want = -1, i = 0; i < nitems(names); i++)
			if (strcmp(f[3], names[i]) == 0)
				want = (int)i;
		if (realm_policy_parse(f[3], &p) == 0) {
			FUZZ_CHECK(want >= 0 && (int)p == want);
			FUZZ_CHECK(strcmp(realm_policy_name(p), f[3]) == 0);
		} else {
			FUZZ_CHECK(want < 0);
		}
	}
	free(in);
	return 0;
}
