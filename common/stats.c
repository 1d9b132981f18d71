/*
 * stats.c - counters and latency histograms for the status page
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "xalloc.h"

/*
 * Bucket index: values below STATS_HIST_SUB us map linearly; above, the
 * position of the top bit picks the power and the next 3 bits the sub-bucket.
 */
static unsigned
bucket_of(uint64_t us)
{
	unsigned top, sub, idx;

	if (us < STATS_HIST_SUB)
		return (unsigned)us;
	top = 63u - (unsigned)__builtin_clzll(us);	/* >= 3 */
	sub = (unsigned)(us >> (top - 3)) & (STATS_HIST_SUB - 1);
	idx = (top - 2) * STATS_HIST_SUB + sub;
	return idx < STATS_HIST_BUCKETS ? idx : STATS_HIST_BUCKETS - 1;
}

/* stats_hist_bucket_upper - largest value (us) that lands in bucket i */
uint64_t
stats_hist_bucket_upper(unsigned i)
{
	unsigned pow, sub;

	if (i < STATS_HIST_SUB)
		return i;
	pow = i / STATS_HIST_SUB + 2;
	sub = i % STATS_HIST_SUB;
	return ((uint64_t)(STATS_HIST_SUB + sub + 1) << (pow - 3)) - 1;
}

/* stats_hist_record - count one latency */
void
stats_hist_record(struct stats_hist *h, uint64_t us)
{
	atomic_fetch_add_explicit(&h->bucket[bucket_of(us)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

/* stats_hist_snapshot - copy for reading */
void
stats_hist_snapshot(const struct stats_hist *h, struct stats_hist_snap *s)
{
	unsigned i;

	s->count = 0;
	for (i = 0; i < STATS_HIST_BUCKETS; i++) {
		s->bucket[i] = atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		s->count += s->bucket[i];
	}
	s->sum_us = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
}

/* stats_hist_quantile - the bucket bound below which a fraction q falls */
uint64_t
stats_hist_quantile(const struct stats_hist_snap *s, double q)
{
	uint64_t rank, seen = 0;
	unsigned i;

	if (s->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)(q * (double)s->count + 0.5);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < STATS_HIST_BUCKETS; i++) {
		seen += s->bucket[i];
		if (seen >= rank)
			return stats_hist_bucket_upper(i);
	}
	return stats_hist_bucket_upper(STATS_HIST_BUCKETS - 1);
}

/* stats_clock - now, for latency measurement */
void
stats_clock(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* stats_usec_since - elapsed microseconds */
uint64_t
stats_usec_since(const struct timespec *t0)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000;
	return us < 0 ? 0 : (uint64_t)us;
}

/* stats_recent_init - ring of `size` lines */
void
stats_recent_init(struct stats_recent *r, unsigned size)
{
	memset(r, 0, sizeof(*r));
	r->size = size ? size : 1;
	r->ring = xcalloc(r->size, sizeof(*r->ring));
}

/* stats_recent_free - release the ring */
void
stats_recent_free(struct stats_recent *r)
{
	free(r->ring);
	r->ring = NULL;
}

/* recent_next - the entry to write, stamped; the ring moves on */
static struct stats_recent_entry *
recent_next(struct stats_recent *r)
{
	struct stats_recent_entry *e = &r->ring[r->next];

	e->when = time(NULL);
	r->next = (r->next + 1) % r->size;
	if (r->count < r->size)
		r->count++;
	return e;
}

/* stats_recent_add - remember one event line */
void
stats_recent_add(struct stats_recent *r, const char *fmt, ...)
{
	struct stats_recent_entry *e = recent_next(r);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/* stats_recent_put - remember one event line made already */
void
stats_recent_put(struct stats_recent *r, const char *text)
{
	struct stats_recent_entry *e = recent_next(r);
	size_t n = strnlen(text, sizeof(e->text) - 1);

	memcpy(e->text, text, n);
	e->text[n] = 0;
}

/* stats_recent_get - newest first */
const struct stats_recent_entry *
stats_recent_get(const struct stats_recent *r, unsigned i)
{
	if (i >= r->count)
		return NULL;
	return &r->ring[(r->next + r->size - 1 - i) % r->size];
}
