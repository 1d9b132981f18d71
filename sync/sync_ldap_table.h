/*
 * sync_ldap_table.h - an LDAP feed's entries, keyed by entryUUID
 *
 * RFC 4533 names entries by entryUUID: a rename (modrdn) arrives as a
 * modify of the same UUID under its new DN, a delete carries only the
 * UUID, and a refresh in the present phase lists the UUIDs of unchanged
 * entries, after which every entry not listed is gone. So the agent keeps
 * each entry's rows (already turned into the format's columns when the
 * entry arrives) under its UUID, and writes the file from all of them.
 *
 * Contract:
 *   sync_ldap_entry_new() - an entry message's rows for the feed: its
 *     attributes (fc->attr, in order) as the format's columns, one row
 *     per value of the first attribute; a later attribute with more than
 *     one value, a value with a NUL byte, a password that is not a
 *     {CRYPT} hash, an unreadable certificate make an entry that carries
 *     its error instead (it refuses the update when written, naming the
 *     DN and the attribute, never a value). A missing attribute is an
 *     empty column.
 *   sync_ldap_table_put() - the entry under uuid, replacing (and freeing)
 *     an older one; it is marked present. _delete() removes one.
 *   _unmark() / _mark() / _sweep(): the present phase: all unmarked, the
 *     listed ones marked, then every unmarked one removed (the count).
 *   sync_ldap_table_each() - every entry, ordered by its first column
 *     (then DN) so that the same entries always make the same file: its
 *     DN, its error (NULL when its rows are good) and its rows (nrows of
 *     ncols strings, row-major; none after an error).
 *   _count() entries, _bytes() their rows' size (the feed's memory
 *     bound). Memory that held a password hash is wiped when freed.
 *   sync_ldap_table_save() - the table, the feed's search (config: a text
 *     that changes when the search would) and the cookie as text, for
 *     the snapshot file beside the output: a restarted agent sends the
 *     cookie and gets only what changed. -1 when out is full.
 *   sync_ldap_table_load() - such a text back into the (cleared) table,
 *     for rows of ncols columns: 0 and the cookie (malloc'd), or -1 and
 *     a reason, the table then empty, for anything that is not exactly
 *     what _save writes (a UUID twice, a row of another width, a field
 *     with a NUL byte) or whose config differs. Never reads past len.
 */
#ifndef PFH_SYNC_LDAP_TABLE_H
#define PFH_SYNC_LDAP_TABLE_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>

#include "sync_ldap_msg.h"

struct buf;
struct sync_feed_cfg;
struct sync_ldap_entry;
struct sync_ldap_table;

struct sync_ldap_entry *sync_ldap_entry_new(LDAP *, LDAPMessage *,
	    const struct sync_feed_cfg *);
void	sync_ldap_entry_free(struct sync_ldap_entry *);

struct sync_ldap_table *sync_ldap_table_new(void);
void	sync_ldap_table_free(struct sync_ldap_table *);
void	sync_ldap_table_clear(struct sync_ldap_table *);
void	sync_ldap_table_put(struct sync_ldap_table *,
	    const unsigned char uuid[SYNC_UUID_LEN], struct sync_ldap_entry *);
void	sync_ldap_table_delete(struct sync_ldap_table *,
	    const unsigned char uuid[SYNC_UUID_LEN]);
void	sync_ldap_table_unmark(struct sync_ldap_table *);
void	sync_ldap_table_mark(struct sync_ldap_table *,
	    const unsigned char uuid[SYNC_UUID_LEN]);
size_t	sync_ldap_table_sweep(struct sync_ldap_table *);
size_t	sync_ldap_table_count(const struct sync_ldap_table *);
size_t	sync_ldap_table_bytes(const struct sync_ldap_table *);
int	sync_ldap_table_save(const struct sync_ldap_table *,
	    const char *config, const struct sync_cookie *, struct buf *out);
int	sync_ldap_table_load(struct sync_ldap_table *, const char *text,
	    size_t len, const char *config, unsigned ncols, bool secret,
	    struct sync_cookie *cookie, char *err, size_t errlen);
typedef void sync_ldap_visit_fn(void *ctx, const char *dn,
	    const char *error, const char *const *cols, unsigned nrows,
	    unsigned ncols);
void	sync_ldap_table_each(struct sync_ldap_table *, sync_ldap_visit_fn *,
	    void *ctx);

#endif /* PFH_SYNC_LDAP_TABLE_H */
