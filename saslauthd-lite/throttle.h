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
 *
 * Parallel requests: a request counts from the moment it is admitted
 * (throttle_begin) until it is answered or abandoned (throttle_end), and
 * while it is in flight it counts as a failure: the delay for a new
 * request is that of failures + passwords in flight. Only distinct
 * passwords count (the same digest again is the same guess), so a mail
 * client or an application opening many connections with one password
 * is not slowed down, and an attacker gains nothing from sending one
 * guess many times. Up to THROTTLE_FLIGHT digests are told apart per
 * key; past that every further request counts as a distinct one. The
 * admitted
 * requests of one key are also spaced out: each may reach a backend no
 * sooner than its delay after the one admitted before it. So N parallel
 * connections get their checks on the schedule one connection asking
 * sequentially would get (with zero backend time), never faster; the
 * caller refuses, without a check, a request that would have to wait
 * longer than `max_delay` (throttle_when() says when it could go).
 * Contract: loop thread only; `now` in ms (monotonic); at most `max` keys,
 * least recently used evicted first (an evicted key's requests in flight
 * are forgotten with it: throttle_end() on a missing key does nothing).
 * A key that has never failed is dropped when its last request ends.
 */
#ifndef SASL_THROTTLE_H
#define SASL_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_MAC_LEN	32
#define THROTTLE_FLIGHT		8	/* in-flight passwords told apart */

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
/* throttle_when - the earliest time (ms) a request arriving now may go */
uint64_t throttle_when(struct throttle *, const struct throttle_params *,
	    const char *key, size_t klen, uint64_t now);
/* throttle_delay - throttle_when() - now */
uint64_t throttle_delay(struct throttle *, const struct throttle_params *,
	    const char *key, size_t klen, uint64_t now);
/* throttle_begin - admit a request (its password digest) going at `at` */
void	throttle_begin(struct throttle *, const char *key, size_t klen,
	    const unsigned char *pwmac, uint64_t at);
/* throttle_end - an admitted request was answered or abandoned */
void	throttle_end(struct throttle *, const char *key, size_t klen,
	    const unsigned char *pwmac);
/* throttle_inflight - distinct passwords of key in flight */
unsigned throttle_inflight(struct throttle *, const char *key, size_t klen);
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
