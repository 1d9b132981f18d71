/*
 * test_table_source.c - unit tests for table_source.c and fileread.c: a
 * reload only ever replaces a good table with a good one (cut short, still
 * changing, empty, shrinking; the confirmation), and loads on the loader
 * thread with the swap on the loop
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "fileread.h"
#include "log.h"
#include "table.h"
#include "table_testutil.h"

/* set_mtime - touch a file to a given time */
static void
set_mtime(const char *path, time_t mtime)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* has - the source's table answers key */
static int
has(const struct table_source *ts, const char *key)
{
	return ts->table != NULL &&
	    table_lookup(ts->table, key, strlen(key)) != NULL;
}

/* entries - "k0 v\nk1 v\n..." */
static char *
entries(unsigned n)
{
	static char buf[4096];
	size_t len = 0;
	unsigned i;

	buf[0] = 0;
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "k%u v\n", i);
	return buf;
}

static void
test_unterminated(void **state)
{
	struct table_source *ts;
	char want[800], err[800];

	(void)state;
	assert_int_equal(fileread_unterminated("", 0), 0);
	assert_int_equal(fileread_unterminated("a\n", 2), 0);
	assert_int_equal(fileread_unterminated("a", 1), 1);
	assert_int_equal(fileread_unterminated("a\nb\nc", 5), 3);

	/* first load: refused, the newline named first, the fragment unparsed */
	ttu_put_file("cut", "a 1\nb 2\nc sec", 1000000);
	assert_null(table_load(ttu_path("cut"), NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s, line 3: no newline at end of file: "
	    "the file may be cut short (a full disk, a copy or an edit still "
	    "in progress); if it is complete, end its last line with a "
	    "newline", ttu_path("cut"));
	assert_string_equal(err, want);

	/* reload: the old table stays */
	ttu_put_file("cut", "a 1\nb 2\nc secure\n", 1000000);
	ts = table_source_new(ttu_path("cut"), NULL);
	assert_int_equal(table_source_load(ts), 0);
	ttu_put_file("cut", "a 1\nb 2\nc sec", 1000001);
	assert_int_equal(table_source_check(ts), -1);
	assert_true(has(ts, "c"));
	assert_string_equal(ts->last_error, want);
	assert_int_equal(ts->last_errors, 1);
	/* in-memory strings have no such rule */
	table_source_free(ts);
}

static void
test_empty_and_shrink(void **state)
{
	struct table_source *ts;
	char want[800];

	(void)state;
	log_set_capture(ttu_capture, NULL);
	/* an empty file at the first load is an error */
	ttu_put_file("e", "# nothing yet\n", 1000000);
	ts = table_source_new(ttu_path("e"), NULL);
	assert_int_equal(table_source_load(ts), -1);
	assert_null(ts->table);
	assert_true(ts->held);
	snprintf(want, sizeof(want), "%s: no entries (the file is empty or "
	    "holds only comments): an empty table is refused; if it is meant "
	    "to be empty, confirm with: touch %s.confirm", ttu_path("e"),
	    ttu_path("e"));
	assert_string_equal(ts->last_error, want);
	/* confirmed: an empty table loads */
	ttu_put_file("e.confirm", "", 1000001);
	assert_int_equal(table_source_check(ts), 1);
	assert_non_null(ts->table);
	assert_int_equal(table_count(ts->table), 0);
	table_source_free(ts);
	unlink(ttu_path("e.confirm"));

	/* ten entries, then ": > file": held, old table answering */
	ttu_put_file("s", entries(10), 1000000);
	ts = table_source_new(ttu_path("s"), NULL);
	assert_int_equal(table_source_load(ts), 0);
	ttu_put_file("s", "", 1000010);
	ttu_nlogged = 0;
	assert_int_equal(table_source_check(ts), -1);
	assert_true(ts->held);
	assert_true(has(ts, "k9"));
	assert_int_equal(ts->last_errors, 1);
	snprintf(want, sizeof(want), "%s: no entries (the file is empty or "
	    "holds only comments): an empty table is refused on reload; if it "
	    "is meant to be empty, confirm with: touch %s.confirm; keeping the "
	    "table loaded before", ttu_path("s"), ttu_path("s"));
	assert_string_equal(ttu_logged, want);
	/* not retried while nothing changes */
	assert_int_equal(table_source_check(ts), 0);
	assert_int_equal(ttu_nlogged, 1);

	/* 10 -> 4 entries: 60% lost, more than 50%: held */
	ttu_put_file("s", entries(4), 1000020);
	assert_int_equal(table_source_check(ts), -1);
	assert_true(ts->held);
	assert_true(has(ts, "k9"));
	snprintf(want, sizeof(want), "%s: would drop 6 of its 10 entries "
	    "(60%%, more than table_shrink_limit = 50%%); if that is meant, "
	    "confirm with: touch %s.confirm", ttu_path("s"), ttu_path("s"));
	assert_string_equal(ts->last_error, want);
	/* a confirmation older than the file does not count */
	ttu_put_file("s.confirm", "", 1000019);
	assert_int_equal(table_source_check(ts), 0);
	assert_true(has(ts, "k9"));
	/* touched after the change: the next check loads it */
	set_mtime(ttu_path("s.confirm"), 1000021);
	assert_int_equal(table_source_check(ts), 1);
	assert_false(ts->held);
	assert_false(has(ts, "k9"));
	assert_int_equal(table_count(ts->table), 4);
	/* a later cut is not covered by that old confirmation */
	ttu_put_file("s", entries(1), 1000030);
	assert_int_equal(table_source_check(ts), -1);
	assert_int_equal(table_count(ts->table), 4);
	/* 4 -> 2 is exactly 50%: loads; with the limit off, 2 -> 1 too */
	ttu_put_file("s", entries(2), 1000040);
	assert_int_equal(table_source_check(ts), 1);
	table_source_guard(ts, 0, 0);
	ttu_put_file("s", entries(1), 1000050);
	assert_int_equal(table_source_check(ts), 1);
	/* ... but never an empty one */
	ttu_put_file("s", "\n", 1000060);
	assert_int_equal(table_source_check(ts), -1);
	assert_int_equal(table_count(ts->table), 1);
	table_source_free(ts);
	unlink(ttu_path("s.confirm"));
	log_set_capture(NULL, NULL);
}

static void
test_settle(void **state)
{
	struct table_source *ts;
	char *text, err[600];
	struct stat st;
	size_t len;
	int have_st;

	(void)state;
	/* a file modified just now is not taken */
	ttu_put_file("f", "a 1\n", 0);
	assert_int_equal(fileread_stable(ttu_path("f"), 1000, &text, &len, &st,
	    &have_st, err, sizeof(err)), FILEREAD_CHANGING);
	assert_non_null(strstr(err, "waiting for it to stay unchanged"));
	/* without a settle time it is */
	assert_int_equal(fileread_stable(ttu_path("f"), 0, &text, &len, &st,
	    &have_st, err, sizeof(err)), FILEREAD_OK);
	assert_int_equal(len, 4);
	free(text);
	/* a first load waits for it to settle */
	ts = table_source_new(ttu_path("f"), NULL);
	table_source_guard(ts, 300, 50);
	assert_int_equal(table_source_load(ts), 0);
	assert_true(has(ts, "a"));

	/* a reload of a fresh file is pending, not loaded, not an error */
	ttu_put_file("f", "a 1\nb 2\n", 0);
	assert_int_equal(table_source_check(ts), 0);
	assert_true(ts->pending);
	assert_false(has(ts, "b"));
	assert_int_equal(ts->failures, 0);
	/* the next look after it settled loads it */
	usleep(350000);
	assert_int_equal(table_source_check(ts), 1);
	assert_false(ts->pending);
	assert_true(has(ts, "b"));
	table_source_free(ts);
}

struct done {
	int	 calls, rc;
};

/* loaded - table_loaded_fn for the async test */
static void
loaded(struct table_source *ts, int rc, void *ctx)
{
	struct done *d = ctx;

	(void)ts;
	d->calls++;
	d->rc = rc;
}

/* run_until - run the loop until the callback count reaches n */
static void
run_until(struct ev *ev, struct done *d, int n)
{
	int i;

	for (i = 0; i < 500 && d->calls < n; i++)
		ev_run_once(ev, 20);
	assert_int_equal(d->calls, n);
}

static void
test_async(void **state)
{
	struct table_source *ts;
	struct done d = {0, 0};
	struct ev *ev = ev_new();
	struct table *before;

	(void)state;
	log_set_capture(ttu_capture, NULL);
	ttu_put_file("a", entries(10), 1000000);
	ts = table_source_new(ttu_path("a"), NULL);
	assert_int_equal(table_source_load(ts), 0);
	table_source_async(ts, ev, loaded, &d);
	before = ts->table;

	/* a change: started, not swapped until the loop runs the result */
	ttu_put_file("a", entries(12), 1000001);
	assert_int_equal(table_source_check(ts), 0);
	assert_true(ts->loading);
	assert_ptr_equal(ts->table, before);
	/* a second request while it runs is queued, not doubled */
	assert_int_equal(table_source_load(ts), 0);
	run_until(ev, &d, 1);
	assert_int_equal(d.rc, 1);
	assert_int_equal(table_count(ts->table), 12);
	run_until(ev, &d, 2);
	assert_int_equal(d.rc, 1);
	assert_false(ts->loading);

	/* refused in the background: old table, error recorded and logged */
	ttu_put_file("a", "k1 v\nbroken\n", 1000002);
	ttu_nlogged = 0;
	assert_int_equal(table_source_check(ts), 0);
	run_until(ev, &d, 3);
	assert_int_equal(d.rc, -1);
	assert_int_equal(table_count(ts->table), 12);
	assert_int_equal(ttu_nlogged, 1);
	assert_non_null(strstr(ttu_logged, "keeping the table loaded before"));

	/* freed while a load runs: no callback, no leak, no crash */
	ttu_put_file("a", entries(11), 1000003);
	assert_int_equal(table_source_check(ts), 0);
	table_source_free(ts);
	for (int i = 0; i < 20; i++)
		ev_run_once(ev, 10);
	assert_int_equal(d.calls, 3);
	log_set_capture(NULL, NULL);
}

static int
setup(void **state)
{
	(void)state;
	return ttu_setup("pfh-tsrc-");
}

static int
teardown(void **state)
{
	static const char *const files[] = {"cut", "e", "e.confirm", "s",
	    "s.confirm", "f", "a"};

	(void)state;
	return ttu_teardown(files, nitems(files));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_empty_and_shrink),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_async),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
