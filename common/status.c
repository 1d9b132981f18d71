/*
 * status.c - the admin status page (GNU libmicrohttpd in our epoll loop)
 *
 * Contract: see status.h. How it works:
 *   - The listening socket is ours (listener_open: inet or unix, systemd
 *     sockets, stale unix sockets replaced); MHD gets it through
 *     MHD_OPTION_LISTEN_SOCKET and runs in external epoll mode: its epoll
 *     fd sits in our loop, MHD_run() is called when it is readable and on
 *     MHD's own deadline (an ev timer re-armed after every run). No thread.
 *   - Every request calls the daemon's spec->status() once with a writer
 *     that only *records* the calls (strings copied, histograms
 *     snapshotted); the record is then rendered as HTML, JSON or
 *     Prometheus text. Recording first is what lets /metrics group a metric
 *     family's label sets under one HELP/TYPE however the daemon interleaved
 *     its calls.
 *   - Everything the daemon hands us is bounded (items, text bytes, recent
 *     entries, table rows) and escaped for the output format; invalid UTF-8
 *     becomes U+FFFD so the JSON always parses.
 *   - Basic auth: "user:crypt-hash" lines, checked with crypt_rn and a
 *     constant-time compare. The file is re-read when it changes (a broken
 *     new file keeps the old users). A verified credential is remembered
 *     for a minute as a keyed SHA-256 digest (never the password), so a
 *     browser refreshing every 5 s does not run yescrypt on the loop each
 *     time; uncached checks are limited to 10 and 200 ms of crypt per
 *     second (429 beyond) so a password-guessing flood cannot stall the
 *     Postfix-facing work.
 */
#include "sysdep.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include "stats.h"
#include "status.h"
#include "status_auth.h"
#include "status_conn.h"
#include "status_escape.h"
#include "status_writer.h"
#include "table.h"
#include "xalloc.h"

#define STATUS_CONN_TIMEOUT	10		/* seconds idle per connection */
#define STATUS_MAX_BODY		(4 * 1024 * 1024)	/* rendered response */
#define STATUS_REFRESH		5		/* HTML page refresh, seconds */
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
 * JSON rendering. Field names are documented in doc/status.md.
 */
static void
json_labels(struct buf *b, const struct item *it)
{
	unsigned i;

	status_put(b, "{");
	for (i = 0; i < it->nlabels; i++) {
		if (i)
			status_put(b, ",");
		status_json_str(b, it->labels[i].name);
		status_put(b, ":");
		status_json_str(b, it->labels[i].value);
	}
	status_put(b, "}");
}

static void
render_json(struct status_page *p, struct status_writer *w, struct buf *b)
{
	time_t	now = time(NULL);
	unsigned i, j, k, end;
	int	first_sec = 1;

	status_put(b, "{\"program\":");
	status_json_str(b, w->program);
	status_put(b, ",\"version\":");
	status_json_str(b, PACKAGE_VERSION);
	status_putf(b, ",\"pid\":%ld,\"now\":%lld,\"start_time\":%lld,"
	    "\"uptime_seconds\":%lld,\"ready\":%s,\"ready_reason\":",
	    (long)getpid(), (long long)now, (long long)w->started,
	    (long long)(now - w->started), w->ready ? "true" : "false");
	if (w->reason)
		status_json_str(b, w->reason);
	else
		status_put(b, "null");
	status_put(b, ",\"listeners\":[");
	for (i = 0; i < w->nlisteners; i++) {
		status_put(b, i ? ",{\"endpoint\":" : "{\"endpoint\":");
		status_json_str(b, w->listeners[i].name);
		status_putf(b, ",\"connections\":%u}", w->listeners[i].conns);
	}
	status_put(b, "],\"sections\":[");
	for (i = 0; i < w->n; i = end) {
		const struct item *sec = &w->items[i];
		static const struct {
			enum item_kind kind;
			const char *field;
		} groups[] = {
			{IT_COUNTER, "counters"}, {IT_GAUGE, "gauges"},
			{IT_HIST, "histograms"}, {IT_RECENT, "recent"},
			{IT_TABLE, "tables"},
		};
		int	first;

		end = status_section_end(w, i);
		status_put(b, first_sec ? "{\"id\":" : ",{\"id\":");
		first_sec = 0;
		status_json_str(b, sec->id);
		status_put(b, ",\"title\":");
		status_json_str(b, sec->name);
		status_put(b, ",\"facts\":{");
		for (first = 1, j = i + 1; j < end; j++) {
			if (w->items[j].kind != IT_KV)
				continue;
			if (!first)
				status_put(b, ",");
			first = 0;
			status_json_str(b, w->items[j].name);
			status_put(b, ":");
			status_json_str(b, w->items[j].text);
		}
		status_put(b, "}");
		for (k = 0; k < nitems(groups); k++) {
			status_putf(b, ",\"%s\":[", groups[k].field);
			for (first = 1, j = i + 1; j < end; j++) {
				const struct item *it = &w->items[j];
				unsigned c, r;

				if (it->kind != groups[k].kind)
					continue;
				if (!first)
					status_put(b, ",");
				first = 0;
				switch (it->kind) {
				case IT_COUNTER:
				case IT_GAUGE:
				case IT_HIST:
					status_put(b, "{\"name\":");
					status_json_str(b, it->name);
					status_put(b, ",\"help\":");
					status_json_str(b, it->text);
					status_put(b, ",\"labels\":");
					json_labels(b, it);
					if (it->kind == IT_COUNTER) {
						status_putf(b, ",\"value\":%llu}",
						    (unsigned long long)it->u);
					} else if (it->kind == IT_GAUGE) {
						status_put(b, ",\"value\":");
						status_double(b, it->d, 1);
						status_put(b, "}");
					} else {
						status_putf(b, ",\"count\":%llu,\"sum_seconds\":",
						    (unsigned long long)it->snap->count);
						status_double(b, (double)it->snap->sum_us / 1e6, 1);
						status_put(b, ",\"p50_ms\":");
						status_double(b, status_ms(stats_hist_quantile(it->snap, 0.50)), 1);
						status_put(b, ",\"p90_ms\":");
						status_double(b, status_ms(stats_hist_quantile(it->snap, 0.90)), 1);
						status_put(b, ",\"p99_ms\":");
						status_double(b, status_ms(stats_hist_quantile(it->snap, 0.99)), 1);
						status_put(b, "}");
					}
					break;
				case IT_RECENT:
					status_put(b, "{\"title\":");
					status_json_str(b, it->name);
					status_put(b, ",\"events\":[");
					for (c = 0; c < it->ncells; c++) {
						status_putf(b, "%s{\"time\":%lld,\"text\":",
						    c ? "," : "", (long long)it->when[c]);
						status_json_str(b, it->cells[c]);
						status_put(b, "}");
					}
					status_put(b, "]}");
					break;
				case IT_TABLE:
					status_put(b, "{\"id\":");
					status_json_str(b, it->id);
					status_put(b, ",\"title\":");
					status_json_str(b, it->name);
					status_put(b, ",\"columns\":[");
					for (c = 0; c < it->ncells; c++) {
						if (c)
							status_put(b, ",");
						status_json_str(b, it->cells[c]);
					}
					status_put(b, "],\"rows\":[");
					for (r = j + 1; r < end && w->items[r].kind == IT_ROW; r++) {
						if (r > j + 1)
							status_put(b, ",");
						status_put(b, "[");
						for (c = 0; c < w->items[r].ncells; c++) {
							if (c)
								status_put(b, ",");
							status_json_str(b, w->items[r].cells[c]);
						}
						status_put(b, "]");
					}
					status_put(b, "]}");
					break;
				default:
					break;
				}
			}
			status_put(b, "]");
		}
		status_put(b, "}");
	}
	status_put(b, "]}\n");
}

/*
 * Prometheus text exposition format 0.0.4.
 */

/* prom_series - name{labels[,le="x"]} */
static void
prom_series(struct buf *b, const char *name, const char *suffix,
    const struct item *it, const char *le)
{
	unsigned i;

	status_put(b, name);
	status_put(b, suffix);
	if (it->nlabels == 0 && le == NULL)
		return;
	status_put(b, "{");
	for (i = 0; i < it->nlabels; i++) {
		if (i)
			status_put(b, ",");
		status_prom_label(b, it->labels[i].name, it->labels[i].value);
	}
	if (le)
		status_putf(b, "%sle=\"%s\"", it->nlabels ? "," : "", le);
	status_put(b, "}");
}

/* same_labels - equal label sets (order as given) */
static int
same_labels(const struct item *a, const struct item *b)
{
	unsigned i, j;

	if (a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < a->nlabels; i++) {
		for (j = 0; j < b->nlabels; j++)
			if (strcmp(a->labels[i].name, b->labels[j].name) == 0)
				break;
		if (j == b->nlabels || strcmp(a->labels[i].value, b->labels[j].value) != 0)
			return 0;
	}
	return 1;
}

/* Bucket bounds for /metrics, seconds; stats buckets map onto them conservatively. */
static const struct {
	const char *le;
	uint64_t us;
} prom_le[] = {
	{"0.0001", 100}, {"0.00025", 250}, {"0.0005", 500}, {"0.001", 1000},
	{"0.0025", 2500}, {"0.005", 5000}, {"0.01", 10000}, {"0.025", 25000},
	{"0.05", 50000}, {"0.1", 100000}, {"0.25", 250000}, {"0.5", 500000},
	{"1", 1000000}, {"2.5", 2500000}, {"5", 5000000}, {"10", 10000000},
	{"30", 30000000}, {"60", 60000000},
};

/* prom_sample - the sample line(s) of one item */
static void
prom_sample(struct buf *b, const struct item *it)
{
	uint64_t cum = 0;
	unsigned i, k = 0;

	switch (it->kind) {
	case IT_COUNTER:
		prom_series(b, it->name, "", it, NULL);
		status_putf(b, " %llu\n", (unsigned long long)it->u);
		break;
	case IT_GAUGE:
		prom_series(b, it->name, "", it, NULL);
		status_put(b, " ");
		status_double(b, it->d, 0);
		status_put(b, "\n");
		break;
	case IT_HIST:
		/*
		 * A stats bucket counts toward the first bound at or above its
		 * largest value, so a count is never reported under a bound
		 * it may exceed. Buckets are cumulative and end with +Inf ==
		 * _count (the snapshot's own count may be a moment ahead of
		 * its buckets, so _count is the bucket total).
		 */
		for (i = 0; i < STATS_HIST_BUCKETS; i++) {
			uint64_t up = stats_hist_bucket_upper(i);

			while (k < nitems(prom_le) && up > prom_le[k].us) {
				prom_series(b, it->name, "_bucket", it, prom_le[k].le);
				status_putf(b, " %llu\n", (unsigned long long)cum);
				k++;
			}
			cum += it->snap->bucket[i];
		}
		for (; k < nitems(prom_le); k++) {
			prom_series(b, it->name, "_bucket", it, prom_le[k].le);
			status_putf(b, " %llu\n", (unsigned long long)cum);
		}
		prom_series(b, it->name, "_bucket", it, "+Inf");
		status_putf(b, " %llu\n", (unsigned long long)cum);
		prom_series(b, it->name, "_sum", it, NULL);
		status_put(b, " ");
		status_double(b, (double)it->snap->sum_us / 1e6, 0);
		status_put(b, "\n");
		prom_series(b, it->name, "_count", it, NULL);
		status_putf(b, " %llu\n", (unsigned long long)cum);
		break;
	default:
		break;
	}
}

static int
is_metric(const struct item *it)
{
	return it->kind == IT_COUNTER || it->kind == IT_GAUGE || it->kind == IT_HIST;
}

static void
render_prom(struct status_page *p, struct status_writer *w, struct buf *b)
{
	static const char *const types[] = {
		[IT_COUNTER] = "counter", [IT_GAUGE] = "gauge", [IT_HIST] = "histogram",
	};
	unsigned i, j, k;

	/* pfhelpers_ready comes from the record, so it is added here */
	status_put(b, "# HELP pfhelpers_ready 1 when the daemon is ready to serve (see /readyz)\n"
	    "# TYPE pfhelpers_ready gauge\n");
	status_putf(b, "pfhelpers_ready %d\n", w->ready);
	for (i = 0; i < w->n; i++) {
		struct item *it = &w->items[i];

		if (!is_metric(it) || it->skip)
			continue;
		if (strcmp(it->name, "pfhelpers_ready") == 0) {
			status_warn(&p->warnings, "metric name pfhelpers_ready is reserved (skipped)");
			continue;
		}
		/* one HELP/TYPE per family, then every label set of it */
		status_put(b, "# HELP ");
		status_put(b, it->name);
		status_put(b, " ");
		status_prom_esc(b, *it->text ? it->text : it->name, 0);
		status_putf(b, "\n# TYPE %s %s\n", it->name, types[it->kind]);
		for (j = i; j < w->n; j++) {
			struct item *o = &w->items[j];

			if (!is_metric(o) || o->skip || strcmp(o->name, it->name) != 0)
				continue;
			o->skip = 1;
			if (o->kind != it->kind) {
				status_warn(&p->warnings, "metric %s used as %s and %s (skipped)",
				    o->name, types[it->kind], types[o->kind]);
				continue;
			}
			for (k = i; k < j; k++)
				if (is_metric(&w->items[k]) &&
				    strcmp(w->items[k].name, o->name) == 0 &&
				    w->items[k].kind == o->kind &&
				    same_labels(&w->items[k], o))
					break;
			if (k < j) {
				status_warn(&p->warnings, "metric %s: duplicate label set {%s} (skipped)",
				    o->name, o->labels_src);
				continue;
			}
			prom_sample(b, o);
		}
	}
}

/*
 * HTML rendering.
 */

/*
 * Tables fit their card. Cells break between words (break-word), which
 * never lets a column get narrower than its longest word, so short names
 * are never stacked letter by letter; a data cell holding a long run
 * without a break (STATUS_WORD_MAX characters or more: a socket path, a
 * peer, a file) is marked "w" and breaks anywhere, as do fact values,
 * so such a run no longer holds a table wider than its card. Numbers
 * never break. Only a data table whose words alone are wider than the
 * card (a phone) scrolls sideways, in its block. Wide cards span two of
 * three columns on a laptop, and the grid packs narrow cards into the
 * gaps.
 */
#define STATUS_WORD_MAX	16
static const char html_css[] =
":root{--bg:#f4f6f9;--card:#fff;--fg:#1d2430;--mute:#6b7483;--line:#e3e7ee;"
"--accent:#2563eb;--ok:#15803d;--okbg:#dcfce7;--bad:#b91c1c;--badbg:#fee2e2;}"
"@media (prefers-color-scheme:dark){:root{--bg:#11151c;--card:#1a202a;--fg:#e6e9ef;"
"--mute:#9aa3b2;--line:#2b3340;--accent:#7aa2ff;--ok:#4ade80;--okbg:#14361f;"
"--bad:#f87171;--badbg:#3d1717;}}"
"*{box-sizing:border-box}"
"body{margin:0;background:var(--bg);color:var(--fg);"
"font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
"header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;"
"padding:1rem 1.25rem;background:var(--card);border-bottom:1px solid var(--line)}"
"header h1{margin:0;font-size:1.35rem;font-weight:650}"
"header .meta{color:var(--mute);font-size:.9rem}"
".pill{display:inline-block;padding:.15rem .65rem;border-radius:999px;font-weight:600;"
"font-size:.85rem}"
".pill.ok{background:var(--okbg);color:var(--ok)}.pill.bad{background:var(--badbg);color:var(--bad)}"
"main{display:grid;gap:1rem;padding:1rem 1.25rem;"
"grid-template-columns:repeat(auto-fill,minmax(min(100%,360px),1fr));"
"grid-auto-flow:row dense}"
".card{background:var(--card);border:1px solid var(--line);border-radius:12px;"
"padding:1rem 1.1rem;min-width:0}"
".card.wide{grid-column:1/-1}"
"@media (min-width:1200px){.card.wide{grid-column:span 2}}"
".card.wide .blocks{display:grid;gap:0 1.5rem;"
"grid-template-columns:repeat(auto-fit,minmax(min(100%,340px),1fr))}"
".tiles{margin:.7rem 0}"
".card h2{margin:0 0 .6rem;font-size:1.05rem;font-weight:650}"
".card h3{margin:.9rem 0 .4rem;font-size:.9rem;color:var(--mute);font-weight:600;"
"text-transform:uppercase;letter-spacing:.04em}"
"table{width:100%;border-collapse:collapse;font-size:.92rem}"
"td,th{padding:.3rem .4rem;border-bottom:1px solid var(--line);text-align:left;"
"vertical-align:top;overflow-wrap:break-word}"
"td.w,.kv td+td{overflow-wrap:anywhere}"
".blk{min-width:0;overflow-x:auto}"
"th{color:var(--mute);font-weight:600;font-size:.82rem}"
"td.k{color:var(--mute);width:40%}"
"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
".tiles{display:grid;gap:.5rem;grid-template-columns:repeat(auto-fill,minmax(150px,1fr))}"
".tile{border:1px solid var(--line);border-radius:9px;padding:.5rem .65rem}"
".tile .v{font-size:1.45rem;font-weight:650;font-variant-numeric:tabular-nums}"
".tile .l{color:var(--mute);font-size:.8rem;overflow-wrap:anywhere}"
".lb{display:inline-block;margin:.1rem .2rem 0 0;padding:0 .35rem;border-radius:5px;"
"background:var(--bg);font-size:.75rem;color:var(--fg)}"
"ol.recent{list-style:none;margin:0;padding:0;font-size:.9rem;"
"font-family:ui-monospace,SFMono-Regular,Menlo,monospace}"
"ol.recent li{padding:.25rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}"
"ol.recent time{color:var(--mute);margin-right:.6rem}"
".empty{color:var(--mute);font-style:italic}"
"td.z{color:var(--mute);opacity:.6}"
"tr.tot td{font-weight:600;border-top:2px solid var(--line)}"
"footer{color:var(--mute);font-size:.8rem;padding:0 1.25rem 1.25rem}"
"a{color:var(--accent)}";

/*
 * Words. A fact's key, a table's column and a label's name or value are
 * identifiers: JSON and /metrics carry them as given, for machines. The
 * page shows them to people: html_words() and html_value_words() spell a
 * lowercase identifier ([a-z0-9_]) in words, anything else (a key with
 * spaces, a level like MUST_NOPEERMATCH, a path) is shown as given.
 */

/* html_ident - is s a lowercase identifier the page may spell in words */
static int
html_ident(const char *s)
{
	if (*s == 0)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		    *s == '_'))
			return 0;
	return 1;
}

/* html_spaced - put s[0..n) with underscores as single spaces, trimmed */
static void
html_spaced(struct buf *b, const char *s, size_t n)
{
	int	gap = 0, any = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			gap = 1;
			continue;
		}
		if (gap && any)
			status_put(b, " ");
		gap = 0;
		any = 1;
		status_putn(b, &s[i], 1);
	}
}

/*
 * html_words - a key, column or label name in words: underscores as
 * spaces, a unit suffix in brackets, a few abbreviations in capitals:
 * "backend_timeout_ms" reads "backend timeout (ms)", "ttl_s" "TTL (s)".
 */
static void
html_words(struct buf *b, const char *s)
{
	static const char *const units[][2] = {
		{"_seconds", "s"}, {"_ms", "ms"}, {"_s", "s"},
	};
	static const char *const caps[] = {"id", "ip", "pid", "tls", "ttl"};
	const char *unit = NULL, *w, *e;
	size_t	n, k;
	int	any = 0;

	if (!html_ident(s)) {
		status_esc(b, s, STATUS_ESC_HTML);
		return;
	}
	n = strlen(s);
	for (k = 0; k < nitems(units); k++) {
		size_t	ul = strlen(units[k][0]);

		if (n > ul && status_ends_with(s, units[k][0])) {
			unit = units[k][1];
			n -= ul;
			break;
		}
	}
	for (w = s; w < s + n; w = e) {
		while (w < s + n && *w == '_')
			w++;
		for (e = w; e < s + n && *e != '_'; e++)
			;
		if (e == w)
			break;
		if (any++)
			status_put(b, " ");
		for (k = 0; k < nitems(caps); k++)
			if (strlen(caps[k]) == (size_t)(e - w) &&
			    strncmp(caps[k], w, (size_t)(e - w)) == 0)
				break;
		if (k < nitems(caps)) {
			for (; w < e; w++) {
				char	c = (char)toupper((unsigned char)*w);

				status_putn(b, &c, 1);
			}
		} else
			status_putn(b, w, (size_t)(e - w));
	}
	if (unit)
		buf_printf(b, " (%s)", unit);
}

/*
 * html_value_words - a label value in words: only the underscores of a
 * lowercase identifier become spaces ("not_listed" reads "not listed");
 * values are the daemon's own names (reasons, kinds, map names).
 */
static void
html_value_words(struct buf *b, const char *s)
{
	if (html_ident(s))
		html_spaced(b, s, strlen(s));
	else
		status_esc(b, s, STATUS_ESC_HTML);
}

/*
 * html_metric_words - what a metric is called on the page: its help, or
 * for a metric without one its name in words, less the "pfhelpers_"
 * prefix and the _total/_seconds suffix the naming rules added.
 */
static void
html_metric_words(struct buf *b, const struct item *it)
{
	const char *s = it->name;
	size_t	n;

	if (*it->text) {
		status_esc(b, it->text, STATUS_ESC_HTML);
		return;
	}
	if (strncmp(s, "pfhelpers_", 10) == 0)
		s += 10;
	n = strlen(s);
	if (it->kind == IT_COUNTER && status_ends_with(s, "_total") && n > 6)
		n -= 6;
	else if (it->kind == IT_HIST && status_ends_with(s, "_seconds") && n > 8)
		n -= 8;
	html_spaced(b, s, n);
}

/*
 * html_td - open a data table's cell for s: "w" (may break anywhere) when
 * s holds STATUS_WORD_MAX or more characters without a space or a hyphen
 * to wrap at.
 */
static void
html_td(struct buf *b, const char *s)
{
	unsigned run = 0;

	for (; *s; s++) {
		if (isspace((unsigned char)*s) || *s == '-')
			run = 0;
		else if (((unsigned char)*s & 0xc0) != 0x80 &&
		    ++run >= STATUS_WORD_MAX) {
			status_put(b, "<td class=\"w\">");
			return;
		}
	}
	status_put(b, "<td>");
}

/* html_labels - a metric's labels as small chips ("result: ok") */
static void
html_labels(struct buf *b, const struct item *it)
{
	unsigned i;

	for (i = 0; i < it->nlabels; i++) {
		status_put(b, "<span class=\"lb\">");
		html_words(b, it->labels[i].name);
		status_put(b, ": ");
		html_value_words(b, it->labels[i].value);
		status_put(b, "</span>");
	}
}

/* html_u64 - a count with thin-space thousands separators */
static void
html_u64(struct buf *b, uint64_t v)
{
	char	d[32];
	size_t	n, i;

	n = (size_t)snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			status_put(b, "\xe2\x80\x89");
		status_putn(b, &d[i], 1);
	}
}

/* html_ms - a latency in milliseconds, 3 significant digits */
static void
html_ms(struct buf *b, uint64_t us)
{
	status_putf(b, "%.3g", status_ms(us));
}

/* html_value - a counter or gauge value as a tile or cell shows it */
static void
html_value(struct buf *b, const struct item *it)
{
	if (it->kind == IT_COUNTER)
		html_u64(b, it->u);
	else if (isfinite(it->d) && it->d == floor(it->d) && fabs(it->d) < 1e15)
		status_putf(b, "%.0f", it->d);
	else
		status_putf(b, "%.4g", it->d);
}

/* html_zero - a value worth dimming */
static int
html_zero(const struct item *it)
{
	return it->kind == IT_COUNTER ? it->u == 0 : it->d == 0;
}

/*
 * fam_run - the number of items from j on that form one labelled family
 * drawn as a table rather than tiles, 0 if j does not start one. A family
 * of many label sets (decisions by action and reason, answers by level)
 * as tiles would repeat its help text on every tile and bury the few
 * non-zero values; one table says the help once. It takes a consecutive
 * run of one metric name and kind, FAM_TABLE_MIN or more, with the same
 * label names in the same order.
 */
#define FAM_TABLE_MIN	5
#define FAM_MATRIX_MAX	8	/* columns of a two-label matrix */

static unsigned
fam_run(const struct status_writer *w, unsigned j, unsigned end)
{
	const struct item *a = &w->items[j], *o;
	unsigned k, l;

	if ((a->kind != IT_COUNTER && a->kind != IT_GAUGE) || a->quiet ||
	    a->nlabels == 0)
		return 0;
	for (k = j + 1; k < end; k++) {
		o = &w->items[k];
		if (o->kind != a->kind || o->quiet ||
		    strcmp(o->name, a->name) != 0 || o->nlabels != a->nlabels)
			break;
		for (l = 0; l < a->nlabels; l++)
			if (strcmp(o->labels[l].name, a->labels[l].name) != 0)
				break;
		if (l < a->nlabels)
			break;
	}
	return k - j >= FAM_TABLE_MIN ? k - j : 0;
}

/* fam_index - position of v in vals[0..*n), appended when new */
static unsigned
fam_index(const char **vals, unsigned *n, unsigned max, const char *v)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strcmp(vals[i], v) == 0)
			return i;
	if (*n < max)
		vals[(*n)++] = v;
	return i;
}

/*
 * fam_matrix - can a two-label family be a matrix? The label with more
 * distinct values gives the rows (*rowlab, 0 or 1), the other at most
 * FAM_MATRIX_MAX columns.
 */
static int
fam_matrix(const struct status_writer *w, unsigned j, unsigned run,
    unsigned *rowlab, unsigned *nrows, unsigned *ncols)
{
	const char *v0[STATUS_MAX_ROWS], *v1[STATUS_MAX_ROWS];
	unsigned n0 = 0, n1 = 0, k;

	if (w->items[j].nlabels != 2)
		return 0;
	for (k = j; k < j + run; k++) {
		fam_index(v0, &n0, STATUS_MAX_ROWS, w->items[k].labels[0].value);
		fam_index(v1, &n1, STATUS_MAX_ROWS, w->items[k].labels[1].value);
	}
	if (rowlab)
		*rowlab = n1 > n0;
	*nrows = n1 > n0 ? n1 : n0;
	*ncols = n1 > n0 ? n0 : n1;
	return *ncols <= FAM_MATRIX_MAX && *nrows < STATUS_MAX_ROWS;
}

/* html_fam_cell - one value cell, labelled for people and tests */
static void
html_fam_cell(struct buf *b, const struct item *it)
{
	unsigned l;

	status_put(b, html_zero(it) ? "<td class=\"n z\" data-labels=\"" :
	    "<td class=\"n\" data-labels=\"");
	for (l = 0; l < it->nlabels; l++) {
		if (l)
			status_put(b, ",");
		status_esc(b, it->labels[l].name, STATUS_ESC_HTML);
		status_put(b, "=");
		status_esc(b, it->labels[l].value, STATUS_ESC_HTML);
	}
	status_put(b, "\">");
	html_value(b, it);
	status_put(b, "</td>");
}

/*
 * html_family - a labelled family as one table: two labels as a matrix
 * (rows x columns), otherwise one row per label set; counters get a
 * total row (per column in a matrix: decisions by action, say).
 */
static void
html_family(struct buf *b, const struct status_writer *w, unsigned j,
    unsigned run)
{
	const struct item *a = &w->items[j];
	const char *rows[STATUS_MAX_ROWS], *cols[FAM_MATRIX_MAX];
	unsigned rowlab, nrows = 0, ncols = 0, r, c, k, l;

	status_put(b, "<div class=\"blk\"><h3>");
	html_metric_words(b, a);
	status_put(b, "</h3><table class=\"data fam\" data-metric=\"");
	status_esc(b, a->name, STATUS_ESC_HTML);
	status_put(b, "\">");
	if (fam_matrix(w, j, run, &rowlab, &r, &c)) {
		for (k = j; k < j + run; k++) {
			fam_index(rows, &nrows, STATUS_MAX_ROWS,
			    w->items[k].labels[rowlab].value);
			fam_index(cols, &ncols, FAM_MATRIX_MAX,
			    w->items[k].labels[!rowlab].value);
		}
		status_put(b, "<tr><th>");
		html_words(b, a->labels[rowlab].name);
		status_put(b, " \\ ");
		html_words(b, a->labels[!rowlab].name);
		status_put(b, "</th>");
		for (c = 0; c < ncols; c++) {
			status_put(b, "<th class=\"n\">");
			html_value_words(b, cols[c]);
			status_put(b, "</th>");
		}
		status_put(b, "</tr>");
		for (r = 0; r < nrows; r++) {
			status_put(b, "<tr><td>");
			html_value_words(b, rows[r]);
			status_put(b, "</td>");
			for (c = 0; c < ncols; c++) {
				for (k = j; k < j + run; k++)
					if (strcmp(w->items[k].labels[rowlab].value,
					    rows[r]) == 0 && strcmp(w->items[k].
					    labels[!rowlab].value, cols[c]) == 0)
						break;
				if (k < j + run)
					html_fam_cell(b, &w->items[k]);
				else
					status_put(b, "<td class=\"n z\">\xe2\x80\x93</td>");
			}
			status_put(b, "</tr>");
		}
		if (a->kind == IT_COUNTER && nrows > 1) {
			status_put(b, "<tr class=\"tot\"><td>total</td>");
			for (c = 0; c < ncols; c++) {
				uint64_t sum = 0;

				for (k = j; k < j + run; k++)
					if (strcmp(w->items[k].labels[!rowlab].value,
					    cols[c]) == 0)
						sum += w->items[k].u;
				status_put(b, "<td class=\"n\" data-total=\"");
				status_esc(b, a->labels[!rowlab].name, STATUS_ESC_HTML);
				status_put(b, "=");
				status_esc(b, cols[c], STATUS_ESC_HTML);
				status_put(b, "\">");
				html_u64(b, sum);
				status_put(b, "</td>");
			}
			status_put(b, "</tr>");
		}
	} else {
		status_put(b, "<tr>");
		for (l = 0; l < a->nlabels; l++) {
			status_put(b, "<th>");
			html_words(b, a->labels[l].name);
			status_put(b, "</th>");
		}
		status_put(b, "<th class=\"n\">value</th></tr>");
		for (k = j; k < j + run; k++) {
			status_put(b, "<tr>");
			for (l = 0; l < w->items[k].nlabels; l++) {
				status_put(b, "<td>");
				html_value_words(b, w->items[k].labels[l].value);
				status_put(b, "</td>");
			}
			html_fam_cell(b, &w->items[k]);
			status_put(b, "</tr>");
		}
		if (a->kind == IT_COUNTER) {
			uint64_t sum = 0;

			for (k = j; k < j + run; k++)
				sum += w->items[k].u;
			status_putf(b, "<tr class=\"tot\"><td colspan=\"%u\">total"
			    "</td><td class=\"n\" data-total=\"\">", a->nlabels);
			html_u64(b, sum);
			status_put(b, "</td></tr>");
		}
	}
	status_put(b, "</table></div>\n");
}

/* html_section - one card */
static void
html_section(struct buf *b, const struct status_writer *w, unsigned i, unsigned end)
{
	const struct item *sec = &w->items[i];
	unsigned j, c, r;
	unsigned run, nrows, ncols;
	int	wide = 0;

	for (j = i + 1; j < end; j++) {
		if (w->items[j].kind == IT_RECENT ||
		    (w->items[j].kind == IT_TABLE && w->items[j].ncells > 3))
			wide = 1;
		if ((run = fam_run(w, j, end)) > 0) {
			if (w->items[j].nlabels > 2 ||
			    (fam_matrix(w, j, run, NULL, &nrows, &ncols) &&
			    ncols > 3))
				wide = 1;
			j += run - 1;
		}
	}
	status_putf(b, "<section class=\"card%s\" id=\"s-", wide ? " wide" : "");
	status_esc(b, sec->id, STATUS_ESC_HTML);
	status_put(b, "\"><h2>");
	status_esc(b, sec->name, STATUS_ESC_HTML);
	status_put(b, "</h2>\n");

	/* facts */
	for (c = 0, j = i + 1; j < end; j++) {
		const struct item *it = &w->items[j];

		if (it->kind != IT_KV)
			continue;
		if (c++ == 0)
			status_put(b, "<table class=\"kv\">");
		status_put(b, "<tr><td class=\"k\">");
		html_words(b, it->name);
		status_put(b, "</td><td>");
		status_esc(b, it->text, STATUS_ESC_HTML);
		status_put(b, "</td></tr>");
	}
	if (c)
		status_put(b, "</table>\n");

	/* labelled families as tables: the daemon's main numbers, first */
	for (c = 0, j = i + 1; j < end; j++) {
		if ((run = fam_run(w, j, end)) == 0)
			continue;
		if (c++ == 0)
			status_put(b, "<div class=\"blocks\">");
		html_family(b, w, j, run);
		j += run - 1;
	}
	if (c)
		status_put(b, "</div>\n");

	/* counters and gauges as tiles */
	for (c = 0, j = i + 1; j < end; j++) {
		const struct item *it = &w->items[j];

		if ((it->kind != IT_COUNTER && it->kind != IT_GAUGE) || it->quiet)
			continue;
		if ((run = fam_run(w, j, end)) > 0) {
			j += run - 1;	/* a family table, drawn with the blocks */
			continue;
		}
		if (c++ == 0)
			status_put(b, "<div class=\"tiles\">");
		status_putf(b, "<div class=\"tile\" data-metric=\"%s\" title=\"", it->name);
		status_esc(b, it->name, STATUS_ESC_HTML);
		status_put(b, "\"><div class=\"v\">");
		html_value(b, it);
		status_put(b, "</div><div class=\"l\">");
		html_metric_words(b, it);
		if (it->nlabels)
			status_put(b, "<br>");
		html_labels(b, it);
		status_put(b, "</div></div>");
	}
	if (c)
		status_put(b, "</div>\n");

	/* latency */
	for (c = 0, j = i + 1; j < end; j++) {
		const struct item *it = &w->items[j];

		if (it->kind != IT_HIST)
			continue;
		if (c++ == 0)
			status_put(b, "<h3>Latency (ms)</h3><table class=\"lat\"><tr><th></th>"
			    "<th class=\"n\">p50</th><th class=\"n\">p90</th>"
			    "<th class=\"n\">p99</th><th class=\"n\">count</th></tr>");
		status_put(b, "<tr><td>");
		html_metric_words(b, it);
		html_labels(b, it);
		status_put(b, "</td><td class=\"n\">");
		html_ms(b, stats_hist_quantile(it->snap, 0.50));
		status_put(b, "</td><td class=\"n\">");
		html_ms(b, stats_hist_quantile(it->snap, 0.90));
		status_put(b, "</td><td class=\"n\">");
		html_ms(b, stats_hist_quantile(it->snap, 0.99));
		status_put(b, "</td><td class=\"n\">");
		html_u64(b, it->snap->count);
		status_put(b, "</td></tr>");
	}
	if (c)
		status_put(b, "</table>\n");

	/* tables and recent lists, in the order given; side by side when wide */
	status_put(b, "<div class=\"blocks\">");
	for (j = i + 1; j < end; j++) {
		const struct item *it = &w->items[j];

		if (it->kind == IT_TABLE) {
			status_put(b, "<div class=\"blk\"><h3>");
			status_esc(b, it->name, STATUS_ESC_HTML);
			status_put(b, "</h3><table class=\"data\" id=\"t-");
			status_esc(b, it->id, STATUS_ESC_HTML);
			status_put(b, "\"><tr>");
			for (c = 0; c < it->ncells; c++) {
				status_put(b, "<th>");
				html_words(b, it->cells[c]);
				status_put(b, "</th>");
			}
			status_put(b, "</tr>");
			for (r = j + 1; r < end && w->items[r].kind == IT_ROW; r++) {
				status_put(b, "<tr>");
				for (c = 0; c < w->items[r].ncells; c++) {
					html_td(b, w->items[r].cells[c]);
					status_esc(b, w->items[r].cells[c], STATUS_ESC_HTML);
					status_put(b, "</td>");
				}
				status_put(b, "</tr>");
			}
			if (r == j + 1)
				status_putf(b, "<tr><td class=\"empty\" colspan=\"%u\">none</td></tr>",
				    it->ncells ? it->ncells : 1);
			status_put(b, "</table></div>\n");
		} else if (it->kind == IT_RECENT) {
			status_put(b, "<div class=\"blk\"><h3>");
			status_esc(b, it->name, STATUS_ESC_HTML);
			status_put(b, "</h3>");
			if (it->ncells == 0) {
				status_put(b, "<p class=\"empty\">nothing yet</p></div>\n");
				continue;
			}
			status_put(b, "<ol class=\"recent\">");
			for (c = 0; c < it->ncells; c++) {
				struct tm tm;
				char	hm[16], full[40];

				localtime_r(&it->when[c], &tm);
				strftime(hm, sizeof(hm), "%H:%M:%S", &tm);
				strftime(full, sizeof(full), "%Y-%m-%d %H:%M:%S", &tm);
				status_putf(b, "<li><time title=\"%s\">%s</time>", full, hm);
				status_esc(b, it->cells[c], STATUS_ESC_HTML);
				status_put(b, "</li>");
			}
			status_put(b, "</ol></div>\n");
		}
	}
	status_put(b, "</div></section>\n");
}

static void
render_html(struct status_page *p, struct status_writer *w, struct buf *b)
{
	const char *prog = w->program;
	time_t	now = time(NULL);
	unsigned i, end;
	char	host[256], ts[64], up[64];
	struct tm tm;

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = 0;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S %Z", &tm);

	status_putf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	    "<meta http-equiv=\"refresh\" content=\"%d\"><title>", STATUS_REFRESH);
	status_esc(b, prog, STATUS_ESC_HTML);
	status_put(b, " \xe2\x80\x94 ");
	status_esc(b, host, STATUS_ESC_HTML);
	status_put(b, "</title><style>");
	status_put(b, html_css);
	status_put(b, "</style></head><body>\n<header><h1>");
	status_esc(b, prog, STATUS_ESC_HTML);
	status_put(b, "</h1>");
	if (w->ready)
		status_put(b, "<span class=\"pill ok\" id=\"ready\">ready</span>");
	else {
		status_put(b, "<span class=\"pill bad\" id=\"ready\">not ready");
		if (w->reason) {
			status_put(b, ": ");
			status_esc(b, w->reason, STATUS_ESC_HTML);
		}
		status_put(b, "</span>");
	}
	status_put(b, "<span class=\"meta\">");
	status_esc(b, host, STATUS_ESC_HTML);
	status_putf(b, " \xc2\xb7 v%s \xc2\xb7 pid %ld \xc2\xb7 up <span id=\"uptime\">",
	    PACKAGE_VERSION, (long)getpid());
	status_put(b, status_uptime((long long)(now - w->started), up,
	    sizeof(up)));
	status_put(b, "</span></span></header>\n<main>\n");
	for (i = 0; i < w->n; i = end) {
		end = status_section_end(w, i);
		html_section(b, w, i, end);
	}
	status_putf(b, "</main>\n<footer>%s \xc2\xb7 refreshes every %d s \xc2\xb7 "
	    "<a href=\"status.json\">status.json</a> \xc2\xb7 <a href=\"metrics\">metrics</a>"
	    "</footer>\n</body></html>\n", ts, STATUS_REFRESH);
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
		render_html(p, &w, &b);
		type = "text/html; charset=utf-8";
		break;
	case R_JSON:
		render_json(p, &w, &b);
		type = "application/json";
		break;
	default:
		render_prom(p, &w, &b);
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
	p->conns = status_conns_new(p->ev, p->listener, status_kick, p);
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
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)STATUS_MHD_CONN_LIMIT,
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
