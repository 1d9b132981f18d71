/*
 * attrs.h - Postfix policy delegation attribute blocks
 *
 * A request is "name=value\n" lines ended by an empty line ("\n"). LF only:
 * CR is data, as in Postfix's own reader.
 *
 * Contract: attrs_decode() is stateless: it looks at everything buffered and
 *   decodes at most one block from the front. Limits are checked on partial
 *   input: a line longer than max_line (without its LF), a block longer than
 *   max_block (with all LFs), or more than max_attrs attributes give
 *   CODEC_ERR_SIZE even before the block ends. A line without '=', an empty
 *   name, or a NUL byte anywhere gives CODEC_ERR_FORMAT. Duplicate names are
 *   kept (attrs_find() returns the first); unknown names are the caller's to
 *   ignore. Empty values are fine ("queue_id=").
 *   `out` must have room for max_attrs entries. Outputs are set only on
 *   CODEC_DONE.
 * Ownership: names and values point into `in`; no allocation.
 */
#ifndef PFH_ATTRS_H
#define PFH_ATTRS_H

#include <stddef.h>

#include "codec.h"

struct buf;

struct attr {
	const char *name;
	size_t	name_len;
	const char *value;
	size_t	value_len;
};

struct attr_limits {
	size_t	max_line;	/* bytes in one line, LF excluded (8192) */
	size_t	max_block;	/* bytes in one request, LFs included (65536) */
	unsigned max_attrs;	/* attributes per request (128) */
};

enum codec_result attrs_decode(const char *in, size_t len,
	    const struct attr_limits *lim, struct attr *out, unsigned *nattrs_r,
	    size_t *consumed_r);
/* attrs_find - first attribute called `name`, or NULL */
const struct attr *attrs_find(const struct attr *, unsigned n, const char *name);
/* attrs_encode_action - append "action=TEXT\n\n"; -1 if TEXT is empty or has LF/NUL, or cap hit */
int	attrs_encode_action(struct buf *out, const char *action);

#endif /* PFH_ATTRS_H */
