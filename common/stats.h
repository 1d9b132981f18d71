/*
 * stats.h - counters and latency histograms for the status page
 *
 * Writers (the loop thread and workers) use relaxed C11 atomics: one
 * uncontended atomic add per event, no locks on the hot path. Readers take
 * a snapshot (stats_hist_snapshot) and compute quantiles from it; a
 * snapshot may mix adjacent moments, which is fine for monitoring.
 *
 * Histograms are log-linear over microseconds: 8 buckets per power of two
 * from 1 us to ~137 s (quantile error under 10%), plus count and sum.
 *
 * stats_recent is a fixed ring of the last N one-line event texts (the
 * daemon formats them; never a password), written and read on the loop
 * thread only.
 */
#ifndef PFH_STATS_H
#define PFH_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STATS_HIST_SUB		8
#define STATS_HIST_POW		28
#define STATS_HIST_BUCKETS	(STATS_HIST_SUB * STATS_HIST_POW)

struct stats_counter {
	_Atomic uint64_t v;
};

struct stats_hist {
	_Atomic uint64_t bucket[STATS_HIST_BUCKETS];
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

struct stats_hist_snap {
	uint64_t bucket[STATS_HIST_BUCKETS];
	uint64_t count;
	uint64_t sum_us;
};

static inline void
stats_inc(struct stats_counter *c)
{
	atomic_fetch_add_explicit(&c->v, 1, memory_order_relaxed);
}

static inline void
stats_add(struct stats_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline uint64_t
stats_get(const struct stats_counter *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

void	stats_hist_record(struct stats_hist *, uint64_t usec);
void	stats_hist_snapshot(const struct stats_hist *, struct stats_hist_snap *);
/* stats_hist_quantile - q in [0,1]; microseconds (bucket upper bound); 0 if empty */
uint64_t stats_hist_quantile(const struct stats_hist_snap *, double q);
/* stats_hist_bucket_upper - upper bound in microseconds of bucket i */
uint64_t stats_hist_bucket_upper(unsigned i);
/* stats_usec_since - microseconds elapsed since a CLOCK_MONOTONIC timespec */
uint64_t stats_usec_since(const struct timespec *);
void	stats_clock(struct timespec *);

struct stats_recent_entry {
	time_t	when;
	char	text[240];
};

struct stats_recent {
	struct stats_recent_entry *ring;
	unsigned size, next, count;
};

void	stats_recent_init(struct stats_recent *, unsigned size);
void	stats_recent_free(struct stats_recent *);
void	stats_recent_add(struct stats_recent *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* stats_recent_put - remember a text made already (cut as "%s" would be) */
void	stats_recent_put(struct stats_recent *, const char *text);
/* stats_recent_get - i-th newest (0 = newest), NULL past the end */
const struct stats_recent_entry *stats_recent_get(const struct stats_recent *, unsigned i);

#endif /* PFH_STATS_H */
