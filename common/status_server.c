/*
 * status_server.c - the server's own section of the status page
 *
 * Contract: see status_server.h.
 */
#include "sysdep.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "listen.h"
#include "status.h"
#include "status_escape.h"
#include "status_server.h"
#include "status_writer.h"

/* status_server_section - the common part of every request's record */
void
status_server_section(struct status_writer *w,
    const struct status_server_info *si)
{
	static const char *const cols[] = {"listener", "connections",
	    "accepted"};
	time_t	now = time(NULL), started = si->started;
	unsigned i, n = si->nlisteners;
	char	ts[64];
	struct tm tm;

	status_writer_head(w, si->program, started);
	for (i = 0; i < n; i++)
		status_writer_listener(w, listener_name(si->listeners[i]),
		    listener_conns(si->listeners[i]));

	status_section(w, "server", "Server");
	status_kv(w, "program", "%s", si->program);
	/* not spec->version_extra: that is -V's extra lines, newlines and all */
	status_kv(w, "version", "%s", PACKAGE_VERSION);
	status_kv(w, "pid", "%ld", (long)getpid());
	localtime_r(&started, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S %z", &tm);
	status_kv(w, "started", "%s", ts);
	status_kv(w, "uptime", "%s", status_uptime(now - started, ts,
	    sizeof(ts)));
	/* the listeners table shows these to people; they are for machines */
	status_quiet_gauge(w, "up", "1 while the daemon runs", NULL, 1);
	status_quiet_gauge(w, "start_time_seconds",
	    "Start time, seconds since the epoch", NULL, (double)started);
	status_table(w, "listeners", "Listeners", cols, 3);
	for (i = 0; i < n; i++) {
		struct listener *l = si->listeners[i];
		char	num[32], acc[32];
		const char *cells[3];

		snprintf(num, sizeof(num), "%u", listener_conns(l));
		snprintf(acc, sizeof(acc), "%llu", listener_accepted(l));
		cells[0] = listener_name(l);
		cells[1] = num;
		cells[2] = acc;
		status_row(w, cells);
	}
	for (i = 0; i < n; i++) {
		struct listener *l = si->listeners[i];
		struct buf b;

		/* the listener's endpoint is fixed config, a safe label value */
		buf_init(&b, 400);
		status_prom_label(&b, "listener", listener_name(l));
		status_quiet_gauge(w, "connections",
		    "Open client connections per listener", b.data,
		    (double)listener_conns(l));
		status_quiet_counter(w, "connections_total",
		    "Client connections accepted per listener", b.data,
		    listener_accepted(l));
		buf_free(&b);
	}
}
