/*
 * status_server.h - the server's own section of the status page
 *
 * status_server_section() records, first in a request's record, what the
 * daemon skeleton knows, from what its caller passes (the status modules
 * never call back into server.c; server.c's collect callback calls this,
 * then the daemon's status function):
 *   - a "server" section with the facts program, version, pid, started
 *     and uptime, and a "listeners" table (endpoint, open connections);
 *   - for JSON and /metrics only (quiet: no tiles), pfhelpers_up,
 *     pfhelpers_start_time_seconds and pfhelpers_connections{listener=
 *     "ENDPOINT"} (an endpoint is fixed config, a safe label value);
 *   - the record's head (status_writer_head, status_writer_listener),
 *     which the JSON and HTML renderers show above the sections.
 * Loop thread only.
 */
#ifndef PFH_STATUS_SERVER_H
#define PFH_STATUS_SERVER_H

#include <time.h>

struct listener;
struct status_writer;

struct status_server_info {
	const char *program;		/* the daemon's name */
	time_t	started;		/* when it started */
	struct listener *const *listeners;	/* its Postfix-facing ones */
	unsigned nlisteners;
};

void	status_server_section(struct status_writer *,
	    const struct status_server_info *);

#endif /* PFH_STATUS_SERVER_H */
