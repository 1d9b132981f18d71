/*
 * cfg_group.c - parameters per named instance (contract in cfg_group.h)
 *
 * The instances are applied as one table: the daemon's, then for each
 * instance its parameters with "NAME_" in front and offsets into a scratch
 * block past the daemon's struct. cfg_apply() then does everything it does
 * for any parameter, and only a config that passed is copied out.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "cfg_group.h"
#include "xalloc.h"

/* round_up - offsets of the instance blocks keep every field aligned */
static size_t
round_up(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* list_value - the list's text: set, or the table's default */
static const char *
list_value(const struct cfg *c, const struct cfg_param *table,
    const struct cfg_group *g, char *where, size_t wlen)
{
	const char *origin, *v;
	unsigned line;
	size_t i;

	if ((v = cfg_raw(c, g->list, &origin, &line)) != NULL) {
		if (line)
			snprintf(where, wlen, "%s, line %u: %s", origin, line,
			    g->list);
		else
			snprintf(where, wlen, "%s %s=...", origin, g->list);
		return v;
	}
	snprintf(where, wlen, "default value of %s", g->list);
	for (i = 0; table[i].name; i++)
		if (strcmp(table[i].name, g->list) == 0)
			return table[i].def ? table[i].def : "";
	return "";
}

/* split_names - the instance names; -1 + err for a bad list */
static int
split_names(const char *v, const char *where, char ***names_r, size_t *n_r,
    char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0, len, i, k;
	const char *p = v;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == 0)
			break;
		len = strcspn(p, " \t,");
		for (k = 0; k < len; k++)
			if (!(p[k] == '_' || (p[k] >= 'a' && p[k] <= 'z') ||
			    (p[k] >= 'A' && p[k] <= 'Z') ||
			    (p[k] >= '0' && p[k] <= '9')))
				break;
		if (k < len || len > CFG_GROUP_NAME_MAX) {
			snprintf(err, errlen, "%s: bad name \"%.*s\": want 1 "
			    "to %d letters, digits or '_'", where,
			    (int)(len > 64 ? 64 : len), p, CFG_GROUP_NAME_MAX);
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len &&
			    memcmp(names[i], p, len) == 0) {
				snprintf(err, errlen, "%s: \"%s\" is listed "
				    "twice", where, names[i]);
				goto fail;
			}
		if (n == CFG_GROUP_MAX) {
			snprintf(err, errlen, "%s: more than %d names", where,
			    CFG_GROUP_MAX);
			goto fail;
		}
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrndup(p, len);
		p += len;
	}
	*names_r = names;
	*n_r = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return -1;
}

/* collides - does a made name equal one of the daemon's parameters? */
static const char *
collides(const struct cfg_param *t, size_t nt, size_t from)
{
	size_t i, j;

	for (i = from; t[i].name; i++)
		for (j = 0; j < nt; j++)
			if (strcmp(t[i].name, t[j].name) == 0)
				return t[i].name;
	return NULL;
}

/* cfg_group_apply - the daemon's parameters and every instance's */
int
cfg_group_apply(const struct cfg *c, const struct cfg_param *table,
    size_t size, const struct cfg_group *g, void *target, char *err,
    size_t errlen)
{
	struct cfg_group_set *set;
	struct cfg_param *t;
	char where[512], **names = NULL;
	const char *v, *dup;
	size_t nt, np, n = 0, i, k, base = round_up(size);
	size_t stride = round_up(g->size);
	void *scratch;
	int rc = -1;

	v = list_value(c, table, g, where, sizeof(where));
	if (strchr(v, '$') != NULL) {
		snprintf(err, errlen, "%s: a list of names, without $name: "
		    "it says which parameters exist", where);
		return -1;
	}
	if (split_names(v, where, &names, &n, err, errlen) < 0)
		return -1;
	for (nt = 0; table[nt].name; nt++)
		;
	for (np = 0; g->params[np].name; np++)
		;
	t = xcalloc(nt + n * np + 1, sizeof(*t));
	memcpy(t, table, nt * sizeof(*t));
	for (i = 0; i < n; i++)
		for (k = 0; k < np; k++) {
			t[nt + i * np + k] = g->params[k];
			t[nt + i * np + k].name = xasprintf("%s_%s", names[i],
			    g->params[k].name);
			t[nt + i * np + k].offset = base + i * stride +
			    g->params[k].offset;
		}
	if ((dup = collides(t, nt, nt)) != NULL) {
		snprintf(err, errlen, "%s: the name makes parameter %s, which "
		    "is one of the daemon's own", where, dup);
		goto out;
	}
	scratch = xcalloc(1, base + n * stride);
	memcpy(scratch, target, size);
	if (cfg_apply(c, t, scratch, err, errlen) < 0) {
		free(scratch);
		goto out;
	}
	memcpy(target, scratch, size);
	set = (struct cfg_group_set *)(void *)((char *)target + g->offset);
	set->n = n;
	set->names = names;
	set->items = xcalloc(n ? n : 1, sizeof(*set->items));
	for (i = 0; i < n; i++) {
		set->items[i] = xmalloc(g->size);
		memcpy(set->items[i], (char *)scratch + base + i * stride,
		    g->size);
	}
	names = NULL;
	free(scratch);
	rc = 0;
out:
	for (i = nt; t[i].name; i++)
		free((char *)(uintptr_t)t[i].name);
	free(t);
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* cfg_group_release - the instances, then the daemon's own strings */
void
cfg_group_release(const struct cfg_param *table, const struct cfg_group *g,
    void *target)
{
	struct cfg_group_set *set;
	size_t i;

	set = (struct cfg_group_set *)(void *)((char *)target + g->offset);
	for (i = 0; i < set->n; i++) {
		cfg_release(g->params, set->items[i]);
		free(set->items[i]);
		free(set->names[i]);
	}
	free(set->items);
	free(set->names);
	memset(set, 0, sizeof(*set));
	cfg_release(table, target);
}

/* cfg_group_dump - "NAME_param = value" per instance */
int
cfg_group_dump(const struct cfg_group *g, const void *target,
    struct buf *out)
{
	const struct cfg_group_set *set;
	struct buf one;
	const char *p, *nl;
	size_t i;
	int rc = 0;

	set = (const struct cfg_group_set *)(const void *)
	    ((const char *)target + g->offset);
	for (i = 0; i < set->n; i++) {
		buf_init(&one, 0);
		if (cfg_dump(g->params, set->items[i], &one) < 0)
			rc = -1;
		for (p = one.data; p && p < one.data + one.len; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(one.data + one.len - p));
			if (nl == NULL)
				break;
			if (buf_printf(out, "%s_%.*s\n", set->names[i],
			    (int)(nl - p), p) < 0)
				rc = -1;
		}
		buf_free(&one);
	}
	return rc;
}

/* cfg_group_list - the hidden "params": NAME_param and its reload kind */
void
cfg_group_list(const struct cfg_group *g)
{
	const struct cfg_param *p;

	for (p = g->params; p->name; p++)
		printf("NAME_%s %s\n", p->name,
		    (p->flags & CFG_F_RESTART) ? "restart" : "reload");
}
