/*
 * policy_session.c - one Postfix policy connection
 *
 * Postfix keeps the connection open and sends one request at a time, but
 * any client may pipeline: every complete request in the input buffer is
 * answered, in order, before more is read. A request that breaks a limit
 * or the syntax is logged and the connection is closed without a reply to
 * it (the Postfix docs ask for exactly that); replies already queued for
 * earlier requests are still written first, so the order holds.
 *
 * Stopping is the skeleton's (server_conn(), conn_drain()): an idle
 * connection is closed at once, one with a partial request right after
 * the reply to it is written (or when stop_timeout runs out).
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attrs.h"
#include "buf.h"
#include "ccert_decide.h"
#include "conn.h"
#include "log.h"
#include "policyd.h"
#include "text.h"
#include "xalloc.h"

/* Output cap: a client that pipelines without reading stalls at half of it. */
#define SESSION_MAX_OUT		(256 * 1024)
/* Input cap: one maximal request plus a read's worth of what follows it. */
#define SESSION_MAX_IN		(POLICYD_MAX_REQUEST + 64 * 1024)
/* Longest client value quoted in a log line. */
#define LOG_VALUE_MAX		128

struct session {
	struct policyd *pd;
	struct conn *conn;
	unsigned long requests;
};

const char *const policyd_class_names[PD_C_COUNT] = {
	"permit", "dunno", "reject", "defer", "other",
};

const char *const policyd_perr_names[PD_E_COUNT] = {
	"format", "size", "eof", "output",
};

static const struct attr_limits session_limits = {
	POLICYD_MAX_LINE, POLICYD_MAX_REQUEST, POLICYD_MAX_ATTRS,
};

static conn_fn session_event;

/* policyd_class_of - metric class of an action */
enum policyd_class
policyd_class_of(const char *action)
{
	const char *c = ccert_action_class(action);
	unsigned i;

	for (i = 0; i < PD_C_COUNT; i++)
		if (strcmp(c, policyd_class_names[i]) == 0)
			return (enum policyd_class)i;
	return PD_C_OTHER;
}

/* session_accept - a new Postfix connection */
void
session_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	struct policyd *pd = ctx;
	struct session *s = xcalloc(1, sizeof(*s));

	s->pd = pd;
	s->conn = server_conn(pd->srv, l, fd, peer, SESSION_MAX_IN,
	    SESSION_MAX_OUT, session_event, s);
	log_debug("connect from %s", peer);
}

/*
 * clean - copy a client value for a log line: printable ASCII, clipped;
 * out always holds the result (callers use it, not only the return)
 */
static const char *
clean(char *out, size_t outlen, const struct ccert_str *v)
{
	size_t i, n = 0, max = v->len;
	int clipped = 0;

	out[0] = 0;
	if (v->p == NULL || v->len == 0)
		return out;
	if (max > LOG_VALUE_MAX) {
		max = LOG_VALUE_MAX;
		clipped = 1;
	}
	for (i = 0; i < max && n + 4 < outlen; i++) {
		unsigned char c = (unsigned char)v->p[i];

		out[n++] = (c < 0x21 || c > 0x7e) ? '?' : (char)c;
	}
	if (clipped && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
	return out;
}

/* pin_label - "pubkey-sha256" style: which attribute, which digest, in out */
static const char *
pin_label(char *out, size_t outlen, const struct ccert_decision *d)
{
	struct text t;

	text_init(&t, out, outlen);
	if (d->id == NULL && d->fp[0] == 0) {
		text_lit(&t, "none");
		return out;
	}
	if (d->id == NULL) {
		text_lit(&t, "unlisted-");
		text_str(&t, fprint_digest_name(d->digest));
		text_lit(&t, ":");
		text_add(&t, d->fp, strnlen(d->fp, 8));
		return out;
	}
	text_str(&t, ident_kind_name(d->matched_as));
	text_lit(&t, "-");
	text_str(&t, fprint_digest_name(d->digest));
	return out;
}

/*
 * log_decision - the audit line, and the recent-events ring. Both are
 * made by appending (text.h), not by snprintf(): they are made for every
 * request.
 */
static void
log_decision(struct session *s, const struct ccert_request *r,
    const struct ccert_decision *d)
{
	struct policyd *pd = s->pd;
	struct policyd_cfg *cfg = server_cfg(pd->srv);
	char name[LOG_VALUE_MAX + 8], addr[LOG_VALUE_MAX + 8];
	char sender[LOG_VALUE_MAX + 8], rcpt[LOG_VALUE_MAX + 8];
	char state[LOG_VALUE_MAX + 8], pin[48], would[600], line[2048];
	char recent[sizeof(((struct stats_recent_entry *)0)->text)];
	const char *ident = d->id ? d->id->name : "-";
	struct text t;

	if (d->reason == CCERT_R_NOT_POLICY)
		return;
	pin_label(pin, sizeof(pin), d);
	clean(addr, sizeof(addr), &r->client_address);
	if (d->id != NULL) {
		/* "ACTION IDENTITY REASON PIN [ADDR]" */
		text_init(&t, recent, sizeof(recent));
		text_str(&t, d->would ? d->would : d->action);
		text_lit(&t, " ");
		text_str(&t, ident);
		text_lit(&t, " ");
		text_str(&t, ccert_reason_name(d->reason));
		text_lit(&t, " ");
		text_str(&t, pin);
		text_lit(&t, " [");
		text_str(&t, addr);
		text_str(&t, d->would ? "] (report only)" : "]");
		stats_recent_put(&pd->st.recent, recent);
	}
	if (cfg->log_mode == POLICYD_LOG_NONE ||
	    (cfg->log_mode == POLICYD_LOG_CERTS && d->fp[0] == 0 &&
	    !d->bad_fprint))
		return;
	would[0] = 0;
	if (d->would)
		snprintf(would, sizeof(would), " would=\"%s\" report_only=yes",
		    d->would);
	text_init(&t, line, sizeof(line));
	text_lit(&t, "decision: action=\"");
	text_str(&t, d->action);
	text_lit(&t, "\"");
	text_str(&t, would);
	text_lit(&t, " reason=");
	text_str(&t, ccert_reason_name(d->reason));
	text_lit(&t, " identity=");
	text_str(&t, ident);
	text_lit(&t, " pin=");
	text_str(&t, pin);
	text_lit(&t, " client=");
	text_str(&t, r->client_name.p ? clean(name, sizeof(name),
	    &r->client_name) : "unknown");
	text_lit(&t, "[");
	text_str(&t, addr);
	text_lit(&t, "] sender=<");
	text_str(&t, clean(sender, sizeof(sender), &r->sender));
	text_lit(&t, "> recipient=<");
	text_str(&t, clean(rcpt, sizeof(rcpt), &r->recipient));
	text_lit(&t, "> state=");
	text_str(&t, r->protocol_state.p ? clean(state, sizeof(state),
	    &r->protocol_state) : "-");
	if (d->bad_fprint)
		text_lit(&t, " note=malformed_fingerprint");
	/* an expired pin or a wrong sender is something the admin must see */
	if (d->reason == CCERT_R_EXPIRED || d->reason == CCERT_R_SENDER)
		log_warn("%s", line);
	else
		log_info_held("%s", line);
}

/* answer - decide one decoded request and queue the reply */
static int
answer(struct session *s, const struct attr *attrs, unsigned n)
{
	struct policyd *pd = s->pd;
	struct policyd_cfg *cfg = server_cfg(pd->srv);
	struct ccert_policy pol;
	struct ccert_request req;
	struct ccert_decision d;
	struct timespec t0;

	stats_clock(&t0);
	pol.permit_action = cfg->permit_action;
	pol.default_action = cfg->default_action;
	pol.expired_action = cfg->expired_action;
	pol.sender_mismatch_action = cfg->sender_mismatch_action;
	pol.report_only = cfg->report_only;
	ccert_request_from_attrs(&req, attrs, n);
	ccert_decide(&pol, pd->ids, &req, policyd_today(pd), &d);
	if (d.id != NULL)
		((struct identity *)d.id)->last_seen = time(NULL);
	if (attrs_encode_action(conn_out(s->conn), d.action) < 0) {
		/* the output cap: this client reads no replies */
		log_warn("%s: reply buffer full (client does not read "
		    "replies): disconnecting", conn_peer(s->conn));
		stats_inc(&pd->st.proto_errors[PD_E_OUTPUT]);
		conn_close(s->conn);
		return -1;
	}
	s->requests++;
	stats_inc(&pd->st.decisions[policyd_class_of(d.action)][d.reason]);
	if (d.would)
		stats_inc(&pd->st.would[policyd_class_of(d.would)]);
	if (d.bad_fprint)
		stats_inc(&pd->st.bad_fprint);
	log_decision(s, &req, &d);
	stats_hist_record(&pd->st.latency, stats_usec_since(&t0));
	return 0;
}

/* size_reason - say which limit a CODEC_ERR_SIZE request broke */
static const char *
size_reason(const char *in, size_t len)
{
	const char *p = in, *end = in + len, *nl;
	unsigned n = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) > POLICYD_MAX_LINE)
			return "a line longer than 8192 bytes";
		if (nl == p)
			break;
		if (++n > POLICYD_MAX_ATTRS)
			return "more than 128 attributes";
	}
	return "more than 65536 bytes";
}

/* session_read - answer every complete request that is buffered */
static void
session_read(struct session *s)
{
	struct policyd *pd = s->pd;
	struct buf *in = conn_in(s->conn);
	struct attr attrs[POLICYD_MAX_ATTRS];
	enum codec_result res;
	size_t used;
	unsigned n;

	for (;;) {
		res = attrs_decode(in->data, in->len, &session_limits, attrs,
		    &n, &used);
		if (res != CODEC_DONE)
			break;
		if (answer(s, attrs, n) < 0)
			return;
		buf_consume(in, used);
	}
	switch (res) {
	case CODEC_ERR_FORMAT:
		log_warn("%s: malformed request (a line without '=', an "
		    "empty name or a NUL byte) after %lu good ones: "
		    "disconnecting without a reply", conn_peer(s->conn),
		    s->requests);
		stats_inc(&pd->st.proto_errors[PD_E_FORMAT]);
		conn_close_after_flush(s->conn);
		return;
	case CODEC_ERR_SIZE:
		log_warn("%s: request with %s: disconnecting without a reply",
		    conn_peer(s->conn), size_reason(in->data, in->len));
		stats_inc(&pd->st.proto_errors[PD_E_SIZE]);
		conn_close_after_flush(s->conn);
		return;
	default:
		break;
	}
	conn_flush(s->conn);
	if (conn_is_closed(s->conn))
		return;
	if (conn_peer_eof(s->conn) && in->len > 0) {
		log_warn("%s: lost connection in the middle of a request "
		    "(%zu bytes)", conn_peer(s->conn), in->len);
		stats_inc(&pd->st.proto_errors[PD_E_EOF]);
		conn_close_after_flush(s->conn);
		return;
	}
}

/* session_event - the conn callback */
static void
session_event(struct conn *c, enum conn_event ev, void *ctx)
{
	struct session *s = ctx;
	struct policyd *pd = s->pd;

	switch (ev) {
	case CONN_READ:
		session_read(s);
		break;
	case CONN_FLUSHED:
		break;
	case CONN_CLOSED:
		if (conn_close_reason(c) == CONN_R_TIMEOUT)
			log_info("%s: idle timeout after %lu requests",
			    conn_peer(c), s->requests);
		else if (conn_close_reason(c) == CONN_R_OVERSIZE) {
			log_warn("%s: input buffer full: disconnected",
			    conn_peer(c));
			stats_inc(&pd->st.proto_errors[PD_E_SIZE]);
		} else
			log_debug("disconnect from %s after %lu requests (%s)",
			    conn_peer(c), s->requests,
			    conn_close_reason_str(conn_close_reason(c)));
		free(s);
		break;
	}
}
