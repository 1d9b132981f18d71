/*
 * auth_cache.h - the credential cache (-c)
 *
 * Nothing in it can give a password back: an entry is found by a keyed
 * digest of login, realm and service, and holds a keyed digest of the
 * password (the verifier), both HMAC-SHA-256 under a random key made at
 * start, compared in constant time. Cyrus keys its cache with an unsalted
 * MD5 of the password; Dovecot CVE-2007-6598 let one user in as another —
 * so the verifier is bound to the entry's own key.
 * Positive entries ("this password was right") by default; negative ones
 * only with a negative TTL, kept apart so a wrong guess never evicts the
 * right password. Hard TTL on every entry, bounded size, LRU eviction.
 * Contract: loop thread only; time comes in as `now` (ms, monotonic) so
 * tests drive it. auth_cache_prepare() digests the password at once; the
 * caller wipes its own copy whenever it likes.
 */
#ifndef SASL_AUTH_CACHE_H
#define SASL_AUTH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_MAC_LEN	32

struct auth_cache;

struct auth_cache_query {
	unsigned char key[AUTH_MAC_LEN];
	unsigned char ver[AUTH_MAC_LEN];
};

enum auth_cache_result { CACHE_MISS, CACHE_OK, CACHE_NO };

struct auth_cache_stats {
	unsigned long hits, misses, inserts, expired, flushes;
};

/* auth_hmac - HMAC-SHA-256(key, a || b) */
void	auth_hmac(const unsigned char key[AUTH_MAC_LEN], const void *a,
	    size_t alen, const void *b, size_t blen,
	    unsigned char out[AUTH_MAC_LEN]);

struct auth_cache *auth_cache_new(const unsigned char key[AUTH_MAC_LEN],
	    size_t max_entries, uint64_t seed);
void	auth_cache_free(struct auth_cache *);
void	auth_cache_prepare(const struct auth_cache *, const char *login,
	    const char *realm, const char *service, const char *password,
	    size_t pwlen, struct auth_cache_query *);
/* auth_cache_lookup - *backend_r gets what the entry was stored with */
enum auth_cache_result auth_cache_lookup(struct auth_cache *,
	    const struct auth_cache_query *, uint64_t now, int *backend_r);
/* auth_cache_insert - ttl 0 stores nothing */
void	auth_cache_insert(struct auth_cache *, const struct auth_cache_query *,
	    bool ok, int backend, uint64_t now, uint64_t ttl);
void	auth_cache_flush(struct auth_cache *);
size_t	auth_cache_count(const struct auth_cache *);
size_t	auth_cache_max(const struct auth_cache *);
void	auth_cache_get_stats(const struct auth_cache *, struct auth_cache_stats *);

#endif /* SASL_AUTH_CACHE_H */
