/*
 * test_netstring.c - unit tests for the netstring codec
 *
 * Every decode runs on an exact-size heap copy of its input, so ASan
 * reports any read past `len`. Every table row is also fed as all of its
 * prefixes: that is the "one byte at a time" case of a stateless decoder,
 * and it pins down the exact byte at which an error or a limit is seen.
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
#include "codec.h"
#include "netstring.h"

#define S(s)	(s), (sizeof(s) - 1)

struct ns_case {
	const char *name;
	const char *in;
	size_t	len;
	size_t	max;			/* max_payload */
	enum codec_result want;		/* on the whole input */
	size_t	at;			/* shortest prefix that gives `want` */
	size_t	consumed;		/* CODEC_DONE only */
	const char *payload;
	size_t	plen;
};

/* Rows that do not decode leave the DONE-only columns empty. */
#define MORE(name, in, max) \
	{name, S(in), max, CODEC_NEED_MORE, 0, 0, NULL, 0}
#define ERR(name, in, max, res, at) \
	{name, S(in), max, res, at, 0, NULL, 0}

static const struct ns_case cases[] = {
	/* protocols.md §4.1 */
	{"spec example", S("21:tlspolicy example.com,"), 100000,
	    CODEC_DONE, 25, 25, S("tlspolicy example.com")},
	{"empty payload", S("0:,"), 100000, CODEC_DONE, 3, 3, S("")},
	{"socketmap reply", S("27:OK secure match=example.com,"), 100000,
	    CODEC_DONE, 31, 31, S("OK secure match=example.com")},
	{"binary payload with NUL", S("5:a\0b\n\xff,"), 100000,
	    CODEC_DONE, 8, 8, S("a\0b\n\xff")},
	{"payload holds ':' and ','", S("4:1:,,,"), 100000,
	    CODEC_DONE, 7, 7, S("1:,,")},
	{"trailing bytes are not consumed", S("3:abc,3:d"), 100000,
	    CODEC_DONE, 6, 6, S("abc")},

	/* incomplete */
	MORE("nothing yet", "", 100000),
	MORE("lone zero", "0", 100000),
	MORE("digits only", "21", 100000),
	MORE("no payload yet", "21:", 100000),
	MORE("no comma yet", "21:tlspolicy example.com", 100000),

	/* malformed */
	ERR("leading zero", "01:a,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("double zero", "00:,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("zero then non-digit", "0x:,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("no digits", ":,", 100000, CODEC_ERR_FORMAT, 1),
	ERR("non-digit length", "a:,", 100000, CODEC_ERR_FORMAT, 1),
	ERR("sign", "+3:abc,", 100000, CODEC_ERR_FORMAT, 1),
	ERR("negative", "-1:a,", 100000, CODEC_ERR_FORMAT, 1),
	ERR("space before length", " 3:abc,", 100000, CODEC_ERR_FORMAT, 1),
	ERR("space after length", "3 :abc,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("missing ':'", "3;abc,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("NUL in length", "2\0:ab,", 100000, CODEC_ERR_FORMAT, 2),
	ERR("missing ','", "3:abcd", 100000, CODEC_ERR_FORMAT, 6),
	ERR("NUL instead of ','", "3:abc\0", 100000, CODEC_ERR_FORMAT, 6),
	MORE("payload shorter than length", "4:abc,", 100000),
	ERR("payload longer than length", "2:abc,", 100000,
	    CODEC_ERR_FORMAT, 5),
	ERR("CRLF instead of ','", "1:a\r\n", 100000, CODEC_ERR_FORMAT, 4),

	/* limits: N and N+1, complete and while the digits arrive */
	{"at max", S("5:hello,"), 5, CODEC_DONE, 8, 8, S("hello")},
	ERR("max + 1", "6:hello!,", 5, CODEC_ERR_SIZE, 1),
	ERR("max + 1, digits only", "6", 5, CODEC_ERR_SIZE, 1),
	{"two-digit max", S("10:0123456789,"), 10,
	    CODEC_DONE, 14, 14, S("0123456789")},
	ERR("two-digit max + 1", "11:0123456789a,", 10, CODEC_ERR_SIZE, 2),
	MORE("two-digit max, prefix 1 is fine", "1", 10),
	ERR("more digits than max has", "10:0123456789,", 9,
	    CODEC_ERR_SIZE, 2),
	{"max 0", S("0:,"), 0, CODEC_DONE, 3, 3, S("")},
	ERR("max 0, length 1", "1:a,", 0, CODEC_ERR_SIZE, 1),
	ERR("overflowing length", "99999999999999999999:", 100000,
	    CODEC_ERR_SIZE, 6),
	ERR("overflowing length, no ':'", "99999999999999999999", 100000,
	    CODEC_ERR_SIZE, 6),
	MORE("socketmap max reply", "100000:", 100000),
	ERR("socketmap max reply + 1", "100001:", 100000,
	    CODEC_ERR_SIZE, 6),
};

/* heap_copy - exact-size copy, so ASan catches reads past len */
static char *
heap_copy(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	assert_non_null(c);
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

/* decode_copy - decode a heap copy of in; sentinels show untouched outputs */
static enum codec_result
decode_copy(const char *in, size_t len, size_t max, size_t *consumed,
    const char **payload, size_t *plen, size_t *off_r)
{
	char *c = heap_copy(in, len);
	enum codec_result r;

	*consumed = 4242;
	*payload = "sentinel";
	*plen = 4343;
	r = netstring_decode(c, len, max, consumed, payload, plen);
	/* Report the payload as an offset: the copy is gone after free(). */
	*off_r = r == CODEC_DONE ? (size_t)(*payload - c) : 0;
	free(c);
	return r;
}

/* check_case - the whole input, then every prefix of it */
static void
check_case(const struct ns_case *tc)
{
	enum codec_result r;
	const char *payload;
	size_t consumed, plen, off, k;

	r = decode_copy(tc->in, tc->len, tc->max, &consumed, &payload, &plen,
	    &off);
	if (r != tc->want)
		fail_msg("%s: got %s, want %s", tc->name, codec_strerror(r),
		    codec_strerror(tc->want));
	if (r == CODEC_DONE) {
		assert_int_equal(consumed, tc->consumed);
		assert_int_equal(plen, tc->plen);
		assert_memory_equal(tc->in + off, tc->payload, tc->plen);
	} else {
		/* Outputs are set only on CODEC_DONE. */
		assert_int_equal(consumed, 4242);
		assert_string_equal(payload, "sentinel");
		assert_int_equal(plen, 4343);
	}

	for (k = 0; k < tc->len; k++) {
		r = decode_copy(tc->in, k, tc->max, &consumed, &payload,
		    &plen, &off);
		if (k < tc->at && r != CODEC_NEED_MORE)
			fail_msg("%s: prefix %zu: got %s, want need-more",
			    tc->name, k, codec_strerror(r));
		if (k >= tc->at && r != tc->want)
			fail_msg("%s: prefix %zu: got %s, want %s", tc->name, k,
			    codec_strerror(r), codec_strerror(tc->want));
		if (r == CODEC_DONE) {
			assert_int_equal(consumed, tc->consumed);
			assert_int_equal(plen, tc->plen);
			assert_memory_equal(tc->in + off, tc->payload,
			    tc->plen);
		}
	}
}

/* test_table - every row of the decode table */
static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++)
		check_case(&cases[i]);
}

/* test_size_t_overflow - a length one past SIZE_MAX, with no payload limit */
static void
test_size_t_overflow(void **state)
{
	char in[64];
	struct ns_case tc;
	int n;

	(void)state;
	/* SIZE_MAX = 2^(4k) - 1 ends in 5, so adding 1 is a digit change. */
	n = snprintf(in, sizeof(in), "%zu:", (size_t)SIZE_MAX);
	assert_true(n > 2 && in[n - 2] == '5');
	memset(&tc, 0, sizeof(tc));
	tc.name = "SIZE_MAX announced";
	tc.in = in;
	tc.len = (size_t)n;
	tc.max = SIZE_MAX;
	tc.want = CODEC_NEED_MORE;	/* legal, just never complete */
	check_case(&tc);

	in[n - 2] = '6';
	tc.name = "SIZE_MAX + 1 announced";
	tc.want = CODEC_ERR_SIZE;
	tc.at = (size_t)n - 1;
	check_case(&tc);
}

/* test_pipelined - several netstrings in one buffer, consumed in turn */
static void
test_pipelined(void **state)
{
	static const char in[] = "21:tlspolicy example.com,0:,5:a\0b,c,3:ab";
	static const struct {
		const char *payload;
		size_t	plen;
	} want[] = {
		{S("tlspolicy example.com")}, {S("")}, {S("a\0b,c")},
	};
	const char *p = in, *payload;
	size_t left = sizeof(in) - 1, consumed, plen, i;

	(void)state;
	for (i = 0; i < nitems(want); i++) {
		assert_int_equal(netstring_decode(p, left, 100, &consumed,
		    &payload, &plen), CODEC_DONE);
		assert_int_equal(plen, want[i].plen);
		assert_memory_equal(payload, want[i].payload, plen);
		assert_ptr_equal(payload, strchr(p, ':') + 1);
		p += consumed;
		left -= consumed;
	}
	/* The last one is still arriving. */
	assert_int_equal(netstring_decode(p, left, 100, &consumed, &payload,
	    &plen), CODEC_NEED_MORE);
	assert_int_equal(left, 4);
}

struct enc_case {
	const char *name;
	const char *data;
	size_t	len;
	const char *want;
	size_t	wlen;
};

static const struct enc_case enc_cases[] = {
	{"spec example", S("tlspolicy example.com"),
	    S("21:tlspolicy example.com,")},
	{"empty", S(""), S("0:,")},
	{"binary", S("\0\n,:"), S("4:\0\n,:,")},
	{"OK reply", S("OK secure"), S("9:OK secure,")},
	{"ten bytes", S("0123456789"), S("10:0123456789,")},
};

/* test_encode - byte-exact encodings, appended after existing content */
static void
test_encode(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(enc_cases); i++) {
		buf_init(&b, 0);
		assert_int_equal(buf_puts(&b, "x"), 0);
		assert_int_equal(netstring_encode(&b, enc_cases[i].data,
		    enc_cases[i].len), 0);
		assert_int_equal(b.len, 1 + enc_cases[i].wlen);
		assert_memory_equal(b.data + 1, enc_cases[i].want,
		    enc_cases[i].wlen);
		assert_int_equal(b.data[b.len], '\0');
		buf_free(&b);
	}
	/* NULL data is fine when there is none. */
	buf_init(&b, 0);
	assert_int_equal(netstring_encode(&b, NULL, 0), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "0:,", 3);
	buf_free(&b);
}

/* test_encode_cap - exactly at the cap works; one byte short changes nothing */
static void
test_encode_cap(void **state)
{
	struct buf b;

	(void)state;
	/* "ab" + "21:tlspolicy example.com," = 27 bytes */
	buf_init(&b, 27);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(netstring_encode(&b, S("tlspolicy example.com")), 0);
	assert_int_equal(b.len, 27);
	assert_int_equal(netstring_encode(&b, S("")), -1);
	assert_int_equal(b.len, 27);
	buf_free(&b);

	buf_init(&b, 26);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(netstring_encode(&b, S("tlspolicy example.com")), -1);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.data, "ab");
	/* Room for a smaller one is still used. */
	assert_int_equal(netstring_encode(&b, S("0123456789")), 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, "ab10:0123456789,", 16);
	buf_free(&b);

	/* A buffer larger than its first allocation. */
	buf_init(&b, 100000 + 8);
	{
		char *big = malloc(100000);

		assert_non_null(big);
		memset(big, 'q', 100000);
		assert_int_equal(netstring_encode(&b, big, 100000), 0);
		assert_int_equal(b.len, 100000 + 8);
		assert_int_equal(netstring_encode(&b, big, 0), -1);
		free(big);
	}
	buf_free(&b);
}

/* test_round_trip - encode, then decode back, for many lengths and bytes */
static void
test_round_trip(void **state)
{
	struct buf b;
	char data[1100];
	const char *payload;
	size_t len, consumed, plen, i, total = 0;
	uint32_t x = 2463534242u;

	(void)state;
	buf_init(&b, 0);
	for (len = 0; len <= sizeof(data); len += len < 20 ? 1 : 37) {
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			data[i] = (char)(x & 0xff);
		}
		buf_reset(&b);
		assert_int_equal(netstring_encode(&b, data, len), 0);
		assert_int_equal(netstring_decode(b.data, b.len, len,
		    &consumed, &payload, &plen), CODEC_DONE);
		assert_int_equal(consumed, b.len);
		assert_int_equal(plen, len);
		assert_memory_equal(payload, data, len);
		/* With a limit one lower, the same bytes are refused. */
		if (len > 0)
			assert_int_equal(netstring_decode(b.data, b.len,
			    len - 1, &consumed, &payload, &plen),
			    CODEC_ERR_SIZE);
		total++;
	}
	assert_true(total > 40);
	buf_free(&b);
}

/* test_strerror - every result has its own text */
static void
test_strerror(void **state)
{
	static const enum codec_result all[] = {
		CODEC_DONE, CODEC_NEED_MORE, CODEC_ERR_FORMAT, CODEC_ERR_SIZE,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(all); i++) {
		assert_non_null(codec_strerror(all[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(codec_strerror(all[i]),
			    codec_strerror(all[j]));
	}
	assert_non_null(codec_strerror((enum codec_result)99));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_size_t_overflow),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_cap),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
