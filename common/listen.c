/*
 * listen.c - listening sockets from endpoints
 */
#include "sysdep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admit.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "ratelimit.h"
#include "xalloc.h"

#define SD_LISTEN_FDS_START 3
#define ACCEPT_BATCH	64	/* accepts per round: others get their turn */
#define BACKOFF_MIN_MS	10	/* first pause after accept() fails */
#define BACKOFF_MAX_MS	1000	/* the pause doubles up to this */
#define ACCEPT_LOG_MS	10000	/* one warning per 10 s while it fails */

struct listener {
	struct endpoint ep;
	char	 name[300];
	int	 fd;
	int	 created_path;	/* we made the socket file: unlink on free */
	int	 have_st;	/* unix: st is the socket file as set up */
	struct stat st;
	struct ev *ev;
	listener_accept_fn *fn;
	void	*ctx;
	struct admit_limits lim;	/* until listener_start() makes adm */
	struct admit *adm;
	struct admit_slot *pending;	/* accepted, in the callback now */
	int	 accepting;
	int	 paused;		/* accept() failed: backing off */
	uint64_t backoff_ms;		/* the last pause, 0 after a success */
	struct ev_timer *retry;
	struct ratelimit rl_accept;
	unsigned long long accepted;	/* adopted by an owner */
};

/* sockaddr_matches - does an inherited fd listen where ep says */
static int
sockaddr_matches(int fd, const struct endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int type = 0;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ep->kind == ENDPOINT_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		return ss.ss_family == AF_UNIX && strcmp(sun->sun_path, ep->path) == 0;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct in_addr a;

		return ntohs(sin->sin_port) == ep->port &&
		    inet_pton(AF_INET, ep->host, &a) == 1 &&
		    a.s_addr == sin->sin_addr.s_addr;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		struct in6_addr a;

		return ntohs(sin6->sin6_port) == ep->port &&
		    inet_pton(AF_INET6, ep->host, &a) == 1 &&
		    memcmp(&a, &sin6->sin6_addr, sizeof(a)) == 0;
	}
	return 0;
}

/*
 * systemd_fd - an inherited socket for this endpoint, or -1
 *
 * When systemd passed sockets but none is this endpoint, say so: the
 * daemon then binds the endpoint itself, which works, but it means the
 * .socket unit's ListenStream= and the configured endpoint disagree, and
 * the admin would otherwise only find out when the socket systemd holds
 * never answers. listener_open() runs once per endpoint, so the warning
 * does too.
 */
static int
systemd_fd(const struct endpoint *ep, const char *name)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n, fd;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	if ((n = atoi(fds)) <= 0)
		return -1;
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
		if (sockaddr_matches(fd, ep)) {
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			return fd;
		}
	log_warn("%s: %d socket%s passed by systemd (LISTEN_FDS), none for "
	    "this endpoint; binding it here instead", name, n,
	    n == 1 ? "" : "s");
	return -1;
}

static int
open_unix(struct listener *l, const struct listener_opts *o, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->ep.path);
	if (lstat(l->ep.path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", l->ep.path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s is in use by another process", l->ep.path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		/* nobody listens: a leftover from a crash; replace it */
		if (unlink(l->ep.path) < 0) {
			snprintf(err, errlen, "remove stale socket %s: %s", l->ep.path, strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	{
		/* bind with a tight umask so the socket is never briefly open */
		mode_t old = umask(0177);
		int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		int e = errno;

		umask(old);
		if (r < 0) {
			snprintf(err, errlen, "bind %s: %s", l->ep.path, strerror(e));
			close(fd);
			return -1;
		}
	}
	l->created_path = 1;
	if ((o->uid != (uid_t)-1 || o->gid != (gid_t)-1) &&
	    chown(l->ep.path, o->uid, o->gid) < 0) {
		snprintf(err, errlen, "chown %s: %s", l->ep.path, strerror(errno));
		goto fail;
	}
	if (chmod(l->ep.path, o->mode ? o->mode : 0660) < 0) {
		snprintf(err, errlen, "chmod %s: %s", l->ep.path, strerror(errno));
		goto fail;
	}
	l->have_st = lstat(l->ep.path, &l->st) == 0;
	return fd;
fail:
	close(fd);
	unlink(l->ep.path);
	l->created_path = 0;
	return -1;
}

static int
open_inet(struct listener *l, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, r, one = 1, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", l->ep.port);
	if ((r = getaddrinfo(l->ep.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", l->ep.host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "bind %s:%u: %s", l->ep.host, l->ep.port, strerror(e));
	return fd;
}

/* listener_open - bind or adopt */
struct listener *
listener_open(const struct endpoint *ep, const struct listener_opts *o,
    char *err, size_t errlen)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	int fd;

	l->ep = *ep;
	endpoint_str(ep, l->name, sizeof(l->name));
	l->lim.max = o->max_conns;
	l->lim.max_new_per_peer = o->max_new_per_peer;
	l->lim.first_ms = o->first_request_ms;
	if ((fd = systemd_fd(ep, l->name)) >= 0) {
		l->fd = fd;
		/* systemd made it: its mode and owner are the .socket unit's */
		l->have_st = ep->kind == ENDPOINT_UNIX &&
		    lstat(ep->path, &l->st) == 0;
		return l;
	}
	fd = ep->kind == ENDPOINT_UNIX ? open_unix(l, o, err, errlen) :
	    open_inet(l, err, errlen);
	if (fd < 0) {
		free(l);
		return NULL;
	}
	if (listen(fd, o->backlog > 0 ? o->backlog : SOMAXCONN) < 0) {
		snprintf(err, errlen, "listen %s: %s", l->name, strerror(errno));
		close(fd);
		if (l->created_path)
			unlink(ep->path);
		free(l);
		return NULL;
	}
	l->fd = fd;
	return l;
}

static void
format_peer(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		snprintf(out, outlen, "unix");
	}
}

/* accept_update - accept while the table has room and accept() works */
static void
accept_update(struct listener *l)
{
	int want = l->fn != NULL && !l->paused && admit_room(l->adm);

	if (want == l->accepting || l->ev == NULL)
		return;
	l->accepting = want;
	(void)ev_fd_mod(l->ev, l->fd, want ? EV_READ : 0);
}

/* accept_retry - the pause is over: try again */
static void
accept_retry(struct ev *ev, void *ctx)
{
	struct listener *l = ctx;

	l->retry = NULL;
	l->paused = 0;
	accept_update(l);
}

/*
 * accept_pause - accept() failed for want of a resource (descriptors,
 * memory): the connection stays in the backlog, and the listening socket
 * stays readable, so trying again at once would spin. Stop watching it
 * for a while (10 ms, doubling up to 1 s while it keeps failing; a
 * connection that closes frees a descriptor and ends the pause early).
 */
static void
accept_pause(struct listener *l, int e)
{
	l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    l->backoff_ms * 2;
	ratelimit_warn(&l->rl_accept, ev_now(l->ev), ACCEPT_LOG_MS,
	    "accept %s: %s, with %u connections open: pausing accepts for "
	    "%llu ms", l->name, strerror(e), admit_count(l->adm),
	    (unsigned long long)l->backoff_ms);
	l->paused = 1;
	ev_timer_cancel(l->ev, l->retry);
	l->retry = ev_timer_add(l->ev, l->backoff_ms, accept_retry, l);
	accept_update(l);
}

/* accept_transient - an error that belongs to the pending connection */
static int
accept_transient(int e)
{
	switch (e) {
	case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN:
	case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
	case EOPNOTSUPP: case ENETUNREACH: case ETIMEDOUT: case EPERM:
		return 1;
	}
	return 0;
}

static void
accept_ready(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct listener *l = ctx;
	int n;

	/* a bounded batch per round keeps one busy listener from starving others */
	for (n = 0; n < ACCEPT_BATCH && l->accepting; n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[INET6_ADDRSTRLEN + 16];
		struct admit_slot *slot;
		int cfd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (accept_transient(errno))
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				accept_pause(l, errno);
			break;
		}
		l->backoff_ms = 0;
		if (sl == 0 || sl > sizeof(ss))
			ss.ss_family = AF_UNIX;	/* an unnamed unix peer */
		if ((slot = admit_enter(l->adm, cfd, &ss)) == NULL) {
			close(cfd);	/* full of connections that are working */
			accept_update(l);
			continue;
		}
		format_peer(&ss, peer, sizeof(peer));
		l->pending = slot;
		l->fn(l, cfd, peer, l->ctx);
		if (l->pending != NULL) {
			/* the callback kept no connection we can count */
			admit_leave(l->adm, slot);
			l->pending = NULL;
		}
		accept_update(l);
	}
}

/* listener_start - accept on the loop */
int
listener_start(struct listener *l, struct ev *ev, listener_accept_fn *fn, void *ctx)
{
	l->ev = ev;
	l->fn = fn;
	l->ctx = ctx;
	l->accepting = 1;
	if (l->adm == NULL)
		l->adm = admit_new(ev, l->name, &l->lim);
	return ev_fd_add(ev, l->fd, EV_READ, accept_ready, l);
}

/* listener_stop - no more accepts */
void
listener_stop(struct listener *l)
{
	if (l->ev != NULL) {
		ev_fd_del(l->ev, l->fd);
		ev_timer_cancel(l->ev, l->retry);
	}
	l->retry = NULL;
	l->paused = 0;
	l->ev = NULL;
	l->fn = NULL;
	l->accepting = 0;
}

/* listener_free - close and remove the socket file */
void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_stop(l);
	admit_free(l->adm);
	close(l->fd);
	if (l->created_path)
		unlink(l->ep.path);
	/* conns still alive keep a pointer: they must not outlive this */
	free(l);
}

/* listener_adopt - the connection being accepted is the caller's: count it */
struct admit_slot *
listener_adopt(struct listener *l, admit_close_fn *fn, void *ctx)
{
	struct admit_slot *slot = l->pending;

	if (slot == NULL)
		return NULL;
	l->pending = NULL;
	admit_bind(slot, fn, ctx);
	l->accepted++;
	return slot;
}

/* listener_conn_served - it delivered a request */
void
listener_conn_served(struct listener *l, struct admit_slot *slot)
{
	if (l->adm != NULL && admit_is_new(slot)) {
		admit_served(l->adm, slot);
		accept_update(l);
	}
}

/* listener_conn_gone - one of our conns was freed */
void
listener_conn_gone(struct listener *l, struct admit_slot *slot)
{
	admit_leave(l->adm, slot);
	if (l->paused && l->ev != NULL) {
		/* a descriptor came free: try now (backoff_ms stays) */
		ev_timer_cancel(l->ev, l->retry);
		l->retry = NULL;
		l->paused = 0;
	}
	accept_update(l);
}

/* listener_set_limits - change the admission limits (max_conns too) */
void
listener_set_limits(struct listener *l, unsigned max_conns,
    unsigned max_new_per_peer, uint64_t first_request_ms)
{
	struct admit_limits lim;

	lim.max = max_conns;
	lim.max_new_per_peer = max_new_per_peer;
	lim.first_ms = first_request_ms;
	if (lim.max == l->lim.max && lim.max_new_per_peer ==
	    l->lim.max_new_per_peer && lim.first_ms == l->lim.first_ms)
		return;
	l->lim = lim;
	if (l->adm != NULL) {
		admit_set_limits(l->adm, &lim);
		accept_update(l);
	}
}

/* listener_set_max_conns - change the connection cap alone */
void
listener_set_max_conns(struct listener *l, unsigned max_conns)
{
	listener_set_limits(l, max_conns, l->lim.max_new_per_peer,
	    l->lim.first_ms);
}

/* listener_max_conns - the connection cap in force (0 = none) */
unsigned
listener_max_conns(const struct listener *l)
{
	return l->lim.max;
}

/* listener_admit - the admission table (NULL before listener_start) */
const struct admit *
listener_admit(const struct listener *l)
{
	return l->adm;
}

const struct endpoint *
listener_endpoint(const struct listener *l)
{
	return &l->ep;
}

const char *
listener_name(const struct listener *l)
{
	return l->name;
}

/* listener_unix_stat - the socket file as it was set up (-1: not unix) */
int
listener_unix_stat(const struct listener *l, struct stat *st)
{
	if (!l->have_st)
		return -1;
	*st = l->st;
	return 0;
}

/* listener_created - 1 if we bound (and will unlink) the socket file */
int
listener_created(const struct listener *l)
{
	return l->created_path;
}

unsigned
listener_conns(const struct listener *l)
{
	return l->adm != NULL ? admit_count(l->adm) : 0;
}

unsigned long long
listener_accepted(const struct listener *l)
{
	return l->accepted;
}

int
listener_fd(const struct listener *l)
{
	return l->fd;
}

unsigned
listener_bound_port(const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}
