/*
 * lru.c - bounded hash map with least-recently-used eviction
 *
 * Chained buckets (a power of two, at least twice `max`) plus one doubly
 * linked recency list. Each entry is one allocation: header, caller data,
 * then the key bytes.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "secret.h"
#include "xalloc.h"

struct lru_ent {
	struct lru_ent *hnext;		/* bucket chain */
	struct lru_ent *prev, *next;	/* recency: head is newest */
	uint64_t hash;
	size_t	 klen;
	/* data_size bytes of data, then klen bytes of key */
	max_align_t data[];
};

struct lru {
	struct lru_ent **bucket;
	size_t	 nbucket, count, max, data_size;
	struct lru_ent *head, *tail;
	uint64_t seed;
	unsigned long evictions;
	void	(*drop_fn)(void *data, void *arg);
	void	*drop_arg;
};

#define ENT_KEY(l, e)	((unsigned char *)(e)->data + (l)->data_size)
#define DATA_ENT(d)	((struct lru_ent *)((char *)(d) - offsetof(struct lru_ent, data)))

/* lru_hash - seeded FNV-1a, finished with a 64-bit mixer */
static uint64_t
lru_hash(uint64_t seed, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* lru_new - an empty table for at most max entries */
struct lru *
lru_new(size_t max, size_t data_size, uint64_t seed)
{
	struct lru *l = xcalloc(1, sizeof(*l));

	l->max = max ? max : 1;
	l->nbucket = 16;
	while (l->nbucket < l->max * 2)
		l->nbucket <<= 1;
	l->bucket = xcalloc(l->nbucket, sizeof(*l->bucket));
	/* keep the key behind the data aligned for any data */
	l->data_size = (data_size + sizeof(max_align_t) - 1) &
	    ~(sizeof(max_align_t) - 1);
	l->seed = seed;
	return l;
}

/* unlink_recency - take e out of the recency list */
static void
unlink_recency(struct lru *l, struct lru_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

/* push_front - make e the newest */
static void
push_front(struct lru *l, struct lru_ent *e)
{
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (l->tail == NULL)
		l->tail = e;
}

/* drop - unlink e everywhere, wipe and free it */
static void
drop(struct lru *l, struct lru_ent *e)
{
	struct lru_ent **pp = &l->bucket[e->hash & (l->nbucket - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	unlink_recency(l, e);
	if (l->drop_fn != NULL)
		l->drop_fn(e->data, l->drop_arg);
	l->count--;
	/* entries hold keyed digests and login names: do not leave them */
	secret_free(e, sizeof(*e) + l->data_size + e->klen);
}

/* find - the entry for key, or NULL */
static struct lru_ent *
find(struct lru *l, const void *key, size_t klen, uint64_t h)
{
	struct lru_ent *e;

	for (e = l->bucket[h & (l->nbucket - 1)]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen &&
		    memcmp(ENT_KEY(l, e), key, klen) == 0)
			return e;
	return NULL;
}

/* lru_get - lookup, marking the entry most recently used */
void *
lru_get(struct lru *l, const void *key, size_t klen)
{
	struct lru_ent *e = find(l, key, klen, lru_hash(l->seed, key, klen));

	if (e == NULL)
		return NULL;
	unlink_recency(l, e);
	push_front(l, e);
	return e->data;
}

/* lru_put - lookup or create, evicting the oldest entry when full */
void *
lru_put(struct lru *l, const void *key, size_t klen, int *created)
{
	uint64_t h = lru_hash(l->seed, key, klen);
	struct lru_ent *e = find(l, key, klen, h);
	size_t b;

	if (created)
		*created = 0;
	if (e != NULL) {
		unlink_recency(l, e);
		push_front(l, e);
		return e->data;
	}
	if (l->count >= l->max && l->tail) {
		drop(l, l->tail);
		l->evictions++;
	}
	e = xcalloc(1, sizeof(*e) + l->data_size + klen);
	e->hash = h;
	e->klen = klen;
	memcpy(ENT_KEY(l, e), key, klen);
	b = h & (l->nbucket - 1);
	e->hnext = l->bucket[b];
	l->bucket[b] = e;
	push_front(l, e);
	l->count++;
	if (created)
		*created = 1;
	return e->data;
}

/* lru_remove - drop the entry that owns data */
void
lru_set_drop(struct lru *l, void (*fn)(void *data, void *arg), void *arg)
{
	l->drop_fn = fn;
	l->drop_arg = arg;
}

void
lru_remove(struct lru *l, void *data)
{
	drop(l, DATA_ENT(data));
}

/* lru_clear - drop everything */
void
lru_clear(struct lru *l)
{
	while (l->head)
		drop(l, l->head);
}

/* lru_free - drop everything and the table */
void
lru_free(struct lru *l)
{
	if (l == NULL)
		return;
	lru_clear(l);
	free(l->bucket);
	free(l);
}

/* lru_count - entries held */
size_t
lru_count(const struct lru *l)
{
	return l->count;
}

/* lru_max - the bound */
size_t
lru_max(const struct lru *l)
{
	return l->max;
}

/* lru_evictions - entries pushed out to make room */
unsigned long
lru_evictions(const struct lru *l)
{
	return l->evictions;
}

/* lru_foreach - visit newest first */
int
lru_foreach(struct lru *l, int (*fn)(const void *, size_t, void *, void *),
    void *arg)
{
	struct lru_ent *e, *next;
	int rc;

	for (e = l->head; e; e = next) {
		next = e->next;		/* fn may lru_remove() this one */
		if ((rc = fn(ENT_KEY(l, e), e->klen, e->data, arg)) != 0)
			return rc;
	}
	return 0;
}
