/*
 * sts_policy.c - MTA-STS TXT records, policy bodies, and the answer
 *
 * The grammars are RFC 8461 §3.1 (TXT) and §3.2 (policy) read strictly,
 * with the few leniencies sts_policy.h lists, each because refusing would
 * only switch enforcement off where both peers (postfix-tlspol,
 * postfix-mta-sts-resolver) enforce. The answer follows Postfix's
 * smtp_tls_policy_maps syntax (TLS_README, TLSRPT_README) and the fixes
 * postfix-tlspol needed (issues #70, #94, #95): no IP literal and no empty
 * list in match=, mx_host_pattern= in "*." form, no braces in reports.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sts_policy.h"
#include "text.h"
#include "xalloc.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_ALNUM(c)	(IS_ALPHA(c) || IS_DIGIT(c))
#define EXT_NAME_MAX	32
#define SNIP_MAX	64

/* snip - up to SNIP_MAX bytes of s for an error message, '?' for
 * anything not printable ASCII (the input is a peer's) */
static const char *
snip(char out[SNIP_MAX + 4], const char *s, size_t n)
{
	size_t i, m = n > SNIP_MAX ? SNIP_MAX : n;

	for (i = 0; i < m; i++)
		out[i] = (unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f ? s[i] : '?';
	if (m < n)
		memcpy(out + m, "...", 3), m += 3;
	out[m] = 0;
	return out;
}

/* ext_name_ok - (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int
ext_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > EXT_NAME_MAX || !IS_ALNUM(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!IS_ALNUM(s[i]) && s[i] != '_' && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* utf8_len - length of the well-formed multi-byte UTF-8 sequence at s
 * (RFC 3629 UTF8-2 / UTF8-3 / UTF8-4: no overlong form, no surrogate,
 * nothing past U+10FFFF), 0 if there is none */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* policy_ext_value_ok - sts-policy-ext-value: vchar [*(SP / vchar) vchar],
 * vchar = %x21-7E or multi-byte UTF-8 */
static int
policy_ext_value_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, l;

	if (n == 0 || u[0] == ' ' || u[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i += l) {
		l = 1;
		if (u[i] >= 0x20 && u[i] < 0x7f)
			continue;
		if ((l = utf8_len(u + i, n - i)) == 0)
			return 0;
	}
	return 1;
}

/* dns_name_ok - LDH labels of 1-63, no empty label, at most max bytes,
 * the last label not all digits (that would be an IPv4 literal) */
static int
dns_name_ok(const char *s, size_t n, size_t max)
{
	size_t i, label = 0;
	int digits_only = 1;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			digits_only = 1;
		} else if (IS_ALNUM(c) || c == '-') {
			if (c == '-' && label == 0)
				return 0;
			if (!IS_DIGIT(c))
				digits_only = 0;
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && s[n - 1] != '-' && !digits_only;
}

/* mx_pattern_ok - a DNS name, or "*." and one, STS_NAME_MAX in all */
static int
mx_pattern_ok(const char *s, size_t n)
{
	if (n > STS_NAME_MAX)
		return 0;
	if (n >= 2 && s[0] == '*' && s[1] == '.')
		return dns_name_ok(s + 2, n - 2, STS_NAME_MAX);
	return dns_name_ok(s, n, STS_NAME_MAX);
}

/* txt_ext_value_ok - sts-ext-value: 1*(%x21-3A / %x3C / %x3E-7E) */
static int
txt_ext_value_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return 0;
	}
	return 1;
}

/* txt_field - one TXT field [f, f+n): "id=" or an extension */
static int
txt_field(const char *f, size_t n, char *id, int *have_id, char *err,
    size_t errlen)
{
	const char *eq = memchr(f, '=', n);
	size_t nlen, vlen, i;
	char s[SNIP_MAX + 4];

	if (eq == NULL) {
		snprintf(err, errlen, "field \"%s\" has no '='",
		    snip(s, f, n));
		return -1;
	}
	nlen = (size_t)(eq - f);
	vlen = n - nlen - 1;
	if (nlen == 2 && memcmp(f, "id", 2) == 0) {
		for (i = 0; i < vlen && IS_ALNUM(eq[1 + i]); i++)
			;
		if (vlen == 0 || vlen > STS_ID_MAX || i < vlen) {
			snprintf(err, errlen, "id \"%s\" is not 1-%d letters "
			    "and digits", snip(s, eq + 1, vlen), STS_ID_MAX);
			return -1;
		}
		if (*have_id) {
			snprintf(err, errlen, "more than one id field");
			return -1;
		}
		memcpy(id, eq + 1, vlen);
		id[vlen] = 0;
		*have_id = 1;
		return 0;
	}
	if (!ext_name_ok(f, nlen) || !txt_ext_value_ok(eq + 1, vlen)) {
		snprintf(err, errlen, "malformed field \"%s\"", snip(s, f, n));
		return -1;
	}
	return 0;
}

/* sts_txt_parse - one TXT record: 1 STS with id, 0 not STS, -1 malformed */
int
sts_txt_parse(const char *txt, size_t len, char id[STS_ID_MAX + 1],
    char *err, size_t errlen)
{
	const char *p, *end = txt + len, *f;
	char tmp[STS_ID_MAX + 1];
	int have_id = 0;

	if (len < 7 || memcmp(txt, "v=STSv1", 7) != 0)
		return 0;
	p = txt + 7;
	if (p < end && !IS_WSP(*p) && *p != ';')
		return 0;		/* "v=STSv10" is another version */
	for (;;) {
		while (p < end && IS_WSP(*p))
			p++;
		if (p == end)
			break;
		if (*p != ';') {
			snprintf(err, errlen, "expected ';' at offset %zu",
			    (size_t)(p - txt));
			return -1;
		}
		p++;
		while (p < end && IS_WSP(*p))
			p++;
		if (p == end)
			break;		/* the optional trailing ';' */
		for (f = p; p < end && *p != ';' && !IS_WSP(*p); p++)
			;
		if (p == f) {
			snprintf(err, errlen, "empty field at offset %zu",
			    (size_t)(p - txt));
			return -1;
		}
		if (txt_field(f, (size_t)(p - f), tmp, &have_id, err,
		    errlen) < 0)
			return -1;
	}
	if (!have_id) {
		snprintf(err, errlen, "no id field");
		return -1;
	}
	memcpy(id, tmp, sizeof(tmp));
	return 1;
}

/* sts_txt_select - exactly one v=STSv1 record among n */
int
sts_txt_select(const char *const *records, const size_t *lens, size_t n,
    char id[STS_ID_MAX + 1], char *err, size_t errlen)
{
	char tmp[STS_ID_MAX + 1], why[256];
	size_t i, found = 0;
	int rc, first = 0;

	for (i = 0; i < n; i++) {
		why[0] = 0;
		if ((rc = sts_txt_parse(records[i], lens[i], tmp, why,
		    sizeof(why))) == 0)
			continue;
		if (found++ == 0) {
			first = rc;
			if (rc > 0)
				memcpy(id, tmp, sizeof(tmp));
			else
				snprintf(err, errlen, "%s", why);
		}
	}
	if (found > 1) {
		snprintf(err, errlen, "%zu v=STSv1 records (RFC 8461 wants "
		    "exactly one)", found);
		return -1;
	}
	return found == 0 ? 0 : first;
}

/* sts_mode_name - the mode's policy keyword */
const char *
sts_mode_name(enum sts_mode mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		return "none";
	}
	return "?";
}

/* sts_policy_free - release what sts_policy_parse() filled */
void
sts_policy_free(struct sts_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nmx; i++)
		xfree(pol->mx[i]);
	for (i = 0; i < pol->nlines; i++)
		xfree(pol->lines[i]);
	xfree(pol->mx);
	xfree(pol->lines);
	memset(pol, 0, sizeof(*pol));
}

/* push - append s to a growing string array */
static void
push(char ***arr, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*arr = xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*n)++] = s;
}

/* parse state of one body */
struct pstate {
	struct sts_policy *pol;
	size_t	mx_cap, lines_cap;
	int	have_version, have_mode, have_max_age;
};

/* add_mx - the pattern lower-cased, unless already there */
static void
add_mx(struct pstate *st, const char *v, size_t n)
{
	struct sts_policy *pol = st->pol;
	char *low = xstrndup(v, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] - 'A' + 'a');
	for (i = 0; i < pol->nmx; i++)
		if (strcmp(pol->mx[i], low) == 0) {
			xfree(low);
			return;
		}
	push(&pol->mx, &pol->nmx, &st->mx_cap, low);
}

#define FIELD_IS(lit)	(nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)

/* policy_field - check one "name: value" and record what it says */
static int
policy_field(struct pstate *st, const char *name, size_t nlen,
    const char *v, size_t vlen, char *why, size_t whylen)
{
	struct sts_policy *pol = st->pol;
	char s[SNIP_MAX + 4];
	uint64_t age = 0;
	size_t i;

	if (FIELD_IS("version")) {
		if (!(vlen == 5 && memcmp(v, "STSv1", 5) == 0)) {
			snprintf(why, whylen, "version \"%s\" is not STSv1",
			    snip(s, v, vlen));
			return -1;
		}
		st->have_version = 1;
	} else if (FIELD_IS("mode")) {
		enum sts_mode m;

		if (vlen == 7 && memcmp(v, "enforce", 7) == 0)
			m = STS_MODE_ENFORCE;
		else if (vlen == 7 && memcmp(v, "testing", 7) == 0)
			m = STS_MODE_TESTING;
		else if (vlen == 4 && memcmp(v, "none", 4) == 0)
			m = STS_MODE_NONE;
		else {
			snprintf(why, whylen, "mode \"%s\" is not enforce, "
			    "testing or none", snip(s, v, vlen));
			return -1;
		}
		if (!st->have_mode)
			pol->mode = m;
		st->have_mode = 1;
	} else if (FIELD_IS("max_age")) {
		for (i = 0; i < vlen && IS_DIGIT(v[i]); i++)
			age = age * 10 + (uint64_t)(v[i] - '0');
		if (vlen == 0 || vlen > 10 || i < vlen) {
			snprintf(why, whylen, "max_age \"%s\" is not 1-10 "
			    "digits", snip(s, v, vlen));
			return -1;
		}
		if (!st->have_max_age)
			pol->max_age = age > STS_MAX_AGE_CAP ?
			    STS_MAX_AGE_CAP : (uint32_t)age;
		st->have_max_age = 1;
	} else if (FIELD_IS("mx")) {
		if (!mx_pattern_ok(v, vlen)) {
			snprintf(why, whylen, "mx \"%s\" is not a host name "
			    "or \"*.\" and one", snip(s, v, vlen));
			return -1;
		}
		add_mx(st, v, vlen);
	} else if (!policy_ext_value_ok(v, vlen)) {
		snprintf(why, whylen, "malformed value of \"%s\"",
		    snip(s, name, nlen));
		return -1;
	}
	return 0;
}

/* policy_line - one line without its terminator; 0 ok or skipped */
static int
policy_line(struct pstate *st, const char *l, size_t n, char *why,
    size_t whylen)
{
	const char *colon, *v;
	char s[SNIP_MAX + 4], *kept;
	size_t i, nlen, vlen;

	for (i = 0; i < n && IS_WSP(l[i]); i++)
		;
	if (i == n)
		return 0;		/* empty: skipped, see the header */
	for (i = 0; i < n; i++)
		if ((unsigned char)l[i] == 0x7f ||
		    ((unsigned char)l[i] < 0x20 && l[i] != '\t')) {
			snprintf(why, whylen, "control character 0x%02x",
			    (unsigned char)l[i]);
			return -1;
		}
	if ((colon = memchr(l, ':', n)) == NULL) {
		snprintf(why, whylen, "\"%s\" is not \"name: value\"",
		    snip(s, l, n));
		return -1;
	}
	nlen = (size_t)(colon - l);
	if (!ext_name_ok(l, nlen)) {
		snprintf(why, whylen, "\"%s\" is not a field name",
		    snip(s, l, nlen));
		return -1;
	}
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && IS_WSP(*v))
		v++, vlen--;
	while (vlen > 0 && IS_WSP(v[vlen - 1]))
		vlen--;
	if (vlen == 0) {
		snprintf(why, whylen, "\"%s\" has no value", snip(s, l, nlen));
		return -1;
	}
	if (policy_field(st, l, nlen, v, vlen, why, whylen) < 0)
		return -1;
	kept = xmalloc(nlen + 2 + vlen + 1);
	memcpy(kept, l, nlen);
	memcpy(kept + nlen, ": ", 2);
	memcpy(kept + nlen + 2, v, vlen);
	kept[nlen + 2 + vlen] = 0;
	push(&st->pol->lines, &st->pol->nlines, &st->lines_cap, kept);
	return 0;
}

/* sts_policy_parse - a policy body, strictly; 0 or -1 */
int
sts_policy_parse(const char *body, size_t len, struct sts_policy *pol,
    char *err, size_t errlen)
{
	struct pstate st;
	const char *p = body, *end = body + len, *nl;
	char why[256];
	unsigned lineno = 0;
	size_t n;

	memset(pol, 0, sizeof(*pol));
	memset(&st, 0, sizeof(st));
	st.pol = pol;
	if (len > STS_BODY_MAX) {
		snprintf(err, errlen, "policy is %zu bytes, over %u", len,
		    (unsigned)STS_BODY_MAX);
		return -1;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (nl != NULL && n > 0 && p[n - 1] == '\r')
			n--;		/* CRLF; a CR elsewhere is a control */
		why[0] = 0;
		if (policy_line(&st, p, n, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			goto bad;
		}
		p = nl ? nl + 1 : end;
	}
	if (!st.have_version || !st.have_mode || !st.have_max_age) {
		snprintf(err, errlen, "no %s field", !st.have_version ?
		    "version" : !st.have_mode ? "mode" : "max_age");
		goto bad;
	}
	if (pol->mode != STS_MODE_NONE && pol->nmx == 0) {
		snprintf(err, errlen, "mode %s without any mx",
		    sts_mode_name(pol->mode));
		goto bad;
	}
	return 0;
bad:
	sts_policy_free(pol);
	return -1;
}

/* sts_content_type_ok - text/plain, any case, parameters allowed */
int
sts_content_type_ok(const char *ct)
{
	const char *p = ct;

	if (p == NULL)
		return 0;
	while (IS_WSP(*p))
		p++;
	if (strncasecmp(p, "text/plain", 10) != 0)
		return 0;
	for (p += 10; IS_WSP(*p); p++)
		;
	if (*p == 0)
		return 1;
	if (*p != ';')
		return 0;
	for (p++; *p; p++)
		if ((unsigned char)*p == 0x7f ||
		    ((unsigned char)*p < 0x20 && *p != '\t'))
			return 0;
	return 1;
}

/* sts_policy_answer - the smtp_tls_policy_maps payload, no "OK " */
int
sts_policy_answer(const struct sts_policy *pol, const char *domain,
    int tlsrpt, char *out, size_t outlen)
{
	struct text t;
	size_t i;

	if (outlen == 0)
		return -1;
	out[0] = 0;
	if (pol->mode != STS_MODE_ENFORCE)
		return 0;
	if (pol->nmx == 0)
		return -1;		/* sts_policy_parse() never makes one */
	if (tlsrpt && !dns_name_ok(domain, strlen(domain), STS_NAME_MAX))
		return -1;
	text_init(&t, out, outlen);
	text_lit(&t, "secure match=");
	for (i = 0; i < pol->nmx; i++) {
		const char *m = pol->mx[i];

		if (i > 0)
			text_lit(&t, ":");
		text_str(&t, m[0] == '*' ? m + 1 : m);
	}
	text_lit(&t, " servername=hostname");
	if (tlsrpt) {
		text_lit(&t, " policy_type=sts policy_domain=");
		text_str(&t, domain);
		for (i = 0; i < pol->nmx; i++) {
			text_lit(&t, " mx_host_pattern=");
			text_str(&t, pol->mx[i]);
		}
		for (i = 0; i < pol->nlines; i++) {
			if (strpbrk(pol->lines[i], "{}") != NULL)
				continue;
			text_lit(&t, " { policy_string = ");
			text_str(&t, pol->lines[i]);
			text_lit(&t, " }");
		}
	}
	if (text_truncated(&t)) {
		out[0] = 0;
		return -1;
	}
	return (int)t.len;
}
