/*
 * table_testutil.h - what test_table and test_table_source share: a
 * private directory, table files written the way admins' tools write
 * them, and the error lines the code under test logs
 *
 * Contract (names start with ttu_, "table test util"):
 *   - ttu_setup(prefix) makes a fresh directory, $TMPDIR (or /tmp)
 *     /<prefix>XXXXXX, for the group's files: 0, or -1 (a cmocka group
 *     setup returns it as is). ttu_teardown(files, n) removes those n file
 *     names from it (missing ones are fine) and the directory: rmdir's
 *     result. ttu_dir() is the directory.
 *   - ttu_path(name) is name inside the directory, in one of two static
 *     buffers used in turn: two calls may stand in one expression.
 *   - ttu_put_file() and ttu_put_file_len() replace a file by writing it
 *     aside and renaming it, with mtime as its modification time (0: now),
 *     so change detection never hangs on the clock's granularity; any
 *     failure fails the test.
 *   - ttu_capture is a log_capture_fn for log_set_capture(): it keeps the
 *     last error line in ttu_logged and counts error lines in ttu_nlogged
 *     (a test resets the count itself); other severities are dropped.
 */
#ifndef PFH_TABLE_TESTUTIL_H
#define PFH_TABLE_TESTUTIL_H

#include <stddef.h>
#include <time.h>

#include "log.h"

extern char ttu_logged[1024];
extern int ttu_nlogged;

int	ttu_setup(const char *prefix);
int	ttu_teardown(const char *const *files, size_t n);
const char *ttu_dir(void);
const char *ttu_path(const char *name);
void	ttu_put_file(const char *name, const char *text, time_t mtime);
void	ttu_put_file_len(const char *name, const char *text, size_t len,
	    time_t mtime);
void	ttu_capture(enum log_severity, const char *line, void *ctx);

#endif /* PFH_TABLE_TESTUTIL_H */
