/*
 * throttle.c - failure throttling per key (contract in throttle.h)
 */
#include "sysdep.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "secret.h"
#include "throttle.h"
#include "xalloc.h"

struct throttle {
	struct lru *lru;
};

struct th_ent {
	unsigned failures;		/* since the last quiet period */
	unsigned long total;		/* since first seen */
	uint64_t last_fail;
	uint64_t last_at;		/* when the latest admitted one went */
	unsigned inflight;		/* distinct passwords in flight */
	unsigned overflow;		/* in flight, not in fl[] */
	struct {
		uint64_t mac;		/* digest prefix; 0 = free slot */
		unsigned n;		/* requests with it */
	} fl[THROTTLE_FLIGHT];
	unsigned char pwmac[THROTTLE_MAC_LEN];
	bool	 has_pw;
};

/* throttle_new - empty table for at most max keys */
struct throttle *
throttle_new(size_t max, uint64_t seed)
{
	struct throttle *t = xcalloc(1, sizeof(*t));

	t->lru = lru_new(max, sizeof(struct th_ent), seed);
	return t;
}

/* throttle_free - drop everything */
void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	lru_free(t->lru);
	free(t);
}

/* decay - a key quiet for long enough starts afresh */
static void
decay(struct th_ent *e, const struct throttle_params *p, uint64_t now)
{
	if (e->failures && now >= e->last_fail + p->quiet) {
		e->failures = 0;
		e->has_pw = false;
	}
}

/* delay_for - the delay after n failures */
static uint64_t
delay_for(const struct throttle_params *p, unsigned n)
{
	uint64_t d = p->delay;
	unsigned i;

	if (n == 0 || n < p->after)
		return 0;
	for (i = p->after; i < n && d < p->max_delay; i++)
		d *= 2;
	return d < p->max_delay ? d : p->max_delay;
}

/* throttle_when - in flight counts as failed; one delay after the last */
uint64_t
throttle_when(struct throttle *t, const struct throttle_params *p,
    const char *key, size_t klen, uint64_t now)
{
	struct th_ent *e = lru_get(t->lru, key, klen);
	uint64_t d, at;

	if (e == NULL)
		return now;
	decay(e, p, now);
	d = delay_for(p, e->failures + e->inflight);
	if (d == 0)
		return now;
	at = now + d;
	if (e->last_at + d > at)
		at = e->last_at + d;
	return at;
}

/* throttle_delay - the wait for a request on key now */
uint64_t
throttle_delay(struct throttle *t, const struct throttle_params *p,
    const char *key, size_t klen, uint64_t now)
{
	return throttle_when(t, p, key, klen, now) - now;
}

/* mac64 - the digest prefix a flight slot holds, never 0 */
static uint64_t
mac64(const unsigned char *pwmac)
{
	uint64_t v = 0;

	if (pwmac != NULL)
		memcpy(&v, pwmac, sizeof(v));
	return v ? v : 1;
}

/* throttle_begin - the request goes at `at`: count it, hold its slot */
void
throttle_begin(struct throttle *t, const char *key, size_t klen,
    const unsigned char *pwmac, uint64_t at)
{
	struct th_ent *e = lru_put(t->lru, key, klen, NULL);
	uint64_t m = mac64(pwmac);
	unsigned i, free_i = THROTTLE_FLIGHT;

	if (at > e->last_at)
		e->last_at = at;
	for (i = 0; i < THROTTLE_FLIGHT; i++) {
		if (e->fl[i].mac == m) {
			e->fl[i].n++;	/* the same guess again */
			return;
		}
		if (e->fl[i].mac == 0 && free_i == THROTTLE_FLIGHT)
			free_i = i;
	}
	if (free_i < THROTTLE_FLIGHT) {
		e->fl[free_i].mac = m;
		e->fl[free_i].n = 1;
	} else {
		e->overflow++;
	}
	e->inflight++;
}

/* throttle_end - no longer in flight; forget a key that never failed */
void
throttle_end(struct throttle *t, const char *key, size_t klen,
    const unsigned char *pwmac)
{
	struct th_ent *e = lru_get(t->lru, key, klen);
	uint64_t m = mac64(pwmac);
	unsigned i;

	if (e == NULL)
		return;
	for (i = 0; i < THROTTLE_FLIGHT; i++)
		if (e->fl[i].mac == m)
			break;
	if (i < THROTTLE_FLIGHT) {
		if (--e->fl[i].n == 0) {
			e->fl[i].mac = 0;
			e->inflight--;
		}
	} else if (e->overflow > 0) {
		e->overflow--;
		e->inflight--;
	}
	if (e->inflight == 0 && e->total == 0)
		lru_remove(t->lru, e);
}

/* throttle_inflight - for the tests and the status page */
unsigned
throttle_inflight(struct throttle *t, const char *key, size_t klen)
{
	struct th_ent *e = lru_get(t->lru, key, klen);

	return e ? e->inflight : 0;
}

/* throttle_failure - count a failure unless it repeats the last password */
void
throttle_failure(struct throttle *t, const struct throttle_params *p,
    const char *key, size_t klen, const unsigned char *pwmac, uint64_t now)
{
	struct th_ent *e = lru_put(t->lru, key, klen, NULL);

	decay(e, p, now);
	e->total++;
	e->last_fail = now;
	if (pwmac != NULL && e->has_pw &&
	    ct_memeq(e->pwmac, pwmac, THROTTLE_MAC_LEN))
		return;		/* the same wrong password again */
	if (e->failures < 64)
		e->failures++;
	if (pwmac != NULL) {
		memcpy(e->pwmac, pwmac, THROTTLE_MAC_LEN);
		e->has_pw = true;
	}
}

/* throttle_success - forget the failures, keep the total for the page */
void
throttle_success(struct throttle *t, const char *key, size_t klen)
{
	struct th_ent *e = lru_get(t->lru, key, klen);

	if (e != NULL) {
		e->failures = 0;
		e->has_pw = false;
	}
}

struct walk {
	const struct throttle_params *p;
	uint64_t now;
	unsigned active;
	struct throttle_top *top;
	unsigned n, have;
};

/* count_active - lru_foreach helper */
static int
count_active(const void *key, size_t klen, void *data, void *arg)
{
	struct walk *w = arg;
	struct th_ent *e = data;

	decay(e, w->p, w->now);
	if (delay_for(w->p, e->failures + e->inflight) > 0)
		w->active++;
	return 0;
}

/* throttle_active - keys that would be delayed now */
unsigned
throttle_active(struct throttle *t, const struct throttle_params *p,
    uint64_t now)
{
	struct walk w = {.p = p, .now = now};

	lru_foreach(t->lru, count_active, &w);
	return w.active;
}

/* keep_top - lru_foreach helper: insertion into a small sorted array */
static int
keep_top(const void *key, size_t klen, void *data, void *arg)
{
	struct walk *w = arg;
	struct th_ent *e = data;
	unsigned i;

	if (e->total == 0)
		return 0;
	decay(e, w->p, w->now);
	for (i = w->have; i > 0 && w->top[i - 1].failures < e->total; i--)
		if (i < w->n)
			w->top[i] = w->top[i - 1];
	if (i >= w->n)
		return 0;
	snprintf(w->top[i].key, sizeof(w->top[i].key), "%.*s",
	    (int)(klen < 127 ? klen : 127), (const char *)key);
	w->top[i].failures = e->total;
	w->top[i].delay = delay_for(w->p, e->failures + e->inflight);
	if (w->have < w->n)
		w->have++;
	return 0;
}

/* throttle_top - the keys with the most failures */
unsigned
throttle_top(struct throttle *t, const struct throttle_params *p,
    uint64_t now, struct throttle_top *top, unsigned n)
{
	struct walk w = {.p = p, .now = now, .top = top, .n = n};

	if (n == 0)
		return 0;
	lru_foreach(t->lru, keep_top, &w);
	return w.have;
}

/* throttle_count - keys remembered */
size_t
throttle_count(const struct throttle *t)
{
	return lru_count(t->lru);
}
