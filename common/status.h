/*
 * status.h - the admin status page every daemon serves (GNU libmicrohttpd)
 *
 * status_http_start() serves, on its own listener (never the Postfix-facing
 * one; default loopback), inside the daemon's event loop (MHD external
 * epoll mode, no extra thread):
 *   /             self-contained HTML page (no external assets), refreshing
 *   /status.json  the same data, stable field names
 *   /metrics      Prometheus text exposition format
 *   /healthz      200 "ok" while the process runs
 *   /readyz       200 when the daemon says it is ready, else 503
 * With an auth file (lines "user:crypt-hash"), every endpoint but /healthz
 * wants HTTP basic auth; wrong or missing credentials get 401.
 *
 * Content: the module renders the common part itself (program, version,
 * pid, uptime, listeners, connections) and then calls the daemon's
 * spec->status(server, writer) once per request; the daemon describes its
 * data with the writer calls below, and the module turns the same calls
 * into HTML, JSON or Prometheus text. Metric names are prefixed
 * "pfhelpers_"; labels are fixed sets chosen by the daemon (never a user,
 * address or fingerprint). Text values are escaped by the module.
 * Fact keys, table columns and label names and values are identifiers,
 * kept as given in JSON and /metrics; the HTML page spells a lowercase one
 * in words ("backend_timeout_ms" reads "backend timeout (ms)", see
 * doc/status.md). Help texts and titles are shown as written: words.
 */
#ifndef PFH_STATUS_H
#define PFH_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct ev;
struct stats_hist;
struct stats_recent;
struct status_page;
struct status_writer;
struct table_source;

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

/* A titled group of key/value facts (HTML card, JSON object). */
void	status_section(struct status_writer *, const char *id, const char *title);
void	status_kv(struct status_writer *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Metrics: also shown in the current section. labels like `result="ok"` or NULL. */
void	status_counter(struct status_writer *, const char *name, const char *help,
	    const char *labels, uint64_t value);
void	status_gauge(struct status_writer *, const char *name, const char *help,
	    const char *labels, double value);
/* Latency histogram: p50/p90/p99 on the page and in JSON; _bucket/_sum/_count in /metrics. */
void	status_hist(struct status_writer *, const char *name, const char *help,
	    const char *labels, const struct stats_hist *);
/* Recent events (newest first), shown as a list; not in /metrics. */
void	status_recent(struct status_writer *, const char *title,
	    const struct stats_recent *);
/* A small table (e.g. top failing users): columns, then rows of cells. */
void	status_table(struct status_writer *, const char *id, const char *title,
	    const char *const *columns, unsigned ncolumns);
void	status_row(struct status_writer *, const char *const *cells);
/* Readiness for /readyz: the daemon calls this once; not ready + reason. */
void	status_ready(struct status_writer *, int ready, const char *reason);

/*
 * status_time - a wall time for a fact or a cell: local "YYYY-MM-DD
 * HH:MM:SS", or "never" for 0 (a load or an event that has not happened).
 * Writes into buf (STATUS_TIME_LEN bytes always hold it; strftime's
 * cut-off is an empty string) and returns it, for use in place.
 */
#define STATUS_TIME_LEN	32
const char *status_time(time_t, char *buf, size_t len);

/*
 * A table file (table.h's table_source), shown alike by every daemon.
 *
 * status_source_result - the text of its "last load" fact or "result"
 * cell: "not tried" before the first attempt, "ok", or the first error of
 * the last attempt followed, when the file held more, by "(and N more
 * errors)" or "(and N more errors; WHERE)", where (NULL for none) telling
 * the admin what lists them all. A bad attempt keeps the old table, so
 * the daemon's entries and loaded_at facts still describe what answers.
 * Writes into buf (STATUS_SOURCE_LEN bytes always hold it) and returns it.
 *
 * status_source_gauge - pfhelpers_table_errors{source="SOURCE"} in the
 * current section: how many errors the last attempt found, 0 once a load
 * succeeds. source is a fixed name chosen by the daemon (a map name,
 * "identities"), never a path.
 */
#define STATUS_SOURCE_LEN	640
const char *status_source_result(const struct table_source *,
	    const char *where, char *buf, size_t len);
void	status_source_gauge(struct status_writer *, const char *source,
	    const struct table_source *);

#endif /* PFH_STATUS_H */
