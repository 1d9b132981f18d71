/*
 * xalloc.h - allocation that never returns NULL
 *
 * Contract: every function either returns usable memory or logs
 *   "fatal: out of memory" and exits. Hard caps on every buffer and queue
 *   make running out of memory a bug, never something a peer can cause.
 *   xfree(NULL) is a no-op.
 */
#ifndef PFH_XALLOC_H
#define PFH_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 xfree(void *);

#endif /* PFH_XALLOC_H */
