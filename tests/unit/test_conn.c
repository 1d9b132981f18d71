/*
 * test_conn.c - buffered connections over socketpairs: echo, pipelining,
 * idle timeout, output cap, pause/resume, the saslauthd finish (shutdown +
 * drain to EOF), CLOSED exactly once, close from inside a callback, the
 * stop drain (conn_drain) and conn sets; a reply queued in a callback
 * goes out at the round's end, after the log line the callback held.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "conn.h"
#include "ev.h"
#include "log.h"

struct owner {
	struct conn *c;
	int	reads, flushed, closed;
	enum conn_close_reason why;
	int	mode;		/* 0 echo lines, 1 close in callback, 2 finish after 1st line, 3 pause,
			 * 4 hold a log line, reply, and look whether either is out yet,
			 * 5 one big reply per line, the next only once FLUSHED */
	char	got[256];
	size_t	ngot;
	int	peer_fd, log_fd;	/* mode 4: the peer's end, stderr's reader */
	int	reply_out, line_out;	/* mode 4: seen inside the callback */
};

#define BIG_REPLY	(256 * 1024)

/* big_reply - answer one buffered line with more than a socket buffer */
static void
big_reply(struct conn *c, struct owner *o)
{
	static char big[BIG_REPLY];
	struct buf *in = conn_in(c);
	char *nl = memchr(in->data, '\n', in->len);

	if (nl == NULL)
		return;
	buf_consume(in, (size_t)(nl - in->data) + 1);
	o->ngot++;
	memset(big, 'x', sizeof(big));
	(void)conn_write(c, big, sizeof(big));
}

static void
owner_cb(struct conn *c, enum conn_event e, void *ctx)
{
	struct owner *o = ctx;
	struct buf *in;
	char *nl;

	switch (e) {
	case CONN_READ:
		o->reads++;
		if (o->mode == 5) {
			if (conn_out_pending(c) == 0)
				big_reply(c, o);
			break;
		}
		in = conn_in(c);
		while ((nl = memchr(in->data, '\n', in->len)) != NULL) {
			size_t n = (size_t)(nl - in->data) + 1;

			memcpy(o->got + o->ngot, in->data, n);
			o->ngot += n;
			if (o->mode == 0)
				(void)conn_write(c, in->data, n);
			buf_consume(in, n);
			if (o->mode == 1) {
				conn_close(c);
				return;
			}
			if (o->mode == 2) {
				(void)conn_write(c, "OK\n", 3);
				conn_finish(c);
				return;
			}
			if (o->mode == 3) {
				conn_pause(c);
				return;
			}
			if (o->mode == 4) {
				char peek[64];

				log_info_held("answered %zu bytes", n);
				(void)conn_write(c, "R\n", 2);
				o->reply_out = recv(o->peer_fd, peek, sizeof(peek),
				    MSG_DONTWAIT | MSG_PEEK) > 0;
				o->line_out = read(o->log_fd, peek, sizeof(peek)) > 0;
			}
		}
		break;
	case CONN_FLUSHED:
		o->flushed++;
		if (o->mode == 5)
			big_reply(c, o);
		break;
	case CONN_CLOSED:
		o->closed++;
		o->why = conn_close_reason(c);
		break;
	}
}

static struct conn *
make(struct ev *ev, int sp[2], struct owner *o, size_t max_in, size_t max_out,
    uint64_t idle)
{
	struct conn_limits lim = {max_in, max_out, idle};

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	memset(o, 0, sizeof(*o));
	o->c = conn_new(ev, sp[0], &lim, owner_cb, o);
	return o->c;
}

static void
spin(struct ev *ev, int rounds)
{
	while (rounds-- > 0)
		ev_run_once(ev, 10);
}

static ssize_t
read_all(int fd, char *buf, size_t len)
{
	ssize_t n, total = 0;

	while ((n = read(fd, buf + total, len - (size_t)total)) > 0)
		total += n;
	return total;
}

static void
test_echo_pipelined(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char out[64];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	assert_int_equal(write(sp[1], "one\ntwo\nthr", 11), 11);
	spin(ev, 3);
	assert_int_equal(write(sp[1], "ee\n", 3), 3);
	spin(ev, 3);
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 14);
	assert_memory_equal(out, "one\ntwo\nthree\n", 14);
	assert_int_equal(o.closed, 0);
	close(sp[1]);			/* peer EOF with nothing pending closes */
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_EOF);
	ev_free(ev);
}

static void
test_idle_timeout(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char c;

	(void)state;
	make(ev, sp, &o, 1024, 1024, 30);
	spin(ev, 10);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_TIMEOUT);
	assert_int_equal(read(sp[1], &c, 1), 0);	/* our side closed */
	close(sp[1]);
	ev_free(ev);
}

static void
test_close_inside_callback_delivers_closed_once(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 1;
	assert_int_equal(write(sp[1], "a\nb\n", 4), 4);
	spin(ev, 4);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_LOCAL);
	assert_int_equal(o.ngot, 2);	/* nothing after the close */
	close(sp[1]);
	ev_free(ev);
}

static void
test_input_cap_closes(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char big[200];

	(void)state;
	make(ev, sp, &o, 100, 1024, 0);
	memset(big, 'x', sizeof(big));	/* no newline: owner never consumes */
	assert_int_equal(write(sp[1], big, sizeof(big)), (ssize_t)sizeof(big));
	spin(ev, 4);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_OVERSIZE);
	close(sp[1]);
	ev_free(ev);
}

static void
test_output_cap(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2], sz = 4096;
	char big[8192];
	struct conn *c;

	(void)state;
	c = make(ev, sp, &o, 1024, 16384, 0);
	/* a small kernel buffer so the output really queues up */
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(big, 'y', sizeof(big));
	assert_int_equal(conn_write(c, big, sizeof(big)), 0);
	assert_int_equal(conn_write(c, big, sizeof(big)), 0);
	/* the third cannot fit in the cap while the peer does not read */
	while (conn_out_pending(c) + sizeof(big) <= 16384)
		assert_int_equal(conn_write(c, big, sizeof(big)), 0);
	assert_int_equal(conn_write(c, big, sizeof(big)), -1);
	spin(ev, 2);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_OUTPUT);
	close(sp[1]);
	ev_free(ev);
}

static void
test_finish_drains_to_eof(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char out[16];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 2;
	assert_int_equal(write(sp[1], "req\nextra bytes", 15), 15);
	spin(ev, 3);
	/* reply sent and our side shut down, but not closed until peer EOF */
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 3);
	assert_memory_equal(out, "OK\n", 3);
	assert_int_equal(read(sp[1], out, 1), 0);	/* EOF from SHUT_WR */
	assert_int_equal(o.closed, 0);
	assert_int_equal(write(sp[1], "more junk", 9), 9);
	spin(ev, 3);
	assert_int_equal(o.closed, 0);
	shutdown(sp[1], SHUT_WR);
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_LOCAL);
	close(sp[1]);
	ev_free(ev);
}

static void
test_pause_resume(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 3;
	assert_int_equal(write(sp[1], "a\nb\n", 4), 4);
	spin(ev, 3);
	assert_int_equal(o.ngot, 2);		/* paused after the first line */
	assert_int_equal(write(sp[1], "c\n", 2), 2);
	spin(ev, 3);
	assert_int_equal(o.ngot, 2);		/* still paused */
	o.mode = 0;
	conn_resume(o.c);
	spin(ev, 3);
	assert_int_equal(o.ngot, 6);		/* b and c delivered on resume */
	assert_memory_equal(o.got, "a\nb\nc\n", 6);
	close(sp[1]);
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	ev_free(ev);
}

static void
test_paused_peer_hangup_no_spin(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2], i;

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 3;
	assert_int_equal(write(sp[1], "a\n", 2), 2);
	spin(ev, 2);
	close(sp[1]);			/* peer gone while we are paused */
	for (i = 0; i < 5; i++)
		ev_run_once(ev, 0);
	assert_int_equal(o.reads, 1);	/* no repeated wakeups */
	assert_int_equal(o.closed, 0);	/* the owner still has its request */
	assert_true(conn_peer_eof(o.c));
	o.mode = 0;
	conn_resume(o.c);
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	ev_free(ev);
}

static uint64_t
mono_ms(void)
{
	return ev_monotonic_ms();
}

/* activity moves the idle deadline: the timer is extended lazily */
static void
test_idle_extended_by_activity(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2], i;
	uint64_t lastw = 0, t;
	char out[64];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 60);
	for (i = 0; i < 8; i++) {	/* 8 x 25 ms of traffic: > 3 idle periods */
		assert_int_equal(write(sp[1], "x\n", 2), 2);
		lastw = mono_ms();
		t = lastw + 25;
		while (mono_ms() < t)
			ev_run_once(ev, 5);
		assert_int_equal(o.closed, 0);
	}
	while (o.closed == 0 && mono_ms() < lastw + 2000)
		ev_run_once(ev, 10);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_TIMEOUT);
	/* not before a full idle period after the last line (ms clock: -1) */
	assert_true(mono_ms() >= lastw + 59);
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 16);
	close(sp[1]);
	ev_free(ev);
}

/*
 * Pausing narrows epoll interest lazily: input arriving while paused may
 * wake the loop once, then the loop must sleep, not spin on a readable fd.
 */
static void
test_paused_input_does_not_spin(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	uint64_t t0;

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 3;
	assert_int_equal(write(sp[1], "a\n", 2), 2);
	spin(ev, 2);
	assert_int_equal(o.ngot, 2);
	assert_int_equal(write(sp[1], "b\n", 2), 2);	/* while paused */
	ev_run_once(ev, 0);
	ev_run_once(ev, 0);
	t0 = mono_ms();
	ev_run_once(ev, 50);
	assert_true(mono_ms() - t0 >= 40);	/* it slept: nothing was ready */
	assert_int_equal(o.ngot, 2);
	o.mode = 0;
	conn_resume(o.c);
	spin(ev, 3);
	assert_int_equal(o.ngot, 4);
	close(sp[1]);
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	ev_free(ev);
}

static void
test_drain_idle_closes_at_once(void **state)
{
	struct ev *ev = ev_new();
	struct conn_set *set = conn_set_new();
	struct owner a, b;
	int sa[2], sb[2];
	char out[16];

	(void)state;
	make(ev, sa, &a, 1024, 1024, 0);
	make(ev, sb, &b, 1024, 1024, 0);
	conn_set_add(set, a.c);
	conn_set_add(set, b.c);
	assert_int_equal(conn_set_count(set), 2);
	/* a has answered one request and holds none now */
	assert_int_equal(write(sa[1], "x\n", 2), 2);
	spin(ev, 3);
	assert_int_equal(read_all(sa[1], out, sizeof(out)), 2);
	conn_set_drain(set);
	spin(ev, 3);
	assert_int_equal(a.closed, 1);
	assert_int_equal(a.why, CONN_R_LOCAL);
	assert_int_equal(b.closed, 1);		/* never sent anything */
	assert_int_equal(read(sa[1], out, 1), 0);	/* EOF to the client */
	assert_int_equal(conn_set_count(set), 0);	/* gone, left the set */
	close(sa[1]);
	close(sb[1]);
	conn_set_free(set);
	ev_free(ev);
}

static void
test_drain_waits_for_partial_request(void **state)
{
	struct ev *ev = ev_new();
	struct conn_set *set = conn_set_new();
	struct owner o;
	int sp[2];
	char out[16];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	conn_set_add(set, o.c);
	assert_int_equal(write(sp[1], "par", 3), 3);
	spin(ev, 3);
	conn_set_drain(set);
	spin(ev, 3);
	assert_int_equal(o.closed, 0);		/* a request is in hand */
	assert_int_equal(conn_set_count(set), 1);
	assert_int_equal(write(sp[1], "tial\n", 5), 5);
	spin(ev, 3);
	/* answered, then closed: the reply arrives whole, then EOF */
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 8);
	assert_memory_equal(out, "partial\n", 8);
	assert_int_equal(read(sp[1], out, 1), 0);
	assert_int_equal(o.closed, 1);
	assert_int_equal(conn_set_count(set), 0);
	close(sp[1]);
	conn_set_free(set);
	ev_free(ev);
}

static void
test_drain_waits_while_paused(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char out[16];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 3;			/* pauses: a worker has the request */
	assert_int_equal(write(sp[1], "job\n", 4), 4);
	spin(ev, 3);
	conn_drain(o.c);
	spin(ev, 3);
	assert_int_equal(o.closed, 0);
	/* the worker's answer comes back; the owner resumes */
	assert_int_equal(conn_write(o.c, "done\n", 5), 0);
	o.mode = 0;
	conn_resume(o.c);
	spin(ev, 3);
	assert_int_equal(o.closed, 1);
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 5);
	assert_memory_equal(out, "done\n", 5);
	close(sp[1]);
	ev_free(ev);
}

static void
test_drain_ends_a_finished_conn(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2];
	char out[16];

	(void)state;
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 2;			/* the saslauthd close */
	assert_int_equal(write(sp[1], "req\nmore", 8), 8);
	spin(ev, 3);
	assert_int_equal(o.closed, 0);	/* waiting for the peer's EOF */
	conn_drain(o.c);
	spin(ev, 3);
	/* answered: stopping does not wait for the peer, which still reads
	 * its whole reply and a clean EOF (no reset for the unread bytes) */
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_LOCAL);
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 3);
	assert_memory_equal(out, "OK\n", 3);
	assert_int_equal(read(sp[1], out, 1), 0);
	close(sp[1]);
	ev_free(ev);
}

static void
test_drain_after_answers_from_flushed(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2], rounds;
	static char out[64 * 1024];
	ssize_t n, total = 0;

	(void)state;
	make(ev, sp, &o, 1024, 4 * BIG_REPLY, 0);
	o.mode = 5;
	assert_int_equal(write(sp[1], "a\nb\nc\n", 6), 6);
	spin(ev, 3);
	assert_int_equal(o.ngot, 1);	/* the rest waits for FLUSHED */
	conn_drain(o.c);
	/* the peer reads; the owner answers b and c from FLUSHED; then the
	 * conn must close by itself, with nothing left to answer */
	for (rounds = 0; rounds < 2000 && !o.closed; rounds++) {
		while ((n = read(sp[1], out, sizeof(out))) > 0)
			total += n;
		ev_run_once(ev, 10);
	}
	while ((n = read(sp[1], out, sizeof(out))) > 0)
		total += n;
	assert_int_equal(o.ngot, 3);
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.why, CONN_R_LOCAL);
	assert_int_equal(total, 3 * BIG_REPLY);
	close(sp[1]);
	ev_free(ev);
}

/*
 * Inside the loop's I/O callbacks a reply waits for the round's end, and
 * the callback's held log line goes out first: neither is out while the
 * callback runs, both are when the round is over.
 */
static void
test_reply_queued_until_round_end(void **state)
{
	struct ev *ev = ev_new();
	struct owner o;
	int sp[2], lp[2], saved = dup(STDERR_FILENO);
	char out[64], line[256];
	ssize_t n;

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe2(lp, O_NONBLOCK), 0);
	assert_int_equal(dup2(lp[1], STDERR_FILENO), STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(log_init("test_conn", LOG_TO_STDERR, NULL), 0);
	make(ev, sp, &o, 1024, 1024, 0);
	o.mode = 4;
	o.peer_fd = sp[1];
	o.log_fd = lp[0];
	assert_int_equal(write(sp[1], "q\n", 2), 2);
	ev_run_once(ev, 1000);
	assert_int_equal(o.ngot, 2);
	assert_int_equal(o.reply_out, 0);
	assert_int_equal(o.line_out, 0);
	/* the same ev_run_once() wrote both */
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 2);
	assert_memory_equal(out, "R\n", 2);
	n = read(lp[0], line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = 0;
	assert_non_null(strstr(line, "]: answered 2 bytes\n"));
	/* outside the callbacks it is written at once, as before */
	assert_int_equal(conn_write(o.c, "S\n", 2), 0);
	assert_int_equal(read_all(sp[1], out, sizeof(out)), 2);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(lp[0]);
	close(lp[1]);
	close(sp[1]);
	spin(ev, 2);
	ev_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_pipelined),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_close_inside_callback_delivers_closed_once),
		cmocka_unit_test(test_input_cap_closes),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_finish_drains_to_eof),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_paused_peer_hangup_no_spin),
		cmocka_unit_test(test_idle_extended_by_activity),
		cmocka_unit_test(test_paused_input_does_not_spin),
		cmocka_unit_test(test_drain_idle_closes_at_once),
		cmocka_unit_test(test_drain_waits_for_partial_request),
		cmocka_unit_test(test_drain_waits_while_paused),
		cmocka_unit_test(test_drain_ends_a_finished_conn),
		cmocka_unit_test(test_drain_after_answers_from_flushed),
		cmocka_unit_test(test_reply_queued_until_round_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
