/*
 * test_sasl_ldap_filter.c - the ldap backend's pure parts, byte for byte:
 * the escaped %-expansion of filters and DNs, the template and filter
 * checks, and the Cyrus-format option file reader
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cyrus_conf.h"
#include "ldap_filter.h"

static const struct {
	const char *tmpl;
	enum ldap_escape esc;
	const char *login, *realm;
	const char *want;
} cases[] = {
	{"(uid=%u)", LDAP_ESC_FILTER, "alice", "", "(uid=alice)"},
	/* RFC 4515: the metacharacters of a login are one literal value */
	{"(uid=%u)", LDAP_ESC_FILTER, "*", "", "(uid=\\2a)"},
	{"(uid=%u)", LDAP_ESC_FILTER, ")(uid=*", "",
	    "(uid=\\29\\28uid=\\2a)"},
	{"(uid=%u)", LDAP_ESC_FILTER, "back\\slash", "", "(uid=back\\5cslash)"},
	{"(uid=%u)", LDAP_ESC_FILTER, "\\2a", "", "(uid=\\5c2a)"},
	/* the template's own escapes and metacharacters stay */
	{"(&(uid=%U)(cn=a\\2a*))", LDAP_ESC_FILTER, "bob@ex.org", "",
	    "(&(uid=bob)(cn=a\\2a*))"},
	/* %d: after the login's last '@', else the realm */
	{"(mail=%U@%d)", LDAP_ESC_FILTER, "a@b@ex.org", "r", "(mail=a@b@ex.org)"},
	{"(o=%d)", LDAP_ESC_FILTER, "alice", "ex.org", "(o=ex.org)"},
	{"(o=%r)%R", LDAP_ESC_FILTER, "alice", "ex.org", "(o=ex.org)@ex.org"},
	{"x%Ry", LDAP_ESC_FILTER, "alice", "", "xy"},
	{"(s=%s)%%", LDAP_ESC_FILTER, "alice", "", "(s=smtp)%"},
	{"(r=%r)", LDAP_ESC_FILTER, "a", "*)", "(r=\\2a\\29)"},
	/* RFC 4514 for fastbind's DN */
	{"uid=%u,ou=people", LDAP_ESC_DN, "alice", "", "uid=alice,ou=people"},
	{"uid=%u,ou=people", LDAP_ESC_DN, "a,ou=admins", "",
	    "uid=a\\2cou\\3dadmins,ou=people"},
	{"uid=%u,o=x", LDAP_ESC_DN, "#a+b\"<>;\\ ", "",
	    "uid=\\23a\\2bb\\22\\3c\\3e\\3b\\5c\\20,o=x"},
	{"uid=%u,o=x", LDAP_ESC_DN, " a b", "", "uid=\\20a b,o=x"},
	{"uid=%u,o=x", LDAP_ESC_DN, "(*)", "", "uid=(*),o=x"},
};

static void
test_expand(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ldap_vars v = {cases[i].login, cases[i].realm,
		    "smtp"};

		assert_int_equal(ldap_expand(cases[i].tmpl, cases[i].esc, &v,
		    out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_never_cut(void **state)
{
	const struct ldap_vars v = {"alice", "", "smtp"};
	char out[16];

	(void)state;
	/* "(uid=alice)" is 11 bytes: 12 fit, 11 do not, and then out is "" */
	assert_int_equal(ldap_expand("(uid=%u)", LDAP_ESC_FILTER, &v, out, 12),
	    0);
	assert_string_equal(out, "(uid=alice)");
	assert_int_equal(ldap_expand("(uid=%u)", LDAP_ESC_FILTER, &v, out, 11),
	    -1);
	assert_string_equal(out, "");
	assert_int_equal(ldap_expand("x", LDAP_ESC_FILTER, &v, out, 0), -1);
}

static void
test_checks(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(ldap_filter_check("(uid=%u)", err, sizeof(err)), 0);
	assert_int_equal(ldap_filter_check("uid=%u", err, sizeof(err)), 0);
	assert_int_equal(ldap_filter_check("(&(uid=%u)(cn=\\28x))", err,
	    sizeof(err)), 0);
	assert_int_equal(ldap_filter_check("(uid=%u", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unbalanced"));
	assert_int_equal(ldap_filter_check("(uid=%u))", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unbalanced"));
	assert_int_equal(ldap_filter_check("(uid=%u)()", err, sizeof(err)), -1);
	assert_int_equal(ldap_filter_check("(uid=\\2)", err, sizeof(err)), -1);
	assert_int_equal(ldap_filter_check("", err, sizeof(err)), -1);
	assert_int_equal(ldap_filter_check("(uid=%x)", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"%x\""));
	assert_int_equal(ldap_template_check("uid=%u,o=%", err, sizeof(err)),
	    -1);
	assert_true(ldap_template_uses_realm("(o=%d)"));
	assert_true(ldap_template_uses_realm("(o=%R)"));
	assert_false(ldap_template_uses_realm("(uid=%u)(x=%%r)"));
}

struct got {
	char	 text[512];
	size_t	 len;
};

static int
collect(void *vg, const char *key, const char *value, unsigned line,
    char *err, size_t errlen)
{
	struct got *g = vg;

	if (strcmp(key, "refuse") == 0) {
		snprintf(err, errlen, "refused");
		return -1;
	}
	g->len += (size_t)snprintf(g->text + g->len, sizeof(g->text) - g->len,
	    "%u[%s][%s]", line, key, value);
	return 0;
}

static void
test_cyrus_conf(void **state)
{
	static const char good[] =
	    "# a comment\n"
	    "ldap_servers: ldap://a/ ldap://b/\n"
	    "\n"
	    "   ldap_filter :  (uid=%u)  \r\n"
	    "ldap_bind_pw:\n"
	    "  # indented comment\n"
	    "last: no newline";
	struct got g = {"", 0};
	char err[256];

	(void)state;
	assert_int_equal(cyrus_conf_parse(good, sizeof(good) - 1, "F", collect,
	    &g, err, sizeof(err)), 0);
	assert_string_equal(g.text, "2[ldap_servers][ldap://a/ ldap://b/]"
	    "4[ldap_filter][(uid=%u)]5[ldap_bind_pw][]7[last][no newline]");

	g.len = 0;
	assert_int_equal(cyrus_conf_parse("a: 1\nno colon\n", 15, "F", collect,
	    &g, err, sizeof(err)), -1);
	assert_string_equal(err, "F, line 2: expected \"key: value\" (no ':' "
	    "after the key \"no\")");
	assert_int_equal(cyrus_conf_parse("a: 1\n: x\n", 9, "F", collect, &g,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "F, line 2: expected \"key: value\"");
	assert_int_equal(cyrus_conf_parse("a: 1\nb: x\0y\n", 12, "F", collect,
	    &g, err, sizeof(err)), -1);
	assert_string_equal(err, "F, line 2: NUL byte in the line");
	assert_int_equal(cyrus_conf_parse("\n\nrefuse: 1\n", 12, "F", collect,
	    &g, err, sizeof(err)), -1);
	assert_string_equal(err, "F, line 3: refused");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_never_cut),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_cyrus_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
