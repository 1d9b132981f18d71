/*
 * buf.h - growable byte buffer with a hard cap
 *
 * Contract: a buf holds bytes [data, data+len). It grows on demand up to
 *   `max` bytes (0 = no cap) and refuses to grow past it: append functions
 *   then return -1 and leave the buffer unchanged. buf_consume() drops bytes
 *   from the front (cheaply: an offset, compacted on the next growth).
 *   data is NUL-terminated after every operation (not counted in len), so a
 *   buffer holding text can be used as a C string.
 * Ownership: the buf owns its storage; buf_free() releases it (and wipes it
 *   when the buffer was marked secret with buf_set_secret()).
 */
#ifndef PFH_BUF_H
#define PFH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* first live byte (read-only for callers) */
	size_t	 len;		/* live bytes */
	size_t	 max;		/* cap on len, 0 = none */
	/* private */
	char	*base;
	size_t	 cap;
	int	 secret;
};

void	buf_init(struct buf *, size_t max);
void	buf_free(struct buf *);
void	buf_set_secret(struct buf *);
int	buf_append(struct buf *, const void *, size_t) __attribute__((warn_unused_result));
int	buf_puts(struct buf *, const char *) __attribute__((warn_unused_result));
int	buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	buf_consume(struct buf *, size_t);
void	buf_reset(struct buf *);
/* buf_space - ensure room for `want` more bytes; returns write pointer or NULL over cap */
char	*buf_space(struct buf *, size_t want, size_t *avail_r);
/* buf_commit - count `n` bytes written at the pointer from buf_space() */
void	buf_commit(struct buf *, size_t n);

#endif /* PFH_BUF_H */
