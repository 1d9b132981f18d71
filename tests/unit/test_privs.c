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
#define NONAME_ID	2147480001U

/* text_cases - both namers, both forms; noname: the id has no name */
static const struct text_case {
	const char *kind;		/* "user" or "group" */
	unsigned id;
	int	noname;
	int	form;
	const char *want;
} text_cases[] = {
	{"user", 0, 0, PRIVS_TEXT_NAME, "root"},
	{"user", 0, 0, PRIVS_TEXT_ID, "root (uid 0)"},
	{"user", NONAME_ID, 1, PRIVS_TEXT_NAME, "2147480001"},
	{"user", NONAME_ID, 1, PRIVS_TEXT_ID, "uid 2147480001"},
	{"group", 0, 0, PRIVS_TEXT_NAME, "root"},
	{"group", 0, 0, PRIVS_TEXT_ID, "root (gid 0)"},
	{"group", NONAME_ID, 1, PRIVS_TEXT_NAME, "2147480001"},
	{"group", NONAME_ID, 1, PRIVS_TEXT_ID, "gid 2147480001"},
};

static void
test_text(void **state)
{
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(text_cases); i++) {
		const struct text_case *c = &text_cases[i];

		if (c->noname && (getpwuid((uid_t)c->id) != NULL ||
		    getgrgid((gid_t)c->id) != NULL))
			continue;	/* this machine names the id */
		if (strcmp(c->kind, "user") == 0)
			(void)privs_user_text((uid_t)c->id, c->form, out,
			    sizeof(out));
		else
			(void)privs_group_text((gid_t)c->id, c->form, out,
			    sizeof(out));
		if (strcmp(out, c->want) != 0)
			fail_msg("privs_%s_text(%u, %d): \"%s\", want \"%s\"",
			    c->kind, c->id, c->form, out, c->want);
	}
	/* a short buffer truncates, never overruns */
	assert_string_equal(privs_user_text(0, PRIVS_TEXT_ID, out, 5),
	    "root");
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
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
