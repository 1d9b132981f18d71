/*
 * fuzz_sts_policy.c - fuzz harness for tlsmap's MTA-STS parsers
 *
 * The input is three things at once, all of them a peer's bytes: an
 * MTA-STS policy body (HTTPS), the `_mta-sts` TXT records (NUL-separated,
 * each one record's text) and a Content-Type header value (up to the
 * first NUL). Invariants:
 *   - sts_policy_parse() never crashes or reads outside the body; an error
 *     is one non-empty line that starts "line N: " with N a real line of
 *     the body, or names the whole policy (no version/mode/max_age field,
 *     a mode without mx, the size); a refused policy holds nothing;
 *   - a parsed policy obeys its contract: mode known, max_age capped, mx
 *     patterns lower-case, distinct, valid names or "*." names of at most
 *     253 bytes with no all-digit last label, at least one unless mode is
 *     none; every kept line is "name: value" without CR, LF or NUL;
 *   - the kept lines, joined with LF and again with CRLF, parse back to
 *     the same policy (mode, max_age, mx list, lines);
 *   - an enforce policy answers with a value tls_policy_check() takes as
 *     "secure" at Postfix 3.4 and later; its TLSRPT answer at 3.10 and
 *     later and never before; match= names every pattern in '.' form and
 *     the answer holds no LF and no brace beyond the policy_string ones;
 *     one byte too few is -1 and "", the exact size the same answer;
 *     testing and none answer 0 and "";
 *   - sts_txt_parse() answers 0 exactly when a record does not begin with
 *     "v=STSv1" and then WSP, ';' or its end; 1 with an id of 1-32
 *     letters and digits that the record holds as "id=ID"; -1 with a
 *     reason; sts_txt_select() is exactly-one over those answers;
 *   - sts_content_type_ok() takes only values that are "text/plain" in
 *     some case after blanks, and upper-casing the value changes nothing.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "sts_policy.h"
#include "tls_policy.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "sts_policy";

#define MAX_RECORDS	8

/* check_err - one non-empty line */
static void
check_err(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	FUZZ_CHECK(n > 0 && n < errlen);
	FUZZ_CHECK(strchr(err, '\n') == NULL);
}

/* check_where - "line N: ..." with N in 1..nlines, or a whole-body reason */
static void
check_where(const char *err, unsigned nlines)
{
	static const char *const whole[] = {
		"no version field", "no mode field", "no max_age field",
		"mode enforce without any mx", "mode testing without any mx",
		"policy is ",
	};
	unsigned long n;
	char *end;
	size_t i;

	if (strncmp(err, "line ", 5) == 0) {
		FUZZ_CHECK(err[5] >= '1' && err[5] <= '9');
		n = strtoul(err + 5, &end, 10);
		FUZZ_CHECK(n >= 1 && n <= nlines);
		FUZZ_CHECK(end[0] == ':' && end[1] == ' ' && end[2] != 0);
		return;
	}
	for (i = 0; i < nitems(whole); i++)
		if (strncmp(err, whole[i], strlen(whole[i])) == 0)
			return;
	FUZZ_CHECK(!"error names neither a line nor the whole policy");
}

/* check_pattern - an mx pattern as stored */
static void
check_pattern(const char *m)
{
	const char *name = strncmp(m, "*.", 2) == 0 ? m + 2 : m;
	const char *last = strrchr(name, '.');
	size_t i, n = strlen(m);

	FUZZ_CHECK(n > 0 && n <= STS_NAME_MAX);
	FUZZ_CHECK(*name != 0 && *name != '.' && name[strlen(name) - 1] != '.');
	FUZZ_CHECK(strstr(name, "..") == NULL);
	for (i = 0; name[i]; i++)
		FUZZ_CHECK(islower((unsigned char)name[i]) ||
		    isdigit((unsigned char)name[i]) || name[i] == '-' ||
		    name[i] == '.');
	last = last ? last + 1 : name;
	FUZZ_CHECK(strspn(last, "0123456789") < strlen(last));
}

/* check_policy - the contract of a parsed policy */
static void
check_policy(const struct sts_policy *pol)
{
	size_t i, j;

	FUZZ_CHECK(pol->mode == STS_MODE_ENFORCE ||
	    pol->mode == STS_MODE_TESTING || pol->mode == STS_MODE_NONE);
	FUZZ_CHECK(pol->max_age <= STS_MAX_AGE_CAP);
	FUZZ_CHECK(pol->nmx > 0 || pol->mode == STS_MODE_NONE);
	FUZZ_CHECK(pol->nlines >= 3);
	for (i = 0; i < pol->nmx; i++) {
		check_pattern(pol->mx[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(pol->mx[i], pol->mx[j]) != 0);
	}
	for (i = 0; i < pol->nlines; i++) {
		FUZZ_CHECK(strstr(pol->lines[i], ": ") != NULL);
		FUZZ_CHECK(strpbrk(pol->lines[i], "\r\n") == NULL);
	}
}

/* same_policy - two parses of one policy agree */
static void
same_policy(const struct sts_policy *a, const struct sts_policy *b)
{
	size_t i;

	FUZZ_CHECK(a->mode == b->mode && a->max_age == b->max_age);
	FUZZ_CHECK(a->nmx == b->nmx && a->nlines == b->nlines);
	for (i = 0; i < a->nmx; i++)
		FUZZ_CHECK(strcmp(a->mx[i], b->mx[i]) == 0);
	for (i = 0; i < a->nlines; i++)
		FUZZ_CHECK(strcmp(a->lines[i], b->lines[i]) == 0);
}

/* check_reparse - the kept lines, joined by eol, parse to the same */
static void
check_reparse(const struct sts_policy *pol, const char *eol)
{
	struct sts_policy again;
	size_t i, n = 0, cap = 1;
	char *text, err[256];

	for (i = 0; i < pol->nlines; i++)
		cap += strlen(pol->lines[i]) + strlen(eol);
	text = xmalloc(cap);
	for (i = 0; i < pol->nlines; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s%s",
		    pol->lines[i], eol);
	/* the kept text is never longer than the body was */
	if (n <= STS_BODY_MAX) {
		err[0] = 0;
		FUZZ_CHECK(sts_policy_parse(text, n, &again, err,
		    sizeof(err)) == 0);
		same_policy(pol, &again);
		sts_policy_free(&again);
	}
	xfree(text);
}

/* check_answer_at - value's verdict at every version around 3.10 */
static void
check_answer_at(const char *value, int tlsrpt)
{
	static const unsigned versions[] = {
		TLS_POLICY_VERSION(3, 4), TLS_POLICY_VERSION(3, 7),
		TLS_POLICY_VERSION(3, 9), TLS_POLICY_VERSION(3, 10),
		TLS_POLICY_VERSION(99, 999),
	};
	enum tls_level level;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < nitems(versions); i++) {
		err[0] = 0;
		rc = tls_policy_check(value, versions[i], &level, err,
		    sizeof(err));
		if (!tlsrpt || versions[i] >= TLS_POLICY_VERSION(3, 10)) {
			if (rc != 0)
				fprintf(stderr, "answer \"%s\": %s\n", value,
				    err);
			FUZZ_CHECK(rc == 0 && level == TLS_LEVEL_SECURE);
		} else
			FUZZ_CHECK(rc == -1);
	}
}

/* check_answer - the socketmap payload of a parsed policy */
static void
check_answer(const struct sts_policy *pol, size_t bodylen, int tlsrpt)
{
	size_t cap = 4 * bodylen + 1024, i, len;
	char *out = xmalloc(cap), *p;
	int n;

	n = sts_policy_answer(pol, "example.com", tlsrpt, out, cap);
	if (pol->mode != STS_MODE_ENFORCE) {
		FUZZ_CHECK(n == 0 && out[0] == 0);
		xfree(out);
		return;
	}
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(out));
	len = (size_t)n;
	FUZZ_CHECK(strncmp(out, "secure match=", 13) == 0);
	FUZZ_CHECK(strchr(out, '\n') == NULL);
	/* match= is every pattern in '.' form, in order */
	p = out + 13;
	for (i = 0; i < pol->nmx; i++) {
		const char *m = pol->mx[i][0] == '*' ? pol->mx[i] + 1 :
		    pol->mx[i];

		FUZZ_CHECK(strncmp(p, m, strlen(m)) == 0);
		p += strlen(m);
		FUZZ_CHECK(*p == (i + 1 < pol->nmx ? ':' : ' '));
		p++;
	}
	if (!tlsrpt)
		FUZZ_CHECK(strcmp(p, "servername=hostname") == 0);
	else
		FUZZ_CHECK(strncmp(p, "servername=hostname policy_type=sts "
		    "policy_domain=example.com", 45) == 0);
	check_answer_at(out, tlsrpt);
	/* exact room gives the same bytes; a byte less gives nothing */
	{
		char *exact = xmalloc(len + 1);

		FUZZ_CHECK(sts_policy_answer(pol, "example.com", tlsrpt,
		    exact, len + 1) == n);
		FUZZ_CHECK(memcmp(exact, out, len + 1) == 0);
		FUZZ_CHECK(sts_policy_answer(pol, "example.com", tlsrpt,
		    exact, len) == -1);
		FUZZ_CHECK(exact[0] == 0);
		xfree(exact);
	}
	xfree(out);
}

/* check_body - the input as a policy body */
static void
check_body(const uint8_t *data, size_t len)
{
	struct sts_policy pol;
	char *body = fuzz_copy(data, len), err[256], tiny[8];
	int rc;

	err[0] = 0;
	rc = sts_policy_parse(body, len, &pol, err, sizeof(err));
	/* the same verdict with no room for the reason */
	{
		struct sts_policy p2;
		int rc2 = sts_policy_parse(body, len, &p2, tiny, sizeof(tiny));

		FUZZ_CHECK(rc2 == rc);
		if (rc2 == 0)
			sts_policy_free(&p2);
	}
	if (rc < 0) {
		check_err(err, sizeof(err));
		check_where(err, fuzz_count_lines(data, len));
		FUZZ_CHECK(pol.nmx == 0 && pol.nlines == 0 && pol.mx == NULL &&
		    pol.lines == NULL);
		xfree(body);
		return;
	}
	FUZZ_CHECK(rc == 0);
	check_policy(&pol);
	check_reparse(&pol, "\n");
	check_reparse(&pol, "\r\n");
	check_answer(&pol, len, 0);
	check_answer(&pol, len, 1);
	sts_policy_free(&pol);
	xfree(body);
}

/* starts_sts - begins with "v=STSv1" and then WSP, ';' or its end */
static int
starts_sts(const char *r, size_t n)
{
	return n >= 7 && memcmp(r, "v=STSv1", 7) == 0 && (n == 7 ||
	    r[7] == ' ' || r[7] == '\t' || r[7] == ';');
}

/* check_txt - one record; its sts_txt_parse() answer */
static int
check_txt(const char *r, size_t n)
{
	char id[STS_ID_MAX + 1], err[256], needle[STS_ID_MAX + 4];
	size_t idlen, i;
	int rc;

	err[0] = 0;
	memcpy(id, "untouched", 10);
	rc = sts_txt_parse(r, n, id, err, sizeof(err));
	FUZZ_CHECK((rc == 0) == !starts_sts(r, n));
	if (rc == 1) {
		idlen = strlen(id);
		FUZZ_CHECK(idlen >= 1 && idlen <= STS_ID_MAX);
		for (i = 0; i < idlen; i++)
			FUZZ_CHECK(isalnum((unsigned char)id[i]));
		snprintf(needle, sizeof(needle), "id=%s", id);
		FUZZ_CHECK(memmem(r, n, needle, strlen(needle)) != NULL);
	} else {
		FUZZ_CHECK(strcmp(id, "untouched") == 0);
		if (rc < 0)
			check_err(err, sizeof(err));
	}
	return rc;
}

/* check_records - the input as NUL-separated TXT records */
static void
check_records(const uint8_t *data, size_t len)
{
	char *copy[MAX_RECORDS], id[STS_ID_MAX + 1], err[256];
	const char *recs[MAX_RECORDS];
	size_t lens[MAX_RECORDS], n = 0, off = 0, l, found = 0, i;
	int rc, one = 0, want;

	while (n < MAX_RECORDS && off <= len) {
		const uint8_t *nul = memchr(data + off, 0, len - off);

		l = nul ? (size_t)(nul - (data + off)) : len - off;
		copy[n] = fuzz_copy(data + off, l);
		recs[n] = copy[n];
		lens[n] = l;
		if ((rc = check_txt(copy[n], l)) != 0 && found++ == 0)
			one = rc;
		n++;
		if (nul == NULL)
			break;
		off += l + 1;
	}
	want = found == 0 ? 0 : found > 1 ? -1 : one;
	err[0] = 0;
	rc = sts_txt_select(recs, lens, n, id, err, sizeof(err));
	FUZZ_CHECK(rc == want);
	if (rc < 0)
		check_err(err, sizeof(err));
	for (i = 0; i < n; i++)
		xfree(copy[i]);
}

/* check_content_type - the input, up to a NUL, as a header value */
static void
check_content_type(const uint8_t *data, size_t len)
{
	char *v = fuzz_cstr(data, len), *p;
	int ok = sts_content_type_ok(v);

	p = v + strspn(v, " \t");
	if (ok)
		FUZZ_CHECK(strncasecmp(p, "text/plain", 10) == 0);
	for (p = v; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	FUZZ_CHECK(sts_content_type_ok(v) == ok);
	xfree(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	check_body(data, len);
	check_records(data, len);
	check_content_type(data, len);
	return 0;
}
