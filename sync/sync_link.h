/*
 * sync_link.h - a connection to a store, serving one or more feeds
 *
 * Two kinds: PostgreSQL (sync_pg.c: LISTEN, a snapshot read per feed) and
 * LDAP (sync_ldap.c: one RFC 4533 refreshAndPersist search per feed).
 * main.c makes one link per store (sync_link_serves: feeds whose store
 * parameters are the same share it), adds the feeds, starts it, and frees
 * it at a reload or stop; the status page asks it how it is.
 *
 * Contract:
 *   sync_link_new() - the link for fc's store (fc->kind), not started.
 *   sync_link_serves() - does this link talk to the store fc names, with
 *     the same credentials and TLS settings?
 *   sync_link_add_feed() - the link serves f from now on (f->link = it).
 *   sync_link_start() - the first connection attempt; failures are
 *     retried with backoff by the link itself, never reported up except
 *     through the feeds (sync_feed_failed) and the accessors below.
 *   sync_link_free() - closes the connection; feeds and files stay.
 * An implementation starts its own struct with a struct sync_link whose
 * ops it fills; everything runs on the loop thread.
 */
#ifndef PFH_SYNC_LINK_H
#define PFH_SYNC_LINK_H

#include <stddef.h>
#include <stdint.h>

struct sync_daemon;
struct sync_feed;
struct sync_feed_cfg;
struct sync_link;

struct sync_link_ops {
	void	(*add_feed)(struct sync_link *, struct sync_feed *);
	void	(*start)(struct sync_link *);
	void	(*free)(struct sync_link *);
	const char *(*state)(const struct sync_link *);
	int	(*connected)(const struct sync_link *);
};

struct sync_link {
	const struct sync_link_ops *ops;
	const struct sync_feed_cfg *first;	/* the store's parameters */
	char	 error[512];		/* the last failure, "" when none */
	char	 desc[300];		/* "pgsql host=..." / "ldap URI" */
};

struct sync_cfg;
/* sync_link_retry_delay - the next attempt's delay, ms (sync_link.c) */
uint64_t sync_link_retry_delay(const struct sync_cfg *, unsigned failures_in_row);

struct sync_link *sync_pg_link_new(struct sync_daemon *,
	    const struct sync_feed_cfg *);
struct sync_link *sync_ldap_link_new(struct sync_daemon *,
	    const struct sync_feed_cfg *);

#endif /* PFH_SYNC_LINK_H */
