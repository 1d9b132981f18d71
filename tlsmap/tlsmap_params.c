/*
 * tlsmap_params.c - tlsmap's configuration parameters
 *
 * The table, the defaults tlsmap gives the common parameters, and the
 * cross-field check, for the daemon (main.c) and its subcommands
 * (tlsmap_ctl.c) alike, as saslauthd-lite keeps sasl_params.c: neither
 * of those files needs the other for its configuration.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "cfg_conv.h"
#include "dns_resolver.h"
#include "log.h"
#include "maps.h"
#include "tls_policy.h"
#include "tlsmap.h"

#define P(f)	offsetof(struct tlsmap_cfg, f)
/* what a SIGHUP does with a new value (server_reload.h) */
#define RL	CFG_F_RELOAD
#define RS	CFG_F_RESTART

const struct cfg_param tlsmap_params[] = {
	{"listen", CFG_STR, "inet:127.0.0.1:10030", P(sock.listen), 0, 0, RS},
	{"socket_mode", CFG_MODE, "0660", P(sock.socket_mode), 0, 0, RS},
	{"socket_group", CFG_STR, "", P(sock.socket_group), 0, 0, RS},
	{"maps", CFG_STR, "tlspolicy=policy:" PFH_SYSCONFDIR "/tls_policy",
	    P(maps), 0, 0, RL},
	{"postfix_version", CFG_STR, PFH_DEFAULT_POSTFIX_VERSION,
	    P(postfix_version), 0, 0, RL},
	{"report_only_maps", CFG_STR, "", P(report_only_maps), 0, 0, RL},
	{"postconf_command", CFG_STR, "postconf", P(postconf_command), 0, 0, RS},
	{"postconf_timeout", CFG_TIME, "5s", P(postconf_timeout), 100, 60000,
	    RS},
	/* dynamic maps: the resolver and the fetcher are made once */
	{"dns_forwarders", CFG_STR, "", P(dns_forwarders), 0, 0, RS},
	{"dns_stub_zones", CFG_STR, "", P(dns_stub_zones), 0, 0, RS},
	{"dns_trust_anchor_file", CFG_STR, "/usr/share/dns/root.key",
	    P(dns_trust_anchor_file), 0, 0, RS},
	/* well inside Postfix's own socketmap timeout (100 s) and its
	 * smtp_connect_timeout: a lookup that takes longer is TEMP */
	{"dns_timeout", CFG_TIME, "10s", P(dns_timeout), 500, 60000, RL},
	{"cache_min_ttl", CFG_TIME, "180s", P(cache_min_ttl), 1000,
	    86400000, RL},
	{"cache_size", CFG_INT, "50000", P(cache_size), 10, 10000000, RS},
	{"max_resolutions", CFG_INT, "1000", P(max_resolutions), 1, 100000,
	    RL},
	{"sts_ca_file", CFG_STR, "", P(sts_ca_file), 0, 0, RS},
	{"sts_timeout", CFG_TIME, "5s", P(sts_timeout), 500, 60000, RS},
	{"control_listen", CFG_STR, "", P(control_listen), 0, 0, RS},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

/* Postfix closes an idle socketmap connection after 10 s: outlast it. */
const char *const tlsmap_common_defaults[] = {
	"idle_timeout", "300s",
	NULL,
};

/* tlsmap_version - the target version of a config that passed the check */
unsigned
tlsmap_version(const struct tlsmap_cfg *cfg)
{
	unsigned v;

	if (tls_policy_version_parse(cfg->postfix_version, &v) < 0)
		log_panic("postfix_version \"%s\" passed the config check",
		    cfg->postfix_version);
	return v;
}

/* tlsmap_check_cfg - refuse a config whose values cannot work */
int
tlsmap_check_cfg(void *vcfg, char *err, size_t errlen)
{
	struct tlsmap_cfg *cfg = vcfg;
	const char *p = cfg->sock.listen;
	struct maps *ms;
	unsigned v;
	size_t n;

	if (tls_policy_version_parse(cfg->postfix_version, &v) < 0) {
		snprintf(err, errlen, "postfix_version: \"%s\" is not a "
		    "Postfix version of 2.3 or later (e.g. 3.7)",
		    cfg->postfix_version);
		return -1;
	}
	if (cfg_conv_list_next(&p, &n) == NULL) {
		snprintf(err, errlen, "listen: no endpoint");
		return -1;
	}
	if ((ms = maps_new(cfg->maps, cfg->report_only_maps, v, err,
	    errlen)) == NULL)
		return -1;
	maps_free(ms);
	{
		struct dns_cfg dc;

		dc.forwarders = cfg->dns_forwarders;
		dc.stub_zones = cfg->dns_stub_zones;
		dc.anchor_files = cfg->dns_trust_anchor_file;
		if (dns_cfg_check(&dc, err, errlen) < 0)
			return -1;
	}
	if (cfg->control_listen[0] != 0 &&
	    strncmp(cfg->control_listen, "unix:", 5) != 0) {
		snprintf(err, errlen, "control_listen: \"%s\" is not "
		    "unix:PATH (the admin socket is never on the network)",
		    cfg->control_listen);
		return -1;
	}
	return 0;
}
