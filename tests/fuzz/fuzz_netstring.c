/*
 * fuzz_netstring.c - fuzz harness for netstring_decode()/netstring_encode()
 *
 * Invariants checked on every input, for a small and a large payload limit:
 *   - outputs are written only on CODEC_DONE;
 *   - DONE: consumed <= len, the payload lies inside the input, within the
 *     limit, between "LEN:" and ',', and re-encoding it gives back exactly
 *     the consumed bytes (the strict form has one encoding per payload);
 *     decoding that encoding gives the same payload;
 *   - the decoder is stateless and sees only the front: every proper
 *     prefix of a DONE input is NEED_MORE (a prefix at least as long as
 *     the message gives the same DONE), every prefix of a NEED_MORE input
 *     is NEED_MORE, and an error in a prefix stays an error when more
 *     bytes arrive (a peer cannot talk its way out of a refusal).
 * A cap one byte short of the encoding must make netstring_encode() fail
 * without writing anything.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "fuzz.h"
#include "netstring.h"

const char fuzz_seed_dir[] = "netstring";

#define NPREFIX	256

/* check_one - every invariant for one payload limit */
static void
check_one(const uint8_t *data, size_t len, size_t max)
{
	size_t consumed = (size_t)-1, plen = (size_t)-1, c2, p2;
	size_t pfx[NPREFIX], npfx, i, digits;
	const char *payload = (const char *)"sentinel";
	const char *in = (const char *)data, *pl2;
	char *copy;
	enum codec_result r, r2;
	struct buf out;

	r = netstring_decode(in, len, max, &consumed, &payload, &plen);
	FUZZ_CHECK(r == CODEC_DONE || r == CODEC_NEED_MORE ||
	    r == CODEC_ERR_FORMAT || r == CODEC_ERR_SIZE);
	if (r != CODEC_DONE) {
		FUZZ_CHECK(consumed == (size_t)-1 && plen == (size_t)-1);
		FUZZ_CHECK(strcmp(payload, "sentinel") == 0);
	} else {
		FUZZ_CHECK(consumed <= len);
		FUZZ_CHECK(plen <= max);
		FUZZ_CHECK(payload > in && payload + plen < in + consumed);
		digits = (size_t)(payload - in) - 1;
		FUZZ_CHECK(digits >= 1 && in[digits] == ':');
		FUZZ_CHECK(consumed == digits + 1 + plen + 1);
		FUZZ_CHECK(in[consumed - 1] == ',');
		FUZZ_CHECK(digits == 1 || in[0] != '0');

		/* Round trip: encode(decode(x)) is x, decode(encode(p)) is p. */
		buf_init(&out, 0);
		FUZZ_CHECK(netstring_encode(&out, payload, plen) == 0);
		FUZZ_CHECK(out.len == consumed);
		FUZZ_CHECK(memcmp(out.data, in, consumed) == 0);
		r2 = netstring_decode(out.data, out.len, max, &c2, &pl2, &p2);
		FUZZ_CHECK(r2 == CODEC_DONE && c2 == consumed && p2 == plen);
		FUZZ_CHECK(memcmp(pl2, payload, plen) == 0);

		/* A cap one byte short refuses, and leaves out untouched. */
		buf_reset(&out);
		out.max = consumed - 1;
		FUZZ_CHECK(netstring_encode(&out, payload, plen) == -1);
		FUZZ_CHECK(out.len == 0);
		buf_free(&out);
	}

	/* Byte at a time: what each shorter read would have seen. */
	npfx = fuzz_prefixes(len, pfx, NPREFIX);
	for (i = 0; i < npfx; i++) {
		/* An exact-size copy, so ASan sees a read past the prefix. */
		copy = fuzz_copy(data, pfx[i]);
		r2 = netstring_decode(copy, pfx[i], max, &c2, &pl2, &p2);
		switch (r) {
		case CODEC_DONE:
			if (pfx[i] < consumed)
				FUZZ_CHECK(r2 == CODEC_NEED_MORE);
			else
				FUZZ_CHECK(r2 == CODEC_DONE && c2 == consumed &&
				    p2 == plen &&
				    pl2 - copy == payload - in);
			break;
		case CODEC_NEED_MORE:
			FUZZ_CHECK(r2 == CODEC_NEED_MORE);
			break;
		default:
			/* An error is final: no prefix of it completes. */
			FUZZ_CHECK(r2 != CODEC_DONE);
			break;
		}
		/* And an error in a prefix stays an error with more bytes. */
		if (r2 == CODEC_ERR_FORMAT || r2 == CODEC_ERR_SIZE)
			FUZZ_CHECK(r == CODEC_ERR_FORMAT || r == CODEC_ERR_SIZE);
		free(copy);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	/* A tight limit reaches the size checks; a loose one the payloads. */
	check_one(data, len, 0);
	check_one(data, len, 9);
	check_one(data, len, 100);
	check_one(data, len, 65536);
	check_one(data, len, SIZE_MAX);
	return 0;
}
