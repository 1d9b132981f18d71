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
 *
 * A loaded table is immutable and reference-counted; lookups are O(1)
 * (open addressing) and need no lock. Lookup keys are matched as given:
 * callers normalise them with the same function as ops->key().
 * One million entries load in a couple of seconds.
 *
 * table_source wraps a path: it remembers the current table, notices file
 * changes (mtime, size, inode) and reloads; a failed reload keeps the old
 * table and records the error.
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
	char	 last_error[512];
	unsigned long reloads, failures;
	/* private */
	struct table_ops ops;
	struct timespec mtime;
	off_t	 size;
	ino_t	 ino;
	dev_t	 dev;
};

struct table_source *table_source_new(const char *path, const struct table_ops *);
void	table_source_free(struct table_source *);
/* table_source_load - (re)load now; 0 ok, -1 failed (old table kept, error logged and recorded) */
int	table_source_load(struct table_source *);
/* table_source_check - reload if the file changed; 1 reloaded, 0 unchanged, -1 failed */
int	table_source_check(struct table_source *);

#endif /* PFH_TABLE_H */
