/*
 * sockaccess.h - can a given user reach, or remove, a unix socket
 *
 * The daemons bind their sockets as root and then run as another user;
 * Postfix connects as a third. This module answers, from the permission
 * bits alone, the two questions that go wrong in practice:
 *
 * sockaccess_connect(): can u connect(2) to the socket at path? Yes when u
 * has search (x) permission on every directory of the resolved path
 * (realpath of the socket's directory) and write permission on the socket
 * file, judged by owner, group (u's primary and supplementary groups) or
 * other, as the kernel does: the first class that matches decides.
 * sockaccess_unlink(): can u remove it? Search on every directory, write
 * and search on the socket's directory, and with the sticky bit set, u
 * owns the directory or the file.
 * Both take the socket file's stat from the caller (sock, e.g. the mode
 * and owner a socket is about to get) or lstat() it (sock NULL); 1 = yes,
 * 0 = no and why names the first component that stops u (path, mode,
 * owner and group), -1 = cannot tell (a directory is missing) and why
 * says so. uid 0 may do anything. ACLs and LSMs are not considered.
 *
 * sockaccess_user_lookup() gives a user with the groups initgroups()
 * would give it (getgrouplist), as Postfix's daemons have them;
 * sockaccess_user_ids() one with only its primary group, as privs_drop()
 * leaves the daemons. sockaccess_user_free() frees the group list.
 *
 * sockaccess_postfix_user() names the user Postfix's daemons run as:
 * "postconf -h mail_owner" (postconf.h: found in $PATH, /usr/sbin or
 * /sbin, run without a shell, its process group killed after 2 s), else
 * "postfix" if that user exists; -1
 * when neither gives a user that exists (then there is nothing to check).
 * It blocks up to those 2 s: call it at start, not from the event loop.
 */
#ifndef PFH_SOCKACCESS_H
#define PFH_SOCKACCESS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct sockaccess_user {
	char	 name[64];
	uid_t	 uid;
	gid_t	 gid;
	gid_t	*groups;	/* every group, the primary one included */
	int	 ngroups;
};

int	sockaccess_user_lookup(const char *name, struct sockaccess_user *,
	    char *err, size_t errlen);
void	sockaccess_user_ids(struct sockaccess_user *, const char *name,
	    uid_t, gid_t);
void	sockaccess_user_free(struct sockaccess_user *);
int	sockaccess_connect(const struct sockaccess_user *, const char *path,
	    const struct stat *sock, char *why, size_t whylen);
int	sockaccess_unlink(const struct sockaccess_user *, const char *path,
	    const struct stat *sock, char *why, size_t whylen);
int	sockaccess_postfix_user(char *name, size_t namelen);
/* sockaccess_describe - "mode 0660, owner root, group sasl" */
const char *sockaccess_describe(const struct stat *, char *out, size_t outlen);

#endif /* PFH_SOCKACCESS_H */
