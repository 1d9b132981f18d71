/*
 * dovecot_session.c - one connection on the Dovecot auth socket
 * (contract in dovecot_session.h)
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base64.h"
#include "buf.h"
#include "conn.h"
#include "cstrings.h"
#include "dovecot_proto.h"
#include "dovecot_session.h"
#include "ev.h"
#include "log.h"
#include "sasl_request.h"
#include "saslauthd.h"
#include "secret.h"
#include "server.h"
#include "xalloc.h"

/* Requests one connection may have open; past it a new AUTH fails. */
#define DC_MAX_OPEN	64
#define DC_MAX_IN	(4 * DOVECOT_MAX_LINE)
#define DC_MAX_OUT	(64 * 1024)
/* decoded bytes a line can carry */
#define DC_MAX_DATA	BASE64_DECODED_MAX(DOVECOT_MAX_LINE)
/*
 * Log lines for refusals that keep the connection, per connection and
 * window: one write of short bad lines would flood syslog otherwise (a
 * disconnect costs the client its connection; the mux, one per request)
 */
#define DC_LOG_BURST	16
#define DC_LOG_WINDOW_MS 60000

enum dc_state {
	A_PLAIN,	/* PLAIN sent no initial response: CONT awaited */
	A_USER,		/* LOGIN: "Username:" asked */
	A_PASS,		/* LOGIN: "Password:" asked */
	A_CHECK,	/* the request pipeline has it */
};

struct dc_conn;

struct dc_auth {
	struct dc_auth *next;
	struct dc_conn *dc;
	unsigned long id;
	enum dc_state state;
	char	 service[SASL_FIELD_MAX + 1];
	char	 rip[64];
	char	*user;			/* the name as the client gave it */
	size_t	 user_len;
	struct sasl_req *req;		/* while A_CHECK */
	struct ev_timer *hold;		/* a throttle refusal held back */
};

struct dc_conn {
	struct sasl_ctx *ctx;
	struct conn *conn;
	bool	 got_version, got_cpid, closing;
	struct dc_auth *auths;
	unsigned nopen, nchecking;
	uint64_t log_window;		/* ms: start of the refusals' window */
	unsigned nlogged;		/* refusal lines logged in it */
	unsigned long held;		/* refusals not logged since */
};

static unsigned long dc_cuid;		/* connections since the start */

static void dc_io(struct conn *, enum conn_event, void *);

/*
 * may_log - a refusal that keeps the connection may be logged: at most
 * DC_LOG_BURST a window; the window after one that held some says how many
 */
static bool
may_log(struct dc_conn *dc)
{
	uint64_t now = ev_now(server_ev(dc->ctx->srv));

	if (dc->nlogged > 0 && now - dc->log_window >= DC_LOG_WINDOW_MS) {
		if (dc->held > 0)
			log_warn("%s: dovecot: %lu more refused requests on "
			    "this connection were not logged",
			    conn_peer(dc->conn), dc->held);
		dc->nlogged = 0;
		dc->held = 0;
	}
	if (dc->nlogged == 0)
		dc->log_window = now;
	if (dc->nlogged < DC_LOG_BURST) {
		dc->nlogged++;
		return true;
	}
	if (dc->held++ == 0)
		log_warn("%s: dovecot: %d requests refused on this connection "
		    "within %d s: more are not logged for a while",
		    conn_peer(dc->conn), DC_LOG_BURST, DC_LOG_WINDOW_MS / 1000);
	return false;
}

/* REFUSED - a refusal's log line, within the connection's allowance */
#define REFUSED(dc, logfn, ...) do {					\
	if (may_log(dc))						\
		logfn(__VA_ARGS__);					\
} while (0)

/* send_line - queue one reply line; false once the conn is gone */
static bool
send_line(struct dc_conn *dc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool
send_line(struct dc_conn *dc, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (dc->closing)
		return false;
	va_start(ap, fmt);
	rc = buf_vprintf(conn_out(dc->conn), fmt, ap);
	va_end(ap);
	if (rc < 0) {
		log_warn("%s: dovecot: output buffer full: disconnecting",
		    conn_peer(dc->conn));
		dc->closing = true;
		conn_close(dc->conn);
		return false;
	}
	conn_flush(dc->conn);
	return true;
}

/* handshake - what Dovecot's auth server says first */
static void
handshake(struct dc_conn *dc)
{
	unsigned char raw[16];
	char cookie[2 * sizeof(raw) + 1];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		log_fatal("RAND_bytes failed");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(cookie + 2 * i, 3, "%02x", raw[i]);
	(void)send_line(dc, "VERSION\t1\t2\n"
	    "MECH\tPLAIN\tplaintext\n"
	    "MECH\tLOGIN\tplaintext\n"
	    "SPID\t%ld\nCUID\t%lu\nCOOKIE\t%s\nDONE\n",
	    (long)getpid(), ++dc_cuid, cookie);
}

/* dovecot_session_accept - a new client on the Dovecot socket */
void
dovecot_session_accept(struct listener *l, int fd, const char *peer,
    void *vctx)
{
	struct sasl_ctx *ctx = vctx;
	struct dc_conn *dc = xcalloc(1, sizeof(*dc));

	dc->ctx = ctx;
	dc->conn = server_conn(ctx->srv, l, fd, peer, DC_MAX_IN, DC_MAX_OUT,
	    dc_io, dc);
	/* passwords pass through this buffer */
	buf_set_secret(conn_in(dc->conn));
	/*
	 * first_request_timeout runs until VERSION and CPID are in: neither
	 * our greeting nor a first line is a request (Postfix sends both
	 * the moment it connects); a silent client gives its slot back
	 */
	conn_served_explicitly(dc->conn);
	/*
	 * then persistent, no idle limit: Postfix keeps it for the smtpd
	 * process's life and reconnects only when its write fails, so a
	 * close racing its next AUTH would fail that SMTP AUTH
	 */
	conn_set_idle(dc->conn, 0);
	handshake(dc);
}

/* auth_free - one request goes, its pipeline check cancelled */
static void
auth_free(struct dc_conn *dc, struct dc_auth *a)
{
	struct dc_auth **pp;

	for (pp = &dc->auths; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (a->req != NULL) {
		sasl_req_cancel(a->req);
		dc->nchecking--;
	}
	if (a->hold != NULL) {
		ev_timer_cancel(server_ev(dc->ctx->srv), a->hold);
		dc->nchecking--;
	}
	if (a->user != NULL)
		secret_free(a->user, a->user_len + 1);
	dc->nopen--;
	free(a);
}

/* find - the open request with this id */
static struct dc_auth *
find(struct dc_conn *dc, unsigned long id)
{
	struct dc_auth *a;

	for (a = dc->auths; a != NULL; a = a->next)
		if (a->id == id)
			return a;
	return NULL;
}

/* disconnect - a broken protocol: every request goes, then the conn */
static void
disconnect(struct dc_conn *dc)
{
	if (dc->closing)
		return;
	while (dc->auths != NULL)
		auth_free(dc, dc->auths);
	dc->closing = true;
	conn_close(dc->conn);
}

/* fail - FAIL <id>, the request closed */
static void
fail(struct dc_auth *a, bool temp, const char *reason)
{
	struct dc_conn *dc = a->dc;
	unsigned long id = a->id;
	bool user = a->user != NULL;

	(void)send_line(dc, "FAIL\t%lu%s%s%s%s%s\n", id,
	    user ? "\tuser=" : "", user ? a->user : "",
	    temp ? "\ttemp" : "", reason ? "\treason=" : "",
	    reason ? reason : "");
	auth_free(dc, a);
}

/* printable_name - a user name we can put in a reply line */
static bool
printable_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* set_user - the name the client gave: -1 (FAIL sent) when unusable */
static int
set_user(struct dc_auth *a, const char *name, size_t len)
{
	if (!printable_name(name, len)) {
		REFUSED(a->dc, log_warn, "%s: dovecot: request %lu: a control "
		    "character in the user name: refused",
		    conn_peer(a->dc->conn), a->id);
		stats_inc(&a->dc->ctx->st.bad_request);
		fail(a, false, "Invalid user name");
		return -1;
	}
	a->user = xmalloc(len + 1);
	memcpy(a->user, name, len);
	a->user[len] = 0;
	a->user_len = len;
	return 0;
}

/* hold_fire - a held throttle refusal goes out now */
static void
hold_fire(struct ev *ev, void *arg)
{
	struct dc_auth *a = arg;
	struct dc_conn *dc = a->dc;

	a->hold = NULL;
	dc->nchecking--;
	fail(a, true, NULL);
	if (dc->nchecking == 0 && !dc->closing)
		conn_resume(dc->conn);
}

/*
 * check_done - the pipeline answered
 *
 * A throttle refusal is held for throttle_delay before its FAIL goes out,
 * as Dovecot's auth penalty holds a failure: the connection is Postfix's
 * and stays open anyway, with reading paused, so the hold costs a timer,
 * and a guessing client waits for each refusal instead of getting
 * thousands a second (each one a log line and a throttle lookup) and
 * crowding out the logins that are right. The mux answers at once: there
 * a held answer would hold a connection per guess.
 */
static void
check_done(void *arg, const struct sasl_req_answer *ans)
{
	struct dc_auth *a = arg;
	struct dc_conn *dc = a->dc;
	uint64_t hold = (uint64_t)dc->ctx->cfg->throttle_delay;

	a->req = NULL;
	if (ans->refused && hold > 0 && !dc->closing) {
		/* still counted in nchecking: reading stays paused */
		a->hold = ev_timer_add(server_ev(dc->ctx->srv), hold,
		    hold_fire, a);
		return;
	}
	dc->nchecking--;
	if (ans->result == AUTH_OK) {
		(void)send_line(dc, "OK\t%lu\tuser=%s\n", a->id, a->user);
		auth_free(dc, a);
	} else
		fail(a, ans->result == AUTH_TEMPFAIL, NULL);
	if (dc->nchecking == 0 && !dc->closing)
		conn_resume(dc->conn);
}

/* check - user and password known: the pipeline decides */
static void
check(struct dc_auth *a, const char *pw, size_t pwlen)
{
	struct dc_conn *dc = a->dc;
	struct sasl_req_in in;

	memset(&in, 0, sizeof(in));
	in.login = a->user;
	in.login_len = a->user_len;
	in.realm = "";
	in.service = a->service;
	in.service_len = strlen(a->service);
	in.password = pw;
	in.pwlen = pwlen;
	in.client = a->rip;
	a->state = A_CHECK;
	dc->nchecking++;
	stats_inc(&dc->ctx->st.dovecot_requests);
	/* reading waits for the answers (the drain's cue) */
	conn_pause(dc->conn);
	a->req = sasl_req_new(dc->ctx, &in, check_done, a);
	sasl_req_run(a->req);
}

/* plain - a PLAIN response */
static void
plain(struct dc_auth *a, const unsigned char *data, size_t len)
{
	struct dovecot_plain p;

	if (dovecot_plain_split(data, len, &p) < 0) {
		REFUSED(a->dc, log_info, "%s: dovecot: request %lu: a PLAIN "
		    "response of other than three NUL-separated fields: "
		    "refused", conn_peer(a->dc->conn), a->id);
		stats_inc(&a->dc->ctx->st.bad_request);
		fail(a, false, "Invalid PLAIN response");
		return;
	}
	if (set_user(a, p.authcid, p.authcid_len) < 0)
		return;
	if (p.authzid_len > 0 && (p.authzid_len != p.authcid_len ||
	    memcmp(p.authzid, p.authcid, p.authcid_len) != 0)) {
		/* logging in as someone else: no master users here */
		REFUSED(a->dc, log_info, "%s: dovecot: request %lu: "
		    "authorization identity differs from the user: refused",
		    conn_peer(a->dc->conn), a->id);
		fail(a, false, "Authorization identity not allowed");
		return;
	}
	check(a, p.password, p.password_len);
}

/* ask - CONT <id> <base64 challenge> */
static void
ask(struct dc_auth *a, const char *challenge)
{
	char b64[BASE64_ENCODED_LEN(16) + 1];

	(void)base64_encode(challenge, strlen(challenge), b64, sizeof(b64));
	(void)send_line(a->dc, "CONT\t%lu\t%s\n", a->id, b64);
}

/* step - a response (decoded) for a request in state a->state */
static void
step(struct dc_auth *a, const unsigned char *data, size_t len)
{
	switch (a->state) {
	case A_PLAIN:
		plain(a, data, len);
		return;
	case A_USER:
		if (set_user(a, (const char *)data, len) < 0)
			return;
		a->state = A_PASS;
		ask(a, "Password:");
		return;
	case A_PASS:
		check(a, (const char *)data, len);
		return;
	case A_CHECK:
		break;
	}
}

/* decode - a base64 response; -1 (FAIL sent) when invalid */
static ssize_t
decode(struct dc_auth *a, const char *b64, unsigned char *out, bool initial)
{
	ssize_t n = base64_decode(b64, strlen(b64), out, DC_MAX_DATA);

	if (n < 0) {
		REFUSED(a->dc, log_info, "%s: dovecot: request %lu: invalid "
		    "base64", conn_peer(a->dc->conn), a->id);
		stats_inc(&a->dc->ctx->st.bad_request);
		fail(a, false, initial ? "Invalid base64 data in initial "
		    "response" : "Invalid base64 data in continued response");
	}
	return n;
}

/* is_loopback - 127.0.0.0/8 or ::1 (canonical text from dovecot_proto) */
static bool
is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strncmp(ip, "::ffff:127.", 11) == 0;
}

/* on_auth - AUTH: -1 for a protocol error (disconnect) */
static int
on_auth(struct dc_conn *dc, const struct dovecot_line *l,
    unsigned char *data)
{
	struct dc_auth *a;
	bool is_login;
	ssize_t n;

	is_login = strcasecmp(l->mech, "LOGIN") == 0;
	if (!is_login && strcasecmp(l->mech, "PLAIN") != 0) {
		/* a client asks only for what the handshake listed */
		log_warn("%s: dovecot: request %lu: unsupported mechanism: "
		    "disconnecting", conn_peer(dc->conn), l->id);
		return -1;
	}
	if (strlen(l->service) > SASL_FIELD_MAX) {
		/* cut short, it would name another PAM service */
		log_warn("%s: dovecot: request %lu: service= longer than %d "
		    "bytes: disconnecting", conn_peer(dc->conn), l->id,
		    SASL_FIELD_MAX);
		return -1;
	}
	if (find(dc, l->id) != NULL) {
		log_warn("%s: dovecot: duplicate request id %lu: "
		    "disconnecting", conn_peer(dc->conn), l->id);
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	a->dc = dc;
	if (dc->nopen >= DC_MAX_OPEN) {
		REFUSED(dc, log_warn, "%s: dovecot: request %lu: %d requests "
		    "open already", conn_peer(dc->conn), l->id, DC_MAX_OPEN);
		/* not in the list: answered and freed here */
		(void)send_line(dc, "FAIL\t%lu\ttemp\treason=Too many "
		    "requests\n", l->id);
		free(a);
		return 0;
	}
	a->id = l->id;
	a->next = dc->auths;
	dc->auths = a;
	dc->nopen++;
	snprintf(a->service, sizeof(a->service), "%s", l->service);
	snprintf(a->rip, sizeof(a->rip), "%s", l->rip);
	if (!l->secured && !is_loopback(l->rip) &&
	    !dc->ctx->cfg->dovecot_allow_unsecured) {
		REFUSED(dc, log_info, "%s: dovecot: request %lu: plaintext "
		    "mechanism on an unencrypted session from %s: refused "
		    "(dovecot_allow_unsecured = no)", conn_peer(dc->conn),
		    l->id, *l->rip ? l->rip : "an unknown client");
		fail(a, false, "Plaintext authentication disallowed on "
		    "non-secure (SSL/TLS) connections");
		return 0;
	}
	if (is_login) {
		a->state = A_USER;
		if (l->resp == NULL || *l->resp == 0) {
			ask(a, "Username:");
			return 0;
		}
	} else {
		a->state = A_PLAIN;
		if (l->resp == NULL) {
			(void)send_line(dc, "CONT\t%lu\t\n", a->id);
			return 0;
		}
	}
	if ((n = decode(a, l->resp, data, true)) >= 0)
		step(a, data, (size_t)n);
	return 0;
}

/* on_cont - CONT: -1 for a protocol error (disconnect) */
static int
on_cont(struct dc_conn *dc, const struct dovecot_line *l,
    unsigned char *data)
{
	struct dc_auth *a = find(dc, l->id);
	ssize_t n;

	if (a == NULL) {
		/* Dovecot's answer, too: the request may have timed out */
		(void)send_line(dc, "FAIL\t%lu\treason=Authentication request "
		    "timed out\n", l->id);
		return 0;
	}
	if (a->state == A_CHECK) {
		log_warn("%s: dovecot: CONT for request %lu, which is being "
		    "checked: disconnecting", conn_peer(dc->conn), l->id);
		return -1;
	}
	if ((n = decode(a, l->resp, data, false)) >= 0)
		step(a, data, (size_t)n);
	return 0;
}

/* handle_line - one line (LF excluded): -1 to disconnect */
static int
handle_line(struct dc_conn *dc, char *line, size_t len, unsigned char *data)
{
	char *words[DOVECOT_MAX_WORDS], err[96];
	struct dovecot_line l;
	struct dc_auth *a;
	unsigned n;

	if (dovecot_split(line, len, words, &n) < 0 ||
	    dovecot_parse(words, n, &l, err, sizeof(err)) < 0) {
		if (n == 0)
			snprintf(err, sizeof(err), "empty line, a NUL or CR "
			    "byte, or too many words");
		stats_inc(&dc->ctx->st.bad_request);
		log_warn("%s: dovecot: %s: disconnecting", conn_peer(dc->conn),
		    err);
		return -1;
	}
	if (!dc->got_version || !dc->got_cpid) {
		if (l.cmd == DC_VERSION && !dc->got_version) {
			if (l.major != 1) {
				log_warn("%s: dovecot: protocol version %u, "
				    "ours is 1: disconnecting",
				    conn_peer(dc->conn), l.major);
				return -1;
			}
			dc->got_version = true;
			return 0;
		}
		if (l.cmd == DC_CPID && dc->got_version) {
			dc->got_cpid = true;
			/* handshaken: past first_request_timeout for good */
			conn_served(dc->conn);
			return 0;
		}
		log_warn("%s: dovecot: %s before the handshake's end: "
		    "disconnecting", conn_peer(dc->conn), words[0]);
		return -1;
	}
	switch (l.cmd) {
	case DC_AUTH:
		return on_auth(dc, &l, data);
	case DC_CONT:
		return on_cont(dc, &l, data);
	case DC_CANCEL:
		if ((a = find(dc, l.id)) != NULL) {
			auth_free(dc, a);
			/* it may have been the check reading waited for */
			if (dc->nchecking == 0)
				conn_resume(dc->conn);
		}
		return 0;
	case DC_VERSION:
	case DC_CPID:
		break;
	}
	log_warn("%s: dovecot: %s after the handshake: disconnecting",
	    conn_peer(dc->conn), words[0]);
	return -1;
}

/* dc_read - every complete line buffered */
static void
dc_read(struct dc_conn *dc)
{
	struct buf *in = conn_in(dc->conn);
	unsigned char *data = xmalloc(DC_MAX_DATA);
	char *nl;
	size_t len;
	int rc;

	while (!dc->closing && (nl = memchr(in->data, '\n', in->len)) != NULL) {
		len = (size_t)(nl - in->data);
		if (len + 1 > DOVECOT_MAX_LINE)
			break;
		rc = handle_line(dc, in->data, len, data);
		secret_wipe(data, DC_MAX_DATA);
		if (dc->closing)
			break;
		secret_wipe(in->data, len + 1);
		buf_consume(in, len + 1);
		if (rc < 0) {
			disconnect(dc);
			break;
		}
	}
	free(data);
	if (dc->closing)
		return;
	nl = memchr(in->data, '\n', in->len);
	if ((nl != NULL && (size_t)(nl - in->data) + 1 > DOVECOT_MAX_LINE) ||
	    (nl == NULL && in->len >= DOVECOT_MAX_LINE)) {
		stats_inc(&dc->ctx->st.oversize);
		log_warn("%s: dovecot: line longer than %d bytes: "
		    "disconnecting", conn_peer(dc->conn), DOVECOT_MAX_LINE);
		secret_wipe(in->data, in->len);
		disconnect(dc);
		return;
	}
	if (conn_peer_eof(dc->conn)) {
		/* Postfix went away: nobody to answer */
		secret_wipe(in->data, in->len);
		disconnect(dc);
	}
}

/* dc_io - conn events */
static void
dc_io(struct conn *c, enum conn_event ev, void *arg)
{
	struct dc_conn *dc = arg;

	switch (ev) {
	case CONN_READ:
		dc_read(dc);
		break;
	case CONN_FLUSHED:
		break;
	case CONN_CLOSED:
		if (dc->held > 0)
			log_warn("%s: dovecot: %lu more refused requests on "
			    "this connection were not logged", conn_peer(c),
			    dc->held);
		while (dc->auths != NULL)
			auth_free(dc, dc->auths);
		free(dc);
		break;
	}
}
