/*
 * tlsmap_status.c - what tlsmap shows on the status page
 *
 * Maps (file, entries, last reload and its result: the first error and
 * how many more, also as the pfhelpers_table_* metrics), answers by map
 * kind and level (fixed label sets: kind x level, plus notfound), TEMP
 * and PERM answers, protocol errors, answer latency and the last
 * lookups. Ready means every map has a table (a dynamic map always has).
 * The dynamic maps add their caches, resolutions and fetches, summed over
 * the cache files, and their latest decisions.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dynamic.h"
#include "status.h"
#include "table.h"
#include "tlsmap.h"
#include "sts_fetch.h"

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

		if (m->kind == MAP_DYNAMIC) {
			snprintf(entries, sizeof(entries), "%zu",
			    m->dyn ? dyn_entries(m->dyn) : (size_t)0);
			cells[0] = m->name;
			cells[1] = m->tlsrpt ? "dynamic-tlsrpt" : "dynamic";
			cells[2] = m->path;
			cells[3] = entries;
			cells[4] = cells[5] = "-";
			cells[6] = "resolved live (cache entries)";
			status_row(w, cells);
			continue;
		}
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
		if (tm->maps->v[i].src != NULL)
			status_source_metrics(w, tm->maps->v[i].name,
			    tm->maps->v[i].src);
	return ready;
}

/* status_fixed_counters - the error answers and protocol errors */
static void
status_fixed_counters(struct status_writer *w, const struct tlsmap_stats *st)
{
	static const char errors[] = "TEMP answers (map not loaded, dynamic "
	    "lookup failed or timed out) and PERM (unknown map, no key)";
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

/* sum - one dyn_stats counter over every cache */
static uint64_t
sum(const struct tlsmap *tm, size_t off)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < tm->ndyns; i++)
		n += stats_get((const struct stats_counter *)(const void *)
		    ((const char *)dyn_stats(tm->dyns[i]) + off));
	return n;
}

#define SUM(f)	sum(tm, offsetof(struct dyn_stats, f))

/* status_dynamic - the dynamic maps' caches, resolutions and fetches */
static void
status_dynamic(struct status_writer *w, const struct tlsmap *tm)
{
	static const char temp[] = "Dynamic lookups answered TEMP before "
	    "any resolution gave an answer";
	static const char res[] = "Dynamic resolutions that ended in TEMP";
	static const char fe[] = "MTA-STS policy fetches that failed, by "
	    "error (the policy held, if any, stays in force)";
	char labels[64];
	size_t entries = 0, i;
	unsigned resolving = 0, k;

	if (tm->ndyns == 0)
		return;
	for (i = 0; i < tm->ndyns; i++) {
		entries += dyn_entries(tm->dyns[i]);
		resolving += dyn_resolving(tm->dyns[i]);
	}
	status_section(w, "dynamic", "Dynamic maps (DANE, MTA-STS)");
	status_gauge(w, "tlsmap_dynamic_cache_entries", "Domains in the "
	    "dynamic caches", NULL, (double)entries);
	status_gauge(w, "tlsmap_dynamic_resolutions", "Resolutions in "
	    "progress", NULL, (double)resolving);
	status_counter(w, "tlsmap_dynamic_cache_lookups_total", "Dynamic "
	    "lookups answered from the cache (hit) or resolved (miss)",
	    "result=\"hit\"", SUM(hits));
	status_counter(w, "tlsmap_dynamic_cache_lookups_total", "Dynamic "
	    "lookups answered from the cache (hit) or resolved (miss)",
	    "result=\"miss\"", SUM(misses));
	status_counter(w, "tlsmap_dynamic_resolution_errors_total", res,
	    "error=\"dnssec-bogus\"", SUM(bogus));
	status_counter(w, "tlsmap_dynamic_resolution_errors_total", res,
	    "error=\"dns-failure\"", SUM(dns_failures));
	status_counter(w, "tlsmap_dynamic_temp_answers_total", temp,
	    "reason=\"deadline\"", SUM(timeouts));
	status_counter(w, "tlsmap_dynamic_temp_answers_total", temp,
	    "reason=\"max-resolutions\"", SUM(busy));
	status_counter(w, "tlsmap_dynamic_policy_fetches_total", "MTA-STS "
	    "policy fetches started", NULL, SUM(fetches));
	for (k = 1; k < STS_FETCH_STATUS_COUNT; k++) {
		snprintf(labels, sizeof(labels), "error=\"%s\"",
		    sts_fetch_status_name((enum sts_fetch_status)k));
		status_counter(w, "tlsmap_dynamic_policy_fetch_errors_total", fe,
		    labels, SUM(fetch_errors[k]));
	}
	status_counter(w, "tlsmap_dynamic_policy_fetch_errors_total", fe,
	    "error=\"policy-invalid\"", SUM(policy_invalid));
	status_counter(w, "tlsmap_dynamic_refreshes_total", "Resolutions "
	    "started ahead of expiry or by \"tlsmap refresh\"", NULL,
	    SUM(refreshes));
	for (i = 0; i < tm->ndyns; i++)
		status_recent(w, "Recent dynamic decisions",
		    &dyn_stats(tm->dyns[i])->recent);
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
		/* the dynamic kind's rows only where a dynamic map is served */
		if (k == MAP_DYNAMIC && tm->ndyns == 0)
			continue;
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
		if (k == MAP_DYNAMIC)
			continue;	/* report_only_maps has no dynamic form */
		snprintf(labels, sizeof(labels), "kind=\"%s\"",
		    map_kind_name(k));
		status_counter(w, "tlsmap_report_only_total", "Matches in "
		    "report-only maps (answered NOTFOUND)", labels,
		    stats_get(&st->report_only[k]));
	}
	status_fixed_counters(w, st);
	status_hist(w, "tlsmap_answer_seconds", "Time to answer one lookup",
	    NULL, &st->latency);

	status_dynamic(w, tm);

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
