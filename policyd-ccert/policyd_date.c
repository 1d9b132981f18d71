/*
 * policyd_date.c - the local date policyd-ccert decides on
 *
 * One cached value for the session (expiry in every decision) and the
 * status page (days until the next pin expires), so that neither calls
 * the other or main.c for it. Loop thread only.
 */
#include "sysdep.h"

#include <time.h>

#include "identities.h"
#include "policyd.h"

/* policyd_today - local date, recomputed at most once a second */
int
policyd_today(struct policyd *pd)
{
	time_t now = time(NULL);

	if (now != pd->today_at) {
		pd->today_at = now;
		pd->today = ident_date_today(now);
	}
	return pd->today;
}
