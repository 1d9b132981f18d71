/*
 * cfg_expand.c - $name and ${name} expansion over a set of parameters
 *
 * Each parameter is expanded at most once (memoised); a parameter being
 * expanded is marked busy, so a reference back to it is a loop, and the
 * chain of references that led there is kept on a small stack for the
 * message. The contract is in cfg_expand.h.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg_expand.h"
#include "secret.h"
#include "xalloc.h"

enum { EXP_TODO, EXP_BUSY, EXP_DONE };

struct cfg_expand_slot {
	const char *name;
	const char *raw;
	int	 flags;		/* CFG_EXPAND_* */
	char	*exp;		/* expanded text, owned until taken */
	int	 state;
};

struct cfg_expand {
	struct cfg_expand_slot *v;
	size_t	 n;
	size_t	 stack[CFG_EXPAND_MAX_DEPTH + 2];	/* for loop messages */
	size_t	 depth;
	cfg_expand_error_fn *fn;
	void	*ctx;
};

/* is_name_char - characters of a parameter name */
static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* cfg_expand_new - a set of n parameters, none declared yet */
struct cfg_expand *
cfg_expand_new(size_t n, cfg_expand_error_fn *fn, void *ctx)
{
	struct cfg_expand *e = xcalloc(1, sizeof(*e));

	e->v = xcalloc(n ? n : 1, sizeof(*e->v));
	e->n = n;
	e->fn = fn;
	e->ctx = ctx;
	return e;
}

/* cfg_expand_free - release the set, wiping the values it still holds */
void
cfg_expand_free(struct cfg_expand *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		secret_free_str(e->v[i].exp);
	free(e->v);
	free(e);
}

/* cfg_expand_var - declare parameter i */
void
cfg_expand_var(struct cfg_expand *e, size_t i, const char *name,
    const char *raw, int flags)
{
	struct cfg_expand_slot *s = e->v + i;

	s->name = name;
	s->raw = raw;
	s->flags = flags;
}

/* cfg_expand_find - index of a declared name, or -1 */
long
cfg_expand_find(const struct cfg_expand *e, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i].name, name, len) == 0 &&
		    e->v[i].name[len] == 0)
			return (long)i;
	return -1;
}

/* cfg_expand_value - parameter i's expansion, once cfg_expand_one() did it */
const char *
cfg_expand_value(const struct cfg_expand *e, size_t i)
{
	return e->v[i].exp;
}

/* cfg_expand_take - hand parameter i's expansion to the caller */
char *
cfg_expand_take(struct cfg_expand *e, size_t i)
{
	char *exp = e->v[i].exp;

	e->v[i].exp = NULL;
	return exp;
}

/* fail - report parameter i's fault through the error function */
static void PFH_PRINTF(3, 4)
fail(struct cfg_expand *e, size_t i, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	e->fn(i, why, e->ctx);
}

/* fail_loop - parameter j is already being expanded: name the loop */
static void
fail_loop(struct cfg_expand *e, size_t i, size_t j)
{
	char chain[512];
	size_t k, blame = i, start = 0;

	chain[0] = 0;
	for (k = 0; k < e->depth; k++) {
		if (j == e->stack[k]) {
			chain[0] = 0;	/* the loop starts here */
			start = k;
		}
		snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain),
		    "$%s -> ", e->v[e->stack[k]].name);
	}
	/*
	 * A loop that closes through a default (queue_dir = $state_dir
	 * against state_dir's default "$queue_dir/state") is still the
	 * admin's doing: cite the innermost member of the loop that was set
	 * (i itself when it was), not "default value of", which reads as a
	 * bug in the daemon's table.
	 */
	for (k = e->depth; k-- > start;) {
		if (e->v[e->stack[k]].flags & CFG_EXPAND_SET) {
			blame = e->stack[k];
			break;
		}
	}
	fail(e, blame, "parameter expansion loop: %s$%s", chain, e->v[j].name);
}

/* expand_ref - append the expansion of parameter `name` to out */
static int
expand_ref(struct cfg_expand *e, size_t i, const char *name, size_t len,
    struct buf *out)
{
	long j;

	if ((j = cfg_expand_find(e, name, len)) < 0) {
		/* In a secret, the "name" after '$' is part of a password. */
		if (e->v[i].flags & CFG_EXPAND_SECRET)
			fail(e, i, "unknown parameter after '$' in value");
		else
			fail(e, i, "unknown parameter \"$%.*s\" in value",
			    (int)(len > 64 ? 64 : len), name);
		return -1;
	}
	if (e->v[j].state == EXP_BUSY) {
		fail_loop(e, i, (size_t)j);
		return -1;
	}
	/* The outermost parameter is depth 0; each reference adds one. */
	if (e->v[j].state != EXP_DONE && e->depth > CFG_EXPAND_MAX_DEPTH) {
		fail(e, i, "parameter expansion nested more than %d deep at "
		    "\"$%s\"", CFG_EXPAND_MAX_DEPTH, e->v[j].name);
		return -1;
	}
	if (cfg_expand_one(e, (size_t)j) < 0)
		return -1;
	if (buf_append(out, e->v[j].exp, strlen(e->v[j].exp)) < 0) {
		fail(e, i, "value longer than %d bytes after expansion",
		    CFG_EXPAND_MAX_VALUE);
		return -1;
	}
	return 0;
}

/* cfg_expand_one - compute parameter i's expansion, references first */
int
cfg_expand_one(struct cfg_expand *e, size_t i)
{
	struct cfg_expand_slot *w = e->v + i;
	const char *p = w->raw, *q, *close;
	struct buf out;
	int rc = -1;

	if (w->state == EXP_DONE)
		return 0;
	w->state = EXP_BUSY;
	e->stack[e->depth++] = i;
	buf_init(&out, CFG_EXPAND_MAX_VALUE);
	buf_set_secret(&out);
	while (*p) {
		if ((q = strchr(p, '$')) == NULL)
			q = p + strlen(p);
		if (buf_append(&out, p, (size_t)(q - p)) < 0)
			goto toolong;
		if (*q == 0)
			break;
		p = q + 1;
		if (*p == '$') {
			if (buf_append(&out, "$", 1) < 0)
				goto toolong;
			p++;
		} else if (*p == '{') {
			for (q = ++p; is_name_char((unsigned char)*q); q++)
				;
			if ((close = strchr(p, '}')) == NULL) {
				fail(e, i, "missing '}' after \"${\"");
				goto out;
			}
			if ((q != close || q == p) &&
			    (w->flags & CFG_EXPAND_SECRET)) {
				fail(e, i, "bad parameter name after \"${\"");
				goto out;
			}
			if (q != close || q == p) {
				fail(e, i, "bad parameter name in \"${%.*s}\"",
				    (int)(close - p > 64 ? 64 : close - p), p);
				goto out;
			}
			if (expand_ref(e, i, p, (size_t)(q - p), &out) < 0)
				goto out;
			p = q + 1;
		} else {
			for (q = p; is_name_char((unsigned char)*q); q++)
				;
			if (q == p) {
				fail(e, i, "'$' must be followed by a name, "
				    "\"{name}\" or another '$'");
				goto out;
			}
			if (expand_ref(e, i, p, (size_t)(q - p), &out) < 0)
				goto out;
			p = q;
		}
	}
	w->exp = xstrndup(out.data, out.len);
	w->state = EXP_DONE;
	rc = 0;
	goto out;
toolong:
	fail(e, i, "value longer than %d bytes after expansion",
	    CFG_EXPAND_MAX_VALUE);
out:
	buf_free(&out);
	e->depth--;
	if (rc < 0)
		w->state = EXP_TODO;
	return rc;
}
