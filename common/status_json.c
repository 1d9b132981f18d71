/*
 * status_json.c - /status.json: the record as JSON
 *
 * Contract: see status_render.h.
 */
#include "sysdep.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "stats.h"
#include "status_escape.h"
#include "status_render.h"
#include "status_writer.h"

/* json_labels - a metric's labels as an object (field names: doc/status.md) */
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

/* status_render_json - /status.json for the record */
void
status_render_json(const struct status_writer *w, struct buf *b)
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

