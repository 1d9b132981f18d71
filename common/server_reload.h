/*
 * server_reload.h - what a SIGHUP puts in effect, and what needs a restart
 *
 * Every parameter of a daemon's table (server_common_params first, then
 * spec->params) carries exactly one of CFG_F_RELOAD (a SIGHUP puts the new
 * value in effect) and CFG_F_RESTART (only a restart does); the skeleton
 * refuses to run a table that does not (server_reload_table, a panic: the
 * daemon's table is wrong).
 *
 * After a SIGHUP adopted a new config, the new value of every restart
 * parameter is compared with the value *running*, never with the config
 * loaded last, so a change and its revert leave nothing pending:
 *   - listener parameters (server_config_sockets()'s listen_param,
 *     socket_mode and socket_group; status_listen) with what is bound:
 *     the canonical endpoints, the socket file's mode and group, the
 *     status page's endpoint;
 *   - every other restart parameter with its value at start.
 * Each one that differs gets a warning at every reload until it matches
 * again, "reload: PARAM changed from X to Y: needs a restart; still
 * running with X" (listeners name what is bound in their own words); the
 * reload that makes it match logs "reload: PARAM is back to the running X;
 * no restart pending for it". Every reload parameter that changed is
 * logged as "reload: PARAM changed from X to Y" (a CFG_F_SECRET value as
 * "(hidden)").
 *
 * Two reload parameters are applied here rather than by the daemon:
 *   syslog_facility, syslog_name  logging is set up again;
 *   status_auth_file  the running status page switches to the new file
 *     (status_http_set_auth). It never opens the page: removing it is a
 *     restart change (warned, the old file stays in force), and a new file
 *     that does not load keeps the old file's users, or, on a page that
 *     had none, denies everyone until the file loads; an error says which.
 *
 * Contract (loop thread, called by server.c only):
 *   server_reload_table() - check the flags of a built table.
 *   server_reload_list() - the hidden "params" word: "NAME reload" or
 *     "NAME restart" per parameter on stdout, in table order.
 *   server_reload_started() - remember the running restart values (once,
 *     with s->cfg the config the daemon started with).
 *   server_reload_apply() - logging and status_auth_file for ncfg, the
 *     config just adopted (ocfg was running and is still valid).
 *   server_reload_report() - the log lines above, ocfg to ncfg.
 *   server_status_bound_name() - canonical text of a status_listen value.
 */
#ifndef PFH_SERVER_RELOAD_H
#define PFH_SERVER_RELOAD_H

#include <stddef.h>

struct cfg_param;
struct server;

void	server_reload_table(const struct cfg_param *, const char *prog);
void	server_reload_list(const struct cfg_param *);
void	server_reload_started(struct server *);
void	server_reload_apply(struct server *, void *ocfg, void *ncfg);
void	server_reload_report(struct server *, void *ocfg, void *ncfg);
void	server_status_bound_name(const char *value, char *out, size_t outlen);

#endif /* PFH_SERVER_RELOAD_H */
