/*
 * test_sasl_throttle.c - failure throttling: growth, cap, same password,
 * decay, success reset, bounded table, top list, requests in flight and
 * parallel guessing (a fake clock drives it)
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
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

/* passwords in flight count as failures; a key that never failed goes */
static void
test_inflight_counts(void **state)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(throttle_when(t, &P, K("bob"), 0), 0);
		mac(m, i + 1);
		throttle_begin(t, K("bob"), m, 0);
	}
	assert_int_equal(throttle_inflight(t, K("bob")), 3);
	/* three in flight = three failures for the next one */
	assert_int_equal(throttle_delay(t, &P, K("bob"), 0), 1000);
	for (i = 0; i < 3; i++) {
		mac(m, i + 1);
		throttle_end(t, K("bob"), m);
	}
	assert_int_equal(throttle_inflight(t, K("bob")), 0);
	assert_int_equal(throttle_delay(t, &P, K("bob"), 0), 0);
	/* they all succeeded or were tempfails: nothing is kept */
	assert_int_equal(throttle_count(t), 0);
	/* ending what was never begun, or was evicted, does nothing */
	throttle_end(t, K("nobody"), m);
	assert_int_equal(throttle_count(t), 0);
	throttle_free(t);
}

/* one password on many connections is one guess, not many */
static void
test_inflight_same_password(void **state)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	int i;

	(void)state;
	mac(m, 7);
	for (i = 0; i < 40; i++) {
		assert_int_equal(throttle_delay(t, &P, K("app"), 0), 0);
		throttle_begin(t, K("app"), m, 0);
	}
	assert_int_equal(throttle_inflight(t, K("app")), 1);
	for (i = 0; i < 40; i++)
		throttle_end(t, K("app"), m);
	assert_int_equal(throttle_count(t), 0);
	/* past THROTTLE_FLIGHT distinct digests each counts on its own */
	for (i = 0; i < THROTTLE_FLIGHT + 4; i++) {
		mac(m, 100 + i);
		throttle_begin(t, K("bob"), m, 0);
	}
	assert_int_equal(throttle_inflight(t, K("bob")), THROTTLE_FLIGHT + 4);
	for (i = 0; i < THROTTLE_FLIGHT + 4; i++) {
		mac(m, 100 + i);
		throttle_end(t, K("bob"), m);
	}
	assert_int_equal(throttle_inflight(t, K("bob")), 0);
	assert_int_equal(throttle_count(t), 0);
	throttle_free(t);
}

/*
 * The same clock, the same parameters: how many backend checks one
 * sequential guesser gets by `horizon`, with zero backend time and a new
 * password each time (the most a sequential guesser can get).
 */
static unsigned
sequential_checks(const struct throttle_params *p, uint64_t horizon)
{
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	uint64_t now = 0;
	unsigned n = 0;

	for (;;) {
		now = throttle_when(t, p, K("bob"), now);
		if (now > horizon)
			break;
		mac(m, (int)n);
		throttle_begin(t, K("bob"), m, now);
		throttle_failure(t, p, K("bob"), m, now);
		throttle_end(t, K("bob"), m);
		n++;
	}
	throttle_free(t);
	return n;
}

/*
 * 40 parallel connections guess one login for 20 s: each sends its next
 * guess 10 ms after its last answer; a refused one (it would wait past
 * max_delay) is answered at once without a check. They must get no more
 * checks than one sequential guesser, and every admitted one waits at
 * most max_delay.
 */
static void
test_parallel_no_faster_than_sequential(void **state)
{
	enum { NCONN = 40 };
	static const struct throttle_params Q = {
		.after = 3, .delay = 1000, .max_delay = 4000, .quiet = 600000,
	};
	struct throttle *t = throttle_new(100, 1);
	unsigned char m[THROTTLE_MAC_LEN];
	uint64_t next[NCONN], due[NCONN], now, horizon = 20000;
	bool busy[NCONN];
	int guess[NCONN], guesses = 0;
	unsigned checks = 0, refused = 0, seq, i;

	(void)state;
	for (i = 0; i < NCONN; i++) {
		next[i] = 0;
		busy[i] = false;
	}
	for (now = 0; now <= horizon + Q.max_delay; now++) {
		for (i = 0; i < NCONN; i++) {
			if (busy[i] && due[i] == now) {
				/* the backend check: a wrong password */
				mac(m, guess[i]);
				throttle_failure(t, &Q, K("bob"), m, now);
				throttle_end(t, K("bob"), m);
				checks++;
				busy[i] = false;
				next[i] = now + 10;
			}
			if (!busy[i] && next[i] == now && now <= horizon) {
				uint64_t at = throttle_when(t, &Q, K("bob"),
				    now);

				if (at - now > Q.max_delay) {
					refused++;
					next[i] = now + 10;
					continue;
				}
				/* a new password each time */
				guess[i] = guesses++;
				mac(m, guess[i]);
				throttle_begin(t, K("bob"), m, at);
				busy[i] = true;
				due[i] = at;
			}
		}
	}
	seq = sequential_checks(&Q, horizon);
	assert_true(refused > 0);
	assert_true(checks <= seq);
	/* and the throttle did not starve them either: nearly as many */
	assert_true(checks + 2 >= seq);
	/* another login is not touched by any of it */
	assert_int_equal(throttle_delay(t, &Q, K("alice"), now), 0);
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
		cmocka_unit_test(test_inflight_counts),
		cmocka_unit_test(test_inflight_same_password),
		cmocka_unit_test(test_parallel_no_faster_than_sequential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
