/*
 * status_conn.h - the status page's connections, and its share of the loop
 *
 * The page's HTTP clients must never cost the Postfix-facing work more
 * than a bounded slice of the event loop, and slow or idle clients must
 * not lock out /healthz. So libmicrohttpd (external epoll mode, no listen
 * socket of its own) gets its connections from us:
 *   - status_conns_start() accepts on the page's listener (listen.h: the
 *     EMFILE back-off, and admit.h: at most max connections (the
 *     page's STATUS_MAX_CONNS), STATUS_REQUEST_TIMEOUT to send a
 *     complete request head, and the oldest connection without one
 *     closed to make room for a newcomer; no per-peer share, since on
 *     loopback every client, the /healthz probe too, is the same peer)
 *     and hands each to MHD_add_connection(). Closing one for admit.h
 *     is shutdown(): MHD notices on its next run and frees it.
 *   - Give MHD status_conns_notify() as MHD_OPTION_NOTIFY_CONNECTION (with
 *     the status_conns as its closure), MHD_USE_NO_LISTEN_SOCKET and
 *     MHD_ALLOW_SUSPEND_RESUME, and a connection limit of
 *     2 * max (room for connections closed but not freed).
 *   - The access handler calls status_conns_request() first: the request
 *     head is complete, so the connection is served (admit.h). A costly
 *     request (anything that calls the daemon's status writer) beyond
 *     STATUS_RENDERS_PER_TURN in the current turn is suspended and resumed
 *     on the next loop round, after the other descriptors had their turn;
 *     the handler then returns MHD_YES and is called again on resume.
 *   - status_conns_turn() starts a turn: call it before each MHD_run().
 *   - status_conns_stop() resumes everything suspended (call it before
 *     MHD_stop_daemon()); status_conns_free() then releases the rest.
 * Loop thread only.
 */
#ifndef PFH_STATUS_CONN_H
#define PFH_STATUS_CONN_H

#include <stdint.h>

#define MHD_NO_DEPRECATION 1
#include <microhttpd.h>

#define STATUS_REQUEST_TIMEOUT	5000	/* ms to send a complete request head */
#define STATUS_RENDERS_PER_TURN	1	/* costly requests per loop turn */

struct ev;
struct listener;
struct status_conns;

/*
 * status_conns_new - at most max connections; kick(ctx) is called when
 * MHD has work (arm its timer)
 */
struct status_conns *status_conns_new(struct ev *, struct listener *,
	    unsigned max, void (*kick)(void *), void *ctx);
/* status_conns_start - accept into mhd; -1 (errno) if the listener cannot */
int	status_conns_start(struct status_conns *, struct MHD_Daemon *);
void	status_conns_notify(void *cls, struct MHD_Connection *,
	    void **socket_context, enum MHD_ConnectionNotificationCode);
/* status_conns_request - 1: suspended for this turn, return MHD_YES */
int	status_conns_request(struct status_conns *, struct MHD_Connection *,
	    int costly);
void	status_conns_turn(struct status_conns *);
void	status_conns_stop(struct status_conns *);
void	status_conns_free(struct status_conns *);

#endif /* PFH_STATUS_CONN_H */
