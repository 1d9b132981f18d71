/*
 * cstrings.c - saslauthd "counted strings" codec (the mux socket protocol)
 *
 * The fifth field (client_addr) exists only in unreleased cyrus-sasl master;
 * released clients send four fields in one write and then wait for the
 * reply. So the decoder answers as soon as four fields are complete and
 * nothing follows them, and takes a fifth only when its bytes are already
 * here. Whether to wait for the rest of a partial fifth field is the
 * caller's decision (a short grace timer), signalled through `final`.
 *
 * saslauthd serves one request per connection, so there is no pipelining
 * to handle: whatever follows the request is drained by the caller.
 */
#include "sysdep.h"

#include <string.h>

#include "buf.h"
#include "cstrings.h"

#define SASL_CSTRING_MAX	65535	/* what a 2-byte length can say */

static enum codec_result field_decode(const char *, size_t, size_t *,
	    const char **, size_t *);
static int counted_append(struct buf *, const char *, size_t);

/* sasl_request_decode - decode a 4- or 5-field request from the front of in */
enum codec_result
sasl_request_decode(const char *in, size_t len, bool final,
    struct sasl_request *req, size_t *consumed_r)
{
	struct sasl_request r;
	enum codec_result res;
	size_t pos = 0;
	int i;

	memset(&r, 0, sizeof(r));
	for (i = SASL_F_LOGIN; i <= SASL_F_REALM; i++) {
		res = field_decode(in, len, &pos, &r.field[i], &r.len[i]);
		if (res != CODEC_DONE)
			return res;
	}
	r.nfields = 4;

	/*
	 * A fifth field. An oversized length is an error even under `final`,
	 * like any other: a 4-field client sends nothing after the realm, so
	 * these bytes were meant as a fifth field, and Cyrus master (the only
	 * 5-field server) refuses an oversized one.
	 */
	if (pos < len) {
		res = field_decode(in, len, &pos, &r.field[SASL_F_CLIENT_ADDR],
		    &r.len[SASL_F_CLIENT_ADDR]);
		if (res == CODEC_DONE)
			r.nfields = 5;
		else if (res != CODEC_NEED_MORE || !final)
			return res;
		/*
		 * Else a partial fifth field, and the caller waited long
		 * enough: field_decode() left pos after the realm.
		 */
	}
	*req = r;
	*consumed_r = pos;
	return CODEC_DONE;
}

/*
 * field_decode - one counted string at in + *pos; advance *pos on success
 *
 * The length is checked as soon as both of its bytes are here, before any
 * of the data, so an oversized field is refused without waiting for it.
 */
static enum codec_result
field_decode(const char *in, size_t len, size_t *pos, const char **data_r,
    size_t *len_r)
{
	const unsigned char *p = (const unsigned char *)in + *pos;
	size_t avail = len - *pos, n;

	if (avail < 2)
		return CODEC_NEED_MORE;
	n = (size_t)p[0] << 8 | p[1];
	if (n > SASL_FIELD_MAX)
		return CODEC_ERR_SIZE;
	if (avail - 2 < n)
		return CODEC_NEED_MORE;
	*data_r = in + *pos + 2;
	*len_r = n;
	*pos += 2 + n;
	return CODEC_DONE;
}

/* sasl_cstring_encode - append one counted string; -1 on cap or len > 65535 */
int
sasl_cstring_encode(struct buf *out, const char *data, size_t len)
{
	if (len > SASL_CSTRING_MAX)
		return -1;
	return counted_append(out, data, len);
}

/* sasl_reply_encode - append the reply, text clipped to SASL_REPLY_MAX */
int
sasl_reply_encode(struct buf *out, const char *text)
{
	/*
	 * libsasl2 reads at most 1023 bytes of the reply and leaves the rest
	 * unread; clipping keeps the reply self-consistent instead.
	 */
	return counted_append(out, text, strnlen(text, SASL_REPLY_MAX));
}

/* counted_append - length and data in one step, or nothing when over cap */
static int
counted_append(struct buf *out, const char *data, size_t len)
{
	size_t total = 2 + len;
	char *w;

	if (out->max && total > out->max - out->len)
		return -1;
	if ((w = buf_space(out, total, NULL)) == NULL)
		return -1;
	w[0] = (char)(unsigned char)(len >> 8);
	w[1] = (char)(unsigned char)(len & 0xff);
	if (len > 0)
		memcpy(w + 2, data, len);
	buf_commit(out, total);
	return 0;
}
