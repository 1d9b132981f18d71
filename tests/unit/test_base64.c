/*
 * test_base64.c - unit tests for the strict base64 codec
 *
 * The RFC 4648 section 10 vectors both ways, and every way a text can be
 * other than the one canonical encoding (length, alphabet, padding in the
 * wrong place, non-zero pad bits, blanks), each refused; output buffers
 * exactly large enough and one byte short.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base64.h"

static const char *const rfc[][2] = {
	{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
	{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void
test_rfc4648_vectors(void **state)
{
	unsigned char out[16];
	char enc[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		size_t n = strlen(rfc[i][0]), e = strlen(rfc[i][1]);

		assert_int_equal(base64_encode(rfc[i][0], n, enc, e + 1),
		    (ssize_t)e);
		assert_string_equal(enc, rfc[i][1]);
		/* no room for the NUL */
		assert_int_equal(base64_encode(rfc[i][0], n, enc, e), -1);
		assert_int_equal(base64_decode(rfc[i][1], e, out, n),
		    (ssize_t)n);
		assert_memory_equal(out, rfc[i][0], n);
		if (n > 0)
			assert_int_equal(base64_decode(rfc[i][1], e, out,
			    n - 1), -1);
	}
}

static void
test_binary(void **state)
{
	const unsigned char bin[] = {0, 'a', 'l', 'i', 'c', 'e', 0, 0xff, 0xfe};
	unsigned char out[sizeof(bin)];
	char enc[BASE64_ENCODED_LEN(sizeof(bin)) + 1];

	(void)state;
	assert_int_equal(base64_encode(bin, sizeof(bin), enc, sizeof(enc)), 12);
	assert_string_equal(enc, "AGFsaWNlAP/+");
	assert_int_equal(base64_decode(enc, 12, out, sizeof(out)),
	    (ssize_t)sizeof(bin));
	assert_memory_equal(out, bin, sizeof(bin));
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zm9", "Z", "=", "====", "Zg==Zg==", "Z===",
		"Zh==",		/* pad bits set: "Zg==" is the one encoding */
		"Zm9=",		/* likewise, "Zm8=" */
		"Zm 9v", "Zm9v\n", " Zm9v", "Zm9v!", "Zm-v", "Zm_v",
		"Zg=a", "Z=g=", "Zm9vYg==Zm9v",
	};
	unsigned char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (base64_decode(bad[i], strlen(bad[i]), out, sizeof(out)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* a NUL inside the given length is no alphabet character */
	assert_int_equal(base64_decode("Zm\0v", 4, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
