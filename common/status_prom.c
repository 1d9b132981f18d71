/*
 * status_prom.c - /metrics: the record in the Prometheus text format
 *
 * Contract: see status_render.h.
 */
#include "sysdep.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "stats.h"
#include "status_escape.h"
#include "status_render.h"
#include "status_writer.h"

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

/* is_metric - an item that is a sample in /metrics */
static int
is_metric(const struct item *it)
{
	return it->kind == IT_COUNTER || it->kind == IT_GAUGE || it->kind == IT_HIST;
}

/* status_render_prom - /metrics for the record (text format 0.0.4) */
void
status_render_prom(struct status_writer *w, struct buf *b)
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
			status_warn(w->warnings, "metric name pfhelpers_ready is reserved (skipped)");
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
				status_warn(w->warnings, "metric %s used as %s and %s (skipped)",
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
				status_warn(w->warnings, "metric %s: duplicate label set {%s} (skipped)",
				    o->name, o->labels_src);
				continue;
			}
			prom_sample(b, o);
		}
	}
}

