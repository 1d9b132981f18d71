/*
 * fdlimit.c - enough file descriptors for the connections a daemon allows
 */
#include "sysdep.h"

#include <errno.h>
#include <sys/resource.h>

#include "fdlimit.h"
#include "listen.h"
#include "log.h"

/* fdlimit_plan - connections per listener that fit in limit descriptors */
unsigned
fdlimit_plan(unsigned long limit, unsigned nlisteners, unsigned max_conns,
    unsigned extra)
{
	unsigned long spare = FDLIMIT_SPARE + (unsigned long)extra, per;

	if (nlisteners == 0)
		return max_conns;
	if (spare > limit / 2)
		spare = limit / 2;
	per = (limit - spare) / nlisteners;
	if (per < 1)
		per = 1;
	return per < max_conns ? (unsigned)per : max_conns;
}

/* fdlimit_fit - raise the soft limit, or lower the listeners' caps */
void
fdlimit_fit(struct listener **ls, unsigned n, unsigned max_conns,
    unsigned extra)
{
	struct rlimit rl, nr;
	unsigned long need;
	unsigned per, i;

	if (n == 0 || max_conns == 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	need = (unsigned long)n * max_conns + FDLIMIT_SPARE + extra;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	nr = rl;
	nr.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	if (nr.rlim_cur > rl.rlim_cur) {
		if (setrlimit(RLIMIT_NOFILE, &nr) == 0) {
			log_info("open files limit raised from %lu to %lu for "
			    "max_connections = %u", (unsigned long)rl.rlim_cur,
			    (unsigned long)nr.rlim_cur, max_conns);
			rl = nr;
		} else
			log_debug("setrlimit RLIMIT_NOFILE %lu: %m",
			    (unsigned long)nr.rlim_cur);
	}
	if (rl.rlim_cur >= need)
		return;
	per = fdlimit_plan(rl.rlim_cur, n, max_conns, extra);
	for (i = 0; i < n; i++)
		listener_set_max_conns(ls[i], per);
	log_warn("max_connections = %u needs %lu open files, but the limit is "
	    "%lu (hard limit %lu): accepting at most %u connections%s; raise "
	    "LimitNOFILE= in the systemd unit, or ulimit -n", max_conns, need,
	    (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max, per,
	    n > 1 ? " per listener" : "");
}
