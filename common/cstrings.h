/*
 * cstrings.h - saslauthd "counted strings" codec (the mux socket protocol)
 *
 * A counted string is a 2-byte big-endian length then that many bytes.
 * A request is login, password, service, realm and, from cyrus-sasl master
 * clients only, a fifth field client_addr ("ip;port").
 *
 * Contract: sasl_request_decode() is stateless, like netstring_decode(): it
 *   looks at everything buffered so far.
 *   - Fewer than 4 complete fields: CODEC_NEED_MORE.
 *   - 4 complete fields and nothing after them: CODEC_DONE, nfields = 4.
 *     A 4-field client is never made to wait for a fifth field.
 *   - 4 fields plus a complete fifth: CODEC_DONE, nfields = 5.
 *   - 4 fields plus a partial fifth: CODEC_NEED_MORE, unless `final` is set
 *     (the caller's grace timer ran out or the peer shut down its side),
 *     in which case CODEC_DONE with nfields = 4.
 *   Any length over SASL_FIELD_MAX (256): CODEC_ERR_SIZE as soon as the
 *   length bytes are seen (Cyrus answers "NO " and closes). Empty login or
 *   password is *not* a codec error: the session answers it like Cyrus.
 *   Bytes after the request (a 5-field request's leftovers on a slow path)
 *   are the caller's to drain; *consumed_r says where the request ended.
 * Ownership: fields point into `in`; no allocation, no NUL termination.
 */
#ifndef PFH_CSTRINGS_H
#define PFH_CSTRINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"

struct buf;

#define SASL_FIELD_MAX		256
#define SASL_REPLY_MAX		1023	/* libsasl2 reads at most this much */

enum sasl_field {
	SASL_F_LOGIN, SASL_F_PASSWORD, SASL_F_SERVICE, SASL_F_REALM,
	SASL_F_CLIENT_ADDR, SASL_F_COUNT
};

struct sasl_request {
	const char *field[SASL_F_COUNT];
	size_t	len[SASL_F_COUNT];
	int	nfields;		/* 4 or 5 */
};

enum codec_result sasl_request_decode(const char *in, size_t len, bool final,
	    struct sasl_request *req, size_t *consumed_r);
/* sasl_cstring_encode - append one counted string; -1 on cap or len > 65535 */
int	sasl_cstring_encode(struct buf *out, const char *data, size_t len);
/* sasl_reply_encode - append the reply ("OK" or "NO reason"), text clipped to SASL_REPLY_MAX */
int	sasl_reply_encode(struct buf *out, const char *text);

#endif /* PFH_CSTRINGS_H */
