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
 * Generations: every flush starts a new generation. A request takes
 * auth_cache_generation() before its backend looks at the password data
 * and hands it back to auth_cache_insert(), which stores nothing when a
 * flush came in between: an answer checked against data that has since
 * been reloaded (SIGHUP, a changed password file) would otherwise outlive
 * the flush by a whole TTL. A cache that replaces another starts past the
 * old one's generation (auth_cache_new's `gen`), so answers checked while
 * the old one was current are refused by the new one as well.
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
	unsigned long stale;	/* answers refused: a flush came in between */
};

/* auth_hmac - HMAC-SHA-256(key, a || b) */
void	auth_hmac(const unsigned char key[AUTH_MAC_LEN], const void *a,
	    size_t alen, const void *b, size_t blen,
	    unsigned char out[AUTH_MAC_LEN]);

struct auth_cache *auth_cache_new(const unsigned char key[AUTH_MAC_LEN],
	    size_t max_entries, uint64_t seed, uint64_t gen);
void	auth_cache_free(struct auth_cache *);
void	auth_cache_prepare(const struct auth_cache *, const char *login,
	    const char *realm, const char *service, const char *password,
	    size_t pwlen, struct auth_cache_query *);
/* auth_cache_lookup - *backend_r gets what the entry was stored with */
enum auth_cache_result auth_cache_lookup(struct auth_cache *,
	    const struct auth_cache_query *, uint64_t now, int *backend_r);
/*
 * auth_cache_insert - store unless ttl is 0 or gen is no longer current;
 * true when stored
 */
bool	auth_cache_insert(struct auth_cache *, const struct auth_cache_query *,
	    bool ok, int backend, uint64_t now, uint64_t ttl, uint64_t gen);
/* auth_cache_flush - forget everything and start a new generation */
void	auth_cache_flush(struct auth_cache *);
uint64_t auth_cache_generation(const struct auth_cache *);
size_t	auth_cache_count(const struct auth_cache *);
size_t	auth_cache_max(const struct auth_cache *);
void	auth_cache_get_stats(const struct auth_cache *, struct auth_cache_stats *);

#endif /* SASL_AUTH_CACHE_H */
