/*
 * test_htab.c - unit tests for htab.c: insert, lookup, order, arena
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "htab.h"

static int vals[8];

/* Keys are bytes: NUL, length and case all matter. */
static const struct {
	const char *key;
	size_t	len;
} keys[] = {
	{"", 0}, {"a", 1}, {"a\0", 2}, {"A", 1}, {"ab", 2},
	{"\0\0\0\0\0\0\0\0x", 9}, {"\0\0\0\0\0\0\0\0y", 9},
	{"a long key that spans several eight-byte words", 47},
};

static void
test_basic(void **state)
{
	const struct htab_ent *e;
	struct htab_ent *ne;
	struct htab *h = htab_new(0);
	size_t i;

	(void)state;
	for (i = 0; i < nitems(keys); i++) {
		assert_int_equal(htab_enter(h, keys[i].key, keys[i].len,
		    &vals[i], &ne), 1);
		assert_ptr_equal(ne->val, &vals[i]);
		assert_int_equal(ne->len, keys[i].len);
		assert_memory_equal(ne->key, keys[i].key, keys[i].len);
		assert_int_equal(ne->key[keys[i].len], 0);
		/* the table has its own copy */
		assert_ptr_not_equal(ne->key, keys[i].key);
	}
	assert_int_equal(htab_count(h), nitems(keys));
	for (i = 0; i < nitems(keys); i++) {
		assert_ptr_equal(htab_find(h, keys[i].key, keys[i].len),
		    &vals[i]);
		e = htab_at(h, i);		/* insertion order */
		assert_int_equal(e->len, keys[i].len);
		assert_memory_equal(e->key, keys[i].key, keys[i].len);
	}
	/* present keys are never replaced */
	assert_int_equal(htab_enter(h, "a", 1, &vals[7], &ne), 0);
	assert_ptr_equal(ne->val, &vals[1]);
	assert_int_equal(htab_enter(h, "a", 1, &vals[7], NULL), 0);
	assert_ptr_equal(htab_find(h, "a", 1), &vals[1]);
	assert_int_equal(htab_count(h), nitems(keys));
	/* misses */
	assert_null(htab_find(h, "b", 1));
	assert_ptr_equal(htab_find(h, "ab", 1), &vals[1]);	/* "a" */
	assert_null(htab_find(h, "abc", 3));
	assert_null(htab_find(h, "\0\0\0\0\0\0\0\0z", 9));
	htab_free(h);
	htab_free(NULL);
}

/* Growth from the smallest size keeps every entry reachable and in order. */
static void
test_growth(void **state)
{
	struct htab *h = htab_new(0);
	const struct htab_ent *e;
	char key[32];
	unsigned i;
	int n;

	(void)state;
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(htab_enter(h, key, (size_t)n,
		    (void *)(uintptr_t)(i + 1), NULL), 1);
	}
	assert_int_equal(htab_count(h), 100000);
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal((uintptr_t)htab_find(h, key, (size_t)n), i + 1);
		e = htab_at(h, i);
		assert_string_equal(e->key, key);
		n = snprintf(key, sizeof(key), "x%u", i);
		assert_null(htab_lookup(h, key, (size_t)n));
	}
	htab_free(h);
}

/* Arena memory: aligned, writable, big blocks, and lives with the table. */
static void
test_arena(void **state)
{
	struct htab *h = htab_new(10);
	char *s, *big, *small[1000];
	size_t i;
	void *p;

	(void)state;
	s = htab_strndup(h, "hello world", 5);
	assert_string_equal(s, "hello");
	assert_string_equal(htab_strndup(h, "", 0), "");
	for (i = 0; i < 1000; i++) {
		p = htab_alloc(h, i % 13 + 1);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xab, i % 13 + 1);
		small[i] = htab_strndup(h, "xyz", 3);
	}
	big = htab_alloc(h, 1024 * 1024);
	memset(big, 1, 1024 * 1024);
	/* small allocations after a big one still work and stay intact */
	assert_string_equal(htab_strndup(h, "after", 5), "after");
	assert_non_null(htab_alloc(h, 0));
	for (i = 0; i < 1000; i++)
		assert_string_equal(small[i], "xyz");
	assert_string_equal(s, "hello");
	htab_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
