/*
 * buf.c - growable byte buffer with a hard cap
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "secret.h"
#include "xalloc.h"

/* buf_init - empty buffer with a cap */
void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->cap = 64;
	b->base = b->data = xmalloc(b->cap + 1);
	b->data[0] = 0;
}

/* buf_free - release storage, wiping it first for secret buffers */
void
buf_free(struct buf *b)
{
	if (b->base == NULL)
		return;
	if (b->secret)
		secret_wipe(b->base, b->cap + 1);
	free(b->base);
	b->base = b->data = NULL;
	b->len = b->cap = 0;
}

/* buf_set_secret - wipe old storage on growth and on free */
void
buf_set_secret(struct buf *b)
{
	b->secret = 1;
}

/* buf_space - make room for want bytes after the live data */
char *
buf_space(struct buf *b, size_t want, size_t *avail_r)
{
	size_t off = (size_t)(b->data - b->base);

	if (b->max && want > b->max - b->len) {
		if (b->len >= b->max)
			return NULL;
		want = b->max - b->len;
	}
	if (off + b->len + want > b->cap) {
		if (off > 0) {
			/* Compact first: consumed bytes at the front are free room. */
			memmove(b->base, b->data, b->len);
			if (b->secret)
				secret_wipe(b->base + b->len, off);
			b->data = b->base;
			off = 0;
		}
		if (b->len + want > b->cap) {
			size_t ncap = b->cap * 2;
			char *nb;

			while (ncap < b->len + want)
				ncap *= 2;
			if (b->secret) {
				nb = xmalloc(ncap + 1);
				memcpy(nb, b->base, b->len);
				secret_wipe(b->base, b->cap + 1);
				free(b->base);
			} else {
				nb = xreallocarray(b->base, ncap + 1, 1);
			}
			b->base = b->data = nb;
			b->cap = ncap;
		}
	}
	if (avail_r) {
		*avail_r = b->cap - off - b->len;
		/* never offer room past the cap */
		if (b->max && *avail_r > b->max - b->len)
			*avail_r = b->max - b->len;
	}
	return b->data + b->len;
}

/* buf_commit - account for bytes written into buf_space() */
void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = 0;
}

/* buf_append - add bytes, or fail without change when over the cap */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	char *w;

	if (b->max && n > b->max - b->len)
		return -1;
	if ((w = buf_space(b, n, NULL)) == NULL)
		return n == 0 ? 0 : -1;
	memcpy(w, p, n);
	buf_commit(b, n);
	return 0;
}

/* buf_puts - add a C string */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_vprintf - formatted append */
int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t avail;
	char *w;
	int n;

	va_copy(aq, ap);
	if ((w = buf_space(b, 64, &avail)) == NULL) {
		va_end(aq);
		return -1;
	}
	n = vsnprintf(w, avail + 1, fmt, ap);
	if (n < 0) {
		va_end(aq);
		return -1;
	}
	if ((size_t)n > avail) {
		if (b->max && (size_t)n > b->max - b->len) {
			b->data[b->len] = 0;
			va_end(aq);
			return -1;
		}
		w = buf_space(b, (size_t)n, &avail);
		vsnprintf(w, avail + 1, fmt, aq);
	}
	va_end(aq);
	buf_commit(b, (size_t)n);
	return 0;
}

/* buf_printf - formatted append */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

/* buf_consume - drop n bytes from the front */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		if (b->secret)
			secret_wipe(b->data, b->len);
		b->data = b->base;
		b->len = 0;
		b->data[0] = 0;
		return;
	}
	if (b->secret)
		secret_wipe(b->data, n);
	b->data += n;
	b->len -= n;
}

/* buf_reset - drop everything */
void
buf_reset(struct buf *b)
{
	buf_consume(b, b->len);
}
