/*
 * htab.h - string-keyed hash table with an arena, for bulk-loaded maps
 *
 * Built once, then read: this is the index behind table.c, where a file of
 * up to a million "key value" lines is loaded and then only looked up.
 *
 * Contract: keys are byte strings of any content (NUL included) compared by
 *   length and bytes. htab_enter() copies the key into the table's arena and
 *   adds key -> val; it never replaces: when the key is already present it
 *   returns 0 and leaves the table unchanged. There is no deletion.
 *   Lookups are O(1) expected (open addressing, linear probing, load factor
 *   at most 3/4). htab_at() visits entries in insertion order.
 *   htab_alloc() and htab_strndup() hand out arena memory that lives exactly
 *   as long as the table; use them for per-entry data (values, structs), so
 *   loading costs no malloc() per entry and freeing costs one per 64 KiB.
 * Ownership: the table owns the key copies and everything from htab_alloc()
 *   and htab_strndup(); htab_free() releases all of it. Values are the
 *   caller's pointers: the table never looks at them or frees them.
 *   A struct htab_ent pointer is valid until the next htab_enter(); the key
 *   and arena memory it points to stay valid until htab_free().
 * Threads: no locking inside. Once building is finished, any number of
 *   threads may call htab_find(), htab_lookup(), htab_at() and htab_count().
 * Limits: at most HTAB_MAX_ENTRIES entries; going past it is a caller bug
 *   (log_panic).
 */
#ifndef PFH_HTAB_H
#define PFH_HTAB_H

#include <stddef.h>
#include <stdint.h>

#define HTAB_MAX_ENTRIES	(UINT32_MAX / 4)

struct htab;

struct htab_ent {		/* read-only for callers, except val */
	const char *key;	/* arena copy, NUL-terminated after len bytes */
	void	*val;
	size_t	 len;
};

/* htab_new - empty table sized for about `expect` entries (0 = small) */
struct htab *htab_new(size_t expect);
/* htab_free - release the table, its keys and its arena; NULL is a no-op */
void	htab_free(struct htab *);
/* htab_enter - add key -> val: 1 added, 0 key present (table unchanged); *ent_r (may be NULL) gets the new or the existing entry */
int	htab_enter(struct htab *, const char *key, size_t len, void *val,
	    struct htab_ent **ent_r);
/* htab_lookup - the entry for key, or NULL */
const struct htab_ent *htab_lookup(const struct htab *, const char *key,
	    size_t len);
/* htab_find - the value for key, or NULL when absent (or stored as NULL) */
void	*htab_find(const struct htab *, const char *key, size_t len);
size_t	htab_count(const struct htab *);
/* htab_at - the i-th entry in insertion order, i < htab_count() */
const struct htab_ent *htab_at(const struct htab *, size_t i);
/* htab_alloc - arena memory (max_align_t-aligned, not zeroed), freed with the table */
void	*htab_alloc(struct htab *, size_t size);
/* htab_strndup - NUL-terminated arena copy of len bytes */
char	*htab_strndup(struct htab *, const char *, size_t len);

#endif /* PFH_HTAB_H */
