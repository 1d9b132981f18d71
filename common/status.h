/*
 * status.h - what a daemon shows on the admin status page: the writer calls
 *
 * The page (status_http.h) asks for a record once per request that shows
 * data; server.c fills it with the server's own section (program,
 * version, pid, uptime, listeners, connections: status_server.h) and then
 * calls the daemon's spec->status(server, writer). The daemon describes
 * its data with the calls below; they only record (status_writer.h), and
 * the page renders the one record as HTML, JSON or Prometheus text
 * (status_render.h), so the three views never disagree. Metric names
 * follow the one scheme of status_writer.h: a daemon's own start with its
 * program's prefix (saslauthd_lite_, policyd_ccert_, tlsmap_), what every
 * daemon has with pfhelpers_; labels are fixed sets chosen by the daemon
 * (never a user, address or fingerprint). Text values are escaped by the
 * page. Fact keys, table columns and label names and values are
 * identifiers, kept as given in JSON and /metrics; the HTML page spells a
 * lowercase one in words ("backend_timeout_ms" reads "backend timeout
 * (ms)", see doc/status.md). Help texts and titles are shown as written:
 * words. Everything is bounded and a misuse is skipped with a warning
 * (status_writer.h). Loop thread only.
 */
#ifndef PFH_STATUS_H
#define PFH_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct stats_hist;
struct stats_recent;
struct status_writer;
struct table_source;

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
 * status_source_metrics - the table's metrics in the current section,
 * each labelled {source="SOURCE"}: pfhelpers_table_entries (of the table
 * in use), pfhelpers_table_reloads_total (reloads that replaced it),
 * pfhelpers_table_reload_failures_total (attempts refused or held) and
 * pfhelpers_table_errors (how many errors the last attempt found, 0 once
 * a load succeeds). source is a fixed name chosen by the daemon (a map
 * name, "identities", "pwfile"), never a path. A daemon reports its
 * table files through this one call, never with metrics of its own.
 */
#define STATUS_SOURCE_LEN	640
const char *status_source_result(const struct table_source *,
	    const char *where, char *buf, size_t len);
void	status_source_metrics(struct status_writer *, const char *source,
	    const struct table_source *);

#endif /* PFH_STATUS_H */
