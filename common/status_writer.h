/*
 * status_writer.h - the record of one request's status calls (the items model)
 *
 * Private to the status page's modules; daemons use status.h. The calls
 * of status.h never render anything: each appends an item to a struct
 * status_writer (text copied, labels parsed, histograms snapshotted), and
 * the renderers (status_render.h) then walk the one record, so HTML, JSON
 * and /metrics can never disagree, and /metrics can group a metric
 * family's label sets under one HELP/TYPE however the daemon interleaved
 * its calls. The head (program, start time, listeners) is the server's
 * own part (status_server.h): JSON carries it as top-level fields, the
 * HTML page in its header.
 *
 * Bounds (what the daemon hands over is never trusted to be small):
 * STATUS_MAX_ITEMS calls and STATUS_MAX_TEXT bytes of text per request
 * (beyond them calls are dropped and overflow is set), a kv value or
 * table cell cut at STATUS_MAX_VALUE, STATUS_MAX_RECENT events per list,
 * STATUS_MAX_ROWS rows per table. A bad metric name or label set is
 * skipped with a warning.
 *
 * Metric names: one scheme for every daemon, after Prometheus naming
 * practice (doc/pfhelpers-status.5, METRICS, lists every name):
 *   - pfhelpers_NAME is what every daemon has, reported by common/ under
 *     the same name in each: pfhelpers_up, pfhelpers_ready,
 *     pfhelpers_start_time_seconds, pfhelpers_connections{listener},
 *     pfhelpers_connections_total{listener} (accepted since the start), and
 *     for each table file (status.h's status_source_metrics, the one
 *     helper for them) pfhelpers_table_entries,
 *     pfhelpers_table_reloads_total, pfhelpers_table_reload_failures_total
 *     and pfhelpers_table_errors, each {source="NAME"}. common/ reports
 *     its metrics with status_quiet_gauge or status_quiet_counter (which
 *     prepend pfhelpers_) or
 *     names them in full; a daemon's own code never uses pfhelpers_.
 *   - PROGRAM_NAME is a daemon's own metric, PROGRAM being the program's
 *     name with every character other than a letter or digit as '_'
 *     (saslauthd_lite_, policyd_ccert_, tlsmap_). status.h's calls
 *     prepend PROGRAM_ to a name that starts with neither prefix
 *     (pfhelpers_ before the head is set), so a daemon cannot report
 *     under another's prefix.
 *   - Counters end in _total, histograms in _seconds (appended when
 *     missing); values are in base units (seconds, not milliseconds); a
 *     gauge does not end in _total.
 *   - A variant is a label, not a name (PROGRAM_backend_answers_total
 *     {result="ok"}, not PROGRAM_backend_ok_total), and a name is never
 *     the plural of another. What the daemons share is named alike:
 *     PROGRAM_answers_total counts the answers to the daemon's clients,
 *     PROGRAM_answer_seconds is their latency, PROGRAM_report_only_total
 *     and PROGRAM_protocol_errors_total{error} likewise. Label names:
 *     result (what was answered), reason (why), error (which protocol
 *     error), backend, source, listener, and tlsmap's kind and level;
 *     their values are fixed sets chosen by the daemon, never a user, an
 *     address or a fingerprint.
 *
 * Misuse is logged through status_warn(), which spends a budget the
 * caller owns (the page's: 20 lines in its life, so a daemon calling in
 * a loop cannot flood the log); status_writer_init() gives the record
 * its budget. Loop thread only.
 */
#ifndef PFH_STATUS_WRITER_H
#define PFH_STATUS_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STATUS_MAX_ITEMS	4096		/* writer calls recorded per request */
#define STATUS_MAX_TEXT		(512 * 1024)	/* bytes of daemon text per request */
#define STATUS_MAX_VALUE	1024		/* one kv value / table cell */
#define STATUS_MAX_RECENT	50		/* recent events shown per list */
#define STATUS_MAX_ROWS		200		/* rows per table */

struct stats_hist_snap;

enum item_kind {
	IT_SECTION, IT_KV, IT_COUNTER, IT_GAUGE, IT_HIST, IT_RECENT, IT_TABLE, IT_ROW,
};

struct label {
	char	*name;
	char	*value;
};

struct item {
	enum item_kind kind;
	char	*id;		/* section, table */
	char	*name;		/* title, kv key, metric name */
	char	*text;		/* kv value, metric help */
	char	*labels_src;	/* metric labels as given (for display) */
	struct label *labels;
	unsigned nlabels;
	uint64_t u;		/* counter value */
	double	d;		/* gauge value */
	struct stats_hist_snap *snap;
	char	**cells;	/* table columns, row cells, recent texts */
	unsigned ncells;
	time_t	*when;		/* recent: event times */
	int	skip;		/* renderer: family already printed */
	int	quiet;		/* module's own metric: not a tile on the page */
};

struct status_writer {
	unsigned *warnings;	/* the budget of status_warn() */
	struct item *items;
	unsigned n, cap;
	size_t	text_bytes;
	int	cur_table;	/* index of the open table, -1 none */
	int	have_section;
	int	ready;
	char	*reason;
	int	overflow;
	/* the head: the server's own part, shown above the sections */
	char	*program;
	char	*prefix;	/* "PROGRAM_" of metric names, from the head */
	time_t	started;
	struct status_listener *listeners;
	unsigned nlisteners;
};

struct status_listener {
	char	*name;		/* the endpoint */
	unsigned conns;		/* its open connections */
};

/* status_writer_init - an empty record spending *warnings */
void	status_writer_init(struct status_writer *, unsigned *warnings);
void	status_writer_free(struct status_writer *);
/* status_writer_head - the program and its start time, for the head */
void	status_writer_head(struct status_writer *, const char *program, time_t);
/* status_writer_listener - one listener of the head */
void	status_writer_listener(struct status_writer *, const char *name,
	    unsigned conns);
/*
 * status_quiet_gauge - a gauge of common/'s for JSON and /metrics only
 * (not a tile); pfhelpers_ is prepended to a name without a prefix
 */
void	status_quiet_gauge(struct status_writer *, const char *name,
	    const char *help, const char *labels, double);
/* status_quiet_counter - the same for a counter */
void	status_quiet_counter(struct status_writer *, const char *name,
	    const char *help, const char *labels, uint64_t);
/* status_metric_stem - a metric's name past pfhelpers_ or PROGRAM_ */
const char *status_metric_stem(const struct status_writer *, const char *name);
/* status_section_end - index past the last item of the section at i */
unsigned status_section_end(const struct status_writer *, unsigned i);

/* status_warn - one budgeted warning line: nothing once *budget is spent */
void	status_warn(unsigned *budget, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* status_uptime - seconds as "3d 4h 5m", into out */
const char *status_uptime(long long, char *out, size_t len);
/* status_ms - microseconds as milliseconds */
double	status_ms(uint64_t);
/* status_ends_with - does s end in suffix */
int	status_ends_with(const char *s, const char *suffix);

#endif /* PFH_STATUS_WRITER_H */
