/*
 * test_sasl_throttle.c - failure throttling: growth, cap, same password,
 * decay, success reset, bounded table, top list
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "throttle.h"

#define K(s)	(s), strlen(s)

static const struct throttle_params P = {
	.after = 3, .delay = 1000, .max_delay = 15000, .quiet = 600000,
};

static void
mac(unsigned char *m, int v)
{
	memset(m, v, THROTTLE_MAC_LEN);
}

static void
test_growth_and_cap(void **state)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	static const uint64_t want[] = {0, 0, 0, 1000, 2000, 4000, 8000,
	    15000, 15000, 15000};
	unsigned i;

	for (i = 0; i < nitems(want); i++) {
		assert_int_equal(throttle_delay(t, &P, K("bob"), 10), want[i]);
		mac(m, (int)i);
		throttle_failure(t, &P, K("bob"), m, 10);
	}
	/* other keys are untouched */
	assert_int_equal(throttle_delay(t, &P, K("alice"), 10), 0);
	throttle_free(t);
}

static void
test_same_password_does_not_escalate(void **state)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	int i;

	for (i = 0; i < 3; i++) {
		mac(m, i);
		throttle_failure(t, &P, K("bob"), m, 0);
	}
	assert_int_equal(throttle_delay(t, &P, K("bob"), 0), 1000);
	for (i = 0; i < 20; i++)
		throttle_failure(t, &P, K("bob"), m, 0);	/* m of i=2 */
	assert_int_equal(throttle_delay(t, &P, K("bob"), 0), 1000);
	mac(m, 99);
	throttle_failure(t, &P, K("bob"), m, 0);
	assert_int_equal(throttle_delay(t, &P, K("bob"), 0), 2000);
	throttle_free(t);
}

static void
test_decay_and_success(void **state)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	int i;

	for (i = 0; i < 4; i++) {
		mac(m, i);
		throttle_failure(t, &P, K("bob"), m, 1000);
	}
	assert_int_equal(throttle_delay(t, &P, K("bob"), 1000 + 599999), 2000);
	assert_int_equal(throttle_delay(t, &P, K("bob"), 1000 + 600000), 0);
	for (i = 0; i < 4; i++) {
		mac(m, i);
		throttle_failure(t, &P, K("carl"), m, 0);
	}
	assert_int_equal(throttle_active(t, &P, 0), 1);
	throttle_success(t, K("carl"));
	assert_int_equal(throttle_delay(t, &P, K("carl"), 0), 0);
	assert_int_equal(throttle_active(t, &P, 0), 0);
	throttle_free(t);
}

static void
test_bounded_and_top(void **state)
{
	struct throttle *t = throttle_new(16, 7);
	struct throttle_top top[3];
	unsigned char m[THROTTLE_MAC_LEN];
	char key[32];
	int i, j;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "user%d", i);
		for (j = 0; j <= i % 5; j++) {
			mac(m, j);
			throttle_failure(t, &P, K(key), m, 0);
		}
	}
	assert_int_equal(throttle_count(t), 16);
	assert_int_equal(throttle_top(t, &P, 0, top, 3), 3);
	assert_int_equal(top[0].failures, 5);
	assert_true(top[0].failures >= top[1].failures);
	assert_true(top[1].failures >= top[2].failures);
	assert_int_equal(top[0].delay, 4000);
	throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_and_cap),
		cmocka_unit_test(test_same_password_does_not_escalate),
		cmocka_unit_test(test_decay_and_success),
		cmocka_unit_test(test_bounded_and_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
