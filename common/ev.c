/*
 * ev.c - single-threaded epoll event loop with a timer min-heap
 *
 * File descriptors index a table of (callback, context, generation) slots.
 * The generation goes into epoll's user data next to the fd, so an event
 * fetched for a descriptor that a callback deleted (and maybe reused) in the
 * same round is recognised as stale and dropped.
 */
#include "sysdep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "xalloc.h"

#define EV_MAX_EVENTS	256

struct ev_slot {
	ev_fd_fn *fn;
	void	*ctx;
	uint32_t events;
	uint32_t gen;
	int	 used;
};

struct ev_timer {
	uint64_t deadline;
	uint64_t seq;		/* FIFO order among equal deadlines */
	ev_timer_fn *fn;
	void	*ctx;
	size_t	 idx;		/* heap position; SIZE_MAX once popped */
};

struct ev {
	int	 epfd;
	int	 stop;
	int	 in_io;		/* calling the I/O callbacks of a round */
	uint64_t now;
	uint64_t seq;
	struct ev_slot *slots;
	size_t	 nslots;
	struct ev_timer **heap;
	size_t	 nheap, heapcap;
	ev_clock_fn *clock;		/* NULL: ev_monotonic_ms() */
	void	*clock_ctx;
};

/* ev_monotonic_ms - CLOCK_MONOTONIC in milliseconds */
uint64_t
ev_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* clock_read - the loop's clock: the real one or a test's */
static uint64_t
clock_read(struct ev *ev)
{
	return ev->clock ? ev->clock(ev->clock_ctx) : ev_monotonic_ms();
}

/* ev_new - create a loop */
struct ev *
ev_new(void)
{
	struct ev *ev = xcalloc(1, sizeof(*ev));

	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		log_fatal("epoll_create1: %m");
	ev->now = ev_monotonic_ms();
	return ev;
}

/* ev_free - destroy the loop; pending timers are dropped */
void
ev_free(struct ev *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nheap; i++)
		free(ev->heap[i]);
	free(ev->heap);
	free(ev->slots);
	close(ev->epfd);
	free(ev);
}

static struct ev_slot *
slot_get(struct ev *ev, int fd)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= ev->nslots) {
		size_t n = ev->nslots ? ev->nslots : 64;

		while (n <= (size_t)fd)
			n *= 2;
		ev->slots = xreallocarray(ev->slots, n, sizeof(*ev->slots));
		memset(ev->slots + ev->nslots, 0,
		    (n - ev->nslots) * sizeof(*ev->slots));
		ev->nslots = n;
	}
	return &ev->slots[fd];
}

static int
epoll_apply(struct ev *ev, int op, int fd, struct ev_slot *s)
{
	struct epoll_event ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = s->events;
	ee.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)s->gen << 32);
	return epoll_ctl(ev->epfd, op, fd, &ee);
}

/* ev_fd_add - watch fd */
int
ev_fd_add(struct ev *ev, int fd, uint32_t events, ev_fd_fn *fn, void *ctx)
{
	struct ev_slot *s = slot_get(ev, fd);

	if (s == NULL) {
		errno = EBADF;
		return -1;
	}
	if (s->used) {
		errno = EEXIST;
		return -1;
	}
	s->fn = fn;
	s->ctx = ctx;
	s->events = events;
	s->gen++;
	if (epoll_apply(ev, EPOLL_CTL_ADD, fd, s) < 0)
		return -1;
	s->used = 1;
	return 0;
}

/* ev_fd_mod - change what fd is watched for */
int
ev_fd_mod(struct ev *ev, int fd, uint32_t events)
{
	struct ev_slot *s;

	if (fd < 0 || (size_t)fd >= ev->nslots || !ev->slots[fd].used) {
		errno = ENOENT;
		return -1;
	}
	s = &ev->slots[fd];
	if (s->events == events)
		return 0;
	s->events = events;
	return epoll_apply(ev, EPOLL_CTL_MOD, fd, s);
}

/* slot_forget - the slot is free; stale events will not match its gen */
static void
slot_forget(struct ev *ev, int fd, int unregister)
{
	struct ev_slot *s;

	if (fd < 0 || (size_t)fd >= ev->nslots || !ev->slots[fd].used)
		return;
	s = &ev->slots[fd];
	if (unregister)
		(void)epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	s->used = 0;
	s->fn = NULL;
	s->ctx = NULL;
	s->gen++;
}

/* ev_fd_del - stop watching fd (before it is closed) */
void
ev_fd_del(struct ev *ev, int fd)
{
	slot_forget(ev, fd, 1);
}

/*
 * ev_fd_close - stop watching fd and close it, saving the EPOLL_CTL_DEL:
 * the kernel drops the registration with the file's last reference.
 */
int
ev_fd_close(struct ev *ev, int fd)
{
	slot_forget(ev, fd, 0);
	return close(fd);
}

static int
timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_set(struct ev *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->idx = i;
}

static void
heap_up(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!timer_before(t, ev->heap[p]))
			break;
		heap_set(ev, i, ev->heap[p]);
		i = p;
	}
	heap_set(ev, i, t);
}

static void
heap_down(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct ev_timer *best = t;

		if (l < ev->nheap && timer_before(ev->heap[l], best))
			best = ev->heap[m = l];
		if (r < ev->nheap && timer_before(ev->heap[r], best))
			best = ev->heap[m = r];
		if (m == i)
			break;
		heap_set(ev, i, best);
		i = m;
	}
	heap_set(ev, i, t);
}

static void
heap_remove(struct ev *ev, size_t i)
{
	struct ev_timer *last = ev->heap[--ev->nheap];

	ev->heap[i]->idx = SIZE_MAX;
	if (i == ev->nheap)
		return;
	heap_set(ev, i, last);
	heap_up(ev, i);
	heap_down(ev, last->idx);
}

/* ev_timer_add - call fn(ctx) once, delay_ms from now */
struct ev_timer *
ev_timer_add(struct ev *ev, uint64_t delay_ms, ev_timer_fn *fn, void *ctx)
{
	struct ev_timer *t = xmalloc(sizeof(*t));

	t->deadline = ev->now + delay_ms;
	t->seq = ev->seq++;
	t->fn = fn;
	t->ctx = ctx;
	if (ev->nheap == ev->heapcap) {
		ev->heapcap = ev->heapcap ? ev->heapcap * 2 : 64;
		ev->heap = xreallocarray(ev->heap, ev->heapcap, sizeof(*ev->heap));
	}
	ev->heap[ev->nheap] = t;
	t->idx = ev->nheap++;
	heap_up(ev, t->idx);
	return t;
}

/* ev_timer_cancel - drop a pending timer; no-op for NULL or a firing timer */
void
ev_timer_cancel(struct ev *ev, struct ev_timer *t)
{
	if (t == NULL || t->idx == SIZE_MAX)
		return;
	heap_remove(ev, t->idx);
	free(t);
}

/* ev_timer_deadline - the timer's deadline */
uint64_t
ev_timer_deadline(const struct ev_timer *t)
{
	return t->deadline;
}

/* ev_defer - run fn(ctx) after this round */
void
ev_defer(struct ev *ev, ev_timer_fn *fn, void *ctx)
{
	(void)ev_timer_add(ev, 0, fn, ctx);
}

/* ev_in_io - inside the I/O callbacks of a round */
int
ev_in_io(const struct ev *ev)
{
	return ev->in_io;
}

/* ev_set_clock - a test's clock for ev_now() and the timers */
void
ev_set_clock(struct ev *ev, ev_clock_fn *fn, void *ctx)
{
	ev->clock = fn;
	ev->clock_ctx = ctx;
	ev->now = clock_read(ev);
}

/* ev_now - cached monotonic milliseconds */
uint64_t
ev_now(struct ev *ev)
{
	return ev->now;
}

static void
run_timers(struct ev *ev)
{
	/*
	 * Only timers due at the start of this pass run now: one that a
	 * callback adds with 0 ms waits for the next round, so ev_defer()
	 * really runs after the current callbacks, and a timer that re-arms
	 * itself cannot starve I/O.
	 */
	uint64_t now = ev->now, limit = ev->seq;

	while (ev->nheap > 0 && ev->heap[0]->deadline <= now &&
	    ev->heap[0]->seq < limit) {
		struct ev_timer *t = ev->heap[0];

		heap_remove(ev, 0);
		t->fn(ev, t->ctx);
		free(t);
	}
}

/* ev_run_once - wait for and dispatch one round */
int
ev_run_once(struct ev *ev, int timeout_ms)
{
	struct epoll_event evs[EV_MAX_EVENTS];
	int n, i;

	if (ev->nheap > 0) {
		uint64_t d = ev->heap[0]->deadline;
		int until = d <= ev->now ? 0 : (int)(d - ev->now > 60000 ? 60000 : d - ev->now);

		if (timeout_ms < 0 || until < timeout_ms)
			timeout_ms = until;
	}
	n = epoll_wait(ev->epfd, evs, EV_MAX_EVENTS, timeout_ms);
	ev->now = clock_read(ev);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_error("epoll_wait: %m");
		return -1;
	}
	ev->in_io = 1;
	log_hold(1);
	for (i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct ev_slot *s;

		if ((size_t)fd >= ev->nslots)
			continue;
		s = &ev->slots[fd];
		if (!s->used || s->gen != gen)
			continue;	/* deleted by an earlier callback */
		s->fn(ev, fd, evs[i].events, s->ctx);
	}
	/* the round's held lines, before its queued replies (run_timers) */
	log_hold(0);
	ev->in_io = 0;
	run_timers(ev);
	return 0;
}

/* ev_run - dispatch until ev_stop() */
int
ev_run(struct ev *ev)
{
	ev->stop = 0;
	while (!ev->stop)
		if (ev_run_once(ev, -1) < 0)
			return -1;
	return 0;
}

/* ev_stop - make ev_run() return after this round */
void
ev_stop(struct ev *ev)
{
	ev->stop = 1;
}
