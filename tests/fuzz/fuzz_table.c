/*
 * fuzz_table.c - fuzz harness for the "key value" table file parser
 *
 * The input is a table file, loaded with table_load_string() twice:
 *   A  postmap style: whitespace between key and value, continuation lines,
 *      a key callback that lower-cases, drops ':' and refuses '!', and a
 *      value callback that keeps a copy (refusing values that start with
 *      "bad");
 *   B  password-file style: sep ':', duplicates keep the first, empty
 *      values allowed, keys lower-cased.
 * Invariants:
 *   - nothing crashes, leaks or reads outside the input; every value object
 *     is freed exactly once when the table goes;
 *   - a refused file says "fuzz.map, line N: " with N a line of the file;
 *   - a loaded table: table_count() entries, visited in file order (line
 *     numbers rise), each key non-empty, normalised and free of the
 *     separator, each value trimmed and without LF or NUL (non-empty in A),
 *     each object the callback's for that value, and table_lookup() of the
 *     key finds the entry;
 *   - writing the entries back out as "key value" lines and loading that
 *     gives the same table (less keys that A's callback turned into
 *     "#...", which no file can spell).
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "table.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "table";

#define ORIGIN	"fuzz.map"

static long objs_live;

/* key_norm - lower-case, drop ':' and refuse '!' (a fingerprint-ish key) */
static int
key_norm(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	size_t i, o = 0;

	for (i = 0; i < *len; i++) {
		if (key[i] == '!') {
			snprintf(err, errlen, "'!' in key");
			return -1;
		}
		if (key[i] != ':')
			key[o++] = (char)tolower((unsigned char)key[i]);
	}
	*len = o;
	return 0;
}

/* key_lower - lower-case only */
static int
key_lower(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < *len; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return 0;
}

/* value_copy - the value as an owned string; "bad..." is refused */
static void *
value_copy(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	if (strncmp(value, "bad", 3) == 0) {
		snprintf(err, errlen, "bad value for %.20s", key);
		return NULL;
	}
	objs_live++;
	return xstrdup(value);
}

/* value_free - count the objects back */
static void
value_free(void *obj, void *arg)
{
	objs_live--;
	free(obj);
}

static const struct table_ops ops_a = {
	.key = key_norm, .value = value_copy, .free_value = value_free,
};
static const struct table_ops ops_b = {
	.key = key_lower, .sep = ':', .allow_dup_first = 1,
	.allow_empty_value = 1,
};

/* is_blank - what the parser trims */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

struct walk {
	const struct table *t;
	const struct table_ops *ops;
	unsigned last_line, nlines;
	size_t	 n, unwritable;
	struct buf *dump;
};

/* check_entry - one entry's invariants; also writes it to the dump */
static int
check_entry(const struct table_entry *te, void *ctx)
{
	struct walk *w = ctx;
	size_t klen = strlen(te->key), vlen = strlen(te->value), i;

	FUZZ_CHECK(klen > 0);
	FUZZ_CHECK(te->line > w->last_line && te->line <= w->nlines);
	w->last_line = te->line;
	for (i = 0; i < klen; i++) {
		FUZZ_CHECK(!isupper((unsigned char)te->key[i]));
		FUZZ_CHECK(te->key[i] != '\n');
		if (w->ops->sep)
			FUZZ_CHECK(te->key[i] != w->ops->sep);
		else
			FUZZ_CHECK(!is_blank(te->key[i]) && te->key[i] != ':' &&
			    te->key[i] != '!');
	}
	FUZZ_CHECK(!is_blank(te->key[0]) && !is_blank(te->key[klen - 1]));
	/* Only a key callback can make a key start with '#' (":#x" in A). */
	FUZZ_CHECK(te->key[0] != '#' || w->ops->key == key_norm);
	FUZZ_CHECK(memchr(te->value, '\n', vlen) == NULL);
	FUZZ_CHECK(vlen > 0 || w->ops->allow_empty_value);
	if (vlen > 0)
		FUZZ_CHECK(!is_blank(te->value[0]) &&
		    !is_blank(te->value[vlen - 1]));
	if (w->ops->value != NULL)
		FUZZ_CHECK(te->obj != NULL && strcmp(te->obj, te->value) == 0);
	else
		FUZZ_CHECK(te->obj == NULL);
	FUZZ_CHECK(table_lookup(w->t, te->key, klen) == te);
	w->n++;

	/* Such a key has no written form: it would read as a comment. */
	if (te->key[0] == '#') {
		w->unwritable++;
		return 0;
	}
	if (w->ops->sep)
		FUZZ_CHECK(buf_printf(w->dump, "%s%c%s\n", te->key, w->ops->sep,
		    te->value) >= 0);
	else
		FUZZ_CHECK(buf_printf(w->dump, "%s %s\n", te->key,
		    te->value) >= 0);
	return 0;
}

/* same_entry - the reloaded table has this entry with the same value */
static int
same_entry(const struct table_entry *te, void *ctx)
{
	const struct table *t = ctx;
	const struct table_entry *e = table_lookup(t, te->key, strlen(te->key));

	if (te->key[0] == '#')
		FUZZ_CHECK(e == NULL);
	else
		FUZZ_CHECK(e != NULL && strcmp(e->value, te->value) == 0);
	return 0;
}

/* check_ops - load with one set of callbacks and check the result */
static void
check_ops(const uint8_t *data, size_t len, const struct table_ops *ops)
{
	struct table *t, *t2;
	struct buf dump;
	struct walk w;
	char err[512];

	if ((t = fuzz_load_table(data, len, ORIGIN, ops)) == NULL) {
		FUZZ_CHECK(objs_live == 0);
		return;
	}
	FUZZ_CHECK(strcmp(table_path(t), ORIGIN) == 0);
	buf_init(&dump, 0);
	memset(&w, 0, sizeof(w));
	w.t = t;
	w.ops = ops;
	w.nlines = fuzz_count_lines(data, len);
	w.dump = &dump;
	FUZZ_CHECK(table_foreach(t, check_entry, &w) == 0);
	FUZZ_CHECK(w.n == table_count(t));
	if (ops->value != NULL)
		FUZZ_CHECK(objs_live == (long)w.n);

	/* The entries, written out plainly, load back as the same table. */
	err[0] = 0;
	t2 = table_load_string(dump.data, dump.len, "dump", ops, err,
	    sizeof(err));
	if (t2 == NULL)
		fprintf(stderr, "reload: %s\n", err);
	FUZZ_CHECK(t2 != NULL);
	FUZZ_CHECK(table_count(t2) == w.n - w.unwritable);
	FUZZ_CHECK(table_foreach(t, same_entry, t2) == 0);
	table_unref(t2);

	/* A second holder keeps the table alive; the last one frees it. */
	table_ref(t);
	table_unref(t);
	FUZZ_CHECK(table_count(t) == w.n);
	table_unref(t);
	FUZZ_CHECK(objs_live == 0);
	buf_free(&dump);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	check_ops(data, len, &ops_a);
	check_ops(data, len, &ops_b);
	return 0;
}
