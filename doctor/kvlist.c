/*
 * kvlist.c - "name = value" settings (kvlist.h)
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "kvlist.h"
#include "xalloc.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* kvlist_set - add name, or replace its value */
void
kvlist_set(struct kvlist *l, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].name) == nlen &&
		    memcmp(l->v[i].name, name, nlen) == 0) {
			free(l->v[i].value);
			l->v[i].value = xstrndup(value, vlen);
			return;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].name = xstrndup(name, nlen);
	l->v[l->n].value = xstrndup(value, vlen);
	l->n++;
}

/* kvlist_parse - every "name = value" line of text */
void
kvlist_parse(struct kvlist *l, const char *text)
{
	const char *p = text, *eol, *eq, *ne, *vs, *ve;

	for (; *p; p = *eol ? eol + 1 : eol) {
		eol = p + strcspn(p, "\n");
		while (p < eol && blank(*p))
			p++;
		eq = memchr(p, '=', (size_t)(eol - p));
		if (eq == NULL || eq == p)
			continue;
		for (ne = eq; ne > p && blank(ne[-1]); ne--)
			;
		for (vs = eq + 1; vs < eol && blank(*vs); vs++)
			;
		for (ve = eol; ve > vs && blank(ve[-1]); ve--)
			;
		if (ne > p && memchr(p, ' ', (size_t)(ne - p)) == NULL)
			kvlist_set(l, p, (size_t)(ne - p), vs, (size_t)(ve - vs));
	}
}

const char *
kvlist_get(const struct kvlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].value;
	return NULL;
}

void
kvlist_free(struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
