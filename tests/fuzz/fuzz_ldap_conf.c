/*
 * fuzz_ldap_conf.c - fuzz harness for saslauthd-lite's LDAP inputs: the
 * Cyrus-format option file (cyrus_conf.c) and the escaped %-expansion of
 * the filter and DN templates (ldap_filter.c)
 *
 * The input is up to four NUL-separated strings: a Cyrus file's text, a
 * template (ldap_filter), a login and a realm (the login and realm are
 * what a client sent: untrusted). Invariants:
 *   - the file: each setting handed over has a key of letters, digits and
 *     '_' (1..CYRUS_KEY_MAX bytes), a value without a line break and no
 *     blank at either end, on lines that only go up and exist; a refused
 *     file says "fuzz.conf, line N: " with N a line of the text;
 *   - the login alone ("%u"), escaped for a filter, holds no '*', '('
 *     or ')' and every '\' starts \XX, and unescaping gives the login back;
 *     escaped for a DN, none of , + " < > ; = is left bare, and
 *     unescaping gives it back;
 *   - a template that ldap_filter_check() accepts gives a filter whose
 *     parentheses balance whatever the login and realm are;
 *   - an expansion fits exactly when the buffer holds it and its NUL: one
 *     byte less is -1 and "", never a cut-off filter; nothing is written
 *     past the buffer (a guard byte).
 */
#include "sysdep.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cyrus_conf.h"
#include "fuzz.h"
#include "ldap_filter.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "ldap_conf";

#define GUARD	0xa5
#define BIG	(64 * 1024)

struct seen {
	unsigned last_line, nlines;
};

/* setting - the reader's invariants for one key and value */
static int
setting(void *vs, const char *key, const char *value, unsigned line,
    char *err, size_t errlen)
{
	struct seen *s = vs;
	size_t n = strlen(key), vl = strlen(value), i;

	(void)err;
	(void)errlen;
	FUZZ_CHECK(n >= 1 && n <= CYRUS_KEY_MAX);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_');
	FUZZ_CHECK(strchr(value, '\n') == NULL);
	if (vl > 0) {
		FUZZ_CHECK(value[0] != ' ' && value[0] != '\t');
		FUZZ_CHECK(value[vl - 1] != ' ' && value[vl - 1] != '\t' &&
		    value[vl - 1] != '\r');
	}
	FUZZ_CHECK(line > s->last_line && line <= s->nlines);
	s->last_line = line;
	return 0;
}

/* hexval - one hex digit's value, -1 for none */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape - \XX back to bytes; false on a bare special or a bad escape */
static bool
unescape(const char *in, const char *bare_forbidden, char *out)
{
	for (; *in; in++) {
		if (*in == '\\') {
			int h = hexval(in[1]), l = h < 0 ? -1 : hexval(in[2]);

			if (l < 0)
				return false;
			*out++ = (char)(h * 16 + l);
			in += 2;
		} else if (strchr(bare_forbidden, *in) != NULL) {
			return false;
		} else {
			*out++ = *in;
		}
	}
	*out = 0;
	return true;
}

/* balanced - the parentheses of a filter, \XX skipped */
static bool
balanced(const char *f)
{
	long depth = 0;

	for (; *f; f++) {
		if (*f == '\\' && f[1] && f[2])
			f += 2;
		else if (*f == '(')
			depth++;
		else if (*f == ')' && --depth < 0)
			return false;
	}
	return depth == 0;
}

/* sized - expansion into a buffer of n bytes, a guard byte after it */
static int
sized(const char *tmpl, enum ldap_escape esc, const struct ldap_vars *v,
    size_t n, char *copy_out)
{
	char *b = xmalloc(n + 1);
	int rc;

	memset(b, 'Z', n);
	b[n] = (char)GUARD;
	rc = ldap_expand(tmpl, esc, v, b, n);
	FUZZ_CHECK((unsigned char)b[n] == GUARD);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0 && n > 0)
		FUZZ_CHECK(b[0] == 0);
	if (rc == 0 && copy_out)
		memcpy(copy_out, b, strlen(b) + 1);
	free(b);
	return rc;
}

/* check_expand - sizes, and the escaping of the login alone */
static void
check_expand(const char *tmpl, const char *login, const char *realm)
{
	const struct ldap_vars v = {login, realm, "smtp"};
	char *big = xmalloc(BIG), *back = xmalloc(BIG);
	enum ldap_escape esc;
	size_t n;

	for (esc = LDAP_ESC_FILTER; esc <= LDAP_ESC_DN; esc++) {
		if (sized(tmpl, esc, &v, BIG, big) == 0) {
			n = strlen(big);
			FUZZ_CHECK(sized(tmpl, esc, &v, n + 1, NULL) == 0);
			FUZZ_CHECK(sized(tmpl, esc, &v, n, NULL) == -1);
		}
		FUZZ_CHECK(sized(tmpl, esc, &v, 0, NULL) == -1);
		if (sized("%u", esc, &v, BIG, big) == 0) {
			FUZZ_CHECK(unescape(big, esc == LDAP_ESC_FILTER ?
			    "*()" : ",+\"<>;=", back));
			FUZZ_CHECK(strcmp(back, login) == 0);
		}
	}
	{
		char err[256];

		if (ldap_filter_check(tmpl, err, sizeof(err)) == 0 &&
		    sized(tmpl, LDAP_ESC_FILTER, &v, BIG, big) == 0)
			FUZZ_CHECK(balanced(big));
	}
	free(big);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *in = fuzz_cstr(data, len), *f[4], err[1024];
	struct seen s = {0, 0};
	size_t nf, flen;
	int rc;

	fuzz_input(data, len);
	nf = fuzz_fields(in, len, f, nitems(f));

	/* the file: the bytes up to the first NUL (or all of them) */
	flen = strlen(f[0]);
	s.nlines = fuzz_count_lines(f[0], flen);
	err[0] = 0;
	rc = cyrus_conf_parse(f[0], flen, "fuzz.conf", setting, &s, err,
	    sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0)
		FUZZ_CHECK(fuzz_where(err, "fuzz.conf", s.nlines) != NULL);
	/* the same text with a NUL inside is refused, never read past */
	if (nf > 1) {
		rc = cyrus_conf_parse(in, (size_t)(f[1] - in) + strlen(f[1]),
		    "fuzz.conf", setting, &(struct seen){0, (unsigned)-1}, err,
		    sizeof(err));
		FUZZ_CHECK(rc == -1);
	}

	if (f[1] != NULL)
		check_expand(f[1], f[2] ? f[2] : "", f[3] ? f[3] : "");
	free(in);
	return 0;
}
