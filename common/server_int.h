/*
 * server_int.h - the daemon skeleton's private state
 *
 * Shared by server.c (options, config, signals, listeners, privileges)
 * and server_reload.c (what a SIGHUP could not apply); daemons use the
 * accessors of server.h, never this. Everything here runs on the loop
 * thread.
 */
#ifndef PFH_SERVER_INT_H
#define PFH_SERVER_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "privs.h"
#include "server.h"
#include "sockaccess.h"

struct server_reload;

struct server {
	const struct server_spec *spec;
	struct cfg_param *table;	/* common + daemon params */
	const char *config_path;
	int	 config_named;		/* given on the command line */
	char	**overrides;
	size_t	 noverrides;
	int	 foreground;
	int	 check_only;
	int	 check_verb;		/* "check": config and data, then exit */
	int	 list_params;		/* hidden "params": list and exit */
	int	 config_missing;	/* the default file was not there */
	void	*cfg;
	void	*ctx;
	struct ev *ev;
	int	 sigfd;
	struct listener **listeners;
	unsigned nlisteners;
	struct status_page *status;
	char	 status_name[300];	/* canonical status_listen bound, or "" */
	int	 have_sock_gid;
	gid_t	 sock_gid;		/* group a socket gets with socket_group "" */
	int	 run_state;		/* 0 not looked up, 1 drops to run, -1 no */
	struct privs run;		/* user and group after the drop */
	int	 pf_state;		/* 0 not looked up, 1 pf is set, -1 none */
	struct sockaccess_user pf;	/* the user Postfix's daemons run as */
	struct ev_timer *tick_timer;
	struct conn_set *clients;	/* every server_conn(), until freed */
	struct ev_timer *stop_timer;
	uint64_t stop_deadline;
	int	 stopping;
	int	 ready_fd;		/* daemonize: tell the parent we are up */
	time_t	 started;
	char	*pid_file;
	struct server_reload *reload;	/* the running restart parameters */
};

/* server_want_mode - the mode listener_open applies for a socket_mode */
static inline mode_t
server_want_mode(mode_t mode)
{
	return mode ? mode : 0660;
}

#endif /* PFH_SERVER_INT_H */
