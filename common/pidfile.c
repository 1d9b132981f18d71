/*
 * pidfile.c - the pid file
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pidfile.h"

static int pidfile_fd = -1;

/* pidfile_create - write and lock */
int
pidfile_create(const char *path, char *err, size_t errlen)
{
	char text[32];
	int fd, n;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "open pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = 0;
		text[strcspn(text, "\n")] = 0;
		snprintf(err, errlen, "pid file %s is locked: already running as pid %s",
		    path, *text ? text : "?");
		close(fd);
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n) {
		snprintf(err, errlen, "write pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pidfile_fd = fd;
	return 0;
}

/* pidfile_remove - unlink at exit */
void
pidfile_remove(const char *path)
{
	if (pidfile_fd >= 0) {
		(void)unlink(path);
		close(pidfile_fd);
		pidfile_fd = -1;
	}
}
