/*
 * sync_state.h - the state file beside each output: what the file holds
 *
 * OUTPUT.state is written (atomically, after the output) at every good
 * sync, as "name = value" lines:
 *   source = pgsql host=db1 port=5432 dbname=mail   (never a password)
 *   generation = 805:807:805    the store's snapshot of the read
 *   rows = 12
 *   synced_at = 1764789000      wall time, seconds since the epoch
 * Contract:
 *   sync_state_format() - the text of a state into out (-1 when out is
 *     full).
 *   sync_state_parse() - read such a text: 0 and st filled, or -1 with a
 *     reason ("line N: ...") for a line that is not "name = value", a
 *     value with a control character, a name given twice, a rows or
 *     synced_at that is not a decimal number in range, or a missing
 *     name. Unknown names are skipped (a newer writer). Never reads past
 *     len; text needs no terminator.
 * Pure: no I/O.
 */
#ifndef PFH_SYNC_STATE_H
#define PFH_SYNC_STATE_H

#include <stddef.h>
#include <time.h>

struct buf;

#define SYNC_STATE_TEXT	256

struct sync_state {
	char	source[SYNC_STATE_TEXT];
	char	generation[SYNC_STATE_TEXT];
	unsigned long long rows;
	time_t	synced_at;
};

int	sync_state_format(const struct sync_state *, struct buf *out);
int	sync_state_parse(const char *text, size_t len, struct sync_state *st,
	    char *err, size_t errlen);

#endif /* PFH_SYNC_STATE_H */
