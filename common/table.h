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
 * "FILE, line N: reason" in err. A missing file is an error too, and so is
 * a file whose last line has no newline ("FILE, line N: no newline at end
 * of file: ..."): that is what a file cut short looks like. That error is
 * reported first, whatever else the file holds, and the unterminated line
 * itself is not parsed (it is likely a fragment). table_load() reads the
 * file with fileread_stable() (fileread.h) without a settle time: a file
 * that changes while it is read is an error.
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
 * table_source (table_source.c) wraps a path and keeps a good table in
 * place; see the comment above struct table_source.
 */
#ifndef PFH_TABLE_H
#define PFH_TABLE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct ev;
struct table;
struct table_job;

struct table_ops {
	int	(*key)(char *key, size_t *len, void *arg, char *err, size_t errlen);
	void	*(*value)(const char *key, const char *value, void *arg,
		    char *err, size_t errlen);
	void	(*free_value)(void *obj, void *arg);
	void	*arg;
	char	 sep;		/* 0 = whitespace */
	int	 allow_dup_first;
	int	 allow_empty_value;
	/*
	 * file_ok - optional: judge the file by the fstat() of the very
	 * descriptor that was read (no window between a check and the read);
	 * -1 + err refuses it like a bad line would
	 */
	int	(*file_ok)(const char *path, const struct stat *, void *arg,
		    char *err, size_t errlen);
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
/*
 * table_parse_file - parse text read from the file path (the newline rule
 * applies); every error goes to each (may be NULL), the first to err, and
 * their number to *nerr. For table_source.c and other careful readers.
 */
struct table *table_parse_file(const char *text, size_t len,
	    const char *path, const struct table_ops *, table_report_fn *each,
	    void *ctx, char *err, size_t errlen, unsigned *nerr);
/* table_load_string - same, from memory (origin names it in errors; no newline rule) */
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

/*
 * table_source - a table file and the good table loaded from it.
 *
 * It remembers the current table and the identity (inode, size, mtime,
 * ctime, mode, owner: a chmod or chown counts as a change too) of the
 * file, notices changes (table_source_check(), from the daemons'
 * reload_check_interval tick and SIGHUP) and loads the new file. A reload
 * only ever replaces a good table with a good one:
 *   - the file is read with fileread.h: a file still changing (modified
 *     less than settle_ms ago, or while it was read) is not loaded; the
 *     source is "pending" and the next table_source_check() looks again.
 *     The first load (no table yet) waits for it instead, up to a few
 *     settle times, then fails "still changing";
 *   - a bad line, a missing or unreadable file, a last line without its
 *     newline, a file ops->file_ok refuses: the new file is refused (the
 *     errors are recorded);
 *   - a file with no entries, or one that would drop more than shrink_pct
 *     percent of the current entries, is held: refused like a bad file
 *     ("held" set) until the admin confirms it with "touch FILE.confirm"
 *     (fileread_confirmed()); table_source_check() watches that file
 *     while a load is held. An empty file is held at the first load too
 *     (nothing to keep: the load fails), so a daemon does not start with
 *     an empty policy unless confirmed. shrink_pct 0 turns the share
 *     check off (an empty file is still held).
 * A refused or held attempt keeps the old table and records the first
 * error and how many there were; the log gets one line per attempt (the
 * first error and the count of the others, so a wrong file does not flood
 * the log), unless a reporter was set with table_source_report(), which
 * then receives every error instead. The identity of a refused file is
 * recorded, so it is not tried (and logged) again until it changes.
 *
 * Watched: after table_source_async() the file's directory is watched
 * too (filewatch.h): a file renamed over the path is loaded at once,
 * without the settle wait (a rename is atomic: the file is whole), and any
 * other change of the name is checked at once, as the periodic check
 * would (an in-place edit still settles first, and is looked at again
 * when it may have settled). The periodic check stays.
 *
 * Loading off the event loop: after table_source_async(), loads started
 * by table_source_load() and table_source_check() run on a loader thread
 * (one per process, shared by every source; a workq.h pool of one), and
 * the result is applied on the loop thread, where fn(ts, rc, ctx) then
 * runs: rc 1 the new table is in place, -1 refused or held, 0 pending
 * (still changing). Lookups keep using the current table meanwhile; it is
 * replaced in one pointer swap on the loop. A load asked for while one is
 * running is done once that one ends. The ops callbacks then run on the
 * loader thread: they must only read their arg. A reporter is replayed on
 * the loop. The source's reference to a replaced table is dropped on the
 * loader thread too (so free_value() may run there, after the source is
 * gone: it must not need its arg). table_source_free() during a load
 * waits for the parse to end (so ops->arg may be freed right after it)
 * and drops its result.
 *
 * Threads: a source belongs to the loop thread (or the one thread that
 * uses it synchronously); tables may be shared with workers (table_ref).
 */
struct table_source {
	/* read-only for callers */
	char	*path;
	struct table *table;	/* current; NULL until the first good load */
	time_t	 loaded_at;	/* wall time of the last good load */
	time_t	 tried_at;	/* wall time of the last attempt */
	int	 last_ok;	/* 1 if the last attempt succeeded */
	int	 held;		/* the last attempt wants FILE.confirm */
	int	 pending;	/* the file is still changing; will look again */
	int	 loading;	/* a load is running on the loader thread */
	char	 last_error[512];	/* the first error of the last attempt */
	unsigned last_errors;	/* how many it found; 0 if it succeeded */
	unsigned long reloads, failures;
	long long load_ms;	/* how long the last good load took */
	/* private */
	struct table_ops ops;
	table_report_fn *report;
	void	*report_ctx;
	long long settle_ms;
	unsigned shrink_pct;
	struct ev *ev;		/* set by table_source_async() */
	void	(*loaded)(struct table_source *, int, void *);
	void	*loaded_ctx;
	struct table_job *job;	/* the load running, if any */
	int	 again;		/* load again when it ends */
	unsigned watch;		/* filewatch id (async sources), 0 none */
	int	 renamed_in;	/* a whole file was renamed in: no settling */
	struct ev_timer *settle_timer;	/* a watched file settling */
	struct timespec mtime, ctime;
	mode_t	 mode;
	uid_t	 uid;
	gid_t	 gid;
	off_t	 size;
	ino_t	 ino;
	dev_t	 dev;
};

/* Defaults of the guard (server_common's table_settle_time, table_shrink_limit). */
#define TABLE_SETTLE_MS		1000
#define TABLE_SHRINK_PCT	50

typedef void table_loaded_fn(struct table_source *, int rc, void *ctx);

struct table_source *table_source_new(const char *path, const struct table_ops *);
void	table_source_free(struct table_source *);
/* table_source_guard - settle time (ms, 0 = only the read-time check) and shrink limit (%, 0 = off) */
void	table_source_guard(struct table_source *, long long settle_ms,
	    unsigned shrink_pct);
/* table_source_report - every error of each attempt goes to fn, not the log */
void	table_source_report(struct table_source *, table_report_fn *, void *ctx);
/* table_source_async - from now on load on the loader thread; fn on the loop */
void	table_source_async(struct table_source *, struct ev *,
	    table_loaded_fn *fn, void *ctx);
/*
 * table_source_load - (re)load now: 0 ok, -1 failed (old table kept, the
 * errors logged or reported, and recorded), 1 pending (a reload found the
 * file still changing). After table_source_async(): 0, the load started
 * (or will start when the running one ends); fn tells the result.
 */
int	table_source_load(struct table_source *);
/*
 * table_source_verify - load now for a "check": every error is logged as
 * "FILE, line N: reason" (or why the file cannot be read); returns how many
 * there were, 0 when the file loaded
 */
unsigned table_source_verify(struct table_source *);
/*
 * table_source_check - reload if the file changed, is pending, or a held
 * load was confirmed: 1 reloaded, 0 nothing to do (or, after
 * table_source_async(), a load started), -1 failed
 */
int	table_source_check(struct table_source *);

#endif /* PFH_TABLE_H */
