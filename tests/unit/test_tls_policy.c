/*
 * test_tls_policy.c - smtp_tls_policy_maps value validation, per target
 * Postfix version
 *
 * One table of named cases: value, target version, expected verdict, and
 * for refusals a fragment the reason must contain (so a case cannot pass
 * by failing for the wrong reason).
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tls_policy.h"

#define V(a, b)	TLS_POLICY_VERSION(a, b)
#define OK(name, val, ver, lev)	{name, val, ver, 0, lev, NULL}
#define BAD(name, val, ver, why)	{name, val, ver, -1, 0, why}

struct pcase {
	const char *name;
	const char *value;
	unsigned version;
	int	want;
	enum tls_level level;
	const char *why;
};

static const struct pcase cases[] = {
	/* levels */
	OK("none", "none", V(3, 7), TLS_LEVEL_NONE),
	OK("may", "may", V(3, 7), TLS_LEVEL_MAY),
	OK("encrypt", "encrypt", V(3, 7), TLS_LEVEL_ENCRYPT),
	OK("dane", "dane", V(3, 7), TLS_LEVEL_DANE),
	OK("dane-only", "dane-only", V(3, 7), TLS_LEVEL_DANE_ONLY),
	OK("verify", "verify", V(3, 7), TLS_LEVEL_VERIFY),
	OK("secure", "secure", V(3, 7), TLS_LEVEL_SECURE),
	OK("level case-insensitive", "SeCuRe", V(3, 7), TLS_LEVEL_SECURE),
	OK("fingerprint", "fingerprint match=AB:CD:EF:01:23:45:67:89:AB:CD:"
	    "EF:01:23:45:67:89", V(3, 7), TLS_LEVEL_FINGERPRINT),
	BAD("unknown level", "strict", V(3, 7), "invalid security level"),
	BAD("halfdane is output-only", "halfdane", V(3, 7), "output-only"),
	BAD("empty policy", "  ,, ", V(3, 7), "empty policy"),
	BAD("dane before 2.11", "dane", V(2, 10), "needs Postfix 2.11"),
	OK("dane at 2.11", "dane-only", V(2, 11), TLS_LEVEL_DANE_ONLY),
	BAD("fingerprint before 2.5", "fingerprint match=AB:CD:EF:01:23:45:"
	    "67:89:AB:CD:EF:01:23:45:67:89", V(2, 4), "needs Postfix 2.5"),

	/* separators */
	OK("commas and spaces", "secure,match=.example.com, ciphers=high",
	    V(3, 7), TLS_LEVEL_SECURE),
	OK("tabs", "secure\tmatch=nexthop:dot-nexthop", V(3, 7),
	    TLS_LEVEL_SECURE),

	/* match */
	OK("match list", "verify match=hostname:.example.com:mx.example.net",
	    V(3, 7), TLS_LEVEL_VERIFY),
	OK("match repeated", "secure match=a.example match=b.example",
	    V(3, 7), TLS_LEVEL_SECURE),
	BAD("match at encrypt", "encrypt match=.example.com", V(3, 7),
	    "invalid at security level \"encrypt\""),
	BAD("match at may", "may match=hostname", V(3, 7),
	    "invalid at security level \"may\""),
	BAD("match at dane", "dane match=hostname", V(3, 7),
	    "invalid at security level \"dane\""),
	BAD("empty match", "secure match=", V(3, 7), "empty value"),
	BAD("match empty element", "secure match=a.example::b.example",
	    V(3, 7), "not a host name"),
	BAD("bad fingerprint", "fingerprint match=xyz", V(3, 7),
	    "malformed fingerprint"),
	OK("fingerprints with |", "fingerprint match=0123456789abcdef0123456789"
	    "abcdef|FEDCBA9876543210FEDCBA9876543210", V(3, 7),
	    TLS_LEVEL_FINGERPRINT),

	/* single-instance attributes */
	BAD("ciphers twice", "encrypt ciphers=high ciphers=medium", V(3, 7),
	    "specified multiple times"),
	BAD("protocols twice", "encrypt protocols=TLSv1.2 protocols=TLSv1.3",
	    V(3, 7), "specified multiple times"),
	BAD("exclude twice", "encrypt exclude=aNULL exclude=MD5", V(3, 7),
	    "specified multiple times"),
	BAD("ciphers not a grade", "encrypt ciphers=ECDHE-RSA-AES128",
	    V(3, 7), "not a cipher grade"),
	BAD("ciphers empty", "encrypt ciphers=", V(3, 7), "empty value"),
	OK("ciphers grade any case", "may ciphers=HIGH", V(3, 7),
	    TLS_LEVEL_MAY),

	/* protocols */
	OK("protocols exclusions", "encrypt protocols=!SSLv2:!SSLv3:!TLSv1",
	    V(3, 7), TLS_LEVEL_ENCRYPT),
	OK("protocols bound at 3.6", "encrypt protocols=>=TLSv1.2", V(3, 6),
	    TLS_LEVEL_ENCRYPT),
	BAD("protocols bound at 3.5", "encrypt protocols=>=TLSv1.2", V(3, 5),
	    "needs Postfix 3.6"),
	BAD("unknown protocol", "encrypt protocols=TLSv1.4", V(3, 7),
	    "unknown TLS protocol"),

	/* tafile */
	OK("tafile at verify", "verify tafile=/etc/postfix/ta.pem", V(3, 7),
	    TLS_LEVEL_VERIFY),
	BAD("tafile at encrypt", "encrypt tafile=/etc/postfix/ta.pem",
	    V(3, 7), "invalid at security level"),

	/* version gates */
	BAD("servername at 3.3", "secure servername=hostname", V(3, 3),
	    "needs Postfix 3.4"),
	OK("servername at 3.4", "secure servername=hostname", V(3, 4),
	    TLS_LEVEL_SECURE),
	BAD("servername bad host", "secure servername=-x.example", V(3, 7),
	    "not a valid host name"),
	BAD("servername twice", "secure servername=a.example "
	    "servername=b.example", V(3, 7), "multiple times"),
	BAD("connection_reuse at 3.3", "encrypt connection_reuse=yes",
	    V(3, 3), "needs Postfix 3.4"),
	OK("connection_reuse last wins", "encrypt connection_reuse=yes "
	    "connection_reuse=no", V(3, 4), TLS_LEVEL_ENCRYPT),
	BAD("connection_reuse bad", "encrypt connection_reuse=maybe",
	    V(3, 7), "yes or no"),
	BAD("enable_rpk at 3.8", "may enable_rpk=yes", V(3, 8),
	    "needs Postfix 3.9"),
	OK("enable_rpk at 3.9", "may enable_rpk=yes", V(3, 9), TLS_LEVEL_MAY),

	/* TLSRPT (3.10) */
	OK("tlsrpt at 3.10", "secure match=mx.example.com policy_type=sts "
	    "policy_domain=example.com policy_ttl=86400 mx_host_pattern="
	    "mx.example.com { policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce }", V(3, 10), TLS_LEVEL_SECURE),
	BAD("tlsrpt at 3.9", "secure policy_type=sts", V(3, 9),
	    "needs Postfix 3.10"),
	BAD("braces at 3.9", "secure { policy_string = mode: enforce }",
	    V(3, 9), "needs Postfix 3.10"),
	BAD("tlsrpt without policy_type", "secure policy_domain=example.com",
	    V(3, 10), "without \"policy_type\""),
	BAD("policy_type bad", "secure policy_type=dmarc", V(3, 10),
	    "bad value"),
	BAD("policy_domain not a host name", "secure policy_type=sts "
	    "policy_domain=example..com", V(3, 10), "not a valid host name"),
	BAD("policy_domain empty", "secure policy_type=sts "
	    "{ policy_domain = }", V(3, 10), "not a valid host name"),
	BAD("unbalanced brace", "secure policy_type=sts { policy_string = x",
	    V(3, 10), "missing '}'"),

	/* syntax */
	BAD("unknown attribute", "encrypt cipher=high", V(3, 7),
	    "invalid attribute name \"cipher\""),
	BAD("missing =", "encrypt high", V(3, 7), "missing '='"),
	BAD("missing name", "encrypt =high", V(3, 7),
	    "missing attribute name"),
	OK("attribute name case", "secure MATCH=.example.com", V(3, 7),
	    TLS_LEVEL_SECURE),
	BAD("none with attribute", "none ciphers=high", V(3, 7),
	    "with level \"none\""),
};

/* test_tls_policy_cases - every row of the table */
static void
test_tls_policy_cases(void **state)
{
	char err[512], vs[16];
	enum tls_level level;
	size_t i;
	int rc, failed = 0;

	for (i = 0; i < nitems(cases); i++) {
		const struct pcase *c = &cases[i];

		err[0] = 0;
		level = (enum tls_level)-1;
		rc = tls_policy_check(c->value, c->version, &level, err,
		    sizeof(err));
		if (rc != c->want || (rc == 0 && level != c->level) ||
		    (rc < 0 && strstr(err, c->why) == NULL)) {
			print_error("case \"%s\" (%s at %s): rc %d level %d "
			    "err \"%s\"\n", c->name, c->value,
			    tls_policy_version_str(c->version, vs, sizeof(vs)),
			    rc, (int)level, err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* test_tls_policy_version_parse - dotted versions, 3.10 after 3.9 */
static void
test_tls_policy_version_parse(void **state)
{
	unsigned v;
	char buf[16];

	assert_int_equal(tls_policy_version_parse("3.4", &v), 0);
	assert_int_equal(v, V(3, 4));
	assert_int_equal(tls_policy_version_parse("3.10", &v), 0);
	assert_true(v > V(3, 9));
	assert_int_equal(tls_policy_version_parse("3.7.11", &v), 0);
	assert_int_equal(v, V(3, 7));
	assert_string_equal(tls_policy_version_str(V(3, 10), buf,
	    sizeof(buf)), "3.10");
	assert_int_equal(tls_policy_version_parse("3", &v), -1);
	assert_int_equal(tls_policy_version_parse("3.x", &v), -1);
	assert_int_equal(tls_policy_version_parse("", &v), -1);
	assert_int_equal(tls_policy_version_parse("2.2", &v), -1);
	assert_int_equal(tls_policy_version_parse("3.7-rc1", &v), -1);
}

/* test_tls_policy_long_values - values as long as a Postfix reply: an MTA-STS
 * match= list of many MX patterns is one value; each part is still checked */
static void
test_tls_policy_long_values(void **state)
{
	static char value[20000];
	enum tls_level level;
	char err[256];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(value, sizeof(value), "secure match=");
	for (i = 0; i < 500; i++)
		n += (size_t)snprintf(value + n, sizeof(value) - n,
		    "%s.mx%d.example.net", i ? ":" : "", i);
	assert_true(n > 8000);
	assert_int_equal(tls_policy_check(value, V(3, 7), &level, err,
	    sizeof(err)), 0);
	assert_int_equal(level, TLS_LEVEL_SECURE);
	/* a bad part at the far end is still found */
	snprintf(value + n, sizeof(value) - n, ":bad..name");
	assert_int_equal(tls_policy_check(value, V(3, 7), &level, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "\"bad..name\" is not a host name"));
}

/* test_tls_level_lookup - names both ways */
static void
test_tls_level_lookup(void **state)
{
	int i;

	for (i = 0; i < TLS_LEVEL_COUNT; i++)
		assert_int_equal(tls_level_lookup(tls_level_name(i),
		    strlen(tls_level_name(i))), i);
	assert_int_equal(tls_level_lookup("DANE-ONLY", 9), TLS_LEVEL_DANE_ONLY);
	assert_int_equal(tls_level_lookup("dane", 3), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_policy_cases),
		cmocka_unit_test(test_tls_policy_version_parse),
		cmocka_unit_test(test_tls_level_lookup),
		cmocka_unit_test(test_tls_policy_long_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
