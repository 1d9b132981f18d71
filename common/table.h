/*
 * table.h - lookup tables loaded from "key value" text files
 *
 * File syntax (Postfix table source, as postmap(1) reads it): one entry per
 * logical line, "key whitespace value"; '#' comment lines and blank lines
 * are ignored; a line starting with whitespace continues the previous one.
 * With ops->sep set (e.g. ':' for a password file) the key ends at the first
 * `sep` instead of whitespace, and continuation lines are not recognised.
 *
 * The daemon supplies per-entry callbacks that run at load time, so every
 * per-request cost (parsing, validation, normalisation) is paid once:
 *   key()   normalises the key in place (e.g. lower-case, strip colons);
 *           may reject it (-1, message in err).
 *   value() parses the value text into an object the daemon owns, or
 *           returns NULL with a message in err to reject the line.
 * Any rejected line, or a duplicate key (unless ops->allow_dup_first, which
 * keeps the first), rejects the whole file: table_load() returns NULL with
 * "FILE, line N: reason" in err. A missing file is an error too.
 * The parser does not stop at the first bad line: it reads on to the end
 * of the file so that every bad line can be reported in one run, as
 * postmap(1) does (err holds the first; table_source_report() sees them
 * all). A key whose value was rejected still counts for duplicate checks.
 * Lines that continue a rejected line are not reported again.
 * table.c's own messages quote at most a key (sanitised, cut at 64 bytes),
 * never a value nor a whole line, so a value may be a secret; a table
 * whose keys could be secrets too lets value() see empty values
 * (allow_empty_value) and words the error itself.
 *
 * A loaded table is immutable and reference-counted; lookups are O(1)
 * (open addressing) and need no lock. Lookup keys are matched as given:
 * callers normalise them with the same function as ops->key().
 * One million entries load in a couple of seconds.
 *
 * table_source wraps a path: it remembers the current table, notices file
 * changes (mtime, size, inode) and reloads; a failed reload keeps the old
 * table and records the first error and how many there were. It logs one
 * line per failed attempt (the first error, and the count of the others,
 * so a wrong file does not flood the log), unless a reporter was set with
 * table_source_report(), which then receives every error instead.
 */
#ifndef PFH_TABLE_H
#define PFH_TABLE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct table;

struct table_ops {
	int	(*key)(char *key, size_t *len, void *arg, char *err, size_t errlen);
	void	*(*value)(const char *key, const char *value, void *arg,
		    char *err, size_t errlen);
	void	(*free_value)(void *obj, void *arg);
	void	*arg;
	char	 sep;		/* 0 = whitespace */
	int	 allow_dup_first;
	int	 allow_empty_value;
};

struct table_entry {
	const char *key;
	const char *value;	/* the text after the key, trimmed */
	void	*obj;		/* from ops->value(), or NULL without one */
	unsigned line;		/* first line of the logical line */
};

/*
 * table_report_fn - told each error of a load, in file order: a rejected
 * line as "FILE, line N: reason", or why the file could not be read.
 */
typedef void table_report_fn(const char *msg, void *ctx);

struct table *table_load(const char *path, const struct table_ops *,
	    char *err, size_t errlen);
/* table_load_string - same, from memory (origin names it in errors) */
struct table *table_load_string(const char *text, size_t len,
	    const char *origin, const struct table_ops *, char *err, size_t errlen);
const struct table_entry *table_lookup(const struct table *, const char *key,
	    size_t keylen);
size_t	table_count(const struct table *);
const char *table_path(const struct table *);
/* table_foreach - visit every entry in file order; stop when fn returns non-zero */
int	table_foreach(const struct table *,
	    int (*fn)(const struct table_entry *, void *), void *);
struct table *table_ref(struct table *);
void	table_unref(struct table *);

struct table_source {
	/* read-only for callers */
	char	*path;
	struct table *table;	/* current; NULL until the first good load */
	time_t	 loaded_at;	/* wall time of the last good load */
	time_t	 tried_at;	/* wall time of the last attempt */
	int	 last_ok;	/* 1 if the last attempt succeeded */
	char	 last_error[512];	/* the first error of the last attempt */
	unsigned last_errors;	/* how many it found; 0 if it succeeded */
	unsigned long reloads, failures;
	/* private */
	struct table_ops ops;
	table_report_fn *report;
	void	*report_ctx;
	struct timespec mtime;
	off_t	 size;
	ino_t	 ino;
	dev_t	 dev;
};

struct table_source *table_source_new(const char *path, const struct table_ops *);
void	table_source_free(struct table_source *);
/* table_source_report - every error of each attempt goes to fn, not the log */
void	table_source_report(struct table_source *, table_report_fn *, void *ctx);
/*
 * table_source_load - (re)load now; 0 ok, -1 failed (old table kept, the
 * errors logged or reported, and recorded)
 */
int	table_source_load(struct table_source *);
/*
 * table_source_verify - load now for a "check": every error is logged as
 * "FILE, line N: reason" (or why the file cannot be read); returns how many
 * there were, 0 when the file loaded
 */
unsigned table_source_verify(struct table_source *);
/* table_source_check - reload if the file changed; 1 reloaded, 0 unchanged, -1 failed */
int	table_source_check(struct table_source *);

#endif /* PFH_TABLE_H */
