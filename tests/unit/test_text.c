/*
 * test_text.c - unit tests for the appending line builder (common/text.c)
 *
 * Whatever the pieces and the buffer size, the text is what snprintf()
 * with "%s%s..." (and "%llu" for numbers) makes of the same pieces, cut
 * at the same byte, and the cut is reported.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "text.h"

/* test_like_snprintf - every buffer size from 1 to past the whole text */
static void
test_like_snprintf(void **state)
{
	char	got[64], want[64];
	size_t	cap;
	struct text t;
	int	n;

	(void)state;
	for (cap = 1; cap <= sizeof(got); cap++) {
		memset(got, 'Z', sizeof(got));
		text_init(&t, got, cap);
		text_lit(&t, "auth: result=");
		text_str(&t, "OK");
		text_add(&t, " user=alice-and-more", 11);
		text_u64(&t, 18446744073709551615ull);
		text_str(&t, "");
		text_u64(&t, 0);
		n = snprintf(want, cap, "%s%s%.*s%llu%s%llu", "auth: result=",
		    "OK", 11, " user=alice-and-more", 18446744073709551615ull,
		    "", 0ull);
		assert_string_equal(got, want);
		assert_int_equal(t.len, strlen(want));
		assert_int_equal(text_truncated(&t), (size_t)n >= cap);
		if (cap < sizeof(got))
			assert_int_equal(got[cap], 'Z');	/* nothing past cap */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_like_snprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
