/*
 * server.h - the daemon skeleton every pfhelpers program runs on
 *
 * server_main() does, in order: parse the command line (-c FILE or the
 * daemon's own config flag, -o name=value (repeatable), -d foreground with
 * logging to stderr, -v more verbose, -n check the config, print the
 * effective settings and spec->warn()'s warnings and exit, -V version,
 * plus the daemon's own options; a hidden last word "params" lists each
 * parameter as "NAME reload" or "NAME restart" (the man page test reads
 * it); a last word "check" validates the config
 * and spec->verify()'s data files and exits 0, or EX_DATAERR (or
 * spec->check_exit) when verify found problems); read the
 * config (a missing *default* file means built-in defaults and a warning
 * naming it at every start, reload, -n and check; a missing named file is
 * fatal); apply it to the daemon's config struct (which must start with
 * `struct server_common common;`); start logging; block signals; daemonize
 * unless -d; call spec->init() (bind listeners with server_listen(), load
 * data, start workers), then spec->warn(); start the status page; fit
 * the descriptor limit to max_connections (fdlimit.h); write the pid file; drop
 * privileges (when root and `user` is set); tell systemd/tests READY=1;
 * run the loop.
 *
 * Signals arrive on the loop through a signalfd:
 *   SIGHUP   re-read the config file (+ the same -o overrides); if valid,
 *            spec->reload() gets the new struct and may refuse it (old one
 *            kept, error logged); data files are re-checked either way,
 *            and spec->warn() runs for the config now in force.
 *            Every parameter's table entry says CFG_F_RELOAD (the new
 *            value takes effect: the daemon's reload hook or the skeleton
 *            applies it) or CFG_F_RESTART (server_reload.h: a warning per
 *            changed one, against the value running, at every reload
 *            until it matches again). Listeners are never rebound.
 *   SIGTERM/SIGINT  stop accepting; every client connection (each one
 *            server_conn() made) drains (conn.h, conn_drain()): an idle
 *            one closes at once, one holding a request once it is
 *            answered; exit 0 when none is left, or when stop_timeout
 *            passes (logged with how many were still open).
 * Every `reload_check_interval` spec->tick() runs (table sources use it to
 * notice changed files). table_settle_time and table_shrink_limit are the
 * guard every daemon gives its table sources (table.h; server_table_guard()).
 *
 * Exit codes follow sysexits(3): EX_USAGE bad options, EX_CONFIG bad
 * config, EX_OSERR/EX_UNAVAILABLE when binding or setup fails.
 */
#ifndef PFH_SERVER_H
#define PFH_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cfg.h"
#include "conn.h"
#include "listen.h"
#include "table.h"

struct cfg_group;
struct ev;
struct server;
struct status_writer;

/*
 * Parameters every daemon has (their table is server_config.h's
 * server_common_params); the daemon's config struct starts with this.
 */
struct server_common {
	char	*syslog_facility;
	char	*syslog_name;
	char	*user;			/* drop to this user when started as root */
	char	*group;
	char	*pid_file;
	char	*status_listen;		/* "" = no status page */
	char	*status_auth_file;	/* htpasswd-like user:crypt-hash file */
	long long reload_check_interval;	/* ms */
	long long table_settle_time;	/* ms a data file must stay unchanged */
	long long table_shrink_limit;	/* % of entries a reload may drop */
	long long stop_timeout;		/* ms */
	long long max_connections;
	long long idle_timeout;		/* ms, for client connections */
	long long first_request_timeout;	/* ms, until the first request */
	long long max_new_per_peer;	/* max_new_connections_per_peer */
};

/*
 * server_table_guard - the guard every daemon gives its table sources:
 * its config's table_settle_time and table_shrink_limit (table.h)
 */
static inline void
server_table_guard(struct table_source *ts, const struct server_common *sc)
{
	table_source_guard(ts, sc->table_settle_time,
	    (unsigned)sc->table_shrink_limit);
}

/*
 * What a config asks the daemon to listen on, from a config that passed
 * spec->check: server_config_sockets() (server_config.h) fills it from
 * spec->listen_cfg or spec->sockets(). server_listen_config() binds it;
 * SIGHUP compares it with the bound listeners. The strings are borrowed
 * from the config.
 */
struct server_sockets {
	const char *listen_param;	/* what the admin edits: "listen" */
	const char *endpoints;		/* one or more, blanks or commas between */
	mode_t	mode;			/* unix: socket_mode (0 = 0660) */
	const char *group;		/* unix: socket_group ("" = unchanged) */
};

/*
 * The listener parameters of a daemon that listens where its "listen"
 * parameter says (policyd-ccert, tlsmap): its config struct holds them
 * as one of these, at spec->listen_cfg, and needs no sockets hook.
 */
struct server_listen_cfg {
	char	*listen;		/* endpoints, blanks or commas between */
	mode_t	 socket_mode;
	char	*socket_group;
};

struct server_spec {
	const char *name;		/* program name for logs */
	const char *version_extra;	/* appended to -V output */
	const char *default_config;	/* path */
	char	config_flag;		/* 'c' normally; 'C' for saslauthd-lite */
	const char *usage;		/* daemon-specific usage lines */
	const struct cfg_param *params;	/* daemon parameters (after common) */
	size_t	cfg_size;		/* sizeof(daemon config struct) */
	/* default overrides for common params, e.g. {"status_listen", "inet:..."} */
	const char *const *common_defaults;	/* NULL-terminated name,value pairs */

	/* extra getopt letters (with ':'), and their handler: translate a
	 * daemon-specific flag into cfg_set() calls (0 ok, -1 usage error) */
	const char *extra_opts;
	int	(*option)(struct server *, int ch, const char *arg);

	/* cross-field validation after cfg_apply; -1 + err refuses the config */
	int	(*check)(void *cfg, char *err, size_t errlen);
	/* log_warn() what is dangerous in a valid config: run by -n (the
	 * warnings go to stderr), after init at start, and after every
	 * SIGHUP for the config then running (optional) */
	void	(*warn)(void *cfg);
	/* bind, load, start; -1 + err is fatal (EX_UNAVAILABLE) */
	int	(*init)(struct server *, char *err, size_t errlen);
	/* after privileges dropped, right before READY (optional) */
	void	(*ready)(struct server *);
	/* SIGHUP with a valid new config: adopt it or refuse (-1 + err) */
	int	(*reload)(struct server *, void *newcfg, char *err, size_t errlen);
	/*
	 * the listeners a config asks for (see server_sockets): where the
	 * config struct holds its struct server_listen_cfg (offsetof; 0 =
	 * none, never its place since server_common comes first), or else
	 * a hook that fills them (optional)
	 */
	size_t	listen_cfg;
	void	(*sockets)(void *cfg, struct server_sockets *);
	void	(*tick)(struct server *);
	/* after a clean stop, the connections drained, before exit: write
	 * state out (optional) */
	void	(*stopped)(struct server *);
	/* status page content */
	void	(*status)(struct server *, struct status_writer *);
	/*
	 * "check": load every data file cfg names (nothing is bound or
	 * started), log each problem as "FILE, line N: reason" and return
	 * how many there were (optional: without it check is -n's validation)
	 */
	unsigned (*verify)(struct server *, void *cfg);
	/* check's exit status when verify found problems (0: EX_DATAERR) */
	int	check_exit;
	/*
	 * parameters per named instance (cfg_group.h; optional): applied,
	 * shown by -n and listed by "params" with the daemon's own; each
	 * carries its reload flag like every parameter
	 */
	const struct cfg_group *group;
};

int	server_main(int argc, char **argv, const struct server_spec *);

/* Accessors for daemon code. */
struct ev *server_ev(struct server *);
void	*server_cfg(struct server *);		/* the current config struct */
void	*server_ctx(struct server *);
void	 server_set_ctx(struct server *, void *);
int	 server_foreground(struct server *);
const char *server_config_path(struct server *);
time_t	 server_started(struct server *);
int	 server_stopping(struct server *);
const struct server_spec *server_spec(struct server *);
/* server_cfg_set - an override from a daemon option (like -o) */
int	 server_cfg_set(struct server *, const char *assignment);

/*
 * server_run_ids - the uid and gid the daemon runs as once started: 1 when
 * it starts as root with `user` set (the user looked up now), else 0
 */
int	 server_run_ids(struct server *, uid_t *, gid_t *);
/*
 * server_listen - parse an endpoint, bind it (unix sockets get mode, owner
 * and group), and start accepting into fn; the server stops it on SIGTERM
 * and removes a socket file it made. owner/group may be NULL or "": the
 * user and group the daemon runs as (server_run_ids), so a socket bound
 * as root is never left root's; without a drop, unchanged. When that user
 * will not be able to remove the socket file at stop (its directory is not
 * writable for it), a warning at start names the socket, the directory
 * and the user: the file then stays after stop and the next start
 * replaces it (listener_open replaces a stale socket, never another file).
 */
struct listener *server_listen(struct server *, const char *endpoint,
	    mode_t mode, const char *owner, const char *group,
	    listener_accept_fn *fn, void *ctx, char *err, size_t errlen);
/*
 * server_listen_all - server_listen() each endpoint of ss with its mode
 * and group; -1 + err at the first that fails.
 */
int	 server_listen_all(struct server *, const struct server_sockets *ss,
	    listener_accept_fn *fn, void *ctx, char *err, size_t errlen);
/*
 * server_listen_config - server_listen_all() what the config in force
 * asks for (server_config_sockets(); nothing when it asks for nothing)
 */
int	 server_listen_config(struct server *, listener_accept_fn *fn,
	    void *ctx, char *err, size_t errlen);
/*
 * server_conn - adopt a client a listener accepted: a conn with the given
 * buffer caps and the config's idle_timeout, named by peer, tracked by the
 * skeleton (drained on SIGTERM, counted on the status page per listener)
 * and counted against its listener's max_connections; until it serves its first
 * request it is subject to first_request_timeout and
 * max_new_connections_per_peer (listen.h, admit.h), in their values from
 * the config in force now.
 */
struct conn *server_conn(struct server *, struct listener *, int fd,
	    const char *peer, size_t max_in, size_t max_out, conn_fn *,
	    void *ctx);
unsigned server_listener_count(struct server *);
struct listener *server_listener(struct server *, unsigned i);

#endif /* PFH_SERVER_H */
