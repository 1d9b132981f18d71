/*
 * text.c - a line of text built by appending (contract in text.h)
 */
#include "sysdep.h"

#include <string.h>

#include "text.h"

/* text_init - an empty text in buf */
void
text_init(struct text *t, char *buf, size_t cap)
{
	t->p = buf;
	t->len = 0;
	t->cap = cap;
	t->cut = 0;
	buf[0] = 0;
}

/* text_add - append what fits of s[0..n) */
void
text_add(struct text *t, const char *s, size_t n)
{
	size_t room = t->cap - 1 - t->len;

	if (n > room) {
		n = room;
		t->cut = 1;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

/* text_str - append a C string */
void
text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* text_u64 - append a number in decimal */
void
text_u64(struct text *t, uint64_t v)
{
	char num[24];
	size_t k = sizeof(num);

	do {
		num[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	text_add(t, num + k, sizeof(num) - k);
}

/* text_truncated - was anything cut */
int
text_truncated(const struct text *t)
{
	return t->cut;
}
