/*
 * netstring.c - netstring codec (socketmap wire format, "LEN:DATA,")
 *
 * The decoder is stateless: it re-parses the length prefix on every call.
 * That prefix is at most as many digits as max_payload has, so the rescan
 * is cheap, and the caller keeps no decoder state between reads.
 *
 * We are stricter than Postfix's own reader (which accepts leading zeros
 * and an empty length): the spec forbids both, and refusing them means one
 * payload has exactly one encoding on the wire.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"

/* netstring_decode - decode at most one netstring from the front of in */
enum codec_result
netstring_decode(const char *in, size_t len, size_t max_payload,
    size_t *consumed_r, const char **payload_r, size_t *payload_len_r)
{
	size_t pos, n = 0, avail;
	unsigned d;

	for (pos = 0; pos < len && in[pos] != ':'; pos++) {
		if (in[pos] < '0' || in[pos] > '9')
			return CODEC_ERR_FORMAT;
		/* "0" may only stand alone: "00:" and "01:" are rejected. */
		if (pos == 1 && in[0] == '0')
			return CODEC_ERR_FORMAT;
		d = (unsigned)(in[pos] - '0');
		/*
		 * Check the limit before multiplying: this both stops a peer
		 * from announcing more than we will buffer, while the digits
		 * are still arriving, and rules out size_t overflow.
		 */
		if (d > max_payload || n > (max_payload - d) / 10)
			return CODEC_ERR_SIZE;
		n = n * 10 + d;
	}
	if (pos == len)
		return CODEC_NEED_MORE;
	if (pos == 0)				/* ":" without digits */
		return CODEC_ERR_FORMAT;

	/* in[pos] is ':'. Written without pos + 1 + n + 1, which can wrap. */
	avail = len - pos - 1;
	if (avail <= n)
		return CODEC_NEED_MORE;
	if (in[pos + 1 + n] != ',')
		return CODEC_ERR_FORMAT;

	*consumed_r = pos + 1 + n + 1;
	*payload_r = in + pos + 1;
	*payload_len_r = n;
	return CODEC_DONE;
}

/* netstring_encode - append "LEN:DATA," to out; -1 if out's cap is hit */
int
netstring_encode(struct buf *out, const char *data, size_t len)
{
	char hdr[sizeof(size_t) * 3 + 2];
	size_t hlen, total;
	char *w;
	int r;

	r = snprintf(hdr, sizeof(hdr), "%zu:", len);
	if (r < 0 || (size_t)r >= sizeof(hdr))
		return -1;
	hlen = (size_t)r;
	if (len > SIZE_MAX - hlen - 1)
		return -1;
	total = hlen + len + 1;

	/*
	 * Reserve the whole netstring at once: three separate appends could
	 * leave a header without its payload in out when the cap is hit.
	 */
	if (out->max && total > out->max - out->len)
		return -1;
	if ((w = buf_space(out, total, NULL)) == NULL)
		return -1;
	memcpy(w, hdr, hlen);
	if (len > 0)
		memcpy(w + hlen, data, len);
	w[hlen + len] = ',';
	buf_commit(out, total);
	return 0;
}
