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

#include "cfg.h"
#include "cfg_conv.h"
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
	return 0;
}
