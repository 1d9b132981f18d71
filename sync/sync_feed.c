/*
 * sync_feed.c - one feed: rows in, a checked table file out
 *
 * A read (sync_feed_begin, _row per row, _end) builds the new file's text
 * in memory (at most max_table_size), then: every row written as a line
 * the reader reads back as given, the whole text through the reader's own
 * callbacks (sync_format.h), the mass-delete guard against the rows of the
 * last good file (counted from the file at start, so it holds across
 * restarts), then the file replaced atomically and its state file beside
 * it. Any refusal keeps the last good file and says why on the status
 * page and in the log; an unchanged table is not rewritten (the readers
 * would reload for nothing), only its state file is.
 */
#include "sysdep.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomicfile.h"
#include "ev.h"
#include "fileread.h"
#include "log.h"
#include "sync.h"
#include "xalloc.h"

/* state_path - OUTPUT.state */
static char *
state_path(const struct sync_feed *f)
{
	return xasprintf("%s.state", f->cfg->output);
}

/* load_state - the state file of an earlier run, for the status page */
static void
load_state(struct sync_feed *f)
{
	char *path = state_path(f), *text = NULL, err[256];
	struct stat st;
	size_t len = 0;
	int have_st;

	if (fileread_stable(path, 0, &text, &len, &st, &have_st, err,
	    sizeof(err)) == FILEREAD_OK &&
	    sync_state_parse(text, len, &f->state, err, sizeof(err)) < 0) {
		log_warn("feed %s: %s: %s (ignored)", f->name, path, err);
		memset(&f->state, 0, sizeof(f->state));
	}
	free(text);
	free(path);
}

/* load_baseline - the rows of the last good file: the guard's reference */
static void
load_baseline(struct sync_feed *f)
{
	const struct sync_cfg *cfg = f->gcfg;
	char err[512];
	int rc;

	rc = sync_format_count_file(f->cfg->fmt, cfg->version,
	    f->cfg->output, &f->base_rows, err, sizeof(err));
	f->have_file = rc > 0;
	if (rc < 0)
		/* not ours to judge: the first good read replaces it */
		log_warn("feed %s: the present %s does not parse (%s): no "
		    "mass-delete baseline until the first sync",
		    f->name, f->cfg->output, err);
}

/* sync_feed_new - a feed and what its last good file says */
struct sync_feed *
sync_feed_new(struct sync_daemon *sd, const struct sync_cfg *gcfg,
    const char *name, struct sync_feed_cfg *fc)
{
	struct sync_feed *f = xcalloc(1, sizeof(*f));

	f->sd = sd;
	f->gcfg = gcfg;
	f->name = xstrdup(name);
	f->cfg = fc;
	buf_init(&f->text, 0);
	load_baseline(f);
	load_state(f);
	return f;
}

/* sync_feed_free - a feed; its files stay */
void
sync_feed_free(struct sync_feed *f)
{
	if (f == NULL)
		return;
	buf_free(&f->text);
	free(f->name);
	free(f);
}

/* sync_feed_begin - a read starts: an empty text */
void
sync_feed_begin(struct sync_feed *f)
{
	buf_free(&f->text);
	buf_init(&f->text, (size_t)f->gcfg->max_table_size);
	/* a password file's text holds hashes: wiped when freed */
	if (f->cfg->fmt == SYNC_FMT_PWFILE)
		buf_set_secret(&f->text);
	/* the size of the last read and a little more: a big table is not
	 * copied (and, secret, wiped) at every doubling of the buffer */
	if (f->last_len > 0)
		(void)buf_space(&f->text, f->last_len + f->last_len / 16 + 1,
		    NULL);
	f->rows = 0;
	f->row_bad = false;
	f->row_error[0] = 0;
}

/* sync_feed_row_of - one row; the first bad one is kept, named by who */
void
sync_feed_row_of(struct sync_feed *f, const char *who,
    const char *const *cols, unsigned ncols)
{
	char why[384];

	f->rows++;
	if (f->row_bad)
		return;
	if (sync_format_row(f->cfg->fmt, cols, ncols, &f->text, why,
	    sizeof(why)) < 0) {
		f->row_bad = true;
		if (who)
			snprintf(f->row_error, sizeof(f->row_error), "%s: %s",
			    who, why);
		else
			snprintf(f->row_error, sizeof(f->row_error),
			    "row %zu: %s", f->rows, why);
	}
}

/* sync_feed_row - one row of a query, named by its number */
void
sync_feed_row(struct sync_feed *f, const char *const *cols, unsigned ncols)
{
	sync_feed_row_of(f, NULL, cols, ncols);
}

/* sync_feed_row_error - a row the source could not turn into columns */
void
sync_feed_row_error(struct sync_feed *f, const char *why)
{
	f->rows++;
	if (f->row_bad)
		return;
	f->row_bad = true;
	snprintf(f->row_error, sizeof(f->row_error), "%s", why);
}

/* refuse - keep the last good file; say why */
static void
refuse(struct sync_feed *f, unsigned long *counter, const char *why)
{
	(*counter)++;
	f->phase = FEED_REFUSED;
	snprintf(f->last_error, sizeof(f->last_error), "%s", why);
	log_warn("feed %s: update refused: %s; %s keeps its last good table",
	    f->name, why, f->cfg->output);
	buf_free(&f->text);
	buf_init(&f->text, 0);
}

/* output_gid - the group the file gets, or (gid_t)-1 to leave it */
static int
output_gid(const struct sync_feed *f, gid_t *gid, char *err, size_t errlen)
{
	const struct group *gr;

	*gid = (gid_t)-1;
	if (f->cfg->output_group[0] == 0)
		return 0;
	if ((gr = getgrnam(f->cfg->output_group)) == NULL) {
		snprintf(err, errlen, "output_group %s: no such group",
		    f->cfg->output_group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* sync_feed_write_beside - OUTPUT.SUFFIX, with the output's mode and group
 * (it may hold what the output holds: password hashes) */
int
sync_feed_write_beside(struct sync_feed *f, const char *suffix,
    const char *data, size_t len)
{
	char *path = xasprintf("%s.%s", f->cfg->output, suffix), why[512];
	mode_t mode = f->cfg->output_mode ? f->cfg->output_mode :
	    sync_format_mode(f->cfg->fmt);
	gid_t gid;
	int rc = -1;

	if (output_gid(f, &gid, why, sizeof(why)) == 0 &&
	    atomicfile_write(path, data, len, mode, gid, why, sizeof(why)) == 0)
		rc = 0;
	else
		log_warn("feed %s: %s: %s", f->name, path, why);
	free(path);
	return rc;
}

/* unchanged - does the file hold exactly this text already? */
static int
unchanged(const struct sync_feed *f)
{
	char *text = NULL, err[256];
	struct stat st;
	size_t len = 0;
	int have_st, same;

	if (!f->have_file || fileread_stable(f->cfg->output, 0, &text, &len,
	    &st, &have_st, err, sizeof(err)) != FILEREAD_OK)
		return 0;
	same = len == f->text.len && memcmp(text, f->text.data, len) == 0;
	free(text);
	return same;
}

/* write_state - OUTPUT.state for the read just applied */
static void
write_state(struct sync_feed *f, gid_t gid)
{
	char *path = state_path(f), err[512];
	struct buf b;

	buf_init(&b, 0);
	if (sync_state_format(&f->state, &b) < 0 ||
	    atomicfile_write(path, b.data, b.len, 0644, gid, err,
	    sizeof(err)) < 0)
		log_warn("feed %s: state file: %s", f->name, err);
	buf_free(&b);
	free(path);
}

/* sync_feed_end - the read is complete: check, guard, write */
void
sync_feed_end(struct sync_feed *f, const char *generation,
    const char *source)
{
	const struct sync_cfg *cfg = f->gcfg;
	char why[768];
	size_t n, gone;
	mode_t mode;
	gid_t gid;

	f->last_len = f->text.len;
	if (f->row_bad) {
		refuse(f, &f->refused_rows, f->row_error);
		return;
	}
	if (sync_format_check(f->cfg->fmt, cfg->version, f->text.data ?
	    f->text.data : "", f->text.len, f->cfg->kind == SYNC_SRC_LDAP ?
	    "the entries as written" : "query result", &n, why,
	    sizeof(why)) < 0) {
		/* "query result, line N" is row N: one line per row */
		refuse(f, &f->refused_rows, why);
		return;
	}
	gone = n < f->base_rows ? f->base_rows - n : 0;
	if (f->have_file && gone > 0 &&
	    (double)gone > cfg->max_delete_fraction_v * (double)f->base_rows) {
		snprintf(why, sizeof(why), "it would delete %zu of the %zu "
		    "rows of the last good file, more than "
		    "max_delete_fraction = %s", gone, f->base_rows,
		    cfg->max_delete_fraction);
		refuse(f, &f->refused_delete, why);
		return;
	}
	mode = f->cfg->output_mode ? f->cfg->output_mode :
	    sync_format_mode(f->cfg->fmt);
	if (output_gid(f, &gid, why, sizeof(why)) < 0) {
		refuse(f, &f->refused_write, why);
		return;
	}
	if (unchanged(f)) {
		f->unchanged++;
	} else if (atomicfile_write(f->cfg->output, f->text.data ?
	    f->text.data : "", f->text.len, mode, gid, why,
	    sizeof(why)) < 0) {
		refuse(f, &f->refused_write, why);
		return;
	} else {
		log_info("feed %s: %zu rows written to %s (generation %s)",
		    f->name, n, f->cfg->output, generation);
	}
	f->have_file = true;
	f->base_rows = n;
	f->phase = FEED_SYNCED;
	f->last_error[0] = 0;
	f->read_failed = false;
	f->syncs++;
	f->synced_mono = ev_now(server_ev(f->sd->srv));
	snprintf(f->state.source, sizeof(f->state.source), "%s", source);
	snprintf(f->state.generation, sizeof(f->state.generation), "%s",
	    generation);
	f->state.rows = n;
	f->state.synced_at = time(NULL);
	write_state(f, gid);
	buf_free(&f->text);
	buf_init(&f->text, 0);
}

/* sync_feed_failed - the read did not complete: nothing changes */
void
sync_feed_failed(struct sync_feed *f, const char *why)
{
	snprintf(f->last_error, sizeof(f->last_error), "%s", why);
	f->read_failed = true;
	log_warn("feed %s: read failed: %s; %s is unchanged", f->name, why,
	    f->cfg->output);
	buf_free(&f->text);
	buf_init(&f->text, 0);
}
