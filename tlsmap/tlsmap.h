/*
 * tlsmap.h - private header of the tlsmap daemon
 *
 * main.c          server_spec, init/reload/tick hooks
 * tlsmap_params.c the parameter table, common defaults, config check
 * tlsmap_ctl.c    the subcommands: check (the verify hook), explain, migrate
 * tlsmap_status.c the status page callback
 * sockmap_session.c  one Postfix socketmap connection
 * maps.c, tls_policy.c, per_site.c  (own headers) the data
 * postfix_probe.c  (own header) the installed Postfix's version
 * tlsmap_dyn.c    the dynamic maps' resolver, fetcher and caches
 * tlsmap_control.c the admin socket (control_listen) and its client
 * dynamic.c, dyn_store.c, dane.c, dns_resolver.c, sts_policy.c,
 * sts_fetch.c  (own headers) dynamic maps: DANE, then MTA-STS
 *
 * Everything here runs on the loop thread; the counters are stats.h
 * atomics only because the status page reads them.
 */
#ifndef PFH_TLSMAP_H
#define PFH_TLSMAP_H

#include <stddef.h>
#include <sys/types.h>

#include "listen.h"
#include "maps.h"
#include "postfix_probe.h"
#include "server.h"
#include "stats.h"

struct tlsmap_cfg {
	struct server_common common;	/* must come first */
	struct server_listen_cfg sock;	/* listen, socket_mode, socket_group */
	char	*maps;
	char	*postfix_version;
	char	*report_only_maps;
	char	*postconf_command;	/* "" = do not compare */
	long long postconf_timeout;	/* ms */
	/* dynamic maps */
	char	*dns_forwarders;
	char	*dns_stub_zones;
	char	*dns_trust_anchor_file;
	long long dns_timeout;		/* ms: the answer deadline */
	long long cache_min_ttl;	/* ms */
	long long cache_size;		/* entries */
	long long max_resolutions;
	char	*sts_ca_file;
	long long sts_timeout;		/* ms */
	char	*control_listen;	/* "" = none */
};

/* tlsmap_params.c */
extern const struct cfg_param tlsmap_params[];
extern const char *const tlsmap_common_defaults[];
/* tlsmap_check_cfg - cross-field checks shared by the daemon and the ctl */
int	tlsmap_check_cfg(void *cfg, char *err, size_t errlen);
/* tlsmap_version - the validated target version of a checked config */
unsigned tlsmap_version(const struct tlsmap_cfg *);

struct tlsmap_stats {
	struct stats_counter answers[MAP_KIND_COUNT][MAP_LEVEL_MAX];
	struct stats_counter notfound[MAP_KIND_COUNT];
	struct stats_counter report_only[MAP_KIND_COUNT];
	struct stats_counter temp;		/* map not loaded, dynamic TEMP */
	struct stats_counter perm;		/* unknown map, bad request */
	struct stats_counter proto_errors;	/* bad netstring: closed */
	struct stats_counter oversize;		/* > 10000 bytes: closed */
	struct stats_hist latency;
	struct stats_recent recent;
};

struct tlsmap {
	struct server *srv;
	struct maps *maps;
	struct tlsmap_stats st;
	struct postfix_probe installed;	/* postconf, run once at start */
	/* dynamic maps: NULL until a map set has one */
	struct dns_resolver *dns;
	struct sts_fetcher *fetcher;
	struct dyn **dyns;		/* one per cache file */
	size_t	 ndyns;
};

/* tlsmap_dyn.c */
struct dyn_cfg;
/* tlsmap_dyn_cfg - the dyn settings of a config */
void	tlsmap_dyn_cfg(const struct tlsmap_cfg *, const char *cache_file,
	    struct dyn_cfg *);
/* tlsmap_dyn_attach - give every dynamic map of ms its dyn (made, or kept
 * from before by cache file); dyns no map uses are saved and freed */
int	tlsmap_dyn_attach(struct tlsmap *, struct maps *ms,
	    const struct tlsmap_cfg *, char *err, size_t errlen);
/* tlsmap_dyn_tick - save and prefetch */
void	tlsmap_dyn_tick(struct tlsmap *);
/* tlsmap_dyn_stop - save every cache (a clean stop) */
void	tlsmap_dyn_stop(struct tlsmap *);
/* tlsmap_dyn_verify - check: the resolver settings and the cache files */
unsigned tlsmap_dyn_verify(const struct tlsmap_cfg *, const struct maps *);

/* tlsmap_control.c */
int	tlsmap_control_listen(struct tlsmap *, const struct tlsmap_cfg *,
	    char *err, size_t errlen);
/* tlsmap_control_ask - client: send "VERB ARG" to control_listen, copy
 * the reply to stdout; the exit status */
int	tlsmap_control_ask(const char *endpoint, const char *verb,
	    const char *arg);

/* sockmap_session.c */
void	sockmap_accept(struct listener *, int fd, const char *peer, void *ctx);

/* tlsmap_status.c */
void	tlsmap_status(struct server *, struct status_writer *);

/* tlsmap_ctl.c */
/* tlsmap_ctl - explain or migrate when argv names one (*handled_r = 1:
 * the exit status is returned), else nothing; spec is the daemon's */
int	tlsmap_ctl(const struct server_spec *spec, int argc, char **argv,
	    int *handled_r);
/* tlsmap_verify - spec->verify: "check" of every map and the installed
 * Postfix; stdout lists each map, stderr each error; returns problems */
unsigned tlsmap_verify(struct server *, void *cfg);

#endif /* PFH_TLSMAP_H */
