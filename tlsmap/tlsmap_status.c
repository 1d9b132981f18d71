/*
 * tlsmap_status.c - what tlsmap shows on the status page
 *
 * Maps (file, entries, last reload and its result: the first error and
 * how many more, also as the pfhelpers_table_* metrics), answers by map
 * kind and level (fixed label sets: kind x level, plus notfound), TEMP
 * and PERM answers, protocol errors, answer latency and the last
 * lookups. Ready means every map has a table.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "table.h"
#include "tlsmap.h"

/* status_maps - one row per map, and each map's table metrics */
static int
status_maps(struct status_writer *w, struct tlsmap *tm)
{
	static const char *const cols[] = {
		"map", "type", "file", "entries", "loaded", "last attempt",
		"result",
	};
	const struct table_source *ts;
	char entries[32], t1[STATUS_TIME_LEN], t2[STATUS_TIME_LEN];
	char result[STATUS_SOURCE_LEN];
	const char *cells[nitems(cols)];
	int ready = 1;
	size_t i;

	status_section(w, "maps", "Maps");
	status_kv(w, "maps", "%zu", tm->maps->n);
	status_table(w, "maps", "Maps", cols, nitems(cols));
	for (i = 0; i < tm->maps->n; i++) {
		const struct tlsmap_map *m = &tm->maps->v[i];

		ts = m->src;
		snprintf(entries, sizeof(entries), "%zu",
		    ts->table ? table_count(ts->table) : (size_t)0);
		cells[0] = m->name;
		cells[1] = m->report_only ? (m->kind == MAP_POLICY ?
		    "policy (report-only)" : "persite (report-only)") :
		    map_kind_name(m->kind);
		cells[2] = ts->path;
		cells[3] = entries;
		cells[4] = status_time(ts->loaded_at, t1, sizeof(t1));
		cells[5] = status_time(ts->tried_at, t2, sizeof(t2));
		cells[6] = status_source_result(ts, "`tlsmap check` lists them",
		    result, sizeof(result));
		status_row(w, cells);
		if (ts->table == NULL)
			ready = 0;
	}
	/* a map's name is fixed config, a safe label value */
	for (i = 0; i < tm->maps->n; i++)
		status_source_metrics(w, tm->maps->v[i].name,
		    tm->maps->v[i].src);
	return ready;
}

/* status_fixed_counters - the error answers and protocol errors */
static void
status_fixed_counters(struct status_writer *w, const struct tlsmap_stats *st)
{
	static const char errors[] = "TEMP answers (map not loaded) and PERM "
	    "(unknown map, no key)";
	static const char closed[] = "Connections closed for a bad request";
	const struct {
		const char *name, *help, *labels;
		const struct stats_counter *n;
	} c[] = {
		{"tlsmap_error_answers_total", errors, "result=\"temp\"",
		    &st->temp},
		{"tlsmap_error_answers_total", errors, "result=\"perm\"",
		    &st->perm},
		{"tlsmap_protocol_errors_total", closed, "error=\"malformed\"",
		    &st->proto_errors},
		{"tlsmap_protocol_errors_total", closed, "error=\"oversize\"",
		    &st->oversize},
	};
	size_t	i;

	for (i = 0; i < nitems(c); i++)
		status_counter(w, c[i].name, c[i].help, c[i].labels,
		    stats_get(c[i].n));
}

/* tlsmap_status - spec->status */
void
tlsmap_status(struct server *srv, struct status_writer *w)
{
	struct tlsmap *tm = server_ctx(srv);
	struct tlsmap_stats *st;
	char labels[96], why[160];
	unsigned k, l;
	size_t i;
	int ready;

	if (tm == NULL || tm->maps == NULL) {
		status_ready(w, 0, "starting");
		return;
	}
	st = &tm->st;
	ready = status_maps(w, tm);

	status_section(w, "answers", "Answers");
	for (k = 0; k < MAP_KIND_COUNT; k++) {
		for (l = 0; l < map_level_count(k); l++) {
			snprintf(labels, sizeof(labels),
			    "kind=\"%s\",level=\"%s\"", map_kind_name(k),
			    map_level_name(k, l));
			status_counter(w, "tlsmap_answers_total",
			    "OK answers by map kind and level, and NOTFOUND",
			    labels, stats_get(&st->answers[k][l]));
		}
		snprintf(labels, sizeof(labels),
		    "kind=\"%s\",level=\"notfound\"", map_kind_name(k));
		status_counter(w, "tlsmap_answers_total",
		    "OK answers by map kind and level, and NOTFOUND", labels,
		    stats_get(&st->notfound[k]));
	}
	for (k = 0; k < MAP_KIND_COUNT; k++) {
		snprintf(labels, sizeof(labels), "kind=\"%s\"",
		    map_kind_name(k));
		status_counter(w, "tlsmap_report_only_total", "Matches in "
		    "report-only maps (answered NOTFOUND)", labels,
		    stats_get(&st->report_only[k]));
	}
	status_fixed_counters(w, st);
	status_hist(w, "tlsmap_answer_seconds", "Time to answer one lookup",
	    NULL, &st->latency);

	status_section(w, "recent", "Recent lookups");
	status_recent(w, "Recent lookups", &st->recent);

	if (ready) {
		status_ready(w, 1, NULL);
		return;
	}
	for (i = 0; i < tm->maps->n; i++)
		if (!map_loaded(&tm->maps->v[i]))
			break;
	snprintf(why, sizeof(why), "map %s is not loaded",
	    tm->maps->v[i].name);
	status_ready(w, 0, why);
}
