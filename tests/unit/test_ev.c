/*
 * test_ev.c - event loop: timers in order, cancel, defer, fd events, and a
 * callback that deletes its own (and another) fd; a test's clock drives
 * ev_now() and the timers.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev.h"

struct order {
	char	seen[32];
	int	n;
};

static void
mark(struct ev *ev, void *ctx)
{
	struct order *o = ctx;

	(void)ev;
	o->seen[o->n++] = 'x';
}

struct tagged {
	struct order *o;
	char	tag;
};

static void
mark_tag(struct ev *ev, void *ctx)
{
	struct tagged *t = ctx;

	(void)ev;
	t->o->seen[t->o->n++] = t->tag;
}

static void
stop_cb(struct ev *ev, void *ctx)
{
	(void)ctx;
	ev_stop(ev);
}

static void
test_timers_fire_in_deadline_order(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {{0}, 0};
	struct tagged a = {&o, 'a'}, b = {&o, 'b'}, c = {&o, 'c'}, d = {&o, 'd'};

	(void)state;
	ev_timer_add(ev, 30, mark_tag, &c);
	ev_timer_add(ev, 10, mark_tag, &a);
	ev_timer_add(ev, 20, mark_tag, &b);
	ev_timer_add(ev, 20, mark_tag, &d);	/* same deadline: FIFO after b */
	ev_timer_add(ev, 40, stop_cb, NULL);
	assert_int_equal(ev_run(ev), 0);
	assert_string_equal(o.seen, "abdc");
	ev_free(ev);
}

struct canceller {
	struct ev_timer *victim;
	struct order *o;
};

static void
cancel_other(struct ev *ev, void *ctx)
{
	struct canceller *c = ctx;

	ev_timer_cancel(ev, c->victim);
	c->o->seen[c->o->n++] = 'c';
}

static void
test_cancel_from_callback(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {{0}, 0};
	struct canceller c;

	(void)state;
	c.o = &o;
	ev_timer_add(ev, 5, cancel_other, &c);
	c.victim = ev_timer_add(ev, 10, mark, &o);
	ev_timer_add(ev, 30, stop_cb, NULL);
	ev_run(ev);
	assert_string_equal(o.seen, "c");
	ev_free(ev);
}

static void
readd_deferred(struct ev *ev, void *ctx)
{
	struct order *o = ctx;

	o->seen[o->n++] = 'r';
	if (o->n < 3)
		ev_defer(ev, readd_deferred, o);
	else
		ev_stop(ev);
}

static void
test_defer_runs_next_round(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {{0}, 0};

	(void)state;
	ev_defer(ev, readd_deferred, &o);
	/* one round runs only what was due when it started */
	ev_run_once(ev, 0);
	assert_int_equal(o.n, 1);
	ev_run(ev);
	assert_string_equal(o.seen, "rrr");
	ev_free(ev);
}

struct fdpair {
	int	a[2], b[2];
	int	hits_a, hits_b;
	struct ev *ev;
};

static void
on_a(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct fdpair *p = ctx;
	char buf[8];

	(void)events;
	p->hits_a++;
	(void)read(fd, buf, sizeof(buf));
	/* delete both: b's already-fetched event must be dropped */
	ev_fd_del(ev, p->a[0]);
	ev_fd_del(ev, p->b[0]);
}

static void
on_b(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct fdpair *p = ctx;
	char buf[8];

	(void)ev;
	(void)events;
	p->hits_b++;
	(void)read(fd, buf, sizeof(buf));
	ev_fd_del(ev, p->a[0]);
	ev_fd_del(ev, p->b[0]);
}

static void
test_delete_drops_fetched_events(void **state)
{
	struct fdpair p;
	struct ev *ev = ev_new();

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.b), 0);
	assert_int_equal(ev_fd_add(ev, p.a[0], EV_READ, on_a, &p), 0);
	assert_int_equal(ev_fd_add(ev, p.b[0], EV_READ, on_b, &p), 0);
	assert_int_equal(write(p.a[1], "x", 1), 1);
	assert_int_equal(write(p.b[1], "y", 1), 1);
	ev_run_once(ev, 1000);
	/* whichever ran first removed the other: exactly one callback */
	assert_int_equal(p.hits_a + p.hits_b, 1);
	/* re-adding after delete works */
	assert_int_equal(ev_fd_add(ev, p.a[0], EV_READ, on_a, &p), 0);
	assert_int_equal(ev_fd_add(ev, p.a[0], EV_READ, on_a, &p), -1);
	ev_fd_del(ev, p.a[0]);
	close(p.a[0]); close(p.a[1]); close(p.b[0]); close(p.b[1]);
	ev_free(ev);
}

static void
on_writable(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	int *hits = ctx;

	(void)fd;
	if (events & EV_WRITE)
		(*hits)++;
	ev_stop(ev);
}

static void
test_mod_changes_interest(void **state)
{
	struct ev *ev = ev_new();
	int sp[2], hits = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ev_fd_add(ev, sp[0], 0, on_writable, &hits), 0);
	ev_run_once(ev, 20);		/* nothing watched: no callback */
	assert_int_equal(hits, 0);
	assert_int_equal(ev_fd_mod(ev, sp[0], EV_WRITE), 0);
	ev_run(ev);
	assert_int_equal(hits, 1);
	assert_int_equal(ev_fd_mod(ev, 999, EV_READ), -1);
	ev_fd_del(ev, sp[0]);
	close(sp[0]);
	close(sp[1]);
	ev_free(ev);
}

static void
test_many_timers_heap(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {{0}, 0};
	struct ev_timer *t[1000];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		t[i] = ev_timer_add(ev, (uint64_t)(1000 + (i * 7919) % 1000), mark, &o);
	for (i = 0; i < 1000; i++)
		ev_timer_cancel(ev, t[i]);
	ev_timer_add(ev, 5, stop_cb, NULL);
	ev_run(ev);
	assert_int_equal(o.n, 0);
	ev_free(ev);
}

/* fake_clock - a clock the test advances by hand */
static uint64_t
fake_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static void
test_fake_clock_drives_timers(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {{0}, 0};
	struct tagged a = {&o, 'a'}, b = {&o, 'b'};
	uint64_t now = 5000;
	struct ev_timer *t;

	(void)state;
	ev_set_clock(ev, fake_clock, &now);
	assert_int_equal(ev_now(ev), 5000);
	t = ev_timer_add(ev, 300, mark_tag, &a);
	assert_int_equal(ev_timer_deadline(t), 5300);
	(void)ev_timer_add(ev, 1000, mark_tag, &b);
	/* however long the real wait, nothing is due until the clock says */
	assert_int_equal(ev_run_once(ev, 20), 0);
	assert_int_equal(o.n, 0);
	now = 5299;
	assert_int_equal(ev_run_once(ev, 0), 0);
	assert_int_equal(ev_now(ev), 5299);
	assert_int_equal(o.n, 0);
	now = 5300;
	assert_int_equal(ev_run_once(ev, 0), 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.seen[0], 'a');
	now = 9000;
	assert_int_equal(ev_run_once(ev, 0), 0);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.seen[1], 'b');
	/* back to the real clock */
	ev_set_clock(ev, NULL, NULL);
	assert_true(ev_now(ev) <= ev_monotonic_ms());
	ev_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_cancel_from_callback),
		cmocka_unit_test(test_defer_runs_next_round),
		cmocka_unit_test(test_delete_drops_fetched_events),
		cmocka_unit_test(test_mod_changes_interest),
		cmocka_unit_test(test_many_timers_heap),
		cmocka_unit_test(test_fake_clock_drives_timers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
