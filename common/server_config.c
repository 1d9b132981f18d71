/*
 * server_config.c - a daemon's configuration, read as server_main() reads it
 *
 * Moved out of server.c so that a daemon's subcommands read their config
 * through the very function the daemon uses, instead of a copy of it.
 * The contract is in server_config.h (server_listen_config's in server.h:
 * it binds what server_config_sockets() reads).
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_group.h"
#include "log.h"
#include "server.h"
#include "server_config.h"
#include "server_reload.h"
#include "xalloc.h"

#define CS(f)	offsetof(struct server_common, f)
#define RL	CFG_F_RELOAD
#define RS	CFG_F_RESTART

const struct cfg_param server_common_params[] = {
	{"syslog_facility", CFG_STR, "mail", CS(syslog_facility), 0, 0, RL},
	{"syslog_name", CFG_STR, "", CS(syslog_name), 0, 0, RL},
	/* the drop happens once, at start */
	{"user", CFG_STR, "", CS(user), 0, 0, RS},
	{"group", CFG_STR, "", CS(group), 0, 0, RS},
	{"pid_file", CFG_STR, "", CS(pid_file), 0, 0, RS},
	{"status_listen", CFG_STR, "", CS(status_listen), 0, 0, RS},
	{"status_auth_file", CFG_STR, "", CS(status_auth_file), 0, 0, RL},
	{"reload_check_interval", CFG_TIME, "2s", CS(reload_check_interval), 100, 3600000, RL},
	{"table_settle_time", CFG_TIME, "1s", CS(table_settle_time), 0, 60000, RL},
	{"table_shrink_limit", CFG_INT, "50", CS(table_shrink_limit), 0, 100, RL},
	{"stop_timeout", CFG_TIME, "10s", CS(stop_timeout), 0, 600000, RL},
	/* each listener takes its limit when it is bound */
	{"max_connections", CFG_INT, "4096", CS(max_connections), 1, 1000000, RS},
	{"idle_timeout", CFG_TIME, "600s", CS(idle_timeout), 0, 86400000, RL},
	{"first_request_timeout", CFG_TIME, "10s", CS(first_request_timeout), 0, 86400000, RL},
	{"max_new_connections_per_peer", CFG_INT, "0", CS(max_new_per_peer), 0, 1000000, RL},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

/* server_config_table - common + daemon parameters, daemon's defaults */
struct cfg_param *
server_config_table(const struct server_spec *spec)
{
	struct cfg_param *t;

	t = cfg_table_join(server_common_params, spec->params,
	    spec->common_defaults);
	server_reload_table(t, spec->name);
	if (spec->group)
		server_reload_table(spec->group->params, spec->name);
	return t;
}

/* server_config_load - file + overrides into a fresh struct, or NULL + err */
void *
server_config_load(const struct server_spec *spec,
    const struct cfg_param *table, const char *path, int named,
    char *const *overrides, size_t noverrides, int *missing_r, char *err,
    size_t errlen)
{
	struct cfg *c = cfg_new();
	struct server_common *sc;
	void *target = NULL;
	size_t i;

	*missing_r = 0;
	if (named || access(path, F_OK) == 0) {
		if (cfg_load_file(c, path, err, errlen) < 0)
			goto out;
	} else {
		*missing_r = 1;
	}
	for (i = 0; i < noverrides; i++)
		if (cfg_set(c, overrides[i], "-o", err, errlen) < 0)
			goto out;
	target = xcalloc(1, spec->cfg_size);
	if ((spec->group ? cfg_group_apply(c, table, spec->cfg_size,
	    spec->group, target, err, errlen) :
	    cfg_apply(c, table, target, err, errlen)) < 0) {
		free(target);
		target = NULL;
		goto out;
	}
	sc = target;
	if (spec->check && spec->check(target, err, errlen) < 0) {
		server_config_free(spec, table, target);
		target = NULL;
	} else if (!log_facility_valid(sc->syslog_facility)) {
		snprintf(err, errlen, "syslog_facility: unknown facility \"%s\"",
		    sc->syslog_facility);
		server_config_free(spec, table, target);
		target = NULL;
	}
out:
	cfg_free(c);
	return target;
}

/* server_config_free - release a loaded config */
void
server_config_free(const struct server_spec *spec,
    const struct cfg_param *table, void *cfg)
{
	if (cfg == NULL)
		return;
	if (spec->group)
		cfg_group_release(table, spec->group, cfg);
	else
		cfg_release(table, cfg);
	free(cfg);
}

/*
 * server_config_warn_missing - say which file was looked for and not found
 *
 * A build whose configuration directory is not the one the admin edits
 * otherwise runs quietly on defaults (tlsmap then defers all mail for a map
 * it cannot open): every start, reload, -n and check says so.
 */
void
server_config_warn_missing(const struct server_spec *spec, const char *path,
    size_t noverrides)
{
	log_warn("configuration file %s not found: running on built-in "
	    "defaults%s (name another file with -%c FILE)", path,
	    noverrides ? " and the command line" : "", spec->config_flag);
}

/* server_config_sockets - the listeners cfg asks for; 0 when there are none */
int
server_config_sockets(const struct server_spec *spec, void *cfg,
    struct server_sockets *ss)
{
	const struct server_listen_cfg *lc;

	memset(ss, 0, sizeof(*ss));
	if (spec->listen_cfg != 0) {
		lc = (const void *)((const char *)cfg + spec->listen_cfg);
		ss->listen_param = "listen";
		ss->endpoints = lc->listen;
		ss->mode = lc->socket_mode;
		ss->group = lc->socket_group;
		return 1;
	}
	if (spec->sockets == NULL)
		return 0;
	spec->sockets(cfg, ss);
	return 1;
}

/* server_listen_config - bind the listeners of the config in force */
int
server_listen_config(struct server *s, listener_accept_fn *fn, void *ctx,
    char *err, size_t errlen)
{
	struct server_sockets ss;

	if (!server_config_sockets(server_spec(s), server_cfg(s), &ss))
		return 0;
	return server_listen_all(s, &ss, fn, ctx, err, errlen);
}
