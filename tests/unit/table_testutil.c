/*
 * table_testutil.c - shared helpers of the table unit tests (the
 * contract is in table_testutil.h)
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table_testutil.h"

char	ttu_logged[1024];
int	ttu_nlogged;

static char tmpdir[256];

/* ttu_setup - a fresh private directory */
int
ttu_setup(const char *prefix)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/%sXXXXXX", base ? base : "/tmp",
	    prefix);
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* ttu_teardown - the files the group made, then the directory */
int
ttu_teardown(const char *const *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		unlink(ttu_path(files[i]));
	return rmdir(tmpdir);
}

/* ttu_dir - the private directory */
const char *
ttu_dir(void)
{
	return tmpdir;
}

/* ttu_path - a path inside the private directory */
const char *
ttu_path(const char *name)
{
	static char path[2][512];
	static int i;

	i = !i;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	return path[i];
}

/* ttu_put_file_len - write aside and rename, with the given mtime (0: now) */
void
ttu_put_file_len(const char *name, const char *text, size_t len,
    time_t mtime)
{
	char tmp[600], dst[512];
	struct timespec ts[2];
	int fd;

	snprintf(dst, sizeof(dst), "%s", ttu_path(name));
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	if (mtime != 0) {
		ts[0].tv_sec = ts[1].tv_sec = mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		assert_int_equal(futimens(fd, ts), 0);
	}
	close(fd);
	assert_int_equal(rename(tmp, dst), 0);
}

/* ttu_put_file - ttu_put_file_len for a C string */
void
ttu_put_file(const char *name, const char *text, time_t mtime)
{
	ttu_put_file_len(name, text, strlen(text), mtime);
}

/* ttu_capture - keep the last error line, count them */
void
ttu_capture(enum log_severity sev, const char *line, void *ctx)
{
	(void)ctx;
	if (sev == LOG_SEV_ERROR) {
		snprintf(ttu_logged, sizeof(ttu_logged), "%s", line);
		ttu_nlogged++;
	}
}
