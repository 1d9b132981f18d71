/*
 * sync_state.c - the state file's text (contract in sync_state.h)
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sync_state.h"

enum { ST_SOURCE, ST_GENERATION, ST_ROWS, ST_SYNCED_AT, ST_COUNT };

static const char *const state_names[ST_COUNT] = {
	"source", "generation", "rows", "synced_at",
};

/* sync_state_format - the four lines */
int
sync_state_format(const struct sync_state *st, struct buf *out)
{
	return buf_printf(out, "source = %s\ngeneration = %s\nrows = %llu\n"
	    "synced_at = %lld\n", st->source, st->generation, st->rows,
	    (long long)st->synced_at);
}

/* number - a decimal value of [s, e) up to max */
static int
number(const char *s, const char *e, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long n = 0;

	if (s == e)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(*s - '0');
	}
	*v = n;
	return 0;
}

/* one - apply "name = value" of line lineno */
static int
one(struct sync_state *st, unsigned *seen, const char *s, const char *e,
    unsigned lineno, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', (size_t)(e - s)), *ne, *vs;
	unsigned long long v;
	const char *p;
	size_t i, nlen;

	if (eq == NULL) {
		snprintf(err, errlen, "line %u: not \"name = value\"", lineno);
		return -1;
	}
	for (ne = eq; ne > s && ne[-1] == ' '; ne--)
		;
	for (vs = eq + 1; vs < e && *vs == ' '; vs++)
		;
	for (p = s; p < e; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "line %u: a control character",
			    lineno);
			return -1;
		}
	nlen = (size_t)(ne - s);
	for (i = 0; i < ST_COUNT; i++)
		if (strlen(state_names[i]) == nlen &&
		    memcmp(state_names[i], s, nlen) == 0)
			break;
	if (i == ST_COUNT)
		return 0;
	if (*seen & (1u << i)) {
		snprintf(err, errlen, "line %u: %s given twice", lineno,
		    state_names[i]);
		return -1;
	}
	*seen |= 1u << i;
	switch (i) {
	case ST_SOURCE:
	case ST_GENERATION:
		if ((size_t)(e - vs) >= SYNC_STATE_TEXT) {
			snprintf(err, errlen, "line %u: %s longer than %d "
			    "bytes", lineno, state_names[i],
			    SYNC_STATE_TEXT - 1);
			return -1;
		}
		memcpy(i == ST_SOURCE ? st->source : st->generation, vs,
		    (size_t)(e - vs));
		(i == ST_SOURCE ? st->source : st->generation)[e - vs] = 0;
		return 0;
	default:
		if (number(vs, e, i == ST_ROWS ? ~0ULL : (1ULL << 62), &v) <
		    0) {
			snprintf(err, errlen, "line %u: %s is not a number "
			    "in range", lineno, state_names[i]);
			return -1;
		}
		if (i == ST_ROWS)
			st->rows = v;
		else
			st->synced_at = (time_t)v;
		return 0;
	}
}

/* sync_state_parse - the text of a state file */
int
sync_state_parse(const char *text, size_t len, struct sync_state *st,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	unsigned seen = 0, lineno = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p && one(st, &seen, p, nl, lineno, err, errlen) < 0)
			return -1;
		p = nl + (nl < end);
	}
	for (i = 0; i < ST_COUNT; i++)
		if (!(seen & (1u << i))) {
			snprintf(err, errlen, "no %s line", state_names[i]);
			return -1;
		}
	return 0;
}
