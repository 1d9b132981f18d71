/*
 * test_per_site.c - legacy smtp_tls_per_site keywords and their mapping
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "per_site.h"

/* test_per_site_keywords - any case, canonical name, modern level */
static void
test_per_site_keywords(void **state)
{
	static const struct {
		const char *in, *name, *policy;
	} ok[] = {
		{"NONE", "NONE", "none"},
		{"may", "MAY", "may"},
		{" Must_NoPeerMatch ", "MUST_NOPEERMATCH", "encrypt"},
		{"MUST", "MUST", "verify"},
		{"must\t", "MUST", "verify"},
	};
	enum per_site_level l;
	char err[256];
	size_t i;

	for (i = 0; i < nitems(ok); i++) {
		assert_int_equal(per_site_parse(ok[i].in, &l, err,
		    sizeof(err)), 0);
		assert_string_equal(per_site_name(l), ok[i].name);
		assert_string_equal(per_site_policy(l), ok[i].policy);
	}
}

/* test_per_site_rejects - anything but one keyword is a load error */
static void
test_per_site_rejects(void **state)
{
	static const char *const bad[] = {
		"", "MUSTX", "MUST match=hostname", "verify", "MAY,NONE",
		"MUST_NOPEER", "secure",
	};
	enum per_site_level l = PER_SITE_MAY;
	char err[256];
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		err[0] = 0;
		assert_int_equal(per_site_parse(bad[i], &l, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "invalid smtp_tls_per_site value"));
	}
	assert_int_equal(l, PER_SITE_MAY);	/* untouched on failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_site_keywords),
		cmocka_unit_test(test_per_site_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
