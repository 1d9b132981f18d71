/*
 * status_conn.c - the status page's connections, and its share of the loop
 */
#include "sysdep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "status_conn.h"
#include "xalloc.h"

struct hconn {
	struct status_conns *sc;
	struct MHD_Connection *mc;
	int	 fd;
	struct admit_slot *slot;
	int	 suspended;
	TAILQ_ENTRY(hconn) link;	/* in sc->waiting while suspended */
};

struct status_conns {
	struct ev *ev;
	struct listener *l;
	struct MHD_Daemon *mhd;
	void	(*kick)(void *);
	void	*kick_ctx;
	unsigned renders;		/* costly requests this turn */
	int	 stopping;
	TAILQ_HEAD(, hconn) waiting;	/* suspended, oldest first */
	struct ev_timer *resume;
};

/* sc_kick - MHD has work now (a new or resumed connection) */
static void
sc_kick(struct status_conns *sc)
{
	if (sc->kick != NULL)
		sc->kick(sc->kick_ctx);
}

/* status_conns_new - for the page's listener (not started yet) */
struct status_conns *
status_conns_new(struct ev *ev, struct listener *l, unsigned max,
    void (*kick)(void *), void *kick_ctx)
{
	struct status_conns *sc = xcalloc(1, sizeof(*sc));
	struct admit_limits lim;

	sc->ev = ev;
	sc->l = l;
	sc->kick = kick;
	sc->kick_ctx = kick_ctx;
	TAILQ_INIT(&sc->waiting);
	memset(&lim, 0, sizeof(lim));
	lim.max = max;
	/* on loopback every client, the /healthz probe too, is one peer */
	lim.max_new_per_peer = max;
	lim.first_ms = STATUS_REQUEST_TIMEOUT;
	listener_set_limits(l, lim.max, lim.max_new_per_peer, lim.first_ms);
	return sc;
}

/* sc_accept - a new HTTP client: MHD's from now on */
static void
sc_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	struct status_conns *sc = ctx;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 || sl == 0) {
		ss.ss_family = AF_UNIX;
		sl = sizeof(sa_family_t);
	}
	/* on failure MHD has closed fd, and not adopted it: not counted */
	if (MHD_add_connection(sc->mhd, fd, (struct sockaddr *)&ss, sl) != MHD_YES)
		log_debug("status page: connection from %s refused by "
		    "libmicrohttpd: %m", peer);
	sc_kick(sc);
}

/* status_conns_start - accept on the listener */
int
status_conns_start(struct status_conns *sc, struct MHD_Daemon *mhd)
{
	sc->mhd = mhd;
	return listener_start(sc->l, sc->ev, sc_accept, sc);
}

/* hconn_close - admit.h closes a connection that sent no request head */
static void
hconn_close(void *ctx, enum admit_why why)
{
	struct hconn *h = ctx;

	/* MHD sees the end on its next run and frees the connection */
	if (h->fd >= 0)
		(void)shutdown(h->fd, SHUT_RDWR);
	sc_kick(h->sc);
}

/* status_conns_notify - MHD_OPTION_NOTIFY_CONNECTION */
void
status_conns_notify(void *cls, struct MHD_Connection *mc,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct status_conns *sc = cls;
	const union MHD_ConnectionInfo *ci;
	struct hconn *h;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		h = xcalloc(1, sizeof(*h));
		h->sc = sc;
		h->mc = mc;
		h->fd = -1;
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci != NULL)
			h->fd = ci->connect_fd;
		h->slot = listener_adopt(sc->l, hconn_close, h);
		*socket_context = h;
		return;
	}
	if ((h = *socket_context) == NULL)
		return;
	*socket_context = NULL;
	if (h->suspended)
		TAILQ_REMOVE(&sc->waiting, h, link);
	listener_conn_gone(sc->l, h->slot);
	free(h);
}

/* resume_fire - the next round: the suspended requests try again */
static void
resume_fire(struct ev *ev, void *ctx)
{
	struct status_conns *sc = ctx;
	struct hconn *h;

	sc->resume = NULL;
	sc->renders = 0;
	while ((h = TAILQ_FIRST(&sc->waiting)) != NULL) {
		TAILQ_REMOVE(&sc->waiting, h, link);
		h->suspended = 0;
		MHD_resume_connection(h->mc);
	}
	sc_kick(sc);
}

/* status_conns_request - a complete request head: serve it now or next turn */
int
status_conns_request(struct status_conns *sc, struct MHD_Connection *mc,
    int costly)
{
	const union MHD_ConnectionInfo *ci;
	struct hconn *h = NULL;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL)
		h = ci->socket_context;
	if (h != NULL)
		listener_conn_served(sc->l, h->slot);
	if (!costly || sc->stopping || h == NULL)
		return 0;
	if (sc->renders < STATUS_RENDERS_PER_TURN) {
		sc->renders++;
		return 0;
	}
	MHD_suspend_connection(mc);
	h->suspended = 1;
	TAILQ_INSERT_TAIL(&sc->waiting, h, link);
	if (sc->resume == NULL)
		sc->resume = ev_timer_add(sc->ev, 0, resume_fire, sc);
	return 1;
}

/* status_conns_turn - a new turn of MHD_run()s: a fresh budget */
void
status_conns_turn(struct status_conns *sc)
{
	sc->renders = 0;
}

/* status_conns_stop - nothing stays suspended (before MHD_stop_daemon) */
void
status_conns_stop(struct status_conns *sc)
{
	struct hconn *h;

	if (sc == NULL)
		return;
	sc->stopping = 1;
	ev_timer_cancel(sc->ev, sc->resume);
	sc->resume = NULL;
	while ((h = TAILQ_FIRST(&sc->waiting)) != NULL) {
		TAILQ_REMOVE(&sc->waiting, h, link);
		h->suspended = 0;
		MHD_resume_connection(h->mc);
	}
	listener_stop(sc->l);
}

/* status_conns_free - after MHD_stop_daemon() */
void
status_conns_free(struct status_conns *sc)
{
	if (sc == NULL)
		return;
	ev_timer_cancel(sc->ev, sc->resume);
	free(sc);
}
