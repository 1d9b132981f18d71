/*
 * auth_pwfile.c - the embedded default backend: a user[@realm]:hash file
 *
 * Contract: lines "user:hash" or "user@realm:hash" (anything after a second
 * ':' is ignored, so shadow-style lines work), '#' comments. The hash is a
 * crypt(3) string verified with libxcrypt. Accepted: yescrypt ($y$),
 * gost-yescrypt ($gy$), scrypt ($7$), bcrypt ($2b$, $2y$), sha512crypt
 * ($6$), sha256crypt ($5$). MD5-crypt ($1$), bcrypt $2a$ and DES refuse the
 * whole file unless pwfile_allow_weak_hashes = yes. A hash starting with
 * '!' or '*' marks the account locked. Every hash is checked when the file
 * is loaded (table.h value callback), so a request never parses anything.
 * The file must not be readable by others nor writable by group or others,
 * and must belong to root or to us (OpenBSD check_file_secrecy()).
 * It is reloaded when it changes (spec->tick, SIGHUP); a broken or unsafe
 * new file keeps the old table. Unknown and locked users still cost one
 * hash of the file's own scheme, so timing does not tell them apart.
 *
 * Errors never quote the password field, nor any other byte of a line
 * that may hold a password (issue #11: a pasted plaintext password was
 * logged). They give "FILE, line N" (table.h), at most a known scheme id
 * such as "$3$" (only the text between the first two '$', and only when
 * it is on the list below), and the user name only when it is a plain
 * name in front of a field that has a crypt(3) prefix: in front of
 * anything else the split may have gone wrong ("Summer:2024" alone on a
 * line makes "Summer" the user), so the name is left out.
 */
#include "sysdep.h"

#include <crypt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "realm.h"
#include "saslauthd.h"
#include "secret.h"
#include "status.h"
#include "table.h"
#include "xalloc.h"

/* An immutable view a request holds while a worker verifies against it. */
struct pwfile_snap {
	atomic_uint refs;
	struct table *t;
	char	*dummy;		/* a hash of the file's scheme, for misses */
};

struct pwfile_state {
	struct table_source *ts;
	struct pwfile_snap *cur;
	bool	 allow_weak;
};

/* pwfile_secrecy - after OpenBSD ntpd check_file_secrecy() */
int
pwfile_secrecy(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owner must be root or uid %ld, "
		    "not %ld", path, (long)geteuid(), (long)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IRWXO)) {
		snprintf(err, errlen, "%s: mode %04o lets others read it or "
		    "anyone but the owner write it; chmod 0600 or 0640",
		    path, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* pw_file_ok - table_ops.file_ok: the secrecy of what was read */
static int
pw_file_ok(const char *path, const struct stat *st, void *arg, char *err,
    size_t errlen)
{
	(void)arg;
	return pwfile_secrecy(path, st, err, errlen);
}

/* first_hash - table_foreach helper: the first verifiable hash */
static int
first_hash(const struct table_entry *te, void *arg)
{
	const struct pw_hash *h = te->obj;

	if (h->hash[0] == 0)
		return 0;
	*(const char **)arg = h->hash;
	return 1;
}

/* snap_new - wrap the current table for requests */
static struct pwfile_snap *
snap_new(struct table *t)
{
	struct pwfile_snap *s = xcalloc(1, sizeof(*s));
	const char *h = NULL;

	atomic_init(&s->refs, 1);
	s->t = table_ref(t);
	table_foreach(t, first_hash, &h);
	/* a hash of the file's own scheme and cost, for unknown users */
	s->dummy = h ? xstrdup(h) : auth_crypt_dummy();
	return s;
}

/* snap_unref - the last holder frees it (loop or worker) */
static void
snap_unref(struct pwfile_snap *s)
{
	if (s == NULL ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	table_unref(s->t);
	free(s->dummy);
	free(s);
}

/* pw_ops - the table callbacks of a password file */
static void
pw_ops(const struct sasl_cfg *cfg, struct pwfile_state *ps,
    struct table_ops *ops)
{
	ps->allow_weak = cfg->pwfile_allow_weak_hashes;
	pwfile_hash_ops(ops, &ps->allow_weak);
	ops->file_ok = pw_file_ok;
}

/* pwfile_verify - "check": the file's modes, or every bad line named */
unsigned
pwfile_verify(const struct sasl_cfg *cfg)
{
	struct pwfile_state ps;
	struct table_ops ops;
	struct table_source *ts;
	unsigned n;

	memset(&ps, 0, sizeof(ps));
	pw_ops(cfg, &ps, &ops);
	ts = table_source_new(cfg->pwfile, &ops);
	server_table_guard(ts, &cfg->common);
	if ((n = table_source_verify(ts)) == 0)
		fprintf(stderr, "%s: check: pwfile %s: %zu entries\n",
		    SASL_PROG, cfg->pwfile, table_count(ts->table));
	table_source_free(ts);
	return n;
}

/* pw_loaded - table_loaded_fn: a background reload ended; new snapshot */
static void
pw_loaded(struct table_source *ts, int rc, void *ctx)
{
	struct pwfile_state *ps = ctx;

	if (rc <= 0)
		return;
	snap_unref(ps->cur);
	ps->cur = snap_new(ts->table);
	log_info("pwfile: %s reloaded: %zu entries", ts->path,
	    table_count(ts->table));
	if (auth_data_changed != NULL)
		auth_data_changed(auth_data_changed_ctx);
}

/* pw_open - load the file; refusing to start is better than refusing all */
static int
pw_open(const struct sasl_cfg *cfg, void **state, char *err, size_t errlen)
{
	struct pwfile_state *ps = xcalloc(1, sizeof(*ps));
	struct table_ops ops;

	pw_ops(cfg, ps, &ops);
	ps->ts = table_source_new(cfg->pwfile, &ops);
	server_table_guard(ps->ts, &cfg->common);
	if (table_source_load(ps->ts) < 0) {
		if (ps->ts->last_error[0])
			snprintf(err, errlen, "pwfile: %s", ps->ts->last_error);
		table_source_free(ps->ts);
		free(ps);
		return -1;
	}
	ps->cur = snap_new(ps->ts->table);
	log_info("pwfile: %s: %zu entries", cfg->pwfile,
	    table_count(ps->ts->table));
	/* reloads parse on the loader thread (none for "check") */
	if (auth_loop != NULL)
		table_source_async(ps->ts, auth_loop, pw_loaded, ps);
	*state = ps;
	return 0;
}

/* pw_close - requests in flight keep their snapshots */
static void
pw_close(void *state)
{
	struct pwfile_state *ps = state;

	snap_unref(ps->cur);
	table_source_free(ps->ts);
	free(ps);
}

/*
 * pw_check - reload a changed file (one that became unsafe is refused by
 * pw_file_ok, on what was read). After auth_loop is set the reload runs
 * on the loader thread: 0 here, and pw_loaded() tells auth_data_changed
 * once the new table is in place.
 */
static int
pw_check(void *state)
{
	struct pwfile_state *ps = state;
	int rc;

	if ((rc = table_source_check(ps->ts)) != 1)
		return rc;
	snap_unref(ps->cur);
	ps->cur = snap_new(ps->ts->table);
	log_info("pwfile: %s reloaded: %zu entries", ps->ts->path,
	    table_count(ps->ts->table));
	return 1;
}

/* pw_ready - loaded at least once */
static int
pw_ready(void *state, char *why, size_t whylen)
{
	struct pwfile_state *ps = state;

	if (ps->cur == NULL) {
		snprintf(why, whylen, "pwfile not loaded");
		return 0;
	}
	return 1;
}

/* pw_prepare - the request holds the current snapshot */
static void *
pw_prepare(void *state)
{
	struct pwfile_state *ps = state;

	atomic_fetch_add_explicit(&ps->cur->refs, 1, memory_order_relaxed);
	return ps->cur;
}

/* pw_release - drop the request's snapshot */
static void
pw_release(void *data)
{
	snap_unref(data);
}

/* pw_verify - worker: look up, hash, compare */
static void
pw_verify(struct auth_req *r)
{
	const struct pwfile_snap *s = r->data;
	const struct table_entry *te;
	const struct pw_hash *h;
	char key[AUTH_LOGIN_MAX];
	int rc;

	if (realm_userkey(r->login, r->realm, key, sizeof(key)) < 0 ||
	    (te = table_lookup(s->t, key, strlen(key))) == NULL) {
		auth_crypt_burn(r->password, s->dummy);
		r->result = AUTH_FAIL;
		r->unknown_user = true;
		snprintf(r->reason, sizeof(r->reason), "unknown user");
		goto out;
	}
	h = te->obj;
	if (h->locked) {
		auth_crypt_burn(r->password, h->hash[0] ? h->hash : s->dummy);
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "account locked");
		goto out;
	}
	rc = auth_crypt_verify(r->password, h->hash);
	if (rc < 0) {
		r->result = AUTH_TEMPFAIL;
		snprintf(r->reason, sizeof(r->reason), "crypt failed");
	} else if (rc == 0) {
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "wrong password");
	} else {
		r->result = AUTH_OK;
	}
out:
	auth_req_wipe(r);
}

/* pw_status - the file, its size and its reload history */
static void
pw_status(void *state, struct status_writer *w)
{
	struct pwfile_state *ps = state;
	struct table_source *ts = ps->ts;
	char when[STATUS_TIME_LEN], result[STATUS_SOURCE_LEN];

	status_section(w, "pwfile", "Password file");
	status_kv(w, "path", "%s", ts->path);
	status_kv(w, "entries", "%zu", ts->table ? table_count(ts->table) : 0);
	status_kv(w, "loaded_at", "%s", status_time(ts->loaded_at, when,
	    sizeof(when)));
	status_kv(w, "last_load", "%s", status_source_result(ts,
	    "`saslauthd-lite check` lists them", result, sizeof(result)));
	status_source_metrics(w, "pwfile", ts);
}

/* pw_identity - the file's key: login@realm, or the login with an '@' */
static int
pw_identity(const char *login, const char *realm, char *out, size_t outlen)
{
	return realm_userkey(login, realm, out, outlen);
}

const struct auth_mech auth_mech_pwfile = {
	.name = "pwfile",
	.id = AUTH_MECH_PWFILE,
	.open = pw_open,
	.close = pw_close,
	.check = pw_check,
	.ready = pw_ready,
	.identity = pw_identity,
	.prepare = pw_prepare,
	.verify = pw_verify,
	.release = pw_release,
	.status = pw_status,
};
