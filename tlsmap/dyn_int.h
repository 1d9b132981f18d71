/*
 * dyn_int.h - what dynamic.c (lookups, resolutions) and dyn_store.c (the
 * cache file) share: the cache entry and the dyn itself. Private to them.
 */
#ifndef PFH_DYN_INT_H
#define PFH_DYN_INT_H

#include <stddef.h>
#include <time.h>

#include "dane.h"
#include "dynamic.h"
#include "sts_policy.h"

#define DYN_DOMAIN_MAX	254
#define DYN_TTL_CAP	(30 * 86400)	/* no DNS or STS answer lives longer */
#define DYN_FAIL_BACKOFF 300		/* s between fetches of one failing id */
#define DYN_TXT_RETRY	60		/* s until a failed TXT lookup is retried */
#define DYN_RECENT	86400		/* s: "looked up recently" for prefetch */

struct dyn_job;

struct dyn_entry {
	char	 domain[DYN_DOMAIN_MAX + 1];
	/* DANE: known when dane_expires != 0 */
	enum dane_result dane;
	time_t	 dane_expires;
	char	*dane_detail;
	/* MTA-STS */
	int	 sts_checked;		/* the TXT record was looked at */
	time_t	 sts_recheck;		/* look at it again from then on */
	char	 sts_id[STS_ID_MAX + 1];	/* the held policy's id */
	char	*sts_body;		/* the held policy, as fetched */
	size_t	 sts_body_len;
	time_t	 sts_fetched;
	time_t	 sts_expires;		/* fetched + max_age */
	char	*sts_answer;		/* "OK secure ..." or NULL (no policy) */
	char	*sts_answer_rpt;	/* the same with TLSRPT attributes */
	char	*sts_wire, *sts_wire_rpt;	/* both as netstrings: a cached
					 * answer is one write, as a table's */
	size_t	 sts_wire_len, sts_wire_rpt_len;
	char	 fail_id[STS_ID_MAX + 1];	/* a fetch of this id failed */
	time_t	 fail_until;
	char	*sts_detail;		/* last STS event, for explain */
	time_t	 last_used;
	struct dyn_job *job;		/* the resolution running, or NULL */
};

struct dyn {
	struct ev *ev;
	struct dns_resolver *dns;
	struct sts_fetcher *fetcher;
	struct dyn_cfg cfg;
	char	*cache_file;
	struct lru *cache;
	struct dyn_job *jobs;
	unsigned njobs;
	int	 dirty;
	time_t	 save_tried;		/* the last save began: a minute apart */
	struct workq *saver;		/* the writer thread, made on first use */
	int	 saving;		/* a save is on it */
	struct dyn_stats st;
};

/* dyn_entry_clear - free what an entry points at (lru drop hook) */
void	dyn_entry_clear(struct dyn_entry *);
/* dyn_sts_hold - adopt a fetched policy body into e; -1 + err if invalid */
int	dyn_sts_hold(struct dyn *, struct dyn_entry *, const char *id,
	    const char *body, size_t len, time_t fetched, char *err,
	    size_t errlen);
/* dyn_clamp_ttl - a TTL or max_age with the floor and the cap applied */
time_t	dyn_clamp_ttl(const struct dyn *, unsigned long long seconds);
/* dyn_store_load - read the cache file into d->cache (dyn_store.c) */
void	dyn_store_load(struct dyn *);
/* dyn_store_end - wait for a save in flight, end the writer (dyn_free) */
void	dyn_store_end(struct dyn *);

#endif /* PFH_DYN_INT_H */
