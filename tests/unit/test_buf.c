/*
 * test_buf.c - unit tests for the capped growable buffer
 *
 * The secret-mode tests look at the private base pointer: whether wiped
 * bytes are really zero can only be seen from inside.
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

#include "buf.h"

/* assert_buf - contents, length, and the NUL after them */
static void
assert_buf(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
	assert_int_equal(b->data[len], '\0');
}

/* test_init - an empty, NUL-terminated buffer */
static void
test_init(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_non_null(b.data);
	assert_int_equal(b.max, 100);
	assert_buf(&b, "", 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free(&b);			/* twice is harmless */
}

/* test_append_cap - up to the cap, exactly at it, and one byte over */
static void
test_append_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_int_equal(buf_append(&b, "world!", 6), -1);
	assert_buf(&b, "hello", 5);
	assert_int_equal(buf_append(&b, "world", 5), 0);
	assert_buf(&b, "helloworld", 10);
	assert_int_equal(buf_append(&b, "x", 1), -1);
	assert_int_equal(buf_puts(&b, "x"), -1);
	assert_buf(&b, "helloworld", 10);
	/* nothing still fits into a full buffer */
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_puts(&b, ""), 0);
	assert_buf(&b, "helloworld", 10);
	buf_free(&b);

	/* a cap beyond the first allocation */
	buf_init(&b, 1000);
	{
		char big[1001];

		memset(big, 'q', sizeof(big));
		assert_int_equal(buf_append(&b, big, 1001), -1);
		assert_int_equal(b.len, 0);
		assert_int_equal(buf_append(&b, big, 999), 0);
		assert_int_equal(buf_append(&b, big, 2), -1);
		assert_int_equal(buf_append(&b, big, 1), 0);
		assert_int_equal(b.len, 1000);
		assert_int_equal(b.data[1000], '\0');
	}
	buf_free(&b);

	/* binary data with NULs is kept whole */
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_buf(&b, "a\0b", 3);
	buf_free(&b);
}

/* test_no_cap - max 0 grows as far as needed */
static void
test_no_cap(void **state)
{
	struct buf b;
	char chunk[4096];
	size_t i, j;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 256; i++) {
		memset(chunk, (int)('a' + i % 26), sizeof(chunk));
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(b.len, 256 * sizeof(chunk));
	for (i = 0; i < 256; i++)
		for (j = 0; j < sizeof(chunk); j += 1024)
			assert_int_equal(b.data[i * sizeof(chunk) + j],
			    'a' + i % 26);
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

/* test_printf - small, growing, repeated, and at the cap */
static void
test_printf(void **state)
{
	struct buf b;
	char want[2001];
	size_t i;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_buf(&b, "n=42", 4);
	/* far past the first allocation, in one call */
	assert_int_equal(buf_printf(&b, "%02000d", 7), 0);
	assert_int_equal(b.len, 2004);
	assert_int_equal(b.data[2003], '7');
	assert_int_equal(b.data[4], '0');
	assert_int_equal(b.data[2004], '\0');
	buf_free(&b);

	/* many calls, some straddling a growth */
	buf_init(&b, 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(buf_printf(&b, "%09zu,", i), 0);
		snprintf(want + i * 10, 11, "%09zu,", i);
	}
	assert_buf(&b, want, 2000);
	buf_free(&b);

	/* exactly at the cap, and over it where growth would be needed */
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%s", "abc"), 0);
	assert_int_equal(buf_printf(&b, "%097d", 1), 0);
	assert_int_equal(b.len, 100);
	assert_int_equal(buf_printf(&b, "x"), -1);
	assert_int_equal(b.len, 100);
	buf_free(&b);

	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "keep"), 0);
	assert_int_equal(buf_printf(&b, "%0200d", 1), -1);
	assert_buf(&b, "keep", 4);
	buf_free(&b);
}

/*
 * test_printf_cap_in_place - output over the cap but within the storage
 *
 * With max 10 the first allocation (64 bytes) has room for more than the
 * cap allows; the cap, not the storage, must decide.
 */
static void
test_printf_cap_in_place(void **state)
{
	struct buf b;
	size_t avail;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), -1);
	assert_buf(&b, "ab", 2);
	assert_int_equal(buf_printf(&b, "%s", "01234"), 0);
	assert_buf(&b, "ab01234", 7);
	/* buf_space() offers no more than the cap leaves */
	assert_non_null(buf_space(&b, 64, &avail));
	assert_int_equal(avail, 3);
	assert_int_equal(buf_printf(&b, "%s", "567"), 0);
	assert_buf(&b, "ab01234567", 10);
	buf_free(&b);
}

/* test_consume - from the front, cheaply, and past the end */
static void
test_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	buf_consume(&b, 3);
	assert_buf(&b, "3456789", 7);
	assert_string_equal(b.data, "3456789");
	buf_consume(&b, 0);
	assert_buf(&b, "3456789", 7);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_buf(&b, "3456789ab", 9);
	buf_consume(&b, 9);
	assert_buf(&b, "", 0);
	assert_int_equal(buf_puts(&b, "xy"), 0);
	buf_consume(&b, 1000);
	assert_buf(&b, "", 0);
	buf_reset(&b);
	assert_buf(&b, "", 0);
	assert_int_equal(buf_puts(&b, "again"), 0);
	buf_reset(&b);
	assert_buf(&b, "", 0);
	buf_free(&b);
}

/*
 * test_compact - consumed bytes are reused before the storage grows
 *
 * 60 bytes in, 50 consumed, 40 more: 50 live bytes fit the first 64-byte
 * allocation once the consumed front is reclaimed.
 */
static void
test_compact(void **state)
{
	struct buf b;
	char want[100], *base;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want); i++)
		want[i] = (char)('A' + i % 26);
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, want, 60), 0);
	base = b.base;
	buf_consume(&b, 50);
	assert_int_equal(buf_append(&b, want + 60, 40), 0);
	assert_buf(&b, want + 50, 50);
	assert_ptr_equal(b.data, b.base);
	assert_ptr_equal(b.base, base);
	/* the cap counts live bytes, not consumed ones */
	assert_int_equal(buf_append(&b, want, 50), 0);
	assert_int_equal(b.len, 100);
	assert_memory_equal(b.data + 50, want, 50);
	assert_int_equal(buf_append(&b, "x", 1), -1);
	buf_consume(&b, 1);
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(b.data[99], 'x');
	assert_int_equal(b.data[100], '\0');
	buf_free(&b);
}

/* test_space - reserve, write, commit */
static void
test_space(void **state)
{
	struct buf b;
	size_t avail;
	char *w;

	(void)state;
	buf_init(&b, 200);
	w = buf_space(&b, 150, &avail);
	assert_non_null(w);
	assert_true(avail >= 150);
	memset(w, 's', 150);
	buf_commit(&b, 150);
	assert_int_equal(b.len, 150);
	assert_int_equal(b.data[150], '\0');
	w = buf_space(&b, 50, &avail);
	assert_non_null(w);
	assert_true(avail >= 50);
	memcpy(w, "tail", 4);
	buf_commit(&b, 4);
	assert_memory_equal(b.data + 150, "tail", 4);
	assert_int_equal(b.len, 154);
	w = buf_space(&b, 46, NULL);
	assert_non_null(w);
	buf_commit(&b, 46);
	assert_int_equal(b.len, 200);
	/* full: no room at all */
	assert_null(buf_space(&b, 1, &avail));
	buf_free(&b);
}

/* test_secret_consume - consumed secret bytes are zero, not just skipped */
static void
test_secret_consume(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	buf_set_secret(&b);
	assert_int_equal(buf_puts(&b, "hunter2:letmein"), 0);
	buf_consume(&b, 8);
	assert_buf(&b, "letmein", 7);
	for (i = 0; i < 8; i++)
		assert_int_equal(b.base[i], '\0');
	buf_consume(&b, 7);
	assert_int_equal(b.len, 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(b.base[i], '\0');
	buf_free(&b);
}

/*
 * test_secret_compact - compaction leaves no stale copy behind the data
 *
 * 60 secret bytes, 30 consumed, 20 appended: the 30 live bytes move to
 * the front, and the old copy of the last 10 of them, now past the end,
 * must be wiped.
 */
static void
test_secret_compact(void **state)
{
	struct buf b;
	char s[60];
	size_t i;

	(void)state;
	memset(s, 'S', sizeof(s));
	buf_init(&b, 0);
	buf_set_secret(&b);
	assert_int_equal(buf_append(&b, s, 60), 0);
	buf_consume(&b, 30);
	assert_int_equal(buf_append(&b, "tttttttttttttttttttt", 20), 0);
	assert_ptr_equal(b.data, b.base);
	assert_int_equal(b.len, 50);
	assert_memory_equal(b.data, s, 30);
	for (i = 50; i < 60; i++)
		assert_int_equal(b.base[i], '\0');
	buf_free(&b);
}

/* test_secret_grow - growth keeps the contents; printf works too */
static void
test_secret_grow(void **state)
{
	struct buf b;
	char s[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(s); i++)
		s[i] = (char)(i * 7);
	buf_init(&b, 0);
	buf_set_secret(&b);
	for (i = 0; i < sizeof(s); i += 30)
		assert_int_equal(buf_append(&b, s + i, 30), 0);
	assert_int_equal(b.len, 300);
	assert_memory_equal(b.data, s, 300);
	assert_int_equal(buf_printf(&b, "%0500d", 5), 0);
	assert_int_equal(b.len, 800);
	assert_memory_equal(b.data, s, 300);
	assert_int_equal(b.data[799], '5');
	buf_consume(&b, 100);
	assert_int_equal(buf_append(&b, s, 300), 0);
	assert_memory_equal(b.data, s + 100, 200);
	assert_memory_equal(b.data + 700, s, 300);
	buf_free(&b);
	assert_null(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_append_cap),
		cmocka_unit_test(test_no_cap),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_cap_in_place),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_secret_consume),
		cmocka_unit_test(test_secret_compact),
		cmocka_unit_test(test_secret_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
