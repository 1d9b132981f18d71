/*
 * load_client.c - pfh-load's client engine: N connections on one event loop
 *
 * Contract: load_run() opens opts->conns client connections to opts->ep and
 *   keeps exactly one request in flight on each, as Postfix and libsasl2 do
 *   (no pipelining). Requests rotate through opts->specs. saslauthd gets a
 *   new connection per request (connect, one write, read the reply, close);
 *   policy, socketmap and dovecot connections persist and are reopened
 *   after an error. A new dovecot connection does what Postfix's smtpd
 *   does (xsasl_dovecot_server.c): write VERSION and CPID at once, read
 *   the server's handshake up to DONE, and only then the first AUTH. A
 *   request's latency runs from its first byte (from connect() for a new
 *   connection, handshake included) to the last byte of its reply.
 *   Every request ends exactly once: a reply (matching or not), an I/O
 *   error, a protocol error, or a timeout. In count mode the run ends when
 *   `count` requests have ended, so a dead server gives `count` errors, not
 *   a hang. In duration mode the window is [warmup, warmup + duration];
 *   requests that end outside it are not counted, and requests still in
 *   flight at its end are abandoned; dovecot's are first waited for (up
 *   to their timeout), uncounted, because Dovecot's auth server stalls
 *   its later clients for seconds after one hangs up with a request
 *   pending (an anvil penalty query left waiting), which Postfix, whose
 *   smtpd waits for its answer, does not do.
 *   After an error a connection waits RETRY_MS before its next request, so
 *   a refusing server is not hammered in a busy loop.
 * Errors are counted in *res, and the first opts->show of them are printed
 *   on stderr (passwords never: spec labels mask them).
 * Returns 0, or -1 when the run could not start (address, event loop).
 *
 * Why raw sockets on ev.h rather than conn.h: conn.h adopts sockets that
 * are already connected and frees them on a deferred timer, which is the
 * right shape for a server but adds a connect state machine and a timer
 * per request to a client that opens 60,000 connections a second.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "xalloc.h"

#include "load.h"

#define RETRY_MS	50		/* pause after an error */
#define READ_CHUNK	16384
#define REPLY_CAP	(1 << 20)	/* larger than any reply we decode */

enum lc_state {
	LC_IDLE,		/* no request (persistent: may be connected) */
	LC_CONNECTING,		/* request waits for connect() to finish */
	LC_HELLO,		/* dovecot: request waits for the handshake */
	LC_BUSY,		/* request written or being written */
	LC_PAUSED,		/* waiting out RETRY_MS after an error */
};

struct load;

struct lconn {
	struct load *L;
	int	 fd;		/* -1 = not connected */
	enum lc_state state;
	const struct load_spec *spec;
	size_t	 woff;		/* bytes of spec->req written */
	uint64_t t0_ns;		/* request start, for the histogram */
	uint64_t t0_ms;		/* request start on ev_now(), for timeouts */
	uint32_t watching;
	unsigned served;	/* replies on this connection so far */
	int	 resent;	/* this request was sent again */
	struct buf in;
	struct ev_timer *retry;
};

struct load {
	const struct load_opts *o;
	struct ev *ev;
	struct lconn *c;
	size_t	 next_spec;
	uint64_t issued;	/* requests started (count mode) */
	uint64_t ended;		/* requests ended (count mode) */
	int	 measuring;
	int	 stopping;
	int	 draining;	/* stopping, the answers in flight awaited */
	uint64_t t_start_ns, t_end_ns;
	struct sockaddr_storage sa;
	socklen_t salen;
	int	 family;
	unsigned shown;
	struct stats_hist *hist;
	struct load_result *r;
	int	 sigfd;
};

static void lconn_io(struct ev *, int, uint32_t, void *);
static void lconn_next(struct lconn *);
static void lconn_connect(struct lconn *);
static void lconn_start(struct lconn *);

/* now_ns - CLOCK_MONOTONIC in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* load_result_errors - every request that did not end in a matching reply */
uint64_t
load_result_errors(const struct load_result *r)
{
	return r->mismatch + r->io_errors + r->proto_errors + r->timeouts;
}

/* printable - a reply as text for an error report, clipped, escaped */
static const char *
printable(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			snprintf(out + o, outlen - o, "\\x%02x", ch);
			o += 4;
		}
	}
	if (i < n && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* report - print one error in detail, up to opts->show of them */
static void PFH_PRINTF(3, 4)
report(struct load *L, const struct lconn *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!L->measuring || L->shown >= L->o->show)
		return;
	L->shown++;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warn("%s [%s]", text, c->spec ? c->spec->label : "-");
}

/* resolve - the endpoint's socket address, once for the whole run */
static int
resolve(struct load *L)
{
	const struct endpoint *ep = &L->o->ep;
	struct addrinfo hints, *res;
	char port[16];
	int e;

	if (ep->kind == ENDPOINT_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&L->sa;

		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		if (strlen(ep->path) >= sizeof(sun->sun_path)) {
			log_error("socket path too long: %s", ep->path);
			return -1;
		}
		strcpy(sun->sun_path, ep->path);
		L->salen = sizeof(*sun);
		L->family = AF_UNIX;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", ep->port);
	if ((e = getaddrinfo(ep->host, port, &hints, &res)) != 0) {
		log_error("%s: %s", ep->host, gai_strerror(e));
		return -1;
	}
	memcpy(&L->sa, res->ai_addr, res->ai_addrlen);
	L->salen = res->ai_addrlen;
	L->family = res->ai_family;
	freeaddrinfo(res);
	return 0;
}

/* watch - keep the epoll interest in step with what the conn waits for */
static void
watch(struct lconn *c, uint32_t want)
{
	if (c->watching == want)
		return;
	if (c->watching == 0) {
		if (ev_fd_add(c->L->ev, c->fd, want, lconn_io, c) < 0)
			log_fatal("ev_fd_add: %m");
	} else if (ev_fd_mod(c->L->ev, c->fd, want) < 0) {
		log_fatal("ev_fd_mod: %m");
	}
	c->watching = want;
}

/* lconn_drop - close the socket (and forget any input) */
static void
lconn_drop(struct lconn *c)
{
	if (c->fd < 0)
		return;
	if (c->watching)
		ev_fd_del(c->L->ev, c->fd);
	c->watching = 0;
	close(c->fd);
	c->fd = -1;
	c->served = 0;
	buf_reset(&c->in);
}

/*
 * lconn_resend - the server closed a reused connection under our request
 *
 * Servers close persistent connections after a number of requests or an
 * idle time (postfwd's children after 1,000 requests); the close can cross
 * our next request on the wire. Postfix then reconnects and sends the
 * request again (attr_clnt, auto_clnt), so we do too, once per request,
 * counting it as a retry rather than an error. Its latency includes the
 * reconnect. Returns 1 when the request was resent.
 */
static int
lconn_resend(struct lconn *c)
{
	if (c->served == 0 || c->resent || c->in.len > 0 ||
	    c->L->o->proto == LOAD_SASL)
		return 0;
	if (c->L->measuring)
		c->L->r->retries++;
	lconn_drop(c);
	c->resent = 1;
	c->woff = 0;
	lconn_connect(c);
	return 1;
}

/* drain_check - draining: stop once no connection has a request out */
static void
drain_check(struct load *L)
{
	unsigned i;

	if (!L->draining)
		return;
	for (i = 0; i < L->o->conns; i++)
		if (L->c[i].state == LC_BUSY || L->c[i].state == LC_HELLO ||
		    L->c[i].state == LC_CONNECTING)
			return;
	L->draining = 0;
	ev_stop(L->ev);
}

/* check_done - in count mode, stop once every request has ended */
static void
check_done(struct load *L)
{
	if (L->o->duration == 0 && L->ended >= L->o->count && !L->stopping) {
		L->stopping = 1;
		L->t_end_ns = now_ns();
		ev_stop(L->ev);
	}
}

static void
retry_fire(struct ev *ev, void *ctx)
{
	struct lconn *c = ctx;

	c->retry = NULL;
	c->state = LC_IDLE;
	lconn_next(c);
}

/* lconn_fail - the request in flight ended in an error: drop, pause, retry */
static void
lconn_fail(struct lconn *c, uint64_t *counter)
{
	struct load *L = c->L;

	if (L->measuring)
		(*counter)++;
	L->ended++;
	lconn_drop(c);
	c->spec = NULL;
	c->resent = 0;
	c->state = LC_PAUSED;
	check_done(L);
	if (!L->stopping)
		c->retry = ev_timer_add(L->ev, RETRY_MS, retry_fire, c);
	drain_check(L);
}

/* lconn_reply - a complete answer: time it, check it, start the next */
static void
lconn_reply(struct lconn *c, const char *ans, size_t alen)
{
	struct load *L = c->L;
	uint64_t us = (now_ns() - c->t0_ns) / 1000;
	char a[256], e[256];

	if (L->measuring) {
		stats_hist_record(L->hist, us);
		if (us > L->r->max_us)
			L->r->max_us = us;
		L->r->replies++;
		if (load_reply_matches(L->o->proto, c->spec, ans, alen)) {
			L->r->ok++;
		} else {
			L->r->mismatch++;
			report(L, c, "mismatch: expected \"%s\", got \"%s\"",
			    printable(c->spec->expect, c->spec->expect_len, e,
			    sizeof(e)), printable(ans, alen, a, sizeof(a)));
		}
	}
	L->ended++;
	c->spec = NULL;
	c->resent = 0;
	c->served++;
	c->state = LC_IDLE;
	check_done(L);
}

/* lconn_write - write what is left of the request */
static void
lconn_write(struct lconn *c)
{
	const struct load_spec *sp = c->spec;
	ssize_t n;

	while (c->woff < sp->req_len) {
		n = send(c->fd, sp->req + c->woff, sp->req_len - c->woff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				watch(c, EV_READ | EV_WRITE);
				return;
			}
			if ((errno == EPIPE || errno == ECONNRESET) &&
			    lconn_resend(c))
				return;
			report(c->L, c, "write: %s", strerror(errno));
			lconn_fail(c, &c->L->r->io_errors);
			return;
		}
		c->woff += (size_t)n;
	}
	watch(c, EV_READ);
}

/* lconn_connect - open the connection for the request in c->spec */
static void
lconn_connect(struct lconn *c)
{
	struct load *L = c->L;
	int one = 1;

	c->fd = socket(L->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		report(L, c, "socket: %s", strerror(errno));
		lconn_fail(c, &L->r->io_errors);
		return;
	}
	if (L->family != AF_UNIX)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (L->measuring)
		L->r->connects++;
	if (connect(c->fd, (struct sockaddr *)&L->sa, L->salen) == 0) {
		lconn_start(c);
		return;
	}
	if (errno == EINPROGRESS) {
		c->state = LC_CONNECTING;
		watch(c, EV_WRITE);
		return;
	}
	/*
	 * EAGAIN on a unix socket: the listen backlog is full. libsasl2's
	 * blocking connect() would wait; so do we (the wait counts).
	 */
	if (errno == EAGAIN && L->family == AF_UNIX) {
		close(c->fd);
		c->fd = -1;
		c->state = LC_PAUSED;
		/* c->spec stays: the same request, with the same t0 */
		c->retry = ev_timer_add(L->ev, 1, retry_fire, c);
		return;
	}
	report(L, c, "connect %s: %s", L->o->ep.kind == ENDPOINT_UNIX ?
	    L->o->ep.path : L->o->ep.host, strerror(errno));
	lconn_fail(c, &L->r->io_errors);
}

/* lconn_next - start the next request on this connection, if any is left */
static void
lconn_next(struct lconn *c)
{
	struct load *L = c->L;
	const struct load_specs *s = L->o->specs;

	/* a retried connect keeps its request */
	if (c->spec == NULL) {
		if (L->stopping ||
		    (L->o->duration == 0 && L->issued >= L->o->count)) {
			lconn_drop(c);
			return;
		}
		c->spec = &s->v[L->next_spec];
		if (++L->next_spec == s->n)
			L->next_spec = 0;
		L->issued++;
		c->woff = 0;
		c->t0_ns = now_ns();
		c->t0_ms = ev_now(L->ev);
	}
	if (c->fd < 0) {
		lconn_connect(c);
		return;
	}
	c->state = LC_BUSY;
	lconn_write(c);
}

/*
 * lconn_start - connected: the request goes out, or, for dovecot, our
 * hello does and the request waits for the server's DONE
 *
 * The hello is a few dozen bytes on a connection that has sent nothing
 * yet, so the socket takes it whole; a short write is an error.
 */
static void
lconn_start(struct lconn *c)
{
	const char *hello;
	ssize_t n;

	c->state = LC_BUSY;
	if (c->L->o->proto != LOAD_DOVECOT) {
		lconn_write(c);
		return;
	}
	hello = load_dovecot_hello();
	n = send(c->fd, hello, strlen(hello), MSG_NOSIGNAL);
	if (n != (ssize_t)strlen(hello)) {
		report(c->L, c, "write: %s", n < 0 ? strerror(errno) :
		    "short write of the hello");
		lconn_fail(c, &c->L->r->io_errors);
		return;
	}
	c->state = LC_HELLO;
	watch(c, EV_READ);
}

/*
 * lconn_hello - dovecot: the server's handshake so far; at its DONE the
 * request waiting for it goes out
 */
static void
lconn_hello(struct lconn *c)
{
	struct load *L = c->L;
	enum codec_result r;
	size_t used;
	char t[128];

	r = load_dovecot_handshake(c->in.data, c->in.len, &used);
	if (r == CODEC_NEED_MORE)
		return;
	if (r != CODEC_DONE) {
		report(L, c, "bad handshake (%s): \"%s\"", codec_strerror(r),
		    printable(c->in.data, c->in.len, t, sizeof(t)));
		lconn_fail(c, &L->r->proto_errors);
		return;
	}
	if (c->in.len > used) {
		report(L, c, "%zu bytes after the handshake", c->in.len - used);
		lconn_fail(c, &L->r->proto_errors);
		return;
	}
	buf_reset(&c->in);
	c->state = LC_BUSY;
	lconn_write(c);
}

/* connect_done - a non-blocking connect() finished, well or not */
static void
connect_done(struct lconn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		report(c->L, c, "connect: %s", strerror(err));
		lconn_fail(c, &c->L->r->io_errors);
		return;
	}
	lconn_start(c);
}

/* lconn_read - take in bytes; decode the reply when it is complete */
static void
lconn_read(struct lconn *c)
{
	struct load *L = c->L;
	const char *ans;
	size_t avail, alen, used;
	enum codec_result r;
	char *w;
	ssize_t n;

	if ((w = buf_space(&c->in, READ_CHUNK, &avail)) == NULL) {
		report(L, c, "reply larger than %d bytes", REPLY_CAP);
		lconn_fail(c, &L->r->proto_errors);
		return;
	}
	n = recv(c->fd, w, avail, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (c->state == LC_BUSY || c->state == LC_HELLO) {
			if (errno == ECONNRESET && lconn_resend(c))
				return;
			report(L, c, "read: %s", strerror(errno));
			lconn_fail(c, &L->r->io_errors);
		} else {
			lconn_drop(c);
		}
		return;
	}
	if (n == 0) {
		if (c->state == LC_BUSY || c->state == LC_HELLO) {
			if (lconn_resend(c))
				return;
			report(L, c, "server closed the connection without "
			    "a complete reply");
			lconn_fail(c, &L->r->io_errors);
		} else {
			/* an idle persistent connection: reopen on demand */
			lconn_drop(c);
		}
		return;
	}
	buf_commit(&c->in, (size_t)n);
	if (c->state == LC_HELLO) {
		lconn_hello(c);
		return;
	}
	if (c->state != LC_BUSY) {
		report(L, c, "%zd bytes nobody asked for", n);
		lconn_fail(c, &L->r->proto_errors);
		return;
	}
	r = load_reply_decode(L->o->proto, c->in.data, c->in.len, &ans, &alen,
	    &used);
	if (r == CODEC_NEED_MORE)
		return;
	if (r != CODEC_DONE) {
		char t[128];

		report(L, c, "bad reply (%s): \"%s\"", codec_strerror(r),
		    printable(c->in.data, c->in.len, t, sizeof(t)));
		lconn_fail(c, &L->r->proto_errors);
		return;
	}
	/*
	 * One request in flight: anything after its reply is unasked for.
	 * The reply itself counts; the extra bytes are one more error, and
	 * the stream cannot be trusted after them.
	 */
	if (c->in.len > used) {
		report(L, c, "%zu bytes after the reply", c->in.len - used);
		if (L->measuring)
			L->r->proto_errors++;
		lconn_reply(c, ans, alen);
		lconn_drop(c);
	} else {
		lconn_reply(c, ans, alen);
		buf_reset(&c->in);
	}
	/* libsasl2 reads one reply and closes */
	if (L->o->proto == LOAD_SASL)
		lconn_drop(c);
	if (!L->stopping) {
		lconn_next(c);
	} else {
		lconn_drop(c);
		drain_check(L);
	}
}

/* lconn_io - socket events */
static void
lconn_io(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct lconn *c = ctx;

	if (c->state == LC_CONNECTING) {
		connect_done(c);
		return;
	}
	if (events & EV_WRITE && c->state == LC_BUSY && c->spec != NULL &&
	    c->woff < c->spec->req_len) {
		lconn_write(c);
		if (c->fd < 0)
			return;
	}
	if (events & (EV_READ | EPOLLHUP | EPOLLERR))
		lconn_read(c);
}

/* sweep - end requests older than the timeout */
static void
sweep(struct ev *ev, void *ctx)
{
	struct load *L = ctx;
	uint64_t now = ev_now(ev);
	unsigned i;

	for (i = 0; i < L->o->conns && (!L->stopping || L->draining); i++) {
		struct lconn *c = &L->c[i];

		if ((c->state == LC_BUSY || c->state == LC_CONNECTING ||
		    c->state == LC_HELLO) &&
		    now - c->t0_ms >= L->o->timeout_ms) {
			report(L, c, "no reply within %u ms", L->o->timeout_ms);
			lconn_fail(c, &L->r->timeouts);
		}
	}
	if (!L->stopping || L->draining)
		ev_timer_add(ev, 100, sweep, L);
}

/* measure_start - the end of the warm-up: forget what was measured so far */
static void
measure_start(struct ev *ev, void *ctx)
{
	struct load *L = ctx;

	memset(L->hist, 0, sizeof(*L->hist));
	memset(L->r, 0, sizeof(*L->r));
	L->measuring = 1;
	L->t_start_ns = now_ns();
}

/* measure_end - the end of the window (duration mode) */
static void
measure_end(struct ev *ev, void *ctx)
{
	struct load *L = ctx;

	L->t_end_ns = now_ns();
	L->measuring = 0;
	L->stopping = 1;
	if (L->o->proto == LOAD_DOVECOT) {
		L->draining = 1;
		drain_check(L);
		return;
	}
	ev_stop(ev);
}

/* on_signal - SIGINT/SIGTERM: stop and report what was measured */
static void
on_signal(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct load *L = ctx;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	L->r->interrupted = 1;
	if (L->measuring)
		L->t_end_ns = now_ns();
	L->measuring = 0;
	L->stopping = 1;
	ev_stop(ev);
}

/* load_signalfd - SIGINT and SIGTERM as a readable fd (blocked otherwise) */
int
load_signalfd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		log_fatal("sigprocmask: %m");
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		log_fatal("signalfd: %m");
	(void)signal(SIGPIPE, SIG_IGN);
	return fd;
}

/* raise_nofile - room for one descriptor per connection */
static void
raise_nofile(unsigned conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("only %llu file descriptors for %u connections",
		    (unsigned long long)rl.rlim_cur, conns);
}

/* load_run - run the load; results in *res */
int
load_run(const struct load_opts *o, struct load_result *res)
{
	struct load L;
	struct stats_hist *hist = xcalloc(1, sizeof(*hist));
	unsigned i;
	double end_s;

	memset(&L, 0, sizeof(L));
	memset(res, 0, sizeof(*res));
	L.o = o;
	L.r = res;
	L.hist = hist;
	if (resolve(&L) < 0) {
		free(hist);
		return -1;
	}
	raise_nofile(o->conns);
	L.ev = ev_new();
	L.sigfd = load_signalfd();
	if (ev_fd_add(L.ev, L.sigfd, EV_READ, on_signal, &L) < 0)
		log_fatal("ev_fd_add: %m");
	L.c = xcalloc(o->conns, sizeof(*L.c));

	if (o->duration > 0 && o->warmup > 0) {
		ev_timer_add(L.ev, (uint64_t)(o->warmup * 1000), measure_start,
		    &L);
	} else {
		L.measuring = 1;
		L.t_start_ns = now_ns();
	}
	if (o->duration > 0) {
		end_s = o->warmup + o->duration;
		ev_timer_add(L.ev, (uint64_t)(end_s * 1000), measure_end, &L);
	}
	ev_timer_add(L.ev, 100, sweep, &L);

	for (i = 0; i < o->conns; i++) {
		L.c[i].L = &L;
		L.c[i].fd = -1;
		buf_init(&L.c[i].in, REPLY_CAP);
	}
	for (i = 0; i < o->conns; i++)
		if (L.c[i].state == LC_IDLE && L.c[i].spec == NULL)
			lconn_next(&L.c[i]);
	if (o->duration == 0 && o->count == 0)
		check_done(&L);
	if (!L.stopping && ev_run(L.ev) < 0)
		log_fatal("epoll_wait: %m");
	if (L.t_end_ns == 0)
		L.t_end_ns = now_ns();
	if (L.t_start_ns == 0)
		L.t_start_ns = L.t_end_ns;

	res->elapsed = (double)(L.t_end_ns - L.t_start_ns) / 1e9;
	stats_hist_snapshot(hist, &res->hist);

	for (i = 0; i < o->conns; i++) {
		lconn_drop(&L.c[i]);
		buf_free(&L.c[i].in);
	}
	free(L.c);
	ev_fd_del(L.ev, L.sigfd);
	close(L.sigfd);
	ev_free(L.ev);
	free(hist);
	return 0;
}
