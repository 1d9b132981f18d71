/*
 * table_source.c - a table file and the good table loaded from it
 *
 * (Contract in table.h, above struct table_source.)
 *
 * Every load is a table_job: the inputs copied from the source (so the
 * loader thread never reads the source itself), the attempt, and its
 * result. run_attempt() is the part that may run on the loader thread: it
 * reads the file once it has settled, parses it and applies the guard
 * (empty or shrinking tables). apply() records the result in the source
 * and swaps the table; it runs on the thread that owns the source. A
 * synchronous load is the same two steps in a row.
 *
 * Why the guard sits here and not in the daemons: every daemon's table is
 * a policy, and for each of them a smaller table is a weaker one (a TLS
 * level that is no longer enforced, a senders= restriction that is gone,
 * users locked out), so one rule serves all.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ev.h"
#include "fileread.h"
#include "filewatch.h"
#include "log.h"
#include "table.h"
#include "workq.h"
#include "xalloc.h"

/* Most errors a background load keeps for a reporter. */
#define JOB_MAX_MSGS	10000

enum { ATT_LOADED, ATT_CHANGING, ATT_FAILED, ATT_HELD };

struct table_job {
	struct table_source *ts;	/* NULL once the source is freed */
	/* in (copies) */
	char	*path;
	struct table_ops ops;
	long long settle_ms;
	long long wait_ms;	/* > 0: decide now (a first load) */
	unsigned shrink_pct;
	size_t	 old_count;
	int	 have_old;
	int	 collect;	/* keep every error for the loop's reporter */
	table_report_fn *report;	/* synchronous loads: the source's */
	void	*report_ctx;
	/* out */
	int	 rc;
	struct table *t;
	struct stat st;
	int	 have_st;
	char	 err[sizeof(((struct table_source *)0)->last_error)];
	unsigned nerr;
	char	**msgs;
	size_t	 nmsgs;
	long long ms;
	atomic_int finished;	/* run_attempt() is done with the inputs */
};

static struct workq *loader;	/* the one loader thread of the process */
static struct ev *loader_ev;

/* job_report - an error of the attempt: to the reporter, or kept for it */
static void
job_report(const char *msg, void *ctx)
{
	struct table_job *job = ctx;

	if (job->collect) {
		if (job->nmsgs < JOB_MAX_MSGS) {
			job->msgs = xreallocarray(job->msgs, job->nmsgs + 1,
			    sizeof(*job->msgs));
			job->msgs[job->nmsgs++] = xstrdup(msg);
		}
	} else if (job->report != NULL)
		job->report(msg, job->report_ctx);
}

/* job_error - the attempt's own error (not a line's): recorded, reported */
static void PFH_PRINTF(2, 3)
job_error(struct table_job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(job->err, sizeof(job->err), fmt, ap);
	va_end(ap);
	job->nerr = 1;
	job_report(job->err, job);
}

/* job_new - a load of ts, its inputs copied */
static struct table_job *
job_new(struct table_source *ts, int decide)
{
	struct table_job *job = xcalloc(1, sizeof(*job));

	job->ts = ts;
	job->path = xstrdup(ts->path);
	job->ops = ts->ops;
	/* a file renamed in is whole: nothing to wait for */
	job->settle_ms = ts->renamed_in ? 0 : ts->settle_ms;
	ts->renamed_in = 0;
	/* a first load waits for a settling file: a few settle times */
	job->wait_ms = decide ? ts->settle_ms * 3 + 500 : 0;
	job->shrink_pct = ts->shrink_pct;
	job->have_old = ts->table != NULL;
	job->old_count = ts->table ? table_count(ts->table) : 0;
	job->report = ts->report;
	job->report_ctx = ts->report_ctx;
	atomic_init(&job->finished, 0);
	return job;
}

/* job_free - the job and whatever result nobody took */
static void
job_free(struct table_job *job)
{
	size_t i;

	table_unref(job->t);
	for (i = 0; i < job->nmsgs; i++)
		free(job->msgs[i]);
	free(job->msgs);
	free(job->path);
	free(job);
}

/*
 * guard - an empty table, or one that drops too many entries, unless the
 * admin confirmed this very file: ATT_HELD with the reason in job->err
 */
static int
guard(struct table_job *job, size_t n)
{
	size_t old = job->old_count, lost;

	if (n == 0 && (!job->have_old || old > 0)) {
		if (fileread_confirmed(job->path, &job->st))
			return ATT_LOADED;
		job_error(job, "%s: no entries (the file is empty or holds "
		    "only comments): an empty table is refused%s; if it is "
		    "meant to be empty, confirm with: touch %s" FILEREAD_CONFIRM,
		    job->path, job->have_old ? " on reload" : "", job->path);
		return ATT_HELD;
	}
	if (!job->have_old || job->shrink_pct == 0 || n >= old)
		return ATT_LOADED;
	lost = old - n;
	if ((double)lost * 100.0 <= (double)job->shrink_pct * (double)old)
		return ATT_LOADED;
	if (fileread_confirmed(job->path, &job->st))
		return ATT_LOADED;
	job_error(job, "%s: would drop %zu of its %zu entries (%.0f%%, more "
	    "than table_shrink_limit = %u%%); if that is meant, confirm with: "
	    "touch %s" FILEREAD_CONFIRM, job->path, lost, old,
	    (double)lost * 100.0 / (double)old, job->shrink_pct, job->path);
	return ATT_HELD;
}

/* run_attempt - read, parse and guard; thread-safe (touches only job) */
static void
run_attempt(struct table_job *job)
{
	uint64_t t0 = ev_monotonic_ms();
	size_t len;
	char *text;
	int rc;

	if (job->wait_ms > 0)
		rc = fileread_wait(job->path, job->settle_ms, job->wait_ms,
		    &text, &len, &job->st, &job->have_st, job->err,
		    sizeof(job->err));
	else
		rc = fileread_stable(job->path, job->settle_ms, &text, &len,
		    &job->st, &job->have_st, job->err, sizeof(job->err));
	if (rc == FILEREAD_CHANGING && job->wait_ms == 0) {
		/* not an error: the next check looks again */
		job->nerr = 1;
		job->rc = ATT_CHANGING;
		goto out;
	}
	if (rc != FILEREAD_OK) {
		if (rc == FILEREAD_CHANGING) {
			size_t n = strlen(job->err);

			snprintf(job->err + n, sizeof(job->err) - n,
			    "; still changing, not loaded");
		}
		job->nerr = 1;
		job_report(job->err, job);
		job->rc = ATT_FAILED;
		goto out;
	}
	if (job->ops.file_ok != NULL && job->ops.file_ok(job->path, &job->st,
	    job->ops.arg, job->err, sizeof(job->err)) < 0) {
		free(text);
		job->nerr = 1;
		job_report(job->err, job);
		job->rc = ATT_FAILED;
		goto out;
	}
	job->t = table_parse_file(text, len, job->path, &job->ops,
	    job_report, job, job->err, sizeof(job->err), &job->nerr);
	free(text);
	if (job->t == NULL) {
		job->rc = ATT_FAILED;
		goto out;
	}
	if ((job->rc = guard(job, table_count(job->t))) != ATT_LOADED) {
		table_unref(job->t);
		job->t = NULL;
	}
out:
	job->ms = (long long)(ev_monotonic_ms() - t0);
	atomic_store_explicit(&job->finished, 1, memory_order_release);
}

/* release_work - loader thread: drop a replaced table */
static void
release_work(void *t)
{
	table_unref(t);
}

/* release_done - nothing left to do on the loop */
static void
release_done(void *t)
{
	(void)t;
}

/*
 * release - drop the source's reference to a replaced table; with a
 * loader, there: freeing a million entries is no work for the loop
 */
static void
release(struct table_source *ts, struct table *t)
{
	if (t == NULL)
		return;
	if (ts->ev != NULL && loader != NULL &&
	    workq_submit(loader, release_work, release_done, t) == 0)
		return;
	table_unref(t);
}

/* remember - record the identity of what the last attempt saw */
static void
remember(struct table_source *ts, const struct stat *st)
{
	if (st == NULL) {
		/* No file: a sentinel that no real file matches. */
		memset(&ts->mtime, 0, sizeof(ts->mtime));
		memset(&ts->ctime, 0, sizeof(ts->ctime));
		ts->size = -1;
		ts->ino = 0;
		ts->dev = 0;
		return;
	}
	ts->mtime = st->st_mtim;
	ts->ctime = st->st_ctim;
	ts->mode = st->st_mode;
	ts->uid = st->st_uid;
	ts->gid = st->st_gid;
	ts->size = st->st_size;
	ts->ino = st->st_ino;
	ts->dev = st->st_dev;
}

/*
 * apply - record a finished attempt in the source: 0 loaded, -1 refused
 * or held (logged unless a reporter saw every error), 1 pending
 */
static int
apply(struct table_source *ts, struct table_job *job)
{
	struct stat st;
	char more[64];
	size_t i;

	ts->tried_at = time(NULL);
	for (i = 0; i < job->nmsgs; i++)
		if (ts->report != NULL)
			ts->report(job->msgs[i], ts->report_ctx);
	if (job->rc == ATT_CHANGING) {
		/* said once per change, at info: this is the normal case */
		if (!ts->pending)
			log_info("%s; will look again", job->err);
		ts->pending = 1;
		return 1;
	}
	ts->pending = 0;
	if (job->rc == ATT_LOADED) {
		remember(ts, &job->st);
		/* "reloads" counts replacements, not the first load. */
		if (ts->table != NULL)
			ts->reloads++;
		release(ts, ts->table);
		ts->table = job->t;
		job->t = NULL;
		ts->loaded_at = ts->tried_at;
		ts->load_ms = job->ms;
		ts->last_ok = 1;
		ts->held = 0;
		ts->last_error[0] = 0;
		ts->last_errors = 0;
		return 0;
	}
	/* An unreadable file that exists still has an identity. */
	if (job->have_st)
		remember(ts, &job->st);
	else
		remember(ts, stat(ts->path, &st) == 0 ? &st : NULL);
	ts->held = job->rc == ATT_HELD;
	ts->last_ok = 0;
	ts->failures++;
	ts->last_errors = job->nerr > 0 ? job->nerr : 1;
	snprintf(ts->last_error, sizeof(ts->last_error), "%s",
	    job->err[0] ? job->err : "unknown error");
	/* a reporter has seen every error; the log gets one line */
	if (ts->report != NULL && job->nerr > 0)
		return -1;
	more[0] = 0;
	if (ts->last_errors > 1)
		snprintf(more, sizeof(more), " (and %u more error%s)",
		    ts->last_errors - 1, ts->last_errors > 2 ? "s" : "");
	if (ts->table != NULL)
		log_error("%s%s; keeping the table loaded before",
		    ts->last_error, more);
	else
		log_error("%s%s", ts->last_error, more);
	return -1;
}

static int start_job(struct table_source *);

/* job_work - loader thread */
static void
job_work(void *v)
{
	run_attempt(v);
}

static void watched(void *, int);

/* settle_fire - the settle time of a watched, changing file is over */
static void
settle_fire(struct ev *ev, void *ctx)
{
	struct table_source *ts = ctx;

	(void)ev;
	ts->settle_timer = NULL;
	watched(ts, 0);
}

/* job_done - loop thread: apply the result, tell the daemon */
static void
job_done(void *v)
{
	struct table_job *job = v;
	struct table_source *ts = job->ts;
	int rc;

	if (ts == NULL) {
		job_free(job);
		return;
	}
	ts->job = NULL;
	ts->loading = 0;
	rc = apply(ts, job);
	job_free(job);
	/* a watched file still settling: look again when it may have */
	if (ts->pending && ts->watch != 0 && ts->settle_timer == NULL)
		ts->settle_timer = ev_timer_add(ts->ev,
		    (uint64_t)ts->settle_ms + 50, settle_fire, ts);
	/* the next load first: the callback may free the source */
	if (ts->again) {
		ts->again = 0;
		(void)start_job(ts);
	}
	if (ts->loaded != NULL)
		ts->loaded(ts, rc == 0 ? 1 : rc < 0 ? -1 : 0, ts->loaded_ctx);
}

/* start_job - queue a load on the loader thread (or note one more) */
static int
start_job(struct table_source *ts)
{
	struct table_job *job;
	int rc;

	if (ts->job != NULL) {
		ts->again = 1;
		return 0;
	}
	job = job_new(ts, 0);
	job->collect = ts->report != NULL;
	ts->job = job;
	ts->loading = 1;
	if (workq_submit(loader, job_work, job_done, job) == 0)
		return 0;
	/* cannot happen with an unbounded queue; load here rather than not */
	ts->job = NULL;
	ts->loading = 0;
	job->collect = 0;
	run_attempt(job);
	rc = apply(ts, job);
	job_free(job);
	return rc;
}

/* table_source_new - remember a path; nothing is loaded yet */
struct table_source *
table_source_new(const char *path, const struct table_ops *ops)
{
	struct table_source *ts = xcalloc(1, sizeof(*ts));

	ts->path = xstrdup(path);
	if (ops != NULL)
		ts->ops = *ops;
	ts->size = -1;
	ts->settle_ms = TABLE_SETTLE_MS;
	ts->shrink_pct = TABLE_SHRINK_PCT;
	return ts;
}

/* table_source_free - drop the current table and the source */
void
table_source_free(struct table_source *ts)
{
	struct timespec nap = {0, 1000000};
	struct table_job *job;

	if (ts == NULL)
		return;
	filewatch_remove(ts->watch);
	if (ts->settle_timer != NULL)
		ev_timer_cancel(ts->ev, ts->settle_timer);
	if ((job = ts->job) != NULL) {
		/* ops->arg may go right after us: let the parse end first */
		while (!atomic_load_explicit(&job->finished,
		    memory_order_acquire))
			nanosleep(&nap, NULL);
		table_unref(job->t);
		job->t = NULL;
		job->ts = NULL;	/* job_done() only frees it */
	}
	table_unref(ts->table);
	free(ts->path);
	free(ts);
}

/* table_source_guard - settle time and shrink limit */
void
table_source_guard(struct table_source *ts, long long settle_ms,
    unsigned shrink_pct)
{
	ts->settle_ms = settle_ms < 0 ? 0 : settle_ms;
	ts->shrink_pct = shrink_pct > 100 ? 100 : shrink_pct;
}

/* table_source_report - errors go to fn (NULL: back to the log) */
void
table_source_report(struct table_source *ts, table_report_fn *fn, void *ctx)
{
	ts->report = fn;
	ts->report_ctx = ctx;
}

/* watched - filewatch_fn: the file's name changed in its directory */
static void
watched(void *ctx, int renamed)
{
	struct table_source *ts = ctx;

	ts->renamed_in |= renamed;
	if (ts->job != NULL) {
		ts->again = 1;	/* after the load running now */
		return;
	}
	(void)table_source_check(ts);
	if (ts->job == NULL)
		ts->renamed_in = 0;	/* nothing new: no load to hurry */
}

/* table_source_async - loads go to the process's loader thread */
void
table_source_async(struct table_source *ts, struct ev *ev,
    table_loaded_fn *fn, void *ctx)
{
	if (loader == NULL || loader_ev != ev) {
		if (loader != NULL)
			log_panic("table: a second event loop for the loader");
		loader = workq_new(ev, 1, 0);
		loader_ev = ev;
	}
	ts->ev = ev;
	ts->loaded = fn;
	ts->loaded_ctx = ctx;
	if (ts->watch == 0)
		ts->watch = filewatch_add(ev, ts->path, watched, ts);
}

/* table_source_load - load now (or start loading); keep the old table on failure */
int
table_source_load(struct table_source *ts)
{
	struct table_job *job;
	int rc;

	if (ts->ev != NULL)
		return start_job(ts);
	job = job_new(ts, ts->table == NULL);
	run_attempt(job);
	rc = apply(ts, job);
	job_free(job);
	return rc;
}

/* verify_report - table_source_verify's reporter: log and count */
static void
verify_report(const char *msg, void *ctx)
{
	unsigned *n = ctx;

	log_error("%s", msg);
	(*n)++;
}

/* table_source_verify - load once, every error logged; how many there were */
unsigned
table_source_verify(struct table_source *ts)
{
	table_report_fn *report = ts->report;
	void *report_ctx = ts->report_ctx;
	struct ev *ev = ts->ev;
	unsigned n = 0;
	int rc;

	table_source_report(ts, verify_report, &n);
	ts->ev = NULL;
	rc = table_source_load(ts);
	ts->ev = ev;
	table_source_report(ts, report, report_ctx);
	if (rc < 0 && n == 0) {
		/* the file itself could not be read: one reason, not per line */
		log_error("%s", ts->last_error);
		n = 1;
	}
	return rc < 0 ? n : 0;
}

/*
 * table_source_check - reload when the identity (remember()) changed, when the
 * file was still changing last time, or when a held load was confirmed
 */
int
table_source_check(struct table_source *ts)
{
	struct stat st;
	int same, exists, rc;

	if (ts->job != NULL)
		return 0;	/* its result is on the way */
	exists = stat(ts->path, &st) == 0;
	if (!exists)
		same = ts->size == -1 && ts->ino == 0;
	else
		same = st.st_mtim.tv_sec == ts->mtime.tv_sec &&
		    st.st_mtim.tv_nsec == ts->mtime.tv_nsec &&
		    st.st_ctim.tv_sec == ts->ctime.tv_sec &&
		    st.st_ctim.tv_nsec == ts->ctime.tv_nsec &&
		    st.st_mode == ts->mode && st.st_uid == ts->uid &&
		    st.st_gid == ts->gid && st.st_size == ts->size && st.st_ino == ts->ino &&
		    st.st_dev == ts->dev;
	if (same && ts->tried_at != 0 && !ts->pending &&
	    !(ts->held && exists && fileread_confirmed(ts->path, &st)))
		return 0;
	rc = table_source_load(ts);
	if (ts->ev != NULL)
		return rc < 0 ? -1 : 0;
	return rc == 0 ? 1 : rc < 0 ? -1 : 0;
}
