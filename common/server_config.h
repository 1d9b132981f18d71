/*
 * server_config.h - a daemon's configuration, read as server_main() reads it
 *
 * The one load path for the daemon at start and on SIGHUP, for -n and
 * check, and for a daemon's own subcommands (tlsmap explain): what they
 * accept is exactly what the daemon runs on.
 *
 * Contract:
 *   server_common_params - the parameters every daemon has.
 *   server_config_table() - the daemon's parameter table:
 *     server_common_params, then spec->params, with spec->common_defaults
 *     (cfg_table_join); every entry's reload flag (and spec->group's) is checked (a table
 *     without one is a panic, server_reload.h). Free it with free().
 *   server_config_load() - the file (when it was named, or when the
 *     default exists; *missing_r = 1 when the default did not), then the
 *     -o overrides, applied to the table (cfg_apply; with spec->group,
 *     cfg_group_apply), then spec->check and
 *     the syslog_facility check, into a fresh struct of spec->cfg_size.
 *   server_config_free() - release what server_config_load() returned
 *     (NULL is a no-op).
 *   server_config_warn_missing() - the warning for a missing default file,
 *     naming it and the flag that names another one: said at every start,
 *     reload, -n, check and subcommand that ran on defaults.
 *   server_config_sockets() - the listeners a loaded config asks for
 *     (server.h's server_sockets, from spec->listen_cfg or spec->sockets):
 *     1 with ss filled, 0 when the daemon has none (ss zeroed).
 * Errors: server_config_load() returns NULL with one sentence in err
 *   ("FILE, line N: ..." for the file) and keeps nothing allocated.
 */
#ifndef PFH_SERVER_CONFIG_H
#define PFH_SERVER_CONFIG_H

#include <stddef.h>

struct cfg_param;
struct server_sockets;
struct server_spec;

/* the parameters of struct server_common (server.h), in every table */
extern const struct cfg_param server_common_params[];

struct cfg_param *server_config_table(const struct server_spec *spec);
void	*server_config_load(const struct server_spec *spec,
	    const struct cfg_param *table, const char *path, int named,
	    char *const *overrides, size_t noverrides, int *missing_r,
	    char *err, size_t errlen);
void	 server_config_free(const struct server_spec *spec,
	    const struct cfg_param *table, void *cfg);
void	 server_config_warn_missing(const struct server_spec *spec,
	    const char *path, size_t noverrides);
int	 server_config_sockets(const struct server_spec *spec, void *cfg,
	    struct server_sockets *ss);

#endif /* PFH_SERVER_CONFIG_H */
