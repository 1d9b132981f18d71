/*
 * test_stats.c - counters, histogram quantiles and the recent-events ring.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "stats.h"

static struct stats_counter shared;

static void *
adder(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 100000; i++)
		stats_inc(&shared);
	return NULL;
}

static void
test_counter_threads(void **state)
{
	pthread_t t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(stats_get(&shared), 400000);
}

static void
test_bucket_bounds_monotonic(void **state)
{
	unsigned i;

	(void)state;
	for (i = 1; i < STATS_HIST_BUCKETS; i++)
		assert_true(stats_hist_bucket_upper(i) > stats_hist_bucket_upper(i - 1));
	/* 2^27 * 2 us > 100 s: latencies of hung backends still land in range */
	assert_true(stats_hist_bucket_upper(STATS_HIST_BUCKETS - 1) > 100000000ULL);
}

static void
test_quantiles(void **state)
{
	static struct stats_hist h;
	struct stats_hist_snap s;
	uint64_t p50, p90, p99;
	int i;

	(void)state;
	memset(&h, 0, sizeof(h));
	stats_hist_snapshot(&h, &s);
	assert_int_equal(stats_hist_quantile(&s, 0.5), 0);
	/* 1..1000 us uniformly */
	for (i = 1; i <= 1000; i++)
		stats_hist_record(&h, (uint64_t)i);
	stats_hist_snapshot(&h, &s);
	assert_int_equal(s.count, 1000);
	assert_int_equal(s.sum_us, 500500);
	p50 = stats_hist_quantile(&s, 0.5);
	p90 = stats_hist_quantile(&s, 0.9);
	p99 = stats_hist_quantile(&s, 0.99);
	/* within the histogram's 1/8 relative resolution */
	assert_in_range(p50, 500, 500 + 500 / 8 + 1);
	assert_in_range(p90, 900, 900 + 900 / 8 + 1);
	assert_in_range(p99, 990, 990 + 990 / 8 + 1);
	/* a single huge value is clamped into the last bucket, not lost */
	stats_hist_record(&h, UINT64_C(1) << 40);
	stats_hist_snapshot(&h, &s);
	assert_int_equal(s.count, 1001);
	assert_int_equal(stats_hist_quantile(&s, 1.0),
	    stats_hist_bucket_upper(STATS_HIST_BUCKETS - 1));
}

static void
test_recent_ring(void **state)
{
	struct stats_recent r;
	int i;

	(void)state;
	stats_recent_init(&r, 3);
	assert_null(stats_recent_get(&r, 0));
	for (i = 1; i <= 5; i++)
		stats_recent_add(&r, "event %d", i);
	assert_string_equal(stats_recent_get(&r, 0)->text, "event 5");
	assert_string_equal(stats_recent_get(&r, 1)->text, "event 4");
	assert_string_equal(stats_recent_get(&r, 2)->text, "event 3");
	assert_null(stats_recent_get(&r, 3));
	stats_recent_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_threads),
		cmocka_unit_test(test_bucket_bounds_monotonic),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_recent_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
