/*
 * lru.h - bounded hash map with least-recently-used eviction
 *
 * Used by the credential cache and the failure throttle, whose keys come
 * from clients: the table never holds more than `max` entries, and the
 * oldest is evicted to make room. Keys are byte strings (copied in);
 * each entry carries `data_size` bytes of caller data, zeroed on creation.
 * The bucket hash is seeded per table, so a client cannot aim its keys at
 * one chain.
 * Contract: lru_get() and lru_put() mark the entry most recently used;
 * data pointers stay valid until the entry is removed or evicted (by a
 * later lru_put()) or the table is cleared or freed. Single thread.
 * An owner whose data points at other objects (tlsmap's dynamic cache)
 * sets lru_set_drop(): fn sees every entry's data just before the entry
 * goes, whether evicted, removed, cleared or freed. Entries are wiped
 * when they go (the credential cache keeps keyed digests in them).
 */
#ifndef PFH_LRU_H
#define PFH_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

struct lru *lru_new(size_t max, size_t data_size, uint64_t seed);
void	lru_free(struct lru *);
/* lru_set_drop - fn(data, arg) before any entry goes (NULL: none) */
void	lru_set_drop(struct lru *, void (*fn)(void *data, void *arg),
	    void *arg);
/* lru_get - the data for key, or NULL */
void	*lru_get(struct lru *, const void *key, size_t klen);
/* lru_put - the data for key, created (zeroed; *created = 1) when absent */
void	*lru_put(struct lru *, const void *key, size_t klen, int *created);
/* lru_remove - drop the entry owning this data pointer */
void	lru_remove(struct lru *, void *data);
void	lru_clear(struct lru *);
size_t	lru_count(const struct lru *);
size_t	lru_max(const struct lru *);
unsigned long lru_evictions(const struct lru *);
/* lru_foreach - most recent first; stop when fn returns non-zero */
int	lru_foreach(struct lru *, int (*fn)(const void *key, size_t klen,
	    void *data, void *arg), void *arg);

#endif /* PFH_LRU_H */
