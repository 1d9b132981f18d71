/*
 * sync_ldap.c - one LDAP connection (a link) serving the feeds that name
 * the same directory, with one RFC 4533 refreshAndPersist search per feed
 *
 * libldap's ldap_sync_init() runs the whole refresh phase before it
 * returns, so the agent drives the search itself (as FreeRADIUS does):
 * the Sync Request control (sync_ldap_msg.h) on an asynchronous
 * ldap_search_ext(), then from the loop ldap_result() with a zero
 * timeout, called until two calls in a row return nothing (a zero-timeout
 * call may read a message off the socket and only queue it, and TLS may
 * hold data the socket does not show), each message handed to the feed.
 *
 * The connect (the URIs in their order), StartTLS and the bind use
 * libldap's synchronous calls, each bounded by connect_timeout: the agent
 * answers no lookups itself, so only its other feeds and its status page
 * wait. ldaps:// and StartTLS verify the server's certificate (demand,
 * from tls_ca_cert_file when set) in a TLS context of the connection's
 * own; an ldapi:// socket without bind_dn binds with SASL EXTERNAL (the
 * agent's uid), a bind_dn with the password read from its file at each
 * connect.
 *
 * Per feed: entries are kept by entryUUID (sync_ldap_table.h). A search
 * starts with the cookie of the last complete refresh; without one the
 * table starts empty. Entries and cookie are saved beside the file
 * (OUTPUT.ldap, with the file's mode) whenever it is written, and read
 * back when the feed is made (start, SIGHUP), so a restart asks only for
 * what changed; a snapshot made by another search is not used. Refresh phase: entries add, present and
 * delete; syncIdSet lists present or deleted UUIDs; the end of a present
 * phase (refreshPresent) removes every entry not mentioned. The file is
 * written only when a refresh is done (refreshDone), never from part of
 * one; e-syncRefreshRequired drops the cookie and refreshes from nothing.
 * Persist phase: each change updates the table and, after the debounce,
 * the file. The mass-delete guard and the format's checks are the feed's
 * (sync_feed.c), as for PostgreSQL. A search that ends with an error
 * fails its feed only; it is started again at the next heartbeat.
 *
 * A rootDSE search every heartbeat_interval, answered within
 * connect_timeout, finds a half-open connection. Any connection failure
 * closes it and retries after the jittered backoff; the files stay.
 */
#include "sysdep.h"

#include <errno.h>
#include <ldap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "fileread.h"
#include "log.h"
#include "secret.h"
#include "sync.h"
#include "sync_ldap_conn.h"
#include "sync_ldap_msg.h"
#include "sync_ldap_table.h"
#include "sync_link.h"
#include "xalloc.h"


struct lfeed {
	struct sync_feed *f;
	struct sync_ldap_table *table;
	int	 msgid;			/* the sync search, or -1 */
	bool	 refreshing;		/* no complete refresh since the
					 * search (re)started: never written */
	bool	 dirty;			/* persist changes not written yet */
	struct sync_cookie cookie;	/* of the last complete refresh */
	struct sync_cookie pending;	/* the refresh's, until it is done */
};

enum llink_state { LL_WAIT, LL_UP };

struct ldap_link {
	struct sync_link base;		/* first: the ops see a sync_link */
	struct sync_daemon *sd;
	const struct sync_feed_cfg *fc;	/* the store's parameters */
	LDAP	*ld;
	int	 fd;			/* registered with the loop, or -1 */
	enum llink_state st;
	int	 hb_msgid;		/* the heartbeat search, or -1 */
	struct lfeed *feeds;
	size_t	 nfeeds;
	struct ev_timer *timer;		/* retry, or heartbeat */
	struct ev_timer *debounce;
	struct ev_timer *resume;	/* a drain that stopped at its cap */
	unsigned failures_in_row;
};

static void link_fail(struct ldap_link *, const char *why);
static void start_search(struct ldap_link *, struct lfeed *);

static const struct sync_cfg *
cfg_of(const struct ldap_link *l)
{
	return server_cfg(l->sd->srv);
}

static struct ev *
ev_of(const struct ldap_link *l)
{
	return server_ev(l->sd->srv);
}

static void
set_timer(struct ldap_link *l, uint64_t ms, ev_timer_fn *fn)
{
	if (l->timer)
		ev_timer_cancel(ev_of(l), l->timer);
	l->timer = fn ? ev_timer_add(ev_of(l), ms, fn, l) : NULL;
}

static void
cookie_set(struct sync_cookie *to, struct sync_cookie *from)
{
	free(to->data);
	*to = *from;
	from->data = NULL;
	from->len = 0;
}

static void
cookie_drop(struct sync_cookie *c)
{
	free(c->data);
	c->data = NULL;
	c->len = 0;
}

/* generation - the cookie as the state file shows it: printable, bounded */
static void
generation(const struct lfeed *lf, char *out, size_t len)
{
	size_t i, n = 0;

	for (i = 0; lf->cookie.data && i < lf->cookie.len && n + 1 < len; i++)
		out[n++] = lf->cookie.data[i] > 0x20 &&
		    lf->cookie.data[i] < 0x7f ? lf->cookie.data[i] : '?';
	if (n == 0 && len > 5)
		n = (size_t)snprintf(out, len, "none");
	out[n] = 0;
}

/* search_config - what the snapshot must have been made by: the feed's
 * search as the directory sees it */
static char *
search_config(const struct sync_feed_cfg *fc)
{
	return xasprintf("%s|%s|%s|%s|%s|%s", fc->format, fc->uris,
	    fc->search_base, fc->scope, fc->filter, fc->attributes);
}

/* save_snapshot - entries and cookie beside the file, for a restart */
static void
save_snapshot(struct lfeed *lf)
{
	char *config = search_config(lf->f->cfg);
	struct buf b;

	buf_init(&b, 0);
	if (lf->f->cfg->fmt == SYNC_FMT_PWFILE)
		buf_set_secret(&b);
	if (sync_ldap_table_save(lf->table, config, &lf->cookie, &b) == 0)
		(void)sync_feed_write_beside(lf->f, "ldap", b.data, b.len);
	buf_free(&b);
	free(config);
}

/* load_snapshot - a snapshot of an earlier run: its cookie refreshes
 * only what changed since; anything wrong with it refreshes from nothing */
static void
load_snapshot(struct lfeed *lf)
{
	const struct sync_feed_cfg *fc = lf->f->cfg;
	char *path = xasprintf("%s.ldap", fc->output), *text = NULL, err[256];
	char *config = search_config(fc);
	struct stat st;
	size_t len = 0;
	int have_st;

	if (fileread_stable(path, 0, &text, &len, &st, &have_st, err,
	    sizeof(err)) == FILEREAD_OK) {
		if (sync_ldap_table_load(lf->table, text, len, config,
		    fc->fmt == SYNC_FMT_IDENTITIES ? 3 : fc->nattrs,
		    fc->fmt == SYNC_FMT_PWFILE, &lf->cookie, err,
		    sizeof(err)) == 0)
			log_info("feed %s: %zu entries from %s; asking the "
			    "directory for what changed since", lf->f->name,
			    sync_ldap_table_count(lf->table), path);
		else
			log_info("feed %s: %s: %s; refreshing from nothing",
			    lf->f->name, path, err);
		secret_wipe(text, len);
	}
	free(text);
	free(config);
	free(path);
}

/* write_entry - one entry's rows into the feed's new text */
static void
write_entry(void *ctx, const char *dn, const char *error,
    const char *const *cols, unsigned nrows, unsigned ncols)
{
	struct sync_feed *f = ctx;
	char who[600], why[900];
	unsigned r;

	snprintf(who, sizeof(who), "entry \"%.500s\"", dn);
	if (error) {
		snprintf(why, sizeof(why), "%s: %s", who, error);
		sync_feed_row_error(f, why);
		return;
	}
	for (r = 0; r < nrows; r++)
		sync_feed_row_of(f, who, cols + (size_t)r * ncols, ncols);
}

/* write_feed - the feed's file from its entries, and the snapshot */
static void
write_feed(struct ldap_link *l, struct lfeed *lf)
{
	char gen[SYNC_STATE_TEXT];

	lf->dirty = false;
	generation(lf, gen, sizeof(gen));
	sync_feed_begin(lf->f);
	sync_ldap_table_each(lf->table, write_entry, lf->f);
	sync_feed_end(lf->f, gen, l->base.desc);
	save_snapshot(lf);
}

static void link_io(struct ev *, int, uint32_t, void *);
static void heartbeat(struct ev *, void *);

/* connect_begin - every URI in its order until one takes us */
static void
connect_begin(struct ev *ev, void *ctx)
{
	struct ldap_link *l = ctx;
	char uri[256], why[600] = "no URI";
	const char *p;
	size_t len, i;

	(void)ev;
	l->timer = NULL;
	for (p = l->fc->uris; *(p += strspn(p, " \t")); p += len) {
		len = strcspn(p, " \t");
		snprintf(uri, sizeof(uri), "%.*s", (int)len, p);
		if ((l->ld = sync_ldap_connect(l->fc, uri,
		    cfg_of(l)->connect_timeout, why, sizeof(why))) != NULL)
			break;
		if (p[len])
			log_info("store ldap %s: %s; trying the next URI", uri,
			    why);
	}
	if (l->ld == NULL) {
		link_fail(l, why);
		return;
	}
	if (ldap_get_option(l->ld, LDAP_OPT_DESC, &l->fd) != LDAP_OPT_SUCCESS ||
	    l->fd < 0 || sync_ldap_socket_for_loop(l->fd,
	    (unsigned)cfg_of(l)->connect_timeout) < 0 ||
	    ev_fd_add(ev_of(l), l->fd, EV_READ, link_io, l) < 0) {
		l->fd = -1;
		link_fail(l, "no socket to wait on");
		return;
	}
	snprintf(l->base.desc, sizeof(l->base.desc), "ldap %s", uri);
	l->st = LL_UP;
	if (l->failures_in_row > 0)
		log_info("store %s: connected again after %u failed attempts; "
		    "refreshing every feed", l->base.desc, l->failures_in_row);
	else
		log_info("store %s: connected", l->base.desc);
	/* failures_in_row stays until the link proves healthy (a refresh
	 * done, a heartbeat answered): a server that fails us right after
	 * each bind keeps the backoff growing */
	l->base.error[0] = 0;
	for (i = 0; i < l->nfeeds && l->ld; i++)
		start_search(l, &l->feeds[i]);
	if (l->ld)
		set_timer(l, (uint64_t)cfg_of(l)->heartbeat_interval,
		    heartbeat);
}

/* link_fail - close; a refresh in progress fails; the files stay */
static void
link_fail(struct ldap_link *l, const char *why)
{
	struct lfeed *lf;
	uint64_t ms;
	size_t i;

	for (i = 0; i < l->nfeeds; i++) {
		lf = &l->feeds[i];
		if (lf->msgid >= 0 && lf->refreshing)
			sync_feed_failed(lf->f, why);
		lf->msgid = -1;
		cookie_drop(&lf->pending);
		/* changes already applied are whole: write them now */
		if (lf->dirty && !lf->refreshing)
			write_feed(l, lf);
	}
	if (l->fd >= 0)
		ev_fd_del(ev_of(l), l->fd);
	l->fd = -1;
	if (l->resume)
		ev_timer_cancel(ev_of(l), l->resume);
	l->resume = NULL;
	if (l->ld)
		ldap_unbind_ext_s(l->ld, NULL, NULL);
	l->ld = NULL;
	l->hb_msgid = -1;
	l->st = LL_WAIT;
	l->failures_in_row++;
	snprintf(l->base.error, sizeof(l->base.error), "%s", why);
	ms = sync_link_retry_delay(cfg_of(l), l->failures_in_row);
	if (l->failures_in_row == 1)
		log_warn("store %s: %s; the tables stay as they are; retrying "
		    "in %llu ms", l->base.desc, why, (unsigned long long)ms);
	else
		log_info("store %s: %s; retrying in %llu ms", l->base.desc, why,
		    (unsigned long long)ms);
	set_timer(l, ms, connect_begin);
}

/* ld_error - the connection's last error, as text */
static void
ld_error(LDAP *ld, char *out, size_t len)
{
	int code = LDAP_OTHER;

	(void)ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code);
	snprintf(out, len, "%s", ldap_err2string(code));
}

/* ---- the sync search ---- */

static void
start_search(struct ldap_link *l, struct lfeed *lf)
{
	const struct sync_feed_cfg *fc = lf->f->cfg;
	char *attrs[SYNC_LDAP_MAX_ATTRS + 1], why[600];
	LDAPControl *ctrl = NULL, *ctrls[2];
	struct berval v;
	unsigned i;
	int rc;

	if (sync_ldap_request_value(lf->cookie.data, lf->cookie.len, &v) < 0) {
		link_fail(l, "cannot encode the Sync Request control");
		return;
	}
	rc = ldap_control_create(LDAP_CONTROL_SYNC, 1, &v, 1, &ctrl);
	ber_memfree(v.bv_val);
	if (rc != LDAP_SUCCESS) {
		link_fail(l, "cannot make the Sync Request control");
		return;
	}
	ctrls[0] = ctrl;
	ctrls[1] = NULL;
	for (i = 0; i < fc->nattrs; i++)
		attrs[i] = (char *)(uintptr_t)fc->attr[i];
	attrs[i] = NULL;
	if (lf->cookie.data == NULL)
		sync_ldap_table_clear(lf->table);
	sync_ldap_table_unmark(lf->table);
	cookie_drop(&lf->pending);
	lf->refreshing = true;
	rc = ldap_search_ext(l->ld, fc->search_base, fc->scope_v, fc->filter,
	    attrs, 0, ctrls, NULL, NULL, LDAP_NO_LIMIT, &lf->msgid);
	ldap_control_free(ctrl);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT) {
		lf->msgid = -1;
		link_fail(l, ldap_err2string(rc));
	} else if (rc != LDAP_SUCCESS) {
		lf->msgid = -1;
		snprintf(why, sizeof(why), "search: %s", ldap_err2string(rc));
		sync_feed_failed(lf->f, why);
	}
}

/* feed_stop - this feed's search is over (an error): retried later */
static void
feed_stop(struct ldap_link *l, struct lfeed *lf, const char *why)
{
	if (lf->msgid >= 0)
		(void)ldap_abandon_ext(l->ld, lf->msgid, NULL, NULL);
	lf->msgid = -1;
	sync_feed_failed(lf->f, why);
}

/* changed - a persist change: written after the debounce */
static void debounced(struct ev *, void *);

static void
changed(struct ldap_link *l, struct lfeed *lf)
{
	lf->dirty = true;
	if (l->debounce == NULL)
		l->debounce = ev_timer_add(ev_of(l),
		    (uint64_t)cfg_of(l)->debounce, debounced, l);
}

static void
debounced(struct ev *ev, void *ctx)
{
	struct ldap_link *l = ctx;
	size_t i;

	(void)ev;
	l->debounce = NULL;
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i].dirty && !l->feeds[i].refreshing)
			write_feed(l, &l->feeds[i]);
}

/* take_cookie - a refresh's cookie waits for its end; a persist one counts */
static void
take_cookie(struct lfeed *lf, struct sync_cookie *c)
{
	if (c->data == NULL)
		return;
	cookie_set(lf->refreshing ? &lf->pending : &lf->cookie, c);
}

/* refresh_done - the refresh is whole: the file may be written */
static void
refresh_done(struct ldap_link *l, struct lfeed *lf)
{
	lf->refreshing = false;
	l->failures_in_row = 0;
	if (lf->pending.data)
		cookie_set(&lf->cookie, &lf->pending);
	log_info("feed %s: refresh done: %zu entries", lf->f->name,
	    sync_ldap_table_count(lf->table));
	write_feed(l, lf);
}

static void
on_entry(struct ldap_link *l, struct lfeed *lf, LDAPMessage *msg)
{
	LDAPControl **ctrls = NULL, *c;
	struct sync_ldap_state st;
	char why[300];

	if (ldap_get_entry_controls(l->ld, msg, &ctrls) != LDAP_SUCCESS ||
	    (c = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL)) ==
	    NULL) {
		ldap_controls_free(ctrls);
		feed_stop(l, lf, "an entry came without a Sync State control: "
		    "the server does not do RFC 4533 content sync (slapd needs "
		    "the syncprov overlay on this database)");
		return;
	}
	if (sync_ldap_parse_state(c->ldctl_value.bv_val, c->ldctl_value.bv_len,
	    &st, why, sizeof(why)) < 0) {
		ldap_controls_free(ctrls);
		link_fail(l, why);
		return;
	}
	ldap_controls_free(ctrls);
	switch (st.state) {
	case LDAP_SYNC_PRESENT:
		sync_ldap_table_mark(lf->table, st.uuid);
		break;
	case LDAP_SYNC_ADD:
	case LDAP_SYNC_MODIFY:
		sync_ldap_table_put(lf->table, st.uuid, sync_ldap_entry_new(
		    l->ld, msg, lf->f->cfg));
		break;
	case LDAP_SYNC_DELETE:
		sync_ldap_table_delete(lf->table, st.uuid);
		break;
	}
	take_cookie(lf, &st.cookie);
	sync_ldap_state_free(&st);
	if (sync_ldap_table_bytes(lf->table) > (size_t)cfg_of(l)->max_table_size) {
		sync_ldap_table_clear(lf->table);
		cookie_drop(&lf->cookie);
		lf->refreshing = true;
		feed_stop(l, lf, "the entries are larger than max_table_size");
		return;
	}
	if (!lf->refreshing)
		changed(l, lf);
}

static void
on_info(struct ldap_link *l, struct lfeed *lf, LDAPMessage *msg)
{
	struct berval *data = NULL;
	struct sync_ldap_info in;
	char *oid = NULL, why[300];
	size_t i, gone;
	int rc;

	rc = ldap_parse_intermediate(l->ld, msg, &oid, &data, NULL, 0);
	if (rc != LDAP_SUCCESS || oid == NULL || strcmp(oid, LDAP_SYNC_INFO) ||
	    data == NULL) {
		ldap_memfree(oid);
		ber_bvfree(data);
		return;
	}
	rc = sync_ldap_parse_info(data->bv_val, data->bv_len, &in, why,
	    sizeof(why));
	ldap_memfree(oid);
	ber_bvfree(data);
	if (rc < 0) {
		link_fail(l, why);
		return;
	}
	switch (in.kind) {
	case SYNC_INFO_NEW_COOKIE:
		break;
	case SYNC_INFO_REFRESH_PRESENT:
		if (!lf->refreshing) {
			/* RFC 4533 has no present phase after the refresh:
			 * sweeping now would drop every unchanged entry */
			sync_ldap_info_free(&in);
			link_fail(l, "the server sent refreshPresent in the "
			    "persist phase");
			return;
		}
		/* the present phase is over: what it did not name is gone */
		gone = sync_ldap_table_sweep(lf->table);
		if (gone)
			log_info("feed %s: %zu entries deleted while we were "
			    "away", lf->f->name, gone);
		break;
	case SYNC_INFO_REFRESH_DELETE:
		break;
	case SYNC_INFO_ID_SET:
		for (i = 0; i < in.nuuids; i++)
			if (in.refresh_deletes)
				sync_ldap_table_delete(lf->table, in.uuids[i]);
			else
				sync_ldap_table_mark(lf->table, in.uuids[i]);
		break;
	}
	take_cookie(lf, &in.cookie);
	if ((in.kind == SYNC_INFO_REFRESH_PRESENT ||
	    in.kind == SYNC_INFO_REFRESH_DELETE) && in.refresh_done &&
	    lf->refreshing)
		refresh_done(l, lf);
	else if (!lf->refreshing && in.kind == SYNC_INFO_ID_SET)
		changed(l, lf);
	sync_ldap_info_free(&in);
}

static void
on_result(struct ldap_link *l, struct lfeed *lf, LDAPMessage *msg)
{
	char *text = NULL, why[700];
	int err = LDAP_OTHER;

	(void)ldap_parse_result(l->ld, msg, &err, NULL, &text, NULL, NULL, 0);
	lf->msgid = -1;
	if (err == LDAP_SYNC_REFRESH_REQUIRED && lf->cookie.data) {
		log_info("feed %s: the server asks for a full refresh "
		    "(e-syncRefreshRequired): reading every entry again",
		    lf->f->name);
		ldap_memfree(text);
		cookie_drop(&lf->cookie);
		start_search(l, lf);
		return;
	}
	/* (asked again without a cookie: the heartbeat retries, no loop) */
	snprintf(why, sizeof(why), "the sync search ended: %s%s%s%s",
	    ldap_err2string(err), text && *text ? " (" : "", text ? text : "",
	    text && *text ? ")" : "");
	ldap_memfree(text);
	if (err == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_TIMELIMIT_EXCEEDED)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "; give "
		    "the agent's DN \"limits ... size=unlimited "
		    "time=unlimited\" in slapd");
	else if (err == LDAP_NO_SUCH_OBJECT)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "; "
		    "check %s_search_base", lf->f->name);
	sync_feed_failed(lf->f, why);
}

/* on_message - one message: the heartbeat's, or a feed's */
static void
on_message(struct ldap_link *l, LDAPMessage *msg)
{
	int id = ldap_msgid(msg), type = ldap_msgtype(msg);
	size_t i;

	if (id == l->hb_msgid && l->hb_msgid >= 0) {
		if (type == LDAP_RES_SEARCH_RESULT) {
			l->hb_msgid = -1;
			l->failures_in_row = 0;
			set_timer(l, (uint64_t)cfg_of(l)->heartbeat_interval,
			    heartbeat);
		}
		return;
	}
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i].msgid == id && id >= 0)
			break;
	if (i == l->nfeeds)
		return;			/* an abandoned search's last words */
	switch (type) {
	case LDAP_RES_SEARCH_ENTRY:
		on_entry(l, &l->feeds[i], msg);
		break;
	case LDAP_RES_INTERMEDIATE:
		on_info(l, &l->feeds[i], msg);
		break;
	case LDAP_RES_SEARCH_RESULT:
		on_result(l, &l->feeds[i], msg);
		break;
	default:
		break;			/* references: referrals are off */
	}
}

#define DRAIN_MAX	2000

static void drain(struct ldap_link *);

/* resume - the rest of a capped drain, after the loop's other work */
static void
resume(struct ev *ev, void *ctx)
{
	struct ldap_link *l = ctx;

	(void)ev;
	l->resume = NULL;
	drain(l);
}

/* drain - the messages libldap can give us now, at most DRAIN_MAX: a big
 * refresh lets timers and the status page in between */
static void
drain(struct ldap_link *l)
{
	struct timeval zero = { 0, 0 };
	LDAPMessage *msg;
	char why[300];
	int rc, empty = 0, n = 0;

	while (l->ld && empty < 2) {
		if (n++ == DRAIN_MAX) {
			if (l->resume == NULL)
				l->resume = ev_timer_add(ev_of(l), 0, resume,
				    l);
			return;
		}
		msg = NULL;
		rc = ldap_result(l->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &zero, &msg);
		if (rc < 0) {
			ld_error(l->ld, why, sizeof(why));
			link_fail(l, why);
			return;
		}
		if (rc == 0) {
			empty++;
			continue;
		}
		empty = 0;
		on_message(l, msg);
		ldap_msgfree(msg);
	}
}

/* link_io - the socket is readable */
static void
link_io(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	(void)ev;
	(void)fd;
	(void)events;
	drain(ctx);
}

/* heartbeat - a rootDSE read; no answer by the next tick closes the link */
static void
heartbeat(struct ev *ev, void *ctx)
{
	struct ldap_link *l = ctx;
	char *attrs[] = { (char *)"1.1", NULL };
	size_t i;
	int rc;

	(void)ev;
	l->timer = NULL;
	if (l->hb_msgid >= 0) {
		link_fail(l, "no answer to the heartbeat within connect_timeout");
		return;
	}
	for (i = 0; i < l->nfeeds && l->ld; i++)
		if (l->feeds[i].msgid < 0)
			start_search(l, &l->feeds[i]);
	if (l->ld == NULL)
		return;
	rc = ldap_search_ext(l->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 1, &l->hb_msgid);
	if (rc != LDAP_SUCCESS) {
		l->hb_msgid = -1;
		link_fail(l, ldap_err2string(rc));
		return;
	}
	set_timer(l, (uint64_t)cfg_of(l)->connect_timeout, heartbeat);
}

/* ---- the link's face ---- */

static void
ldap_link_add_feed(struct sync_link *base, struct sync_feed *f)
{
	struct ldap_link *l = (struct ldap_link *)base;
	struct lfeed *lf;

	l->feeds = xreallocarray(l->feeds, l->nfeeds + 1, sizeof(*l->feeds));
	lf = &l->feeds[l->nfeeds++];
	memset(lf, 0, sizeof(*lf));
	lf->f = f;
	lf->msgid = -1;
	lf->refreshing = true;
	lf->table = sync_ldap_table_new();
	load_snapshot(lf);
}

static void
ldap_link_start(struct sync_link *base)
{
	struct ldap_link *l = (struct ldap_link *)base;

	connect_begin(ev_of(l), l);
}

static void
ldap_link_free(struct sync_link *base)
{
	struct ldap_link *l = (struct ldap_link *)base;
	size_t i;

	set_timer(l, 0, NULL);
	if (l->debounce)
		ev_timer_cancel(ev_of(l), l->debounce);
	if (l->resume)
		ev_timer_cancel(ev_of(l), l->resume);
	for (i = 0; i < l->nfeeds; i++) {
		/* a change still in its debounce is not lost at a stop */
		if (l->feeds[i].dirty && !l->feeds[i].refreshing)
			write_feed(l, &l->feeds[i]);
		sync_ldap_table_free(l->feeds[i].table);
		cookie_drop(&l->feeds[i].cookie);
		cookie_drop(&l->feeds[i].pending);
	}
	if (l->fd >= 0)
		ev_fd_del(ev_of(l), l->fd);
	if (l->ld)
		ldap_unbind_ext_s(l->ld, NULL, NULL);
	free(l->feeds);
	free(l);
}

static const char *
ldap_link_state(const struct sync_link *base)
{
	const struct ldap_link *l = (const struct ldap_link *)base;
	size_t i;

	if (l->st == LL_WAIT)
		return l->base.error[0] ? "waiting to reconnect" : "connecting";
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i].refreshing)
			return "refreshing";
	return "connected";
}

static int
ldap_link_connected(const struct sync_link *base)
{
	return ((const struct ldap_link *)base)->st == LL_UP;
}

static const struct sync_link_ops ldap_link_ops = {
	.add_feed = ldap_link_add_feed,
	.start = ldap_link_start,
	.free = ldap_link_free,
	.state = ldap_link_state,
	.connected = ldap_link_connected,
};

struct sync_link *
sync_ldap_link_new(struct sync_daemon *sd, const struct sync_feed_cfg *fc)
{
	struct ldap_link *l = xcalloc(1, sizeof(*l));

	l->base.ops = &ldap_link_ops;
	l->base.first = fc;
	l->sd = sd;
	l->fc = fc;
	l->fd = -1;
	l->hb_msgid = -1;
	l->st = LL_WAIT;
	snprintf(l->base.desc, sizeof(l->base.desc), "ldap %.280s", fc->uris +
	    strspn(fc->uris, " \t"));
	return &l->base;
}
