/*
 * maps.c - the named maps one tlsmap serves, and their source files
 *
 * Why precompute the reply: smtp(8) asks the same few keys over and over
 * (its policy cache lives for one delivery, and the parent-domain walk adds
 * a lookup per label), so every request must be cheap. All the parsing and
 * validation cost is paid once per entry when the file loads.
 */
#include "sysdep.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cfg_conv.h"
#include "dynamic.h"
#include "log.h"
#include "maps.h"
#include "netstring.h"
#include "per_site.h"
#include "server.h"
#include "table.h"
#include "tls_policy.h"
#include "xalloc.h"

static const char *const kind_names[MAP_KIND_COUNT] = {
	[MAP_POLICY] = "policy",
	[MAP_PERSITE] = "persite",
	[MAP_DYNAMIC] = "dynamic",
};

/* map_kind_name - "policy" or "persite" */
const char *
map_kind_name(enum map_kind k)
{
	return (unsigned)k < MAP_KIND_COUNT ? kind_names[k] : "?";
}

/* map_level_count - how many answer levels a kind has */
unsigned
map_level_count(enum map_kind k)
{
	if (k == MAP_DYNAMIC)
		return DYN_SECURE + 1;	/* the OK levels */
	return k == MAP_POLICY ? TLS_LEVEL_COUNT : PER_SITE_COUNT;
}

/* map_level_name - label for status and logs */
const char *
map_level_name(enum map_kind k, unsigned level)
{
	if (k == MAP_POLICY)
		return tls_level_name((enum tls_level)level);
	if (k == MAP_DYNAMIC)
		return dyn_level_name((enum dyn_level)level);
	return per_site_name((enum per_site_level)level);
}

/* key_cb - table_ops key(): the file's keys get the request treatment */
static int
key_cb(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	return map_key_normalise(key, len, err, errlen);
}

/* answer_new - the reply bytes for "OK data" */
static struct map_answer *
answer_new(unsigned level, const char *data, size_t dlen)
{
	struct map_answer *a;
	struct buf w;
	char *payload = xmalloc(dlen + 3);

	memcpy(payload, "OK ", 3);
	memcpy(payload + 3, data, dlen);
	buf_init(&w, 0);
	if (netstring_encode(&w, payload, dlen + 3) < 0)
		log_panic("maps: netstring_encode without a cap failed");
	a = xmalloc(sizeof(*a) + w.len);
	memcpy(a->wire, w.data, w.len);
	a->wire_len = w.len;
	a->level = level;
	buf_free(&w);
	free(payload);
	return a;
}

/* value_cb - table_ops value(): validate and precompute the reply */
static void *
value_cb(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	const struct map_load_ctx *lc = arg;
	enum per_site_level ps;
	enum tls_level lev;
	const char *name;

	if (lc->kind == MAP_PERSITE) {
		if (per_site_parse(value, &ps, err, errlen) < 0)
			return NULL;
		name = per_site_name(ps);
		return answer_new(ps, name, strlen(name));
	}
	if (strlen(value) > MAP_MAX_REPLY - 3) {
		snprintf(err, errlen, "policy longer than Postfix's %d-byte "
		    "socketmap reply limit", MAP_MAX_REPLY);
		return NULL;
	}
	if (tls_policy_check(value, lc->version, &lev, err, errlen) < 0)
		return NULL;
	/* served as written: the same bytes "postmap -q" gives for hash: */
	return answer_new(lev, value, strlen(value));
}

/* free_cb - table_ops free_value() */
static void
free_cb(void *obj, void *arg)
{
	free(obj);
}

/* valid_name - socketmap names: no ':' (Postfix splits at the last one) */
static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

/* maps_find - the map called name */
struct tlsmap_map *
maps_find(const struct maps *ms, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (strlen(ms->v[i].name) == len &&
		    memcmp(ms->v[i].name, name, len) == 0)
			return &ms->v[i];
	return NULL;
}

/* maps_new - parse "NAME=TYPE:FILE ..." and "NAME ..." */
struct maps *
maps_new(const char *spec, const char *report_only, unsigned version,
    char *err, size_t errlen)
{
	struct maps *ms = xcalloc(1, sizeof(*ms));
	const char *p = spec, *w, *eq, *colon;
	struct table_ops ops;
	struct tlsmap_map *m;
	size_t n, tlen;
	int kind, tlsrpt;

	ms->version = version;
	while ((w = cfg_conv_list_next(&p, &n)) != NULL) {
		eq = memchr(w, '=', n);
		colon = eq ? memchr(eq, ':', n - (size_t)(eq - w)) : NULL;
		if (eq == NULL || colon == NULL) {
			snprintf(err, errlen, "maps: \"%.*s\" is not "
			    "NAME=TYPE:FILE", (int)n, w);
			goto fail;
		}
		if (!valid_name(w, (size_t)(eq - w))) {
			snprintf(err, errlen, "maps: bad map name \"%.*s\" "
			    "(letters, digits, '_', '-', '.')",
			    (int)(eq - w), w);
			goto fail;
		}
		if (maps_find(ms, w, (size_t)(eq - w)) != NULL) {
			snprintf(err, errlen, "maps: map \"%.*s\" defined "
			    "twice", (int)(eq - w), w);
			goto fail;
		}
		tlen = (size_t)(colon - eq - 1);
		tlsrpt = tlen == 14 && memcmp(eq + 1, "dynamic-tlsrpt", 14) == 0;
		for (kind = 0; kind < MAP_KIND_COUNT && !tlsrpt; kind++)
			if (strlen(kind_names[kind]) == tlen &&
			    memcmp(kind_names[kind], eq + 1, tlen) == 0)
				break;
		if (tlsrpt)
			kind = MAP_DYNAMIC;
		if (kind == MAP_KIND_COUNT) {
			snprintf(err, errlen, "maps: unknown map type \"%.*s\" "
			    "(policy, persite, dynamic or dynamic-tlsrpt)",
			    (int)tlen, eq + 1);
			goto fail;
		}
		/* older Postfix refuses the attributes and defers the mail */
		if (tlsrpt && version < TLS_POLICY_VERSION(3, 10)) {
			snprintf(err, errlen, "maps: %.*s: dynamic-tlsrpt needs "
			    "postfix_version 3.10 or later (Postfix before 3.10 "
			    "defers mail on TLSRPT attributes); use dynamic",
			    (int)(eq - w), w);
			goto fail;
		}
		if (colon[1] != '/') {
			snprintf(err, errlen, "maps: %.*s: file name must be "
			    "absolute", (int)(eq - w), w);
			goto fail;
		}
		ms->v = xreallocarray(ms->v, ms->n + 1, sizeof(*ms->v));
		m = &ms->v[ms->n++];
		memset(m, 0, sizeof(*m));
		m->name = xstrndup(w, (size_t)(eq - w));
		m->kind = (enum map_kind)kind;
		m->tlsrpt = tlsrpt;
		m->path = xstrndup(colon + 1, (size_t)(w + n - colon - 1));
		if (kind == MAP_DYNAMIC)
			continue;
		m->lctx = xmalloc(sizeof(*m->lctx));
		m->lctx->kind = kind;
		m->lctx->version = version;
		memset(&ops, 0, sizeof(ops));
		ops.key = key_cb;
		ops.value = value_cb;
		ops.free_value = free_cb;
		ops.arg = m->lctx;
		m->src = table_source_new(m->path, &ops);
	}
	if (ms->n == 0) {
		snprintf(err, errlen, "maps: no maps configured");
		goto fail;
	}
	for (p = report_only; (w = cfg_conv_list_next(&p, &n)) != NULL;) {
		if ((m = maps_find(ms, w, n)) == NULL) {
			snprintf(err, errlen, "report_only_maps: no map named "
			    "\"%.*s\" in maps", (int)n, w);
			goto fail;
		}
		if (m->kind == MAP_DYNAMIC) {
			snprintf(err, errlen, "report_only_maps: %s is a dynamic "
			    "map (report-only is for tables)", m->name);
			goto fail;
		}
		m->report_only = 1;
	}
	return ms;
fail:
	maps_free(ms);
	return NULL;
}

/* maps_free - the set, its tables and answers */
void
maps_free(struct maps *ms)
{
	size_t i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++) {
		free(ms->v[i].name);
		free(ms->v[i].path);
		if (ms->v[i].src != NULL)
			table_source_free(ms->v[i].src);
		free(ms->v[i].lctx);
	}
	free(ms->v);
	free(ms);
}

/* maps_guard - the table guard of every map */
void
maps_guard(struct maps *ms, const struct server_common *sc)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].src != NULL)
			server_table_guard(ms->v[i].src, sc);
}

/* map_reloaded - table_loaded_fn: a background reload of one map ended */
static void
map_reloaded(struct table_source *ts, int rc, void *ctx)
{
	struct tlsmap_map *m = ctx;

	if (rc > 0)
		log_info("map %s: reloaded %s: %zu entries (parsed in %lld ms)",
		    m->name, ts->path, table_count(ts->table), ts->load_ms);
}

/* maps_async - every map reloads on the loader thread */
void
maps_async(struct maps *ms, struct ev *ev)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].src != NULL)
			table_source_async(ms->v[i].src, ev, map_reloaded, &ms->v[i]);
	ms->async = 1;
}

/* maps_missing - a map with no table because there is no file, or it is empty */
struct tlsmap_map *
maps_missing(const struct maps *ms)
{
	struct stat st;
	size_t i;

	for (i = 0; i < ms->n; i++) {
		if (map_loaded(&ms->v[i]))
			continue;
		if (ms->v[i].src->held ||
		    (stat(ms->v[i].src->path, &st) < 0 && errno == ENOENT))
			return &ms->v[i];
	}
	return NULL;
}

/* maps_load - load all now (table_source logs each failure) */
unsigned
maps_load(struct maps *ms)
{
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < ms->n; i++) {
		if (ms->v[i].src == NULL)
			continue;
		if (table_source_load(ms->v[i].src) < 0)
			bad++;
		else if (ms->async)
			continue;	/* map_reloaded() tells */
		else
			log_info("map %s: %s:%s: %zu entries", ms->v[i].name,
			    map_kind_name(ms->v[i].kind), ms->v[i].src->path,
			    table_count(ms->v[i].src->table));
	}
	return bad;
}

/* maps_check - reload the maps whose file changed */
unsigned
maps_check(struct maps *ms)
{
	unsigned bad = 0;
	size_t i;
	int rc;

	for (i = 0; i < ms->n; i++) {
		if (ms->v[i].src == NULL)
			continue;
		rc = table_source_check(ms->v[i].src);
		if (rc < 0)
			bad++;
		else if (rc > 0)
			log_info("map %s: reloaded %s: %zu entries",
			    ms->v[i].name, ms->v[i].src->path,
			    table_count(ms->v[i].src->table));
	}
	return bad;
}

struct recheck {
	const struct tlsmap_map *m;
	unsigned version, bad;
	maps_recheck_fn *fn;
	void	*ctx;
};

/* recheck_entry - table_foreach callback, in file order */
static int
recheck_entry(const struct table_entry *te, void *ctx)
{
	struct recheck *rc = ctx;
	enum tls_level lev;
	char why[512];

	if (tls_policy_check(te->value, rc->version, &lev, why,
	    sizeof(why)) < 0) {
		rc->bad++;
		if (rc->fn != NULL)
			rc->fn(rc->m, te, why, rc->ctx);
	}
	return 0;
}

/* maps_recheck - the loaded policy entries another version rejects */
unsigned
maps_recheck(const struct maps *ms, unsigned version, maps_recheck_fn *fn,
    void *ctx)
{
	struct recheck rc;
	size_t i;

	memset(&rc, 0, sizeof(rc));
	rc.version = version;
	rc.fn = fn;
	rc.ctx = ctx;
	for (i = 0; i < ms->n; i++) {
		if (ms->v[i].kind != MAP_POLICY || !map_loaded(&ms->v[i]))
			continue;
		rc.m = &ms->v[i];
		(void)table_foreach(ms->v[i].src->table, recheck_entry, &rc);
	}
	return rc.bad;
}

/* map_loaded - has this map ever loaded */
int
map_loaded(const struct tlsmap_map *m)
{
	return m->src == NULL || m->src->table != NULL;
}

/* map_lookup - normalise a copy of the key and probe the table */
const struct table_entry *
map_lookup(const struct tlsmap_map *m, const char *key, size_t len)
{
	static char kbuf[MAP_MAX_REQUEST + 1];
	size_t i;

	if (m->src == NULL || m->src->table == NULL || len == 0 || len > MAP_MAX_REQUEST)
		return NULL;
	/*
	 * The request key gets the same folding as the file's keys, minus the
	 * syntax check: a malformed key simply matches nothing.
	 */
	for (i = 0; i < len; i++)
		kbuf[i] = (char)tolower((unsigned char)key[i]);
	if (len > 1 && kbuf[len - 1] == '.')
		len--;
	return table_lookup(m->src->table, kbuf, len);
}
