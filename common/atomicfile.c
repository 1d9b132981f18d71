/*
 * atomicfile.c - temp file, fsync, rename, fsync the directory
 * (contract in atomicfile.h)
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

/* write_all - every byte, or -1 */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* sync_dir - make the rename itself durable */
static int
sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = -1;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = fsync(fd);
		(void)close(fd);
	}
	free(copy);
	return rc;
}

/* atomicfile_write - replace path with data, whole or not at all */
int
atomicfile_write(const char *path, const void *data, size_t len, mode_t mode,
    gid_t gid, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	const char *step;
	int fd, e;

	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		step = "create a temporary file";
		goto fail_nofd;
	}
	step = "set its mode";
	if (fchmod(fd, mode) < 0)
		goto fail;
	step = "set its group";
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
		goto fail;
	step = "write";
	if (write_all(fd, data, len) < 0)
		goto fail;
	/* a full disk may show only here */
	step = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	if (sync_dir(path) < 0) {
		/* the new file is in place; only its durability is unsure */
		snprintf(err, errlen, "%s: fsync of its directory: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	errno = e;
fail_nofd:
	snprintf(err, errlen, "%s: %s: %s (the file is unchanged)", path, step,
	    strerror(errno));
	free(tmp);
	return -1;
}
