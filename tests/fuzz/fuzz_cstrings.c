/*
 * fuzz_cstrings.c - fuzz harness for the saslauthd counted-string codec
 *
 * Invariants, with `final` both unset and set:
 *   - outputs are written only on CODEC_DONE;
 *   - DONE: 4 or 5 fields, each at most SASL_FIELD_MAX bytes, laid out back
 *     to back inside the consumed bytes, each after its own 2-byte
 *     big-endian length; re-encoding the fields with sasl_cstring_encode()
 *     gives back exactly the consumed bytes, and decoding that again gives
 *     the same fields;
 *   - without `final`, a 4-field DONE consumed everything (a 4-field client
 *     is answered at once, but never while a fifth field is arriving);
 *     with `final`, a 4-field DONE that left bytes left a partial fifth;
 *   - `final` only turns "partial fifth field" NEED_MORE into a 4-field
 *     DONE: every other result is the same either way;
 *   - an error in a prefix stays an error as more bytes arrive.
 * The input is also used as reply text for sasl_reply_encode(), which must
 * clip it to SASL_REPLY_MAX (at its first NUL) and frame it exactly.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "cstrings.h"
#include "fuzz.h"

const char fuzz_seed_dir[] = "cstrings";

#define NPREFIX	256

/* be16 - the 2-byte big-endian length at p */
static size_t
be16(const char *p)
{
	return (size_t)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

/* check_done - layout and round trip of a decoded request */
static void
check_done(const char *in, size_t len, bool final,
    const struct sasl_request *req, size_t consumed)
{
	struct sasl_request r2;
	const char *p = in;
	size_t c2, n;
	struct buf out;
	int i;

	FUZZ_CHECK(req->nfields == 4 || req->nfields == 5);
	FUZZ_CHECK(consumed <= len);
	for (i = 0; i < req->nfields; i++) {
		FUZZ_CHECK(req->len[i] <= SASL_FIELD_MAX);
		FUZZ_CHECK(be16(p) == req->len[i]);
		FUZZ_CHECK(req->field[i] == p + 2);
		p += 2 + req->len[i];
	}
	FUZZ_CHECK(p == in + consumed);
	if (req->nfields == 4 && consumed < len) {
		/* Only `final` may give up on a partial fifth field. */
		FUZZ_CHECK(final);
		n = len - consumed;
		FUZZ_CHECK(n < 2 || (be16(p) <= SASL_FIELD_MAX &&
		    n - 2 < be16(p)));
	}

	buf_init(&out, 0);
	for (i = 0; i < req->nfields; i++)
		FUZZ_CHECK(sasl_cstring_encode(&out, req->field[i],
		    req->len[i]) == 0);
	FUZZ_CHECK(out.len == consumed && memcmp(out.data, in, consumed) == 0);
	memset(&r2, 0, sizeof(r2));
	FUZZ_CHECK(sasl_request_decode(out.data, out.len, false, &r2,
	    &c2) == CODEC_DONE);
	FUZZ_CHECK(c2 == consumed && r2.nfields == req->nfields);
	for (i = 0; i < req->nfields; i++)
		FUZZ_CHECK(r2.len[i] == req->len[i] &&
		    memcmp(r2.field[i], req->field[i], req->len[i]) == 0);
	buf_free(&out);
}

/* decode - one decode with sentinel outputs that must survive non-DONE */
static enum codec_result
decode(const char *in, size_t len, bool final, struct sasl_request *req,
    size_t *consumed)
{
	enum codec_result r;

	memset(req, 0xa5, sizeof(*req));
	*consumed = (size_t)-1;
	r = sasl_request_decode(in, len, final, req, consumed);
	FUZZ_CHECK(r == CODEC_DONE || r == CODEC_NEED_MORE ||
	    r == CODEC_ERR_FORMAT || r == CODEC_ERR_SIZE);
	if (r != CODEC_DONE) {
		struct sasl_request s;

		memset(&s, 0xa5, sizeof(s));
		FUZZ_CHECK(*consumed == (size_t)-1);
		FUZZ_CHECK(memcmp(req, &s, sizeof(s)) == 0);
	}
	return r;
}

/* check_reply - the input as reply text, clipped and framed */
static void
check_reply(const uint8_t *data, size_t len)
{
	char *text = fuzz_cstr(data, len);
	size_t n = strlen(text);
	struct buf out;

	if (n > SASL_REPLY_MAX)
		n = SASL_REPLY_MAX;
	buf_init(&out, 0);
	FUZZ_CHECK(sasl_reply_encode(&out, text) == 0);
	FUZZ_CHECK(out.len == 2 + n && be16(out.data) == n);
	FUZZ_CHECK(memcmp(out.data + 2, text, n) == 0);
	/* All or nothing under a cap. */
	buf_reset(&out);
	out.max = 1 + n;
	FUZZ_CHECK(sasl_reply_encode(&out, text) == -1 && out.len == 0);
	buf_free(&out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *in = (const char *)data;
	struct sasl_request req, reqf, rp;
	size_t consumed, consumedf, cp, pfx[NPREFIX], npfx, i;
	enum codec_result r, rf, r2;
	char *copy;

	fuzz_input(data, len);
	r = decode(in, len, false, &req, &consumed);
	rf = decode(in, len, true, &reqf, &consumedf);
	if (r == CODEC_DONE)
		check_done(in, len, false, &req, consumed);
	if (rf == CODEC_DONE)
		check_done(in, len, true, &reqf, consumedf);

	/* `final` changes nothing but a partial fifth field. */
	if (r == CODEC_DONE)
		FUZZ_CHECK(rf == CODEC_DONE && consumedf == consumed &&
		    reqf.nfields == req.nfields);
	else if (r == CODEC_NEED_MORE)
		FUZZ_CHECK(rf == CODEC_NEED_MORE ||
		    (rf == CODEC_DONE && reqf.nfields == 4));
	else
		FUZZ_CHECK(rf == r);

	/* Shorter reads: an error, once seen, is never taken back. */
	npfx = fuzz_prefixes(len, pfx, NPREFIX);
	for (i = 0; i < npfx; i++) {
		copy = fuzz_copy(data, pfx[i]);
		r2 = decode(copy, pfx[i], false, &rp, &cp);
		if (r2 == CODEC_ERR_FORMAT || r2 == CODEC_ERR_SIZE)
			FUZZ_CHECK(r == r2);
		/*
		 * A 5-field request is complete in no shorter read: before
		 * its end a read is at most the 4 fields, exactly.
		 */
		if (r == CODEC_DONE && req.nfields == 5 && r2 == CODEC_DONE) {
			if (pfx[i] < consumed)
				FUZZ_CHECK(rp.nfields == 4 && pfx[i] == cp);
			else
				FUZZ_CHECK(rp.nfields == 5 && cp == consumed);
		}
		free(copy);
	}

	check_reply(data, len);
	return 0;
}
