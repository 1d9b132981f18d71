/*
 * test_cstrings.c - unit tests for the saslauthd counted-string codec
 *
 * Decodes run on exact-size heap copies (ASan catches reads past len) and
 * on every prefix of their input. Unlike the other codecs the prefix
 * results are not monotonic: a 5-field request is first a complete
 * 4-field request, then (with final unset) incomplete again, then complete
 * with 5 fields. check_prefixes() spells that out.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "cstrings.h"

#define S(s)	(s), (sizeof(s) - 1)

/*
 * protocols.md §1.2. Literals are split after every length because hex
 * escapes are greedy: "\x0bexample" would be one escape.
 */
#define REQ4 \
	"\x00\x05" "alice" "\x00\x06" "s3cret" "\x00\x04" "smtp" \
	"\x00\x0b" "example.org"
#define FIELD5	"\x00\x10" "192.0.2.10;49152"
#define REQ5	REQ4 FIELD5
#define LEN4	34
#define LEN5	52

struct field {
	const char *p;
	size_t	len;
};

struct cs_case {
	const char *name;
	const char *in;
	size_t	len;
	bool	final;
	enum codec_result want;
	size_t	at;			/* errors: first prefix with want */
	int	nfields;		/* CODEC_DONE only, from here on */
	size_t	consumed;
	struct field f[SASL_F_COUNT];
};

#define F4(a, b, c, d)	{{S(a)}, {S(b)}, {S(c)}, {S(d)}, {NULL, 0}}
#define F5(a, b, c, d, e) {{S(a)}, {S(b)}, {S(c)}, {S(d)}, {S(e)}}
#define SPEC4	F4("alice", "s3cret", "smtp", "example.org")
#define SPEC5	F5("alice", "s3cret", "smtp", "example.org", "192.0.2.10;49152")
#define NOF	{{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}}
#define MORE(name, in, fin) \
	{name, S(in), fin, CODEC_NEED_MORE, 0, 0, 0, NOF}
#define ERR(name, in, fin, res, at) \
	{name, S(in), fin, res, at, 0, 0, NOF}

static const struct cs_case cases[] = {
	/* protocols.md §1.2, byte for byte */
	{"spec 4-field", S(REQ4), false, CODEC_DONE, 0, 4, LEN4, SPEC4},
	{"spec 4-field, final", S(REQ4), true, CODEC_DONE, 0, 4, LEN4, SPEC4},
	{"spec 5-field", S(REQ5), false, CODEC_DONE, 0, 5, LEN5, SPEC5},
	{"spec 5-field, final", S(REQ5), true, CODEC_DONE, 0, 5, LEN5, SPEC5},

	/* the fifth field */
	MORE("partial 5th length", REQ4 "\x00", false),
	{"partial 5th length, final", S(REQ4 "\x00"), true,
	    CODEC_DONE, 0, 4, LEN4, SPEC4},
	MORE("partial 5th data", REQ4 "\x00\x10" "192.0.2", false),
	{"partial 5th data, final", S(REQ4 "\x00\x10" "192.0.2"), true,
	    CODEC_DONE, 0, 4, LEN4, SPEC4},
	{"empty 5th field", S(REQ4 "\x00\x00"), false,
	    CODEC_DONE, 0, 5, LEN4 + 2,
	    F5("alice", "s3cret", "smtp", "example.org", "")},
	{"5 fields then leftovers", S(REQ5 "\x00\x03" "xyz"), false,
	    CODEC_DONE, 0, 5, LEN5, SPEC5},

	/* empty and odd fields are the session's business, not errors */
	{"all empty", S("\0\0\0\0\0\0\0\0"), false,
	    CODEC_DONE, 0, 4, 8, F4("", "", "", "")},
	{"empty login and password", S("\0\0\0\0\x00\x04" "smtp" "\0\0"),
	    false, CODEC_DONE, 0, 4, 12, F4("", "", "smtp", "")},
	{"NUL bytes pass through", S("\x00\x03" "a\0b" "\x00\x02" "\0\0"
	    "\x00\x01" "s" "\x00\x00"), false,
	    CODEC_DONE, 0, 4, 14, F4("a\0b", "\0\0", "s", "")},
	{"binary password", S("\x00\x01" "u" "\x00\x03" "\xff\x80\n"
	    "\x00\x01" "s" "\x00\x00"), false,
	    CODEC_DONE, 0, 4, 13, F4("u", "\xff\x80\n", "s", "")},

	/* fewer than four fields: even `final` cannot complete them */
	MORE("nothing", "", false),
	MORE("nothing, final", "", true),
	MORE("one length byte", "\x00", true),
	MORE("login only", "\x00\x05" "alice", true),
	MORE("three fields", "\x00\x05" "alice" "\x00\x06" "s3cret"
	    "\x00\x04" "smtp", true),
	MORE("realm cut short", "\x00\x05" "alice" "\x00\x06" "s3cret"
	    "\x00\x04" "smtp" "\x00\x0b" "example.or", true),
	/* One byte cannot tell 0x0200 from 0x0100: wait for the second. */
	MORE("high length byte only", "\x02", false),

	/* limits: length bytes are enough to refuse */
	ERR("login 257", "\x01\x01", false, CODEC_ERR_SIZE, 2),
	ERR("login 0xffff", "\xff\xff" "x", false, CODEC_ERR_SIZE, 2),
	ERR("password 257", "\x00\x01" "a" "\x01\x01", false,
	    CODEC_ERR_SIZE, 5),
	ERR("realm 512", "\x00\x01" "a" "\x00\x01" "b" "\x00\x01" "c"
	    "\x02\x00", true, CODEC_ERR_SIZE, 11),
	ERR("5th 257", REQ4 "\x01\x01", false, CODEC_ERR_SIZE, LEN4 + 2),
	ERR("5th 257, final", REQ4 "\x01\x01", true, CODEC_ERR_SIZE,
	    LEN4 + 2),
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

/*
 * decode_prefix - decode the first k bytes of in from a heap copy
 *
 * On CODEC_DONE the fields are checked against want (pointers must point
 * into the copy at the right place); otherwise the outputs must be
 * untouched.
 */
static enum codec_result
decode_prefix(const char *name, const char *in, size_t k, bool final,
    const struct cs_case *want)
{
	struct sasl_request req, sentinel;
	enum codec_result r;
	size_t consumed = 4242, off;
	char *c = heap_copy(in, k);
	int i;

	memset(&sentinel, 0x5a, sizeof(sentinel));
	req = sentinel;
	r = sasl_request_decode(c, k, final, &req, &consumed);
	if (r != CODEC_DONE) {
		assert_memory_equal(&req, &sentinel, sizeof(req));
		assert_int_equal(consumed, 4242);
	} else if (want != NULL) {
		if (req.nfields != want->nfields || consumed != want->consumed)
			fail_msg("%s: prefix %zu: %d fields, %zu bytes; want "
			    "%d, %zu", name, k, req.nfields, consumed,
			    want->nfields, want->consumed);
		for (i = 0; i < SASL_F_COUNT; i++) {
			assert_int_equal(req.len[i], want->f[i].len);
			if (i >= req.nfields) {
				assert_null(req.field[i]);
				continue;
			}
			off = (size_t)(req.field[i] - c);
			assert_true(off + req.len[i] <= consumed);
			assert_memory_equal(in + off, want->f[i].p,
			    want->f[i].len);
		}
	}
	free(c);
	return r;
}

/* as4 - the 4-field reading of a 5-field case */
static struct cs_case
as4(const struct cs_case *tc)
{
	struct cs_case c4 = *tc;

	if (tc->nfields == 5) {
		c4.nfields = 4;
		c4.consumed = tc->consumed - 2 - tc->f[SASL_F_CLIENT_ADDR].len;
		c4.f[SASL_F_CLIENT_ADDR].p = NULL;
		c4.f[SASL_F_CLIENT_ADDR].len = 0;
	}
	return c4;
}

/*
 * check_case - the whole input, then every prefix
 *
 * For a request that decodes: need-more until the four fields are in;
 * then 4 fields; then, until a fifth is complete, need-more or (final)
 * 4 fields; then 5 fields. For an error: anything but an error before
 * `at`, that error from `at` on. For need-more: never an error.
 */
static void
check_case(const struct cs_case *tc)
{
	struct cs_case c4;
	enum codec_result r;
	size_t k, end4;

	r = decode_prefix(tc->name, tc->in, tc->len, tc->final, tc);
	if (r != tc->want)
		fail_msg("%s: got %s, want %s", tc->name, codec_strerror(r),
		    codec_strerror(tc->want));

	c4 = as4(tc);
	end4 = c4.consumed;
	for (k = 0; k < tc->len; k++) {
		if (tc->want != CODEC_DONE) {
			r = decode_prefix(tc->name, tc->in, k, tc->final, NULL);
			/* A need-more row may pass a whole 4-field request. */
			if ((k < tc->at || tc->want == CODEC_NEED_MORE) &&
			    (r == CODEC_ERR_FORMAT || r == CODEC_ERR_SIZE))
				fail_msg("%s: prefix %zu: early %s", tc->name,
				    k, codec_strerror(r));
			if (k >= tc->at && tc->want != CODEC_NEED_MORE &&
			    r != tc->want)
				fail_msg("%s: prefix %zu: got %s, want %s",
				    tc->name, k, codec_strerror(r),
				    codec_strerror(tc->want));
			continue;
		}
		if (k < end4) {
			r = decode_prefix(tc->name, tc->in, k, tc->final, NULL);
			assert_int_equal(r, CODEC_NEED_MORE);
		} else if (k == end4 || (k < tc->consumed && tc->final) ||
		    tc->nfields == 4) {
			r = decode_prefix(tc->name, tc->in, k, tc->final, &c4);
			assert_int_equal(r, CODEC_DONE);
		} else if (k < tc->consumed) {
			r = decode_prefix(tc->name, tc->in, k, tc->final, NULL);
			assert_int_equal(r, CODEC_NEED_MORE);
		} else {
			r = decode_prefix(tc->name, tc->in, k, tc->final, tc);
			assert_int_equal(r, CODEC_DONE);
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

/* test_spec_lengths - the spec vectors have the lengths we think */
static void
test_spec_lengths(void **state)
{
	(void)state;
	/*
	 * protocols.md §1.2 says the 5-field request is "82 bytes long";
	 * it is 52 (0x34): 34 for the four fields plus 2 + 16.
	 */
	assert_int_equal(sizeof(REQ4) - 1, LEN4);
	assert_int_equal(sizeof(REQ5) - 1, LEN5);
}

/*
 * check_field_limit - a request whose field `pos` has `size` bytes
 *
 * The other fields have 1 to 5 bytes, so every position is exercised in
 * a 5-field request; check_case() then also covers its 4-field prefix.
 */
static void
check_field_limit(int pos, size_t size, bool final)
{
	static char data[0xffff];
	struct cs_case tc;
	struct buf b;
	size_t off = 0, n;
	int f;

	memset(data, 'z', sizeof(data));
	memset(&tc, 0, sizeof(tc));
	buf_init(&b, 0);
	for (f = 0; f < SASL_F_COUNT; f++) {
		n = f == pos ? size : (size_t)f + 1;
		if (f < pos)
			off += 2 + n;
		assert_int_equal(sasl_cstring_encode(&b, data, n), 0);
		tc.f[f].p = data;
		tc.f[f].len = n;
	}
	tc.name = "field limit";
	tc.in = b.data;
	tc.len = b.len;
	tc.final = final;
	if (size <= SASL_FIELD_MAX) {
		tc.want = CODEC_DONE;
		tc.nfields = 5;
		tc.consumed = b.len;
	} else {
		tc.want = CODEC_ERR_SIZE;
		tc.at = off + 2;
		/* What follows the length cannot matter: keep the walk short */
		tc.len = tc.at + 3;
	}
	check_case(&tc);
	buf_free(&b);
}

/*
 * test_field_limits - 256 and 257 bytes in each of the five positions
 *
 * 256 decodes; 257 is refused as soon as its two length bytes are in,
 * with or without `final`, without waiting for the data.
 */
static void
test_field_limits(void **state)
{
	static const size_t sizes[] = {
		0, 1, SASL_FIELD_MAX, SASL_FIELD_MAX + 1, 0x1ff, 0xffff,
	};
	size_t si;
	int pos;

	(void)state;
	for (pos = 0; pos < SASL_F_COUNT; pos++)
		for (si = 0; si < nitems(sizes); si++) {
			check_field_limit(pos, sizes[si], false);
			check_field_limit(pos, sizes[si], true);
		}
}

/* test_pipelined - leftovers after a request stay for the caller */
static void
test_pipelined(void **state)
{
	static const char in[] = REQ5 REQ5 "\x00";
	struct sasl_request req;
	size_t consumed;

	(void)state;
	/*
	 * saslauthd has one request per connection, so only a 5-field
	 * request can be followed by anything meaningful: after a 4-field
	 * one, the next login would be read as client_addr.
	 */
	assert_int_equal(sasl_request_decode(in, sizeof(in) - 1, false, &req,
	    &consumed), CODEC_DONE);
	assert_int_equal(req.nfields, 5);
	assert_int_equal(consumed, LEN5);
	assert_int_equal(sasl_request_decode(in + consumed,
	    sizeof(in) - 1 - consumed, false, &req, &consumed), CODEC_DONE);
	assert_int_equal(req.nfields, 5);
	assert_int_equal(consumed, LEN5);
	assert_memory_equal(req.field[SASL_F_CLIENT_ADDR], "192.0.2.10;49152",
	    16);
	assert_int_equal(sasl_request_decode(in + 2 * LEN5, 1, true, &req,
	    &consumed), CODEC_NEED_MORE);

	/* The trap from protocols.md §1.3, seen from the decoder. */
	assert_int_equal(sasl_request_decode(REQ4 REQ4, 2 * LEN4, false, &req,
	    &consumed), CODEC_DONE);
	assert_int_equal(req.nfields, 5);
	assert_int_equal(req.len[SASL_F_CLIENT_ADDR], 5);
}

/* test_cstring_encode - byte-exact, 65535 and 65536, caps */
static void
test_cstring_encode(void **state)
{
	static char big[65536];
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(sasl_cstring_encode(&b, S("alice")), 0);
	assert_int_equal(sasl_cstring_encode(&b, S("s3cret")), 0);
	assert_int_equal(sasl_cstring_encode(&b, S("smtp")), 0);
	assert_int_equal(sasl_cstring_encode(&b, S("example.org")), 0);
	assert_int_equal(b.len, LEN4);
	assert_memory_equal(b.data, REQ4, LEN4);
	assert_int_equal(sasl_cstring_encode(&b, S("192.0.2.10;49152")), 0);
	assert_memory_equal(b.data, REQ5, LEN5);
	assert_int_equal(sasl_cstring_encode(&b, NULL, 0), 0);
	assert_int_equal(b.len, LEN5 + 2);
	assert_memory_equal(b.data + LEN5, "\0\0", 2);

	buf_reset(&b);
	memset(big, 'b', sizeof(big));
	assert_int_equal(sasl_cstring_encode(&b, big, 65535), 0);
	assert_int_equal(b.len, 65537);
	assert_memory_equal(b.data, "\xff\xff" "bbb", 5);
	assert_int_equal(sasl_cstring_encode(&b, big, 65536), -1);
	assert_int_equal(b.len, 65537);
	buf_free(&b);

	/* cap: 2 + 5 fits in 7, not in 6, and a failure changes nothing */
	buf_init(&b, 7);
	assert_int_equal(sasl_cstring_encode(&b, S("alice")), 0);
	assert_int_equal(b.len, 7);
	buf_free(&b);
	buf_init(&b, 6);
	assert_int_equal(sasl_cstring_encode(&b, S("alice")), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(sasl_cstring_encode(&b, S("bob")), 0);
	assert_memory_equal(b.data, "\x00\x03" "bob", 5);
	assert_int_equal(sasl_cstring_encode(&b, S("x")), -1);
	assert_int_equal(b.len, 5);
	assert_int_equal(b.data[5], '\0');
	buf_free(&b);
}

struct reply_case {
	const char *text;
	const char *want;
	size_t	wlen;
};

/* protocols.md §1.4 */
static const struct reply_case reply_cases[] = {
	{"OK", S("\x00\x02\x4f\x4b")},
	{"NO PAM auth error", S("\x00\x11\x4e\x4f\x20\x50\x41\x4d\x20\x61"
	    "\x75\x74\x68\x20\x65\x72\x72\x6f\x72")},
	{"NO ", S("\x00\x03\x4e\x4f\x20")},
	{"NO Incorrect password", S("\x00\x15" "NO Incorrect password")},
	{"", S("\x00\x00")},
};

/* test_reply_encode - byte-exact replies, clipping at 1023, caps */
static void
test_reply_encode(void **state)
{
	static const size_t lens[] = {
		SASL_REPLY_MAX - 1, SASL_REPLY_MAX, SASL_REPLY_MAX + 1, 5000,
	};
	char text[5001];
	struct buf b;
	size_t i, want;

	(void)state;
	for (i = 0; i < nitems(reply_cases); i++) {
		buf_init(&b, 0);
		assert_int_equal(sasl_reply_encode(&b, reply_cases[i].text), 0);
		assert_int_equal(b.len, reply_cases[i].wlen);
		assert_memory_equal(b.data, reply_cases[i].want, b.len);
		buf_free(&b);
	}

	memcpy(text, "NO ", 3);
	for (i = 0; i < nitems(lens); i++) {
		memset(text + 3, 'r', lens[i] - 3);
		text[lens[i]] = '\0';
		want = lens[i] > SASL_REPLY_MAX ? SASL_REPLY_MAX : lens[i];
		buf_init(&b, 0);
		assert_int_equal(sasl_reply_encode(&b, text), 0);
		assert_int_equal(b.len, 2 + want);
		assert_int_equal((unsigned char)b.data[0], want >> 8);
		assert_int_equal((unsigned char)b.data[1], want & 0xff);
		assert_memory_equal(b.data + 2, text, want);
		buf_free(&b);
	}

	/* caps: "OK" needs 4 bytes; the clipped reply 1025 */
	buf_init(&b, 4);
	assert_int_equal(sasl_reply_encode(&b, "OK"), 0);
	buf_free(&b);
	buf_init(&b, 3);
	assert_int_equal(sasl_reply_encode(&b, "OK"), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	buf_init(&b, 2 + SASL_REPLY_MAX);
	assert_int_equal(sasl_reply_encode(&b, text), 0);
	buf_free(&b);
	buf_init(&b, 1 + SASL_REPLY_MAX);
	assert_int_equal(sasl_reply_encode(&b, text), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* test_round_trip - encode 4 or 5 random fields, decode them back */
static void
test_round_trip(void **state)
{
	char data[SASL_F_COUNT][SASL_FIELD_MAX];
	size_t len[SASL_F_COUNT], consumed, i;
	struct sasl_request req;
	struct buf b;
	uint32_t x = 88172645u;
	int round, f, nf;

	(void)state;
	for (round = 0; round < 500; round++) {
		nf = 4 + round % 2;
		buf_init(&b, 0);
		for (f = 0; f < nf; f++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			len[f] = round < 10 ? (size_t)round : x % 257;
			for (i = 0; i < len[f]; i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				data[f][i] = (char)x;
			}
			assert_int_equal(sasl_cstring_encode(&b, data[f],
			    len[f]), 0);
		}
		assert_int_equal(sasl_request_decode(b.data, b.len, false,
		    &req, &consumed), CODEC_DONE);
		assert_int_equal(req.nfields, nf);
		assert_int_equal(consumed, b.len);
		for (f = 0; f < nf; f++) {
			assert_int_equal(req.len[f], len[f]);
			assert_memory_equal(req.field[f], data[f], len[f]);
		}
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_spec_lengths),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_cstring_encode),
		cmocka_unit_test(test_reply_encode),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
