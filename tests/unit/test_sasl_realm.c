/*
 * test_sasl_realm.c - the realm policy truth table, byte for byte
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "realm.h"

static const struct {
	enum realm_policy p;
	const char *login, *realm;
	const char *want_login, *want_realm, *want_key;
} cases[] = {
	{REALM_PASS, "alice", "", "alice", "", "alice"},
	{REALM_PASS, "alice", "ex.org", "alice", "ex.org", "alice@ex.org"},
	{REALM_PASS, "a@b", "ex.org", "a@b", "ex.org", "a@b"},
	/* Cyrus -r: joined only when the realm is non-empty, realm kept */
	{REALM_JOIN, "alice", "", "alice", "", "alice"},
	{REALM_JOIN, "alice", "ex.org", "alice@ex.org", "ex.org", "alice@ex.org"},
	{REALM_STRIP, "alice", "ex.org", "alice", "", "alice"},
	{REALM_STRIP, "alice@x.test", "", "alice", "", "alice"},
	{REALM_STRIP, "a@b@c", "r", "a@b", "", "a@b"},
	{REALM_DEFAULT, "alice", "", "alice@def.test", "def.test", "alice@def.test"},
	{REALM_DEFAULT, "alice", "ex.org", "alice@ex.org", "ex.org", "alice@ex.org"},
	{REALM_DEFAULT, "alice@x.test", "", "alice@x.test", "def.test", "alice@x.test"},
};

static void
test_truth_table(void **state)
{
	char login[64], realm[64], key[64];
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		assert_int_equal(realm_apply(cases[i].p, "def.test",
		    cases[i].login, cases[i].realm, login, sizeof(login),
		    realm, sizeof(realm)), 0);
		assert_string_equal(login, cases[i].want_login);
		assert_string_equal(realm, cases[i].want_realm);
		assert_int_equal(realm_userkey(login, realm, key,
		    sizeof(key)), 0);
		assert_string_equal(key, cases[i].want_key);
	}
}

static void
test_too_long(void **state)
{
	char login[8], realm[8];

	assert_int_equal(realm_apply(REALM_JOIN, "", "alice", "ex.org",
	    login, sizeof(login), realm, sizeof(realm)), -1);
	assert_int_equal(realm_apply(REALM_PASS, "", "alice", "ex.org",
	    login, sizeof(login), realm, sizeof(realm)), 0);
	assert_int_equal(realm_userkey("alice", "ex.org", login,
	    sizeof(login)), -1);
}

static void
test_names(void **state)
{
	enum realm_policy p;

	assert_int_equal(realm_policy_parse("join", &p), 0);
	assert_int_equal(p, REALM_JOIN);
	assert_int_equal(realm_policy_parse("default", &p), 0);
	assert_int_equal(p, REALM_DEFAULT);
	assert_int_equal(realm_policy_parse("Join", &p), -1);
	assert_int_equal(realm_policy_parse("", &p), -1);
	assert_string_equal(realm_policy_name(REALM_STRIP), "strip");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truth_table),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
