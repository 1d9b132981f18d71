/*
 * conn.c - one client connection on the event loop
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "conn.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "xalloc.h"

#define CONN_READ_CHUNK	16384
/* Most a closing conn reads and throws away so that its close is a FIN. */
#define CONN_DISCARD_MAX	65536
/* Output queued in the I/O callbacks up to this much waits for the round's
 * end (queue_flush); more is written at once. */
#define CONN_QUEUE_MAX	CONN_READ_CHUNK

struct conn {
	struct ev *ev;
	int	 fd;
	conn_fn *fn;
	void	*ctx;
	struct buf in, out;
	struct conn_limits lim;
	struct ev_timer *idle;
	uint64_t idle_deadline;		/* the real one; idle may fire earlier */
	struct listener *listener;
	struct admit_slot *slot;	/* our place in the listener's count */
	struct conn_set *set;		/* the set we are in, if any */
	struct conn *set_prev, *set_next;
	enum conn_close_reason reason;
	unsigned paused:1, peer_eof:1, closing_after_flush:1, finishing:1,
	    shut_wr:1, unwatched:1, served:1, draining:1, flush_queued:1,
	    served_explicit:1;
	uint32_t watching;
	char	 peer[64];
};

struct conn_set {
	struct conn *head;
	unsigned count;
};

static unsigned long conn_alive;

static void conn_io(struct ev *, int, uint32_t, void *);
static void conn_shut(struct conn *, enum conn_close_reason);

/*
 * served_now - the owner took a request (consumed input, queued a reply,
 * paused for a worker, finished): from now on the listener never closes
 * this connection to make room, and first_request_timeout is over.
 */
static void
served_now(struct conn *c)
{
	if (c->served)
		return;
	c->served = 1;
	if (c->listener != NULL)
		listener_conn_served(c->listener, c->slot);
}

/* mark_served - what the conn sees: not for an owner that says it itself */
static void
mark_served(struct conn *c)
{
	if (!c->served_explicit)
		served_now(c);
}

/* conn_count - live connections */
unsigned long
conn_count(void)
{
	return conn_alive;
}

/* set_leave - take c out of its set */
static void
set_leave(struct conn *c)
{
	struct conn_set *set = c->set;

	if (set == NULL)
		return;
	if (c->set_prev != NULL)
		c->set_prev->set_next = c->set_next;
	else
		set->head = c->set_next;
	if (c->set_next != NULL)
		c->set_next->set_prev = c->set_prev;
	set->count--;
	c->set = NULL;
	c->set_prev = c->set_next = NULL;
}

/*
 * drain_check - a draining conn whose owner has answered all it held
 * (input consumed, not paused) closes once its replies are written
 */
static void
drain_check(struct conn *c)
{
	if (c->draining && c->reason == CONN_R_NONE && c->in.len == 0 &&
	    !c->paused && !c->finishing && !c->closing_after_flush)
		conn_close_after_flush(c);
}

/*
 * discard_input - read and drop what the peer sent (bounded: a peer that
 * keeps writing gets its reset): closing a socket with unread input sends
 * a reset, which can cost the peer replies it has not read yet
 */
static void
discard_input(struct conn *c)
{
	char junk[4096];
	size_t total = 0;
	ssize_t n;

	while (total < CONN_DISCARD_MAX &&
	    (n = read(c->fd, junk, sizeof(junk))) > 0)
		total += (size_t)n;
}

/*
 * finish_close - a finishing conn whose reply is out and whose peer need
 * not be waited for (stopping): discard what the peer sent, so the close
 * is a FIN and not a reset that could cost it the unread reply, and close
 */
static void
finish_close(struct conn *c)
{
	discard_input(c);
	conn_shut(c, CONN_R_LOCAL);
}

/*
 * The idle timer is extended lazily: activity only moves idle_deadline, and
 * a timer that fires before it re-arms for the rest. A busy connection thus
 * costs no timer-heap work per request, only one re-arm per idle period.
 */
static void
idle_fire(struct ev *ev, void *ctx)
{
	struct conn *c = ctx;
	uint64_t now = ev_now(ev);

	c->idle = NULL;
	if (c->lim.idle_ms == 0)
		return;			/* switched off since it was armed */
	if (now < c->idle_deadline) {
		c->idle = ev_timer_add(ev, c->idle_deadline - now, idle_fire, c);
		return;
	}
	conn_shut(c, CONN_R_TIMEOUT);
}

static void
idle_rearm(struct conn *c)
{
	uint64_t deadline;

	if (c->reason != CONN_R_NONE || c->lim.idle_ms == 0)
		return;			/* a pending timer will find idle_ms 0 */
	deadline = ev_now(c->ev) + c->lim.idle_ms;
	c->idle_deadline = deadline;
	if (c->idle != NULL && ev_timer_deadline(c->idle) <= deadline)
		return;			/* it fires first, then re-arms */
	ev_timer_cancel(c->ev, c->idle);
	c->idle = ev_timer_add(c->ev, c->lim.idle_ms, idle_fire, c);
}

/* want_events - the epoll interest the buffer state calls for */
static uint32_t
want_events(const struct conn *c)
{
	uint32_t want = 0;

	if (c->finishing && c->shut_wr)
		want |= EV_READ;	/* draining to EOF */
	else if (!c->paused && !c->peer_eof && !c->closing_after_flush &&
	    !c->finishing && (c->lim.max_out == 0 || c->out.len <= c->lim.max_out / 2))
		want |= EV_READ;
	if (c->out.len > 0)
		want |= EV_WRITE;
	return want;
}

/*
 * watch_update - epoll interest follows buffer state
 *
 * Widening the interest set takes effect at once. Narrowing is lazy unless
 * strict: the registration keeps the wider set until an event for an
 * interest we no longer want actually arrives (conn_io() then narrows it).
 * A saslauthd request pauses reading and then drains, and a persistent
 * client is quiet while we answer, so usually no such event ever comes and
 * the epoll_ctl() calls are saved.
 */
static void
watch_update(struct conn *c, int strict)
{
	uint32_t want;

	if (c->reason != CONN_R_NONE || c->flush_queued)
		return;			/* queued: decided after that write */
	want = want_events(c);
	/*
	 * epoll reports a hang-up whatever the interest set, so a conn that
	 * has seen EOF and wants nothing more (paused while a worker has the
	 * request) leaves epoll altogether until it wants something again.
	 */
	if (want == 0 && c->peer_eof) {
		if (!c->unwatched) {
			ev_fd_del(c->ev, c->fd);
			c->unwatched = 1;
		}
		return;
	}
	if (c->unwatched) {
		c->unwatched = 0;
		c->watching = want;
		if (ev_fd_add(c->ev, c->fd, want, conn_io, c) < 0)
			log_panic("conn: ev_fd_add fd %d: %m", c->fd);
		return;
	}
	if (want == c->watching)
		return;
	if (!strict && (want & ~c->watching) == 0)
		return;			/* narrowing: wait for a stray event */
	c->watching = want;
	(void)ev_fd_mod(c->ev, c->fd, want);
}

/* conn_new - adopt a connected non-blocking socket */
struct conn *
conn_new(struct ev *ev, int fd, const struct conn_limits *lim, conn_fn *fn,
    void *ctx)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->ev = ev;
	c->fd = fd;
	c->fn = fn;
	c->ctx = ctx;
	c->lim = *lim;
	buf_init(&c->in, lim->max_in);
	buf_init(&c->out, lim->max_out);
	strcpy(c->peer, "unknown");
	c->watching = EV_READ;
	if (ev_fd_add(ev, fd, EV_READ, conn_io, c) < 0)
		log_panic("conn_new: ev_fd_add fd %d: %m", fd);
	conn_alive++;
	idle_rearm(c);
	return c;
}

/* conn_in - the input buffer */
struct buf *
conn_in(struct conn *c)
{
	return &c->in;
}

/* conn_out - the output buffer */
struct buf *
conn_out(struct conn *c)
{
	return &c->out;
}

/* conn_peer_eof - the peer shut down its sending side */
int
conn_peer_eof(const struct conn *c)
{
	return c->peer_eof;
}

static void
conn_free_cb(struct ev *ev, void *ctx)
{
	struct conn *c = ctx;

	c->fn(c, CONN_CLOSED, c->ctx);
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->listener)
		listener_conn_gone(c->listener, c->slot);
	set_leave(c);
	conn_alive--;
	free(c);
}

/* conn_shut - close the socket now; CLOSED follows on the next round */
static void
conn_shut(struct conn *c, enum conn_close_reason why)
{
	if (c->reason != CONN_R_NONE)
		return;
	c->reason = why;
	ev_timer_cancel(c->ev, c->idle);
	c->idle = NULL;
	/* accepted with SOCK_CLOEXEC and never dup()ed: close() unregisters */
	(void)ev_fd_close(c->ev, c->fd);
	c->fd = -1;
	ev_defer(c->ev, conn_free_cb, c);
}

static void
try_write(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_shut(c, CONN_R_ERROR);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (c->out.len > 0)
		return;
	if (c->closing_after_flush) {
		if (c->draining)
			discard_input(c);	/* requests sent after the stop */
		conn_shut(c, CONN_R_LOCAL);
		return;
	}
	if (c->finishing && !c->shut_wr) {
		(void)shutdown(c->fd, SHUT_WR);
		c->shut_wr = 1;
		if (c->peer_eof)
			conn_shut(c, CONN_R_LOCAL);
		else if (c->draining)
			finish_close(c);
	}
}

/* close_if_abandoned - an owner that ignores EOF with nothing pending gets it closed */
static void
close_if_abandoned(struct conn *c)
{
	if (c->reason == CONN_R_NONE && c->peer_eof && c->in.len == 0 &&
	    c->out.len == 0 && !c->paused && !c->finishing &&
	    !c->closing_after_flush)
		conn_shut(c, CONN_R_EOF);
}

/* queued_flush - the round's I/O callbacks are done: write what they queued */
static void
queued_flush(struct ev *ev, void *ctx)
{
	struct conn *c = ctx;

	c->flush_queued = 0;
	if (c->reason != CONN_R_NONE)
		return;
	try_write(c);
	if (c->reason != CONN_R_NONE)
		return;
	watch_update(c, 0);
	close_if_abandoned(c);
}

/*
 * queue_flush - output queued in the loop's I/O callbacks waits for their
 * end (ev.h: after the log lines held meanwhile), so a round that answers
 * several clients writes the lines once and wakes each client once; true
 * when queued. More than CONN_QUEUE_MAX, or outside those callbacks (a
 * timer, a test), it is written at once.
 */
static int
queue_flush(struct conn *c)
{
	if (c->out.len == 0 || c->out.len > CONN_QUEUE_MAX || !ev_in_io(c->ev))
		return 0;
	if (!c->flush_queued) {
		c->flush_queued = 1;
		ev_defer(c->ev, queued_flush, c);
	}
	return 1;
}

static void
do_read(struct conn *c)
{
	int got = 0;

	for (;;) {
		size_t avail;
		char *w;
		ssize_t n;

		if (c->finishing) {
			char junk[4096];

			n = read(c->fd, junk, sizeof(junk));
			if (n > 0)
				continue;
		} else {
			w = buf_space(&c->in, CONN_READ_CHUNK, &avail);
			if (w == NULL)
				break;	/* full: the owner decodes, then we judge */
			n = read(c->fd, w, avail);
			if (n > 0) {
				buf_commit(&c->in, (size_t)n);
				got = 1;
				if ((size_t)n < avail)
					break;
				continue;
			}
		}
		if (n == 0) {
			c->peer_eof = 1;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_shut(c, CONN_R_ERROR);
		return;
	}
	if (c->finishing) {
		if (c->peer_eof && c->shut_wr)
			conn_shut(c, CONN_R_LOCAL);
		return;
	}
	if ((got || c->peer_eof) && !c->paused) {
		size_t before = c->in.len;

		idle_rearm(c);
		c->fn(c, CONN_READ, c->ctx);
		if (c->in.len < before)
			mark_served(c);
		/* a full input buffer the owner could not consume: oversized request */
		if (c->reason == CONN_R_NONE && c->lim.max_in &&
		    c->in.len >= c->lim.max_in && !c->finishing) {
			conn_shut(c, CONN_R_OVERSIZE);
			return;
		}
		close_if_abandoned(c);
		drain_check(c);
	}
}

static void
conn_io(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct conn *c = ctx;

	if (events & EV_WRITE || (events & (EPOLLERR | EPOLLHUP) && c->out.len)) {
		size_t before = c->out.len;

		try_write(c);
		if (c->reason != CONN_R_NONE)
			return;
		if (before > 0 && c->out.len == 0 && !c->finishing)
			c->fn(c, CONN_FLUSHED, c->ctx);
		if (c->reason != CONN_R_NONE)
			return;
		/* an owner may answer buffered requests from FLUSHED */
		drain_check(c);
		if (c->reason != CONN_R_NONE)
			return;
	}
	if (events & (EV_READ | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		if (!c->paused || c->finishing || (events & (EPOLLHUP | EPOLLERR)))
			do_read(c);	/* paused: buffer it, deliver on resume */
	}
	/* an event we no longer want means the lazy narrowing is due */
	watch_update(c, (events & (EV_READ | EV_WRITE) & ~want_events(c)) != 0);
}

/* conn_flush - try to send queued output now */
void
conn_flush(struct conn *c)
{
	if (c->reason != CONN_R_NONE)
		return;
	if (c->out.len > 0)
		mark_served(c);
	if (queue_flush(c))
		return;
	try_write(c);
	watch_update(c, 0);
}

/* conn_write - queue and send */
int
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->reason != CONN_R_NONE)
		return -1;
	if (buf_append(&c->out, p, n) < 0) {
		log_warn("%s: output limit %zu reached: closing", c->peer, c->lim.max_out);
		conn_shut(c, CONN_R_OUTPUT);
		return -1;
	}
	conn_flush(c);
	return 0;
}

/* conn_out_pending - bytes not yet written */
size_t
conn_out_pending(const struct conn *c)
{
	return c->out.len;
}

/* conn_pause - stop delivering input */
void
conn_pause(struct conn *c)
{
	c->paused = 1;
	mark_served(c);
	watch_update(c, 0);
}

static void
resume_cb(struct ev *ev, void *ctx)
{
	struct conn *c = ctx;

	/* deliver input that arrived (or was left) while paused */
	if (c->reason == CONN_R_NONE && !c->paused && (c->in.len > 0 || c->peer_eof))
		c->fn(c, CONN_READ, c->ctx);
	/* (paused before: served already) */
	close_if_abandoned(c);
	drain_check(c);
}

/* conn_resume - deliver input again; buffered input is offered at once */
void
conn_resume(struct conn *c)
{
	if (!c->paused)
		return;
	c->paused = 0;
	watch_update(c, 0);
	if (c->reason == CONN_R_NONE && (c->in.len > 0 || c->peer_eof ||
	    c->draining))
		/* not from inside the caller's stack: it may be mid-request */
		ev_defer(c->ev, resume_cb, c);
}

/* conn_close - close now, dropping unsent output */
void
conn_close(struct conn *c)
{
	conn_shut(c, CONN_R_LOCAL);
}

/* conn_close_after_flush - close once the output is written */
void
conn_close_after_flush(struct conn *c)
{
	if (c->reason != CONN_R_NONE)
		return;
	c->closing_after_flush = 1;
	if (c->out.len == 0) {
		if (c->draining)
			discard_input(c);
		conn_shut(c, CONN_R_LOCAL);
	} else
		watch_update(c, 0);
}

/* conn_finish - flush, shut down our side, drain the peer to EOF, close */
void
conn_finish(struct conn *c)
{
	if (c->reason != CONN_R_NONE)
		return;
	c->finishing = 1;
	mark_served(c);
	buf_reset(&c->in);
	if (queue_flush(c))
		return;
	try_write(c);
	watch_update(c, 0);
}

/* conn_is_closed - closed (CLOSED event pending or delivered) */
int
conn_is_closed(const struct conn *c)
{
	return c->reason != CONN_R_NONE;
}

/* conn_close_reason - why it closed */
enum conn_close_reason
conn_close_reason(const struct conn *c)
{
	return c->reason;
}

/* conn_close_reason_str - for logs */
const char *
conn_close_reason_str(enum conn_close_reason r)
{
	switch (r) {
	case CONN_R_NONE: return "open";
	case CONN_R_LOCAL: return "closed";
	case CONN_R_EOF: return "disconnect";
	case CONN_R_TIMEOUT: return "timeout";
	case CONN_R_ERROR: return "I/O error";
	case CONN_R_OVERSIZE: return "input too large";
	case CONN_R_OUTPUT: return "output too large";
	case CONN_R_EVICTED: return "closed to make room";
	}
	return "unknown";
}

/* conn_set_idle - change the idle timeout and restart it */
void
conn_set_idle(struct conn *c, uint64_t idle_ms)
{
	c->lim.idle_ms = idle_ms;
	idle_rearm(c);
}

/* conn_fd - the socket (-1 once closed) */
int
conn_fd(const struct conn *c)
{
	return c->fd;
}

/* conn_peer - printable peer */
const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

/* conn_set_peer - set the printable peer */
void
conn_set_peer(struct conn *c, const char *peer)
{
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
}

/* conn_set_ctx - change the owner */
void
conn_set_ctx(struct conn *c, conn_fn *fn, void *ctx)
{
	c->fn = fn;
	c->ctx = ctx;
}

/* conn_admit_close - the listener closes this requestless conn */
static void
conn_admit_close(void *ctx, enum admit_why why)
{
	conn_shut(ctx, why == ADMIT_TIMEOUT ? CONN_R_TIMEOUT : CONN_R_EVICTED);
}

/* conn_set_listener - count this conn against its listener */
void
conn_set_listener(struct conn *c, struct listener *l)
{
	c->listener = l;
	if (l == NULL)		/* not counted anywhere (unit tests) */
		return;
	c->slot = listener_adopt(l, conn_admit_close, c);
	if (c->served)
		listener_conn_served(l, c->slot);
}

/* conn_served - the owner took a request (the conn notices most ways) */
void
conn_served(struct conn *c)
{
	served_now(c);
}

/* conn_served_explicitly - only conn_served() says it served */
void
conn_served_explicitly(struct conn *c)
{
	c->served_explicit = 1;
}

/* conn_drain - stop: close once no request is in hand */
void
conn_drain(struct conn *c)
{
	if (c->reason != CONN_R_NONE)
		return;
	c->draining = 1;
	if (c->finishing && c->shut_wr)
		finish_close(c);	/* answered: no need to wait for its EOF */
	else
		drain_check(c);
}

struct conn_set *
conn_set_new(void)
{
	return xcalloc(1, sizeof(struct conn_set));
}

void
conn_set_free(struct conn_set *set)
{
	if (set == NULL)
		return;
	while (set->head != NULL)
		set_leave(set->head);
	free(set);
}

/* conn_set_add - c joins set (leaving any other) */
void
conn_set_add(struct conn_set *set, struct conn *c)
{
	set_leave(c);
	c->set = set;
	c->set_prev = NULL;
	c->set_next = set->head;
	if (set->head != NULL)
		set->head->set_prev = c;
	set->head = c;
	set->count++;
}

unsigned
conn_set_count(const struct conn_set *set)
{
	return set->count;
}

/* conn_set_drain - every member drains (none is freed meanwhile) */
void
conn_set_drain(struct conn_set *set)
{
	struct conn *c;

	for (c = set->head; c != NULL; c = c->set_next)
		conn_drain(c);
}
