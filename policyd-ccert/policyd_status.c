/*
 * policyd_status.c - what policyd-ccert shows on the status page
 *
 * Identities (file, pins, names, reload state: the first error of a bad
 * file and how many more, also as the pfhelpers_table_* metrics; exact
 * counts of pins expired and expiring within expiry_warning_days, and a
 * table of the first 100 of them), answers by result (the action's class)
 * and reason (fixed label sets: never a name, an address or a fingerprint
 * in /metrics), protocol errors, answer latency and the recent decisions
 * that matched an identity. Ready once an identities table is loaded.
 */
#include "sysdep.h"

#include <stdio.h>
#include <time.h>

#include "identities.h"
#include "policyd.h"
#include "status.h"
#include "table.h"

/* Rows in the "expiring" table; the counts stay exact past it. */
#define STATUS_EXPIRING_MAX	100

/* fmt_date - YYYYMMDD as YYYY-MM-DD */
static void
fmt_date(char *out, size_t outlen, int d)
{
	snprintf(out, outlen, "%04d-%02d-%02d", d / 10000, d / 100 % 100,
	    d % 100);
}

/* status_identities - the file and the pins that expire soon */
static void
status_identities(struct policyd *pd, struct status_writer *w)
{
	struct policyd_cfg *cfg = server_cfg(pd->srv);
	static const char *const cols[] = {"identity", "pin", "expires",
	    "days left", "line", "last seen", "note"};
	const struct identity *soon[STATUS_EXPIRING_MAX];
	char buf[64], exp[16], days[24], line[16], seen[32];
	char result[STATUS_SOURCE_LEN];
	const char *cells[nitems(cols)];
	int today = policyd_today(pd), until;
	size_t n, i;

	status_section(w, "identities", "Identities");
	status_kv(w, "file", "%s", pd->src->path);
	status_kv(w, "pins", "%zu", identities_pins(pd->ids));
	status_kv(w, "identities", "%zu", identities_names(pd->ids));
	status_time(pd->src->loaded_at, buf, sizeof(buf));
	status_kv(w, "loaded_at", "%s", buf);
	status_kv(w, "last_load", "%s", status_source_result(pd->src, NULL,
	    result, sizeof(result)));
	status_kv(w, "report_only", "%s", cfg->report_only ? "yes" : "no");
	/* its entries are the pins: pfhelpers_table_entries{source=...} */
	status_source_metrics(w, "identities", pd->src);
	status_gauge(w, "policyd_ccert_identities", "Distinct identity names",
	    NULL, (double)identities_names(pd->ids));

	until = ident_date_add_days(today, (int)cfg->expiry_warning_days);
	/* exact counts, however many rows the table below can show */
	status_gauge(w, "policyd_ccert_pins_expiring", "Pins expiring within "
	    "the warning period (not yet expired)", NULL,
	    (double)identities_count_expiring(pd->ids, today, until));
	/* YYYYMMDD numbers sort like dates: before today is <= today - 1 */
	status_gauge(w, "policyd_ccert_pins_expired", "Pins past their "
	    "expiry date", NULL,
	    (double)identities_count_expiring(pd->ids, 1, today - 1));
	n = identities_expiring(pd->ids, until, soon, nitems(soon));
	snprintf(buf, sizeof(buf), "Pins expired or expiring within %lld days",
	    cfg->expiry_warning_days);
	status_table(w, "expiring", buf, cols, nitems(cols));
	for (i = 0; i < n; i++) {
		fmt_date(exp, sizeof(exp), soon[i]->expires);
		snprintf(days, sizeof(days), "%ld",
		    ident_date_diff(today, soon[i]->expires));
		snprintf(line, sizeof(line), "%u", soon[i]->line);
		status_time(soon[i]->last_seen, seen, sizeof(seen));
		cells[0] = soon[i]->name;
		cells[1] = fprint_digest_name(soon[i]->digest);
		cells[2] = exp;
		cells[3] = days;
		cells[4] = line;
		cells[5] = seen;
		cells[6] = soon[i]->note;
		status_row(w, cells);
	}
}

/* status_decisions - decisions, recent matches; connections, errors, latency */
static void
status_decisions(struct policyd *pd, struct status_writer *w)
{
	char labels[96];
	unsigned c, r;

	status_section(w, "decisions", "Decisions");
	for (c = 0; c < PD_C_COUNT; c++) {
		for (r = 0; r < CCERT_R_COUNT; r++) {
			snprintf(labels, sizeof(labels),
			    "result=\"%s\",reason=\"%s\"",
			    policyd_class_names[c],
			    ccert_reason_name((enum ccert_reason)r));
			status_counter(w, "policyd_ccert_answers_total",
			    "Replies sent, by action class and reason", labels,
			    stats_get(&pd->st.decisions[c][r]));
		}
	}
	for (c = 0; c < PD_C_COUNT; c++) {
		snprintf(labels, sizeof(labels), "result=\"%s\"",
		    policyd_class_names[c]);
		status_counter(w, "policyd_ccert_report_only_total",
		    "Actions logged but not sent (report-only mode)", labels,
		    stats_get(&pd->st.would[c]));
	}
	status_recent(w, "Recent decisions that matched an identity",
	    &pd->st.recent);

	/* its own (narrow) card: the page packs it beside the server's */
	status_section(w, "traffic", "Connections and errors");
	for (c = 0; c < PD_E_COUNT; c++) {
		snprintf(labels, sizeof(labels), "error=\"%s\"",
		    policyd_perr_names[c]);
		status_counter(w, "policyd_ccert_protocol_errors_total",
		    "Connections closed without a reply", labels,
		    stats_get(&pd->st.proto_errors[c]));
	}
	status_counter(w, "policyd_ccert_malformed_fingerprints_total",
	    "Requests with a fingerprint that is not hex of a known length",
	    NULL, stats_get(&pd->st.bad_fprint));
	status_hist(w, "policyd_ccert_answer_seconds", "Time to decide and "
	    "queue a reply", NULL, &pd->st.latency);
}

/* policyd_status - spec->status */
void
policyd_status(struct server *srv, struct status_writer *w)
{
	struct policyd *pd = server_ctx(srv);

	status_identities(pd, w);
	status_decisions(pd, w);
	status_ready(w, pd->ids != NULL, pd->ids ? "identities loaded" :
	    "no identities loaded");
}
