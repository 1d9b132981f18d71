/*
 * ldap_pool.c - the LDAP connections the workers share (contract in
 * ldap_pool.h)
 *
 * libldap's synchronous calls wait as long as they like; every call here
 * is the asynchronous form followed by ldap_result() with the time the
 * request has left, and connect(2) and the TLS handshake get it as
 * LDAP_OPT_NETWORK_TIMEOUT and LDAP_OPT_TIMEOUT, so a directory that stops
 * answering holds a worker no longer than the request's deadline.
 */
#include "sysdep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ev.h"
#include "ldap_conf.h"
#include "ldap_pool.h"
#include "log.h"
#include "status.h"
#include "xalloc.h"

struct ldap_pool_stats ldap_pool_stats;

static int set_tls(LDAP *, const struct ldap_conf *);

struct ldap_pool {
	unsigned refs;			/* loop thread only */
	struct ldap_conf conf;
	pthread_mutex_t mu;
	pthread_cond_t free_slot;
	unsigned size, busy;
	struct ldap_slot *slots;
	uint64_t down_until[LDAP_MAX_SERVERS];	/* monotonic ms */
	int	 in_use;		/* last server connected, -1 none */
};

/*
 * warm_up - on the loop thread, before any worker: libldap's global
 * options and, when TLS is used, its TLS library are initialised on the
 * first handle and the first TLS context; do that once here rather than
 * in two workers at the same moment. Nothing connects.
 */
static void
warm_up(const struct ldap_conf *lc)
{
	LDAP *ld = NULL;
	bool tls = lc->start_tls;
	unsigned i;

	for (i = 0; i < lc->nservers; i++)
		tls = tls || strncasecmp(lc->servers[i], "ldaps:", 6) == 0;
	if (lc->nservers == 0 || ldap_initialize(&ld, lc->servers[0]) !=
	    LDAP_SUCCESS)
		return;
	if (tls && set_tls(ld, lc) < 0)
		log_warn("ldap: cannot make a TLS context (CA file %s)",
		    *lc->cacert_file ? lc->cacert_file : "of ldap.conf");
	ldap_unbind_ext_s(ld, NULL, NULL);
}

/* ldap_pool_new - empty slots; the settings are ours now */
struct ldap_pool *
ldap_pool_new(struct ldap_conf *lc, unsigned size)
{
	struct ldap_pool *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	warm_up(lc);
	p->refs = 1;
	p->conf = *lc;
	memset(lc, 0, sizeof(*lc));
	p->size = size ? size : 1;
	p->slots = xcalloc(p->size, sizeof(*p->slots));
	p->in_use = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->free_slot, &ca);
	pthread_condattr_destroy(&ca);
	return p;
}

/* ldap_pool_ref - one more holder */
struct ldap_pool *
ldap_pool_ref(struct ldap_pool *p)
{
	p->refs++;
	return p;
}

/* ldap_pool_unref - the last holder closes every connection */
void
ldap_pool_unref(struct ldap_pool *p)
{
	unsigned i;

	if (p == NULL || --p->refs > 0)
		return;
	for (i = 0; i < p->size; i++)
		ldap_pool_drop(p, &p->slots[i]);
	free(p->slots);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->free_slot);
	ldap_conf_free(&p->conf);
	free(p);
}

/* ldap_pool_conf - the settings the pool connects with */
const struct ldap_conf *
ldap_pool_conf(const struct ldap_pool *p)
{
	return &p->conf;
}

/* ldap_pool_budget - the timeout for the next LDAP call */
long long
ldap_pool_budget(const struct ldap_pool *p, uint64_t deadline)
{
	uint64_t now = ev_monotonic_ms();
	long long left;

	if (now >= deadline)
		return 0;
	left = (long long)(deadline - now);
	return left < p->conf.timeout_ms ? left : p->conf.timeout_ms;
}

/* ms_tv - milliseconds as a timeval */
static struct timeval
ms_tv(long long ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* ldap_pool_get - a free slot, connected ones first; NULL past deadline */
struct ldap_slot *
ldap_pool_get(struct ldap_pool *p, uint64_t deadline)
{
	struct ldap_slot *s = NULL;
	struct timespec ts;
	unsigned i;

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000;
	pthread_mutex_lock(&p->mu);
	while (p->busy == p->size) {
		if (pthread_cond_timedwait(&p->free_slot, &p->mu, &ts) != 0 &&
		    p->busy == p->size) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
	}
	for (i = 0; i < p->size; i++) {
		if (p->slots[i].busy)
			continue;
		if (s == NULL || (s->ld == NULL && p->slots[i].ld != NULL))
			s = &p->slots[i];
	}
	s->busy = true;
	p->busy++;
	pthread_mutex_unlock(&p->mu);
	return s;
}

/* ldap_pool_drop - close the connection, if any */
void
ldap_pool_drop(struct ldap_pool *p, struct ldap_slot *s)
{
	(void)p;
	if (s->ld != NULL) {
		ldap_unbind_ext_s(s->ld, NULL, NULL);
		s->ld = NULL;
	}
}

/* ldap_pool_put - the slot is free again */
void
ldap_pool_put(struct ldap_pool *p, struct ldap_slot *s, bool broken)
{
	if (broken)
		ldap_pool_drop(p, s);
	pthread_mutex_lock(&p->mu);
	s->busy = false;
	p->busy--;
	pthread_cond_signal(&p->free_slot);
	pthread_mutex_unlock(&p->mu);
}

/* ldap_pool_failed - skip this server for LDAP_POOL_DOWN_MS */
void
ldap_pool_failed(struct ldap_pool *p, const struct ldap_slot *s)
{
	pthread_mutex_lock(&p->mu);
	p->down_until[s->server] = ev_monotonic_ms() + LDAP_POOL_DOWN_MS;
	if (p->in_use == (int)s->server)
		p->in_use = -1;
	pthread_mutex_unlock(&p->mu);
}

/* ldap_pool_result - one operation's whole result within the budget */
int
ldap_pool_result(struct ldap_pool *p, struct ldap_slot *s, int msgid,
    uint64_t deadline, LDAPMessage **res)
{
	long long ms = ldap_pool_budget(p, deadline);
	struct timeval tv = ms_tv(ms);
	int rc, code = LDAP_OTHER;

	*res = NULL;
	if (ms == 0)
		return LDAP_TIMEOUT;
	rc = ldap_result(s->ld, msgid, LDAP_MSG_ALL, &tv, res);
	if (rc == 0) {
		stats_inc(&ldap_pool_stats.timeouts);
		return LDAP_TIMEOUT;
	}
	if (rc < 0) {
		(void)ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &code);
		return code != LDAP_SUCCESS ? code : LDAP_OTHER;
	}
	return LDAP_SUCCESS;
}

/* ldap_pool_bind - a simple bind, waited for within the budget */
int
ldap_pool_bind(struct ldap_pool *p, struct ldap_slot *s, const char *dn,
    const char *pw, size_t pwlen, uint64_t deadline)
{
	struct berval cred;
	LDAPMessage *res;
	int msgid, rc, err = LDAP_OTHER;

	cred.bv_val = (char *)pw;
	cred.bv_len = pwlen;
	s->bound = LDAP_BOUND_OTHER;
	rc = ldap_sasl_bind(s->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    &msgid);
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((rc = ldap_pool_result(p, s, msgid, deadline, &res)) !=
	    LDAP_SUCCESS)
		return rc;
	rc = ldap_parse_result(s->ld, res, &err, NULL, NULL, NULL, NULL, 1);
	return rc != LDAP_SUCCESS ? rc : err;
}

/* set_timeouts - connect(2), TLS handshake and sync calls: the budget */
static int
set_timeouts(LDAP *ld, long long ms)
{
	struct timeval tv = ms_tv(ms);

	if (ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) !=
	    LDAP_OPT_SUCCESS || ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) !=
	    LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

/* set_tls - this connection's own TLS context, verifying the server */
static int
set_tls(LDAP *ld, const struct ldap_conf *lc)
{
	int demand = LDAP_OPT_X_TLS_DEMAND, is_server = 0;

	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) !=
	    LDAP_OPT_SUCCESS)
		return -1;
	if (*lc->cacert_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE,
	    lc->cacert_file) != LDAP_OPT_SUCCESS)
		return -1;
	/* a context from this handle's options, not the process's */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) !=
	    LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

/* connect_one - one server: connect, TLS, the service bind */
static int
connect_one(struct ldap_pool *p, struct ldap_slot *s, unsigned idx,
    uint64_t deadline, char *why, size_t whylen)
{
	const struct ldap_conf *lc = &p->conf;
	const char *url = lc->servers[idx];
	int version = LDAP_VERSION3, rc;
	bool ldaps = strncasecmp(url, "ldaps:", 6) == 0;
	LDAP *ld = NULL;

	if ((rc = ldap_initialize(&ld, url)) != LDAP_SUCCESS) {
		snprintf(why, whylen, "initialize: %s", ldap_err2string(rc));
		return rc;
	}
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) !=
	    LDAP_OPT_SUCCESS || ldap_set_option(ld, LDAP_OPT_REFERRALS,
	    LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    set_timeouts(ld, ldap_pool_budget(p, deadline)) < 0 ||
	    ((ldaps || lc->start_tls) && set_tls(ld, lc) < 0)) {
		snprintf(why, whylen, "cannot set the connection's options");
		rc = LDAP_LOCAL_ERROR;
		goto fail;
	}
	if (lc->start_tls)
		rc = ldap_start_tls_s(ld, NULL, NULL);
	else
		rc = ldap_connect(ld);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "%s: %s", lc->start_tls ? "StartTLS" :
		    "connect", ldap_err2string(rc));
		goto fail;
	}
	s->ld = ld;
	s->server = idx;
	s->bound = LDAP_BOUND_SERVICE;		/* anonymous, until a bind */
	if (*lc->bind_dn && lc->method != LDAP_METHOD_FASTBIND) {
		rc = ldap_pool_bind(p, s, lc->bind_dn, lc->password,
		    strlen(lc->password), deadline);
		if (rc != LDAP_SUCCESS) {
			snprintf(why, whylen, "bind as ldap_bind_dn: %s",
			    ldap_err2string(rc));
			s->ld = NULL;
			goto fail;
		}
		s->bound = LDAP_BOUND_SERVICE;
	}
	return LDAP_SUCCESS;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* ldap_pool_connect - the servers in order, the recently failed last */
int
ldap_pool_connect(struct ldap_pool *p, struct ldap_slot *s,
    uint64_t deadline, char *why, size_t whylen)
{
	unsigned order[LDAP_MAX_SERVERS], n = 0, i;
	uint64_t now = ev_monotonic_ms();
	int rc = LDAP_SERVER_DOWN, pass;
	char one[256];

	ldap_pool_drop(p, s);
	pthread_mutex_lock(&p->mu);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->conf.nservers; i++)
			if ((p->down_until[i] <= now) == (pass == 0))
				order[n++] = i;
	pthread_mutex_unlock(&p->mu);
	snprintf(why, whylen, "no time left to connect");
	for (i = 0; i < n; i++) {
		if (ldap_pool_budget(p, deadline) == 0)
			return rc == LDAP_SERVER_DOWN ? LDAP_TIMEOUT : rc;
		rc = connect_one(p, s, order[i], deadline, one, sizeof(one));
		if (rc == LDAP_SUCCESS) {
			stats_inc(&ldap_pool_stats.connects);
			pthread_mutex_lock(&p->mu);
			p->down_until[order[i]] = 0;
			p->in_use = (int)order[i];
			pthread_mutex_unlock(&p->mu);
			return LDAP_SUCCESS;
		}
		stats_inc(&ldap_pool_stats.connect_failures);
		log_warn("ldap: %s: %s", p->conf.servers[order[i]], one);
		snprintf(why, whylen, "%s: %s", p->conf.servers[order[i]], one);
		pthread_mutex_lock(&p->mu);
		p->down_until[order[i]] = ev_monotonic_ms() + LDAP_POOL_DOWN_MS;
		pthread_mutex_unlock(&p->mu);
	}
	return rc;
}

/* ldap_pool_status - servers, the one in use, the slots */
void
ldap_pool_status(struct ldap_pool *p, struct status_writer *w)
{
	unsigned i, connected = 0, busy, down = 0;
	uint64_t now = ev_monotonic_ms();
	int in_use;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->size; i++)
		connected += p->slots[i].ld != NULL;
	for (i = 0; i < p->conf.nservers; i++)
		down += p->down_until[i] > now;
	busy = p->busy;
	in_use = p->in_use;
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->conf.nservers; i++)
		status_kv(w, "server", "%s", p->conf.servers[i]);
	status_kv(w, "server_in_use", "%s", in_use >= 0 ?
	    p->conf.servers[in_use] : "none");
	status_gauge(w, "saslauthd_lite_ldap_servers_down",
	    "servers skipped after a failure", NULL, down);
	status_gauge(w, "saslauthd_lite_ldap_pool_size",
	    "connection slots (one per worker)", NULL, p->size);
	status_gauge(w, "saslauthd_lite_ldap_pool_busy",
	    "slots a worker is using now", NULL, busy);
	status_gauge(w, "saslauthd_lite_ldap_pool_connected",
	    "slots with an open connection", NULL, connected);
	status_counter(w, "saslauthd_lite_ldap_connects_total",
	    "connections made", NULL, stats_get(&ldap_pool_stats.connects));
	status_counter(w, "saslauthd_lite_ldap_connect_failures_total",
	    "servers that could not be connected to", NULL,
	    stats_get(&ldap_pool_stats.connect_failures));
	status_counter(w, "saslauthd_lite_ldap_timeouts_total",
	    "LDAP operations that ran out of time", NULL,
	    stats_get(&ldap_pool_stats.timeouts));
	status_counter(w, "saslauthd_lite_ldap_errors_total",
	    "LDAP errors that made an answer a temporary failure", NULL,
	    stats_get(&ldap_pool_stats.errors));
	status_counter(w, "saslauthd_lite_ldap_multiple_entries_total",
	    "logins whose filter found more than one entry", NULL,
	    stats_get(&ldap_pool_stats.multiple_entries));
}
