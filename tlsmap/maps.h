/*
 * maps.h - the named maps one tlsmap serves, and their source files
 *
 * Contract: a map set is parsed from the "maps" setting, a list of
 *   NAME=TYPE:FILE (TYPE policy or persite, FILE absolute; or dynamic or
 *   dynamic-tlsrpt, FILE the cache file of dynamic.h), plus the names
 *   listed in "report_only_maps". Each map is a table_source whose entries
 *   are validated at load time (tls_policy.h against the target Postfix
 *   version, or per_site.h) and whose answer is stored as the exact reply
 *   bytes ("N:OK data,"), so a lookup is one normalisation, one hash probe
 *   and one write. Keys, in the file and in requests, are normalised by
 *   map_key_normalise(): ASCII lower case, one trailing dot removed;
 *   "[host]" and "[host]:port" stay distinct from "host".
 *   A map whose file fails to load keeps its previous table; one that never
 *   loaded has no table (map_loaded() false) and the session answers TEMP.
 *   Every map gets table.h's guard (maps_guard()): a file still changing
 *   is not loaded yet, one cut short is refused, an empty or much smaller
 *   one is held until FILE.confirm. After maps_async() the reloads of
 *   maps_load() and maps_check() parse on the loader thread and swap on
 *   the loop; lookups meanwhile answer from the table in place.
 *   A dynamic map has no table (src NULL, map_loaded() true): the daemon
 *   answers it from a dyn (dynamic.h); the maps functions skip it.
 * Ownership: maps_free() frees the set, its tables and answers; a
 *   table_entry from map_lookup() is valid until the next maps_check(),
 *   maps_reload() or maps_free() on the loop thread.
 * Threads: loop thread only (the loader thread runs only the table
 *   callbacks, which read their map_load_ctx).
 */
#ifndef PFH_MAPS_H
#define PFH_MAPS_H

#include <stddef.h>

#include "tls_policy.h"

struct ev;
struct server_common;
struct table_entry;
struct table_source;

enum map_kind { MAP_POLICY, MAP_PERSITE, MAP_DYNAMIC };
#define MAP_KIND_COUNT	3
#define MAP_LEVEL_MAX	8	/* levels of the kind with the most */

/* Postfix's socketmap limits (socketmap_table(5)). */
#define MAP_MAX_REQUEST	10000
#define MAP_MAX_REPLY	100000

/* The precomputed answer behind every entry (table_entry.obj). */
struct map_answer {
	unsigned level;		/* enum tls_level or enum per_site_level */
	size_t	 wire_len;
	char	 wire[];	/* netstring "N:OK data," */
};

struct map_load_ctx {
	int	 kind;		/* enum map_kind */
	unsigned version;	/* target Postfix version (tls_policy.h) */
};

struct tlsmap_map {
	char	*name;
	enum map_kind kind;
	int	 report_only;
	int	 tlsrpt;		/* dynamic-tlsrpt */
	char	*path;			/* the file: table or cache */
	struct table_source *src;	/* NULL for a dynamic map */
	struct dyn *dyn;		/* a dynamic map's (the daemon's) */
	struct map_load_ctx *lctx;	/* table_ops arg; must not move */
};

struct maps {
	struct tlsmap_map *v;
	size_t	 n;
	unsigned version;
	int	 async;		/* maps_async() was called */
};

/* maps_new - parse the settings (nothing is loaded); NULL + err if bad */
struct maps *maps_new(const char *spec, const char *report_only,
	    unsigned version, char *err, size_t errlen);
void	maps_free(struct maps *);
/* maps_guard - every map gets the config's guard (server_table_guard) */
void	maps_guard(struct maps *, const struct server_common *);
/* maps_async - from now on reload on the loader thread of ev's loop */
void	maps_async(struct maps *, struct ev *);
/* maps_missing - the first map whose file is absent or held empty, or NULL */
struct tlsmap_map *maps_missing(const struct maps *);
/*
 * maps_load - load every map now; the number that failed (errors logged).
 * After maps_async(): start reloading them; 0.
 */
unsigned maps_load(struct maps *);
/* maps_check - reload maps whose file changed; the number that failed */
unsigned maps_check(struct maps *);
struct tlsmap_map *maps_find(const struct maps *, const char *name,
	    size_t len);
int	map_loaded(const struct tlsmap_map *);
/* map_lookup - normalise a request key and look it up; NULL not found */
const struct table_entry *map_lookup(const struct tlsmap_map *,
	    const char *key, size_t len);

/*
 * maps_recheck_fn - told each loaded policy entry that fails validation
 * against another version (why: tls_policy_check()'s reason)
 */
typedef void maps_recheck_fn(const struct tlsmap_map *,
	    const struct table_entry *, const char *why, void *ctx);
/*
 * maps_recheck - validate the loaded policy tables again for version (the
 * installed Postfix rather than the target); the number of entries that
 * fail, each also given to fn (may be NULL). Persite maps and maps with no
 * table are skipped. Report-only maps count: they are one name away from
 * being served.
 */
unsigned maps_recheck(const struct maps *, unsigned version,
	    maps_recheck_fn *fn, void *ctx);

const char *map_kind_name(enum map_kind);
unsigned map_level_count(enum map_kind);
const char *map_level_name(enum map_kind, unsigned level);

#endif /* PFH_MAPS_H */
