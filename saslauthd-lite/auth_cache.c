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
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include "auth_cache.h"
#include "log.h"
#include "lru.h"
#include "secret.h"
#include "xalloc.h"

struct auth_cache {
	unsigned char key[AUTH_MAC_LEN];
	struct lru *lru;
	uint64_t gen;			/* bumped by every flush */
	struct auth_cache_stats st;
};

struct cache_ent {
	unsigned char ver[AUTH_MAC_LEN];
	uint64_t expires;
	int	 backend;
	bool	 ok;
};

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
/*
 * One keyed HMAC context per thread, re-initialised per call. The one-shot
 * HMAC() looks the digest up in the provider store (under a lock) and
 * builds a context every time: three times per request, that was a tenth
 * of a cached answer's cost. With the key unchanged, EVP_MAC_init() with no
 * key restarts from the stored key state.
 */
static __thread EVP_MAC_CTX *hmac_ctx;
static __thread unsigned char hmac_ctx_key[AUTH_MAC_LEN];

static EVP_MAC_CTX *
hmac_keyed(const unsigned char key[AUTH_MAC_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	if (hmac_ctx != NULL &&
	    CRYPTO_memcmp(hmac_ctx_key, key, AUTH_MAC_LEN) == 0) {
		if (EVP_MAC_init(hmac_ctx, NULL, 0, NULL) != 1)
			log_panic("auth_hmac: HMAC-SHA-256 restart failed");
		return hmac_ctx;
	}
	if (hmac_ctx == NULL) {
		if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
		    (hmac_ctx = EVP_MAC_CTX_new(mac)) == NULL)
			log_panic("auth_hmac: no HMAC in libcrypto");
		EVP_MAC_free(mac);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(hmac_ctx, key, AUTH_MAC_LEN, params) != 1)
		log_panic("auth_hmac: HMAC-SHA-256 key setup failed");
	memcpy(hmac_ctx_key, key, AUTH_MAC_LEN);
	return hmac_ctx;
}

/* auth_hmac - HMAC-SHA-256 over two concatenated pieces */
void
auth_hmac(const unsigned char key[AUTH_MAC_LEN], const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[AUTH_MAC_LEN])
{
	EVP_MAC_CTX *m = hmac_keyed(key);
	size_t outlen = 0;

	if ((alen && EVP_MAC_update(m, a, alen) != 1) ||
	    (blen && EVP_MAC_update(m, b, blen) != 1) ||
	    EVP_MAC_final(m, out, &outlen, AUTH_MAC_LEN) != 1 ||
	    outlen != AUTH_MAC_LEN)
		log_panic("auth_hmac: HMAC-SHA-256 failed");
}
#else
/* auth_hmac - HMAC-SHA-256 over two concatenated pieces (OpenSSL 1.1) */
void
auth_hmac(const unsigned char key[AUTH_MAC_LEN], const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[AUTH_MAC_LEN])
{
	unsigned int outlen = AUTH_MAC_LEN;
	unsigned char *buf;
	size_t n = alen + blen;

	buf = xmalloc(n ? n : 1);
	if (alen)
		memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	if (HMAC(EVP_sha256(), key, AUTH_MAC_LEN, buf, n, out, &outlen) == NULL)
		log_panic("auth_hmac: HMAC-SHA-256 failed");
	secret_free(buf, n ? n : 1);
}
#endif

/* auth_cache_new - empty cache under a caller-made random key */
struct auth_cache *
auth_cache_new(const unsigned char key[AUTH_MAC_LEN], size_t max_entries,
    uint64_t seed, uint64_t gen)
{
	struct auth_cache *c = xcalloc(1, sizeof(*c));

	memcpy(c->key, key, AUTH_MAC_LEN);
	c->gen = gen;
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
bool
auth_cache_insert(struct auth_cache *c, const struct auth_cache_query *q,
    bool ok, int backend, uint64_t now, uint64_t ttl, uint64_t gen)
{
	unsigned char nkey[2 * AUTH_MAC_LEN];
	struct cache_ent *e;

	if (ttl == 0)
		return false;
	if (gen != c->gen) {
		/* checked against data a flush has since thrown out */
		c->st.stale++;
		return false;
	}
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
	return true;
}

/* auth_cache_flush - forget everything (reload, password source change) */
void
auth_cache_flush(struct auth_cache *c)
{
	lru_clear(c->lru);
	c->gen++;
	c->st.flushes++;
}

/* auth_cache_generation - what a request takes before its backend runs */
uint64_t
auth_cache_generation(const struct auth_cache *c)
{
	return c->gen;
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
