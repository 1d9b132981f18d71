/*
 * test_admit.c - which connections a listener keeps (admit.h): the per-peer
 * cap closes the peer's own oldest requestless connection (not a young
 * one whose request is unread), a full table the oldest of any peer,
 * never a served one;
 * the first-request deadline; and the helpers around it: one warning per
 * interval (ratelimit.h), the descriptor arithmetic (fdlimit_plan()).
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "ev.h"
#include "fdlimit.h"
#include "log.h"
#include "ratelimit.h"

struct owner {
	struct admit_slot *slot;
	int	closed;
	enum admit_why why;
};

static void
owner_close(void *ctx, enum admit_why why)
{
	struct owner *o = ctx;

	o->closed++;
	o->why = why;
}

static struct sockaddr_storage
inet(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return ss;
}

static void
enter(struct admit *a, struct owner *o, int fd, const char *addr)
{
	struct sockaddr_storage ss = inet(addr);

	memset(o, 0, sizeof(*o));
	o->slot = admit_enter(a, fd, &ss);
	assert_non_null(o->slot);
	admit_bind(o->slot, owner_close, o);
}

static void
test_per_peer_cap_closes_own_oldest(void **state)
{
	struct ev *ev = ev_new();
	struct admit_limits lim = { 100, 2, 0 };
	struct admit *a = admit_new(ev, "test", &lim);
	struct owner o[4];

	enter(a, &o[0], -1, "127.0.0.2");
	enter(a, &o[1], -1, "127.0.0.1");
	enter(a, &o[2], -1, "127.0.0.2");
	assert_int_equal(admit_new_count(a), 3);
	/* 127.0.0.2's third: its own oldest goes, not 127.0.0.1's older one */
	enter(a, &o[3], -1, "127.0.0.2");
	assert_int_equal(o[0].closed, 1);
	assert_int_equal(o[0].why, ADMIT_PEER_CAP);
	assert_int_equal(o[1].closed, 0);
	assert_int_equal(o[2].closed, 0);
	assert_int_equal(admit_count(a), 3);
	assert_int_equal(admit_closed(a, ADMIT_PEER_CAP), 1);
	admit_leave(a, o[0].slot);	/* the owner frees it later */
	assert_int_equal(admit_count(a), 3);
	admit_leave(a, o[1].slot);
	admit_leave(a, o[2].slot);
	admit_leave(a, o[3].slot);
	assert_int_equal(admit_count(a), 0);
	assert_int_equal(admit_new_count(a), 0);
	admit_free(a);
	ev_free(ev);
}

static void
test_full_table_closes_oldest_requestless(void **state)
{
	struct ev *ev = ev_new();
	struct admit_limits lim = { 3, 3, 0 };
	struct admit *a = admit_new(ev, "test", &lim);
	struct sockaddr_storage ss = inet("127.0.0.9");
	struct owner o[5];
	int i;

	enter(a, &o[0], -1, "127.0.0.1");
	enter(a, &o[1], -1, "127.0.0.2");
	enter(a, &o[2], -1, "127.0.0.3");
	admit_served(a, o[0].slot);
	assert_false(admit_is_new(o[0].slot));
	assert_true(admit_room(a));	/* full, but o[1] can make room */
	enter(a, &o[3], -1, "127.0.0.4");
	assert_int_equal(o[1].closed, 1);
	assert_int_equal(o[1].why, ADMIT_FULL);
	assert_int_equal(o[0].closed + o[2].closed, 0);
	/* then o[2] goes; then only served ones are left */
	enter(a, &o[4], -1, "127.0.0.5");
	assert_int_equal(o[2].closed, 1);
	admit_served(a, o[3].slot);
	admit_served(a, o[4].slot);
	assert_false(admit_room(a));
	assert_null(admit_enter(a, -1, &ss));
	/* a connection that goes makes room again */
	admit_leave(a, o[0].slot);
	assert_true(admit_room(a));
	for (i = 1; i < 5; i++)
		admit_leave(a, o[i].slot);
	assert_int_equal(admit_count(a), 0);
	admit_free(a);
	ev_free(ev);
}

static void
test_per_peer_cap_spares_unread_request(void **state)
{
	struct ev *ev = ev_new();
	struct admit_limits lim = { 100, 2, 0 };
	struct admit *a = admit_new(ev, "test", &lim);
	struct owner o[3];
	int sp[2], i;

	/* o[0]'s request is in the kernel, unread: o[1] goes instead */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	enter(a, &o[0], sp[0], "127.0.0.1");
	assert_int_equal(write(sp[1], "x", 1), 1);
	enter(a, &o[1], -1, "127.0.0.1");
	enter(a, &o[2], -1, "127.0.0.1");
	assert_int_equal(o[0].closed, 0);
	assert_int_equal(o[1].closed, 1);
	for (i = 0; i < 3; i++)
		admit_leave(a, o[i].slot);
	close(sp[0]);
	close(sp[1]);
	admit_free(a);
	ev_free(ev);
}

static void
test_first_request_deadline(void **state)
{
	struct ev *ev = ev_new();
	struct admit_limits lim = { 0, 0, 30 };
	struct admit *a = admit_new(ev, "test", &lim);
	struct owner o[2];
	uint64_t t0 = ev_monotonic_ms();

	enter(a, &o[0], -1, "127.0.0.1");
	enter(a, &o[1], -1, "127.0.0.1");
	admit_served(a, o[1].slot);
	while (o[0].closed == 0 && ev_monotonic_ms() - t0 < 5000)
		ev_run_once(ev, 100);
	assert_int_equal(o[0].closed, 1);
	assert_int_equal(o[0].why, ADMIT_TIMEOUT);
	assert_true(ev_monotonic_ms() - t0 >= 30);
	assert_int_equal(o[1].closed, 0);
	admit_leave(a, o[0].slot);
	admit_leave(a, o[1].slot);
	admit_free(a);
	ev_free(ev);
}

static void
test_unix_peers_by_uid(void **state)
{
	struct ev *ev = ev_new();
	struct admit_limits lim = { 100, 1, 0 };
	struct admit *a = admit_new(ev, "test", &lim);
	struct sockaddr_storage ss;
	struct owner o[2];
	int sp[2][2], i;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	for (i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]), 0);
		memset(&o[i], 0, sizeof(o[i]));
		o[i].slot = admit_enter(a, sp[i][0], &ss);
		assert_non_null(o[i].slot);
		admit_bind(o[i].slot, owner_close, &o[i]);
	}
	/* the same uid both times: one peer, cap 1 */
	assert_int_equal(o[0].closed, 1);
	assert_int_equal(o[0].why, ADMIT_PEER_CAP);
	for (i = 0; i < 2; i++) {
		admit_leave(a, o[i].slot);
		close(sp[i][0]);
		close(sp[i][1]);
	}
	admit_free(a);
	ev_free(ev);
}

static char last_line[1024];
static int nlines;

static void
capture(enum log_severity sev, const char *line, void *ctx)
{
	snprintf(last_line, sizeof(last_line), "%s", line);
	nlines++;
}

static void
test_ratelimit_one_line_per_interval(void **state)
{
	struct ratelimit rl = RATELIMIT_INIT;
	int i;

	log_set_capture(capture, NULL);
	nlines = 0;
	assert_int_equal(ratelimit_warn(&rl, 5000, 1000, "accept: %s", "EMFILE"), 1);
	for (i = 0; i < 100; i++)
		assert_int_equal(ratelimit_warn(&rl, 5000 + (uint64_t)i, 1000,
		    "accept: %s", "EMFILE"), 0);
	assert_int_equal(nlines, 1);
	assert_int_equal(ratelimit_warn(&rl, 6000, 1000, "accept: %s", "EMFILE"), 1);
	assert_int_equal(nlines, 2);
	assert_non_null(strstr(last_line,
	    "accept: EMFILE (100 more like it since the last report)"));
	assert_int_equal(ratelimit_warn(&rl, 7000, 1000, "x"), 1);
	assert_null(strstr(last_line, "more like it"));
	log_set_capture(NULL, NULL);
}

static void
test_fdlimit_plan(void **state)
{
	/* room to spare: the configured cap */
	assert_int_equal(fdlimit_plan(100000, 1, 4096, 36), 4096);
	/* the soft default: 1024 less the spare */
	assert_int_equal(fdlimit_plan(1024, 1, 4096, 36), 1024 - 64 - 36);
	assert_int_equal(fdlimit_plan(1024, 2, 4096, 0), (1024 - 64) / 2);
	/* tiny limits keep half in reserve, and at least one connection */
	assert_int_equal(fdlimit_plan(64, 1, 4096, 36), 32);
	assert_int_equal(fdlimit_plan(1, 3, 4096, 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_peer_cap_closes_own_oldest),
		cmocka_unit_test(test_full_table_closes_oldest_requestless),
		cmocka_unit_test(test_per_peer_cap_spares_unread_request),
		cmocka_unit_test(test_first_request_deadline),
		cmocka_unit_test(test_unix_peers_by_uid),
		cmocka_unit_test(test_ratelimit_one_line_per_interval),
		cmocka_unit_test(test_fdlimit_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
