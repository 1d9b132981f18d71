/*
 * test_status_time.c - unit tests for status_time(), the wall-time format
 * the daemons' status pages share
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

static void
test_status_time(void **state)
{
	char buf[STATUS_TIME_LEN], small[8];

	(void)state;
	/* local time: pin the zone so the expected text is known */
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();

	/* 0 is "not yet" */
	assert_ptr_equal(status_time(0, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "never");

	assert_ptr_equal(status_time(1700000000, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2023-11-14 22:13:20");
	assert_string_equal(status_time(951782400, buf, sizeof(buf)),
	    "2000-02-29 00:00:00");

	/* the zone is the local one, not UTC */
	assert_int_equal(setenv("TZ", "UTC-2", 1), 0);
	tzset();
	assert_string_equal(status_time(1700000000, buf, sizeof(buf)),
	    "2023-11-15 00:13:20");

	/* too short for a time: empty, terminated; "never" is cut */
	memset(small, 'x', sizeof(small));
	assert_string_equal(status_time(1700000000, small, sizeof(small)), "");
	assert_string_equal(status_time(0, small, 4), "nev");
	assert_string_equal(status_time(1700000000, small, 0), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
