/*
 * status_http.c - the admin status page (GNU libmicrohttpd in our epoll loop)
 *
 * Contract: see status_http.h. How it works:
 *   - The listening socket is ours (listener_open: inet or unix, systemd
 *     sockets, stale unix sockets replaced); status_conn.c accepts on it
 *     and hands MHD each connection; MHD runs in external epoll mode: its
 *     epoll fd sits in our loop, MHD_run() is called when it is readable
 *     and on MHD's own deadline (an ev timer re-armed after every run).
 *     No thread.
 *   - Every request that shows data gets its record from the collect
 *     callback, then one renderer (status_render.h) writes the body.
 *   - The auth file and the credentials check are status_auth.c's; this
 *     file takes the credentials from the request and keeps the page's
 *     warning budget (status_warn).
 */
#include "sysdep.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MHD_NO_DEPRECATION 1
#include <microhttpd.h>

#include "buf.h"
#include "endpoint.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "secret.h"
#include "status_auth.h"
#include "status_conn.h"
#include "status_escape.h"
#include "status_http.h"
#include "status_render.h"
#include "status_writer.h"
#include "xalloc.h"

#define STATUS_CONN_TIMEOUT	10		/* seconds idle per connection */
#define STATUS_MAX_BODY		(4 * 1024 * 1024)	/* rendered response */
#define AUTH_REALM		"pfhelpers status"

struct status_page {
	void	(*collect)(void *, struct status_writer *);
	long long (*settle_time)(void *);
	void	*ctx;
	struct ev *ev;
	struct listener *listener;
	struct status_conns *conns;	/* accept, admission, loop share */
	struct MHD_Daemon *mhd;
	int	epfd;
	struct ev_timer *timer;
	int	loopback;
	char	name[320];
	struct status_auth *auth;	/* its path NULL: an open page */
	unsigned warnings;	/* status_warn()'s budget */
	/* responses refused for size, per route: a line a minute at most */
	uint64_t big_next[3];	/* ev_now() ms of the next line */
	unsigned big_quiet[3];	/* refused since the last line */
};

static void status_arm(struct status_page *);

/*
 * collect - the record for one request: the server's part and the
 * daemon's, from the collect callback
 */
static void
collect(struct status_page *p, struct status_writer *w)
{
	status_writer_init(w, &p->warnings);
	p->collect(p->ctx, w);
	if (w->overflow)
		status_warn(&p->warnings, "the daemon's status data hit the "
		    "size limits; output truncated");
}

/*
 * HTTP.
 */

/* auth_refresh - re-read the auth file if it changed; warn if it is gone */
static void
auth_refresh(struct status_page *p)
{
	char	why[600];

	if (status_auth_refresh(p->auth, p->settle_time(p->ctx), why,
	    sizeof(why)) < 0)
		status_warn(&p->warnings, "%s", why);
}

/* auth_check - the basic-auth credentials of a request */
static enum status_auth_result
auth_check(struct status_page *p, struct MHD_Connection *c)
{
	char	*user, *pass = NULL;
	enum status_auth_result res = STATUS_AUTH_FAIL;

	auth_refresh(p);
	if ((user = MHD_basic_auth_get_username_password(c, &pass)) == NULL) {
		if (pass) {
			secret_wipe(pass, strlen(pass));
			MHD_free(pass);
		}
		return STATUS_AUTH_FAIL;
	}
	if (pass != NULL) {
		res = status_auth_check(p->auth, ev_now(p->ev), user, pass);
		secret_wipe(pass, strlen(pass));
		MHD_free(pass);
	}
	MHD_free(user);
	return res;
}

/* status_http_auth_file - the auth file the page asks credentials from, or "" */
const char *
status_http_auth_file(const struct status_page *p)
{
	const char *path = status_auth_path(p->auth);

	return path ? path : "";
}

/* status_http_set_auth - a SIGHUP's status_auth_file (status_auth_set) */
int
status_http_set_auth(struct status_page *p, const char *path, char *err,
    size_t errlen)
{
	int	rc;

	rc = status_auth_set(p->auth, path, p->settle_time(p->ctx), err, errlen);
	if (rc == 1) {
		auth_refresh(p);
		rc = 0;
	}
	return rc;
}

/* respond - queue a response from memory (copied) with our standard headers */
static enum MHD_Result
respond(struct MHD_Connection *c, unsigned code, const char *type,
    const char *body, size_t len, int auth_fail)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (code == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (auth_fail)
		ret = MHD_queue_basic_auth_fail_response(c, AUTH_REALM, r);
	else
		ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_text(struct MHD_Connection *c, unsigned code, const char *text)
{
	return respond(c, code, "text/plain; charset=utf-8", text, strlen(text), 0);
}

enum route { R_HTML, R_JSON, R_PROM, R_READY };

/*
 * respond_too_large - the render hit STATUS_MAX_BODY: 500 with a short,
 * valid body in the format the client asked for (never the cut one)
 */
static enum MHD_Result
respond_too_large(struct MHD_Connection *c, enum route route)
{
	char	body[512];

	switch (route) {
	case R_JSON:
		snprintf(body, sizeof(body), "{\"error\":\"status data too large\","
		    "\"limit_bytes\":%d}\n", STATUS_MAX_BODY);
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "application/json", body, strlen(body), 0);
	case R_HTML:
		snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html lang=\"en\">"
		    "<head><meta charset=\"utf-8\"><title>status data too large"
		    "</title></head>\n<body><h1>Status data too large</h1>"
		    "<p>The page would be over %d bytes, so it is not shown; "
		    "the daemon logged a warning.</p></body></html>\n",
		    STATUS_MAX_BODY);
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/html; charset=utf-8", body, strlen(body), 0);
	default:
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "status data too large\n");
	}
}

/*
 * too_large_log - a response refused for size: the first of each route is
 * logged, then a line a minute with the count (a scraper asks every few
 * seconds, and the page's other warnings keep their own budget)
 */
static void
too_large_log(struct status_page *p, enum route route)
{
	static const char *const path[] = {
		[R_HTML] = "/", [R_JSON] = "/status.json", [R_PROM] = "/metrics",
	};
	uint64_t now = ev_now(p->ev);
	char	more[64] = "";

	if (route > R_PROM)
		return;
	if (p->big_next[route] && now < p->big_next[route]) {
		p->big_quiet[route]++;
		return;
	}
	if (p->big_quiet[route])
		snprintf(more, sizeof(more), " (and %u more since)",
		    p->big_quiet[route]);
	log_warn("status page: response for %s over %d bytes; answered 500%s",
	    path[route], STATUS_MAX_BODY, more);
	p->big_next[route] = now + 60000;
	p->big_quiet[route] = 0;
}

/* handle - the one MHD access handler: route, authenticate, render */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct status_page *p = cls;
	struct status_writer w;
	struct buf b;
	enum MHD_Result ret;
	enum route route;
	const char *type;
	char	msg[400];

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	/* a GET with a body: wait until it is read, then ignore it */
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* a bounded number of rendered pages per loop turn (status_conn.h) */
	if (status_conns_request(p->conns, c, strcmp(url, "/healthz") != 0))
		return MHD_YES;
	if (strcmp(url, "/healthz") == 0)
		return respond_text(c, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		route = R_HTML;
	else if (strcmp(url, "/status.json") == 0)
		route = R_JSON;
	else if (strcmp(url, "/metrics") == 0)
		route = R_PROM;
	else if (strcmp(url, "/readyz") == 0)
		route = R_READY;
	else
		return respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");

	if (status_auth_path(p->auth)) {
		switch (auth_check(p, c)) {
		case STATUS_AUTH_OK:
			break;
		case STATUS_AUTH_BUSY:
			return respond_text(c, MHD_HTTP_TOO_MANY_REQUESTS,
			    "too many authentication attempts; retry in a second\n");
		case STATUS_AUTH_FAIL:
			return respond(c, MHD_HTTP_UNAUTHORIZED, "text/plain; charset=utf-8",
			    "authentication required\n", 24, 1);
		}
	}

	collect(p, &w);
	if (route == R_READY) {
		if (w.ready)
			ret = respond_text(c, MHD_HTTP_OK, "ready\n");
		else {
			snprintf(msg, sizeof(msg), "not ready: %s\n",
			    w.reason ? w.reason : "unknown");
			ret = respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
		}
		status_writer_free(&w);
		return ret;
	}
	buf_init(&b, STATUS_MAX_BODY);
	status_put_begin();
	switch (route) {
	case R_HTML:
		status_render_html(&w, &b);
		type = "text/html; charset=utf-8";
		break;
	case R_JSON:
		status_render_json(&w, &b);
		type = "application/json";
		break;
	default:
		status_render_prom(&w, &b);
		type = "text/plain; version=0.0.4; charset=utf-8";
		break;
	}
	status_writer_free(&w);
	/* buf refuses to grow past the cap; a truncated body is worse than an error */
	if (status_put_overflowed()) {
		too_large_log(p, route);
		ret = respond_too_large(c, route);
	} else
		ret = respond(c, MHD_HTTP_OK, type, b.data, b.len, 0);
	buf_free(&b);
	return ret;
}

/* mhd_log - MHD's own messages, as warnings */
static void PFH_PRINTF(2, 0)
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	msg[512];
	size_t	n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	log_warn("status page: %s", msg);
}

/* status_run - let MHD do its work, then re-arm its deadline */
static void
status_run(struct status_page *p)
{
	const union MHD_DaemonInfo *i;
	unsigned before, after, rounds = 0;

	/*
	 * MHD takes its listening socket out of its epoll set at the
	 * connection limit and puts it back only at the start of a later
	 * MHD_run(); when a run closed connections (timeouts) nothing else
	 * would wake us for the clients waiting in the backlog, so run again.
	 */
	status_conns_turn(p->conns);
	do {
		i = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		before = i ? i->num_connections : 0;
		MHD_run(p->mhd);
		i = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		after = i ? i->num_connections : 0;
	} while (after < before && ++rounds < 4);
	status_arm(p);
}

static void
status_timer(struct ev *ev, void *ctx)
{
	struct status_page *p = ctx;

	p->timer = NULL;
	status_run(p);
}

static void
status_ready_fd(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	status_run(ctx);
}

/* status_kick - MHD got work outside a run (new or resumed connection): run it next round */
static void
status_kick(void *ctx)
{
	struct status_page *p = ctx;

	if (p->timer)
		ev_timer_cancel(p->ev, p->timer);
	p->timer = ev_timer_add(p->ev, 0, status_timer, p);
}

/* status_arm - a timer for MHD's next deadline (connection timeouts, pending work) */
static void
status_arm(struct status_page *p)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (p->timer) {
		ev_timer_cancel(p->ev, p->timer);
		p->timer = NULL;
	}
	if (MHD_get_timeout(p->mhd, &to) != MHD_YES)
		return;
	p->timer = ev_timer_add(p->ev, to, status_timer, p);
}

/* is_loopback - is the bound address 127/8 or ::1 */
static int
is_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_UNIX)
		return 1;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* status_http_start - bind the status listener and serve it from the loop */
struct status_page *
status_http_start(struct ev *ev, const struct status_http_opts *o,
    char *err, size_t errlen)
{
	const char *auth_file = o->auth_file;
	struct status_page *p;
	struct endpoint ep;
	struct listener_opts lo;
	const union MHD_DaemonInfo *info;
	int	fd, fl;

	if (endpoint_parse(o->endpoint, &ep, err, errlen) < 0)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->collect = o->collect;
	p->settle_time = o->settle_time;
	p->ctx = o->ctx;
	p->ev = ev;
	p->epfd = -1;
	p->auth = status_auth_new();
	if (auth_file && *auth_file && status_auth_start(p->auth, auth_file,
	    p->settle_time(p->ctx), err, errlen) < 0)
		goto fail;
	memset(&lo, 0, sizeof(lo));
	/* the page may show client addresses and decisions: owner and group only */
	lo.mode = 0660;
	lo.uid = o->uid;
	lo.gid = o->gid;
	lo.backlog = 64;
	if ((p->listener = listener_open(&ep, &lo, err, errlen)) == NULL)
		goto fail;
	p->conns = status_conns_new(p->ev, p->listener, STATUS_MAX_CONNS,
	    status_kick, p);
	fd = listener_fd(p->listener);
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		goto fail;
	}
	endpoint_str(&ep, p->name, sizeof(p->name));
	p->loopback = is_loopback(fd);
	if (!p->loopback)
		log_warn("status page on non-loopback address %s%s", p->name,
		    status_auth_path(p->auth) ? "" : " without status_auth_file: "
		    "anyone who can reach it sees it");

	/*
	 * We accept (status_conn.h): the listener's back-off when accept()
	 * fails, and admission that closes requestless clients to make room,
	 * so slow clients cannot lock out /healthz. MHD's own limit only
	 * leaves room for connections closed but not yet freed; its per-IP
	 * limit stays off, since on loopback every client, /healthz's probe
	 * included, is 127.0.0.1 (admit.h's per-peer share applies instead).
	 */
	p->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
	    (ep.kind == ENDPOINT_INET && strchr(ep.host, ':') ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handle, p,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, p,
	    MHD_OPTION_NOTIFY_CONNECTION, status_conns_notify, p->conns,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(2 * STATUS_MAX_CONNS),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)STATUS_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_END);
	if (p->mhd == NULL) {
		snprintf(err, errlen, "cannot start libmicrohttpd on %s", p->name);
		goto fail;
	}
	if (status_conns_start(p->conns, p->mhd) < 0) {
		snprintf(err, errlen, "%s: %s", p->name, strerror(errno));
		goto fail;
	}
	if ((info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		snprintf(err, errlen, "libmicrohttpd has no epoll fd");
		goto fail;
	}
	p->epfd = info->epoll_fd;
	if (ev_fd_add(p->ev, p->epfd, EV_READ, status_ready_fd, p) < 0) {
		snprintf(err, errlen, "ev_fd_add: %s", strerror(errno));
		p->epfd = -1;
		goto fail;
	}
	status_arm(p);
	return p;
fail:
	status_http_stop(p);
	return NULL;
}

/* status_http_stop - close the page (NULL is fine); the socket is closed and a unix one unlinked */
void
status_http_stop(struct status_page *p)
{
	if (p == NULL)
		return;
	if (p->timer)
		ev_timer_cancel(p->ev, p->timer);
	if (p->epfd >= 0)
		ev_fd_del(p->ev, p->epfd);
	status_conns_stop(p->conns);
	if (p->mhd)
		MHD_stop_daemon(p->mhd);	/* frees its connections */
	status_conns_free(p->conns);
	if (p->listener)
		listener_free(p->listener);	/* closes (and unlinks) the socket */
	status_auth_free(p->auth);
	xfree(p);
}
