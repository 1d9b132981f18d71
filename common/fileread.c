/*
 * fileread.c - read a whole data file, but only once it has stopped changing
 *
 * The before/after fstat() catches a writer that is active while we read;
 * the settle time catches one that paused just before we opened the file
 * (": > file" followed by the new contents a moment later, or a writer
 * between two write() calls). Neither can tell a file that a full disk cut
 * short for good: fileread_unterminated() and table_source's shrink guard
 * are there for that.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileread.h"
#include "xalloc.h"

/* read_all - the whole of an open file; NULL with errno set */
static char *
read_all(int fd, size_t hint, size_t *len_r)
{
	size_t cap = hint + 1, len = 0;
	char *data = xmalloc(cap + 1);
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap > SIZE_MAX / 4) {
				free(data);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			data = xreallocarray(data, cap + 1, 1);
		}
		n = read(fd, data + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(data);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = 0;
	*len_r = len;
	return data;
}

/* same_ts - two timestamps are equal */
static int
same_ts(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* age_ms - how long ago t was, on the wall clock (negative: the future) */
static long long
age_ms(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)(now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* fileread_stable - read path if it has stopped changing */
int
fileread_stable(const char *path, long long settle_ms, char **text,
    size_t *len, struct stat *st, int *have_st, char *err, size_t errlen)
{
	struct stat after;
	long long age;
	char *data;
	size_t n;
	int fd, saved;

	*have_st = 0;
	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return FILEREAD_ERROR;
	}
	if (fstat(fd, st) < 0) {
		saved = errno;
		close(fd);
		snprintf(err, errlen, "stat %s: %s", path, strerror(saved));
		return FILEREAD_ERROR;
	}
	*have_st = 1;
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return FILEREAD_ERROR;
	}
	if ((data = read_all(fd, (size_t)st->st_size, &n)) == NULL) {
		saved = errno;
		close(fd);
		snprintf(err, errlen, "read %s: %s", path, strerror(saved));
		return FILEREAD_ERROR;
	}
	if (fstat(fd, &after) < 0) {
		saved = errno;
		close(fd);
		free(data);
		snprintf(err, errlen, "stat %s: %s", path, strerror(saved));
		return FILEREAD_ERROR;
	}
	close(fd);
	if (after.st_size != st->st_size || (off_t)n != st->st_size ||
	    !same_ts(&after.st_mtim, &st->st_mtim) ||
	    !same_ts(&after.st_ctim, &st->st_ctim)) {
		*st = after;
		free(data);
		snprintf(err, errlen, "%s: changed while it was read (%zu "
		    "bytes read, %lld now): still being written?", path, n,
		    (long long)after.st_size);
		return FILEREAD_CHANGING;
	}
	age = age_ms(&st->st_mtim);
	if (settle_ms > 0 && age < settle_ms && age > -settle_ms) {
		free(data);
		snprintf(err, errlen, "%s: modified %lld ms ago: waiting for "
		    "it to stay unchanged for %lld ms", path, age < 0 ? 0 : age,
		    settle_ms);
		return FILEREAD_CHANGING;
	}
	*text = data;
	*len = n;
	return FILEREAD_OK;
}

/* fileread_wait - fileread_stable, looking again while the file settles */
int
fileread_wait(const char *path, long long settle_ms, long long wait_ms,
    char **text, size_t *len, struct stat *st, int *have_st, char *err,
    size_t errlen)
{
	long long waited = 0, nap, age;
	struct timespec ts;
	int rc;

	for (;;) {
		rc = fileread_stable(path, settle_ms, text, len, st, have_st,
		    err, errlen);
		if (rc != FILEREAD_CHANGING || waited >= wait_ms)
			return rc;
		/* until the mtime is old enough, or a short look again */
		age = age_ms(&st->st_mtim);
		nap = settle_ms > age && age >= 0 ? settle_ms - age + 10 : 100;
		if (nap > wait_ms - waited)
			nap = wait_ms - waited;
		if (nap < 10)
			nap = 10;
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = nap % 1000 * 1000000;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		waited += nap;
	}
}

/* fileread_unterminated - line number of a last line without '\n', or 0 */
unsigned
fileread_unterminated(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned line = 1;

	if (len == 0 || text[len - 1] == '\n')
		return 0;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

/* fileread_confirmed - PATH.confirm is at least as new as st */
int
fileread_confirmed(const char *path, const struct stat *st)
{
	struct stat cst;
	char *cpath;
	int rc;

	cpath = xmalloc(strlen(path) + sizeof(FILEREAD_CONFIRM));
	memcpy(cpath, path, strlen(path));
	memcpy(cpath + strlen(path), FILEREAD_CONFIRM,
	    sizeof(FILEREAD_CONFIRM));
	rc = stat(cpath, &cst);
	free(cpath);
	if (rc < 0)
		return 0;
	return cst.st_mtim.tv_sec > st->st_mtim.tv_sec ||
	    (cst.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	    cst.st_mtim.tv_nsec >= st->st_mtim.tv_nsec);
}
