/*
 * test_ccert_fprint.c - unit tests for policyd-ccert fingerprint normalising
 *
 * Table-driven: every spelling an admin or Postfix may produce must come
 * out as the same canonical hex with the right digest, and everything else
 * must be refused with a reason.
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

#include "fprint.h"

#define SHA256_COLON "0B:54:21:13:DE:13:3A:AD:0E:86:95:C2:3A:FC:3C:CC:" \
	"AB:10:53:47:8C:5E:84:79:6B:DC:14:E5:D4:2A:89:37"
#define SHA256_HEX "0B542113DE133AAD0E8695C23AFC3CCCAB1053478C5E84796BDC14E5D42A8937"

static const struct {
	const char *in;
	const char *out;		/* NULL = must be refused */
	enum fprint_digest digest;
	const char *why;		/* substring of the error */
} cases[] = {
	/* Postfix's own form, each digest length */
	{SHA256_COLON, SHA256_HEX, FPRINT_SHA256, NULL},
	{"D7:04:2F:A7:0B:8C:A5:21:FA:31:77:E1:41:8A:EE:80",
	    "D7042FA70B8CA521FA3177E1418AEE80", FPRINT_MD5, NULL},
	{"5F:F1:65:1B:E3:75:35:BA:24:77:D1:31:9D:E9:05:3E:75:69:D4:58",
	    "5FF1651BE37535BA2477D1319DE9053E7569D458", FPRINT_SHA1, NULL},
	{"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	 "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
	 "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
	 FPRINT_SHA512, NULL},
	/* admin spellings */
	{"0b542113de133aad0e8695c23afc3cccab1053478c5e84796bdc14e5d42a8937",
	    SHA256_HEX, FPRINT_SHA256, NULL},
	{"sha256:" SHA256_COLON, SHA256_HEX, FPRINT_SHA256, NULL},
	{"SHA256:" SHA256_HEX, SHA256_HEX, FPRINT_SHA256, NULL},
	{"md5:d7042fa70b8ca521fa3177e1418aee80",
	    "D7042FA70B8CA521FA3177E1418AEE80", FPRINT_MD5, NULL},
	{"0b:54 21:13\tDE133AAD0E8695C23AFC3CCCAB1053478C5E84796BDC14E5D42A8937",
	    SHA256_HEX, FPRINT_SHA256, NULL},
	/* refused */
	{"", NULL, FPRINT_NONE, "0 hex digits"},
	{"0B:54:21", NULL, FPRINT_NONE, "6 hex digits"},
	{"D7042FA70B8CA521FA3177E1418AEE8", NULL, FPRINT_NONE, "31 hex"},
	{"G7042FA70B8CA521FA3177E1418AEE80", NULL, FPRINT_NONE, "not a hex"},
	{"md5:" SHA256_HEX, NULL, FPRINT_NONE, "labelled md5"},
	{"sha384:" SHA256_HEX, NULL, FPRINT_NONE, "unknown digest"},
	{SHA256_HEX SHA256_HEX SHA256_HEX, NULL, FPRINT_NONE, "longer than"},
};

static void
test_table(void **state)
{
	char buf[512], err[256];
	enum fprint_digest d;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		len = strlen(buf);
		err[0] = 0;
		d = FPRINT_NONE;
		rc = fprint_normalise(buf, &len, &d, err, sizeof(err));
		if (cases[i].out) {
			if (rc != 0)
				fail_msg("case %zu (%s): refused: %s", i,
				    cases[i].in, err);
			assert_string_equal(buf, cases[i].out);
			assert_int_equal(len, strlen(cases[i].out));
			assert_int_equal(d, cases[i].digest);
		} else {
			if (rc != -1)
				fail_msg("case %zu (%s): accepted as %s", i,
				    cases[i].in, buf);
			if (strstr(err, cases[i].why) == NULL)
				fail_msg("case %zu: error \"%s\" lacks \"%s\"",
				    i, err, cases[i].why);
		}
	}
}

static void
test_digest_names(void **state)
{
	assert_string_equal(fprint_digest_name(FPRINT_MD5), "md5");
	assert_string_equal(fprint_digest_name(FPRINT_SHA512), "sha512");
	assert_int_equal(fprint_digest_by_len(64), FPRINT_SHA256);
	assert_int_equal(fprint_digest_by_len(40), FPRINT_SHA1);
	assert_int_equal(fprint_digest_by_len(63), FPRINT_NONE);
}

/* the exact-size heap copy lets ASan catch a read or write past the end */
static void
test_exact_buffer(void **state)
{
	size_t len = strlen(SHA256_HEX);
	char *p = malloc(len + 1), err[128];
	enum fprint_digest d;

	memcpy(p, SHA256_HEX, len + 1);
	assert_int_equal(fprint_normalise(p, &len, &d, err, sizeof(err)), 0);
	assert_string_equal(p, SHA256_HEX);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_digest_names),
		cmocka_unit_test(test_exact_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
