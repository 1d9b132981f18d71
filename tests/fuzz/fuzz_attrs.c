/*
 * fuzz_attrs.c - fuzz harness for the policy delegation attribute codec
 *
 * Invariants, for tight limits (so every limit is reached) and for the
 * production ones:
 *   - outputs are written only on CODEC_DONE, and never past max_attrs
 *     entries of `out` (an exact-size heap array, so ASan sees overruns);
 *   - DONE: consumed <= len and <= max_block, at most max_attrs attributes,
 *     every name and value lies within the consumed block and contains no
 *     LF and no NUL, the name is non-empty and has no '=', no line is
 *     longer than max_line, and the lines "name=value\n" follow each other
 *     exactly up to the empty line that ends the block; so re-encoding
 *     them reproduces the consumed bytes, and decoding that re-encoding
 *     gives the same attributes; attrs_find() returns each name's first
 *     occurrence;
 *   - stateless decoding of the front: a proper prefix of a DONE block is
 *     NEED_MORE or an error (never DONE), a prefix at least as long gives
 *     the same DONE, and an error in a prefix stays an error as more bytes
 *     arrive (limits and format are checked on partial input, and more
 *     bytes cannot repair either).
 * The input is also used as action text: attrs_encode_action() refuses an
 * empty text or one with LF, and otherwise writes a block that decodes to
 * exactly one attribute, "action", with that text as its value.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "buf.h"
#include "codec.h"
#include "fuzz.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "attrs";

#define NPREFIX	64

static const struct attr_limits limits[] = {
	{16, 64, 3},
	{64, 512, 8},
	{8192, 65536, 128},		/* the production limits */
};

/* decode - decode into an exact-size, sentinel-filled output array */
static enum codec_result
decode(const char *in, size_t len, const struct attr_limits *lim,
    struct attr **out_r, unsigned *n_r, size_t *consumed_r)
{
	static unsigned char sentinel[128 * sizeof(struct attr)];
	size_t size = lim->max_attrs * sizeof(struct attr);
	struct attr *out = xmalloc(size);
	enum codec_result r;

	if (sentinel[0] == 0)
		memset(sentinel, 0xa5, sizeof(sentinel));
	FUZZ_CHECK(size <= sizeof(sentinel));
	memcpy(out, sentinel, size);
	*n_r = 0xa5a5a5a5u;
	*consumed_r = (size_t)-1;
	r = attrs_decode(in, len, lim, out, n_r, consumed_r);
	FUZZ_CHECK(r == CODEC_DONE || r == CODEC_NEED_MORE ||
	    r == CODEC_ERR_FORMAT || r == CODEC_ERR_SIZE);
	if (r != CODEC_DONE) {
		FUZZ_CHECK(*n_r == 0xa5a5a5a5u && *consumed_r == (size_t)-1);
		FUZZ_CHECK(memcmp(out, sentinel, size) == 0);
	}
	*out_r = out;
	return r;
}

/* check_done - every property of a decoded block */
static void
check_done(const char *in, size_t len, const struct attr_limits *lim,
    const struct attr *a, unsigned n, size_t consumed)
{
	const char *p = in, *end = in + consumed;
	struct attr *a2;
	unsigned i, n2;
	size_t c2;
	struct buf out;

	FUZZ_CHECK(consumed >= 1 && consumed <= len);
	FUZZ_CHECK(consumed <= lim->max_block);
	FUZZ_CHECK(n <= lim->max_attrs);
	for (i = 0; i < n; i++) {
		/* Inside the block, and each line right after the last. */
		FUZZ_CHECK(a[i].name == p);
		FUZZ_CHECK(a[i].name_len >= 1);
		FUZZ_CHECK(a[i].name + a[i].name_len < end);
		FUZZ_CHECK(a[i].value == a[i].name + a[i].name_len + 1);
		FUZZ_CHECK(a[i].value[-1] == '=');
		FUZZ_CHECK(a[i].value + a[i].value_len < end);
		FUZZ_CHECK(a[i].value[a[i].value_len] == '\n');
		FUZZ_CHECK(a[i].name_len + 1 + a[i].value_len <= lim->max_line);
		FUZZ_CHECK(memchr(a[i].name, '=', a[i].name_len) == NULL);
		FUZZ_CHECK(memchr(a[i].name, '\n', a[i].name_len) == NULL);
		FUZZ_CHECK(memchr(a[i].name, '\0', a[i].name_len) == NULL);
		FUZZ_CHECK(memchr(a[i].value, '\n', a[i].value_len) == NULL);
		FUZZ_CHECK(memchr(a[i].value, '\0', a[i].value_len) == NULL);
		p = a[i].value + a[i].value_len + 1;
	}
	FUZZ_CHECK(p + 1 == end && *p == '\n');

	/* attrs_find() needs a C string name: the first with that name. */
	for (i = 0; i < n; i++) {
		char *name = xstrndup(a[i].name, a[i].name_len);
		const struct attr *f = attrs_find(a, n, name);

		FUZZ_CHECK(f != NULL && f <= &a[i]);
		FUZZ_CHECK(f->name_len == a[i].name_len &&
		    memcmp(f->name, name, f->name_len) == 0);
		free(name);
	}

	/* Round trip through a fresh buffer. */
	buf_init(&out, 0);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(buf_append(&out, a[i].name, a[i].name_len) == 0);
		FUZZ_CHECK(buf_append(&out, "=", 1) == 0);
		FUZZ_CHECK(buf_append(&out, a[i].value, a[i].value_len) == 0);
		FUZZ_CHECK(buf_append(&out, "\n", 1) == 0);
	}
	FUZZ_CHECK(buf_append(&out, "\n", 1) == 0);
	FUZZ_CHECK(out.len == consumed && memcmp(out.data, in, consumed) == 0);
	FUZZ_CHECK(decode(out.data, out.len, lim, &a2, &n2, &c2) == CODEC_DONE);
	FUZZ_CHECK(n2 == n && c2 == consumed);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(a2[i].name_len == a[i].name_len &&
		    a2[i].value_len == a[i].value_len &&
		    a2[i].name - out.data == a[i].name - in);
	free(a2);
	buf_free(&out);
}

/* check_limits - one set of limits: the whole input and its prefixes */
static void
check_limits(const uint8_t *data, size_t len, const struct attr_limits *lim)
{
	const char *in = (const char *)data;
	size_t consumed, c2, pfx[NPREFIX], npfx, i;
	struct attr *a, *a2;
	enum codec_result r, r2;
	unsigned n, n2;
	char *copy;

	r = decode(in, len, lim, &a, &n, &consumed);
	if (r == CODEC_DONE)
		check_done(in, len, lim, a, n, consumed);

	npfx = fuzz_prefixes(len, pfx, NPREFIX);
	for (i = 0; i < npfx; i++) {
		copy = fuzz_copy(data, pfx[i]);
		r2 = decode(copy, pfx[i], lim, &a2, &n2, &c2);
		if (r2 == CODEC_ERR_FORMAT || r2 == CODEC_ERR_SIZE)
			FUZZ_CHECK(r == CODEC_ERR_FORMAT ||
			    r == CODEC_ERR_SIZE);
		if (r == CODEC_NEED_MORE)
			FUZZ_CHECK(r2 == CODEC_NEED_MORE);
		if (r == CODEC_DONE && pfx[i] < consumed)
			FUZZ_CHECK(r2 == CODEC_NEED_MORE);
		if (r == CODEC_DONE && pfx[i] >= consumed)
			FUZZ_CHECK(r2 == CODEC_DONE && c2 == consumed &&
			    n2 == n);
		free(a2);
		free(copy);
	}
	free(a);
}

/* check_action - the input as an action text */
static void
check_action(const uint8_t *data, size_t len)
{
	static const struct attr_limits lim = {SIZE_MAX / 4, SIZE_MAX / 4, 1};
	char *text = fuzz_cstr(data, len);
	size_t tlen = strlen(text), consumed;
	struct attr *a;
	struct buf out;
	unsigned n;
	int rc;

	buf_init(&out, 0);
	rc = attrs_encode_action(&out, text);
	if (tlen == 0 || memchr(text, '\n', tlen) != NULL) {
		FUZZ_CHECK(rc == -1 && out.len == 0);
	} else {
		FUZZ_CHECK(rc == 0 && out.len == 7 + tlen + 2);
		FUZZ_CHECK(decode(out.data, out.len, &lim, &a, &n,
		    &consumed) == CODEC_DONE);
		FUZZ_CHECK(n == 1 && consumed == out.len);
		FUZZ_CHECK(a[0].name_len == 6 &&
		    memcmp(a[0].name, "action", 6) == 0);
		FUZZ_CHECK(a[0].value_len == tlen &&
		    memcmp(a[0].value, text, tlen) == 0);
		free(a);
		/* All or nothing under a cap. */
		buf_reset(&out);
		out.max = 7 + tlen + 1;
		FUZZ_CHECK(attrs_encode_action(&out, text) == -1 &&
		    out.len == 0);
	}
	buf_free(&out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t i;

	fuzz_input(data, len);
	for (i = 0; i < nitems(limits); i++)
		check_limits(data, len, &limits[i]);
	check_action(data, len);
	return 0;
}
