/*
 * status_writer.c - the record of one request's status calls
 *
 * Contract: status.h (the calls daemons make) and status_writer.h (the
 * record the renderers read).
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "stats.h"
#include "status.h"
#include "status_escape.h"
#include "status_writer.h"
#include "table.h"
#include "xalloc.h"

/* status_warn - one warning line, while the caller's budget lasts */
void
status_warn(unsigned *budget, const char *fmt, ...)
{
	va_list ap;
	char	msg[512];

	if (*budget >= 20)
		return;
	(*budget)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("status page: %s", msg);
}

/*
 * Writer: record the daemon's calls.
 */

/* w_strdup - copy daemon text into the record, within the per-request budget */
static char *
w_strdup(struct status_writer *w, const char *s, size_t max)
{
	size_t	len;

	if (s == NULL)
		s = "";
	len = strnlen(s, max);
	if (w->text_bytes + len > STATUS_MAX_TEXT) {
		w->overflow = 1;
		len = 0;
	}
	w->text_bytes += len;
	return xstrndup(s, len);
}

/* w_add - a new zeroed item, or NULL when the writer is full */
static struct item *
w_add(struct status_writer *w, enum item_kind kind)
{
	struct item *it;

	if (w->n >= STATUS_MAX_ITEMS) {
		w->overflow = 1;
		return NULL;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->items = xreallocarray(w->items, w->cap, sizeof(*w->items));
	}
	it = &w->items[w->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	return it;
}

/* w_need_section - items before the first status_section() go to "general" */
static void
w_need_section(struct status_writer *w)
{
	if (!w->have_section)
		status_section(w, "general", "General");
}

/* status_section - start a titled group; later calls belong to it */
void
status_section(struct status_writer *w, const char *id, const char *title)
{
	struct item *it;

	w->have_section = 1;
	w->cur_table = -1;
	if ((it = w_add(w, IT_SECTION)) == NULL)
		return;
	it->id = w_strdup(w, id, 64);
	it->name = w_strdup(w, title, 200);
}

/* status_kv - one fact: key and printf-formatted value */
void
status_kv(struct status_writer *w, const char *key, const char *fmt, ...)
{
	struct item *it;
	char	val[STATUS_MAX_VALUE];
	va_list ap;

	w_need_section(w);
	w->cur_table = -1;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if ((it = w_add(w, IT_KV)) == NULL)
		return;
	it->name = w_strdup(w, key, 200);
	it->text = w_strdup(w, val, sizeof(val));
}

/* valid_metric_name - Prometheus [a-zA-Z_:][a-zA-Z0-9_:]* */
static int
valid_metric_name(const char *s)
{
	if (*s == 0 || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return 0;
	return 1;
}

/* status_ends_with - does s end in suffix */
int
status_ends_with(const char *s, const char *suffix)
{
	size_t	a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* metric_prefix - pfhelpers_ or PROGRAM_ if name starts with it, else NULL */
static const char *
metric_prefix(const struct status_writer *w, const char *name)
{
	if (strncmp(name, "pfhelpers_", 10) == 0)
		return "pfhelpers_";
	if (w->prefix && strncmp(name, w->prefix, strlen(w->prefix)) == 0)
		return w->prefix;
	return NULL;
}

/* status_metric_stem - a metric's name past its prefix */
const char *
status_metric_stem(const struct status_writer *w, const char *name)
{
	const char *pre = metric_prefix(w, name);

	return pre && name[strlen(pre)] ? name + strlen(pre) : name;
}

/*
 * metric_fullname - apply the naming rules (status_writer.h): pre
 * prepended to a name with neither prefix, counters end in "_total",
 * histograms in "_seconds".
 */
static char *
metric_fullname(const struct status_writer *w, const char *name,
    enum item_kind kind, const char *pre)
{
	const char *suf = "";

	if (metric_prefix(w, name))
		pre = "";

	if (kind == IT_COUNTER && !status_ends_with(name, "_total"))
		suf = "_total";
	else if (kind == IT_HIST && !status_ends_with(name, "_seconds"))
		suf = "_seconds";
	return xasprintf("%s%s%s", pre, name, suf);
}

/* free_labels - release a parsed label set */
static void
free_labels(struct label *l, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		xfree(l[i].name);
		xfree(l[i].value);
	}
	xfree(l);
}

/*
 * parse_labels - `a="x",b="y"` (spaces allowed around commas) into pairs;
 * -1 on bad syntax, a bad or reserved name, or a duplicate name.
 */
static int
parse_labels(const char *s, struct label **out, unsigned *nout)
{
	struct label *l = NULL;
	unsigned n = 0, i;
	struct buf v;

	*out = NULL;
	*nout = 0;
	if (s == NULL)
		return 0;
	buf_init(&v, STATUS_MAX_VALUE);
	for (;;) {
		const char *start;
		char	*name;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == 0)
			break;
		start = s;
		if (!(isalpha((unsigned char)*s) || *s == '_'))
			goto bad;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		name = xstrndup(start, (size_t)(s - start));
		if (strncmp(name, "__", 2) == 0 || strcmp(name, "le") == 0) {
			xfree(name);
			goto bad;
		}
		for (i = 0; i < n; i++)
			if (strcmp(l[i].name, name) == 0)
				break;
		l = xreallocarray(l, n + 1, sizeof(*l));
		l[n].name = name;
		l[n].value = NULL;
		n++;
		if (i < n - 1)
			goto bad;
		while (*s == ' ')
			s++;
		if (*s++ != '=')
			goto bad;
		while (*s == ' ')
			s++;
		if (*s++ != '"')
			goto bad;
		buf_reset(&v);
		for (; *s && *s != '"'; s++) {
			char	c = *s;

			if (c == '\\') {
				s++;
				if (*s == 'n')
					c = '\n';
				else if (*s == '\\' || *s == '"')
					c = *s;
				else
					goto bad;
			}
			if (buf_append(&v, &c, 1) < 0)
				goto bad;
		}
		if (*s++ != '"')
			goto bad;
		l[n - 1].value = xstrdup(v.data);
		while (*s == ' ')
			s++;
		if (*s != 0 && *s != ',')
			goto bad;
	}
	buf_free(&v);
	*out = l;
	*nout = n;
	return 0;
bad:
	buf_free(&v);
	free_labels(l, n);
	return -1;
}

/*
 * w_metric - record a counter/gauge/histogram after checking name and
 * labels; a name without a prefix gets pre (NULL: the program's)
 */
static struct item *
w_metric(struct status_writer *w, enum item_kind kind, const char *name,
    const char *help, const char *labels, const char *pre)
{
	struct item *it;
	struct label *l;
	unsigned nl;
	char	*full;

	w_need_section(w);
	w->cur_table = -1;
	if (pre == NULL)
		pre = w->prefix ? w->prefix : "pfhelpers_";
	full = metric_fullname(w, name ? name : "", kind, pre);
	if (!valid_metric_name(full)) {
		status_warn(w->warnings, "bad metric name \"%.100s\" (skipped)", full);
		xfree(full);
		return NULL;
	}
	if (parse_labels(labels, &l, &nl) < 0) {
		status_warn(w->warnings, "metric %.100s: bad labels \"%.200s\" (skipped)",
		    full, labels);
		xfree(full);
		return NULL;
	}
	if ((it = w_add(w, kind)) == NULL) {
		xfree(full);
		free_labels(l, nl);
		return NULL;
	}
	it->name = full;
	it->text = w_strdup(w, help, 300);
	it->labels_src = w_strdup(w, labels, 300);
	it->labels = l;
	it->nlabels = nl;
	return it;
}

/* status_counter - a monotonically increasing count */
void
status_counter(struct status_writer *w, const char *name, const char *help,
    const char *labels, uint64_t value)
{
	struct item *it = w_metric(w, IT_COUNTER, name, help, labels, NULL);

	if (it)
		it->u = value;
}

/* status_gauge - a value that goes up and down */
void
status_gauge(struct status_writer *w, const char *name, const char *help,
    const char *labels, double value)
{
	struct item *it = w_metric(w, IT_GAUGE, name, help, labels, NULL);

	if (it)
		it->d = value;
}

/* status_hist - a latency histogram (snapshotted now) */
void
status_hist(struct status_writer *w, const char *name, const char *help,
    const char *labels, const struct stats_hist *h)
{
	struct item *it;

	if (h == NULL)
		return;
	if ((it = w_metric(w, IT_HIST, name, help, labels, NULL)) == NULL)
		return;
	it->snap = xmalloc(sizeof(*it->snap));
	stats_hist_snapshot(h, it->snap);
}

/* status_recent - the newest events of a ring, newest first */
void
status_recent(struct status_writer *w, const char *title,
    const struct stats_recent *r)
{
	const struct stats_recent_entry *e;
	struct item *it;
	unsigned i, n = 0;

	w_need_section(w);
	w->cur_table = -1;
	if ((it = w_add(w, IT_RECENT)) == NULL)
		return;
	it->name = w_strdup(w, title, 200);
	if (r == NULL)
		return;
	it->cells = xcalloc(STATUS_MAX_RECENT, sizeof(*it->cells));
	it->when = xcalloc(STATUS_MAX_RECENT, sizeof(*it->when));
	for (i = 0; i < STATUS_MAX_RECENT && (e = stats_recent_get(r, i)) != NULL; i++) {
		it->cells[n] = w_strdup(w, e->text, sizeof(e->text));
		it->when[n] = e->when;
		n++;
	}
	it->ncells = n;
}

/* status_table - start a table; status_row() calls fill it */
void
status_table(struct status_writer *w, const char *id, const char *title,
    const char *const *columns, unsigned ncolumns)
{
	struct item *it;
	unsigned i;

	w_need_section(w);
	w->cur_table = -1;
	if (ncolumns > 32)
		ncolumns = 32;
	if ((it = w_add(w, IT_TABLE)) == NULL)
		return;
	it->id = w_strdup(w, id, 64);
	it->name = w_strdup(w, title, 200);
	it->cells = xcalloc(ncolumns ? ncolumns : 1, sizeof(*it->cells));
	for (i = 0; i < ncolumns; i++)
		it->cells[i] = w_strdup(w, columns ? columns[i] : "", 200);
	it->ncells = ncolumns;
	it->u = 0;		/* rows so far */
	w->cur_table = (int)(w->n - 1);
}

/* status_row - one row of the current table: as many cells as it has columns */
void
status_row(struct status_writer *w, const char *const *cells)
{
	struct item *it, *t;
	unsigned i, ncol;

	if (w->cur_table < 0) {
		status_warn(w->warnings, "status_row without status_table (skipped)");
		return;
	}
	t = &w->items[w->cur_table];
	if (t->u >= STATUS_MAX_ROWS) {
		w->overflow = 1;	/* "output truncated", as the other caps */
		return;
	}
	ncol = t->ncells;
	if ((it = w_add(w, IT_ROW)) == NULL)
		return;
	t = &w->items[w->cur_table];	/* w_add may have moved the array */
	t->u++;
	it->cells = xcalloc(ncol ? ncol : 1, sizeof(*it->cells));
	for (i = 0; i < ncol; i++)
		it->cells[i] = w_strdup(w, cells ? cells[i] : "", STATUS_MAX_VALUE);
	it->ncells = ncol;
}

/* status_ready - readiness for /readyz; the last call wins */
void
status_ready(struct status_writer *w, int ready, const char *reason)
{
	xfree(w->reason);
	w->ready = ready != 0;
	w->reason = reason && *reason ? xstrndup(reason, 300) : NULL;
}

/* status_time - local wall time as the page shows it, or "never" for 0 */
const char *
status_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return "";
	/* 0 is what "not yet" looks like in every daemon's struct */
	if (t == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "never");
	else if (strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		buf[0] = 0;	/* too short: strftime leaves it undefined */
	return buf;
}

/* status_source_result - "not tried", "ok", or the first error and how many more */
const char *
status_source_result(const struct table_source *ts, const char *where,
    char *buf, size_t len)
{
	char	more[160];
	size_t	mlen;

	if (len == 0)
		return "";
	if (ts->tried_at == 0) {
		snprintf(buf, len, "not tried");
		return buf;
	}
	if (ts->last_ok) {
		snprintf(buf, len, "ok");
		return buf;
	}
	more[0] = 0;
	if (ts->last_errors > 1)
		snprintf(more, sizeof(more), " (and %u more error%s%s%.80s)",
		    ts->last_errors - 1, ts->last_errors > 2 ? "s" : "",
		    where ? "; " : "", where ? where : "");
	/* the count is the news: cut the first error, never the count */
	mlen = strlen(more);
	if (mlen >= len)
		mlen = 0;
	snprintf(buf, len, "%.*s%s", (int)(len - 1 - mlen), ts->last_error,
	    mlen ? more : "");
	return buf;
}

/* status_source_metrics - a table file's entries, reloads and errors */
void
status_source_metrics(struct status_writer *w, const char *source,
    const struct table_source *ts)
{
	struct buf b;

	buf_init(&b, 400);
	status_prom_label(&b, "source", source);
	status_gauge(w, "pfhelpers_table_entries", "Entries of the table in "
	    "use (0 before its first good load)", b.data,
	    ts->table ? (double)table_count(ts->table) : 0.0);
	status_counter(w, "pfhelpers_table_reloads_total", "Reloads that "
	    "replaced the table", b.data, ts->reloads);
	status_counter(w, "pfhelpers_table_reload_failures_total", "Loads "
	    "refused or held (the table in use stayed)", b.data,
	    ts->failures);
	status_gauge(w, "pfhelpers_table_errors", "Errors found by the last "
	    "load of a table file (0 after a good load; a bad one keeps the "
	    "old table)", b.data, (double)ts->last_errors);
	buf_free(&b);
}

/* status_writer_init - an empty record, ready until the daemon says not */
void
status_writer_init(struct status_writer *w, unsigned *warnings)
{
	memset(w, 0, sizeof(*w));
	w->warnings = warnings;
	w->ready = 1;
	w->cur_table = -1;
}

/* status_writer_free - release a record */
void
status_writer_free(struct status_writer *w)
{
	unsigned i, j;

	for (i = 0; i < w->n; i++) {
		struct item *it = &w->items[i];

		xfree(it->id);
		xfree(it->name);
		xfree(it->text);
		xfree(it->labels_src);
		free_labels(it->labels, it->nlabels);
		xfree(it->snap);
		for (j = 0; j < it->ncells; j++)
			xfree(it->cells[j]);
		xfree(it->cells);
		xfree(it->when);
	}
	xfree(w->items);
	xfree(w->reason);
	xfree(w->program);
	xfree(w->prefix);
	for (i = 0; i < w->nlisteners; i++)
		xfree(w->listeners[i].name);
	xfree(w->listeners);
}

/* status_writer_head - the program and its start time, for the head */
void
status_writer_head(struct status_writer *w, const char *program,
    time_t started)
{
	char	*p;

	xfree(w->program);
	xfree(w->prefix);
	w->program = xstrdup(program);
	/* "saslauthd-lite" reports as saslauthd_lite_ (status_writer.h) */
	w->prefix = xasprintf("%s_", program);
	for (p = w->prefix; *p; p++)
		*p = isalnum((unsigned char)*p) ?
		    (char)tolower((unsigned char)*p) : '_';
	w->started = started;
}

/* status_writer_listener - one listener of the head, with its connections */
void
status_writer_listener(struct status_writer *w, const char *name,
    unsigned conns)
{
	w->listeners = xreallocarray(w->listeners, w->nlisteners + 1,
	    sizeof(*w->listeners));
	w->listeners[w->nlisteners].name = xstrdup(name);
	w->listeners[w->nlisteners].conns = conns;
	w->nlisteners++;
}

/* w_quiet - a metric of common/'s: pfhelpers_, for JSON and /metrics only */
static struct item *
w_quiet(struct status_writer *w, int type, const char *name,
    const char *help, const char *labels)
{
	struct item *it = w_metric(w, type, name, help, labels, "pfhelpers_");

	if (it)
		it->quiet = 1;
	return it;
}

/* status_quiet_gauge - a gauge of common/'s, no tile */
void
status_quiet_gauge(struct status_writer *w, const char *name,
    const char *help, const char *labels, double v)
{
	struct item *it = w_quiet(w, IT_GAUGE, name, help, labels);

	if (it)
		it->d = v;
}

/* status_quiet_counter - a counter of common/'s, no tile */
void
status_quiet_counter(struct status_writer *w, const char *name,
    const char *help, const char *labels, uint64_t v)
{
	struct item *it = w_quiet(w, IT_COUNTER, name, help, labels);

	if (it)
		it->u = v;
}

/* status_uptime - "3d 4h 5m" */
const char *
status_uptime(long long s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, len, "%lldd %lldh %lldm", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(out, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, len, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(out, len, "%llds", s);
	return out;
}

/* status_section_end - index past the last item of the section at i */
unsigned
status_section_end(const struct status_writer *w, unsigned i)
{
	for (i++; i < w->n && w->items[i].kind != IT_SECTION; i++)
		;
	return i;
}

/* status_ms - microseconds to milliseconds */
double
status_ms(uint64_t us)
{
	return (double)us / 1000.0;
}
