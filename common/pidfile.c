/*
 * pidfile.c - the pid file
 *
 * The directory is opened once and the file is opened, checked and later
 * removed relative to it (openat, fstatat, unlinkat), so a directory
 * swapped after the check cannot redirect what we write or remove.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"
#include "trustdir.h"

static int pidfile_fd = -1;
static int pidfile_dirfd = -1;
static char pidfile_base[NAME_MAX + 1];
static dev_t pidfile_dev;
static ino_t pidfile_ino;

/* split - absolute directory and last component of path */
static int
split(const char *path, char *dir, size_t dirlen, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int n;

	if (*base == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strlen(base) >= sizeof(pidfile_base)) {
		snprintf(err, errlen, "pid file %s: not a file name", path);
		return -1;
	}
	snprintf(pidfile_base, sizeof(pidfile_base), "%s", base);
	if (slash == path)
		n = snprintf(dir, dirlen, "/");
	else if (slash != NULL && *path == '/')
		n = snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "pid file %s: getcwd: %s", path,
		    strerror(errno));
		return -1;
	} else if (slash != NULL)
		n = snprintf(dir, dirlen, "%s/%.*s", cwd, (int)(slash - path),
		    path);
	else
		n = snprintf(dir, dirlen, "%s", cwd);
	if (n < 0 || (size_t)n >= dirlen) {
		snprintf(err, errlen, "pid file %s: path too long", path);
		return -1;
	}
	return 0;
}

/* open_checked - open without following or truncating; ours, regular, alone */
static int
open_checked(const char *path, int dirfd, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, pidfile_base, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ELOOP) {
		snprintf(err, errlen, "pid file %s is a symbolic link: refusing "
		    "to follow it (remove it; the daemon creates the file)",
		    path);
		return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "open pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "pid file %s: fstat: %s", path,
		    strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "pid file %s is not a regular file: "
		    "refusing to write to it (remove it)", path);
	} else if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "pid file %s is owned by uid %lu, not by "
		    "the daemon (uid %lu): refusing to write to it (remove it)",
		    path, (unsigned long)st.st_uid, (unsigned long)geteuid());
	} else if (st.st_nlink != 1) {
		snprintf(err, errlen, "pid file %s has %lu hard links: refusing "
		    "to write to a file that is also elsewhere (remove it)",
		    path, (unsigned long)st.st_nlink);
	} else {
		pidfile_dev = st.st_dev;
		pidfile_ino = st.st_ino;
		return fd;
	}
	close(fd);
	return -1;
}

/* pidfile_create - check, open, lock, then truncate and write */
int
pidfile_create(const char *path, uid_t run_uid, gid_t run_gid, char *err,
    size_t errlen)
{
	struct trustdir_ids ids;
	char dir[PATH_MAX], why[768], text[32];
	int dirfd, fd, n;

	if (split(path, dir, sizeof(dir), err, errlen) < 0)
		return -1;
	trustdir_ids(&ids, run_uid, run_gid);
	if (trustdir_check(&ids, dir, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "pid file %s: %s: whoever controls the "
		    "directory could have the daemon write through a link it "
		    "plants", path, why);
		return -1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "pid file %s: open %s: %s", path, dir,
		    strerror(errno));
		return -1;
	}
	if ((fd = open_checked(path, dirfd, err, errlen)) < 0) {
		close(dirfd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = 0;
		text[strcspn(text, "\n")] = 0;
		snprintf(err, errlen, "pid file %s is locked: already running "
		    "as pid %s", path, *text ? text : "?");
		close(fd);
		close(dirfd);
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n) {
		snprintf(err, errlen, "write pid file %s: %s", path,
		    strerror(errno));
		close(fd);
		close(dirfd);
		return -1;
	}
	pidfile_fd = fd;
	pidfile_dirfd = dirfd;
	return 0;
}

/* pidfile_remove - unlink at exit, only while the name is still our file */
void
pidfile_remove(void)
{
	struct stat st;

	if (pidfile_fd < 0)
		return;
	if (fstatat(pidfile_dirfd, pidfile_base, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == pidfile_dev &&
	    st.st_ino == pidfile_ino)
		(void)unlinkat(pidfile_dirfd, pidfile_base, 0);
	close(pidfile_fd);
	close(pidfile_dirfd);
	pidfile_fd = pidfile_dirfd = -1;
}
