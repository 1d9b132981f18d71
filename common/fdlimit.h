/*
 * fdlimit.h - enough file descriptors for the connections a daemon allows
 *
 * Every connection is a descriptor, and a process at its RLIMIT_NOFILE
 * soft limit gets EMFILE from accept() (listen.h then backs off, but the
 * connection waits). The default soft limit is 1024, below the default
 * max_connections (4096), so fdlimit_fit(), run once at start after the
 * listeners are bound:
 *   - needs nlisteners * max_conns + FDLIMIT_SPARE + extra descriptors
 *     (FDLIMIT_SPARE: the listeners, epoll, signalfd, syslog, the notify
 *     socket, table files being reloaded, files the workers open; extra:
 *     the status page's, STATUS_MAX_FDS when it runs);
 *   - raises the soft limit to that, up to the hard limit (raising the
 *     hard limit needs a privilege the daemon does not use; under systemd
 *     LimitNOFILE= sets both);
 *   - when even the hard limit is short, lowers every listener's
 *     connection cap to what fits (fdlimit_plan()) and says so in one
 *     warning that names max_connections, the limit and the remedy.
 * It never lowers a limit. fdlimit_plan() is the arithmetic alone: the
 * connections per listener that fit in `limit` descriptors, at least 1
 * and at most max_conns, keeping at most half the limit in reserve.
 */
#ifndef PFH_FDLIMIT_H
#define PFH_FDLIMIT_H

struct listener;

#define FDLIMIT_SPARE	64

void	fdlimit_fit(struct listener **, unsigned nlisteners, unsigned max_conns,
	    unsigned extra);
unsigned fdlimit_plan(unsigned long limit, unsigned nlisteners,
	    unsigned max_conns, unsigned extra);

#endif /* PFH_FDLIMIT_H */
