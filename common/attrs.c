/*
 * attrs.c - Postfix policy delegation attribute blocks
 *
 * The decoder is stateless and makes two passes over a complete block: the
 * first validates and finds the end, the second fills `out`. That keeps
 * the contract that outputs change only on CODEC_DONE without any state or
 * allocation; the block is at most max_block bytes, so the rescan on each
 * new read is bounded.
 *
 * Like Postfix's attr_scan_plain.c, a line is split at its first '=' and
 * runs to LF; CR is data. A client that sends CRLF therefore produces a
 * "\r" line without '=', which is a format error here, rather than a
 * request that never ends.
 */
#include "sysdep.h"

#include <string.h>

#include "attrs.h"
#include "buf.h"

static enum codec_result block_scan(const char *, size_t,
	    const struct attr_limits *, unsigned *, size_t *);

/* attrs_decode - decode at most one attribute block from the front of in */
enum codec_result
attrs_decode(const char *in, size_t len, const struct attr_limits *lim,
    struct attr *out, unsigned *nattrs_r, size_t *consumed_r)
{
	enum codec_result res;
	const char *line, *nl, *eq;
	size_t end;
	unsigned n, i;

	if ((res = block_scan(in, len, lim, &n, &end)) != CODEC_DONE)
		return res;

	/* The block is valid: every line up to `end` has a LF and a '='. */
	line = in;
	for (i = 0; i < n; i++) {
		nl = memchr(line, '\n', (size_t)(in + end - line));
		eq = memchr(line, '=', (size_t)(nl - line));
		out[i].name = line;
		out[i].name_len = (size_t)(eq - line);
		out[i].value = eq + 1;
		out[i].value_len = (size_t)(nl - eq - 1);
		line = nl + 1;
	}
	*nattrs_r = n;
	*consumed_r = end;
	return CODEC_DONE;
}

/*
 * block_scan - validate one block; count its attributes and find its end
 *
 * Every limit is checked against what has arrived so far, so a peer that
 * never sends LF or the empty line is cut off at the limit, not at EOF.
 */
static enum codec_result
block_scan(const char *in, size_t len, const struct attr_limits *lim,
    unsigned *nattrs_r, size_t *end_r)
{
	const char *line, *nl;
	size_t pos = 0, llen;
	unsigned n = 0;

	for (;;) {
		if (pos == len)	/* all pos bytes passed the limits */
			return CODEC_NEED_MORE;
		line = in + pos;
		if (line[0] == '\n') {			/* the empty line */
			if (pos + 1 > lim->max_block)
				return CODEC_ERR_SIZE;
			*nattrs_r = n;
			*end_r = pos + 1;
			return CODEC_DONE;
		}
		/* A non-empty line is one more attribute, complete or not. */
		if (n >= lim->max_attrs)
			return CODEC_ERR_SIZE;
		nl = memchr(line, '\n', len - pos);
		llen = nl ? (size_t)(nl - line) : len - pos;
		if (llen > lim->max_line)
			return CODEC_ERR_SIZE;
		if (pos + llen + (nl != NULL) > lim->max_block)
			return CODEC_ERR_SIZE;
		/* Format checks also apply to a partial line. */
		if (memchr(line, '\0', llen) != NULL)
			return CODEC_ERR_FORMAT;
		if (line[0] == '=')
			return CODEC_ERR_FORMAT;
		if (nl == NULL)
			return CODEC_NEED_MORE;
		if (memchr(line, '=', llen) == NULL)
			return CODEC_ERR_FORMAT;
		n++;
		pos += llen + 1;
	}
}

/* attrs_find - first attribute called `name`, or NULL */
const struct attr *
attrs_find(const struct attr *attrs, unsigned n, const char *name)
{
	size_t len = strlen(name);
	unsigned i;

	for (i = 0; i < n; i++)
		if (attrs[i].name_len == len &&
		    memcmp(attrs[i].name, name, len) == 0)
			return &attrs[i];
	return NULL;
}

/* attrs_encode_action - append "action=TEXT\n\n", all or nothing */
int
attrs_encode_action(struct buf *out, const char *action)
{
	static const char pfx[] = "action=";
	size_t plen = sizeof(pfx) - 1, alen = strlen(action), total;
	char *w;

	/*
	 * Postfix permits on an empty action, and a LF would end the reply
	 * early and leave the rest to be read as the next reply.
	 */
	if (alen == 0 || memchr(action, '\n', alen) != NULL)
		return -1;
	if (alen > SIZE_MAX - plen - 2)
		return -1;
	total = plen + alen + 2;
	if (out->max && total > out->max - out->len)
		return -1;
	if ((w = buf_space(out, total, NULL)) == NULL)
		return -1;
	memcpy(w, pfx, plen);
	memcpy(w + plen, action, alen);
	w[plen + alen] = '\n';
	w[plen + alen + 1] = '\n';
	buf_commit(out, total);
	return 0;
}
