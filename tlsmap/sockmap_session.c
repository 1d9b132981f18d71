/*
 * sockmap_session.c - one Postfix socketmap connection
 *
 * Postfix keeps a socketmap connection open for up to 100 s and closes it
 * after 10 s idle (dict_sockmap.c), sending one request at a time; other
 * clients may pipeline. So a session loops over requests, answers strictly
 * in order, and its idle timeout (idle_timeout, 300 s by default) is longer
 * than the client's, so that Postfix is the side that closes.
 *
 * Request: netstring "NAME KEY", split at the first space (a key may hold
 * spaces; a name never does). Replies: "OK data" (precomputed per entry),
 * "NOTFOUND " (with the space: Postfix matches on the word, sendmail wants
 * it), "TEMP reason" when a map has no table (its first load error and
 * how many more), "PERM reason" for an unknown map or a request without a
 * key. A malformed or oversized netstring is the peer's fault: warn naming
 * the client and close this connection only.
 *
 * A dynamic map (dynamic.h) may answer later: the session then pauses its
 * conn with the request still in the input buffer (a SIGTERM drain waits
 * for the answer), and the answer, when it comes, is written, consumed
 * and the next buffered request taken up. Postfix sends one request at a
 * time, so nothing else waits behind it.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "conn.h"
#include "dynamic.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "table.h"
#include "tlsmap.h"
#include "xalloc.h"

/*
 * Input: one request of up to 10000 bytes plus a read chunk. Output: room
 * for a few maximal replies; decoding pauses at half of it, so a client
 * that pipelines without reading cannot grow our memory.
 */
#define SESSION_MAX_IN	32768
#define SESSION_MAX_OUT	(4 * MAP_MAX_REPLY)

/* Longest key or name quoted in logs and on the status page. */
#define SHOW_MAX	100

/* Longest part of a map's load error quoted in a TEMP reply. */
#define TEMP_ERROR_MAX	300

static const char notfound_wire[] = "9:NOTFOUND ,";

struct session {
	struct tlsmap *tm;
	struct conn *conn;
	struct dyn_wait *wait;		/* a dynamic answer is pending */
	size_t	 consumed;		/* the pending request's bytes */
	char	 wait_map[68];	/* the map's name: a SIGHUP may free the map */
	struct timespec t0;
	char	 wait_key[SHOW_MAX + 8];
};

/* show - a printable, bounded copy of untrusted bytes for logs */
static const char *
show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < outlen && i < SHOW_MAX; i++)
		out[o++] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* reply - netstring-encode "WORD reason" into the output */
static void PFH_PRINTF(2, 3)
reply(struct session *s, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("sockmap: vsnprintf failed");
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	if (netstring_encode(conn_out(s->conn), text, (size_t)n) < 0) {
		log_warn("%s: client does not read its replies: closing",
		    conn_peer(s->conn));
		conn_close(s->conn);
		return;
	}
	conn_flush(s->conn);
}

static void drain(struct session *);

/* dyn_answered - a dynamic map's answer, now or later (dyn_fn) */
static void
dyn_answered(const struct dyn_answer *a, void *ctx)
{
	struct session *s = ctx;
	struct tlsmap_stats *st = &s->tm->st;
	int later = s->wait != NULL;

	s->wait = NULL;
	if (a->level == DYN_TEMP)
		stats_inc(&st->temp);
	else if (a->level == DYN_NOTFOUND)
		stats_inc(&st->notfound[MAP_DYNAMIC]);
	else
		stats_inc(&st->answers[MAP_DYNAMIC][a->level]);
	if (a->wire != NULL ? conn_write(s->conn, a->wire, a->wire_len) < 0 :
	    netstring_encode(conn_out(s->conn), a->text, strlen(a->text)) < 0) {
		log_warn("%s: client does not read its replies: closing",
		    conn_peer(s->conn));
		conn_close(s->conn);
		return;
	}
	stats_hist_record(&st->latency, stats_usec_since(&s->t0));
	stats_recent_add(&st->recent, "%s %s -> %s%s", s->wait_map, s->wait_key,
	    dyn_level_name(a->level), a->cached ? "" : " (resolved)");
	if (log_verbose > 0)
		log_debug("lookup: client=%s map=%s key=%s -> %s (%s)",
		    conn_peer(s->conn), s->wait_map, s->wait_key, a->text,
		    a->reason);
	if (later) {
		buf_consume(conn_in(s->conn), s->consumed);
		conn_resume(s->conn);
		conn_flush(s->conn);
		drain(s);
	}
}

/* handle - answer one request "NAME KEY": 1 answered, 0 pending */
static int
handle(struct session *s, const char *req, size_t len)
{
	struct tlsmap_stats *st = &s->tm->st;
	const struct table_entry *te;
	const struct map_answer *a;
	const char *sp, *key, *what;
	struct tlsmap_map *m;
	struct timespec t0;
	char nbuf[SHOW_MAX + 8], kbuf[SHOW_MAX + 8];
	size_t nlen, klen;

	stats_clock(&t0);
	if ((sp = memchr(req, ' ', len)) == NULL || sp + 1 == req + len) {
		stats_inc(&st->perm);
		log_warn("%s: request without a key: \"%s\"",
		    conn_peer(s->conn), show(req, len, kbuf, sizeof(kbuf)));
		reply(s, "PERM malformed request: expected \"name key\"");
		return 1;
	}
	nlen = (size_t)(sp - req);
	key = sp + 1;
	klen = len - nlen - 1;
	if ((m = maps_find(s->tm->maps, req, nlen)) == NULL) {
		stats_inc(&st->perm);
		show(req, nlen, nbuf, sizeof(nbuf));
		log_warn("%s: lookup in unknown map \"%s\"", conn_peer(s->conn),
		    nbuf);
		reply(s, "PERM unknown map %s", nbuf);
		return 1;
	}
	if (m->kind == MAP_DYNAMIC) {
		s->t0 = t0;
		snprintf(s->wait_map, sizeof(s->wait_map), "%s", m->name);
		show(key, klen, s->wait_key, sizeof(s->wait_key));
		return dyn_lookup(m->dyn, key, klen, m->tlsrpt, dyn_answered, s,
		    &s->wait);
	}
	if (!map_loaded(m)) {
		/*
		 * Never a false answer: Postfix defers and retries, and logs
		 * this text with each deferral. Short: the first error cut to
		 * TEMP_ERROR_MAX, then the count (never cut: reply() holds
		 * 512 bytes and a map name is at most 64).
		 */
		stats_inc(&st->temp);
		if (m->src->last_errors > 1)
			reply(s, "TEMP map %s is not loaded: %.*s (and %u more "
			    "error%s)", m->name, TEMP_ERROR_MAX,
			    m->src->last_error, m->src->last_errors - 1,
			    m->src->last_errors > 2 ? "s" : "");
		else
			reply(s, "TEMP map %s is not loaded: %.*s", m->name,
			    TEMP_ERROR_MAX, m->src->last_error[0] ?
			    m->src->last_error : "no table");
		what = "TEMP";
	} else if ((te = map_lookup(m, key, klen)) == NULL) {
		stats_inc(&st->notfound[m->kind]);
		(void)conn_write(s->conn, notfound_wire, sizeof(notfound_wire) - 1);
		what = "NOTFOUND";
	} else if (m->report_only) {
		stats_inc(&st->report_only[m->kind]);
		log_info("report-only: client=%s map=%s key=%s: would answer "
		    "\"OK %.200s\" (%s, line %u); answered NOTFOUND",
		    conn_peer(s->conn), m->name,
		    show(key, klen, kbuf, sizeof(kbuf)), te->value,
		    m->src->path, te->line);
		(void)conn_write(s->conn, notfound_wire, sizeof(notfound_wire) - 1);
		what = "NOTFOUND (report-only)";
	} else {
		a = te->obj;
		stats_inc(&st->answers[m->kind][a->level]);
		(void)conn_write(s->conn, a->wire, a->wire_len);
		what = map_level_name(m->kind, a->level);
	}
	stats_hist_record(&st->latency, stats_usec_since(&t0));
	show(key, klen, kbuf, sizeof(kbuf));
	stats_recent_add(&st->recent, "%s %s -> %s", m->name, kbuf, what);
	if (log_verbose > 0)
		log_debug("lookup: client=%s map=%s key=%s -> %s",
		    conn_peer(s->conn), m->name, kbuf, what);
	return 1;
}

/* drain - answer every complete request in the input buffer */
static void
drain(struct session *s)
{
	struct buf *in = conn_in(s->conn);
	const char *payload;
	size_t consumed, plen;

	while (!conn_is_closed(s->conn) && s->wait == NULL) {
		/* pause while the client is slow to read; CONN_FLUSHED resumes */
		if (conn_out_pending(s->conn) > SESSION_MAX_OUT / 2)
			return;
		switch (netstring_decode(in->data, in->len, MAP_MAX_REQUEST,
		    &consumed, &payload, &plen)) {
		case CODEC_DONE:
			if (handle(s, payload, plen) == 0) {
				/* answered later, by dyn_answered() */
				s->consumed = consumed;
				conn_pause(s->conn);
				return;
			}
			buf_consume(in, consumed);
			continue;
		case CODEC_NEED_MORE:
			if (conn_peer_eof(s->conn)) {
				if (in->len > 0)
					log_warn("%s: connection closed in "
					    "the middle of a request",
					    conn_peer(s->conn));
				conn_close_after_flush(s->conn);
			}
			return;
		case CODEC_ERR_SIZE:
			stats_inc(&s->tm->st.oversize);
			log_warn("%s: request longer than %d bytes: closing",
			    conn_peer(s->conn), MAP_MAX_REQUEST);
			conn_close_after_flush(s->conn);
			return;
		case CODEC_ERR_FORMAT:
		default:
			stats_inc(&s->tm->st.proto_errors);
			log_warn("%s: malformed netstring request: closing",
			    conn_peer(s->conn));
			conn_close_after_flush(s->conn);
			return;
		}
	}
}

/* session_event - conn callback */
static void
session_event(struct conn *c, enum conn_event ev, void *ctx)
{
	struct session *s = ctx;

	switch (ev) {
	case CONN_READ:
	case CONN_FLUSHED:
		drain(s);
		break;
	case CONN_CLOSED:
		if (conn_close_reason(c) == CONN_R_TIMEOUT)
			log_debug("%s: idle timeout", conn_peer(c));
		dyn_wait_cancel(s->wait);
		free(s);
		break;
	}
}

/* sockmap_accept - listener callback: a new Postfix connection */
void
sockmap_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	struct tlsmap *tm = ctx;
	struct session *s = xcalloc(1, sizeof(*s));

	s->tm = tm;
	s->conn = server_conn(tm->srv, l, fd, peer, SESSION_MAX_IN,
	    SESSION_MAX_OUT, session_event, s);
}
