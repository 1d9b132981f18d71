/*
 * htab.c - string-keyed hash table with an arena, for bulk-loaded maps
 *
 * Layout (the "compact dict" shape): entries live in a dense array in
 * insertion order; the probe array holds only {entry index + 1, 32-bit hash}
 * pairs, 8 bytes a slot. Probing therefore touches one small array and
 * compares hashes before it ever dereferences a key, and iteration in
 * insertion order comes for free. A million entries cost 16 MiB of slots
 * (2M slots at the 3/4 load limit), 24 MiB of entries and the key bytes.
 *
 * Keys, and whatever the caller puts in the arena, are bump-allocated from
 * 64 KiB chunks, so a bulk load does no malloc() per entry.
 *
 * There is no delete, hence no tombstones: a probe stops at the first empty
 * slot. The hash is unseeded; keys come from files the admin controls, and
 * lookups by peers cannot add entries, so there is no flooding to defend.
 */
#include "sysdep.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "log.h"
#include "xalloc.h"

#define HTAB_CHUNK	(64 * 1024)
#define HTAB_MIN_SLOTS	16

struct htab_slot {
	uint32_t idx1;		/* entry index + 1; 0 = empty */
	uint32_t hash;
};

struct htab_chunk {
	struct htab_chunk *next;
	size_t	size;		/* usable bytes after the header */
	size_t	used;
	alignas(max_align_t) unsigned char data[];
};

struct htab {
	struct htab_slot *slots;
	size_t	nslots;		/* power of two */
	struct htab_ent *ents;
	size_t	nents, ents_cap;
	struct htab_chunk *chunks;	/* current chunk first */
};

/* hash_bytes - 64-bit multiply-xorshift hash folded to 32 bits */
static uint32_t
hash_bytes(const char *key, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0x243f6a8885a308d3ULL ^ (len * k), w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ (w * k)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ (w * k)) * 0xff51afd7ed558ccdULL;
	}
	/* murmur3 finaliser: every input bit reaches the low bits we mask */
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)(h ^ (h >> 32));
}

/* slots_for - power-of-two slot count keeping `n` entries under 3/4 load */
static size_t
slots_for(size_t n)
{
	size_t s = HTAB_MIN_SLOTS;

	while (s / 4 * 3 < n + 1)
		s *= 2;
	return s;
}

/* htab_new - empty table sized for about `expect` entries */
struct htab *
htab_new(size_t expect)
{
	struct htab *h = xcalloc(1, sizeof(*h));

	if (expect > HTAB_MAX_ENTRIES)
		expect = HTAB_MAX_ENTRIES;
	h->nslots = slots_for(expect);
	h->slots = xcalloc(h->nslots, sizeof(*h->slots));
	h->ents_cap = expect > 8 ? expect : 8;
	h->ents = xreallocarray(NULL, h->ents_cap, sizeof(*h->ents));
	return h;
}

/* htab_free - release the table, its keys and its arena */
void
htab_free(struct htab *h)
{
	struct htab_chunk *c, *next;

	if (h == NULL)
		return;
	for (c = h->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(h->slots);
	free(h->ents);
	free(h);
}

/* arena_get - bump-allocate size bytes aligned to align (a power of two) */
static void *
arena_get(struct htab *h, size_t size, size_t align)
{
	struct htab_chunk *c = h->chunks;
	size_t off;

	if (c != NULL) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->size && size <= c->size - off) {
			c->used = off + size;
			return c->data + off;
		}
	}

	/*
	 * A big request gets a chunk of its own, linked behind the current
	 * one so that the current chunk's free tail is not thrown away.
	 */
	if (size > HTAB_CHUNK / 4) {
		if (size > SIZE_MAX - sizeof(*c))
			log_panic("htab: arena request of %zu bytes", size);
		c = xmalloc(sizeof(*c) + size);
		c->size = c->used = size;
		if (h->chunks != NULL) {
			c->next = h->chunks->next;
			h->chunks->next = c;
		} else {
			c->next = NULL;
			h->chunks = c;
		}
		return c->data;
	}
	c = xmalloc(sizeof(*c) + HTAB_CHUNK);
	c->size = HTAB_CHUNK;
	c->used = size;
	c->next = h->chunks;
	h->chunks = c;
	return c->data;
}

/* htab_alloc - aligned arena memory */
void *
htab_alloc(struct htab *h, size_t size)
{
	return arena_get(h, size ? size : 1, alignof(max_align_t));
}

/* htab_strndup - NUL-terminated arena copy */
char *
htab_strndup(struct htab *h, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		log_panic("htab_strndup: length overflow");
	p = arena_get(h, len + 1, 1);
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

/* probe - slot where key lives, or the empty slot where it would go */
static size_t
probe(const struct htab *h, const char *key, size_t len, uint32_t hash)
{
	size_t mask = h->nslots - 1, i = hash & mask;
	const struct htab_slot *s;
	const struct htab_ent *e;

	for (;; i = (i + 1) & mask) {
		s = h->slots + i;
		if (s->idx1 == 0)
			return i;
		if (s->hash != hash)
			continue;
		e = h->ents + (s->idx1 - 1);
		if (e->len == len && memcmp(e->key, key, len) == 0)
			return i;
	}
}

/* grow - double the slot array and re-place every entry by its stored hash */
static void
grow(struct htab *h)
{
	struct htab_slot *old = h->slots;
	size_t oldn = h->nslots, i, j, mask;

	h->nslots = oldn * 2;
	h->slots = xcalloc(h->nslots, sizeof(*h->slots));
	mask = h->nslots - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].idx1 == 0)
			continue;
		for (j = old[i].hash & mask; h->slots[j].idx1 != 0;
		    j = (j + 1) & mask)
			;
		h->slots[j] = old[i];
	}
	free(old);
}

/* htab_enter - add key -> val unless the key is present */
int
htab_enter(struct htab *h, const char *key, size_t len, void *val,
    struct htab_ent **ent_r)
{
	uint32_t hash = hash_bytes(key, len);
	struct htab_ent *e;
	size_t i;

	i = probe(h, key, len, hash);
	if (h->slots[i].idx1 != 0) {
		if (ent_r)
			*ent_r = h->ents + (h->slots[i].idx1 - 1);
		return 0;
	}
	if (h->nents >= HTAB_MAX_ENTRIES)
		log_panic("htab: more than %lu entries",
		    (unsigned long)HTAB_MAX_ENTRIES);
	if ((h->nents + 1) > h->nslots / 4 * 3) {
		grow(h);
		i = probe(h, key, len, hash);
	}
	if (h->nents == h->ents_cap) {
		h->ents_cap *= 2;
		h->ents = xreallocarray(h->ents, h->ents_cap, sizeof(*h->ents));
	}
	e = h->ents + h->nents;
	e->key = htab_strndup(h, key, len);
	e->len = len;
	e->val = val;
	h->nents++;
	h->slots[i].idx1 = (uint32_t)h->nents;
	h->slots[i].hash = hash;
	if (ent_r)
		*ent_r = e;
	return 1;
}

/* htab_lookup - the entry for key, or NULL */
const struct htab_ent *
htab_lookup(const struct htab *h, const char *key, size_t len)
{
	size_t i = probe(h, key, len, hash_bytes(key, len));

	if (h->slots[i].idx1 == 0)
		return NULL;
	return h->ents + (h->slots[i].idx1 - 1);
}

/* htab_find - the value for key, or NULL */
void *
htab_find(const struct htab *h, const char *key, size_t len)
{
	const struct htab_ent *e = htab_lookup(h, key, len);

	return e ? e->val : NULL;
}

/* htab_count - number of entries */
size_t
htab_count(const struct htab *h)
{
	return h->nents;
}

/* htab_at - i-th entry in insertion order */
const struct htab_ent *
htab_at(const struct htab *h, size_t i)
{
	if (i >= h->nents)
		log_panic("htab_at: index %zu of %zu", i, h->nents);
	return h->ents + i;
}
