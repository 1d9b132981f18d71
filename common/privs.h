/*
 * privs.h - users and groups: resolving and naming them, dropping root
 *
 * privs_lookup() resolves a user (and optional group; default: the user's
 * primary group) once at startup, before anything blocks or chroots.
 * privs_drop() runs setgroups, setresgid, setresuid in that order, then
 * checks that root cannot be regained; any failure is fatal (a daemon that
 * meant to drop and did not must not run).
 *
 * privs_user_text() and privs_group_text() name an id for a message:
 * PRIVS_TEXT_NAME gives the name, or the number when it has none ("root",
 * "4000"); PRIVS_TEXT_ID the name with the id, or the id alone ("root
 * (uid 0)", "uid 4000"; "gid" for a group). Both return out; they call
 * getpwuid()/getgrgid(), so they may block: not on the event loop.
 * privs_has_uid() and privs_has_gid() tell whether an id is one of the n
 * in a set (a user's groups, the ids a check trusts): 1 yes, 0 no.
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

#define PRIVS_TEXT_NAME	0	/* "root", or "4000" without a name */
#define PRIVS_TEXT_ID	1	/* "root (uid 0)", or "uid 4000" */

const char *privs_user_text(uid_t, int form, char *out, size_t outlen);
const char *privs_group_text(gid_t, int form, char *out, size_t outlen);
int	privs_has_uid(const uid_t *set, size_t n, uid_t);
int	privs_has_gid(const gid_t *set, size_t n, gid_t);

#endif /* PFH_PRIVS_H */
