/*
 * test_attrs.c - unit tests for the policy attribute-block codec
 *
 * Decodes run on exact-size heap copies (ASan catches reads past len) and
 * on every prefix of their input: need-more before `at`, the final result
 * from `at` on, and outputs untouched unless the result is CODEC_DONE.
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

#include "attrs.h"
#include "buf.h"
#include "codec.h"

#define S(s)	(s), (sizeof(s) - 1)

/* protocols.md §2.2: Postfix 3.7, RCPT stage, TLS with a client cert */
#define POLICY_REQUEST \
	"request=smtpd_access_policy\n" \
	"protocol_state=RCPT\n" \
	"protocol_name=ESMTP\n" \
	"client_address=198.51.100.7\n" \
	"client_name=host7.example.net\n" \
	"client_port=40123\n" \
	"reverse_client_name=host7.example.net\n" \
	"server_address=192.0.2.25\n" \
	"server_port=587\n" \
	"helo_name=host7.example.net\n" \
	"sender=app@example.net\n" \
	"recipient=user@example.com\n" \
	"recipient_count=0\n" \
	"queue_id=\n" \
	"instance=2f1c.6553a0b1.8e1f2.0\n" \
	"size=0\n" \
	"etrn_domain=\n" \
	"stress=\n" \
	"sasl_method=\n" \
	"sasl_username=\n" \
	"sasl_sender=\n" \
	"ccert_subject=host7.example.net\n" \
	"ccert_issuer=Example+20Internal+20CA\n" \
	"ccert_fingerprint=0B:E7:19:30:A4:1C:E9:2C:D8:33:81:8F:2B:FC:AE:BF:" \
	    "13:B4:77:F0:69:82:8B:1E:72:51:5E:49:28:30:39:59\n" \
	"ccert_pubkey_fingerprint=0B:54:21:13:DE:13:3A:AD:0E:86:95:C2:3A:FC:" \
	    "3C:CC:AB:10:53:47:8C:5E:84:79:6B:DC:14:E5:D4:2A:89:37\n" \
	"encryption_protocol=TLSv1.3\n" \
	"encryption_cipher=TLS_AES_256_GCM_SHA384\n" \
	"encryption_keysize=256\n" \
	"policy_context=\n" \
	"\n"

static const struct attr_limits deflim = {8192, 65536, 128};

struct nv {
	const char *name;
	const char *value;
};

#define MAXA	128

struct at_case {
	const char *name;
	const char *in;
	size_t	len;
	struct attr_limits lim;
	enum codec_result want;
	size_t	at;		/* shortest prefix giving want */
	size_t	consumed;	/* CODEC_DONE only, as are the attributes */
	unsigned nattrs;
	struct nv a[4];
};

#define NONE	{{NULL, NULL}}
#define MORE(name, in) \
	{name, S(in), {8192, 65536, 128}, CODEC_NEED_MORE, 0, 0, 0, NONE}
#define ERR(name, in, lim, res, at) \
	{name, S(in), lim, res, at, 0, 0, NONE}
#define DEF	{8192, 65536, 128}
#define LIM(l, b, a) {l, b, a}

static const struct at_case cases[] = {
	{"one attribute", S("request=smtpd_access_policy\n\n"), DEF,
	    CODEC_DONE, 29, 29, 1, {{"request", "smtpd_access_policy"}}},
	{"empty block", S("\n"), DEF, CODEC_DONE, 1, 1, 0, NONE},
	{"empty value", S("queue_id=\n\n"), DEF,
	    CODEC_DONE, 11, 11, 1, {{"queue_id", ""}}},
	{"split at the first '='", S("a=b=c\n\n"), DEF,
	    CODEC_DONE, 7, 7, 1, {{"a", "b=c"}}},
	{"CR is data", S("a=b\r\n\n"), DEF,
	    CODEC_DONE, 6, 6, 1, {{"a", "b\r"}}},
	{"duplicates are kept", S("x=1\ny=2\nx=3\n\n"), DEF,
	    CODEC_DONE, 13, 13, 3, {{"x", "1"}, {"y", "2"}, {"x", "3"}}},
	{"odd bytes in a value", S("a= \t\xff:;\n\n"), DEF,
	    CODEC_DONE, 9, 9, 1, {{"a", " \t\xff:;"}}},
	{"next block not consumed", S("a=1\n\nb=2\n"), DEF,
	    CODEC_DONE, 5, 5, 1, {{"a", "1"}}},

	/* incomplete: a missing blank line is simply not the end yet */
	MORE("nothing", ""),
	MORE("partial name", "requ"),
	MORE("no LF yet", "a=1"),
	MORE("no blank line", "a=1\n"),
	MORE("no blank line after two", "a=1\nb=2\n"),

	/* malformed */
	ERR("line without '='", "foo\n\n", DEF, CODEC_ERR_FORMAT, 4),
	ERR("second line without '='", "a=1\nfoo\n\n", DEF,
	    CODEC_ERR_FORMAT, 8),
	ERR("empty name", "=bar\n\n", DEF, CODEC_ERR_FORMAT, 1),
	ERR("empty name later", "a=1\n=\n\n", DEF, CODEC_ERR_FORMAT, 5),
	ERR("NUL in value", "a=b\0c\n\n", DEF, CODEC_ERR_FORMAT, 4),
	ERR("NUL in name", "a\0=b\n\n", DEF, CODEC_ERR_FORMAT, 2),
	ERR("NUL at line start", "\0a=b\n\n", DEF, CODEC_ERR_FORMAT, 1),
	ERR("NUL in a later line", "a=1\nb=\0\n\n", DEF,
	    CODEC_ERR_FORMAT, 7),
	ERR("CRLF lines", "a=b\r\n\r\n", DEF, CODEC_ERR_FORMAT, 7),
	ERR("space-only line", "a=1\n \n\n", DEF, CODEC_ERR_FORMAT, 6),

	/* limits: line length (LF excluded) */
	{"line at max", S("ab=de\n\n"), LIM(5, 65536, 128),
	    CODEC_DONE, 7, 7, 1, {{"ab", "de"}}},
	ERR("line max + 1", "ab=def\n\n", LIM(5, 65536, 128),
	    CODEC_ERR_SIZE, 6),
	ERR("partial line max + 1", "ab=def", LIM(5, 65536, 128),
	    CODEC_ERR_SIZE, 6),
	ERR("second line max + 1", "a=1\nab=def\n\n", LIM(5, 65536, 128),
	    CODEC_ERR_SIZE, 10),
	/* limits: block length (LFs included) */
	{"block at max", S("a=1\nb=2\n\n"), LIM(8192, 9, 128),
	    CODEC_DONE, 9, 9, 2, {{"a", "1"}, {"b", "2"}}},
	ERR("block max + 1", "a=1\nb=22\n\n", LIM(8192, 9, 128),
	    CODEC_ERR_SIZE, 10),
	ERR("block max + 1 at a line's LF", "a=1\nb=223\n\n",
	    LIM(8192, 9, 128), CODEC_ERR_SIZE, 10),
	ERR("partial block max + 1", "a=1\nb=2345", LIM(8192, 9, 128),
	    CODEC_ERR_SIZE, 10),
	{"block at max, no blank line yet", S("a=1\nb=2\nc"),
	    LIM(8192, 9, 128), CODEC_NEED_MORE, 0, 0, 0, NONE},
	/* limits: number of attributes */
	{"attrs at max", S("a=1\nb=2\n\n"), LIM(8192, 65536, 2),
	    CODEC_DONE, 9, 9, 2, {{"a", "1"}, {"b", "2"}}},
	ERR("attrs max + 1", "a=1\nb=2\nc=3\n\n", LIM(8192, 65536, 2),
	    CODEC_ERR_SIZE, 9),
	ERR("partial attrs max + 1", "a=1\nb=2\nc", LIM(8192, 65536, 2),
	    CODEC_ERR_SIZE, 9),
	{"no attrs allowed, empty block", S("\n"), LIM(8192, 65536, 0),
	    CODEC_DONE, 1, 1, 0, NONE},
	ERR("no attrs allowed", "a=1\n\n", LIM(8192, 65536, 0),
	    CODEC_ERR_SIZE, 1),
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
 * decode_prefix - decode the first k bytes of tc->in from a heap copy
 *
 * On CODEC_DONE the attributes are checked against the row, and must
 * point into the copy at the right place; otherwise out and the counters
 * must be untouched.
 */
static enum codec_result
decode_prefix(const struct at_case *tc, size_t k)
{
	struct attr out[MAXA + 1], sentinel;
	enum codec_result r;
	size_t consumed = 4242;
	unsigned nattrs = 4343, i;
	char *c = heap_copy(tc->in, k);

	assert_true(tc->lim.max_attrs <= MAXA);
	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (i = 0; i < nitems(out); i++)
		out[i] = sentinel;
	r = attrs_decode(c, k, &tc->lim, out, &nattrs, &consumed);
	if (r != CODEC_DONE) {
		for (i = 0; i < nitems(out); i++)
			assert_memory_equal(&out[i], &sentinel,
			    sizeof(sentinel));
		assert_int_equal(consumed, 4242);
		assert_int_equal(nattrs, 4343);
		free(c);
		return r;
	}
	if (consumed != tc->consumed || nattrs != tc->nattrs)
		fail_msg("%s: prefix %zu: %u attrs, %zu bytes; want %u, %zu",
		    tc->name, k, nattrs, consumed, tc->nattrs, tc->consumed);
	/* Only the first nattrs entries are written. */
	for (i = nattrs; i < nitems(out); i++)
		assert_memory_equal(&out[i], &sentinel, sizeof(sentinel));
	for (i = 0; i < nattrs && i < nitems(tc->a); i++) {
		assert_true(out[i].name >= c && out[i].value > out[i].name);
		assert_int_equal(out[i].name_len, strlen(tc->a[i].name));
		assert_memory_equal(out[i].name, tc->a[i].name,
		    out[i].name_len);
		assert_int_equal(out[i].value_len, strlen(tc->a[i].value));
		assert_memory_equal(out[i].value, tc->a[i].value,
		    out[i].value_len);
		assert_ptr_equal(out[i].value, out[i].name +
		    out[i].name_len + 1);
		assert_true((size_t)(out[i].value + out[i].value_len - c) <
		    consumed);
	}
	free(c);
	return r;
}

/* check_case - the whole input, then every prefix of it */
static void
check_case(const struct at_case *tc)
{
	enum codec_result r;
	size_t k;

	for (k = 0; k <= tc->len; k++) {
		r = decode_prefix(tc, k);
		if (k < tc->at && r != CODEC_NEED_MORE)
			fail_msg("%s: prefix %zu: got %s, want need-more",
			    tc->name, k, codec_strerror(r));
		if (k >= tc->at && r != tc->want)
			fail_msg("%s: prefix %zu: got %s, want %s", tc->name, k,
			    codec_strerror(r), codec_strerror(tc->want));
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

/* test_spec_request - the example request, whole and byte by byte */
static void
test_spec_request(void **state)
{
	static const char in[] = POLICY_REQUEST;
	struct attr out[128];
	const struct attr *a;
	struct at_case tc;
	size_t consumed;
	unsigned n;

	(void)state;
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &deflim, out, &n,
	    &consumed), CODEC_DONE);
	assert_int_equal(n, 29);
	assert_int_equal(consumed, sizeof(in) - 1);
	assert_int_equal(out[0].name_len, 7);
	assert_memory_equal(out[0].name, "request", 7);
	assert_int_equal(out[28].name_len, 14);
	assert_memory_equal(out[28].name, "policy_context", 14);
	assert_int_equal(out[28].value_len, 0);

	a = attrs_find(out, n, "ccert_fingerprint");
	assert_non_null(a);
	assert_ptr_equal(a, &out[23]);
	assert_int_equal(a->value_len, 95);
	assert_memory_equal(a->value, "0B:E7:19", 8);
	assert_memory_equal(a->value + 92, ":59", 3);
	a = attrs_find(out, n, "ccert_subject");
	assert_non_null(a);
	assert_int_equal(a->value_len, 17);
	assert_memory_equal(a->value, "host7.example.net", 17);
	a = attrs_find(out, n, "queue_id");
	assert_non_null(a);
	assert_int_equal(a->value_len, 0);
	/* Prefixes and suffixes of a name do not match; neither does case. */
	assert_null(attrs_find(out, n, "ccert"));
	assert_null(attrs_find(out, n, "ccert_fingerprints"));
	assert_null(attrs_find(out, n, "REQUEST"));
	assert_null(attrs_find(out, n, "tls_sni"));
	assert_null(attrs_find(out, 0, "request"));

	/* One byte at a time: need-more up to the blank line. */
	memset(&tc, 0, sizeof(tc));
	tc.name = "spec request";
	tc.in = in;
	tc.len = sizeof(in) - 1;
	tc.lim = deflim;
	tc.lim.max_attrs = MAXA;
	tc.want = CODEC_DONE;
	tc.at = tc.consumed = sizeof(in) - 1;
	tc.nattrs = 29;
	tc.a[0].name = "request";
	tc.a[0].value = "smtpd_access_policy";
	tc.a[1].name = "protocol_state";
	tc.a[1].value = "RCPT";
	tc.a[2].name = "protocol_name";
	tc.a[2].value = "ESMTP";
	tc.a[3].name = "client_address";
	tc.a[3].value = "198.51.100.7";
	check_case(&tc);

	/* The real limits at N and N+1, around this request. */
	tc.lim = deflim;
	tc.lim.max_attrs = 29;
	tc.lim.max_block = sizeof(in) - 1;
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &tc.lim, out, &n,
	    &consumed), CODEC_DONE);
	tc.lim.max_attrs = 28;
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &tc.lim, out, &n,
	    &consumed), CODEC_ERR_SIZE);
	tc.lim.max_attrs = 29;
	tc.lim.max_block = sizeof(in) - 2;
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &tc.lim, out, &n,
	    &consumed), CODEC_ERR_SIZE);
	tc.lim.max_block = sizeof(in) - 1;
	tc.lim.max_line = 120;	/* the pubkey fingerprint line */
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &tc.lim, out, &n,
	    &consumed), CODEC_DONE);
	tc.lim.max_line = 119;
	assert_int_equal(attrs_decode(in, sizeof(in) - 1, &tc.lim, out, &n,
	    &consumed), CODEC_ERR_SIZE);
}

/* test_pipelined - several blocks in one buffer, consumed in turn */
static void
test_pipelined(void **state)
{
	static const char in[] =
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n\n"
	    "\n"
	    "request=smtpd_access_policy\nprotocol_state=DATA\n\n"
	    "request=smtpd_acc";
	static const struct {
		unsigned n;
		const char *state;
	} want[] = {
		{2, "RCPT"}, {0, NULL}, {2, "DATA"},
	};
	struct attr out[128];
	const struct attr *a;
	const char *p = in;
	size_t left = sizeof(in) - 1, consumed, i;
	unsigned n;

	(void)state;
	for (i = 0; i < nitems(want); i++) {
		assert_int_equal(attrs_decode(p, left, &deflim, out, &n,
		    &consumed), CODEC_DONE);
		assert_int_equal(n, want[i].n);
		a = attrs_find(out, n, "protocol_state");
		if (want[i].state == NULL) {
			assert_null(a);
		} else {
			assert_non_null(a);
			assert_int_equal(a->value_len, 4);
			assert_memory_equal(a->value, want[i].state, 4);
		}
		p += consumed;
		left -= consumed;
	}
	assert_int_equal(attrs_decode(p, left, &deflim, out, &n, &consumed),
	    CODEC_NEED_MORE);
	assert_int_equal(left, 17);

	/*
	 * The block limit counts one block only: a buffer holding several
	 * blocks may be longer than max_block.
	 */
	{
		struct attr_limits lim = {8192, 49, 128};

		assert_int_equal(attrs_decode(in, sizeof(in) - 1, &lim, out,
		    &n, &consumed), CODEC_DONE);
		assert_int_equal(consumed, 49);
		lim.max_block = 48;
		assert_int_equal(attrs_decode(in, sizeof(in) - 1, &lim, out,
		    &n, &consumed), CODEC_ERR_SIZE);
	}
}

/* test_big_limits - the production limits at N and N+1 */
static void
test_big_limits(void **state)
{
	static struct attr out[128];
	static char big[65537];
	struct buf b;
	size_t consumed, i;
	unsigned n;

	(void)state;
	/* a line of exactly 8192 bytes, then one of 8193 */
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "ccert_subject="), 0);
	for (i = b.len; i < 8192; i++)
		assert_int_equal(buf_puts(&b, "x"), 0);
	assert_int_equal(buf_puts(&b, "\n\n"), 0);
	assert_int_equal(attrs_decode(b.data, b.len, &deflim, out, &n,
	    &consumed), CODEC_DONE);
	assert_int_equal(out[0].value_len, 8192 - 14);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "ccert_subject="), 0);
	for (i = b.len; i < 8193; i++)
		assert_int_equal(buf_puts(&b, "x"), 0);
	/* refused before its LF arrives */
	assert_int_equal(attrs_decode(b.data, b.len - 1, &deflim, out, &n,
	    &consumed), CODEC_NEED_MORE);
	assert_int_equal(attrs_decode(b.data, b.len, &deflim, out, &n,
	    &consumed), CODEC_ERR_SIZE);

	/* 128 attributes, then 129 */
	buf_reset(&b);
	for (i = 0; i < 128; i++)
		assert_int_equal(buf_printf(&b, "a%zu=%zu\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "\n"), 0);
	assert_int_equal(attrs_decode(b.data, b.len, &deflim, out, &n,
	    &consumed), CODEC_DONE);
	assert_int_equal(n, 128);
	assert_int_equal(consumed, b.len);
	assert_int_equal(out[127].value_len, 3);
	assert_memory_equal(out[127].value, "127", 3);
	b.len--;
	assert_int_equal(buf_puts(&b, "x"), 0);
	assert_int_equal(attrs_decode(b.data, b.len, &deflim, out, &n,
	    &consumed), CODEC_ERR_SIZE);

	/*
	 * A block of exactly 65536 bytes, then 65537: eight lines of at most
	 * 8192 bytes each, the last one cut to fit.
	 */
	memset(big, 'v', sizeof(big));
	for (i = 0; i < 8; i++) {
		memcpy(big + i * 8193, "n=", 2);
		if (i < 7)
			big[i * 8193 + 8192] = '\n';
	}
	big[65534] = '\n';
	big[65535] = '\n';
	assert_int_equal(attrs_decode(big, 65536, &deflim, out, &n,
	    &consumed), CODEC_DONE);
	assert_int_equal(n, 8);
	assert_int_equal(consumed, 65536);
	assert_int_equal(out[7].value_len, 65534 - 7 * 8193 - 2);
	big[65534] = 'v';
	big[65535] = '\n';
	big[65536] = '\n';
	assert_int_equal(attrs_decode(big, 65537, &deflim, out, &n,
	    &consumed), CODEC_ERR_SIZE);
	/* and refused before the blank line arrives */
	for (i = 65534; i <= 65536; i++)
		assert_int_equal(attrs_decode(big, i, &deflim, out, &n,
		    &consumed), CODEC_NEED_MORE);
	big[65536] = 'v';
	assert_int_equal(attrs_decode(big, 65537, &deflim, out, &n,
	    &consumed), CODEC_ERR_SIZE);
	buf_free(&b);
}

struct enc_case {
	const char *action;
	int	ret;
	const char *want;
};

static const struct enc_case enc_cases[] = {
	{"OK", 0, "action=OK\n\n"},
	{"DUNNO", 0, "action=DUNNO\n\n"},
	{"DEFER_IF_PERMIT 4.7.1 client certificate not allowed", 0,
	    "action=DEFER_IF_PERMIT 4.7.1 client certificate not allowed\n\n"},
	{"550 5.7.1 no", 0, "action=550 5.7.1 no\n\n"},
	{"", -1, NULL},			/* Postfix would permit */
	{"OK\n", -1, NULL},
	{"OK\n\naction=REJECT", -1, NULL},
	{"\n", -1, NULL},
};

/* test_encode - byte-exact replies, refusals, caps, round trip */
static void
test_encode(void **state)
{
	struct attr out[4];
	struct buf b;
	size_t i, consumed, wlen;
	unsigned n;

	(void)state;
	for (i = 0; i < nitems(enc_cases); i++) {
		buf_init(&b, 0);
		assert_int_equal(buf_puts(&b, "x"), 0);
		assert_int_equal(attrs_encode_action(&b, enc_cases[i].action),
		    enc_cases[i].ret);
		if (enc_cases[i].ret != 0) {
			assert_int_equal(b.len, 1);
			assert_string_equal(b.data, "x");
			buf_free(&b);
			continue;
		}
		assert_string_equal(b.data + 1, enc_cases[i].want);
		/* What we send decodes to one action attribute. */
		assert_int_equal(attrs_decode(b.data + 1, b.len - 1, &deflim,
		    out, &n, &consumed), CODEC_DONE);
		assert_int_equal(n, 1);
		assert_int_equal(consumed, b.len - 1);
		assert_int_equal(out[0].name_len, 6);
		assert_memory_equal(out[0].name, "action", 6);
		assert_int_equal(out[0].value_len, strlen(enc_cases[i].action));
		assert_memory_equal(out[0].value, enc_cases[i].action,
		    out[0].value_len);
		buf_free(&b);
	}

	/* cap: "action=DUNNO\n\n" is 14 bytes */
	wlen = strlen("action=DUNNO\n\n");
	buf_init(&b, wlen);
	assert_int_equal(attrs_encode_action(&b, "DUNNO"), 0);
	assert_int_equal(b.len, wlen);
	buf_free(&b);
	buf_init(&b, wlen - 1);
	assert_int_equal(attrs_encode_action(&b, "DUNNO"), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(attrs_encode_action(&b, "OK"), 0);
	assert_string_equal(b.data, "action=OK\n\n");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_spec_request),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_big_limits),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
