/*
 * sync_status.c - the status page: one section per feed, /readyz
 *
 * Metrics are labelled source="FEED" (a feed name from the config, never
 * a path or a conninfo). Ready once every feed has a good file: synced in
 * this run, or by an earlier run whose state file says so (the file then
 * serves, as it would during an outage).
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "status.h"
#include "sync.h"

static const char *const phase_names[] = {
	[FEED_WAITING] = "not synced yet",
	[FEED_SYNCED] = "synced",
	[FEED_REFUSED] = "update refused",
};

/* generation_xmin - the snapshot's xmin ("805:807:805" -> 805), 0 if none */
static double
generation_xmin(const char *g)
{
	return strtod(g, NULL);
}

/* feed_section - one feed's facts and metrics */
static void
feed_section(struct status_writer *w, const struct sync_feed *f,
    uint64_t now)
{
	char id[64], title[96], labels[96], when[STATUS_TIME_LEN], src[256];
	double age = -1;

	snprintf(id, sizeof(id), "feed_%s", f->name);
	snprintf(title, sizeof(title), "Feed %s", f->name);
	snprintf(labels, sizeof(labels), "source=\"%s\"", f->name);
	status_section(w, id, title);
	status_kv(w, "state", "%s", phase_names[f->phase]);
	status_kv(w, "store", "%s", sync_link_state(f->link));
	sync_link_describe(f->link, src, sizeof(src));
	status_kv(w, "server", "%s", src);
	if (sync_link_error(f->link)[0])
		status_kv(w, "store_error", "%s", sync_link_error(f->link));
	status_kv(w, "format", "%s", sync_format_name(f->cfg->fmt));
	status_kv(w, "output", "%s", f->cfg->output);
	status_kv(w, "rows", "%zu", f->have_file ? f->base_rows : 0);
	status_kv(w, "generation", "%s", f->state.generation[0] ?
	    f->state.generation : "none");
	status_kv(w, "synced_at", "%s", status_time(f->state.synced_at, when,
	    sizeof(when)));
	if (f->last_error[0])
		status_kv(w, "last_error", "%s", f->last_error);
	if (f->synced_mono)
		age = (double)(now - f->synced_mono) / 1000.0;
	status_gauge(w, "feed_rows", "Rows of the last good file", labels,
	    (double)(f->have_file ? f->base_rows : 0));
	status_gauge(w, "feed_synced", "1 when the last read was applied",
	    labels, f->phase == FEED_SYNCED ? 1 : 0);
	status_gauge(w, "feed_connected", "1 while the store is connected",
	    labels, sync_link_connected(f->link) ? 1 : 0);
	status_gauge(w, "feed_generation", "The xmin of the store snapshot "
	    "of the last good sync", labels,
	    generation_xmin(f->state.generation));
	status_gauge(w, "feed_sync_age_seconds", "Seconds since the last good "
	    "sync of this run (-1: none yet)", labels, age);
	status_counter(w, "feed_syncs_total", "Reads applied", labels,
	    f->syncs);
	snprintf(labels, sizeof(labels), "source=\"%s\",reason=\"bad_row\"",
	    f->name);
	status_counter(w, "feed_refused_updates_total", "Updates refused, "
	    "the last good file kept", labels, f->refused_rows);
	snprintf(labels, sizeof(labels), "source=\"%s\",reason=\"mass_delete\"",
	    f->name);
	status_counter(w, "feed_refused_updates_total", "Updates refused, "
	    "the last good file kept", labels, f->refused_delete);
	snprintf(labels, sizeof(labels), "source=\"%s\",reason=\"write\"",
	    f->name);
	status_counter(w, "feed_refused_updates_total", "Updates refused, "
	    "the last good file kept", labels, f->refused_write);
}

/* sync_status - spec->status */
void
sync_status(struct server *srv, struct status_writer *w)
{
	struct sync_daemon *sd = server_ctx(srv);
	uint64_t now = ev_now(server_ev(srv));
	const char *never = NULL;
	char why[160];
	size_t i;

	if (sd == NULL)
		return;
	for (i = 0; i < sd->nfeeds; i++) {
		feed_section(w, sd->feeds[i], now);
		if (never == NULL && !sd->feeds[i]->synced_mono &&
		    !(sd->feeds[i]->have_file && sd->feeds[i]->state.synced_at))
			never = sd->feeds[i]->name;
	}
	if (never) {
		snprintf(why, sizeof(why), "feed %s has never synced", never);
		status_ready(w, 0, why);
	} else {
		status_ready(w, 1, NULL);
	}
}
