/*
 * sync_link.c - the store links' common face: which link a feed uses, and
 * the calls main.c and the status page make, passed to the link's kind
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "sync_link.h"

struct sync_link *
sync_link_new(struct sync_daemon *sd, const struct sync_feed_cfg *fc)
{
	return fc->kind == SYNC_SRC_LDAP ? sync_ldap_link_new(sd, fc) :
	    sync_pg_link_new(sd, fc);
}

/* sync_link_serves - the same store, the same identity, the same TLS */
int
sync_link_serves(const struct sync_link *l, const struct sync_feed_cfg *fc)
{
	const struct sync_feed_cfg *a = l->first;

	if (a->kind != fc->kind || strcmp(a->source, fc->source) != 0)
		return 0;
	if (fc->kind == SYNC_SRC_PGSQL)
		return 1;
	return strcmp(a->bind_dn, fc->bind_dn) == 0 &&
	    strcmp(a->bind_password_file, fc->bind_password_file) == 0 &&
	    a->start_tls == fc->start_tls &&
	    strcmp(a->tls_ca_cert_file, fc->tls_ca_cert_file) == 0;
}

void
sync_link_add_feed(struct sync_link *l, struct sync_feed *f)
{
	f->link = l;
	l->ops->add_feed(l, f);
}

void
sync_link_start(struct sync_link *l)
{
	l->ops->start(l);
}

void
sync_link_free(struct sync_link *l)
{
	if (l != NULL)
		l->ops->free(l);
}

const char *
sync_link_state(const struct sync_link *l)
{
	return l->ops->state(l);
}

int
sync_link_connected(const struct sync_link *l)
{
	return l->ops->connected(l);
}

const char *
sync_link_error(const struct sync_link *l)
{
	return l->error;
}

void
sync_link_describe(const struct sync_link *l, char *out, size_t len)
{
	snprintf(out, len, "%s", l->desc);
}

/* sync_link_retry_delay - jittered exponential backoff, ms: retry_min
 * doubling per failure in a row up to retry_max, then 50-150 % so that
 * hosts that lost the store together do not come back together */
uint64_t
sync_link_retry_delay(const struct sync_cfg *cfg, unsigned failures_in_row)
{
	double d = (double)cfg->retry_min;
	unsigned i;

	for (i = 1; i < failures_in_row && d < (double)cfg->retry_max; i++)
		d *= 2;
	if (d > (double)cfg->retry_max)
		d = (double)cfg->retry_max;
	d *= 0.5 + (double)random() / (double)RAND_MAX;
	return (uint64_t)d;
}
