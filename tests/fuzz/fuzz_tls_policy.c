/*
 * fuzz_tls_policy.c - fuzz harness for tlsmap's policy value checkers
 *
 * The input, up to its first NUL, is one map value as tlsmap reads it from
 * an smtp_tls_policy_maps or smtp_tls_per_site source file (admin input,
 * served to smtp(8) as is). Invariants:
 *   - tls_policy_check() never crashes or reads outside the value, at
 *     every Postfix version from 2.3 to far in the future, and with an
 *     error buffer too small for the message;
 *   - an error is one non-empty sentence: no LF unless the value had one;
 *   - a pass sets the level that the first word names;
 *   - no rule was ever withdrawn, so a value valid for one version is
 *     valid, with the same level, for every later one;
 *   - level and attribute names, and the values Postfix checks, are
 *     case-insensitive: the value upper-cased gets the same answer;
 *   - per_site_parse() accepts exactly the four keywords (any case, blanks
 *     around them), and the policy level it maps each to passes
 *     tls_policy_check() at the oldest version;
 *   - tls_policy_version_parse() of the input: a parsed version prints as
 *     a string that parses back to the same version.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "per_site.h"
#include "tls_policy.h"

const char fuzz_seed_dir[] = "tls_policy";

/* In rising order: every release that changed the rules, and beyond. */
static const unsigned versions[] = {
	TLS_POLICY_VERSION(2, 3), TLS_POLICY_VERSION(2, 5),
	TLS_POLICY_VERSION(2, 6), TLS_POLICY_VERSION(2, 11),
	TLS_POLICY_VERSION(3, 4), TLS_POLICY_VERSION(3, 6),
	TLS_POLICY_VERSION(3, 9), TLS_POLICY_VERSION(3, 10),
	TLS_POLICY_VERSION(99, 999),
};

#define SEPS	" \t\r\n,"

/* check_err - one sentence, nothing but what the value put there */
static void
check_err(const char *err, size_t errlen, int value_has_lf)
{
	size_t n = strnlen(err, errlen);

	FUZZ_CHECK(n < errlen);
	if (errlen > 1)
		FUZZ_CHECK(n > 0);
	if (!value_has_lf)
		FUZZ_CHECK(strchr(err, '\n') == NULL);
}

/* first_word_level - the level the value's first word names, or -1 */
static int
first_word_level(const char *v)
{
	size_t n;

	v += strspn(v, SEPS);
	n = strcspn(v, SEPS);
	return tls_level_lookup(v, n);
}

/* check_policy - the version ladder for one spelling of the value */
static void
check_policy(const char *value, int *ok_r, enum tls_level *lev_r)
{
	char err[256], tiny[8];
	enum tls_level level, first = TLS_LEVEL_NONE;
	int has_lf = strchr(value, '\n') != NULL, ok, was_ok = 0;
	size_t i;

	for (i = 0; i < nitems(versions); i++) {
		err[0] = 0;
		ok = tls_policy_check(value, versions[i], &level, err,
		    sizeof(err)) == 0;
		/* the same answer with no room for the reason */
		FUZZ_CHECK((tls_policy_check(value, versions[i], &level, tiny,
		    sizeof(tiny)) == 0) == ok);
		if (ok) {
			FUZZ_CHECK((int)level == first_word_level(value));
			if (was_ok)
				FUZZ_CHECK(level == first);
			first = level;
		} else {
			check_err(err, sizeof(err), has_lf);
			check_err(tiny, sizeof(tiny), has_lf);
			/* nothing a newer Postfix refuses, an older one took */
			FUZZ_CHECK(!was_ok);
		}
		ok_r[i] = ok;
		lev_r[i] = level;
		was_ok = ok;
	}
}

/* check_per_site - exactly the four keywords */
static void
check_per_site(const char *value)
{
	static const char *const kw[] = {
		"NONE", "MAY", "MUST_NOPEERMATCH", "MUST",
	};
	enum per_site_level l;
	enum tls_level tl;
	const char *p = value;
	char err[256];
	size_t n, i;
	int want = -1;

	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	for (i = 0; i < nitems(kw); i++)
		if (strlen(kw[i]) == n && strncasecmp(p, kw[i], n) == 0)
			want = (int)i;
	err[0] = 0;
	if (per_site_parse(value, &l, err, sizeof(err)) < 0) {
		FUZZ_CHECK(want < 0);
		check_err(err, sizeof(err), strchr(value, '\n') != NULL);
		return;
	}
	FUZZ_CHECK(want >= 0 && (int)l == want);
	FUZZ_CHECK(strcmp(per_site_name(l), kw[want]) == 0);
	FUZZ_CHECK(tls_policy_check(per_site_policy(l), versions[0], &tl, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(tls_level_name(tl), per_site_policy(l)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int ok[nitems(versions)], ok_up[nitems(versions)];
	enum tls_level lev[nitems(versions)], lev_up[nitems(versions)];
	char *value = fuzz_cstr(data, len), *upper, vs[16];
	unsigned version, v2;
	size_t i, n;

	fuzz_input(data, len);
	n = strlen(value);
	check_policy(value, ok, lev);

	upper = fuzz_cstr(value, n);
	for (i = 0; i < n; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	check_policy(upper, ok_up, lev_up);
	for (i = 0; i < nitems(versions); i++) {
		FUZZ_CHECK(ok[i] == ok_up[i]);
		if (ok[i])
			FUZZ_CHECK(lev[i] == lev_up[i]);
	}
	free(upper);

	check_per_site(value);

	if (tls_policy_version_parse(value, &version) == 0) {
		FUZZ_CHECK(version >= TLS_POLICY_VERSION_MIN);
		tls_policy_version_str(version, vs, sizeof(vs));
		FUZZ_CHECK(tls_policy_version_parse(vs, &v2) == 0);
		FUZZ_CHECK(v2 == version);
	}
	free(value);
	return 0;
}
