/*
 * ratelimit.h - at most one log line per interval for a recurring event
 *
 * A struct ratelimit (zeroed, or RATELIMIT_INIT) stands for one kind of
 * event that a peer or the environment can repeat at any rate (accept()
 * failing, a connection evicted). ratelimit_warn() logs a warning when the
 * last line for this event is at least interval_ms old (the first time
 * always), adding "(N more like it since the last report)" when calls
 * were held back in between; otherwise it only counts the call. A flood thus costs one line per
 * interval, and the count says how big it was. The clock is the caller's
 * (ev_now()), so tests control it. Loop thread only; no allocation.
 */
#ifndef PFH_RATELIMIT_H
#define PFH_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	uint64_t next;		/* ms: no line before this */
	unsigned long held;	/* calls since the last line */
	int	 started;
};

#define RATELIMIT_INIT	{ 0, 0, 0 }

/* ratelimit_warn - log_warn() unless one was logged within interval_ms; 1 if logged */
int	ratelimit_warn(struct ratelimit *, uint64_t now_ms, uint64_t interval_ms,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* PFH_RATELIMIT_H */
