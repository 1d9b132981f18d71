/*
 * test_sasl_clientaddr.c - the 5th field: a whole address or nothing
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "clientaddr.h"

static const struct {
	const char *in, *want;
} good[] = {
	{"192.0.2.10;49152", "192.0.2.10"},
	{"192.0.2.10", "192.0.2.10"},
	{"192.0.2.10;0", "192.0.2.10"},
	{"198.51.100.9;65535", "198.51.100.9"},
	{"2001:db8::7;4711", "2001:db8::7"},
	{"2001:DB8:0:0::7;25", "2001:db8::7"},
	{"::1", "::1"},
	{"::ffff:192.0.2.1;25", "::ffff:192.0.2.1"},
	{"", ""},
};

/* what used to leave a prefix, or pass for an address */
static const char *const bad[] = {
	"192.0.2.1x;25",		/* kept "192.0.2.1" */
	"192.0.2.1 ;25",
	"10.0.0.1/8;25",
	"mail.example;25",
	"deadbeef;25",			/* hex digits, no address */
	"1.2.3.4.5;25",
	"1.2.3;25",
	"999.1.1.1;25",
	"2001:db8::7::1;25",
	"fe80::1%eth0;25",
	"[2001:db8::7];25",
	"1.2.3.4;",
	"1.2.3.4;abc",
	"1.2.3.4;70000",
	"1.2.3.4;123456",
	"1.2.3.4;25;26",
	";25",
	"1111111111111111111111111111111111111111111111111111111111111;25",
};

static void
test_good(void **state)
{
	char out[64], why[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(clientaddr_parse(out, sizeof(out), good[i].in,
		    strlen(good[i].in), why, sizeof(why)), 0);
		assert_string_equal(out, good[i].want);
	}
}

static void
test_bad_dropped_whole(void **state)
{
	char out[64], why[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'X', sizeof(out));
		why[0] = 0;
		assert_int_equal(clientaddr_parse(out, sizeof(out), bad[i],
		    strlen(bad[i]), why, sizeof(why)), -1);
		/* nothing of it kept, not even a prefix */
		assert_string_equal(out, "");
		assert_true(why[0] != 0);
		/* the reason never quotes the peer's bytes */
		assert_null(strstr(why, bad[i]));
	}
}

static void
test_nul_and_room(void **state)
{
	static const char nul[] = "192.0.2.1\0evil;25";
	char out[64], small[8], why[96];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(clientaddr_parse(out, sizeof(out), nul,
	    sizeof(nul) - 1, why, sizeof(why)), -1);
	assert_string_equal(out, "");
	/* the field's length counts, not a NUL-terminated prefix */
	assert_int_equal(clientaddr_parse(out, sizeof(out), "192.0.2.10;25xx",
	    13, why, sizeof(why)), 0);
	assert_string_equal(out, "192.0.2.10");
	/* no room: nothing, rather than part of it */
	memset(small, 'X', sizeof(small));
	assert_int_equal(clientaddr_parse(small, sizeof(small),
	    "192.0.2.100;25", 14, why, sizeof(why)), -1);
	assert_string_equal(small, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_dropped_whole),
		cmocka_unit_test(test_nul_and_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
