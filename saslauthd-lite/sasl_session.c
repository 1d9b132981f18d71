/*
 * sasl_session.c - one mux connection, from the first byte to the drain
 *
 * Contract (one request per connection, as libsasl2 does it):
 *   read   decode with sasl_request_decode(); a 4-field request is taken
 *          the moment its realm is complete; a partial 5th field buffered
 *          behind it gets fifth_field_grace (100 ms) to complete, then the
 *          request goes ahead as 4 fields. A length over 256 answers "NO "
 *          and closes (Cyrus). The 5th field's address feeds PAM_RHOST
 *          and the per-client throttle, whole or not at all.
 *   check  the request pipeline (sasl_request.h): policy, throttle,
 *          cache, backend chain, decision log.
 *   reply  its mux words ("OK", "NO reason"); then conn_finish(): shut
 *          down our side, drain to EOF, close. A client that goes away
 *          first cancels the check.
 * The password lives in the connection's input buffer only until the
 * request has copied it (wiped at once). Never logged.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clientaddr.h"
#include "conn.h"
#include "cstrings.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "sasl_request.h"
#include "saslauthd.h"
#include "secret.h"
#include "xalloc.h"

/* Room for a 5-field request of maximal fields, plus slack. */
#define SESSION_MAX_IN	(5 * (2 + SASL_FIELD_MAX) + 64)
#define SESSION_MAX_OUT	(2 + SASL_REPLY_MAX + 64)

enum sess_state {
	S_READ,		/* waiting for the request */
	S_CHECK,	/* the request pipeline has it */
	S_DONE,		/* replied; draining */
};

struct session {
	struct sasl_ctx *ctx;
	struct conn *conn;
	enum sess_state state;
	struct ev_timer *timer;		/* the 5th field's grace */
	bool	 grace_done;
	struct sasl_req *req;		/* while S_CHECK */
};

static void session_io(struct conn *, enum conn_event, void *);
static void session_read(struct session *);

/* sasl_session_accept - a new mux client */
void
sasl_session_accept(struct listener *l, int fd, const char *peer, void *vctx)
{
	struct sasl_ctx *ctx = vctx;
	struct session *s = xcalloc(1, sizeof(*s));

	s->ctx = ctx;
	s->state = S_READ;
	s->conn = server_conn(ctx->srv, l, fd, peer, SESSION_MAX_IN,
	    SESSION_MAX_OUT, session_io, s);
	/* the password passes through this buffer */
	buf_set_secret(conn_in(s->conn));
}

/* session_free - CONN_CLOSED: release everything */
static void
session_free(struct session *s)
{
	ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
	s->timer = NULL;
	sasl_req_cancel(s->req);
	s->req = NULL;
	free(s);
}

/* session_io - conn events */
static void
session_io(struct conn *c, enum conn_event ev, void *arg)
{
	struct session *s = arg;

	switch (ev) {
	case CONN_READ:
		if (s->state == S_READ)
			session_read(s);
		break;
	case CONN_FLUSHED:
		break;
	case CONN_CLOSED:
		session_free(s);
		break;
	}
}

/* send_now - queue a reply text and finish the connection */
static void
send_now(struct session *s, const char *text)
{
	s->state = S_DONE;
	if (sasl_reply_encode(conn_out(s->conn), text) < 0) {
		conn_close(s->conn);
		return;
	}
	/* the drain to EOF gets the idle timeout again */
	conn_set_idle(s->conn, (uint64_t)s->ctx->cfg->common.idle_timeout);
	conn_finish(s->conn);
}

/* request_done - the pipeline answered */
static void
request_done(void *arg, const struct sasl_req_answer *a)
{
	struct session *s = arg;

	s->req = NULL;
	send_now(s, a->wire);
}

/* grace_fire - the 5th field did not complete: go on with four */
static void
grace_fire(struct ev *ev, void *arg)
{
	struct session *s = arg;

	s->timer = NULL;
	s->grace_done = true;
	session_read(s);
}

/*
 * client_from - the 5th field's address, whole or not at all: it feeds
 * PAM_RHOST and the per-client throttle (clientaddr.h)
 */
static void
client_from(struct session *s, char *out, size_t outlen, const char *in,
    size_t len)
{
	char why[96], raw[SASL_FIELD_MAX + 1], clean[80];

	if (clientaddr_parse(out, outlen, in, len, why, sizeof(why)) == 0 ||
	    !log_verbose)
		return;
	memcpy(raw, in, len < sizeof(raw) ? len : sizeof(raw) - 1);
	raw[len < sizeof(raw) ? len : sizeof(raw) - 1] = 0;
	sasl_sanitize(clean, sizeof(clean), raw);
	log_debug("%s: client address \"%s\" dropped: %s",
	    conn_peer(s->conn), clean, why);
}

/* start_request - a whole request is decoded: hand it to the pipeline */
static void
start_request(struct session *s, const struct sasl_request *req)
{
	struct buf *in = conn_in(s->conn);
	struct sasl_req_in ri;
	char client[SASL_FIELD_MAX + 1] = "";

	conn_pause(s->conn);
	conn_set_idle(s->conn, 0);	/* the deadlines are ours now */
	if (req->nfields == 5)
		client_from(s, client, sizeof(client),
		    req->field[SASL_F_CLIENT_ADDR],
		    req->len[SASL_F_CLIENT_ADDR]);
	memset(&ri, 0, sizeof(ri));
	ri.login = req->field[SASL_F_LOGIN];
	ri.login_len = req->len[SASL_F_LOGIN];
	ri.realm = req->field[SASL_F_REALM];
	ri.realm_len = req->len[SASL_F_REALM];
	ri.service = req->field[SASL_F_SERVICE];
	ri.service_len = req->len[SASL_F_SERVICE];
	ri.password = req->field[SASL_F_PASSWORD];
	ri.pwlen = req->len[SASL_F_PASSWORD];
	ri.client = client;
	s->state = S_CHECK;
	s->req = sasl_req_new(s->ctx, &ri, request_done, s);
	/* the request is copied: the input buffer's password goes now */
	secret_wipe(in->data, in->len);
	buf_consume(in, in->len);
	sasl_req_run(s->req);
}

/* session_read - decode what has arrived */
static void
session_read(struct session *s)
{
	struct buf *in = conn_in(s->conn);
	bool final = conn_peer_eof(s->conn) || s->grace_done;
	struct sasl_request req;
	enum codec_result rc;
	size_t used;

	rc = sasl_request_decode(in->data, in->len, final, &req, &used);
	switch (rc) {
	case CODEC_DONE:
		ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
		s->timer = NULL;
		start_request(s, &req);
		return;
	case CODEC_NEED_MORE:
		if (conn_peer_eof(s->conn)) {
			log_warn("%s: request cut short after %zu bytes",
			    conn_peer(s->conn), in->len);
			secret_wipe(in->data, in->len);
			conn_close(s->conn);
			return;
		}
		/* four complete fields and part of a fifth: a short grace */
		if (s->timer == NULL && !s->grace_done &&
		    sasl_request_decode(in->data, in->len, true, &req, &used)
		    == CODEC_DONE)
			s->timer = ev_timer_add(server_ev(s->ctx->srv),
			    (uint64_t)s->ctx->cfg->fifth_field_grace,
			    grace_fire, s);
		return;
	case CODEC_ERR_SIZE:
		stats_inc(&s->ctx->st.oversize);
		log_warn("%s: request field longer than %d bytes: refused",
		    conn_peer(s->conn), SASL_FIELD_MAX);
		break;
	default:
		stats_inc(&s->ctx->st.bad_request);
		log_warn("%s: malformed request: %s", conn_peer(s->conn),
		    codec_strerror(rc));
		break;
	}
	/* Cyrus answers "NO " with an empty reason and closes */
	ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
	s->timer = NULL;
	secret_wipe(in->data, in->len);
	buf_consume(in, in->len);
	conn_pause(s->conn);
	send_now(s, "NO ");
}
