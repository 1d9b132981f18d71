/*
 * throttle.h - failure throttling per key (a login, or a client address)
 *
 * After `after` definitive failures a key's requests wait before they are
 * answered: `delay`, doubling with each further failure up to `max_delay`
 * (Dovecot's auth penalty, 2 s to 15 s, is the model). Repeating the same
 * wrong password does not escalate — a mail client retrying its stored,
 * outdated password is not an attacker — so the caller passes a keyed
 * digest of each wrong password and the last one per key is remembered.
 * A key with no failure for `quiet` starts afresh; a success resets it.
 * The delay is the caller's timer on the loop, never a sleeping thread.
 * Contract: loop thread only; `now` in ms (monotonic); at most `max` keys,
 * least recently used evicted first.
 */
#ifndef SASL_THROTTLE_H
#define SASL_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_MAC_LEN	32

struct throttle;

struct throttle_params {
	unsigned after;		/* failures before the first delay */
	uint64_t delay;		/* ms */
	uint64_t max_delay;	/* ms */
	uint64_t quiet;		/* ms */
};

struct throttle_top {
	char	 key[128];	/* clipped for display */
	unsigned long failures;	/* since the key was first seen */
	uint64_t delay;		/* ms, what its next request would wait */
};

struct throttle *throttle_new(size_t max, uint64_t seed);
void	throttle_free(struct throttle *);
/* throttle_delay - how long a request for key waits now */
uint64_t throttle_delay(struct throttle *, const struct throttle_params *,
	    const char *key, size_t klen, uint64_t now);
/* throttle_failure - count a definitive failure with this password digest */
void	throttle_failure(struct throttle *, const struct throttle_params *,
	    const char *key, size_t klen, const unsigned char *pwmac,
	    uint64_t now);
/* throttle_success - the key authenticated: forget its failures */
void	throttle_success(struct throttle *, const char *key, size_t klen);
/* throttle_active - keys whose next request would be delayed */
unsigned throttle_active(struct throttle *, const struct throttle_params *,
	    uint64_t now);
/* throttle_top - up to n keys with the most failures, most first */
unsigned throttle_top(struct throttle *, const struct throttle_params *,
	    uint64_t now, struct throttle_top *, unsigned n);
size_t	throttle_count(const struct throttle *);

#endif /* SASL_THROTTLE_H */
