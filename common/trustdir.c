/*
 * trustdir.c - is a directory controlled only by root and the daemon
 *
 * The walk keeps the resolved directory so far in cur (no links in it)
 * and what is left to resolve in rest; a link's target is spliced in
 * front of rest, so ".." after a link means the target's parent, as for
 * the kernel.
 */
#include "sysdep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privs.h"
#include "trustdir.h"

#define TRUSTDIR_MAX_LINKS	40	/* Linux's own limit */

/* trustdir_ids - root, the effective ids and the run ids */
void
trustdir_ids(struct trustdir_ids *ids, uid_t run_uid, gid_t run_gid)
{
	memset(ids, 0, sizeof(*ids));
	ids->uid[ids->nuid++] = 0;
	ids->uid[ids->nuid++] = geteuid();
	if (run_uid != (uid_t)-1)
		ids->uid[ids->nuid++] = run_uid;
	ids->gid[ids->ngid++] = 0;
	ids->gid[ids->ngid++] = getegid();
	if (run_gid != (gid_t)-1)
		ids->gid[ids->ngid++] = run_gid;
}

/* trustdir_also - one more trusted owner */
void
trustdir_also(struct trustdir_ids *ids, uid_t uid, const char *who)
{
	if (ids->nuid < sizeof(ids->uid) / sizeof(ids->uid[0]))
		ids->uid[ids->nuid++] = uid;
	snprintf(ids->also, sizeof(ids->also), "%s", who);
}

/* trusted_owners - "root or the daemon's user" and whoever was added */
static const char *
trusted_owners(const struct trustdir_ids *ids, char *out, size_t outlen)
{
	if (*ids->also == 0)
		return "root or the daemon's user";
	snprintf(out, outlen, "root, the daemon's user or %s", ids->also);
	return out;
}

/* judge_dir - one directory's owner and mode; last: no sticky exemption */
static int
judge_dir(const struct trustdir_ids *ids, const char *path,
    const struct stat *st, int last, char *err, size_t errlen)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	int sticky_ok = !last && (st->st_mode & S_ISVTX);
	char who[96], owners[128];

	if (!privs_has_uid(ids->uid, ids->nuid, st->st_uid)) {
		privs_user_text(st->st_uid, PRIVS_TEXT_ID, who, sizeof(who));
		snprintf(err, errlen, "directory %s is owned by %s, not by %s",
		    path, who, trusted_owners(ids, owners, sizeof(owners)));
		return -1;
	}
	if ((st->st_mode & S_IWOTH) && !sticky_ok) {
		snprintf(err, errlen, "directory %s (mode %04o) is writable by "
		    "every user", path, mode);
		return -1;
	}
	if ((st->st_mode & S_IWGRP) && !sticky_ok &&
	    !privs_has_gid(ids->gid, ids->ngid, st->st_gid)) {
		privs_group_text(st->st_gid, PRIVS_TEXT_ID, who, sizeof(who));
		snprintf(err, errlen, "directory %s (mode %04o) is writable by "
		    "group %s, which is neither root's nor the daemon's", path,
		    mode, who);
		return -1;
	}
	return 0;
}

/* fail_errno - report a system call's error, keeping errno for the caller */
static int
fail_errno(const char *what, int e, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	errno = e;
	return -1;
}

/* pop - drop the last component of a resolved path ("" is /) */
static void
pop(char *cur)
{
	char *s = strrchr(cur, '/');

	if (s != NULL)
		*s = 0;
}

/* trustdir_check - walk path from /, judging every directory and link */
int
trustdir_check(const struct trustdir_ids *ids, const char *path, int flags,
    char *err, size_t errlen)
{
	char cur[PATH_MAX], rest[PATH_MAX], tmp[PATH_MAX], target[PATH_MAX];
	const char *p, *comp;
	unsigned links = 0;
	struct stat st;
	size_t len, curlen;
	ssize_t n;

	if (*path != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	if (strlen(path) >= sizeof(rest))
		return fail_errno(path, ENAMETOOLONG, err, errlen);
	snprintf(rest, sizeof(rest), "%s", path);
	cur[0] = 0;
	if (lstat("/", &st) < 0)
		return fail_errno("/", errno, err, errlen);
	if (judge_dir(ids, "/", &st, 0, err, errlen) < 0)
		return -1;
	for (p = rest;;) {
		while (*p == '/')
			p++;
		if (*p == 0)
			break;
		comp = p;
		len = strcspn(p, "/");
		p += len;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			pop(cur);
			continue;
		}
		curlen = strlen(cur);
		if (curlen + 1 + len >= sizeof(cur))
			return fail_errno(path, ENAMETOOLONG, err, errlen);
		cur[curlen] = '/';
		memcpy(cur + curlen + 1, comp, len);
		cur[curlen + 1 + len] = 0;
		if (lstat(cur, &st) < 0)
			return fail_errno(cur, errno, err, errlen);
		if (S_ISLNK(st.st_mode)) {
			if (!privs_has_uid(ids->uid, ids->nuid, st.st_uid)) {
				privs_user_text(st.st_uid, PRIVS_TEXT_ID, tmp,
				    sizeof(tmp));
				snprintf(err, errlen, "symbolic link %s is owned "
				    "by %s, not by %s", cur, tmp,
				    trusted_owners(ids, target,
				    sizeof(target)));
				return -1;
			}
			if (++links > TRUSTDIR_MAX_LINKS)
				return fail_errno(path, ELOOP, err, errlen);
			if ((n = readlink(cur, target, sizeof(target) - 1)) < 0)
				return fail_errno(cur, errno, err, errlen);
			target[n] = 0;
			len = strlen(p);
			if ((size_t)n + 1 + len >= sizeof(tmp))
				return fail_errno(path, ENAMETOOLONG, err,
				    errlen);
			memcpy(tmp, target, (size_t)n);
			tmp[n] = '/';
			memcpy(tmp + n + 1, p, len + 1);
			memcpy(rest, tmp, (size_t)n + len + 2);
			p = rest;
			pop(cur);
			if (target[0] == '/')
				cur[0] = 0;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", cur);
			errno = ENOTDIR;
			return -1;
		}
		if (judge_dir(ids, cur, &st, 0, err, errlen) < 0)
			return -1;
	}
	/* the directory itself, without the exemption for sticky ones */
	if (lstat(*cur ? cur : "/", &st) < 0)
		return fail_errno(*cur ? cur : "/", errno, err, errlen);
	return judge_dir(ids, *cur ? cur : "/", &st,
	    !(flags & TRUSTDIR_PARENT), err, errlen);
}
