/*
 * test_table.c - unit tests for table.c: parsing, callbacks, reload
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "table.h"
#include "table_testutil.h"
#include "xalloc.h"

static long objs_live;		/* value objects not yet freed */

/* key_norm - lower-case, drop ':'; refuse '!' */
static int
key_norm(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	size_t i, o = 0;

	(void)arg;
	for (i = 0; i < *len; i++) {
		if (key[i] == '!') {
			snprintf(err, errlen, "key contains '!'");
			return -1;
		}
		if (key[i] != ':')
			key[o++] = (char)tolower((unsigned char)key[i]);
	}
	*len = o;
	return 0;
}

/* value_num - the value as a malloc'd long; "silent" fails without a message */
static void *
value_num(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	long *obj;
	char *end;
	long v;

	(void)key;
	(void)arg;
	if (strcmp(value, "silent") == 0)
		return NULL;
	errno = 0;
	v = strtol(value, &end, 10);
	if (*value == 0 || *end != 0 || errno != 0) {
		snprintf(err, errlen, "bad number \"%s\"", value);
		return NULL;
	}
	obj = xmalloc(sizeof(*obj));
	*obj = v;
	objs_live++;
	return obj;
}

static void
free_num(void *obj, void *arg)
{
	(void)arg;
	objs_live--;
	free(obj);
}

static const struct table_ops ops_plain = {0};
static const struct table_ops ops_sep = {.sep = ':'};
static const struct table_ops ops_sep_empty = {.sep = ':',
    .allow_empty_value = 1};
static const struct table_ops ops_empty = {.allow_empty_value = 1};
static const struct table_ops ops_dup = {.allow_dup_first = 1};
static const struct table_ops ops_cb = {.key = key_norm, .value = value_num,
    .free_value = free_num};
static const struct table_ops ops_cb_dup = {.key = key_norm,
    .value = value_num, .free_value = free_num, .allow_dup_first = 1};
static const struct table_ops ops_sep_cb = {.key = key_norm,
    .value = value_num, .free_value = free_num, .sep = '='};

struct kv {
	const char *key, *value;
	unsigned line;
};

static const struct parse_case {
	const char *name;
	const char *text;
	const struct table_ops *ops;
	const char *err;		/* NULL: must load */
	size_t	count;
	struct kv want[4];
} parse_cases[] = {
	{"basic", "a 1\nb 2\n", &ops_plain, NULL, 2,
	    {{"a", "1", 1}, {"b", "2", 2}}},
	{"empty text", "", &ops_plain, NULL, 0, {{NULL, NULL, 0}}},
	{"only comments and blanks", "# x\n\n  \n\t# y\n", &ops_plain, NULL, 0,
	    {{NULL, NULL, 0}}},
	{"comments, blanks, trailing blanks",
	    "# c\n\na 1\n   \n# d\nb \t 2  \n", &ops_plain, NULL, 2,
	    {{"a", "1", 3}, {"b", "2", 6}}},
	{"no final newline", "a 1\nb 2", &ops_plain, NULL, 2,
	    {{"b", "2", 2}}},
	{"CRLF", "a 1\r\nb 2\r\n", &ops_plain, NULL, 2,
	    {{"a", "1", 1}, {"b", "2", 2}}},
	{"tabs and inner blanks", "a\t\tv  w\n", &ops_plain, NULL, 1,
	    {{"a", "v  w", 1}}},
	{"continuation keeps its leading blanks",
	    "a 1\n  2\n\t3\nb x\n", &ops_plain, NULL, 2,
	    {{"a", "1  2\t3", 1}, {"b", "x", 4}}},
	{"continuation across comment and blank",
	    "a 1\n# c\n\n  2\nb 3\n", &ops_plain, NULL, 2,
	    {{"a", "1  2", 1}, {"b", "3", 5}}},
	{"value only on continuation", "a\n  v\n", &ops_plain, NULL, 1,
	    {{"a", "v", 1}}},
	{"# inside a value is data", "a 1 # not a comment\n", &ops_plain, NULL,
	    1, {{"a", "1 # not a comment", 1}}},
	{"leading continuation", " a 1\n", &ops_plain,
	    "t, line 1: continuation line without an entry above it", 0,
	    {{NULL, NULL, 0}}},
	{"missing value", "a 1\n\nb\n", &ops_plain,
	    "t, line 3: missing value for key \"b\"", 0, {{NULL, NULL, 0}}},
	{"missing value after blanks", "a   \t\n", &ops_plain,
	    "t, line 1: missing value for key \"a\"", 0, {{NULL, NULL, 0}}},
	{"empty value allowed", "a\nb   \nc 1\n", &ops_empty, NULL, 3,
	    {{"a", "", 1}, {"b", "", 2}, {"c", "1", 3}}},
	{"duplicate", "a 1\nb 2\n# c\na 3\n", &ops_plain,
	    "t, line 4: duplicate key \"a\" (first on line 1)", 0, {{NULL, NULL, 0}}},
	{"duplicate on a continued line cites its first line",
	    "a 1\nb 2\na\n  3\n", &ops_plain,
	    "t, line 3: duplicate key \"a\" (first on line 1)", 0, {{NULL, NULL, 0}}},
	{"duplicate, first kept", "a 1\nb 2\na 3\n", &ops_dup, NULL, 2,
	    {{"a", "1", 1}, {"b", "2", 2}}},
	{"sep mode", "user:hash\n  bob : h2  \n# c\n\nx:$6$a:b c\n",
	    &ops_sep, NULL, 3,
	    {{"user", "hash", 1}, {"bob", "h2", 2}, {"x", "$6$a:b c", 5}}},
	{"sep mode has no continuations", "a:1\n  b:2\n", &ops_sep, NULL, 2,
	    {{"a", "1", 1}, {"b", "2", 2}}},
	{"sep mode key may hold blanks", "a b:1\n", &ops_sep, NULL, 1,
	    {{"a b", "1", 1}}},
	{"sep mode missing sep", "a:1\nnosep\n", &ops_sep,
	    "t, line 2: missing ':' after the key", 0, {{NULL, NULL, 0}}},
	{"sep mode empty key", ":v\n", &ops_sep, "t, line 1: empty key", 0,
	    {{NULL, NULL, 0}}},
	{"sep mode empty value", "a:1\nx:  \n", &ops_sep,
	    "t, line 2: missing value for key \"x\"", 0, {{NULL, NULL, 0}}},
	{"sep mode empty value allowed", "x:\n", &ops_sep_empty, NULL, 1,
	    {{"x", "", 1}}},
	{"a quoted key is sanitised", "a\033\"b\\:1\na\033\"b\\:2\n",
	    &ops_sep, "t, line 2: duplicate key \"a??b?\" (first on line 1)",
	    0, {{NULL, NULL, 0}}},
	{"sep mode never quotes the value", "x:Summer2024\nx:Summer2024\n",
	    &ops_sep, "t, line 2: duplicate key \"x\" (first on line 1)", 0,
	    {{NULL, NULL, 0}}},
	{"callbacks normalise", "AA:BB 10\ncc 20\n", &ops_cb, NULL, 2,
	    {{"aabb", "10", 1}, {"cc", "20", 2}}},
	{"key callback rejects", "good 1\n\nbad!key 2\n", &ops_cb,
	    "t, line 3: key contains '!'", 0, {{NULL, NULL, 0}}},
	{"key callback rejects a continued line", "good 1\nbad! \n  2\n",
	    &ops_cb, "t, line 2: key contains '!'", 0, {{NULL, NULL, 0}}},
	{"value callback rejects", "a 1\nb\n  x\n", &ops_cb,
	    "t, line 2: bad number \"x\"", 0, {{NULL, NULL, 0}}},
	{"value callback rejects without a message", "a 1\nb silent\n",
	    &ops_cb, "t, line 2: invalid value", 0, {{NULL, NULL, 0}}},
	{"normalised keys collide", "AA 1\n\na:a 2\n", &ops_cb,
	    "t, line 3: duplicate key \"aa\" (first on line 1)", 0, {{NULL, NULL, 0}}},
	{"normalised collision, first kept", "AA 1\naa 2\n", &ops_cb_dup,
	    NULL, 1, {{"aa", "1", 1}}},
	{"bad value in an ignored duplicate still rejects", "a 1\na x\n",
	    &ops_cb_dup, "t, line 2: bad number \"x\"", 0, {{NULL, NULL, 0}}},
	{"key normalised to nothing", "::: 1\n", &ops_cb,
	    "t, line 1: empty key after normalisation", 0, {{NULL, NULL, 0}}},
	{"sep with callbacks", "A:B = 5\n", &ops_sep_cb, NULL, 1,
	    {{"ab", "5", 1}}},
};

static void
test_parse_cases(void **state)
{
	const struct table_entry *e;
	struct table *t;
	char err[512];
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(parse_cases); i++) {
		const struct parse_case *tc = parse_cases + i;

		err[0] = 0;
		t = table_load_string(tc->text, strlen(tc->text), "t", tc->ops,
		    err, sizeof(err));
		if (tc->err != NULL) {
			if (t != NULL)
				fail_msg("%s: loaded", tc->name);
			if (strcmp(err, tc->err) != 0)
				fail_msg("%s:\n got \"%s\"\nwant \"%s\"",
				    tc->name, err, tc->err);
			if (objs_live != 0)
				fail_msg("%s: %ld objects leaked", tc->name,
				    objs_live);
			continue;
		}
		if (t == NULL)
			fail_msg("%s: %s", tc->name, err);
		if (table_count(t) != tc->count)
			fail_msg("%s: %zu entries", tc->name, table_count(t));
		assert_string_equal(table_path(t), "t");
		for (j = 0; j < nitems(tc->want) && tc->want[j].key; j++) {
			const struct kv *w = tc->want + j;

			e = table_lookup(t, w->key, strlen(w->key));
			if (e == NULL)
				fail_msg("%s: no key \"%s\"", tc->name, w->key);
			if (strcmp(e->key, w->key) != 0 ||
			    strcmp(e->value, w->value) != 0 ||
			    e->line != w->line)
				fail_msg("%s: \"%s\" -> \"%s\" line %u", tc->name,
				    e->key, e->value, e->line);
			if (tc->ops->value != NULL &&
			    *(long *)e->obj != strtol(w->value, NULL, 10))
				fail_msg("%s: obj", tc->name);
			if (tc->ops->value == NULL && e->obj != NULL)
				fail_msg("%s: obj without callback", tc->name);
		}
		table_unref(t);
		if (objs_live != 0)
			fail_msg("%s: %ld objects leaked", tc->name, objs_live);
	}
}

/* Lookups match keys as given, by length, without normalising. */
static void
test_lookup_exact(void **state)
{
	static const char text[] = "Key v\nk 1\nkey2 2\n";
	struct table *t;
	char err[256];

	(void)state;
	t = table_load_string(text, sizeof(text) - 1, "t", NULL, err,
	    sizeof(err));
	assert_non_null(t);
	assert_null(table_lookup(t, "key", 3));
	assert_non_null(table_lookup(t, "Key", 3));
	assert_non_null(table_lookup(t, "key2", 4));
	assert_non_null(table_lookup(t, "key2", 1));	/* "k" */
	assert_null(table_lookup(t, "key2", 3));
	assert_null(table_lookup(t, "", 0));
	table_unref(t);
}

/* Text with a NUL is refused at that line; len, not strlen, bounds input. */
static void
test_nul_and_len(void **state)
{
	static const char text[] = "a 1\nb\0 2\n";
	struct table *t;
	char err[256];

	(void)state;
	t = table_load_string(text, sizeof(text) - 1, "t", NULL, err,
	    sizeof(err));
	assert_null(t);
	assert_string_equal(err, "t, line 2: NUL byte in line");
	/* only the first 4 bytes: "a 1\n" */
	t = table_load_string(text, 4, "t", NULL, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_count(t), 1);
	table_unref(t);
	/* NULL or tiny error buffers are tolerated */
	assert_null(table_load_string("x", 1, "t", NULL, NULL, 0));
	assert_null(table_load_string("x", 1, "t", NULL, err, 1));
	assert_string_equal(err, "");
}

struct visit {
	char	seen[64];
	int	stop_at;
	int	n;
};

static int
visit(const struct table_entry *e, void *ctx)
{
	struct visit *v = ctx;

	strcat(v->seen, e->key);
	return ++v->n == v->stop_at ? 42 : 0;
}

static void
test_foreach_order(void **state)
{
	static const char text[] = "c 1\na 2\nb\n 3\nc 4\nd 5\n";
	struct visit v;
	struct table *t;
	char err[256];

	(void)state;
	t = table_load_string(text, sizeof(text) - 1, "t", &ops_dup, err,
	    sizeof(err));
	assert_non_null(t);
	memset(&v, 0, sizeof(v));
	assert_int_equal(table_foreach(t, visit, &v), 0);
	assert_string_equal(v.seen, "cabd");
	memset(&v, 0, sizeof(v));
	v.stop_at = 2;
	assert_int_equal(table_foreach(t, visit, &v), 42);
	assert_string_equal(v.seen, "ca");
	table_unref(t);
}

/* Objects are freed once, by the last unref. */
static void
test_refcount(void **state)
{
	static const char text[] = "a 1\nb 2\nc 3\n";
	const struct table_entry *e;
	struct table *t, *t2;
	char err[256];

	(void)state;
	t = table_load_string(text, sizeof(text) - 1, "t", &ops_cb, err,
	    sizeof(err));
	assert_non_null(t);
	assert_int_equal(objs_live, 3);
	t2 = table_ref(t);
	assert_ptr_equal(t, t2);
	table_unref(t);
	assert_int_equal(objs_live, 3);
	e = table_lookup(t2, "b", 1);
	assert_non_null(e);
	assert_int_equal(*(long *)e->obj, 2);
	table_unref(t2);
	assert_int_equal(objs_live, 0);
	table_unref(NULL);
}

static void
test_files(void **state)
{
	char want[600], err[600];
	struct table *t;

	(void)state;
	ttu_put_file("f1", "k1 v1\n# c\nk2\n  v2\n", 1000000);
	t = table_load(ttu_path("f1"), NULL, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_count(t), 2);
	assert_string_equal(table_path(t), ttu_path("f1"));
	assert_string_equal(table_lookup(t, "k2", 2)->value, "v2");
	assert_int_equal(table_lookup(t, "k2", 2)->line, 3);
	table_unref(t);

	ttu_put_file("bad", "k1 v1\nk1 v2\n", 1000000);
	assert_null(table_load(ttu_path("bad"), NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s, line 2: duplicate key \"k1\" "
	    "(first on line 1)", ttu_path("bad"));
	assert_string_equal(err, want);

	assert_null(table_load(ttu_path("missing"), NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "open %s: %s", ttu_path("missing"),
	    strerror(ENOENT));
	assert_string_equal(err, want);

	assert_null(table_load(ttu_dir(), NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a regular file", ttu_dir());
	assert_string_equal(err, want);

	ttu_put_file("empty", "", 1000000);
	t = table_load(ttu_path("empty"), NULL, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_count(t), 0);
	table_unref(t);
}

/* value_of - the value text for key in the source's current table */
static const char *
value_of(const struct table_source *ts, const char *key)
{
	const struct table_entry *e;

	if (ts->table == NULL)
		return NULL;
	e = table_lookup(ts->table, key, strlen(key));
	return e ? e->value : NULL;
}

static void
test_source_reload(void **state)
{
	struct table_source *ts;
	struct table *held;
	char want[600];

	(void)state;
	log_set_capture(ttu_capture, NULL);
	ttu_nlogged = 0;

	/* A missing file: no table yet, error recorded and logged. */
	ts = table_source_new(ttu_path("src"), &ops_cb);
	assert_null(ts->table);
	assert_int_equal(table_source_check(ts), -1);
	assert_null(ts->table);
	assert_int_equal(ts->last_ok, 0);
	assert_int_equal(ts->failures, 1);
	snprintf(want, sizeof(want), "open %s: %s", ttu_path("src"),
	    strerror(ENOENT));
	assert_string_equal(ts->last_error, want);
	assert_string_equal(ttu_logged, want);
	assert_int_equal(ttu_nlogged, 1);
	/* still missing: nothing changed, no retry, no log */
	assert_int_equal(table_source_check(ts), 0);
	assert_int_equal(ttu_nlogged, 1);

	/* The file appears. */
	ttu_put_file("src", "a 1\nb 2\n", 1000000);
	assert_int_equal(table_source_check(ts), 1);
	assert_int_equal(ts->last_ok, 1);
	assert_string_equal(ts->last_error, "");
	assert_string_equal(value_of(ts, "a"), "1");
	assert_int_equal(ts->reloads, 0);	/* a first load is no reload */
	assert_true(ts->loaded_at != 0);
	assert_int_equal(table_source_check(ts), 0);
	assert_int_equal(objs_live, 2);

	/* A change: new table; a holder of the old one keeps it. */
	held = table_ref(ts->table);
	ttu_put_file("src", "a 10\nc 30\n", 1000001);
	assert_int_equal(table_source_check(ts), 1);
	assert_int_equal(ts->reloads, 1);
	assert_string_equal(value_of(ts, "a"), "10");
	assert_null(value_of(ts, "b"));
	assert_string_equal(table_lookup(held, "b", 1)->value, "2");
	assert_int_equal(objs_live, 4);
	table_unref(held);
	assert_int_equal(objs_live, 2);

	/* Same size, same mtime, but a new inode: still a change. */
	ttu_put_file("src", "a 11\nc 31\n", 1000001);
	assert_int_equal(table_source_check(ts), 1);
	assert_string_equal(value_of(ts, "a"), "11");

	/* A bad file: old table kept and still answering, error recorded. */
	ttu_put_file("src", "a 12\n\nb\n  oops\n", 1000002);
	assert_int_equal(table_source_check(ts), -1);
	assert_string_equal(value_of(ts, "a"), "11");
	assert_string_equal(value_of(ts, "c"), "31");
	assert_int_equal(ts->last_ok, 0);
	assert_int_equal(ts->failures, 2);
	snprintf(want, sizeof(want), "%s, line 3: bad number \"oops\"",
	    ttu_path("src"));
	assert_string_equal(ts->last_error, want);
	snprintf(want, sizeof(want), "%s, line 3: bad number \"oops\"; keeping "
	    "the table loaded before", ttu_path("src"));
	assert_string_equal(ttu_logged, want);
	assert_int_equal(ttu_nlogged, 2);
	assert_int_equal(objs_live, 2);
	/* unchanged bad file: not retried by check ... */
	assert_int_equal(table_source_check(ts), 0);
	assert_int_equal(ttu_nlogged, 2);
	/* ... but an explicit load tries again */
	assert_int_equal(table_source_load(ts), -1);
	assert_int_equal(ts->failures, 3);
	assert_int_equal(ttu_nlogged, 3);

	/* Fixed: loads again. */
	ttu_put_file("src", "a 13\n", 1000003);
	assert_int_equal(table_source_check(ts), 1);
	assert_int_equal(ts->last_ok, 1);
	assert_string_equal(ts->last_error, "");
	assert_string_equal(value_of(ts, "a"), "13");
	assert_int_equal(ts->reloads, 3);

	/* Removed: old table kept; check does not repeat the failure. */
	assert_int_equal(unlink(ttu_path("src")), 0);
	assert_int_equal(table_source_check(ts), -1);
	assert_string_equal(value_of(ts, "a"), "13");
	assert_int_equal(table_source_check(ts), 0);

	/* Forced reload of an unchanged file works. */
	ttu_put_file("src", "a 14\n", 1000004);
	assert_int_equal(table_source_check(ts), 1);
	assert_int_equal(table_source_load(ts), 0);
	assert_string_equal(value_of(ts, "a"), "14");
	assert_true(ts->tried_at >= ts->loaded_at);

	table_source_free(ts);
	table_source_free(NULL);
	assert_int_equal(objs_live, 0);
	log_set_capture(NULL, NULL);
}

/* collect - a table_report_fn that keeps every message, joined by '|' */
struct collected {
	char	text[2048];
	int	n;
};

static void
collect(const char *msg, void *ctx)
{
	struct collected *c = ctx;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s%s",
	    c->n++ ? "|" : "", msg);
}

/* TEXT - a literal and its length, NULs included */
#define TEXT(s)	s, sizeof(s) - 1

/*
 * Every bad line is reported, in file order, once each; the table is still
 * refused and the old one kept. Without a reporter the log gets one line:
 * the first error and how many more there were.
 */
static void
test_source_every_error(void **state)
{
	static const struct {
		const char *name, *text;
		size_t	len;
		const char *want;	/* "line N: reason|..." */
	} cases[] = {
		{"three bad lines among good ones",
		    TEXT("a 1\nb x\nc 3\nd\n\ne 5\nf 6\nG!h 7\n"),
		    "line 2: bad number \"x\"|line 4: missing value for key "
		    "\"d\"|line 8: key contains '!'"},
		{"a rejected line's continuations are not reported again",
		    TEXT(" a 1\n  b 2\n\tc 3\nd 4\nbad!\n  5\n  6\ne 7\n"),
		    "line 1: continuation line without an entry above it|"
		    "line 5: key contains '!'"},
		{"a duplicate of a line with a bad value is still found",
		    TEXT("a x\nb 2\nA 3\nb 4\n"),
		    "line 1: bad number \"x\"|line 3: duplicate key \"a\" "
		    "(first on line 1)|line 4: duplicate key \"b\" (first on "
		    "line 2)"},
		{"a NUL spoils its logical line, not the next",
		    TEXT("a 1\nb\n  2\0\n  3\nc\0 4\n  5\nd y\n"),
		    "line 3: NUL byte in line|line 5: NUL byte in line|"
		    "line 7: bad number \"y\""},
	};
	struct collected got;
	struct table_source *ts;
	char want[2048], err[600], *w;
	const char *p, *s;
	size_t i, len;
	time_t mtime = 2000000;

	(void)state;
	log_set_capture(ttu_capture, NULL);
	ttu_put_file("every", "z 26\n", mtime++);
	ts = table_source_new(ttu_path("every"), &ops_cb);
	assert_int_equal(table_source_load(ts), 0);
	for (i = 0; i < nitems(cases); i++) {
		/* want: the path before every "line N" */
		w = want;
		*w = 0;
		for (p = cases[i].want; *p; p = s ? s + 1 : p + strlen(p)) {
			s = strchr(p, '|');
			len = s ? (size_t)(s - p) : strlen(p);
			w += snprintf(w, sizeof(want) - (size_t)(w - want),
			    "%s%s, %.*s", w == want ? "" : "|", ttu_path("every"),
			    (int)len, p);
		}
		ttu_put_file_len("every", cases[i].text, cases[i].len, mtime++);

		memset(&got, 0, sizeof(got));
		ttu_nlogged = 0;
		table_source_report(ts, collect, &got);
		assert_int_equal(table_source_check(ts), -1);
		if (strcmp(got.text, want) != 0)
			fail_msg("%s:\n got \"%s\"\nwant \"%s\"",
			    cases[i].name, got.text, want);
		assert_int_equal(ts->last_errors, got.n);
		/* last_error is the first; the reporter replaced the log */
		assert_int_equal(strncmp(ts->last_error, got.text,
		    strlen(ts->last_error)), 0);
		assert_int_equal(got.text[strlen(ts->last_error)], '|');
		assert_int_equal(ttu_nlogged, 0);
		assert_string_equal(value_of(ts, "z"), "26");
		assert_null(value_of(ts, "a"));

		/* no reporter: one log line, the first error and a count */
		table_source_report(ts, NULL, NULL);
		assert_int_equal(table_source_load(ts), -1);
		snprintf(err, sizeof(err), "%s (and %d more error%s); keeping "
		    "the table loaded before", ts->last_error, got.n - 1,
		    got.n > 2 ? "s" : "");
		assert_string_equal(ttu_logged, err);
		assert_int_equal(ttu_nlogged, 1);
		assert_int_equal(objs_live, 1);	/* only the kept table's */
	}

	/* table_load() tells the first error, as before */
	assert_null(table_load(ttu_path("every"), &ops_cb, err, sizeof(err)));
	assert_string_equal(err, ts->last_error);
	assert_int_equal(objs_live, 1);

	/* and a good file afterwards clears the count */
	ttu_put_file("every", "a 1\n", mtime++);
	assert_int_equal(table_source_check(ts), 1);
	assert_int_equal(ts->last_errors, 0);
	assert_string_equal(value_of(ts, "a"), "1");
	table_source_free(ts);
	assert_int_equal(objs_live, 0);
	log_set_capture(NULL, NULL);
}

/* A sep-mode source keeps its ops across reloads. */
static void
test_source_ops_copied(void **state)
{
	struct table_ops ops = {.sep = ':'};
	struct table_source *ts;

	(void)state;
	ttu_put_file("pw", "u:$6$x\n", 1000000);
	ts = table_source_new(ttu_path("pw"), &ops);
	ops.sep = 0;			/* the source made its own copy */
	assert_int_equal(table_source_load(ts), 0);
	assert_string_equal(value_of(ts, "u"), "$6$x");
	table_source_free(ts);
}

/* 200,000 generated entries load and answer; correctness only. */
#define NBIG	200000

static void
test_big(void **state)
{
	const struct table_entry *e;
	struct table *t;
	char key[32], want[32], err[256], *text;
	size_t len = 0, cap = (size_t)NBIG * 40;
	unsigned i;
	int fd;

	(void)state;
	text = xmalloc(cap);
	len += (size_t)snprintf(text, cap, "# generated\n");
	for (i = 0; i < NBIG; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "User%07u:%u value-%u\n", i, i % 7, i);
	fd = open(ttu_path("big"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	free(text);

	t = table_load(ttu_path("big"), &(struct table_ops){.key = key_norm},
	    err, sizeof(err));
	if (t == NULL)
		fail_msg("%s", err);
	assert_int_equal(table_count(t), NBIG);
	for (i = 0; i < NBIG; i += 997) {
		snprintf(key, sizeof(key), "user%07u%u", i, i % 7);
		snprintf(want, sizeof(want), "value-%u", i);
		e = table_lookup(t, key, strlen(key));
		if (e == NULL)
			fail_msg("no %s", key);
		assert_string_equal(e->value, want);
		assert_int_equal(e->line, i + 2);
		/* a near miss is a miss */
		snprintf(key, sizeof(key), "user%07u%u", i, (i + 1) % 7);
		assert_null(table_lookup(t, key, strlen(key)));
	}
	i = NBIG - 1;
	snprintf(key, sizeof(key), "user%07u%u", i, i % 7);
	e = table_lookup(t, key, strlen(key));
	assert_non_null(e);
	snprintf(want, sizeof(want), "value-%u", i);
	assert_string_equal(e->value, want);
	table_unref(t);
	unlink(ttu_path("big"));
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_table", 0, NULL);
	return ttu_setup("test_table.");
}

static int
teardown(void **state)
{
	static const char *const files[] = {"f1", "bad", "empty", "src", "pw",
	    "big", "every"};

	(void)state;
	return ttu_teardown(files, nitems(files));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_lookup_exact),
		cmocka_unit_test(test_nul_and_len),
		cmocka_unit_test(test_foreach_order),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_source_reload),
		cmocka_unit_test(test_source_every_error),
		cmocka_unit_test(test_source_ops_copied),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
