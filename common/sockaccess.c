/*
 * sockaccess.c - can a given user reach, or remove, a unix socket
 */
#include "sysdep.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "postconf.h"
#include "privs.h"
#include "sockaccess.h"
#include "xalloc.h"

#define POSTCONF_TIMEOUT_MS	5000	/* as tlsmap's postconf_timeout */

#define MAY_R	4
#define MAY_W	2
#define MAY_X	1

/* sockaccess_user_ids - a user with only its primary group */
void
sockaccess_user_ids(struct sockaccess_user *u, const char *name, uid_t uid,
    gid_t gid)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = uid;
	u->gid = gid;
	u->groups = xcalloc(1, sizeof(gid_t));
	u->groups[0] = gid;
	u->ngroups = 1;
}

/* sockaccess_user_lookup - a user with its supplementary groups */
int
sockaccess_user_lookup(const char *name, struct sockaccess_user *u,
    char *err, size_t errlen)
{
	struct passwd *pw;
	int n = 16;

	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "unknown user \"%s\"", name);
		return -1;
	}
	sockaccess_user_ids(u, name, pw->pw_uid, pw->pw_gid);
	for (;;) {
		int got = n;

		u->groups = xreallocarray(u->groups, (size_t)n, sizeof(gid_t));
		if (getgrouplist(name, pw->pw_gid, u->groups, &got) >= 0) {
			u->ngroups = got;
			return 0;
		}
		if (got <= n)
			n *= 2;
		else
			n = got;
		if (n > 65536) {
			snprintf(err, errlen, "%s: too many groups", name);
			sockaccess_user_free(u);
			return -1;
		}
	}
}

/* sockaccess_user_free - the group list */
void
sockaccess_user_free(struct sockaccess_user *u)
{
	free(u->groups);
	u->groups = NULL;
	u->ngroups = 0;
}

/* may - the permission bits the kernel would use for u (one class only) */
static int
may(const struct sockaccess_user *u, const struct stat *st, int bits)
{
	mode_t m = st->st_mode;

	if (u->uid == 0)
		return 1;
	if (st->st_uid == u->uid)
		m >>= 6;
	else if (privs_has_gid(u->groups, (size_t)u->ngroups, st->st_gid))
		m >>= 3;
	return ((int)m & bits) == bits;
}

/* sockaccess_describe - mode, owner and group of a file */
const char *
sockaccess_describe(const struct stat *st, char *out, size_t outlen)
{
	char un[256], gn[256];

	snprintf(out, outlen, "mode %04o, owner %s, group %s",
	    (unsigned)(st->st_mode & 07777),
	    privs_user_text(st->st_uid, PRIVS_TEXT_NAME, un, sizeof(un)),
	    privs_group_text(st->st_gid, PRIVS_TEXT_NAME, gn, sizeof(gn)));
	return out;
}

/*
 * walk_dirs - search permission on every directory of the socket's
 * resolved directory; the directory itself (resolved) goes to dir and its
 * stat to dst
 */
static int
walk_dirs(const struct sockaccess_user *u, const char *path, char *dir,
    struct stat *dst, char *why, size_t whylen)
{
	char parent[PATH_MAX], *slash, desc[160];
	struct stat st;
	size_t i;

	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = 0;
	else
		*slash = 0;
	if (realpath(parent, dir) == NULL) {
		snprintf(why, whylen, "directory %s: %s", parent,
		    strerror(errno));
		return -1;
	}
	/* "/", "/a", "/a/b": each prefix of the resolved directory */
	for (i = 1;; i++) {
		char c = dir[i];
		const char *name = i == 1 ? "/" : dir;

		if (i > 1 && c != '/' && c != 0)
			continue;
		if (i > 1)
			dir[i] = 0;
		if (stat(name, &st) < 0) {
			snprintf(why, whylen, "directory %s: %s", name,
			    strerror(errno));
			dir[i] = c;
			return -1;
		}
		if (!may(u, &st, MAY_X)) {
			snprintf(why, whylen, "no search (x) permission on "
			    "directory %s (%s)", name,
			    sockaccess_describe(&st, desc, sizeof(desc)));
			dir[i] = c;
			return 0;
		}
		dir[i] = c;
		if (c == 0 || (i == 1 && dir[1] == 0))
			break;
	}
	*dst = st;
	return 1;
}

/* the two questions answered by ask() */
enum question {
	CAN_CONNECT,
	CAN_UNLINK,
};

/*
 * ask - walk_dirs (its answer, when not 1), the socket file's stat (from
 * the caller, sock, or lstat), then what q needs on top of that
 */
static int
ask(enum question q, const struct sockaccess_user *u, const char *path,
    const struct stat *sock, char *why, size_t whylen)
{
	char dir[PATH_MAX], desc[160];
	struct stat dst, st;
	int r;

	*why = 0;
	if ((r = walk_dirs(u, path, dir, &dst, why, whylen)) <= 0)
		return r;
	if (sock != NULL)
		st = *sock;
	else if (lstat(path, &st) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (q == CAN_CONNECT) {
		if (!may(u, &st, MAY_W)) {
			snprintf(why, whylen, "no write permission on the "
			    "socket %s (%s)", path,
			    sockaccess_describe(&st, desc, sizeof(desc)));
			return 0;
		}
		return 1;
	}
	if (!may(u, &dst, MAY_W | MAY_X)) {
		snprintf(why, whylen, "no write permission on directory %s "
		    "(%s)", dir, sockaccess_describe(&dst, desc, sizeof(desc)));
		return 0;
	}
	if ((dst.st_mode & S_ISVTX) && u->uid != 0 && u->uid != dst.st_uid &&
	    u->uid != st.st_uid) {
		snprintf(why, whylen, "directory %s is sticky (%s) and the "
		    "socket is not %s's", dir,
		    sockaccess_describe(&dst, desc, sizeof(desc)), u->name);
		return 0;
	}
	return 1;
}

/* sockaccess_connect - can u connect to the socket */
int
sockaccess_connect(const struct sockaccess_user *u, const char *path,
    const struct stat *sock, char *why, size_t whylen)
{
	return ask(CAN_CONNECT, u, path, sock, why, whylen);
}

/* sockaccess_unlink - can u remove the socket */
int
sockaccess_unlink(const struct sockaccess_user *u, const char *path,
    const struct stat *sock, char *why, size_t whylen)
{
	return ask(CAN_UNLINK, u, path, sock, why, whylen);
}

/* run_postconf - "postconf -h mail_owner": its first word, or -1 */
static int
run_postconf(char *out, size_t outlen)
{
	static const char *const args[] = {"-h", "mail_owner", NULL};
	char path[PATH_MAX], buf[256], why[1024];

	/* the caller falls back to "postfix": say why, once per start */
	if (postconf_find("postconf", path, sizeof(path), why,
	    sizeof(why)) < 0 || postconf_run(path, args, POSTCONF_TIMEOUT_MS,
	    buf, sizeof(buf), why, sizeof(why)) < 0) {
		log_info("Postfix's mail_owner unknown (%s): checking the "
		    "sockets for user postfix", why);
		return -1;
	}
	buf[strcspn(buf, " \t\r\n")] = 0;
	if (*buf == 0)
		return -1;
	snprintf(out, outlen, "%s", buf);
	return 0;
}

/* sockaccess_postfix_user - mail_owner, or "postfix", if the user exists */
int
sockaccess_postfix_user(char *name, size_t namelen)
{
	if (run_postconf(name, namelen) == 0 && getpwnam(name) != NULL)
		return 0;
	if (getpwnam("postfix") != NULL) {
		snprintf(name, namelen, "postfix");
		return 0;
	}
	return -1;
}
