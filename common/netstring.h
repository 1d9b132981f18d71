/*
 * netstring.h - netstring codec (socketmap wire format, "LEN:DATA,")
 *
 * Contract: netstring_decode() looks at the first `len` bytes of `in`
 *   (everything the connection has buffered so far) and decodes at most one
 *   netstring from the front. It is stateless: call it again with the longer
 *   buffer when more bytes arrive. The payload limit is checked while the
 *   length digits are still arriving. Strict form: decimal digits without
 *   leading zeros (except "0:"), ':' then exactly LEN bytes then ','.
 * Ownership: *payload_r points into `in`; valid while the caller's buffer is.
 *   No allocation.
 * Errors: CODEC_ERR_SIZE when the announced length exceeds max_payload (or
 *   has more digits than max_payload can have); CODEC_ERR_FORMAT for a
 *   non-digit, leading zero, missing ':' or missing ','. Outputs are set
 *   only on CODEC_DONE.
 */
#ifndef PFH_NETSTRING_H
#define PFH_NETSTRING_H

#include <stddef.h>

#include "codec.h"

struct buf;

enum codec_result netstring_decode(const char *in, size_t len,
	    size_t max_payload, size_t *consumed_r, const char **payload_r,
	    size_t *payload_len_r);
/* netstring_encode - append "LEN:DATA," to out; -1 if out's cap is hit */
int	netstring_encode(struct buf *out, const char *data, size_t len);

#endif /* PFH_NETSTRING_H */
