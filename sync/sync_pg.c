/*
 * sync_pg.c - one PostgreSQL connection (a link) serving the feeds that
 * name the same conninfo, on the event loop with libpq's asynchronous API
 *
 * Connect: PQconnectStart() and PQconnectPoll() steps; libpq may close a
 * socket and open the next (multi-host conninfo, host=a,b, tried in
 * order as libpq does) under the same descriptor number, so the
 * descriptor is unregistered and registered again at every step. Our own
 * timer bounds the connect (connect_timeout is only honoured by libpq's
 * blocking calls). Host names are resolved by libpq inside
 * PQconnectStart, blocking the loop: give hostaddr= or a socket
 * directory where that matters.
 *
 * Up: LISTEN on each feed's channel (committed before the first read, as
 * LISTEN(7) asks), then every feed is read: notifications sent while we
 * were away are lost, so every connect re-reads everything. A read is
 *   BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
 *   SELECT pg_current_snapshot()::text          (the generation)
 * then the feed's query alone through the extended protocol (one
 * statement, whatever ';' it holds in literals) in single-row mode, so
 * rows are handed to the feed as they arrive and no result holds the
 * whole table, then COMMIT. One read runs at a time per link.
 *
 * Notifications mark the feeds of their channel; a debounce timer turns a
 * burst into one read. When idle, a heartbeat query every
 * heartbeat_interval finds a half-open connection (it must answer within
 * connect_timeout) and retries feeds whose last read failed. Any
 * connection failure closes it; the next attempt comes after a jittered
 * exponential backoff (retry_min doubling to retry_max, 50-150 %).
 * Nothing here touches the output files: the feeds keep them.
 */
#include "sysdep.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "log.h"
#include "sync.h"
#include "sync_link.h"
#include "xalloc.h"

enum link_state {
	L_WAIT,		/* not connected; a retry is timed */
	L_CONNECTING,
	L_LISTEN,	/* LISTEN sent */
	L_READY,	/* idle, listening */
	L_BEGIN,	/* BEGIN + snapshot sent */
	L_QUERY,	/* the feed's query, rows arriving */
	L_COMMIT,
	L_ROLLBACK,
	L_HEARTBEAT,
};

static const char *const state_names[] = {
	[L_WAIT] = "waiting to reconnect",
	[L_CONNECTING] = "connecting",
	[L_LISTEN] = "listening",
	[L_READY] = "connected",
	[L_BEGIN] = "reading",
	[L_QUERY] = "reading",
	[L_COMMIT] = "reading",
	[L_ROLLBACK] = "reading",
	[L_HEARTBEAT] = "connected",
};

struct pg_link {
	struct sync_link base;		/* first: the ops see a sync_link */
	struct sync_daemon *sd;
	char	*conninfo;
	PGconn	*pg;
	int	 fd;			/* registered with the loop, or -1 */
	enum link_state st;
	bool	 busy;			/* a command is outstanding */
	bool	 cmd_error;		/* it returned an error */
	char	 generation[SYNC_STATE_TEXT];
	struct sync_feed **feeds;
	size_t	 nfeeds;
	struct sync_feed *cur;		/* the feed being read */
	struct ev_timer *timer;		/* retry, connect or heartbeat */
	struct ev_timer *debounce;
	unsigned failures_in_row;
	unsigned long connects, failures;
};

static void link_io(struct ev *, int, uint32_t, void *);
static void link_fail(struct pg_link *, const char *why);
static void next_read(struct pg_link *);

static const struct sync_cfg *
cfg_of(const struct pg_link *l)
{
	return server_cfg(l->sd->srv);
}

static struct ev *
ev_of(const struct pg_link *l)
{
	return server_ev(l->sd->srv);
}

/* pg_error - libpq's message on one line */
static void
pg_error(const char *msg, char *out, size_t len)
{
	char *p;

	snprintf(out, len, "%s", msg && *msg ? msg : "unknown error");
	for (p = out; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (p = out + strlen(out); p > out && p[-1] == ' '; )
		*--p = 0;
}

/* unwatch - the descriptor leaves the loop */
static void
unwatch(struct pg_link *l)
{
	if (l->fd >= 0)
		ev_fd_del(ev_of(l), l->fd);
	l->fd = -1;
}

/* watch - (re-)register libpq's socket of now: it may be a new one */
static void
watch(struct pg_link *l, uint32_t events)
{
	unwatch(l);
	if ((l->fd = PQsocket(l->pg)) < 0 ||
	    ev_fd_add(ev_of(l), l->fd, events, link_io, l) < 0) {
		l->fd = -1;
		link_fail(l, "no socket to wait on");
	}
}

/* set_timer - the one timer of the link, replaced */
static void
set_timer(struct pg_link *l, uint64_t ms, ev_timer_fn *fn)
{
	if (l->timer)
		ev_timer_cancel(ev_of(l), l->timer);
	l->timer = fn ? ev_timer_add(ev_of(l), ms, fn, l) : NULL;
}

static void connect_begin(struct ev *, void *);

/* link_fail - close, keep every file, retry later */
static void
link_fail(struct pg_link *l, const char *why)
{
	uint64_t ms;

	if (l->cur) {
		sync_feed_failed(l->cur, why);
		l->cur = NULL;
	}
	unwatch(l);
	if (l->pg)
		PQfinish(l->pg);
	l->pg = NULL;
	l->busy = false;
	l->st = L_WAIT;
	l->failures++;
	l->failures_in_row++;
	snprintf(l->base.error, sizeof(l->base.error), "%s", why);
	ms = sync_link_retry_delay(cfg_of(l), l->failures_in_row);
	/* the first failure of an outage is a warning, the retries info */
	if (l->failures_in_row == 1)
		log_warn("store %s: %s; the tables stay as they are; retrying "
		    "in %llu ms", l->base.desc, why, (unsigned long long)ms);
	else
		log_info("store %s: %s; retrying in %llu ms", l->base.desc, why,
		    (unsigned long long)ms);
	set_timer(l, ms, connect_begin);
}

/* connect_timeout - our bound on the whole connect */
static void
connect_timeout(struct ev *ev, void *ctx)
{
	struct pg_link *l = ctx;

	l->timer = NULL;
	link_fail(l, l->st == L_HEARTBEAT ? "no answer to the heartbeat "
	    "within connect_timeout" : "connect_timeout passed");
}

/* notice - the server's notices go to our log, not to stderr */
static void
notice(void *ctx, const char *msg)
{
	struct pg_link *l = ctx;
	char line[512];

	pg_error(msg, line, sizeof(line));
	log_info("store %s: %s", l->base.desc, line);
}

/* flush - push the queued query out; wait for writability while needed */
static void
flush(struct pg_link *l)
{
	int r = PQflush(l->pg);

	if (r < 0) {
		char why[512];

		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
	} else if (r > 0) {
		(void)ev_fd_mod(ev_of(l), l->fd, EV_READ | EV_WRITE);
	} else {
		(void)ev_fd_mod(ev_of(l), l->fd, EV_READ);
	}
}

/* sent - a command is on its way: its results move the link to st */
static void
sent(struct pg_link *l, enum link_state st)
{
	l->st = st;
	l->busy = true;
	l->cmd_error = false;
	flush(l);
}

/* send_query - one simple query (several statements allowed) */
static int
send_query(struct pg_link *l, const char *q, enum link_state st)
{
	char why[512];

	if (!PQsendQuery(l->pg, q)) {
		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
		return -1;
	}
	sent(l, st);
	return 0;
}

/* send_listen - LISTEN on every channel of the link's feeds */
static void
send_listen(struct pg_link *l)
{
	struct buf q;
	char *id;
	size_t i, j;

	buf_init(&q, 0);
	for (i = 0; i < l->nfeeds; i++) {
		const char *ch = l->feeds[i]->cfg->notify_channel;

		for (j = 0; j < i; j++)
			if (strcmp(l->feeds[j]->cfg->notify_channel, ch) == 0)
				break;
		if (j < i)
			continue;
		id = PQescapeIdentifier(l->pg, ch, strlen(ch));
		if (id == NULL) {
			buf_free(&q);
			link_fail(l, "cannot quote the channel name");
			return;
		}
		buf_printf(&q, "LISTEN %s;", id);
		PQfreemem(id);
	}
	(void)send_query(l, q.data, L_LISTEN);
	buf_free(&q);
}

/* describe - the server we are connected to, for logs and state files */
static void
describe(struct pg_link *l)
{
	const char *h = PQhost(l->pg), *p = PQport(l->pg), *d = PQdb(l->pg);

	snprintf(l->base.desc, sizeof(l->base.desc),
	    "pgsql host=%s port=%s dbname=%s",
	    h && *h ? h : "-", p && *p ? p : "-", d && *d ? d : "-");
}

/* tls_note - ", TLS protocol cipher" when libpq speaks TLS (an admin
 * sees from the log that the tables travel protected), else "" */
static void
tls_note(const struct pg_link *l, char *out, size_t len)
{
	const char *proto, *cipher;

	if (!PQsslInUse(l->pg)) {
		out[0] = 0;
		return;
	}
	proto = PQsslAttribute(l->pg, "protocol");
	cipher = PQsslAttribute(l->pg, "cipher");
	snprintf(out, len, ", TLS %s %s", proto ? proto : "-",
	    cipher ? cipher : "-");
}

/* connected - up: listen, then read every feed */
static void
connected(struct pg_link *l)
{
	char tls[128];
	size_t i;

	set_timer(l, 0, NULL);
	describe(l);
	(void)PQsetnonblocking(l->pg, 1);
	PQsetNoticeProcessor(l->pg, notice, l);
	l->connects++;
	tls_note(l, tls, sizeof(tls));
	if (l->failures_in_row > 0)
		log_info("store %s: connected again after %u failed "
		    "attempts%s; reading every feed", l->base.desc,
		    l->failures_in_row, tls);
	else
		log_info("store %s: connected%s", l->base.desc, tls);
	l->failures_in_row = 0;
	l->base.error[0] = 0;
	for (i = 0; i < l->nfeeds; i++)
		l->feeds[i]->dirty = true;
	watch(l, EV_READ);
	if (l->pg)
		send_listen(l);
}

/* connect_poll - one PQconnectPoll step */
static void
connect_poll(struct pg_link *l)
{
	char why[512];

	switch (PQconnectPoll(l->pg)) {
	case PGRES_POLLING_READING:
		watch(l, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		watch(l, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		connected(l);
		break;
	default:
		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
		break;
	}
}

/* connect_begin - a new attempt */
static void
connect_begin(struct ev *ev, void *ctx)
{
	struct pg_link *l = ctx;
	char why[512];

	(void)ev;
	l->timer = NULL;
	l->st = L_CONNECTING;
	l->pg = PQconnectStart(l->conninfo);
	if (l->pg == NULL) {
		link_fail(l, "out of memory");
		return;
	}
	if (PQstatus(l->pg) == CONNECTION_BAD) {
		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
		return;
	}
	set_timer(l, (uint64_t)cfg_of(l)->connect_timeout, connect_timeout);
	/* "behave as if it last returned PGRES_POLLING_WRITING" */
	watch(l, EV_WRITE);
}

/* start_read - BEGIN and the snapshot for the feed's read */
static void
start_read(struct pg_link *l, struct sync_feed *f)
{
	f->dirty = false;
	l->cur = f;
	l->generation[0] = 0;
	(void)send_query(l, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
	    " SELECT pg_current_snapshot()::text", L_BEGIN);
}

/* heartbeat - an idle link proves it is alive, and failed reads retry */
static void
heartbeat(struct ev *ev, void *ctx)
{
	struct pg_link *l = ctx;
	size_t i;

	(void)ev;
	l->timer = NULL;
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i]->read_failed)
			l->feeds[i]->dirty = true;
	if (send_query(l, "SELECT 1", L_HEARTBEAT) == 0)
		set_timer(l, (uint64_t)cfg_of(l)->connect_timeout,
		    connect_timeout);
}

/* next_read - the next feed that wants reading, else the heartbeat */
static void
next_read(struct pg_link *l)
{
	size_t i;

	if (l->st != L_READY || l->busy)
		return;
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i]->dirty) {
			set_timer(l, 0, NULL);
			start_read(l, l->feeds[i]);
			return;
		}
	set_timer(l, (uint64_t)cfg_of(l)->heartbeat_interval, heartbeat);
}

/* debounced - the burst is over: read what it touched */
static void
debounced(struct ev *ev, void *ctx)
{
	struct pg_link *l = ctx;
	size_t i;

	(void)ev;
	l->debounce = NULL;
	for (i = 0; i < l->nfeeds; i++)
		if (l->feeds[i]->notified) {
			l->feeds[i]->notified = false;
			l->feeds[i]->dirty = true;
		}
	next_read(l);
}

/* notifications - mark the feeds of each channel notified */
static void
notifications(struct pg_link *l)
{
	PGnotify *n;
	size_t i;

	while (l->pg && (n = PQnotifies(l->pg)) != NULL) {
		for (i = 0; i < l->nfeeds; i++)
			if (strcmp(l->feeds[i]->cfg->notify_channel,
			    n->relname) == 0)
				l->feeds[i]->notified = true;
		PQfreemem(n);
		if (l->debounce == NULL)
			l->debounce = ev_timer_add(ev_of(l),
			    (uint64_t)cfg_of(l)->debounce, debounced, l);
	}
}

/* on_result - one result of the outstanding command */
static void
on_result(struct pg_link *l, PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	const char *cols[3];
	int i, n;

	if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE ||
	    s == PGRES_NONFATAL_ERROR) {
		if (!l->cmd_error)
			pg_error(PQresultErrorMessage(res), l->base.error,
			    sizeof(l->base.error));
		l->cmd_error = true;
		return;
	}
	if (l->st == L_BEGIN && s == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(l->generation, sizeof(l->generation), "%s",
		    PQgetvalue(res, 0, 0));
	if (l->st != L_QUERY || s != PGRES_SINGLE_TUPLE || l->cur == NULL)
		return;
	n = PQnfields(res);
	for (i = 0; i < n && i < 3; i++)
		cols[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
	sync_feed_row(l->cur, cols, (unsigned)n);
}

/* send_feed_query - the feed's query alone, rows one by one */
static void
send_feed_query(struct pg_link *l)
{
	char why[512];

	if (!PQsendQueryParams(l->pg, l->cur->cfg->query, 0, NULL, NULL,
	    NULL, NULL, 0)) {
		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
		return;
	}
	/* bounded memory: no PGresult holds the whole table */
	(void)PQsetSingleRowMode(l->pg);
	sync_feed_begin(l->cur);
	sent(l, L_QUERY);
}

/* on_done - the outstanding command has returned all its results */
static void
on_done(struct pg_link *l)
{
	struct sync_feed *f = l->cur;
	char why[600];

	l->busy = false;
	switch (l->st) {
	case L_LISTEN:
		if (l->cmd_error) {
			snprintf(why, sizeof(why), "LISTEN: %s (a hot standby "
			    "or a pooler in transaction mode cannot LISTEN)",
			    l->base.error);
			link_fail(l, why);
			return;
		}
		l->st = L_READY;
		break;
	case L_BEGIN:
		if (l->cmd_error) {
			snprintf(why, sizeof(why), "%s", l->base.error);
			sync_feed_failed(f, why);
			(void)send_query(l, "ROLLBACK", L_ROLLBACK);
			return;
		}
		send_feed_query(l);
		return;
	case L_QUERY:
		if (l->cmd_error) {
			snprintf(why, sizeof(why), "query: %s", l->base.error);
			sync_feed_failed(f, why);
			(void)send_query(l, "ROLLBACK", L_ROLLBACK);
			return;
		}
		(void)send_query(l, "COMMIT", L_COMMIT);
		return;
	case L_COMMIT:
		l->cur = NULL;
		l->st = L_READY;
		if (l->cmd_error)
			sync_feed_failed(f, l->base.error);
		else
			sync_feed_end(f, l->generation, l->base.desc);
		break;
	case L_ROLLBACK:
		l->cur = NULL;
		l->st = L_READY;
		break;
	case L_HEARTBEAT:
		set_timer(l, 0, NULL);
		l->st = L_READY;
		break;
	default:
		break;
	}
	next_read(l);
}

/* drain - every result libpq has complete, then the notifications */
static void
drain(struct pg_link *l)
{
	PGresult *res;

	while (l->pg && l->busy && !PQisBusy(l->pg)) {
		if ((res = PQgetResult(l->pg)) == NULL) {
			on_done(l);
			continue;
		}
		on_result(l, res);
		PQclear(res);
	}
	notifications(l);
}

/* link_io - the socket is ready */
static void
link_io(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct pg_link *l = ctx;
	char why[512];

	(void)ev;
	(void)fd;
	if (l->st == L_CONNECTING) {
		connect_poll(l);
		return;
	}
	if ((events & EV_WRITE) && l->busy) {
		flush(l);
		if (l->pg == NULL)
			return;
	}
	if (!PQconsumeInput(l->pg)) {
		pg_error(PQerrorMessage(l->pg), why, sizeof(why));
		link_fail(l, why);
		return;
	}
	drain(l);
	if (l->pg && PQstatus(l->pg) == CONNECTION_BAD)
		link_fail(l, "the connection broke");
}

/* pg_link_add_feed - one more feed served by the link */
static void
pg_link_add_feed(struct sync_link *base, struct sync_feed *f)
{
	struct pg_link *l = (struct pg_link *)base;

	l->feeds = xreallocarray(l->feeds, l->nfeeds + 1, sizeof(*l->feeds));
	l->feeds[l->nfeeds++] = f;
}

/* pg_link_start - the first attempt, now */
static void
pg_link_start(struct sync_link *base)
{
	struct pg_link *l = (struct pg_link *)base;

	connect_begin(ev_of(l), l);
}

/* pg_link_free - close; the feeds are the caller's */
static void
pg_link_free(struct sync_link *base)
{
	struct pg_link *l = (struct pg_link *)base;

	unwatch(l);
	set_timer(l, 0, NULL);
	if (l->debounce)
		ev_timer_cancel(ev_of(l), l->debounce);
	if (l->pg)
		PQfinish(l->pg);
	free(l->feeds);
	free(l->conninfo);
	free(l);
}

static const char *
pg_link_state(const struct sync_link *base)
{
	return state_names[((const struct pg_link *)base)->st];
}

static int
pg_link_connected(const struct sync_link *base)
{
	const struct pg_link *l = (const struct pg_link *)base;

	return l->st != L_WAIT && l->st != L_CONNECTING;
}

static const struct sync_link_ops pg_link_ops = {
	.add_feed = pg_link_add_feed,
	.start = pg_link_start,
	.free = pg_link_free,
	.state = pg_link_state,
	.connected = pg_link_connected,
};

/* sync_pg_link_new - a link for a conninfo; started by sync_link_start */
struct sync_link *
sync_pg_link_new(struct sync_daemon *sd, const struct sync_feed_cfg *fc)
{
	struct pg_link *l = xcalloc(1, sizeof(*l));

	l->base.ops = &pg_link_ops;
	l->base.first = fc;
	l->sd = sd;
	l->conninfo = xstrdup(fc->conninfo);
	l->fd = -1;
	l->st = L_WAIT;
	snprintf(l->base.desc, sizeof(l->base.desc),
	    "pgsql (not connected yet)");
	return &l->base;
}
