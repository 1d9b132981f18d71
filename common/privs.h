/*
 * privs.h - dropping root after the sockets are bound
 *
 * privs_lookup() resolves a user (and optional group; default: the user's
 * primary group) once at startup, before anything blocks or chroots.
 * privs_drop() runs setgroups, setresgid, setresuid in that order, then
 * checks that root cannot be regained; any failure is fatal (a daemon that
 * meant to drop and did not must not run).
 */
#ifndef PFH_PRIVS_H
#define PFH_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct privs {
	uid_t	uid;
	gid_t	gid;
	char	user[64];
};

int	privs_lookup(const char *user, const char *group, struct privs *,
	    char *err, size_t errlen);
/* privs_group_gid - a group name or number to a gid */
int	privs_group_gid(const char *group, gid_t *, char *err, size_t errlen);
int	privs_user_uid(const char *user, uid_t *, char *err, size_t errlen);
void	privs_drop(const struct privs *);

#endif /* PFH_PRIVS_H */
