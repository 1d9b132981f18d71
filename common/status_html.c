/*
 * status_html.c - /: the record as a self-contained HTML page
 *
 * Contract: see status_render.h.
 */
#include "sysdep.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "stats.h"
#include "status_escape.h"
#include "status_render.h"
#include "status_writer.h"

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
"td.w,.kv td+td,table.fam td:first-child{overflow-wrap:anywhere}"
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
 * for a metric without one its name in words, less the prefix
 * (pfhelpers_ or the program's) and the _total/_seconds suffix.
 */
static void
html_metric_words(struct buf *b, const struct status_writer *w,
    const struct item *it)
{
	const char *s = status_metric_stem(w, it->name);
	size_t	n;

	if (*it->text) {
		status_esc(b, it->text, STATUS_ESC_HTML);
		return;
	}
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
	html_metric_words(b, w, a);
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
		html_metric_words(b, w, it);
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
		html_metric_words(b, w, it);
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

/* status_render_html - the page for the record */
void
status_render_html(const struct status_writer *w, struct buf *b)
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

