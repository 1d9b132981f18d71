/*
 * status_http.h - the admin status page every daemon serves (GNU libmicrohttpd)
 *
 * status_http_start() serves, on its own listener (never the Postfix-facing
 * one; default loopback), inside the daemon's event loop (MHD external
 * epoll mode, no extra thread):
 *   /             self-contained HTML page (no external assets), refreshing
 *   /status.json  the same data, stable field names
 *   /metrics      Prometheus text exposition format
 *   /healthz      200 "ok" while the process runs
 *   /readyz       200 when the record says ready, else 503 and the reason
 * With an auth file (status_auth.h), every endpoint but /healthz wants
 * HTTP basic auth; wrong or missing credentials get 401, a check beyond
 * the crypt budget 429. Anything else: GET and HEAD only (405), 404.
 *
 * Each request that shows data gets a fresh record from the collect
 * callback (status_writer.h), rendered by status_render.h into a body of
 * at most STATUS_MAX_BODY bytes: a bigger one is answered 500 with a
 * short body in the format asked for (never a cut one), and logged once
 * a minute per route. Connections, admission and the page's share of the
 * loop (rendered requests per turn) are status_conn.h's. Loop thread only.
 */
#ifndef PFH_STATUS_HTTP_H
#define PFH_STATUS_HTTP_H

#include <stddef.h>
#include <sys/types.h>

struct ev;
struct status_page;
struct status_writer;

/* descriptors the page may hold: its connections, listener, epoll, ITC */
#define STATUS_MAX_CONNS	32
#define STATUS_MAX_FDS		(STATUS_MAX_CONNS + 4)

/*
 * status_http_opts - what status_http_start() serves. The page calls
 * collect(ctx, writer) once per request that shows data (the server's own
 * section, status_server.h, then the daemon's), and settle_time(ctx) for
 * the table_settle_time in force (ms) whenever it reads the auth file; it
 * never calls into the server itself.
 */
struct status_http_opts {
	const char *endpoint;		/* status_listen */
	const char *auth_file;		/* status_auth_file, "" or NULL: none */
	uid_t	uid;			/* a unix socket's owner, -1 as made */
	gid_t	gid;
	void	(*collect)(void *ctx, struct status_writer *);
	long long (*settle_time)(void *ctx);
	void	*ctx;
};

struct status_page *status_http_start(struct ev *,
	    const struct status_http_opts *, char *err, size_t errlen);
void	status_http_stop(struct status_page *);
/*
 * status_http_set_auth - switch a running page to a new status_auth_file
 * (SIGHUP). It never opens the page: "" is refused (-1 + err, unchanged)
 * unless the page had no file (0);
 * a file that does not load (-1 + err) leaves a page with users on its old
 * file, and a page without users denying everyone until the new file loads
 * (it is retried when it changes). status_http_auth_file - the file the
 * page uses now, "" for none.
 */
int	status_http_set_auth(struct status_page *, const char *path,
	    char *err, size_t errlen);
const char *status_http_auth_file(const struct status_page *);

#endif /* PFH_STATUS_HTTP_H */
