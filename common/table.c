/*
 * table.c - lookup tables loaded from "key value" text files
 *
 * The whole file is read into memory and parsed in one pass. Each logical
 * line is assembled by cfg_lines (joining continuation lines the way
 * Postfix readlline(3) does; cfg.c reads main.cf with it too), split into
 * key and value, passed through the daemon's callbacks, and entered into
 * an htab whose arena also holds the struct table_entry and the value
 * text. So a load is one read(), one pass and a handful of large
 * allocations, and freeing a table is cheap too.
 *
 * Line rules (after Postfix readlline(3), which postmap(1) uses):
 *   - a line whose first non-blank character is '#' is a comment;
 *   - an all-blank line is ignored;
 *   - neither ends a logical line: a later line starting with whitespace
 *     still continues the entry above them, as in Postfix;
 *   - a continuation line is appended without its newline but with its
 *     leading whitespace, which then separates the words;
 *   - a continuation line with no entry above it is an error (Postfix
 *     warns and skips it; we reject the file, as for any bad line).
 *   With ops->sep every non-comment line is an entry of its own and leading
 *   whitespace is merely trimmed: password files have no continuations.
 * NUL bytes are rejected: keys and values are handed out as C strings.
 *
 * table_source_*() live in table_source.c.
 *
 * A bad line does not stop the parse. Its error is reported and counted,
 * the continuation lines that belong to it are skipped without a report
 * of their own (one mistake, one message), and the next entry is parsed
 * as usual, so "check" commands can list every mistake at once. A table
 * with any error is freed, never returned: the all-or-nothing contract of
 * table_load() is unchanged.
 */
#include "sysdep.h"

#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg_lines.h"
#include "fileread.h"
#include "htab.h"
#include "log.h"
#include "table.h"
#include "xalloc.h"

/* Longest key quoted in an error message. */
#define TABLE_ERR_KEY	64
/* Longest error message (a long path is truncated, not an error). */
#define TABLE_ERR_MSG	1024

struct table {
	struct htab *htab;	/* key -> struct table_entry */
	char	*path;		/* file name, or the origin of a string */
	struct table_ops ops;	/* for free_value() and its arg */
	atomic_uint refs;
};

/* Where the errors of one load go. */
struct table_errs {
	char	*err;		/* the first, for callers that want one */
	size_t	 errlen;
	table_report_fn *report;	/* each of them, or NULL */
	void	*report_ctx;
	unsigned n;		/* how many so far */
};

/* State for one load. */
struct table_parse {
	const char *origin;
	const struct table_ops *ops;
	struct table *t;
	char	*line;		/* the logical line (cfg_lines' buffer) */
	size_t	 len;
	unsigned first;		/* its first physical line */
	struct table_errs *errs;
};

static const struct table_ops table_default_ops;

/*
 * errs_add - record one error: count it, keep the first in err (a NULL or
 * empty buffer is tolerated), hand it to the reporter
 */
static void PFH_PRINTF(2, 3)
errs_add(struct table_errs *e, const char *fmt, ...)
{
	char msg[TABLE_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->n < UINT_MAX)
		e->n++;
	if (e->n == 1 && e->err != NULL && e->errlen > 0)
		snprintf(e->err, e->errlen, "%s", msg);
	if (e->report != NULL)
		e->report(msg, e->report_ctx);
}

/* bad_line - record an error about a line: "ORIGIN, line N: reason" */
static void PFH_PRINTF(3, 4)
bad_line(struct table_parse *tp, unsigned line, const char *fmt, ...)
{
	char why[TABLE_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	errs_add(tp->errs, "%s, line %u: %s", tp->origin, line, why);
}

/* is_blank - the whitespace that separates key from value */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * quote_key - a key fit for an error message: at most TABLE_ERR_KEY bytes,
 * controls, quotes and backslashes as '?', so a line cannot forge a log
 * line. Only keys are ever quoted, never a value: a value may be a secret.
 */
static const char *
quote_key(char out[TABLE_ERR_KEY + 1], const char *key)
{
	size_t n;

	for (n = 0; key[n] && n < TABLE_ERR_KEY; n++) {
		unsigned char c = (unsigned char)key[n];

		out[n] = c < ' ' || c == 0x7f || c == '"' || c == '\\' ?
		    '?' : (char)c;
	}
	out[n] = 0;
	return out;
}

/* free_obj - hand one value object back to its owner */
static void
free_obj(const struct table_ops *ops, void *obj)
{
	if (obj != NULL && ops->free_value != NULL)
		ops->free_value(obj, ops->arg);
}

/*
 * finish_entry - split the pending logical line into key and value, run the
 * callbacks and enter the result. A rejected line is recorded in tp->errs
 * and the parse goes on.
 */
static void
finish_entry(struct table_parse *tp)
{
	const struct table_ops *ops = tp->ops;
	char *key = tp->line, *val, *end = tp->line + tp->len, *p;
	size_t klen, vlen, orig;
	struct table_entry *te;
	struct htab_ent *he;
	char why[256], qkey[TABLE_ERR_KEY + 1];
	void *obj = NULL;
	unsigned line = tp->first;
	int bad = 0;

	tp->first = 0;
	while (end > key && is_blank(end[-1]))
		end--;
	*end = 0;

	/* Split: key up to sep (sep mode) or up to the first blank. */
	if (ops->sep) {
		while (is_blank(*key))
			key++;
		if ((p = memchr(key, ops->sep, (size_t)(end - key))) == NULL) {
			bad_line(tp, line, "missing '%c' after the key",
			    ops->sep);
			return;
		}
		val = p + 1;
		while (p > key && is_blank(p[-1]))
			p--;
		*p = 0;
	} else {
		for (p = key; p < end && !is_blank(*p); p++)
			;
		val = p < end ? p + 1 : end;
		*p = 0;
	}
	while (val < end && is_blank(*val))
		val++;
	klen = strlen(key);
	vlen = (size_t)(end - val);

	if (klen == 0) {
		bad_line(tp, line, "empty key");
		return;
	}
	if (ops->key != NULL) {
		why[0] = 0;
		orig = klen;
		if (ops->key(key, &klen, ops->arg, why, sizeof(why)) < 0) {
			bad_line(tp, line, "%s", why[0] ? why : "invalid key");
			return;
		}
		/* In place means it may only shrink. */
		if (klen > orig)
			log_panic("table: key callback grew a key from %zu to "
			    "%zu bytes", orig, klen);
		key[klen] = 0;
		if (klen == 0) {
			bad_line(tp, line, "empty key after normalisation");
			return;
		}
	}

	/*
	 * A duplicate line is still validated: "any bad line rejects the
	 * file" holds even for the lines allow_dup_first ignores, so an
	 * admin hears about a typo before it becomes the first occurrence.
	 * A line with a bad value still enters its key (with no object: the
	 * table is refused anyway), so that a later line with the same key is
	 * reported as the duplicate it is in this run, not the next one.
	 */
	if (vlen == 0 && !ops->allow_empty_value) {
		bad_line(tp, line, "missing value for key \"%s\"",
		    quote_key(qkey, key));
		bad = 1;
	} else if (ops->value != NULL) {
		why[0] = 0;
		if ((obj = ops->value(key, val, ops->arg, why,
		    sizeof(why))) == NULL) {
			bad_line(tp, line, "%s", why[0] ? why : "invalid value");
			bad = 1;
		}
	}
	te = htab_alloc(tp->t->htab, sizeof(*te));
	if (htab_enter(tp->t->htab, key, klen, te, &he) == 0) {
		const struct table_entry *first = he->val;

		free_obj(ops, obj);
		/* one message per line: a bad value says enough */
		if (!ops->allow_dup_first && !bad)
			bad_line(tp, line, "duplicate key \"%s\" (first on "
			    "line %u)", quote_key(qkey, key), first->line);
		return;
	}
	te->key = he->key;
	te->value = vlen ? htab_strndup(tp->t->htab, val, vlen) : "";
	te->obj = obj;
	te->line = line;
}

/*
 * parse_text - feed every logical line of text into the table; the errors
 * of bad lines (the reader's and the callbacks') are counted in tp->errs
 */
static void
parse_text(struct table_parse *tp, const char *text, size_t len)
{
	struct cfg_lines lr;
	char why[TABLE_ERR_MSG];
	int rc;

	cfg_lines_init(&lr, text, len, tp->origin, "an entry",
	    tp->ops->sep ? CFG_LINES_NOCONT : 0);
	while ((rc = cfg_lines_next(&lr, why, sizeof(why))) != 0) {
		if (rc < 0) {
			errs_add(tp->errs, "%s", why);
			continue;
		}
		tp->line = lr.line;
		tp->len = lr.len;
		tp->first = lr.lineno;
		finish_entry(tp);
	}
	cfg_lines_free(&lr);
}

/* count_lines - upper bound on the entries, to size the hash table once */
static size_t
count_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t n = 1;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* table_build - parse text into a new table, or NULL after errors */
static struct table *
table_build(const char *text, size_t len, const char *origin,
    const struct table_ops *ops, struct table_errs *errs)
{
	struct table_parse tp;
	struct table *t;

	if (ops == NULL)
		ops = &table_default_ops;
	t = xcalloc(1, sizeof(*t));
	t->htab = htab_new(count_lines(text, len));
	t->path = xstrdup(origin);
	t->ops = *ops;
	atomic_init(&t->refs, 1);

	memset(&tp, 0, sizeof(tp));
	tp.origin = origin;
	tp.ops = ops;
	tp.t = t;
	tp.errs = errs;
	parse_text(&tp, text, len);
	if (errs->n > 0) {
		table_unref(t);
		return NULL;
	}
	return t;
}

/*
 * table_parse_file - parse a file's text: a last line without its newline
 * is reported first and left out of the parse (it is likely a fragment)
 */
struct table *
table_parse_file(const char *text, size_t len, const char *path,
    const struct table_ops *ops, table_report_fn *each, void *ctx, char *err,
    size_t errlen, unsigned *nerr)
{
	struct table_errs errs = {.err = err, .errlen = errlen,
	    .report = each, .report_ctx = ctx};
	struct table *t;
	unsigned cut;
	size_t keep = len;

	if ((cut = fileread_unterminated(text, len)) > 0) {
		errs_add(&errs, "%s, line %u: no newline at end of file: the "
		    "file may be cut short (a full disk, a copy or an edit "
		    "still in progress); if it is complete, end its last line "
		    "with a newline", path, cut);
		while (keep > 0 && text[keep - 1] != '\n')
			keep--;
	}
	t = table_build(text, keep, path, ops, &errs);
	*nerr = errs.n;
	return t;
}

/* table_load - read and parse a table file; err gets the first error */
struct table *
table_load(const char *path, const struct table_ops *ops, char *err,
    size_t errlen)
{
	struct table *t;
	struct stat st;
	unsigned n;
	size_t len;
	char *text;
	int have_st;

	if (fileread_stable(path, 0, &text, &len, &st, &have_st, err,
	    errlen) != FILEREAD_OK)
		return NULL;
	if (ops != NULL && ops->file_ok != NULL &&
	    ops->file_ok(path, &st, ops->arg, err, errlen) < 0) {
		free(text);
		return NULL;
	}
	t = table_parse_file(text, len, path, ops, NULL, NULL, err, errlen,
	    &n);
	free(text);
	return t;
}

/* table_load_string - parse a table held in memory */
struct table *
table_load_string(const char *text, size_t len, const char *origin,
    const struct table_ops *ops, char *err, size_t errlen)
{
	struct table_errs errs = {.err = err, .errlen = errlen};

	return table_build(text, len, origin, ops, &errs);
}

/* table_lookup - the entry for an already-normalised key, or NULL */
const struct table_entry *
table_lookup(const struct table *t, const char *key, size_t keylen)
{
	return htab_find(t->htab, key, keylen);
}

/* table_count - number of entries */
size_t
table_count(const struct table *t)
{
	return htab_count(t->htab);
}

/* table_path - the file (or origin) the table came from */
const char *
table_path(const struct table *t)
{
	return t->path;
}

/* table_foreach - visit entries in file order (htab keeps insertion order) */
int
table_foreach(const struct table *t,
    int (*fn)(const struct table_entry *, void *), void *ctx)
{
	size_t i, n = htab_count(t->htab);
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = fn(htab_at(t->htab, i)->val, ctx)) != 0)
			return rc;
	return 0;
}

/* table_ref - one more holder; atomic so workers may hold tables too */
struct table *
table_ref(struct table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

/* table_unref - drop a holder; the last one frees objects and storage */
void
table_unref(struct table *t)
{
	size_t i, n;

	if (t == NULL)
		return;
	if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (t->ops.free_value != NULL) {
		n = htab_count(t->htab);
		for (i = 0; i < n; i++) {
			const struct table_entry *te = htab_at(t->htab, i)->val;

			free_obj(&t->ops, te->obj);
		}
	}
	htab_free(t->htab);
	free(t->path);
	free(t);
}
