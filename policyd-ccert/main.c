/*
 * main.c - policyd-ccert: Postfix policy server that grants relay by
 * client certificate (public-key or certificate pin)
 *
 * This file holds the parameter table and the server_spec hooks: it loads
 * the identities file at start (a missing, bad, cut short or empty file is
 * fatal there; "touch FILE.confirm" allows an empty one), re-reads it on
 * SIGHUP and whenever the file changes (checked every
 * reload_check_interval) on the loader thread, and keeps the previous
 * table when a new one is bad, cut short, still changing, empty or much
 * smaller (table.h's guard). Connections are never closed for a reload: requests in flight are
 * answered from whichever table was current when they were decoded.
 *
 * default_action is what every client without an enrolled pin gets, so a
 * default_action Postfix takes as a permit (ccert_action_permits(): OK,
 * RELAY, all digits) makes an open relay. The check hook refuses it (at
 * start, for -n and on SIGHUP) unless default_action_open_relay = yes,
 * and even then the warn hook says so at start, after each SIGHUP and
 * for -n. The other actions are reached only with an enrolled pin.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ccert_decide.h"
#include "endpoint.h"
#include "identities.h"
#include "log.h"
#include "policyd.h"
#include "server.h"
#include "table.h"
#include "xalloc.h"

#define PD(f)	offsetof(struct policyd_cfg, f)
/* what a SIGHUP does with a new value (server_reload.h) */
#define RL	CFG_F_RELOAD
#define RS	CFG_F_RESTART

static const struct cfg_param policyd_params[] = {
	{"listen", CFG_STR, "inet:127.0.0.1:10031", PD(sock.listen), 0, 0, RS},
	{"socket_mode", CFG_MODE, "0660", PD(sock.socket_mode), 0, 0, RS},
	{"socket_group", CFG_STR, "", PD(sock.socket_group), 0, 0, RS},
	{"identities", CFG_STR, PFH_SYSCONFDIR "/policyd-ccert.identities",
	    PD(identities), 0, 0, RL},
	{"permit_action", CFG_STR, "OK", PD(permit_action), 0, 0, RL},
	{"default_action", CFG_STR, "DUNNO", PD(default_action), 0, 0, RL},
	{"default_action_open_relay", CFG_BOOL, "no",
	    PD(default_action_open_relay), 0, 0, RL},
	{"expired_action", CFG_STR, "DUNNO", PD(expired_action), 0, 0, RL},
	{"sender_mismatch_action", CFG_STR,
	    "REJECT 5.7.1 sender not allowed for this client certificate",
	    PD(sender_mismatch_action), 0, 0, RL},
	{"report_only", CFG_BOOL, "no", PD(report_only), 0, 0, RL},
	{"decision_log", CFG_STR, "all", PD(decision_log), 0, 0, RL},
	{"expiry_warning_days", CFG_INT, "30", PD(expiry_warning_days), 0,
	    3650, RL},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

/* policyd_check - cross-field validation: actions, endpoint, log mode */
static int
policyd_check(void *vcfg, char *err, size_t errlen)
{
	struct policyd_cfg *cfg = vcfg;
	const struct {
		const char *name;
		const char *value;
	} actions[] = {
		{"permit_action", cfg->permit_action},
		{"default_action", cfg->default_action},
		{"expired_action", cfg->expired_action},
		{"sender_mismatch_action", cfg->sender_mismatch_action},
	};
	struct endpoint ep;
	char why[512];
	size_t i;

	for (i = 0; i < nitems(actions); i++) {
		if (ccert_action_check(actions[i].value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s = %s: %s", actions[i].name,
			    actions[i].value, why);
			return -1;
		}
	}
	if (ccert_action_permits(cfg->default_action) &&
	    !cfg->default_action_open_relay) {
		snprintf(err, errlen, "default_action = %s: permits every "
		    "client without an enrolled certificate, an open relay; "
		    "set default_action_open_relay = yes if that is meant",
		    cfg->default_action);
		return -1;
	}
	if (endpoint_parse(cfg->sock.listen, &ep, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "listen = %s: %s", cfg->sock.listen, why);
		return -1;
	}
	if (strcasecmp(cfg->decision_log, "all") == 0)
		cfg->log_mode = POLICYD_LOG_ALL;
	else if (strcasecmp(cfg->decision_log, "certs") == 0)
		cfg->log_mode = POLICYD_LOG_CERTS;
	else if (strcasecmp(cfg->decision_log, "none") == 0)
		cfg->log_mode = POLICYD_LOG_NONE;
	else {
		snprintf(err, errlen, "decision_log = %s: want all, certs or "
		    "none", cfg->decision_log);
		return -1;
	}
	if (*cfg->identities != '/') {
		snprintf(err, errlen, "identities = %s: want an absolute path",
		    cfg->identities);
		return -1;
	}
	return 0;
}

/* policyd_warn - a confirmed open relay, said at every start and reload */
static void
policyd_warn(void *vcfg)
{
	struct policyd_cfg *cfg = vcfg;

	if (ccert_action_permits(cfg->default_action))
		log_warn("default_action = %s: permits every client without "
		    "an enrolled certificate, an open relay "
		    "(confirmed by default_action_open_relay = yes)",
		    cfg->default_action);
}

/* sync_identities - adopt the source's table if it changed */
static void
sync_identities(struct policyd *pd)
{
	struct identities *ids;

	if (pd->src->table == NULL ||
	    (pd->ids && identities_table(pd->ids) == pd->src->table))
		return;
	ids = identities_new(pd->src->table);
	identities_carry(ids, pd->ids);
	identities_free(pd->ids);
	pd->ids = ids;
	log_info("identities: loaded %zu pins for %zu identities from %s",
	    identities_pins(ids), identities_names(ids), pd->src->path);
}

/* identities_loaded - table_loaded_fn: a background load ended */
static void
identities_loaded(struct table_source *ts, int rc, void *ctx)
{
	if (rc > 0)
		sync_identities(ctx);
}

/* identities_source - a source for the file, with the config's guard */
static struct table_source *
identities_source(const struct policyd_cfg *cfg)
{
	struct table_source *src;

	src = table_source_new(cfg->identities, identities_table_ops());
	server_table_guard(src, &cfg->common);
	return src;
}

/*
 * open_identities - a source for the file, loaded now (on the loop, as
 * the caller must decide at once), then reloading in the background
 */
static struct table_source *
open_identities(struct policyd *pd, const struct policyd_cfg *cfg, char *err,
    size_t errlen)
{
	struct table_source *src = identities_source(cfg);

	if (table_source_load(src) < 0) {
		snprintf(err, errlen, "identities: %s", src->last_error);
		table_source_free(src);
		return NULL;
	}
	table_source_async(src, server_ev(pd->srv), identities_loaded, pd);
	return src;
}

/* policyd_init - load the identities (fatal if bad) and listen */
static int
policyd_init(struct server *srv, char *err, size_t errlen)
{
	struct policyd_cfg *cfg = server_cfg(srv);
	struct policyd *pd = xcalloc(1, sizeof(*pd));

	pd->srv = srv;
	stats_recent_init(&pd->st.recent, 50);
	server_set_ctx(srv, pd);
	/* missing, bad, cut short or empty (unless confirmed): fatal */
	if ((pd->src = open_identities(pd, cfg, err, errlen)) == NULL)
		return -1;
	sync_identities(pd);
	if (server_listen_config(srv, session_accept, pd, err, errlen) < 0)
		return -1;
	if (cfg->report_only)
		log_warn("report_only = yes: every answer is DUNNO; decisions "
		    "are only logged");
	return 0;
}

/* policyd_reload - SIGHUP: new settings, and the identities re-read now */
static int
policyd_reload(struct server *srv, void *vnew, char *err, size_t errlen)
{
	struct policyd *pd = server_ctx(srv);
	struct policyd_cfg *old = server_cfg(srv), *cfg = vnew;
	struct table_source *src;

	/* the CFG_F_RESTART parameters (listen, socket_*): the server
	 * compares them with what runs and says what needs a restart */
	if (strcmp(old->identities, cfg->identities) != 0) {
		if ((src = open_identities(pd, cfg, err, errlen)) == NULL)
			return -1;
		table_source_free(pd->src);
		pd->src = src;
		sync_identities(pd);
	} else {
		/* an admin who sends SIGHUP expects the file read again */
		server_table_guard(pd->src, &cfg->common);
		(void)table_source_load(pd->src);
	}
	if (cfg->report_only && !old->report_only)
		log_warn("report_only = yes: every answer is DUNNO; decisions "
		    "are only logged");
	return 0;
}

/* policyd_tick - pick up a changed identities file without a signal */
static void
policyd_tick(struct server *srv)
{
	struct policyd *pd = server_ctx(srv);

	/* a change is parsed on the loader thread: identities_loaded() */
	(void)table_source_check(pd->src);
}

/* policyd_verify - "check": the identities file, every bad line named */
static unsigned
policyd_verify(struct server *srv, void *vcfg)
{
	struct policyd_cfg *cfg = vcfg;
	struct table_source *src;
	unsigned n;

	(void)srv;
	src = identities_source(cfg);
	n = table_source_verify(src);
	if (n == 0)
		fprintf(stderr, "policyd-ccert: check: %s: %zu identities\n",
		    cfg->identities, table_count(src->table));
	table_source_free(src);
	return n;
}

static const struct server_spec policyd_spec = {
	.name = "policyd-ccert",
	.default_config = PFH_SYSCONFDIR "/policyd-ccert.conf",
	.config_flag = 'c',
	.params = policyd_params,
	.cfg_size = sizeof(struct policyd_cfg),
	.listen_cfg = offsetof(struct policyd_cfg, sock),
	.check = policyd_check,
	.warn = policyd_warn,
	.init = policyd_init,
	.reload = policyd_reload,
	.tick = policyd_tick,
	.status = policyd_status,
	.verify = policyd_verify,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &policyd_spec);
}
