/*
 * tls_policy.c - validate one smtp_tls_policy_maps value for a Postfix version
 *
 * The rules follow smtp(8)'s own reader, tls_policy_lookup_one() in
 * postfix/src/smtp/smtp_tls_policy.c, at the releases that changed it
 * (2.5 fingerprint, 2.6 exclude and may-level ciphers/protocols, 2.11 DANE
 * and tafile, 3.4 servername and connection_reuse, 3.6 ">=" protocol
 * bounds, 3.9 enable_rpk, 3.10 TLSRPT attributes and "{ name = value }").
 * Where smtp(8) only notices a bad value when it sets up the TLS session
 * (an unknown cipher grade or protocol name), we check it here too: the
 * outcome at delivery time is the same 4.7.5 deferral.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls_policy.h"

#define V(a, b)		TLS_POLICY_VERSION(a, b)
#define LV(l)		(1u << (l))
#define LV_TLS		(LV(TLS_LEVEL_MAY) | LV(TLS_LEVEL_ENCRYPT) | \
			 LV(TLS_LEVEL_FINGERPRINT) | LV(TLS_LEVEL_DANE) | \
			 LV(TLS_LEVEL_DANE_ONLY) | LV(TLS_LEVEL_VERIFY) | \
			 LV(TLS_LEVEL_SECURE))
#define LV_PKIX		(LV(TLS_LEVEL_VERIFY) | LV(TLS_LEVEL_SECURE))
#define LV_MATCH	(LV(TLS_LEVEL_FINGERPRINT) | LV_PKIX)

static const struct {
	const char *name;
	unsigned since;
} levels[TLS_LEVEL_COUNT] = {
	[TLS_LEVEL_NONE] = {"none", V(2, 3)},
	[TLS_LEVEL_MAY] = {"may", V(2, 3)},
	[TLS_LEVEL_ENCRYPT] = {"encrypt", V(2, 3)},
	[TLS_LEVEL_FINGERPRINT] = {"fingerprint", V(2, 5)},
	[TLS_LEVEL_DANE] = {"dane", V(2, 11)},
	[TLS_LEVEL_DANE_ONLY] = {"dane-only", V(2, 11)},
	[TLS_LEVEL_VERIFY] = {"verify", V(2, 3)},
	[TLS_LEVEL_SECURE] = {"secure", V(2, 3)},
};

enum repeat { ONCE, MANY, LAST_WINS };

/* a value check sees the value's bytes, not a copy: Postfix takes values
 * as long as its reply (up to 100 000 bytes), a match= list of many MX
 * patterns included */
typedef int value_fn(const char *val, size_t vlen, enum tls_level,
    unsigned version, char *why, size_t whylen);

struct attr_rule {
	const char *name;
	unsigned since;
	unsigned levels;	/* LV() mask of levels that accept it */
	enum repeat repeat;
	int	tlsrpt;		/* needs policy_type (3.10) */
	value_fn *check;	/* NULL = any value, empty included */
};

static value_fn check_ciphers, check_protocols, check_match, check_nonempty,
    check_hostname, check_yesno, check_policy_type, check_ttl;

/* rows the checks below refer to by position */
#define R_CIPHERS	0
#define R_PROTOCOLS	1
#define R_POLICY_TYPE	8

static const struct attr_rule rules[] = {
	{"ciphers", V(2, 3), LV_TLS, ONCE, 0, check_ciphers},
	{"protocols", V(2, 3), LV_TLS, ONCE, 0, check_protocols},
	{"exclude", V(2, 6), LV_TLS, ONCE, 0, NULL},
	{"match", V(2, 3), LV_MATCH, MANY, 0, check_match},
	{"tafile", V(2, 11), LV_PKIX, MANY, 0, check_nonempty},
	{"servername", V(3, 4), LV_TLS, ONCE, 0, check_hostname},
	{"connection_reuse", V(3, 4), LV_TLS, LAST_WINS, 0, check_yesno},
	{"enable_rpk", V(3, 9), LV_TLS, LAST_WINS, 0, check_yesno},
	{"policy_type", V(3, 10), LV_TLS, ONCE, 1, check_policy_type},
	{"policy_domain", V(3, 10), LV_TLS, ONCE, 1, check_hostname},
	{"policy_ttl", V(3, 10), LV_TLS, ONCE, 1, check_ttl},
	{"policy_string", V(3, 10), LV_TLS, MANY, 1, check_nonempty},
	{"mx_host_pattern", V(3, 10), LV_TLS, MANY, 1, check_nonempty},
	{"policy_failure", V(3, 10), LV_TLS, ONCE, 1, check_nonempty},
};

#define SEPS	" \t\r\n,"

/* tls_policy_version_parse - "3.4", "3.10", "3.7.11" -> 3004 ... */
int
tls_policy_version_parse(const char *text, unsigned *version_r)
{
	unsigned long maj, min;
	char *end;

	if (!isdigit((unsigned char)*text))
		return -1;
	maj = strtoul(text, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	min = strtoul(end + 1, &end, 10);
	/* a patch level ("3.7.11") or a snapshot suffix does not matter */
	if (*end == '.' && isdigit((unsigned char)end[1]))
		(void)strtoul(end + 1, &end, 10);
	if (*end != 0 || maj > 99 || min > 999)
		return -1;
	if (V(maj, min) < TLS_POLICY_VERSION_MIN)
		return -1;
	*version_r = V((unsigned)maj, (unsigned)min);
	return 0;
}

/* tls_policy_version_str - 3010 -> "3.10" */
const char *
tls_policy_version_str(unsigned version, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", version / 1000, version % 1000);
	return buf;
}

/* tls_level_name - canonical lower-case name */
const char *
tls_level_name(enum tls_level level)
{
	return (unsigned)level < TLS_LEVEL_COUNT ? levels[level].name : "?";
}

/* tls_level_lookup - case-insensitive level name, -1 if unknown */
int
tls_level_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < TLS_LEVEL_COUNT; i++)
		if (strlen(levels[i].name) == len &&
		    strncasecmp(levels[i].name, name, len) == 0)
			return i;
	return -1;
}

/* valid_hostname - the shape Postfix's valid_hostname() accepts */
static int
valid_hostname(const char *s, size_t len)
{
	size_t i, label = 0;
	int non_numeric = 0;

	if (len == 0 || len > 255)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			/* empty labels and labels ending in '-' are refused */
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '_' || c == '-') {
			if (c == '-' && label == 0)
				return 0;
			if (!isdigit(c))
				non_numeric = 1;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s[len - 1] != '-' && non_numeric;
}

/* CLIP - a length for "%.*s" in a message: at most 64 bytes of a value */
#define CLIP(n)		((int)((n) > 64 ? 64 : (n)))

/* word_is - val[0..vlen) is lit, ignoring case */
static int
word_is(const char *val, size_t vlen, const char *lit)
{
	return strlen(lit) == vlen && strncasecmp(val, lit, vlen) == 0;
}

/* check_nonempty - Postfix refuses an empty value for this one */
static int
check_nonempty(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	if (vlen == 0) {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	return 0;
}

/* check_ciphers - a cipher grade, not an OpenSSL cipher string */
static int
check_ciphers(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	static const char *const grades[] = {
		"export", "low", "medium", "high", "null",
	};
	size_t i;

	if (vlen == 0) {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	for (i = 0; i < nitems(grades); i++)
		if (word_is(val, vlen, grades[i]))
			return 0;
	snprintf(why, whylen, "\"%.*s\" is not a cipher grade "
	    "(export, low, medium, high or null)", CLIP(vlen), val);
	return -1;
}

/* check_protocols - ":"-separated [!]NAME, or >=NAME / <=NAME (3.6) */
static int
check_protocols(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	static const char *const names[] = {
		"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
	};
	const char *p = val, *stop = val + vlen, *end;
	size_t n, i;

	while (p < stop) {
		if ((end = memchr(p, ':', (size_t)(stop - p))) == NULL)
			end = stop;
		if (end > p) {
			if (end - p >= 2 && (p[0] == '>' || p[0] == '<') &&
			    p[1] == '=') {
				if (version < V(3, 6)) {
					snprintf(why, whylen, "protocol bound "
					    "\"%.*s\" needs Postfix 3.6 or "
					    "later", CLIP(end - p), p);
					return -1;
				}
				p += 2;
			} else if (*p == '!') {
				p++;
			}
			n = (size_t)(end - p);
			for (i = 0; i < nitems(names); i++)
				if (word_is(p, n, names[i]))
					break;
			if (i == nitems(names)) {
				snprintf(why, whylen, "unknown TLS protocol "
				    "\"%.*s\"", CLIP(n), p);
				return -1;
			}
		}
		p = end < stop ? end + 1 : end;
	}
	return 0;
}

/* check_fingerprint - hex digits, optionally in colon-separated pairs */
static int
check_fingerprint(const char *p, size_t n)
{
	size_t i, hex = 0;

	for (i = 0; i < n; i++) {
		if (isxdigit((unsigned char)p[i]))
			hex++;
		else if (p[i] != ':')
			return -1;
	}
	return hex >= 32 && hex % 2 == 0 ? 0 : -1;
}

/* check_match - fingerprints (fingerprint) or names/strategies (verify, secure) */
static int
check_match(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	const char *p = val, *stop = val + vlen, *end;
	int sep = level == TLS_LEVEL_FINGERPRINT ? '|' : ':';
	size_t n;

	if (vlen == 0) {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	for (;;) {
		if ((end = memchr(p, sep, (size_t)(stop - p))) == NULL)
			end = stop;
		n = (size_t)(end - p);
		if (level == TLS_LEVEL_FINGERPRINT) {
			if (check_fingerprint(p, n) < 0) {
				snprintf(why, whylen, "malformed fingerprint "
				    "\"%.*s\"", CLIP(n), p);
				return -1;
			}
		} else if (!word_is(p, n, "hostname") &&
		    !word_is(p, n, "nexthop") &&
		    !word_is(p, n, "dot-nexthop") &&
		    !valid_hostname(p + (n > 0 && *p == '.'),
		    n - (n > 0 && *p == '.'))) {
			snprintf(why, whylen, "\"%.*s\" is not a host name, "
			    ".domain, hostname, nexthop or dot-nexthop",
			    CLIP(n), p);
			return -1;
		}
		if (end == stop)
			break;
		p = end + 1;
	}
	return 0;
}

/* check_hostname - servername= (SNI; "hostname" and "nexthop" pass as
 * names too) and policy_domain= (TLSRPT_README: valid_hostname()) */
static int
check_hostname(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	if (!valid_hostname(val, vlen)) {
		snprintf(why, whylen, "\"%.*s\" is not a valid host name",
		    CLIP(vlen), val);
		return -1;
	}
	return 0;
}

/* check_yesno - Postfix compares with "yes" and "no" only */
static int
check_yesno(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	if (word_is(val, vlen, "yes") || word_is(val, vlen, "no"))
		return 0;
	snprintf(why, whylen, "bad value \"%.*s\" (yes or no)", CLIP(vlen),
	    val);
	return -1;
}

/* check_policy_type - the RFC 8460 policy types */
static int
check_policy_type(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	if (word_is(val, vlen, "sts") || word_is(val, vlen, "tlsa") ||
	    word_is(val, vlen, "no-policy-found"))
		return 0;
	snprintf(why, whylen, "bad value \"%.*s\" (sts, tlsa or "
	    "no-policy-found)", CLIP(vlen), val);
	return -1;
}

/* check_ttl - seconds */
static int
check_ttl(const char *val, size_t vlen, enum tls_level level,
    unsigned version, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < vlen && isdigit((unsigned char)val[i]); i++)
		;
	if (vlen == 0 || i < vlen || vlen > 10) {
		snprintf(why, whylen, "bad value \"%.*s\" (seconds)",
		    CLIP(vlen), val);
		return -1;
	}
	return 0;
}

/* next_token - the next attribute token: a word, or "{ ... }" (3.10) */
static const char *
next_token(const char **pp, size_t *len_r, int *braced_r)
{
	const char *p = *pp, *start;
	int depth;

	p += strspn(p, SEPS);
	if (*p == 0)
		return NULL;
	start = p;
	*braced_r = 0;
	if (*p == '{') {
		*braced_r = 1;
		for (depth = 0; *p; p++) {
			if (*p == '{')
				depth++;
			else if (*p == '}' && --depth == 0) {
				p++;
				break;
			}
		}
		if (depth != 0)
			*braced_r = -1;	/* unbalanced */
	} else {
		p += strcspn(p, SEPS);
	}
	*len_r = (size_t)(p - start);
	*pp = p;
	return start;
}

/* trim - strip ASCII whitespace on both sides of [*s, *s+*n) */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* tls_policy_check - validate a policy value for the target version */
int
tls_policy_check(const char *value, unsigned version, enum tls_level *level_r,
    char *err, size_t errlen)
{
	unsigned seen[nitems(rules)];
	const char *p = value, *tok, *name, *eq, *val;
	char why[256], vs[16], vs2[16];
	size_t len, nlen, vlen, i;
	int braced, lev, tlsrpt = 0;
	enum tls_level level;

	memset(seen, 0, sizeof(seen));
	if ((tok = next_token(&p, &len, &braced)) == NULL) {
		snprintf(err, errlen, "empty policy");
		return -1;
	}
	if ((lev = tls_level_lookup(tok, len)) < 0) {
		snprintf(err, errlen, "invalid security level \"%.*s\"%s",
		    (int)(len > 64 ? 64 : len), tok,
		    len == 8 && strncasecmp(tok, "halfdane", 8) == 0 ?
		    " (halfdane is output-only)" : "");
		return -1;
	}
	level = (enum tls_level)lev;
	if (version < levels[level].since) {
		snprintf(err, errlen, "security level \"%s\" needs Postfix %s "
		    "or later (target is %s)", levels[level].name,
		    tls_policy_version_str(levels[level].since, vs, sizeof(vs)),
		    tls_policy_version_str(version, vs2, sizeof(vs2)));
		return -1;
	}
	while ((tok = next_token(&p, &len, &braced)) != NULL) {
		if (level == TLS_LEVEL_NONE) {
			snprintf(err, errlen, "attribute \"%.*s\" with level "
			    "\"none\": Postfix ignores it (TLS is off); "
			    "remove it or choose a TLS level",
			    (int)(len > 64 ? 64 : len), tok);
			return -1;
		}
		if (braced != 0) {
			if (version < V(3, 10)) {
				snprintf(err, errlen, "\"{ name = value }\" "
				    "needs Postfix 3.10 or later (target "
				    "is %s)", tls_policy_version_str(version,
				    vs, sizeof(vs)));
				return -1;
			}
			if (braced < 0) {
				snprintf(err, errlen, "missing '}'");
				return -1;
			}
			/* strip the braces, then "name = value" */
			tok++;
			len -= 2;
		}
		if ((eq = memchr(tok, '=', len)) == NULL) {
			snprintf(err, errlen, "malformed attribute \"%.*s\": "
			    "missing '='", (int)(len > 64 ? 64 : len), tok);
			return -1;
		}
		name = tok;
		nlen = (size_t)(eq - tok);
		trim(&name, &nlen);
		val = eq + 1;
		vlen = (size_t)(tok + len - val);
		trim(&val, &vlen);
		if (nlen == 0) {
			snprintf(err, errlen, "malformed attribute \"%.*s\": "
			    "missing attribute name",
			    (int)(len > 64 ? 64 : len), tok);
			return -1;
		}
		for (i = 0; i < nitems(rules); i++)
			if (strlen(rules[i].name) == nlen &&
			    strncasecmp(rules[i].name, name, nlen) == 0)
				break;
		if (i == nitems(rules)) {
			snprintf(err, errlen, "invalid attribute name \"%.*s\"",
			    (int)(nlen > 64 ? 64 : nlen), name);
			return -1;
		}
		if (version < rules[i].since) {
			snprintf(err, errlen, "attribute \"%s\" needs Postfix "
			    "%s or later (target is %s)", rules[i].name,
			    tls_policy_version_str(rules[i].since, vs,
			    sizeof(vs)), tls_policy_version_str(version, vs2,
			    sizeof(vs2)));
			return -1;
		}
		/* ciphers/protocols at "may" came with 2.6 */
		if (level == TLS_LEVEL_MAY && version < V(2, 6) &&
		    (i == R_CIPHERS || i == R_PROTOCOLS)) {
			snprintf(err, errlen, "attribute \"%s\" at level "
			    "\"may\" needs Postfix 2.6 or later",
			    rules[i].name);
			return -1;
		}
		if (!(rules[i].levels & LV(level))) {
			snprintf(err, errlen, "attribute \"%s\" is invalid at "
			    "security level \"%s\"", rules[i].name,
			    levels[level].name);
			return -1;
		}
		if (rules[i].repeat == ONCE && seen[i]) {
			snprintf(err, errlen, "attribute \"%s\" is specified "
			    "multiple times", rules[i].name);
			return -1;
		}
		seen[i]++;
		if (rules[i].tlsrpt)
			tlsrpt = 1;
		why[0] = 0;
		if (rules[i].check != NULL &&
		    rules[i].check(val, vlen, level, version, why,
		    sizeof(why)) < 0) {
			snprintf(err, errlen, "attribute \"%s\": %s",
			    rules[i].name, why);
			return -1;
		}
	}
	if (tlsrpt && !seen[R_POLICY_TYPE]) {
		snprintf(err, errlen, "TLSRPT attributes without "
		    "\"policy_type\"");
		return -1;
	}
	*level_r = level;
	return 0;
}

/*
 * map_key_normalise - lower-case, drop one trailing dot.
 *
 * smtp(8) sends the next-hop in the case it has it (socketmap gets no
 * folding for smtp_tls_policy_maps), so we fold. A trailing dot is the
 * same name in DNS. Brackets and a port mark an explicit next-hop that
 * smtp(8) looks up exactly once, so they stay part of the key.
 */
int
map_key_normalise(char *key, size_t *len, char *err, size_t errlen)
{
	size_t i, n = *len;
	char *rb;

	for (i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (n > 1 && key[n - 1] == '.')
		n--;
	if (n > 0 && key[0] == '[') {
		rb = memchr(key, ']', n);
		if (rb == NULL || rb == key + 1) {
			snprintf(err, errlen, "malformed key \"%.*s\": "
			    "expected [host] or [host]:port",
			    (int)(n > 64 ? 64 : n), key);
			return -1;
		}
		if (rb + 1 < key + n) {
			const char *p = rb + 1;

			if (*p != ':' || p + 1 == key + n)
				goto badport;
			for (p++; p < key + n; p++)
				if (!isdigit((unsigned char)*p) &&
				    !isalpha((unsigned char)*p))
					goto badport;
		}
	}
	*len = n;
	return 0;
badport:
	snprintf(err, errlen, "malformed key \"%.*s\": expected [host] or "
	    "[host]:port", (int)(n > 64 ? 64 : n), key);
	return -1;
}
