/*
 * dyn_store.c - the dynamic map's cache file (see dynamic.h, Persistence)
 *
 * One text line per domain, so an admin can read it and a damaged line is
 * easy to tell from a good one:
 *   v1 DOMAIN DANE DANE_EXPIRES STS_CHECKED STS_RECHECK ID FETCHED \
 *      FAIL_ID FAIL_UNTIL BODY
 * DANE is none, dane, dane-only or "-" (not known); times are seconds
 * since the epoch (0 = never); ID and FAIL_ID "-" when empty; BODY the
 * policy as fetched, in hex, or "-". A held policy is parsed again when
 * it is read back, so the file is never trusted beyond what a fetch is.
 * Entries nothing in is valid for any more are not written.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyn_int.h"
#include "log.h"
#include "lru.h"
#include "workq.h"
#include "xalloc.h"

#define STORE_MAGIC	"# tlsmap dynamic cache v1\n"

static const char hexdigits[] = "0123456789abcdef";

static const char *
dane_word(const struct dyn_entry *e)
{
	if (e->dane_expires == 0)
		return "-";
	return dane_result_name(e->dane);
}

struct writer {
	FILE	*f;
	time_t	 now;
	size_t	 n;
};

static int
write_entry(const void *key, size_t klen, void *data, void *arg)
{
	struct writer *w = arg;
	const struct dyn_entry *e = data;
	size_t i;

	if (e->dane_expires <= w->now &&
	    !(e->sts_body != NULL && e->sts_expires > w->now))
		return 0;
	fprintf(w->f, "v1 %s %s %lld %d %lld %s %lld %s %lld ", e->domain,
	    dane_word(e), (long long)e->dane_expires, e->sts_checked,
	    (long long)e->sts_recheck, e->sts_id[0] ? e->sts_id : "-",
	    (long long)e->sts_fetched, e->fail_id[0] ? e->fail_id : "-",
	    (long long)e->fail_until);
	if (e->sts_body == NULL)
		fputc('-', w->f);
	for (i = 0; e->sts_body != NULL && i < e->sts_body_len; i++) {
		fputc(hexdigits[(unsigned char)e->sts_body[i] >> 4], w->f);
		fputc(hexdigits[(unsigned char)e->sts_body[i] & 15], w->f);
	}
	fputc('\n', w->f);
	w->n++;
	return 0;
}

/*
 * A save: the records formatted on the loop, written by save_write() on
 * the writer thread (or on the loop at a stop). The job owns its copies.
 */
struct save_job {
	struct dyn *d;
	char	*path, *tmp;
	char	*text;
	size_t	 len, n;
	time_t	 when;
	int	 error;			/* errno of the failed step, 0 done */
};

static void
save_job_free(struct save_job *j)
{
	free(j->path);
	free(j->tmp);
	free(j->text);
	free(j);
}

/* save_write - temp file, fsync, rename; touches only the job */
static void
save_write(struct save_job *j)
{
	size_t off = 0;
	ssize_t w;
	int fd;

	j->error = 0;
	if ((fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) < 0) {
		j->error = errno;
		return;
	}
	while (off < j->len) {
		if ((w = write(fd, j->text + off, j->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	/* a full disk shows here: the old file stays as it was */
	if (off < j->len || fsync(fd) < 0)
		j->error = errno ? errno : EIO;
	if (close(fd) < 0 && j->error == 0)
		j->error = errno;
	if (j->error == 0 && rename(j->tmp, j->path) < 0)
		j->error = errno;
	if (j->error != 0)
		(void)unlink(j->tmp);
}

static void
save_report(struct save_job *j, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot write the cache file %s: %s (the "
	    "previous one is kept)", j->path, strerror(j->error));
}

/* save_ended - on the loop, after the thread wrote (or failed) */
static void
save_ended(struct save_job *j)
{
	struct dyn *d = j->d;
	char err[512];

	d->saving = 0;
	if (j->error != 0) {
		d->dirty = 1;		/* tried again a minute later */
		save_report(j, err, sizeof(err));
		log_warn("dynamic: %s", err);
	} else {
		log_debug("dynamic: saved %zu entries to %s", j->n, j->path);
	}
	save_job_free(j);
}

static void
save_work(void *arg)
{
	save_write(arg);
}

static void
save_done(void *arg)
{
	save_ended(arg);
}

/* format - the cache's records as the file's text, into a new job */
static struct save_job *
format(struct dyn *d, char *err, size_t errlen)
{
	struct save_job *j = xcalloc(1, sizeof(*j));
	struct writer w;

	j->d = d;
	j->path = xstrdup(d->cache_file);
	j->tmp = xmalloc(strlen(d->cache_file) + sizeof(".tmp"));
	memcpy(j->tmp, d->cache_file, strlen(d->cache_file));
	memcpy(j->tmp + strlen(d->cache_file), ".tmp", sizeof(".tmp"));
	memset(&w, 0, sizeof(w));
	w.now = j->when = time(NULL);
	if ((w.f = open_memstream(&j->text, &j->len)) == NULL) {
		snprintf(err, errlen, "cache file %s: %s", d->cache_file,
		    strerror(errno));
		save_job_free(j);
		return NULL;
	}
	fputs(STORE_MAGIC, w.f);
	(void)lru_foreach(d->cache, write_entry, &w);
	if (fclose(w.f) != 0) {
		snprintf(err, errlen, "cache file %s: %s", d->cache_file,
		    strerror(errno));
		save_job_free(j);
		return NULL;
	}
	j->n = w.n;
	return j;
}

void
dyn_store_end(struct dyn *d)
{
	if (d->saver != NULL) {
		workq_free(d->saver);	/* runs the done() of a save on it */
		d->saver = NULL;
	}
}

int
dyn_save(struct dyn *d, int force, char *err, size_t errlen)
{
	struct save_job *j;

	if (!d->dirty && !force)
		return 0;
	if (force)
		dyn_store_end(d);
	else if (d->saving)
		return 0;		/* still dirty: the next tick */
	d->save_tried = time(NULL);
	if ((j = format(d, err, errlen)) == NULL)
		return -1;
	d->dirty = 0;
	if (!force && d->ev != NULL) {
		if (d->saver == NULL)
			d->saver = workq_new(d->ev, 1, 1);
		if (workq_submit(d->saver, save_work, save_done, j) == 0) {
			d->saving = 1;
			return 0;
		}
	}
	save_write(j);
	if (j->error != 0) {
		d->dirty = 1;
		save_report(j, err, errlen);
		save_job_free(j);
		return -1;
	}
	log_debug("dynamic: saved %zu entries to %s", j->n, j->path);
	save_job_free(j);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * parse_time - a time as the writer puts it: decimal digits, no sign, in
 * range. sscanf("%lld") took "-9223372036854775807" (the cap checks then
 * overflowed) and "12x".
 */
static int
parse_time(const char *s, long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *end == 0 && errno == 0 ? 0 : -1;
}

/* load_line - one record into the cache; -1 + why when malformed */
static int
load_line(struct dyn *d, char *line, time_t now, const char **why)
{
	char *f[12], *save = NULL, *tok, dom[DYN_DOMAIN_MAX + 1];
	char perr[256], *body = NULL;
	struct dyn_entry *e;
	long long dexp, recheck, fetched, fail_until;
	size_t n = 0, blen = 0, i;
	int created, dane, checked;

	for (tok = strtok_r(line, " \n", &save); tok != NULL && n < 12;
	    tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	if (n != 11 || strcmp(f[0], "v1") != 0) {
		*why = "not 11 fields starting with v1";
		return -1;
	}
	if (dyn_key_domain(f[1], strlen(f[1]), dom, sizeof(dom)) < 0 ||
	    strcmp(dom, f[1]) != 0) {
		*why = "not a domain";
		return -1;
	}
	if (strcmp(f[2], "-") == 0)
		dane = -1;
	else if (strcmp(f[2], "none") == 0)
		dane = DANE_NONE;
	else if (strcmp(f[2], "dane") == 0)
		dane = DANE_OPPORTUNISTIC;
	else if (strcmp(f[2], "dane-only") == 0)
		dane = DANE_ONLY;
	else {
		*why = "unknown DANE result";
		return -1;
	}
	if (parse_time(f[3], &dexp) < 0 || parse_time(f[5], &recheck) < 0 ||
	    parse_time(f[7], &fetched) < 0 ||
	    parse_time(f[9], &fail_until) < 0 ||
	    (strcmp(f[4], "0") != 0 && strcmp(f[4], "1") != 0) ||
	    strlen(f[6]) > STS_ID_MAX || strlen(f[8]) > STS_ID_MAX) {
		*why = "bad number or id";
		return -1;
	}
	checked = f[4][0] == '1';
	if (strcmp(f[10], "-") != 0) {
		size_t hl = strlen(f[10]);

		if (hl % 2 != 0 || hl / 2 > STS_BODY_MAX) {
			*why = "bad policy body";
			return -1;
		}
		body = xmalloc(hl / 2 + 1);
		for (i = 0; i < hl; i += 2) {
			int hi = hexval(f[10][i]), lo = hexval(f[10][i + 1]);

			if (hi < 0 || lo < 0) {
				free(body);
				*why = "bad policy body";
				return -1;
			}
			body[blen++] = (char)(hi << 4 | lo);
		}
	}
	e = lru_put(d->cache, dom, strlen(dom), &created);
	snprintf(e->domain, sizeof(e->domain), "%s", dom);
	/*
	 * The policy first: a record refused here leaves nothing behind (a
	 * new entry goes again; dyn_sts_hold() changes nothing when it
	 * fails), and holding it, which clears the back-off, comes before
	 * the record's own FAIL_ID is applied.
	 */
	if (body != NULL && strcmp(f[6], "-") != 0 && fetched <= now &&
	    dyn_sts_hold(d, e, f[6], body, blen, (time_t)fetched, perr,
	    sizeof(perr)) < 0) {
		if (created)
			lru_remove(d->cache, e);
		free(body);
		*why = "the policy held does not parse";
		return -1;
	}
	free(body);
	/* a clock that went back must not stretch anything past the cap */
	if (dane >= 0 && dexp > now && dexp - now <= DYN_TTL_CAP) {
		e->dane = (enum dane_result)dane;
		e->dane_expires = (time_t)dexp;
		free(e->dane_detail);
		e->dane_detail = xstrdup("(read from the cache file)");
	}
	e->sts_checked = checked;
	e->sts_recheck = recheck - now <= DYN_TTL_CAP ? (time_t)recheck : now;
	if (strcmp(f[8], "-") != 0 && fail_until > now) {
		snprintf(e->fail_id, sizeof(e->fail_id), "%s", f[8]);
		e->fail_until = (time_t)fail_until;
	}
	e->last_used = now;
	return 0;
}

void
dyn_store_load(struct dyn *d)
{
	char *line = NULL;
	size_t cap = 0, n = 0;
	unsigned lineno = 0;
	const char *why;
	time_t now = time(NULL);
	FILE *f;

	if ((f = fopen(d->cache_file, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("dynamic: cache file %s: %s: starting with an "
			    "empty cache", d->cache_file, strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, STORE_MAGIC) != 0) {
				log_warn("dynamic: cache file %s is not a tlsmap "
				    "cache: ignored", d->cache_file);
				break;
			}
			continue;
		}
		if (load_line(d, line, now, &why) < 0) {
			log_warn("dynamic: cache file %s, line %u: %s: the rest "
			    "of the file is ignored", d->cache_file, lineno,
			    why);
			break;
		}
		n++;
	}
	free(line);
	fclose(f);
	log_info("dynamic: %zu cache entries read from %s", n, d->cache_file);
}
