/*
 * trustdir.h - is a directory controlled only by root and the daemon
 *
 * A socket or pid file is only as safe as every directory on the way to
 * it: whoever can write to one of them can swap what lies below (the
 * socket, to collect passwords; the pid file, to have root write through
 * a link). trustdir_check() walks path from / and resolves each symbolic
 * link itself (lstat, readlink, at most 40 links), so every directory the
 * kernel would search is judged, the one holding a link as well as the
 * link's target. Each directory must be
 *   - owned by root, the daemon's effective uid or its run uid;
 *   - not group-writable, unless its group is root's (0), the daemon's
 *     effective gid or its run gid;
 *   - not world-writable, except a sticky one (/tmp) above the last: there
 *     only an entry's owner can rename or remove it, and the entry below
 *     is itself checked;
 * and each link met must be owned by a trusted uid (in a sticky directory
 * its owner could replace it). The last directory gets no sticky
 * exemption unless TRUSTDIR_PARENT says it only holds what the daemon is
 * about to create (the nearest existing parent of a missing run_dir).
 *
 * trustdir_ids() fills the trusted ids: root, the effective ids, and the
 * run ids (uid_t/gid_t -1 when the daemon keeps its ids); trustdir_also()
 * adds one owner more.
 * trustdir_check() returns 0 when path passes; -1 with err naming the
 * first component at fault (path, owner or mode), or the lookup error (a
 * missing component: errno is left ENOENT for the caller to tell).
 */
#ifndef PFH_TRUSTDIR_H
#define PFH_TRUSTDIR_H

#include <stddef.h>
#include <sys/types.h>

struct trustdir_ids {
	uid_t	uid[4];
	unsigned nuid;
	gid_t	gid[3];
	unsigned ngid;
	char	 also[64];	/* who trustdir_also() added, for errors */
};

#define TRUSTDIR_PARENT	1	/* the last directory may be sticky /tmp */

void	trustdir_ids(struct trustdir_ids *, uid_t run_uid, gid_t run_gid);
/*
 * trustdir_also - trust one more owner (uid), named in errors by who
 * ("Postfix's mail_owner"): for a directory that user already controls
 * and that could not betray more than that user sees anyway
 */
void	trustdir_also(struct trustdir_ids *, uid_t uid, const char *who);
int	trustdir_check(const struct trustdir_ids *, const char *path,
	    int flags, char *err, size_t errlen);

#endif /* PFH_TRUSTDIR_H */
