/*
 * test_cfg_group.c - unit tests for cfg_group.c: per-instance parameters
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

#include "buf.h"
#include "cfg.h"
#include "cfg_group.h"

struct inst {
	char	*source;
	long long timeout;
};

struct top {
	char	*feeds;
	char	*dir;
	struct cfg_group_set set;
};

static const struct cfg_param top_params[] = {
	{"feeds", CFG_STR, "", offsetof(struct top, feeds), 0, 0, CFG_F_RELOAD},
	{"dir", CFG_STR, "/var", offsetof(struct top, dir), 0, 0, CFG_F_RELOAD},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

static const struct cfg_param inst_params[] = {
	{"source", CFG_STR, "none", offsetof(struct inst, source), 0, 0,
	    CFG_F_RELOAD | CFG_F_SECRET},
	{"timeout", CFG_TIME, "5s", offsetof(struct inst, timeout), 1, 60000,
	    CFG_F_RELOAD},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

static const struct cfg_group group = {
	"feeds", inst_params, sizeof(struct inst), offsetof(struct top, set),
};

/* apply - text into t; 0 or -1 with err */
static int
apply(const char *text, struct top *t, char *err, size_t errlen)
{
	struct cfg *c = cfg_new();
	int rc;

	memset(t, 0, sizeof(*t));
	rc = cfg_load_string(c, text, "t.cf", err, errlen);
	if (rc == 0)
		rc = cfg_group_apply(c, top_params, sizeof(*t), &group, t, err,
		    errlen);
	cfg_free(c);
	return rc;
}

static void
test_instances_get_their_parameters(void **state)
{
	struct top t;
	struct inst *a, *b;
	char err[512];
	struct buf out;

	(void)state;
	assert_int_equal(apply("feeds = a, b\ndir = /srv\n"
	    "a_source = pgsql:$dir\nb_timeout = 250ms\n", &t, err,
	    sizeof(err)), 0);
	assert_string_equal(t.dir, "/srv");
	assert_int_equal(t.set.n, 2);
	assert_string_equal(t.set.names[0], "a");
	assert_string_equal(t.set.names[1], "b");
	a = t.set.items[0];
	b = t.set.items[1];
	assert_string_equal(a->source, "pgsql:/srv");
	assert_int_equal(a->timeout, 5000);
	assert_string_equal(b->source, "none");
	assert_int_equal(b->timeout, 250);
	buf_init(&out, 0);
	assert_int_equal(cfg_group_dump(&group, &t, &out), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	assert_string_equal(out.data, "a_source = (hidden)\na_timeout = 5s\n"
	    "b_source = (hidden)\nb_timeout = 250ms\n");
	buf_free(&out);
	cfg_group_release(top_params, &group, &t);
	assert_int_equal(t.set.n, 0);
}

static void
test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"feeds = a\nc_source = x\n",
		    "t.cf, line 2: unknown parameter \"c_source\""},
		{"feeds = a\na_timeout = 2m\n",
		    "t.cf, line 2: a_timeout: \"2m\" is out of range"},
		{"feeds = a a\n", "t.cf, line 1: feeds: \"a\" is listed twice"},
		{"feeds = a-b\n", "t.cf, line 1: feeds: bad name \"a-b\""},
		{"feeds = $dir\n", "t.cf, line 1: feeds: a list of names"},
	};
	struct top t;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		memset(&t, 0x5a, sizeof(t));
		assert_int_equal(apply(cases[i].text, &t, err, sizeof(err)),
		    -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: got \"%s\"", cases[i].text, err);
	}
}

static void
test_no_instances(void **state)
{
	struct top t;
	char err[512];

	(void)state;
	assert_int_equal(apply("dir = /x\n", &t, err, sizeof(err)), 0);
	assert_int_equal(t.set.n, 0);
	cfg_group_release(top_params, &group, &t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instances_get_their_parameters),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_no_instances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
