/*
 * load_serve.c - pfh-load --serve-constant: the ceiling of a protocol
 *
 * Contract: load_serve() listens on opts->ep and answers every complete
 *   request with one constant reply, doing the least a correct server of
 *   that protocol can do: decode the request with the common codec, write
 *   the prebuilt reply. saslauthd connections then get Cyrus's close
 *   (conn_finish: shut down our side, drain to EOF); policy and socketmap
 *   connections stay open for the next request. A dovecot connection gets
 *   the handshake saslauthd-lite sends (VERSION, MECH PLAIN, SPID, CUID,
 *   COOKIE, DONE), must say VERSION 1 and CPID first, and then each AUTH
 *   line is parsed with saslauthd-lite's own parser (dovecot_proto.c),
 *   its PLAIN response decoded and split, and answered "OK <id>
 *   user=<name>" (the word is -a's, "OK" by default). A malformed request
 *   closes that connection, with a warning. Runs until SIGINT or SIGTERM; sends
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
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "attrs.h"
#include "base64.h"
#include "buf.h"
#include "conn.h"
#include "cstrings.h"
#include "dovecot_proto.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "netstring.h"
#include "notify.h"
#include "xalloc.h"

#include "load.h"

#define SERVE_MAX_IN	(128 * 1024)
#define SERVE_MAX_OUT	(1024 * 1024)
#define SOCKETMAP_QUERY_MAX 10000	/* Postfix 3.12's socketmap_max_query_size */

struct serve {
	struct ev *ev;
	enum load_proto proto;
	struct buf reply;	/* the constant reply, encoded once (dovecot:
				 * its first word) */
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
	case LOAD_DOVECOT:
		break;		/* serve_dovecot: lines, not this */
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

/* One dovecot connection: where its handshake is. */
struct dc_peer {
	struct serve *S;
	int	 version, cpid;
};

/* dovecot_line - one line (LF excluded); -1 to close the connection */
static int
dovecot_line(struct dc_peer *P, struct conn *c, char *line, size_t len)
{
	static unsigned char data[BASE64_DECODED_MAX(DOVECOT_MAX_LINE)];
	char *w[DOVECOT_MAX_WORDS], err[96];
	struct dovecot_line l;
	struct dovecot_plain pl;
	unsigned n;
	ssize_t dn;

	if (dovecot_split(line, len, w, &n) < 0 ||
	    dovecot_parse(w, n, &l, err, sizeof(err)) < 0)
		return -1;
	if (!P->version) {
		if (l.cmd != DC_VERSION || l.major != 1)
			return -1;
		P->version = 1;
		return 0;
	}
	if (!P->cpid) {
		if (l.cmd != DC_CPID)
			return -1;
		P->cpid = 1;
		return 0;
	}
	if (l.cmd != DC_AUTH || l.resp == NULL ||
	    strcasecmp(l.mech, "PLAIN") != 0)
		return -1;
	if ((dn = base64_decode(l.resp, strlen(l.resp), data, sizeof(data))) < 0 ||
	    dovecot_plain_split(data, (size_t)dn, &pl) < 0)
		return -1;
	if (buf_printf(conn_out(c), "%.*s\t%lu\tuser=%.*s\n",
	    (int)P->S->reply.len, P->S->reply.data, l.id,
	    (int)pl.authcid_len, pl.authcid) < 0)
		return -1;
	P->S->served++;
	return 0;
}

/* serve_dovecot - every complete line in the input buffer */
static void
serve_dovecot(struct conn *c, enum conn_event e, void *ctx)
{
	struct dc_peer *P = ctx;
	struct buf *in;
	char *nl;
	size_t len;
	int answered = 0;

	if (e == CONN_CLOSED) {
		free(P);
		return;
	}
	if (e != CONN_READ)
		return;
	in = conn_in(c);
	while ((nl = memchr(in->data, '\n', in->len)) != NULL) {
		len = (size_t)(nl - in->data);
		if (dovecot_line(P, c, in->data, len) < 0) {
			log_warn("%s: a malformed or unexpected dovecot line: "
			    "closing", conn_peer(c));
			conn_close(c);
			return;
		}
		buf_consume(in, len + 1);
		answered = 1;
	}
	if (in->len >= DOVECOT_MAX_LINE) {
		log_warn("%s: a dovecot line too long: closing", conn_peer(c));
		conn_close(c);
		return;
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
	static unsigned long cuid;
	struct serve *S = ctx;
	struct dc_peer *P;
	struct conn *c;

	if (S->proto != LOAD_DOVECOT) {
		c = conn_new(S->ev, fd, &lim, serve_conn, S);
		conn_set_peer(c, peer);
		conn_set_listener(c, l);
		return;
	}
	P = xcalloc(1, sizeof(*P));
	P->S = S;
	c = conn_new(S->ev, fd, &lim, serve_dovecot, P);
	conn_set_peer(c, peer);
	conn_set_listener(c, l);
	/* persistent, as Postfix keeps it */
	conn_set_idle(c, 0);
	/* the cookie's shape, not its randomness: nobody checks it here */
	cuid++;
	if (buf_printf(conn_out(c), "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\n"
	    "SPID\t%ld\nCUID\t%lu\nCOOKIE\t%032lx\nDONE\n", (long)getpid(),
	    cuid, cuid) < 0)
		log_fatal("cannot queue the dovecot handshake");
	conn_flush(c);
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
	case LOAD_DOVECOT:
		answer = answer ? answer : "OK";
		if (strpbrk(answer, "\t\n") != NULL)
			return -1;
		return buf_append(&S->reply, answer, strlen(answer));
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
