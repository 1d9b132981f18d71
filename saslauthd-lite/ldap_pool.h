/*
 * ldap_pool.h - a bounded pool of LDAP connections shared by the workers
 *
 * Contract: ldap_pool_new() takes the settings over (the caller's struct
 * is left empty) and makes `size` empty slots (nothing connects until a
 * worker needs it); the pool is reference-counted on the loop
 * thread (ldap_pool_ref/unref: the backend's state holds one, every
 * request snapshot another, so a reload never pulls a connection from
 * under a worker). Workers call ldap_pool_get() (waits for a free slot
 * until the deadline; NULL past it) and ldap_pool_put() (broken = the
 * connection's state is unknown after an error or a timeout: it is
 * closed). Everything a worker does is bounded by its deadline: every
 * LDAP call gets min(ldap_timeout, what is left) as its timeout.
 *
 * ldap_pool_connect() connects a slot: the servers in their order, each
 * one that failed in the last LDAP_POOL_DOWN_MS skipped while another has
 * not (when all have failed, all are tried again), protocol version 3,
 * no referral chasing (a referral would take the user's password to
 * another server), and for ldaps:// and ldap_start_tls its own TLS
 * context (LDAP_OPT_X_TLS_NEWCTX, never the library's global one) that
 * demands a valid server certificate (LDAP_OPT_X_TLS_REQUIRE_CERT
 * DEMAND), from ldap_tls_cacert_file when set. A slot comes back from
 * ldap_pool_get() still connected when it was: the caller treats an
 * LDAP_SERVER_DOWN on it as "the server went away" and reconnects once.
 * ldap_pool_result() waits for one operation's result within the budget.
 */
#ifndef SASL_LDAP_POOL_H
#define SASL_LDAP_POOL_H

#include <ldap.h>
#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

struct ldap_conf;
struct status_writer;

#define LDAP_POOL_DOWN_MS	30000

/* who the connection is bound as */
enum ldap_bound { LDAP_BOUND_SERVICE, LDAP_BOUND_OTHER };

struct ldap_slot {
	LDAP	*ld;			/* NULL: not connected */
	unsigned server;		/* index into the conf's servers */
	enum ldap_bound bound;
	bool	 busy;
};

struct ldap_pool_stats {
	struct stats_counter connects, connect_failures, timeouts, errors,
	    multiple_entries;
};

struct ldap_pool;

struct ldap_pool *ldap_pool_new(struct ldap_conf *, unsigned size);
struct ldap_pool *ldap_pool_ref(struct ldap_pool *);
void	ldap_pool_unref(struct ldap_pool *);
const struct ldap_conf *ldap_pool_conf(const struct ldap_pool *);
/* the counters: one set for the daemon, they survive reloads */
extern struct ldap_pool_stats ldap_pool_stats;

/* deadline: CLOCK_MONOTONIC milliseconds (ev_monotonic_ms(), never the
 * loop's cached ev_now(): workers read the clock themselves) */
struct ldap_slot *ldap_pool_get(struct ldap_pool *, uint64_t deadline);
void	ldap_pool_put(struct ldap_pool *, struct ldap_slot *, bool broken);
/* ldap_pool_drop - close the slot's connection (an error, a timeout) */
void	ldap_pool_drop(struct ldap_pool *, struct ldap_slot *);
/* ldap_pool_connect - 0 connected (and bound as the service), else an
 * LDAP result code and why; the slot is left unconnected */
int	ldap_pool_connect(struct ldap_pool *, struct ldap_slot *,
	    uint64_t deadline, char *why, size_t whylen);
/* ldap_pool_failed - the slot's server failed: skip it for a while */
void	ldap_pool_failed(struct ldap_pool *, const struct ldap_slot *);
/*
 * ldap_pool_bind - a simple bind on the slot's connection, waited for
 * within the budget: the LDAP result code, LDAP_TIMEOUT past it, or
 * LDAP_SERVER_DOWN and the like when the connection broke
 */
int	ldap_pool_bind(struct ldap_pool *, struct ldap_slot *, const char *dn,
	    const char *pw, size_t pwlen, uint64_t deadline);
/* ldap_pool_result - ldap_result() for msgid within the budget */
int	ldap_pool_result(struct ldap_pool *, struct ldap_slot *, int msgid,
	    uint64_t deadline, LDAPMessage **res);
/* ldap_pool_budget - min(ldap_timeout, what is left), at least 1 ms; 0
 * when nothing is left */
long long ldap_pool_budget(const struct ldap_pool *, uint64_t deadline);

void	ldap_pool_status(struct ldap_pool *, struct status_writer *);

#endif /* SASL_LDAP_POOL_H */
