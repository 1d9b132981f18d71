/*
 * listen.h - listening sockets from endpoints
 *
 * listener_open() binds (or adopts a socket systemd passed with LISTEN_FDS
 * whose address matches the endpoint; when systemd passed sockets but none
 * matches, it logs a warning naming the endpoint and binds). Unix sockets:
 * a stale socket file (nobody accepts on it) is replaced; a live one, or a
 * non-socket at the path, is an error. Mode, owner and group are applied after bind (owner
 * and group as uid/gid, looked up by the caller before privileges drop;
 * (uid_t)-1 / (gid_t)-1 = leave as is).
 *
 * listener_start() accepts on the loop: each new connection (non-blocking,
 * close-on-exec) is handed to the callback with a printable peer. At
 * max_conns live connections the listener stops accepting until one of its
 * conns is freed (conn_set_listener() + listener_conn_gone()); the kernel
 * backlog holds the rest.
 * listener_free() closes, and unlinks a unix socket it created.
 *
 * listener_unix_stat() gives the unix socket file as listener_open() left
 * it (mode, owner and group after chmod/chown, or as systemd made it), so
 * callers can compare a new config with what is really bound; -1 for an
 * inet listener. listener_created() says whether we bound the file (and
 * so unlink it on free) rather than adopted it.
 */
#ifndef PFH_LISTEN_H
#define PFH_LISTEN_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "endpoint.h"

struct ev;
struct listener;

struct listener_opts {
	mode_t	mode;		/* unix: socket mode, e.g. 0660 */
	uid_t	uid;		/* unix: owner, (uid_t)-1 = unchanged */
	gid_t	gid;		/* unix: group, (gid_t)-1 = unchanged */
	int	backlog;	/* 0 = SOMAXCONN */
	unsigned max_conns;	/* 0 = unlimited */
};

typedef void listener_accept_fn(struct listener *, int fd, const char *peer,
	    void *ctx);

struct listener *listener_open(const struct endpoint *,
	    const struct listener_opts *, char *err, size_t errlen);
int	listener_start(struct listener *, struct ev *, listener_accept_fn *, void *ctx);
/* listener_stop - stop accepting (the socket stays bound) */
void	listener_stop(struct listener *);
void	listener_free(struct listener *);
void	listener_conn_gone(struct listener *);
const struct endpoint *listener_endpoint(const struct listener *);
const char *listener_name(const struct listener *);
int	listener_unix_stat(const struct listener *, struct stat *);
int	listener_created(const struct listener *);
unsigned listener_conns(const struct listener *);
int	listener_fd(const struct listener *);
/* listener_bound_port - the port actually bound (inet, after port 0) */
unsigned listener_bound_port(const struct listener *);

#endif /* PFH_LISTEN_H */
