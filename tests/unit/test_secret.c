/*
 * test_secret.c - unit tests for secret wiping and constant-time compares
 *
 * Timing is not measured here (too noisy for a unit test); these tests pin
 * down the results, especially the cases an early-exit or padding bug
 * would get wrong.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "xalloc.h"

#define S(s)	(s), (sizeof(s) - 1)

struct eq_case {
	const char *a;
	size_t	alen;
	const char *b;
	size_t	blen;
	bool	want;
};

static const struct eq_case streq_cases[] = {
	{S(""), S(""), true},
	{S("secret"), S("secret"), true},
	{S("secret"), S("secreT"), false},
	{S("secret"), S("Secret"), false},
	{S("secret"), S("secre"), false},
	{S("secre"), S("secret"), false},
	{S(""), S("x"), false},
	{S("x"), S(""), false},
	/* a shorter string must not match its NUL-padded longer form */
	{S("ab"), S("ab\0"), false},
	{S("ab\0"), S("ab"), false},
	{S("a\0b"), S("a\0b"), true},
	{S("a\0b"), S("a\0c"), false},
	{S("\xff\x80"), S("\xff\x80"), true},
	{S("\xff\x80"), S("\x7f\x80"), false},
};

/* test_ct_streq - equal and unequal, same and different lengths */
static void
test_ct_streq(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(streq_cases); i++) {
		const struct eq_case *c = &streq_cases[i];

		if (ct_streq(c->a, c->alen, c->b, c->blen) != c->want)
			fail_msg("case %zu: ct_streq gave %d", i, !c->want);
		/* symmetric */
		assert_int_equal(ct_streq(c->b, c->blen, c->a, c->alen),
		    c->want);
	}
	/* NULL with zero length is allowed: nothing is read */
	assert_true(ct_streq(NULL, 0, NULL, 0));
}

/* test_ct_memeq - every byte position and bit matters */
static void
test_ct_memeq(void **state)
{
	unsigned char a[64], b[64];
	size_t i;
	int bit;

	(void)state;
	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 37 + 1);
	memcpy(b, a, sizeof(b));
	assert_true(ct_memeq(a, b, sizeof(a)));
	assert_true(ct_memeq(a, b, 0));
	assert_true(ct_memeq(NULL, NULL, 0));
	for (i = 0; i < sizeof(a); i++)
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (unsigned char)(1u << bit);
			assert_false(ct_memeq(a, b, sizeof(a)));
			/* a difference past len is not looked at */
			assert_true(ct_memeq(a, b, i));
			b[i] ^= (unsigned char)(1u << bit);
		}
	assert_true(ct_memeq(a, b, sizeof(a)));
	assert_true(ct_memeq(a, a, sizeof(a)));
}

/* test_wipe - bytes in range become zero, bytes around them stay */
static void
test_wipe(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	memset(buf, 'p', sizeof(buf));
	secret_wipe(buf + 8, 16);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i >= 8 && i < 24 ? '\0' : 'p');
	secret_wipe(buf, 0);
	assert_int_equal(buf[0], 'p');
	secret_wipe(NULL, 0);
	secret_wipe(NULL, 10);
}

/* test_secret_free - wipe-and-free on heap memory; ASan checks the frees */
static void
test_secret_free(void **state)
{
	char *p;

	(void)state;
	p = xstrdup("correct horse battery staple");
	secret_free_str(p);
	p = xmalloc(100);
	memset(p, 'k', 100);
	secret_free(p, 100);
	p = xstrdup("");
	secret_free_str(p);
	secret_free(NULL, 10);
	secret_free_str(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_streq),
		cmocka_unit_test(test_ct_memeq),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_secret_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
