/*
 * ratelimit.c - at most one log line per interval for a recurring event
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "ratelimit.h"

/* ratelimit_warn - one warning per interval, with the count held back */
int
ratelimit_warn(struct ratelimit *rl, uint64_t now, uint64_t interval_ms,
    const char *fmt, ...)
{
	char	 msg[768];
	va_list	 ap;

	if (rl->started && now < rl->next) {
		rl->held++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->held > 0)
		log_warn("%s (%lu more like it since the last report)", msg,
		    rl->held);
	else
		log_warn("%s", msg);
	rl->started = 1;
	rl->held = 0;
	rl->next = now + interval_ms;
	return 1;
}
