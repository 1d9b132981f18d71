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
 * close-on-exec) is handed to the callback with a printable peer. The
 * callback counts it with listener_adopt() (conn_set_listener() does that)
 * and gets the slot to report with: listener_conn_served() once a complete
 * request came, listener_conn_gone() when the connection is freed; a
 * connection not adopted by the time the callback returns is not counted.
 * Which connections are kept is admit.h's business: at max_conns the
 * listener makes room by closing the oldest connection that has not sent
 * a request, or stops accepting while none can go (the kernel backlog
 * holds the rest); it also caps such connections per peer and closes them
 * at first_request_ms.
 * When accept() fails for want of a resource (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM) the listener stops watching its socket for 10 ms, doubling up to
 * 1 s while it keeps failing, and resumes early when one of its
 * connections is freed; the warning is logged once per 10 s with the count
 * held back.
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
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "admit.h"
#include "endpoint.h"

struct ev;
struct listener;

struct listener_opts {
	mode_t	mode;		/* unix: socket mode, e.g. 0660 */
	uid_t	uid;		/* unix: owner, (uid_t)-1 = unchanged */
	gid_t	gid;		/* unix: group, (gid_t)-1 = unchanged */
	int	backlog;	/* 0 = SOMAXCONN */
	unsigned max_conns;	/* 0 = unlimited */
	unsigned max_new_per_peer;	/* requestless ones per peer; 0 = max/4 */
	uint64_t first_request_ms;	/* deadline for the first request; 0 = none */
};

typedef void listener_accept_fn(struct listener *, int fd, const char *peer,
	    void *ctx);

struct listener *listener_open(const struct endpoint *,
	    const struct listener_opts *, char *err, size_t errlen);
int	listener_start(struct listener *, struct ev *, listener_accept_fn *, void *ctx);
/* listener_stop - stop accepting (the socket stays bound) */
void	listener_stop(struct listener *);
void	listener_free(struct listener *);
/* listener_adopt - from the accept callback: count the connection */
struct admit_slot *listener_adopt(struct listener *, admit_close_fn *, void *ctx);
void	listener_conn_served(struct listener *, struct admit_slot *);
void	listener_conn_gone(struct listener *, struct admit_slot *);
void	listener_set_limits(struct listener *, unsigned max_conns,
	    unsigned max_new_per_peer, uint64_t first_request_ms);
void	listener_set_max_conns(struct listener *, unsigned max_conns);
unsigned listener_max_conns(const struct listener *);
const struct admit *listener_admit(const struct listener *);
const struct endpoint *listener_endpoint(const struct listener *);
const char *listener_name(const struct listener *);
int	listener_unix_stat(const struct listener *, struct stat *);
int	listener_created(const struct listener *);
unsigned listener_conns(const struct listener *);
/* listener_accepted - connections handed to an owner since the start */
unsigned long long listener_accepted(const struct listener *);
int	listener_fd(const struct listener *);
/* listener_bound_port - the port actually bound (inet, after port 0) */
unsigned listener_bound_port(const struct listener *);

#endif /* PFH_LISTEN_H */
