/*
 * sync_format.c - rows to table lines, checked by the readers' own rules
 *
 * A row is first written as the line its reader expects, refusing what
 * could not be read back as given (sync_format.h); then the whole text
 * goes through the reader's own table callbacks, so what pfhelpers-sync
 * writes is exactly what saslauthd-lite, policyd-ccert and tlsmap load:
 * never a file they would refuse and keep their old table for.
 */
#include "sysdep.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileread.h"
#include "identities.h"
#include "pwfile_hash.h"
#include "sync_format.h"
#include "table.h"
#include "tls_policy.h"
#include "xalloc.h"

static const char *const format_names[] = {
	[SYNC_FMT_PWFILE] = "pwfile",
	[SYNC_FMT_IDENTITIES] = "identities",
	[SYNC_FMT_POLICY] = "policy",
};

/* the column names, for errors: the query's columns in order */
static const char *const column_names[][3] = {
	[SYNC_FMT_PWFILE] = {"login", "hash", NULL},
	[SYNC_FMT_IDENTITIES] = {"fingerprint", "name", "options"},
	[SYNC_FMT_POLICY] = {"key", "policy", NULL},
};

/* sync_format_parse - a format's name */
int
sync_format_parse(const char *name, enum sync_format *fmt_r)
{
	size_t i;

	for (i = 0; i < nitems(format_names); i++)
		if (strcmp(name, format_names[i]) == 0) {
			*fmt_r = (enum sync_format)i;
			return 0;
		}
	return -1;
}

/* sync_format_name - the name of a format */
const char *
sync_format_name(enum sync_format fmt)
{
	return format_names[fmt];
}

/* sync_format_mode - a password file is the owner's (and its group's) */
mode_t
sync_format_mode(enum sync_format fmt)
{
	return fmt == SYNC_FMT_PWFILE ? 0600 : 0644;
}

/* one_line - no byte that would end the line or hide from the reader */
static int
one_line(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 && *p != '\t')
			return 0;
		else if (*p == 0x7f)
			return 0;
	return 1;
}

/* key_ok - a key the reader reads back as it is: the first word of a line */
static int
key_ok(const char *v, char sep)
{
	if (*v == 0 || *v == '#' || *v == ' ' || *v == '\t')
		return 0;
	if (sep)
		return strchr(v, sep) == NULL;
	return strpbrk(v, " \t") == NULL;
}

/* field - check column i; "" for NULL where that is allowed */
static const char *
field(enum sync_format fmt, const char *const *cols, unsigned i,
    bool may_be_null, char *err, size_t errlen)
{
	const char *v = cols[i];

	if (v == NULL) {
		if (may_be_null)
			return "";
		snprintf(err, errlen, "column %u (%s) is NULL", i + 1,
		    column_names[fmt][i]);
		return NULL;
	}
	if (!one_line(v)) {
		snprintf(err, errlen, "column %u (%s) holds a line break or "
		    "a control character", i + 1, column_names[fmt][i]);
		return NULL;
	}
	return v;
}

/* sync_format_row - one row as one line of the format */
int
sync_format_row(enum sync_format fmt, const char *const *cols,
    unsigned ncols, struct buf *out, char *err, size_t errlen)
{
	unsigned want = fmt == SYNC_FMT_IDENTITIES ? 3 : 2;
	const char *a, *b, *c = "";
	char sep = fmt == SYNC_FMT_PWFILE ? ':' : 0;

	if (ncols != want && !(fmt == SYNC_FMT_IDENTITIES && ncols == 2)) {
		snprintf(err, errlen, "the query gives %u columns; the %s "
		    "format wants %u", ncols, format_names[fmt], want);
		return -1;
	}
	if ((a = field(fmt, cols, 0, false, err, errlen)) == NULL ||
	    (b = field(fmt, cols, 1, false, err, errlen)) == NULL ||
	    (ncols == 3 && (c = field(fmt, cols, 2, true, err, errlen)) ==
	    NULL))
		return -1;
	if (!key_ok(a, sep)) {
		snprintf(err, errlen, "column 1 (%s) is empty, starts with a "
		    "blank or '#', or holds %s", column_names[fmt][0],
		    sep ? "':'" : "a blank");
		return -1;
	}
	if (fmt == SYNC_FMT_PWFILE && strchr(b, ':') != NULL) {
		/* the reader would cut the hash at it */
		snprintf(err, errlen, "column 2 (hash) holds ':'");
		return -1;
	}
	if (fmt == SYNC_FMT_IDENTITIES && !key_ok(b, 0)) {
		snprintf(err, errlen, "column 2 (name) is empty or holds a "
		    "blank");
		return -1;
	}
	if (buf_puts(out, a) < 0 || buf_puts(out, sep ? ":" : " ") < 0 ||
	    buf_puts(out, b) < 0 || (*c && (buf_puts(out, " ") < 0 ||
	    buf_puts(out, c) < 0)) || buf_puts(out, "\n") < 0) {
		snprintf(err, errlen, "the table is larger than max_table_size");
		return -1;
	}
	return 0;
}

/* policy_key - table_ops key(): as tlsmap normalises it */
static int
policy_key(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	(void)arg;
	return map_key_normalise(key, len, err, errlen);
}

/* policy_value - table_ops value(): a policy the target Postfix takes */
static void *
policy_value(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	const unsigned *version = arg;
	enum tls_level level;

	(void)key;
	if (tls_policy_check(value, *version, &level, err, errlen) < 0)
		return NULL;
	/* any non-NULL object: nothing is kept */
	return (void *)(uintptr_t)1;
}

/* format_ops - the reader's callbacks for a format */
static void
format_ops(enum sync_format fmt, const unsigned *version,
    struct table_ops *ops)
{
	static const bool strict = false;

	switch (fmt) {
	case SYNC_FMT_PWFILE:
		/* pwfile_allow_weak_hashes is saslauthd-lite's default: no */
		pwfile_hash_ops(ops, &strict);
		break;
	case SYNC_FMT_IDENTITIES:
		*ops = *identities_table_ops();
		break;
	case SYNC_FMT_POLICY:
		memset(ops, 0, sizeof(*ops));
		ops->key = policy_key;
		ops->value = policy_value;
		ops->arg = (void *)(uintptr_t)version;
		break;
	}
}

/* sync_format_check - the whole text through the reader's callbacks */
int
sync_format_check(enum sync_format fmt, unsigned version, const char *text,
    size_t len, const char *origin, size_t *n_r, char *err, size_t errlen)
{
	struct table_ops ops;
	struct table *t;

	format_ops(fmt, &version, &ops);
	if ((t = table_load_string(text, len, origin, &ops, err, errlen)) ==
	    NULL)
		return -1;
	*n_r = table_count(t);
	table_unref(t);
	return 0;
}

/* sync_format_count_file - the entries of the last good file */
int
sync_format_count_file(enum sync_format fmt, unsigned version,
    const char *path, size_t *n_r, char *err, size_t errlen)
{
	struct table_ops ops;
	struct table *t;

	if (access(path, F_OK) < 0)
		return 0;
	format_ops(fmt, &version, &ops);
	if ((t = table_load(path, &ops, err, errlen)) == NULL)
		return -1;
	*n_r = table_count(t);
	table_unref(t);
	return 1;
}
