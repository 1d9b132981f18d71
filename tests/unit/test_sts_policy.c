/*
 * test_sts_policy.c - MTA-STS TXT records, policy bodies, Content-Type,
 *   and the smtp_tls_policy_maps answers they give
 *
 * The answers are asserted byte for byte and then put through tlsmap's
 * own per-version checker (tls_policy_check), which follows smtp(8)'s
 * reader: what passes there is what Postfix takes.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"
#include "tls_policy.h"

#define V(a, b)	TLS_POLICY_VERSION(a, b)

/* postfix-tlspol's example policy (design/dynamic-tls.md §1.1) */
static const char example[] =
    "version: STSv1\n"
    "mode: enforce\n"
    "mx: mail.example.com\n"
    "mx: *.backup.example.com\n"
    "max_age: 86400\n";
static const char example_plain[] =
    "secure match=mail.example.com:.backup.example.com "
    "servername=hostname";
static const char example_tlsrpt[] =
    "secure match=mail.example.com:.backup.example.com "
    "servername=hostname policy_type=sts policy_domain=example.com "
    "mx_host_pattern=mail.example.com "
    "mx_host_pattern=*.backup.example.com "
    "{ policy_string = version: STSv1 } "
    "{ policy_string = mode: enforce } "
    "{ policy_string = mx: mail.example.com } "
    "{ policy_string = mx: *.backup.example.com } "
    "{ policy_string = max_age: 86400 }";

/* parse_ok - body parses; the policy is returned for the caller to free */
static void
parse_ok(const char *body, size_t len, struct sts_policy *pol)
{
	char err[256] = "";
	int rc = sts_policy_parse(body, len, pol, err, sizeof(err));

	if (rc != 0)
		print_error("refused: %s\n", err);
	assert_int_equal(rc, 0);
}

#define PARSE_OK(lit, pol)	parse_ok((lit), sizeof(lit) - 1, (pol))

/* parse_bad - body is refused for a reason containing why */
static void
parse_bad_n(const char *body, size_t len, const char *why)
{
	struct sts_policy pol;
	char err[256] = "";

	assert_int_equal(sts_policy_parse(body, len, &pol, err, sizeof(err)),
	    -1);
	if (strstr(err, why) == NULL)
		print_error("err \"%s\" lacks \"%s\"\n", err, why);
	assert_non_null(strstr(err, why));
	/* a refused policy is empty: nothing to free */
	assert_int_equal(pol.nmx, 0);
	assert_int_equal(pol.nlines, 0);
	assert_null(pol.mx);
	assert_null(pol.lines);
}
#define parse_bad(body, why)	parse_bad_n((body), strlen(body), (why))
#define PARSE_BAD_N(lit, why)	parse_bad_n((lit), sizeof(lit) - 1, (why))

/* answer - the answer of body for example.com */
static void
answer(const char *body, int tlsrpt, char *out, size_t outlen)
{
	struct sts_policy pol;

	parse_ok(body, strlen(body), &pol);
	assert_true(sts_policy_answer(&pol, "example.com", tlsrpt, out,
	    outlen) > 0);
	sts_policy_free(&pol);
}

/* check_at - tls_policy_check() of value at version: 0 or -1 with err */
static int
check_at(const char *value, unsigned version, char *err, size_t errlen)
{
	enum tls_level level;
	int rc = tls_policy_check(value, version, &level, err, errlen);

	if (rc == 0)
		assert_int_equal(level, TLS_LEVEL_SECURE);
	return rc;
}

/* test_example - tlspol's example, our bytes, Postfix's verdicts */
static void
test_example(void **state)
{
	struct sts_policy pol;
	char out[2048], err[256];
	int n;

	parse_ok(example, strlen(example), &pol);
	assert_int_equal(pol.mode, STS_MODE_ENFORCE);
	assert_int_equal(pol.max_age, 86400);
	assert_int_equal(pol.nmx, 2);
	assert_string_equal(pol.mx[0], "mail.example.com");
	assert_string_equal(pol.mx[1], "*.backup.example.com");
	assert_int_equal(pol.nlines, 5);
	assert_string_equal(pol.lines[0], "version: STSv1");
	assert_string_equal(pol.lines[4], "max_age: 86400");

	n = sts_policy_answer(&pol, "example.com", 0, out, sizeof(out));
	assert_string_equal(out, example_plain);
	assert_int_equal(n, (int)strlen(example_plain));
	assert_int_equal(check_at(out, V(3, 7), err, sizeof(err)), 0);
	assert_int_equal(check_at(out, V(3, 4), err, sizeof(err)), 0);

	n = sts_policy_answer(&pol, "example.com", 1, out, sizeof(out));
	assert_string_equal(out, example_tlsrpt);
	assert_int_equal(n, (int)strlen(example_tlsrpt));
	assert_int_equal(check_at(out, V(3, 10), err, sizeof(err)), 0);
	assert_int_equal(check_at(out, V(3, 9), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needs Postfix 3.10"));
	assert_int_equal(check_at(out, V(3, 7), err, sizeof(err)), -1);

	/* exactly enough room, and one byte short */
	assert_int_equal(sts_policy_answer(&pol, "example.com", 1, out,
	    strlen(example_tlsrpt) + 1), n);
	assert_int_equal(sts_policy_answer(&pol, "example.com", 1, out,
	    strlen(example_tlsrpt)), -1);
	assert_string_equal(out, "");
	assert_int_equal(sts_policy_answer(&pol, "example.com", 0, out, 0),
	    -1);
	/* policy_domain must be a name Postfix's valid_hostname takes */
	assert_int_equal(sts_policy_answer(&pol, "exa mple.com", 1, out,
	    sizeof(out)), -1);
	assert_int_equal(sts_policy_answer(&pol, "", 1, out, sizeof(out)),
	    -1);
	sts_policy_free(&pol);
	sts_policy_free(&pol);		/* idempotent */
}

/* test_line_endings - CRLF, a last line without LF, blank lines */
static void
test_line_endings(void **state)
{
	char out[2048];

	answer("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	    "mx: *.backup.example.com\r\nmax_age: 86400\r\n", 1, out,
	    sizeof(out));
	assert_string_equal(out, example_tlsrpt);
	answer("version: STSv1\nmode: enforce\r\nmx: mail.example.com\n"
	    "mx: *.backup.example.com\r\nmax_age: 86400", 1, out,
	    sizeof(out));
	assert_string_equal(out, example_tlsrpt);
	/* empty and blank lines skipped; *WSP around values */
	answer("\nversion:STSv1   \n\r\n  \nmode:\tenforce\t\n"
	    "mx:  mail.example.com\nmx: *.backup.example.com \n"
	    "max_age: 86400\n\n\n", 1, out, sizeof(out));
	assert_string_equal(out, example_tlsrpt);

	parse_bad("version: STSv1\rmode: enforce\nmx: a.example\n"
	    "max_age: 1\n", "line 1: control character 0x0d");
	parse_bad("version: STSv1\nmode: enforce\nmx: a.example\n"
	    "max_age: 1\r", "line 4: control character 0x0d");
	parse_bad("version: STSv1\n mode: enforce\nmx: a.example\n"
	    "max_age: 1\n", "line 2: \" mode\" is not a field name");
	parse_bad("version: STSv1\nmode : enforce\nmx: a.example\n"
	    "max_age: 1\n", "line 2:");
}

/* test_modes - testing and none parse but give no answer */
static void
test_modes(void **state)
{
	struct sts_policy pol;
	char out[256];

	PARSE_OK("version: STSv1\nmode: testing\nmx: a.example\n"
	    "max_age: 600\n", &pol);
	assert_int_equal(pol.mode, STS_MODE_TESTING);
	memcpy(out, "junk", 5);
	assert_int_equal(sts_policy_answer(&pol, "example.com", 1, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "");
	sts_policy_free(&pol);

	/* none needs no mx (RFC 8461 §8.3: how a domain withdraws) */
	PARSE_OK("version: STSv1\nmode: none\nmax_age: 86400\n", &pol);
	assert_int_equal(pol.mode, STS_MODE_NONE);
	assert_int_equal(pol.nmx, 0);
	assert_int_equal(sts_policy_answer(&pol, "example.com", 0, out,
	    sizeof(out)), 0);
	sts_policy_free(&pol);
	assert_string_equal(sts_mode_name(STS_MODE_ENFORCE), "enforce");
	assert_string_equal(sts_mode_name(STS_MODE_TESTING), "testing");
	assert_string_equal(sts_mode_name(STS_MODE_NONE), "none");

	parse_bad("version: STSv1\nmode: testing\nmax_age: 600\n",
	    "mode testing without any mx");
	parse_bad("version: STSv1\nmode: enforce\nmax_age: 600\n",
	    "mode enforce without any mx");
	parse_bad("version: STSv1\nmode: enforce\nmx:\nmax_age: 600\n",
	    "line 3: \"mx\" has no value");
	parse_bad("version: STSv1\nmode: Enforce\nmx: a.example\n"
	    "max_age: 600\n", "mode \"Enforce\" is not enforce");
}

/* test_required - version, mode, max_age; names are case-sensitive */
static void
test_required(void **state)
{
	parse_bad("mode: enforce\nmx: a.example\nmax_age: 600\n",
	    "no version field");
	parse_bad("version: STSv1\nmx: a.example\nmax_age: 600\n",
	    "no mode field");
	parse_bad("version: STSv1\nmode: enforce\nmx: a.example\n",
	    "no max_age field");
	parse_bad("version: STSv2\nmode: enforce\nmx: a.example\n"
	    "max_age: 600\n", "line 1: version \"STSv2\" is not STSv1");
	/* "Mode" is a legal extension name, so mode is missing */
	parse_bad("version: STSv1\nMode: enforce\nmx: a.example\n"
	    "max_age: 600\n", "no mode field");
	parse_bad("", "no version field");
	/* a BOM is no field name */
	parse_bad("\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 1\n",
	    "line 1:");
}

/* test_max_age - digits, cap, length */
static void
test_max_age(void **state)
{
	static const struct {
		const char *v;
		uint32_t want;
	} ok[] = {
		{"0", 0}, {"86400", 86400}, {"31557600", 31557600},
		{"31557601", STS_MAX_AGE_CAP}, {"9999999999", STS_MAX_AGE_CAP},
		{"0000000001", 1},
	};
	static const char *const bad[] = {
		"12345678901", "abc", "86400s", "-1", "+1", "1 2", "0x10",
	};
	struct sts_policy pol;
	char body[256], why[64];
	size_t i;

	for (i = 0; i < nitems(ok); i++) {
		snprintf(body, sizeof(body), "version: STSv1\nmode: none\n"
		    "max_age: %s\n", ok[i].v);
		parse_ok(body, strlen(body), &pol);
		assert_int_equal(pol.max_age, ok[i].want);
		sts_policy_free(&pol);
	}
	for (i = 0; i < nitems(bad); i++) {
		snprintf(body, sizeof(body), "version: STSv1\nmode: none\n"
		    "max_age: %s\n", bad[i]);
		snprintf(why, sizeof(why), "line 3: max_age \"%s\" is not "
		    "1-10 digits", bad[i]);
		parse_bad(body, why);
	}
}

/* mx_bad - the policy with this one mx line is refused for it */
static void
mx_bad(const char *mx)
{
	char body[512], why[320];

	snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\n"
	    "mx: %s\nmax_age: 600\n", mx);
	/* the error quotes at most 64 bytes of it */
	snprintf(why, sizeof(why), "line 3: mx \"%.64s%s", mx,
	    strlen(mx) > 64 ? "...\"" : "\" is not a host name");
	parse_bad(body, why);
}

/* test_mx - names, wildcards, IP literals, case, duplicates */
static void
test_mx(void **state)
{
	struct sts_policy pol;
	char out[1024], err[256], label63[64], name[300];
	const char *body;
	size_t i;

	answer("version: STSv1\nmode: enforce\nmx: *.x\nmax_age: 1\n", 1,
	    out, sizeof(out));
	assert_string_equal(out, "secure match=.x servername=hostname "
	    "policy_type=sts policy_domain=example.com mx_host_pattern=*.x "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } { policy_string = mx: *.x } "
	    "{ policy_string = max_age: 1 }");
	assert_int_equal(check_at(out, V(3, 10), err, sizeof(err)), 0);

	mx_bad("a.*.x");
	mx_bad("*");
	mx_bad("*.");
	mx_bad("*.*.x");
	mx_bad("*x.example");
	mx_bad(".example.com");
	mx_bad("mail.example.com.");
	mx_bad("a..example");
	mx_bad("-a.example");
	mx_bad("a-.example");
	mx_bad("mx_1.example");
	mx_bad("192.0.2.1");
	mx_bad("*.192.0.2");
	mx_bad("[192.0.2.1]");
	mx_bad("2001:db8::1");
	mx_bad("[2001:db8::1]");
	mx_bad("[IPv6:2001:db8::1]");
	mx_bad("::1");
	parse_bad("version: STSv1\nmode: enforce\nmx: m\xc3\xa4il.example\n"
	    "max_age: 1\n", "line 3: mx \"m??il.example\" is not a host");
	mx_bad("a.example b.example");

	/* 63-byte labels pass, 64 do not; 253 bytes in all */
	memset(label63, 'a', 63);
	label63[63] = 0;
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63,
	    label63, label63);
	assert_int_equal(strlen(name), 253);
	body = name;
	{
		char b[512];

		snprintf(b, sizeof(b), "version: STSv1\nmode: enforce\n"
		    "mx: %s\nmax_age: 1\n", body);
		parse_ok(b, strlen(b), &pol);
		sts_policy_free(&pol);
	}
	strcat(name, "a");
	mx_bad(name);
	snprintf(name, sizeof(name), "%sa.example", label63);
	mx_bad(name);
	snprintf(name, sizeof(name), "*.%s.%s.%s.%.59s", label63, label63,
	    label63, label63);
	assert_int_equal(strlen(name), 253);
	{
		char b[512];

		snprintf(b, sizeof(b), "version: STSv1\nmode: enforce\n"
		    "mx: %s\nmax_age: 1\n", name);
		parse_ok(b, strlen(b), &pol);
		sts_policy_free(&pol);
	}
	strcat(name, "a");
	mx_bad(name);

	/* upper case is folded for matching, kept in the report */
	PARSE_OK("version: STSv1\nmode: enforce\nmx: MAIL.Example.COM\n"
	    "mx: *.Backup.EXAMPLE.com\nmx: mail.example.com\n"
	    "max_age: 86400\n", &pol);
	assert_int_equal(pol.nmx, 2);
	assert_string_equal(pol.mx[0], "mail.example.com");
	assert_string_equal(pol.mx[1], "*.backup.example.com");
	assert_int_equal(pol.nlines, 6);
	assert_true(sts_policy_answer(&pol, "example.com", 1, out,
	    sizeof(out)) > 0);
	assert_string_equal(out, "secure match=mail.example.com:"
	    ".backup.example.com servername=hostname policy_type=sts "
	    "policy_domain=example.com mx_host_pattern=mail.example.com "
	    "mx_host_pattern=*.backup.example.com "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } "
	    "{ policy_string = mx: MAIL.Example.COM } "
	    "{ policy_string = mx: *.Backup.EXAMPLE.com } "
	    "{ policy_string = mx: mail.example.com } "
	    "{ policy_string = max_age: 86400 }");
	assert_int_equal(check_at(out, V(3, 10), err, sizeof(err)), 0);
	sts_policy_free(&pol);

	/* many patterns: a match= list longer than any one buffer */
	{
		char *b = malloc(STS_BODY_MAX), *big = malloc(65536);
		size_t n = 0;
		int len;

		assert_non_null(b);
		assert_non_null(big);
		n += (size_t)sprintf(b, "version: STSv1\nmode: enforce\n"
		    "max_age: 1\n");
		for (i = 0; i < 200; i++)
			n += (size_t)sprintf(b + n, "mx: mx%zu.example.net\n",
			    i);
		parse_ok(b, n, &pol);
		assert_int_equal(pol.nmx, 200);
		len = sts_policy_answer(&pol, "example.net", 1, big, 65536);
		assert_true(len > 4000);
		assert_int_equal(check_at(big, V(3, 10), err, sizeof(err)),
		    0);
		len = sts_policy_answer(&pol, "example.net", 0, big, 65536);
		assert_true(len > 3000);
		assert_int_equal(check_at(big, V(3, 7), err, sizeof(err)), 0);
		sts_policy_free(&pol);
		free(b);
		free(big);
	}
}

/* test_duplicates - first wins, mx repeats, every line reported */
static void
test_duplicates(void **state)
{
	struct sts_policy pol;
	char out[1024], err[256];

	PARSE_OK("version: STSv1\nmode: enforce\nmx: a.example\n"
	    "mode: testing\nmax_age: 600\nmax_age: 1\nversion: STSv1\n", &pol);
	assert_int_equal(pol.mode, STS_MODE_ENFORCE);
	assert_int_equal(pol.max_age, 600);
	assert_int_equal(pol.nlines, 7);
	assert_true(sts_policy_answer(&pol, "example.com", 1, out,
	    sizeof(out)) > 0);
	assert_string_equal(out, "secure match=a.example "
	    "servername=hostname policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=a.example { policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } "
	    "{ policy_string = mx: a.example } "
	    "{ policy_string = mode: testing } "
	    "{ policy_string = max_age: 600 } "
	    "{ policy_string = max_age: 1 } "
	    "{ policy_string = version: STSv1 }");
	assert_int_equal(check_at(out, V(3, 10), err, sizeof(err)), 0);
	sts_policy_free(&pol);

	/* an ignored duplicate must still be valid */
	parse_bad("version: STSv1\nmode: enforce\nmx: a.example\n"
	    "mode: strict\nmax_age: 600\n", "line 4: mode \"strict\"");
	parse_bad("version: STSv1\nmode: none\nmax_age: 600\n"
	    "max_age: x\n", "line 4: max_age");
}

/* test_extensions - RFC 8461 §3.2 extension grammar, report hygiene */
static void
test_extensions(void **state)
{
	struct sts_policy pol;
	char out[1024], err[256], body[512];
	static const char *const bad_names[] = {
		"_foo", "-foo", ".foo", "foo bar", "f\xc3\xa4", "foo/bar",
		"a23456789012345678901234567890123", "",
	};
	static const char *const bad_values[] = {
		"a\tb", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe2\x82", "a\x7f",
	};
	size_t i;

	PARSE_OK("version: STSv1\nmode: enforce\nmx: a.example\n"
	    "max_age: 600\nx-note_1.2: any text; even = and : \xc3\xa4\n"
	    "a2345678901234567890123456789012: 32 chars\n"
	    "brace: {not for Postfix}\n", &pol);
	assert_int_equal(pol.nlines, 7);
	assert_string_equal(pol.lines[4],
	    "x-note_1.2: any text; even = and : \xc3\xa4");
	assert_string_equal(pol.lines[6], "brace: {not for Postfix}");
	assert_true(sts_policy_answer(&pol, "example.com", 1, out,
	    sizeof(out)) > 0);
	assert_string_equal(out, "secure match=a.example "
	    "servername=hostname policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=a.example { policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } "
	    "{ policy_string = mx: a.example } "
	    "{ policy_string = max_age: 600 } "
	    "{ policy_string = x-note_1.2: any text; even = and : \xc3\xa4 } "
	    "{ policy_string = a2345678901234567890123456789012: 32 chars }");
	assert_int_equal(check_at(out, V(3, 10), err, sizeof(err)), 0);
	sts_policy_free(&pol);

	for (i = 0; i < nitems(bad_names); i++) {
		snprintf(body, sizeof(body), "version: STSv1\nmode: none\n"
		    "%s: x\nmax_age: 600\n", bad_names[i]);
		parse_bad(body, "is not a field name");
	}
	for (i = 0; i < nitems(bad_values); i++) {
		snprintf(body, sizeof(body), "version: STSv1\nmode: none\n"
		    "ext: %s\nmax_age: 600\n", bad_values[i]);
		parse_bad(body, "line 3: ");
	}
	parse_bad("version: STSv1\nmode: none\next:\nmax_age: 600\n",
	    "line 3: \"ext\" has no value");
	parse_bad("version: STSv1\nmode: none\nno colon here\n"
	    "max_age: 600\n", "line 3: \"no colon here\" is not");
}

/* test_bytes - size limit, NUL, non-ASCII outside extension values */
static void
test_bytes(void **state)
{
	static const char head[] = "version: STSv1\nmode: none\n"
	    "max_age: 600\n";
	struct sts_policy pol;
	char *b = malloc(STS_BODY_MAX + 1);
	size_t n;

	assert_non_null(b);
	/* exactly 64 KiB: one long extension line fills it */
	memcpy(b, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memcpy(b + n, "pad: ", 5);
	memset(b + n + 5, 'x', STS_BODY_MAX - n - 6);
	b[STS_BODY_MAX - 1] = '\n';
	parse_ok(b, STS_BODY_MAX, &pol);
	sts_policy_free(&pol);
	b[STS_BODY_MAX - 1] = 'x';
	b[STS_BODY_MAX] = '\n';
	parse_bad_n(b, STS_BODY_MAX + 1, "over 65536");
	free(b);

	PARSE_BAD_N("version: STSv1\nmode: none\nmax_age: 6\0" "0\n",
	    "line 3: control character 0x00");
	PARSE_BAD_N("version: STSv1\0\nmode: none\nmax_age: 60\n",
	    "line 1: control character 0x00");
	parse_bad("version: STSv1\nmode: n\xc3\xb6" "ne\nmax_age: 600\n",
	    "line 2: mode \"n??ne\"");
	parse_bad("version: STSv1\nm\xc3\xb6" "de: none\nmax_age: 600\n",
	    "line 2: \"m??de\" is not a field name");
	parse_bad("version: STSv1\nmode: none\nmax_age: 600\n\x1b[0m\n",
	    "line 4: control character 0x1b");
}

/* txt - sts_txt_parse() of a C string */
static int
txt(const char *rec, char *id, char *err)
{
	err[0] = 0;
	return sts_txt_parse(rec, strlen(rec), id, err, 256);
}

/* test_txt - RFC 8461 §3.1 */
static void
test_txt(void **state)
{
	static const struct {
		const char *rec, *id;
	} ok[] = {
		{"v=STSv1; id=20160831085700Z;", "20160831085700Z"},
		{"v=STSv1;id=abc", "abc"},
		{"v=STSv1 ; id=abc ; ", "abc"},
		{"v=STSv1;\tid=abc\t", "abc"},
		{"v=STSv1; id=12345678901234567890123456789012",
		    "12345678901234567890123456789012"},
		{"v=STSv1; x-ext.1=a:b!; id=Q", "Q"},
		{"v=STSv1; id=Q; ID=lower-case-is-another-field", "Q"},
	};
	static const struct {
		const char *rec, *why;
	} bad[] = {
		{"v=STSv1", "no id field"},
		{"v=STSv1;", "no id field"},
		{"v=STSv1; ID=abc", "no id field"},
		{"v=STSv1; id=", "is not 1-32"},
		{"v=STSv1; id=123456789012345678901234567890123",
		    "is not 1-32"},
		{"v=STSv1; id=abc-1", "id \"abc-1\" is not 1-32"},
		{"v=STSv1; id=a_b", "is not 1-32"},
		{"v=STSv1; id=a; id=b", "more than one id"},
		{"v=STSv1 id=abc", "expected ';'"},
		{"v=STSv1; id=abc def", "expected ';'"},
		{"v=STSv1; id=abc;;", "empty field"},
		{"v=STSv1;; id=abc", "empty field"},
		{"v=STSv1; id=abc; ext", "has no '='"},
		{"v=STSv1; id=abc; e=x=y", "malformed field"},
		{"v=STSv1; id=abc; _e=x", "malformed field"},
		{"v=STSv1; id=abc; e=", "malformed field"},
		{"v=STSv1; id=abc; e=\xc3\xa4", "malformed field \"e=??\""},
	};
	static const char *const not_sts[] = {
		"", "v=spf1 -all", "v=STSv10; id=a", "V=STSv1; id=a",
		" v=STSv1; id=a", "v=STSv2; id=a", "v=STS", "google-site-"
		"verification=abc",
	};
	char id[STS_ID_MAX + 1], err[256];
	size_t i;

	for (i = 0; i < nitems(ok); i++) {
		memset(id, 'z', sizeof(id));
		if (txt(ok[i].rec, id, err) != 1)
			print_error("\"%s\": %s\n", ok[i].rec, err);
		assert_int_equal(txt(ok[i].rec, id, err), 1);
		assert_string_equal(id, ok[i].id);
	}
	for (i = 0; i < nitems(bad); i++) {
		memcpy(id, "untouched", 10);
		assert_int_equal(txt(bad[i].rec, id, err), -1);
		if (strstr(err, bad[i].why) == NULL)
			print_error("\"%s\": %s\n", bad[i].rec, err);
		assert_non_null(strstr(err, bad[i].why));
		assert_string_equal(id, "untouched");
	}
	for (i = 0; i < nitems(not_sts); i++)
		assert_int_equal(txt(not_sts[i], id, err), 0);
	/* a NUL inside is malformed, not the end */
	assert_int_equal(sts_txt_parse("v=STSv1; id=a\0b", 15, id, err,
	    sizeof(err)), -1);
	assert_int_equal(sts_txt_parse("v=STSv1; id=ab", 13, id, err,
	    sizeof(err)), 1);
	assert_string_equal(id, "a");
}

/* test_txt_select - exactly one v=STSv1 record */
static void
test_txt_select(void **state)
{
	const char *recs[3];
	size_t lens[3], i;
	char id[STS_ID_MAX + 1], err[256];

#define SET(i, s)	(recs[i] = (s), lens[i] = strlen(s))
	SET(0, "v=spf1 -all");
	SET(1, "v=STSv1; id=one");
	SET(2, "other text");
	err[0] = 0;
	assert_int_equal(sts_txt_select(recs, lens, 3, id, err,
	    sizeof(err)), 1);
	assert_string_equal(id, "one");
	assert_int_equal(sts_txt_select(recs, lens, 1, id, err,
	    sizeof(err)), 0);
	assert_int_equal(sts_txt_select(recs, lens, 0, id, err,
	    sizeof(err)), 0);
	SET(2, "v=STSv1; id=two");
	assert_int_equal(sts_txt_select(recs, lens, 3, id, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "2 v=STSv1 records"));
	/* a malformed one counts: two candidates */
	SET(2, "v=STSv1; id=t-w-o");
	assert_int_equal(sts_txt_select(recs, lens, 3, id, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "2 v=STSv1 records"));
	/* the only one malformed: its reason */
	SET(1, "v=STSv1;");
	for (i = 0; i < 2; i++)
		assert_int_equal(sts_txt_select(recs, lens, 2, id, err,
		    sizeof(err)), -1);
	assert_non_null(strstr(err, "no id field"));
#undef SET
}

/* test_content_type - text/plain only */
static void
test_content_type(void **state)
{
	assert_int_equal(sts_content_type_ok("text/plain"), 1);
	assert_int_equal(sts_content_type_ok("TEXT/PLAIN; charset=utf-8"), 1);
	assert_int_equal(sts_content_type_ok("text/plain ;charset=x"), 1);
	assert_int_equal(sts_content_type_ok(" Text/Plain "), 1);
	assert_int_equal(sts_content_type_ok("text/plain;"), 1);
	assert_int_equal(sts_content_type_ok("text/html"), 0);
	assert_int_equal(sts_content_type_ok("text/plainx"), 0);
	assert_int_equal(sts_content_type_ok("text/plain x"), 0);
	assert_int_equal(sts_content_type_ok("text/plai"), 0);
	assert_int_equal(sts_content_type_ok("text/plain; a=\001"), 0);
	assert_int_equal(sts_content_type_ok("application/octet-stream"), 0);
	assert_int_equal(sts_content_type_ok(""), 0);
	assert_int_equal(sts_content_type_ok(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_txt_select),
		cmocka_unit_test(test_content_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
