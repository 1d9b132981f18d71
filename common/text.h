/*
 * text.h - a line of text built by appending, in a caller's fixed buffer
 *
 * For the lines a server makes per request (decision logs, recent-event
 * texts), where snprintf()'s format parsing was a good part of the cost.
 * Contract: text_init() takes a buffer of cap >= 1 bytes; the text is
 * always NUL-terminated and at most cap - 1 bytes long. What does not fit
 * is cut, byte-exactly as snprintf() with the same pieces would cut it
 * (text_truncated() says whether anything was). No allocation.
 */
#ifndef PFH_TEXT_H
#define PFH_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct text {
	char	*p;
	size_t	 len, cap;
	int	 cut;
};

void	text_init(struct text *, char *buf, size_t cap);
/* text_add - n bytes of s */
void	text_add(struct text *, const char *s, size_t n);
/* text_lit - a string literal (its length known when compiled) */
#define text_lit(t, lit)	text_add((t), "" lit, sizeof(lit) - 1)
/* text_str - a C string */
void	text_str(struct text *, const char *s);
/* text_u64 - a number in decimal, as "%llu" */
void	text_u64(struct text *, uint64_t v);
int	text_truncated(const struct text *);

#endif /* PFH_TEXT_H */
