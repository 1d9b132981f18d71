/*
 * saslauthd.h - saslauthd-lite private interface
 *
 * saslauthd-lite is a drop-in for Cyrus saslauthd: the same mux socket
 * protocol and command line, with an event loop in front of a bounded
 * worker pool, an HMAC-keyed credential cache, failure throttling and one
 * log line per decision. Modules, one job each:
 *   main.c          parameters, Cyrus flag translation, server_spec hooks
 *   sasl_params.c   the parameter table (shared with saslauthd-lite-test)
 *   sasl_session.c  one client connection: decode, policy, cache, throttle,
 *                   backend chain on the worker pool, reply, drain
 *   sasl_status.c   the status page and the per-decision log line
 *   realm.c         the realm policy (pure)
 *   clientaddr.c    the 5th field's client address, whole or not (pure)
 *   auth.c          the backend chain (pwfile, pam, shadow, ldap)
 *   auth_ldap.c     the ldap backend; ldap_conf.c its settings (and
 *                   cyrus_conf.c the Cyrus -O file), ldap_filter.c the
 *                   escaped %-expansion, ldap_pool.c the connections
 *   auth_cache.c    the credential cache (pure, loop thread)
 *   throttle.c      failure throttling (pure, loop thread)
 *   lru.c           bounded hash map with LRU eviction used by both
 * Threads: everything here runs on the loop thread except the backend
 * verify functions, which run on workers and touch only their request.
 */
#ifndef SASLAUTHD_H
#define SASLAUTHD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "server.h"
#include "stats.h"

#define SASL_PROG		"saslauthd-lite"
#define SASL_DEFAULT_CONFIG	PFH_SYSCONFDIR "/saslauthd-lite.conf"
#define SASL_DEFAULT_PWFILE	PFH_SYSCONFDIR "/saslauthd-lite.passwd"
#define SASL_DEFAULT_RUN_DIR	"/var/run/saslauthd"
#define SASL_SOCKET_NAME	"mux"
/* bytes one cache entry is counted as when -s gives kilobytes (Cyrus) */
#define SASL_CACHE_ENTRY_BYTES	128

struct sasl_cfg {
	struct server_common common;	/* must be first */
	char	*mechanisms;		/* "pwfile", "pwfile,pam", ... */
	char	*pwfile;
	bool	 pwfile_allow_weak_hashes;
	char	*pam_confdir;		/* "" = the system's /etc/pam.d */
	char	*pam_services;		/* PAM services clients may name */
	bool	 pam_acct_mgmt;
	char	*run_dir;
	mode_t	 socket_mode;
	char	*socket_group;
	long long workers;
	long long max_queue;
	long long backend_timeout;	/* ms */
	bool	 chain_on_tempfail;	/* a backend's tempfail asks the next */
	long long fifth_field_grace;	/* ms */
	bool	 cache;
	long long cache_ttl;		/* ms */
	long long cache_negative_ttl;	/* ms, 0 = positive entries only */
	long long cache_ttl_system;	/* ms, cap for pam and shadow answers */
	long long cache_size;		/* entries */
	char	*realm_policy;		/* pass, join, strip, default */
	char	*default_realm;
	bool	 throttle;
	long long throttle_after;	/* failures before the first delay */
	long long throttle_delay;	/* ms, first delay */
	long long throttle_max_delay;	/* ms, cap */
	long long throttle_quiet;	/* ms without failures: forget */
	long long throttle_table_size;	/* keys per table */
	long long recent_size;		/* decisions kept for the status page */
	/* the ldap backend (ldap_conf.h); ldap_config is a Cyrus-format file */
	char	*ldap_config, *ldap_servers, *ldap_search_base, *ldap_filter,
	    *ldap_bind_dn, *ldap_password, *ldap_auth_method,
	    *ldap_tls_cacert_file, *ldap_scope;
	bool	 ldap_start_tls;
	long long ldap_timeout;		/* ms, per LDAP operation */
	/* derived by the config check */
	char	 socket_ep[128];	/* "unix:" run_dir "/mux" */
};

/* sasl_params.c */
extern const struct cfg_param sasl_params[];
extern const char *const sasl_common_defaults[];

/* Per-decision counters; shown on the status page. */
struct sasl_stats {
	struct stats_counter requests, ok, no, tempfail, cached_ok, cached_no,
	    empty_field, oversize, bad_request, queue_full, timeouts,
	    throttled, throttle_refused;
	struct stats_hist latency;
	struct stats_recent recent;
};

struct auth_chain;
struct auth_cache;
struct throttle;
struct workq;

/* Daemon state (server_ctx) */
struct sasl_ctx {
	struct server *srv;
	struct sasl_cfg *cfg;		/* current; follows reloads */
	struct workq *wq;
	struct auth_chain *chain;
	struct auth_cache *cache;	/* NULL when the cache is off */
	uint64_t cache_gen;		/* where a new cache's generations start */
	struct throttle *th_user, *th_ip;
	unsigned char mac_key[32];	/* per-start HMAC key */
	unsigned active;		/* sessions with a request in progress */
	struct sasl_stats st;
};

/* sasl_session.c */
void	sasl_session_accept(struct listener *, int fd, const char *peer,
	    void *ctx);

/* sasl_status.c */
struct status_writer;
struct sasl_decision {
	const char *result;		/* "OK" or "NO" */
	const char *user, *service, *realm, *client, *backend, *reason;
	bool	 cached;
	uint64_t throttled_ms;		/* the throttle's delay, 0 none */
	uint64_t usec;
};
void	sasl_log_decision(struct sasl_ctx *, const struct sasl_decision *);
void	sasl_status(struct server *, struct status_writer *);
/* sasl_sanitize - printable, space-free copy of untrusted text for logs */
void	sasl_sanitize(char *out, size_t outlen, const char *in);

#endif /* SASLAUTHD_H */
