/*
 * test_privs.c - naming users and groups for messages, and id sets:
 * privs_user_text(), privs_group_text(), privs_has_uid(), privs_has_gid()
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "privs.h"

/* an id with no user and no group on any sane test machine */
#define NONAME_ID	2147480001UL

static void
test_user_text(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(privs_user_text(0, PRIVS_TEXT_NAME, out,
	    sizeof(out)), "root");
	assert_string_equal(privs_user_text(0, PRIVS_TEXT_ID, out,
	    sizeof(out)), "root (uid 0)");
	if (getpwuid((uid_t)NONAME_ID) != NULL)
		skip();
	assert_string_equal(privs_user_text((uid_t)NONAME_ID,
	    PRIVS_TEXT_NAME, out, sizeof(out)), "2147480001");
	assert_string_equal(privs_user_text((uid_t)NONAME_ID, PRIVS_TEXT_ID,
	    out, sizeof(out)), "uid 2147480001");
	/* a short buffer truncates, never overruns */
	assert_string_equal(privs_user_text(0, PRIVS_TEXT_ID, out, 5),
	    "root");
}

static void
test_group_text(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(privs_group_text(0, PRIVS_TEXT_NAME, out,
	    sizeof(out)), "root");
	assert_string_equal(privs_group_text(0, PRIVS_TEXT_ID, out,
	    sizeof(out)), "root (gid 0)");
	if (getgrgid((gid_t)NONAME_ID) != NULL)
		skip();
	assert_string_equal(privs_group_text((gid_t)NONAME_ID,
	    PRIVS_TEXT_NAME, out, sizeof(out)), "2147480001");
	assert_string_equal(privs_group_text((gid_t)NONAME_ID, PRIVS_TEXT_ID,
	    out, sizeof(out)), "gid 2147480001");
}

static void
test_has(void **state)
{
	static const uid_t uids[] = {0, 5, 7};
	static const gid_t gids[] = {0, 5, 7};

	(void)state;
	assert_true(privs_has_uid(uids, nitems(uids), 0));
	assert_true(privs_has_uid(uids, nitems(uids), 7));
	assert_false(privs_has_uid(uids, nitems(uids), 6));
	assert_false(privs_has_uid(uids, 0, 0));
	assert_false(privs_has_uid(uids, 2, 7));
	assert_true(privs_has_gid(gids, nitems(gids), 5));
	assert_false(privs_has_gid(gids, nitems(gids), 1));
	assert_false(privs_has_gid(gids, 0, 0));
	assert_true(privs_has_gid(gids, 1, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_text),
		cmocka_unit_test(test_group_text),
		cmocka_unit_test(test_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
