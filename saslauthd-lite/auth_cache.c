/*
 * auth_cache.c - the credential cache (contract in auth_cache.h)
 *
 * Two kinds of entry share one LRU table: a positive entry is found by the
 * 32-byte user key and holds the verifier of the right password; a
 * negative entry is found by user key || verifier, so several wrong
 * passwords of one user each have their own and none displaces the
 * positive one.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth_cache.h"
#include "log.h"
#include "lru.h"
#include "secret.h"
#include "xalloc.h"

struct auth_cache {
	unsigned char key[AUTH_MAC_LEN];
	struct lru *lru;
	struct auth_cache_stats st;
};

struct cache_ent {
	unsigned char ver[AUTH_MAC_LEN];
	uint64_t expires;
	int	 backend;
	bool	 ok;
};

/* auth_hmac - HMAC-SHA-256 over two concatenated pieces */
void
auth_hmac(const unsigned char key[AUTH_MAC_LEN], const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[AUTH_MAC_LEN])
{
	unsigned int outlen = AUTH_MAC_LEN;
	unsigned char *buf;
	size_t n = alen + blen;

	/* one buffer: the one-shot HMAC() is the API OpenSSL 1.1 and 3 share */
	buf = xmalloc(n ? n : 1);
	if (alen)
		memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	if (HMAC(EVP_sha256(), key, AUTH_MAC_LEN, buf, n, out, &outlen) == NULL)
		log_panic("auth_hmac: HMAC-SHA-256 failed");
	secret_free(buf, n ? n : 1);
}

/* auth_cache_new - empty cache under a caller-made random key */
struct auth_cache *
auth_cache_new(const unsigned char key[AUTH_MAC_LEN], size_t max_entries,
    uint64_t seed)
{
	struct auth_cache *c = xcalloc(1, sizeof(*c));

	memcpy(c->key, key, AUTH_MAC_LEN);
	c->lru = lru_new(max_entries, sizeof(struct cache_ent), seed);
	return c;
}

/* auth_cache_free - wipe and free */
void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	lru_free(c->lru);
	secret_free(c, sizeof(*c));
}

/* auth_cache_prepare - the two digests for one request */
void
auth_cache_prepare(const struct auth_cache *c, const char *login,
    const char *realm, const char *service, const char *password,
    size_t pwlen, struct auth_cache_query *q)
{
	size_t ll = strlen(login), rl = strlen(realm), sl = strlen(service);
	size_t n = 2 + ll + 1 + rl + 1 + sl;
	char *id = xmalloc(n);

	/* "k" then the three fields NUL-separated: no two tuples collide */
	id[0] = 'k';
	id[1] = 0;
	memcpy(id + 2, login, ll);
	id[2 + ll] = 0;
	memcpy(id + 3 + ll, realm, rl);
	id[3 + ll + rl] = 0;
	memcpy(id + 4 + ll + rl, service, sl);
	auth_hmac(c->key, id, n, NULL, 0, q->key);
	secret_free(id, n);
	/* the verifier is bound to this user's key */
	auth_hmac(c->key, q->key, AUTH_MAC_LEN, password, pwlen, q->ver);
}

/* live - the entry, or NULL after dropping it when expired */
static struct cache_ent *
live(struct auth_cache *c, struct cache_ent *e, uint64_t now)
{
	if (e != NULL && now >= e->expires) {
		lru_remove(c->lru, e);
		c->st.expired++;
		return NULL;
	}
	return e;
}

/* auth_cache_lookup - positive entry first, then a negative one */
enum auth_cache_result
auth_cache_lookup(struct auth_cache *c, const struct auth_cache_query *q,
    uint64_t now, int *backend_r)
{
	unsigned char nkey[2 * AUTH_MAC_LEN];
	struct cache_ent *e;

	e = live(c, lru_get(c->lru, q->key, AUTH_MAC_LEN), now);
	if (e != NULL && ct_memeq(e->ver, q->ver, AUTH_MAC_LEN)) {
		c->st.hits++;
		*backend_r = e->backend;
		return CACHE_OK;
	}
	memcpy(nkey, q->key, AUTH_MAC_LEN);
	memcpy(nkey + AUTH_MAC_LEN, q->ver, AUTH_MAC_LEN);
	e = live(c, lru_get(c->lru, nkey, sizeof(nkey)), now);
	if (e != NULL) {
		c->st.hits++;
		*backend_r = e->backend;
		return CACHE_NO;
	}
	c->st.misses++;
	return CACHE_MISS;
}

/* auth_cache_insert - remember a backend's definitive answer */
void
auth_cache_insert(struct auth_cache *c, const struct auth_cache_query *q,
    bool ok, int backend, uint64_t now, uint64_t ttl)
{
	unsigned char nkey[2 * AUTH_MAC_LEN];
	struct cache_ent *e;

	if (ttl == 0)
		return;
	if (ok) {
		e = lru_put(c->lru, q->key, AUTH_MAC_LEN, NULL);
	} else {
		memcpy(nkey, q->key, AUTH_MAC_LEN);
		memcpy(nkey + AUTH_MAC_LEN, q->ver, AUTH_MAC_LEN);
		e = lru_put(c->lru, nkey, sizeof(nkey), NULL);
	}
	memcpy(e->ver, q->ver, AUTH_MAC_LEN);
	e->expires = now + ttl;
	e->backend = backend;
	e->ok = ok;
	c->st.inserts++;
}

/* auth_cache_flush - forget everything (reload, password source change) */
void
auth_cache_flush(struct auth_cache *c)
{
	lru_clear(c->lru);
	c->st.flushes++;
}

/* auth_cache_count - live and not yet expired-and-noticed entries */
size_t
auth_cache_count(const struct auth_cache *c)
{
	return lru_count(c->lru);
}

/* auth_cache_max - the size bound */
size_t
auth_cache_max(const struct auth_cache *c)
{
	return lru_max(c->lru);
}

/* auth_cache_get_stats - counters for the status page */
void
auth_cache_get_stats(const struct auth_cache *c, struct auth_cache_stats *s)
{
	*s = c->st;
}
