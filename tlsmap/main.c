/*
 * main.c - tlsmap: socketmap server for smtp_tls_policy_maps and the legacy
 * smtp_tls_per_site
 *
 * This file is the server_spec and its hooks; the parameters are in
 * tlsmap_params.c, the protocol in sockmap_session.c, the data in maps.c,
 * the subcommands (check, explain, migrate) in tlsmap_ctl.c.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "maps.h"
#include "server.h"
#include "status.h"
#include "table.h"
#include "tlsmap.h"
#include "xalloc.h"

/*
 * warn_newer - one warning when the target is newer than the installed
 * Postfix, with the number of served entries it would defer mail on.
 *
 * Only a warning: the daemon still starts and serves. Refusing to start
 * would turn every lookup into a connection failure, which defers all
 * mail for every destination; serving defers only the entries that use
 * the newer features. "tlsmap check" fails on the same condition and
 * lists the entries.
 */
static void
warn_newer(const struct tlsmap *tm, const struct tlsmap_cfg *cfg)
{
	const struct postfix_probe *pr = &tm->installed;
	char msg[2048];
	unsigned n;

	if (pr->status != PROBE_FOUND || tlsmap_version(cfg) <= pr->version)
		return;
	n = maps_recheck(tm->maps, pr->version, NULL, NULL);
	postfix_probe_newer(pr, cfg->postfix_version, 1, n, msg, sizeof(msg));
	log_warn("%s", msg);
}

/* probe_installed - at start: which Postfix this host runs, said once */
static void
probe_installed(struct tlsmap *tm, const struct tlsmap_cfg *cfg)
{
	const struct postfix_probe *pr = &tm->installed;

	postfix_probe(cfg->postconf_command, cfg->postconf_timeout,
	    &tm->installed);
	switch (pr->status) {
	case PROBE_FOUND:
		if (tlsmap_version(cfg) <= pr->version)
			log_info("installed Postfix %s (%s): not older than "
			    "postfix_version = %s", pr->mail_version,
			    pr->path, cfg->postfix_version);
		else
			warn_newer(tm, cfg);
		break;
	case PROBE_NONE:
		log_info("no installed Postfix found (%s): policies are "
		    "checked against postfix_version = %s only", pr->reason,
		    cfg->postfix_version);
		break;
	case PROBE_FAILED:
		log_warn("cannot tell the installed Postfix version: %s; "
		    "policies are checked against postfix_version = %s only",
		    pr->reason, cfg->postfix_version);
		break;
	case PROBE_OFF:
		break;
	}
}

/* tlsmap_init - maps first, then the listeners */
static int
tlsmap_init(struct server *srv, char *err, size_t errlen)
{
	struct tlsmap_cfg *cfg = server_cfg(srv);
	struct tlsmap *tm = xcalloc(1, sizeof(*tm));

	tm->srv = srv;
	stats_recent_init(&tm->st.recent, 50);
	server_set_ctx(srv, tm);
	if ((tm->maps = maps_new(cfg->maps, cfg->report_only_maps,
	    tlsmap_version(cfg), err, errlen)) == NULL)
		return -1;
	maps_guard(tm->maps, &cfg->common);
	/*
	 * A map whose file is missing or empty is a start-up error: that is
	 * an install that is not finished, or a file lost, and serving it
	 * would look like "no policy". A map with bad lines is not fatal: its
	 * lookups answer TEMP (Postfix defers, never a wrong policy) while
	 * the other maps serve, and the file is retried whenever it changes.
	 */
	if (maps_load(tm->maps) > 0) {
		struct tlsmap_map *m = maps_missing(tm->maps);

		if (m != NULL) {
			snprintf(err, errlen, "map %s: %s", m->name,
			    m->src->last_error);
			return -1;
		}
		log_warn("not every map loaded: their lookups answer TEMP "
		    "until the file is fixed");
	}
	/* from now on every reload parses off the event loop */
	maps_async(tm->maps, server_ev(srv));
	if (tlsmap_dyn_attach(tm, tm->maps, cfg, err, errlen) < 0)
		return -1;
	probe_installed(tm, cfg);
	if (server_listen_config(srv, sockmap_accept, tm, err, errlen) < 0)
		return -1;
	return tlsmap_control_listen(tm, cfg, err, errlen);
}

/* tlsmap_reload - SIGHUP with a valid config: new map set, or fresh files */
static int
tlsmap_reload(struct server *srv, void *vnew, char *err, size_t errlen)
{
	struct tlsmap *tm = server_ctx(srv);
	struct tlsmap_cfg *old = server_cfg(srv), *cfg = vnew;
	struct maps *ms;
	size_t i;

	/* the CFG_F_RESTART parameters (listen, socket_*, postconf_*): the server
	 * compares them with what runs and says what needs a restart */
	if (strcmp(old->maps, cfg->maps) == 0 &&
	    strcmp(old->postfix_version, cfg->postfix_version) == 0 &&
	    strcmp(old->report_only_maps, cfg->report_only_maps) == 0) {
		/* same maps: re-read every file (loader thread); a bad one keeps its table */
		maps_guard(tm->maps, &cfg->common);
		(void)maps_load(tm->maps);
		/* the dynamic maps keep their caches, with the new limits */
		return tlsmap_dyn_attach(tm, tm->maps, cfg, err, errlen);
	}
	/*
	 * A new map set is loaded here, on the loop, since the config is
	 * accepted or refused as a whole now; lookups wait meanwhile.
	 */
	if ((ms = maps_new(cfg->maps, cfg->report_only_maps,
	    tlsmap_version(cfg), err, errlen)) == NULL)
		return -1;
	maps_guard(ms, &cfg->common);
	if (maps_load(ms) > 0) {
		for (i = 0; i < ms->n; i++)
			if (!map_loaded(&ms->v[i]))
				break;
		snprintf(err, errlen, "map %s: %s", ms->v[i].name,
		    ms->v[i].src->last_error);
		maps_free(ms);
		return -1;
	}
	/* the caches of the cache files still named carry over */
	if (tlsmap_dyn_attach(tm, ms, cfg, err, errlen) < 0) {
		maps_free(ms);
		return -1;
	}
	/* static lookups are synchronous, and a session waiting on a
	 * dynamic one holds its dyn, not the map: nothing holds the old set */
	maps_free(tm->maps);
	tm->maps = ms;
	maps_async(tm->maps, server_ev(srv));
	/* the Postfix found at start: no postconf run on the loop thread */
	warn_newer(tm, cfg);
	return 0;
}

/* tlsmap_tick - pick up changed files without a SIGHUP */
static void
tlsmap_tick(struct server *srv)
{
	struct tlsmap *tm = server_ctx(srv);

	(void)maps_check(tm->maps);
	tlsmap_dyn_tick(tm);
}

/* tlsmap_stopped - the dynamic caches go to disk at a clean stop */
static void
tlsmap_stopped(struct server *srv)
{
	tlsmap_dyn_stop(server_ctx(srv));
}

static const struct server_spec tlsmap_spec = {
	.name = "tlsmap",
	.default_config = PFH_SYSCONFDIR "/tlsmap.conf",
	.config_flag = 'c',
	.usage =
	    "       tlsmap [-c config_file] [-o name=value ...] check\n"
	    "       tlsmap [-c config_file] [-o name=value ...] explain KEY [MAP]\n"
	    "       tlsmap [-c config_file] refresh DOMAIN\n"
	    "       tlsmap [-c config_file] purge DOMAIN|all\n"
	    "       tlsmap migrate [-m mx_host ...] PER_SITE_FILE\n",
	.params = tlsmap_params,
	.cfg_size = sizeof(struct tlsmap_cfg),
	.listen_cfg = offsetof(struct tlsmap_cfg, sock),
	.common_defaults = tlsmap_common_defaults,
	.check = tlsmap_check_cfg,
	.init = tlsmap_init,
	.reload = tlsmap_reload,
	.tick = tlsmap_tick,
	.stopped = tlsmap_stopped,
	.status = tlsmap_status,
	.verify = tlsmap_verify,
	.check_exit = 1,	/* like "postfix check" (tlsmap(8)) */
};

/* main - a subcommand (explain, migrate), or the daemon (and its check) */
int
main(int argc, char **argv)
{
	int handled, rc;

	rc = tlsmap_ctl(&tlsmap_spec, argc, argv, &handled);
	if (handled)
		return rc;
	return server_main(argc, argv, &tlsmap_spec);
}
