/*
 * fileread.h - read a whole data file, but only once it has stopped changing
 *
 * Why: a table emptied in place (": > file"), a copy still in progress or
 * an editor saving in place shows a reader a valid but smaller file. The
 * daemons must never load such a file, so every data file is read here.
 *
 * fileread_stable() opens path, fstat()s it, reads it to the end and
 * fstat()s it again. It takes the file only when nothing moved: the same
 * inode, size, mtime and ctime before and after, as many bytes read as the
 * size says, and (settle_ms > 0) an mtime at least settle_ms in the past,
 * so that a writer still at work is not caught half-way. An mtime more
 * than settle_ms in the future (a file copied with its times from a host
 * whose clock is ahead) is not a writer at work and is taken.
 * Returns:
 *   FILEREAD_OK        *text (NUL-terminated, the caller free()s it), *len
 *                      and *st (the identity of what was read);
 *   FILEREAD_CHANGING  the file is still changing (err says how; *st holds
 *                      the last identity seen); look again later;
 *   FILEREAD_ERROR     it cannot be read (err: "open FILE: reason", "FILE:
 *                      not a regular file"...); *have_st says whether *st
 *                      holds the identity of an existing file.
 * fileread_wait() is fileread_stable() that, while the file is still
 * changing, sleeps until it may have settled and looks again, for up to
 * wait_ms; then a file still changing is FILEREAD_CHANGING. It blocks: for
 * start-up and "check", or a loader thread, never the event loop.
 *
 * fileread_unterminated() says whether text has a last line without its
 * newline, the mark of a file cut short (a full disk, a killed copy):
 * its line number, or 0 when text is empty or ends with '\n'.
 *
 * fileread_confirmed() is the admin's confirmation of a file's current
 * contents: a file "PATH.confirm" whose mtime is not older than st's (the
 * admin ran "touch PATH.confirm" after the last change of PATH). A later
 * change of PATH makes the confirmation stale on its own, so the daemon
 * never needs to write or remove anything.
 *
 * Threads: no shared state; safe anywhere.
 */
#ifndef PFH_FILEREAD_H
#define PFH_FILEREAD_H

#include <stddef.h>
#include <sys/stat.h>

enum {
	FILEREAD_ERROR = -1,
	FILEREAD_OK = 0,
	FILEREAD_CHANGING = 1,
};

/* Suffix of the confirmation file. */
#define FILEREAD_CONFIRM	".confirm"

int	fileread_stable(const char *path, long long settle_ms, char **text,
	    size_t *len, struct stat *st, int *have_st, char *err,
	    size_t errlen);
int	fileread_wait(const char *path, long long settle_ms, long long wait_ms,
	    char **text, size_t *len, struct stat *st, int *have_st, char *err,
	    size_t errlen);
unsigned fileread_unterminated(const char *text, size_t len);
int	fileread_confirmed(const char *path, const struct stat *st);

#endif /* PFH_FILEREAD_H */
