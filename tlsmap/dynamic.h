/*
 * dynamic.h - TLS policy resolved live: DANE first, then MTA-STS
 *
 * A dyn answers socketmap lookups of destination domains from what the
 * domains publish (dynamic-tls.md in the design notes has the peers' and
 * Postfix's side):
 *   - DANE (dane.h) first. DANE_ONLY -> "OK dane-only", DANE -> "OK dane".
 *     Any bogus answer, resolver failure or timeout on this path is
 *     "TEMP reason", whatever MTA-STS would say: MTA-STS never overrides
 *     or replaces a failing DANE (RFC 8461 §2).
 *   - Only when DANE is proven absent: MTA-STS (RFC 8461): the
 *     _mta-sts.DOMAIN TXT record (sts_policy.h), and when its id is new,
 *     the policy from https://mta-sts.DOMAIN/.well-known/mta-sts.txt
 *     (sts_fetch.h) at the address DNS gives for mta-sts.DOMAIN. An
 *     enforce policy -> "OK secure match=... servername=hostname" (with
 *     the TLSRPT attributes for a map that asks for them); testing, none,
 *     no record, no valid policy -> "NOTFOUND ".
 *   - Keys Postfix sends that are not a destination domain (".parent"
 *     probes, "[host]:port" next hops, IP literals, names that are not
 *     host names) -> "NOTFOUND " at once, with no DNS traffic.
 * Deadline: every lookup is answered within dns_timeout; when that runs
 *   out it is "TEMP" (the resolution goes on and fills the cache for the
 *   retry).
 * Cache: per domain, the DANE and the STS results apart, in an LRU of at
 *   most max_entries. DANE results live for their DNS TTL, STS policies
 *   for max_age (both floored at min_ttl and capped at 30 days); the STS
 *   TXT record is checked again after its TTL and a new id fetches the
 *   policy at once; a fetch that fails keeps serving the unexpired policy
 *   and is not retried for that id for 5 minutes; TEMP is not cached.
 *   Lookups of a domain being resolved wait for that one resolution. At
 *   most max_resolutions run at once; past that a new domain is TEMP.
 *   A policy that is about to expire is fetched again only when the domain
 *   was looked up recently.
 * Persistence: dyn_save() writes the cache to its file atomically (temp
 *   file, fsync, rename) and dyn_new() reads it back, so a restart during
 *   a DNS or network outage keeps answering within the TTLs. A damaged
 *   file is refused from the first bad record on (the records before it
 *   are kept) with a warning; the daemon starts either way. The periodic
 *   save only formats the records on the loop: the write and the fsync
 *   run on a thread of the map's own, one save at a time, so a slow or
 *   full disk never holds up an answer (a failed save is logged there and
 *   tried again at the next tick; the previous file stays whole).
 * Threads: loop thread only (but for that writer).
 */
#ifndef PFH_DYNAMIC_H
#define PFH_DYNAMIC_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct ev;
struct dns_resolver;
struct sts_fetcher;
struct text;
struct dyn;
struct dyn_wait;

struct dyn_cfg {
	const char *cache_file;
	long long timeout_ms;		/* dns_timeout: the answer deadline */
	long long min_ttl_ms;		/* cache_min_ttl */
	long long max_entries;		/* cache_size */
	long long max_resolutions;
	unsigned version;		/* target Postfix (tls_policy.h) */
};

enum dyn_level {
	DYN_DANE_ONLY, DYN_DANE, DYN_SECURE, DYN_NOTFOUND, DYN_TEMP,
};
#define DYN_LEVEL_COUNT	(DYN_TEMP + 1)

struct dyn_answer {
	enum dyn_level level;
	const char *text;	/* the reply payload: "OK dane", "NOTFOUND ", "TEMP ..." */
	const char *reason;	/* why, one line, for logs */
	const char *wire;	/* text as a netstring, when prebuilt (or NULL) */
	size_t	 wire_len;
	int	 cached;	/* answered from the cache */
};

typedef void dyn_fn(const struct dyn_answer *, void *ctx);

struct dyn_stats {
	struct stats_counter answers[DYN_LEVEL_COUNT];
	struct stats_counter hits, misses;
	struct stats_counter bogus;		/* DNSSEC validation failures */
	struct stats_counter dns_failures;
	struct stats_counter timeouts;		/* answered TEMP at the deadline */
	struct stats_counter busy;		/* TEMP: max_resolutions */
	struct stats_counter fetches;
	struct stats_counter fetch_errors[8];	/* by sts_fetch status (STS_FETCH_STATUS_COUNT) */
	struct stats_counter policy_invalid;
	struct stats_counter refreshes;
	struct stats_recent recent;		/* decisions, with their reason */
};

/*
 * dyn_new - reads the cache file now. The resolver and the fetcher are
 * used only by lookups, refreshes and dyn_tick(): a dyn that only loads,
 * explains, purges and saves (the fuzz harness) may have NULL for both.
 */
struct dyn *dyn_new(struct ev *, struct dns_resolver *, struct sts_fetcher *,
	    const struct dyn_cfg *, char *err, size_t errlen);
/* dyn_free - cancels every resolution; waiters are not called */
void	dyn_free(struct dyn *);
/* dyn_set_cfg - a SIGHUP's new limits (the cache file stays) */
void	dyn_set_cfg(struct dyn *, const struct dyn_cfg *);
const char *dyn_cache_file(const struct dyn *);
/*
 * dyn_lookup - answer key (len bytes, not NUL-terminated): 1 = fn was
 * called before the return; 0 = fn will be called later from the loop,
 * unless dyn_wait_cancel(*wait_r) comes first.
 */
int	dyn_lookup(struct dyn *, const char *key, size_t len, int tlsrpt,
	    dyn_fn *, void *ctx, struct dyn_wait **wait_r);
void	dyn_wait_cancel(struct dyn_wait *);
/*
 * dyn_save - write the cache file (when changed, unless force). Not
 * forced: handed to the writer thread, 0 (its error is logged when it
 * ends). Forced (a stop): waits for a save in flight, then writes on the
 * calling thread; -1 + err when that fails.
 */
int	dyn_save(struct dyn *, int force, char *err, size_t errlen);
/* dyn_tick - periodic: save when changed, refresh what is about to expire */
void	dyn_tick(struct dyn *);
/* dyn_purge - forget one domain, or all (domain NULL); entries dropped */
size_t	dyn_purge(struct dyn *, const char *domain);
/* dyn_explain - what the cache holds for domain, as text lines */
void	dyn_explain(struct dyn *, const char *domain, struct text *);
/* dyn_refresh - forget domain and resolve it again; as dyn_lookup */
int	dyn_refresh(struct dyn *, const char *domain, dyn_fn *, void *ctx,
	    struct dyn_wait **wait_r);
const struct dyn_stats *dyn_stats(const struct dyn *);
size_t	dyn_entries(const struct dyn *);
unsigned dyn_resolving(const struct dyn *);
/* dyn_level_name - "dane-only", "dane", "secure", "notfound", "temp"
 * (inline: maps.c names the levels without linking the resolver) */
static inline const char *
dyn_level_name(enum dyn_level l)
{
	static const char *const names[DYN_LEVEL_COUNT] = {
		"dane-only", "dane", "secure", "notfound", "temp",
	};

	return (unsigned)l < DYN_LEVEL_COUNT ? names[l] : "?";
}
/* dyn_key_domain - the domain a key names, lower case, or -1 (NOTFOUND) */
int	dyn_key_domain(const char *key, size_t len, char *out, size_t outlen);

#endif /* PFH_DYNAMIC_H */
