/*
 * load_serve.c - pfh-load --serve-constant: the ceiling of a protocol
 *
 * Contract: load_serve() listens on opts->ep and answers every complete
 *   request with one constant reply, doing the least a correct server of
 *   that protocol can do: decode the request with the common codec, write
 *   the prebuilt reply. saslauthd connections then get Cyrus's close
 *   (conn_finish: shut down our side, drain to EOF); policy and socketmap
 *   connections stay open for the next request. A malformed request closes
 *   that connection, with a warning. Runs until SIGINT or SIGTERM; sends
 *   READY=1 to $NOTIFY_SOCKET once listening. Returns the exit status.
 *
 * It uses the same ev/conn/listener code the daemons use, on one thread,
 * so the number it reaches is what the daemons' framework allows before
 * any real work: the ceiling a benchmark compares them against.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "attrs.h"
#include "buf.h"
#include "conn.h"
#include "cstrings.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "netstring.h"
#include "notify.h"

#include "load.h"

#define SERVE_MAX_IN	(128 * 1024)
#define SERVE_MAX_OUT	(1024 * 1024)
#define SOCKETMAP_QUERY_MAX 10000	/* Postfix 3.12's socketmap_max_query_size */

struct serve {
	struct ev *ev;
	enum load_proto proto;
	struct buf reply;	/* the constant reply, encoded once */
	struct attr attrs[128];
	unsigned long served;
};

static const struct attr_limits serve_attr_limits = { 8192, 65536, 128 };

/* decode_one - one request from the front of in; bytes used, 0 = need more */
static enum codec_result
decode_one(struct serve *S, struct conn *c, size_t *used)
{
	struct buf *in = conn_in(c);
	struct sasl_request rq;
	const char *p;
	size_t plen;
	unsigned n;

	switch (S->proto) {
	case LOAD_SASL:
		return sasl_request_decode(in->data, in->len,
		    conn_peer_eof(c), &rq, used);
	case LOAD_POLICY:
		return attrs_decode(in->data, in->len, &serve_attr_limits,
		    S->attrs, &n, used);
	case LOAD_SOCKETMAP:
		return netstring_decode(in->data, in->len, SOCKETMAP_QUERY_MAX,
		    used, &p, &plen);
	}
	return CODEC_ERR_FORMAT;
}

/* serve_conn - answer every complete request in the input buffer */
static void
serve_conn(struct conn *c, enum conn_event e, void *ctx)
{
	struct serve *S = ctx;
	struct buf *in;
	enum codec_result r;
	size_t used;
	int answered = 0;

	if (e != CONN_READ)
		return;
	in = conn_in(c);
	while (in->len > 0) {
		r = decode_one(S, c, &used);
		if (r == CODEC_NEED_MORE)
			break;
		if (r != CODEC_DONE) {
			log_warn("%s: %s: closing", conn_peer(c),
			    codec_strerror(r));
			conn_close(c);
			return;
		}
		buf_consume(in, used);
		if (buf_append(conn_out(c), S->reply.data, S->reply.len) < 0) {
			log_warn("%s: client does not read its replies: closing",
			    conn_peer(c));
			conn_close(c);
			return;
		}
		S->served++;
		answered = 1;
		if (S->proto == LOAD_SASL) {
			conn_finish(c);
			return;
		}
	}
	if (answered)
		conn_flush(c);
	if (conn_peer_eof(c) && !conn_is_closed(c))
		conn_close_after_flush(c);
}

/* serve_accept - a new client */
static void
serve_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	static const struct conn_limits lim = { SERVE_MAX_IN, SERVE_MAX_OUT, 0 };
	struct serve *S = ctx;
	struct conn *c = conn_new(S->ev, fd, &lim, serve_conn, S);

	conn_set_peer(c, peer);
	conn_set_listener(c, l);
}

/* serve_signal - stop on SIGINT/SIGTERM */
static void
serve_signal(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		ev_stop(ev);
}

/* build_reply - the protocol's reply around the constant answer */
static int
build_reply(struct serve *S, const char *answer)
{
	switch (S->proto) {
	case LOAD_SASL:
		return sasl_reply_encode(&S->reply, answer ? answer : "OK");
	case LOAD_POLICY:
		return attrs_encode_action(&S->reply, answer ? answer : "DUNNO");
	case LOAD_SOCKETMAP:
		answer = answer ? answer : "NOTFOUND ";
		return netstring_encode(&S->reply, answer, strlen(answer));
	}
	return -1;
}

/* load_serve - serve the constant reply until told to stop */
int
load_serve(const struct load_serve_opts *o)
{
	struct listener_opts lo = { 0666, (uid_t)-1, (gid_t)-1, 0, 0, 0, 0 };
	struct serve S;
	struct listener *l;
	char err[256], name[300];
	int sigfd;

	memset(&S, 0, sizeof(S));
	S.proto = o->proto;
	buf_init(&S.reply, 0);
	if (build_reply(&S, o->answer) < 0) {
		log_error("cannot encode the answer \"%s\" for %s",
		    o->answer ? o->answer : "", load_proto_name(o->proto));
		buf_free(&S.reply);
		return 2;
	}
	S.ev = ev_new();
	if ((l = listener_open(&o->ep, &lo, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		ev_free(S.ev);
		buf_free(&S.reply);
		return 1;
	}
	sigfd = load_signalfd();
	if (ev_fd_add(S.ev, sigfd, EV_READ, serve_signal, &S) < 0 ||
	    listener_start(l, S.ev, serve_accept, &S) < 0)
		log_fatal("cannot start the event loop: %m");
	endpoint_str(&o->ep, name, sizeof(name));
	log_info("serving constant %s replies on %s", load_proto_name(o->proto),
	    name);
	(void)notify_send("READY=1");
	if (ev_run(S.ev) < 0)
		log_fatal("epoll_wait: %m");
	log_info("stopping after %lu replies", S.served);
	ev_fd_del(S.ev, sigfd);
	close(sigfd);
	listener_free(l);
	ev_free(S.ev);
	buf_free(&S.reply);
	return 0;
}
