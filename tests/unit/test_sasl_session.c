/*
 * test_sasl_session.c - saslauthd-lite's session state machine on a fake
 * clock with fake backends (sasl_fake.h): the fifth_field_grace, the
 * throttle delay each request is given, the backend_timeout deadline (a
 * queued call's too, counted from its queueing), the next backend after a
 * timeout, the queue-full answer, the PAM failure delay served as a timer,
 * and the request counted in progress for SIGTERM's drain.
 *
 * Every time here is the fake clock's: a reply that must wait N ms is
 * checked absent at N - 1 and present at N, so these hold however slow
 * the machine or the sanitizer. The protocol tests (tests/proto/
 * test_saslauthd*.py) keep the end-to-end checks with loose bounds.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "ev.h"
#include "sasl_fake.h"
#include "saslauthd.h"
#include "stats.h"
#include "workq.h"

#define NO_FAIL		"NO authentication failed"
#define NO_TEMP		"NO temporary failure"
#define NO_TIMEOUT	"NO backend timeout"

/* counter - a stats counter's value */
static uint64_t
counter(struct stats_counter *c)
{
	return (uint64_t)c->v;
}

/*
 * expect_at - c is answered `ms` exactly of fake time from now, not a
 * millisecond sooner, and no backend call starts before then
 */
static const char *
expect_at(struct fake_client *c, uint64_t ms)
{
	unsigned calls = fake_calls(), n = fake_ndecisions();
	uint64_t t0 = fake_elapsed();
	const char *r;

	if (ms > 0) {
		fake_advance(ms - 1);
		if ((r = fake_reply(c)) != NULL)
			fail_msg("\"%s\" after %llu ms, not %llu (decided at "
			    "+%llu ms, throttled %llu ms)", r,
			    (unsigned long long)(fake_elapsed() - t0),
			    (unsigned long long)ms, n < fake_ndecisions() ?
			    (unsigned long long)(fake_decision(n)->at -
			    FAKE_T0 - t0) : 0ULL, n < fake_ndecisions() ?
			    (unsigned long long)fake_decision(n)->throttled_ms :
			    0ULL);
		assert_int_equal(fake_calls(), calls);
		fake_advance(1);
	}
	return fake_wait_reply(c);
}

static void
test_fifth_field_grace(void **state)
{
	const char *addr = "192.0.2.11;1234";
	struct fake_client *c;
	char req[600];
	size_t all, four;

	(void)state;
	fake_setup();
	fake_start(1);
	all = fake_request(req, sizeof(req), "alice", "ok-pw", "smtp", "",
	    addr);
	four = all - 2 - strlen(addr);

	/* exactly four fields: answered at once, no grace */
	c = fake_connect();
	fake_write(c, req, four);
	assert_string_equal(fake_wait_reply(c), "OK");
	assert_int_equal(fake_elapsed(), 0);
	assert_string_equal(fake_call(0)->rhost, "");

	/* part of a fifth that never completes: four fields after 100 ms */
	c = fake_connect();
	fake_write(c, req, four + 3);
	assert_string_equal(expect_at(c, 100), "OK");
	assert_int_equal(fake_call(1)->at, FAKE_T0 + 100);
	assert_string_equal(fake_call(1)->rhost, "");

	/* the fifth completes within the grace: five fields, no wait */
	c = fake_connect();
	fake_write(c, req, four + 5);
	fake_advance(99);
	assert_null(fake_reply(c));
	fake_write(c, req + four + 5, all - four - 5);
	assert_string_equal(fake_wait_reply(c), "OK");
	assert_string_equal(fake_call(2)->rhost, "192.0.2.11");
	fake_stop();

	/* the grace is the parameter's */
	fake_setup();
	fake_cfg()->fifth_field_grace = 250;
	fake_start(1);
	c = fake_connect();
	fake_write(c, req, four + 3);
	assert_string_equal(expect_at(c, 250), "OK");
	fake_stop();
}

/* one request of a throttle plan: what it waits, what it gets */
struct step {
	const char *login, *password, *client;
	uint64_t wait;
	const char *reply;
};

static void
run_plan(const struct step *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct fake_client *c = fake_send(p[i].login, p[i].password,
		    "smtp", "", p[i].client);
		const struct fake_decision *d;

		assert_string_equal(expect_at(c, p[i].wait), p[i].reply);
		d = fake_last_decision(p[i].login);
		if (d->throttled_ms != p[i].wait)
			fail_msg("step %zu (%s/%s): throttled %llu ms, not "
			    "%llu", i, p[i].login, p[i].password,
			    (unsigned long long)d->throttled_ms,
			    (unsigned long long)p[i].wait);
	}
}

static void
throttle_cfg(long long after, long long delay, long long max_delay)
{
	struct sasl_cfg *cfg = fake_cfg();

	cfg->throttle = true;
	cfg->throttle_after = after;
	cfg->throttle_delay = delay;
	cfg->throttle_max_delay = max_delay;
}

static void
test_throttle_grows_same_password_does_not_escalate(void **state)
{
	/* was tests/proto/test_saslauthd.py: want <= dt < want + 0.25 */
	static const struct step plan[] = {
		{"dave", "a", NULL, 0, NO_FAIL},
		{"dave", "b", NULL, 0, NO_FAIL},	/* 2: next waits 300 */
		{"dave", "b", NULL, 300, NO_FAIL},	/* same: no growth */
		{"dave", "b", NULL, 300, NO_FAIL},
		{"dave", "c", NULL, 300, NO_FAIL},	/* new: 3 failures */
		{"dave", "d", NULL, 600, NO_FAIL},
		{"dave", "e", NULL, 1200, NO_FAIL},
	};
	struct fake_client *f, *a;

	(void)state;
	fake_setup();
	throttle_cfg(2, 300, 2400);
	fake_start(1);
	run_plan(plan, nitems(plan));

	/* a correct user in parallel is not delayed (was dt < 0.2) */
	f = fake_send("dave", "f", "smtp", "", NULL);
	a = fake_send("alice", "ok-alice", "smtp", "", NULL);
	assert_string_equal(fake_wait_reply(a), "OK");
	assert_int_equal(fake_last_decision("alice")->throttled_ms, 0);
	assert_string_equal(expect_at(f, 2400), NO_FAIL);
	/* the right password still answers after the wait (was dt >= 2.4),
	 * and resets the login (was dt < 0.2) */
	{
		static const struct step rest[] = {
			{"dave", "ok-dave", NULL, 2400, "OK"},
			{"dave", "ok-dave", NULL, 0, "OK"},
		};

		run_plan(rest, nitems(rest));
	}
	assert_int_equal(counter(&fake_ctx()->st.throttled), 7);
	fake_stop();
}

static void
test_throttle_per_client_address(void **state)
{
	/* was tests/proto/test_saslauthd.py: u3 dt >= 0.4, alice dt < 0.2 */
	static const struct step plan[] = {
		{"u1", "x", "198.51.100.7;1000", 0, NO_FAIL},
		{"u2", "x", "198.51.100.7;1000", 400, NO_FAIL},
		/* the same password again: the address does not escalate */
		{"u3", "x", "198.51.100.7;1001", 400, NO_FAIL},
		{"u5", "z", "198.51.100.7;1002", 400, NO_FAIL},
		{"u6", "w", "198.51.100.7;1003", 800, NO_FAIL},
		{"alice", "ok", "198.51.100.8;1000", 0, "OK"},
		{"u4", "x", NULL, 0, NO_FAIL},		/* no address: no key */
	};

	(void)state;
	fake_setup();
	throttle_cfg(1, 400, 15000);
	fake_start(1);
	run_plan(plan, nitems(plan));
	fake_stop();
}

static void
test_throttle_parallel_same_password_not_delayed(void **state)
{
	/* was tests/proto/test_saslauthd.py: 20 x (OK and dt < 0.9) */
	struct fake_client *c[20];
	unsigned i;

	(void)state;
	fake_setup();
	throttle_cfg(2, 1000, 15000);
	fake_cfg()->workers = 4;
	fake_start(1);
	fake_backend(0, FAKE_HOLD, 0);
	for (i = 0; i < nitems(c); i++)
		c[i] = fake_send("alice", "ok-secret", "smtp", "",
		    "192.0.2.1;1");
	/* all twenty in flight together, none waiting on a timer */
	fake_wait_calls(4);
	for (i = 0; i < nitems(c); i++) {
		fake_wait_calls(i + 1);
		fake_answer(i, AUTH_OK, false, 0);
	}
	for (i = 0; i < nitems(c); i++)
		assert_string_equal(fake_wait_reply(c[i]), "OK");
	assert_int_equal(fake_elapsed(), 0);
	for (i = 0; i < fake_ndecisions(); i++)
		assert_int_equal(fake_decision(i)->throttled_ms, 0);
	assert_int_equal(counter(&fake_ctx()->st.throttled), 0);
	fake_stop();
}

static void
test_realm_rotation_is_one_login(void **state)
{
	/* was test_saslauthd_pam.py and test_saslauthd_shadow.py: waits
	 * [< 0.8, < 0.8, >= 0.95, >= 1.9], ALICE < 0.8, the right one
	 * >= 3.5 (the backends verify the login, realm or not) */
	static const char *const realm[] = {"r0.example", "r1.example",
	    "r2.example", "r3.example"};
	static const uint64_t want[] = {0, 0, 1000, 2000};
	struct fake_client *c;
	unsigned i;

	(void)state;
	fake_setup();
	throttle_cfg(2, 1000, 4000);
	fake_start(1);
	for (i = 0; i < nitems(want); i++) {
		char pw[16];

		snprintf(pw, sizeof(pw), "guess%u", i);
		c = fake_send("alice", pw, "smtp", realm[i], NULL);
		assert_string_equal(expect_at(c, want[i]), NO_FAIL);
		assert_int_equal(fake_last_decision("alice")->throttled_ms,
		    want[i]);
		assert_string_equal(fake_call(i)->login, "alice");
		assert_string_equal(fake_call(i)->realm, realm[i]);
	}
	/* case is not folded: another login, another key */
	c = fake_send("ALICE", "guess9", "smtp", "r9.example", NULL);
	assert_string_equal(fake_wait_reply(c), NO_FAIL);
	assert_int_equal(fake_last_decision("ALICE")->throttled_ms, 0);
	/* four failures: the right password waits 4 s, from any realm */
	c = fake_send("alice", "ok-alice", "smtp", "x.example", NULL);
	assert_string_equal(expect_at(c, 4000), "OK");
	fake_stop();
}

static void
test_backend_timeout_deadline(void **state)
{
	/* was tests/proto/test_saslauthd.py test_pam_service_and_hang_
	 * deadline: good dt < 0.5, hang 0.9 <= dt < 2.0 */
	struct fake_client *hang, *good;
	uint64_t ok0 = counter(&auth_stats[0].ok);
	uint64_t until;
	unsigned n;

	(void)state;
	fake_setup();
	fake_cfg()->backend_timeout = 1000;
	fake_start(1);
	fake_backend(0, FAKE_HOLD, 0);
	hang = fake_send("anyone", "ok-pw", "smtp", "", NULL);
	fake_wait_calls(1);
	fake_advance(200);
	/* other requests are served while one hangs on a worker */
	good = fake_send("anyone", "ok-pw", "good", "", NULL);
	fake_wait_calls(2);
	fake_answer(1, AUTH_OK, false, 0);
	assert_string_equal(fake_wait_reply(good), "OK");
	assert_int_equal(fake_elapsed(), 200);
	/* the hung one: the deadline, 1000 ms after it was queued */
	assert_string_equal(expect_at(hang, 800), NO_TIMEOUT);
	assert_string_equal(fake_last_decision("anyone")->reason,
	    "fake1: backend timeout");
	assert_int_equal(counter(&fake_ctx()->st.timeouts), 1);
	/* its late answer changes nothing: the orphaned job just goes */
	n = fake_ndecisions();
	fake_answer(0, AUTH_OK, false, 0);
	until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;
	while (counter(&auth_stats[0].ok) < ok0 + 2 &&
	    ev_monotonic_ms() < until)
		fake_pump();
	assert_int_equal(counter(&auth_stats[0].ok), ok0 + 2);
	assert_int_equal(fake_ndecisions(), n);
	fake_stop();
}

static void
test_queue_full_answers_at_once(void **state)
{
	/* was tests/proto/test_saslauthd.py test_queue_overflow_answers_
	 * fast: dt < 0.5 */
	struct fake_client *a, *b, *c;

	(void)state;
	fake_setup();
	fake_cfg()->workers = 1;
	fake_cfg()->max_queue = 1;
	fake_cfg()->backend_timeout = 2000;
	fake_start(1);
	fake_backend(0, FAKE_HOLD, 0);
	a = fake_send("a", "ok", "smtp", "", NULL);
	fake_wait_calls(1);			/* a runs */
	b = fake_send("b", "ok", "smtp", "", NULL);
	assert_int_equal(workq_queued(fake_ctx()->wq), 1);	/* b waits */
	c = fake_send("c", "ok", "smtp", "", NULL);
	assert_string_equal(fake_wait_reply(c), NO_TEMP);
	assert_int_equal(fake_elapsed(), 0);
	assert_string_equal(fake_last_decision("c")->reason,
	    "fake1: queue full (max_queue 1)");
	assert_int_equal(counter(&fake_ctx()->st.queue_full), 1);
	assert_int_equal(fake_calls(), 1);
	/* the two others get their deadline */
	assert_null(fake_reply(a));
	assert_null(fake_reply(b));
	fake_advance(2000);
	assert_string_equal(fake_wait_reply(a), NO_TIMEOUT);
	assert_string_equal(fake_wait_reply(b), NO_TIMEOUT);
	fake_stop();
}

static void
test_queued_call_deadline_counts_from_queueing(void **state)
{
	/* was tests/proto/test_saslauthd_pam.py test_backend_timeout_counts_
	 * queue_wait: hanger and queued both 0.9 <= dt < 2.0 */
	struct fake_client *hang, *queued, *after;

	(void)state;
	fake_setup();
	fake_cfg()->workers = 1;
	fake_cfg()->backend_timeout = 1000;
	fake_start(1);
	fake_backend(0, FAKE_HOLD, 0);
	hang = fake_send("hanger", "ok", "smtp", "", NULL);
	fake_wait_calls(1);
	fake_advance(500);
	queued = fake_send("queued", "ok", "smtp", "", NULL);
	assert_int_equal(workq_queued(fake_ctx()->wq), 1);
	assert_string_equal(expect_at(hang, 500), NO_TIMEOUT);
	assert_null(fake_reply(queued));
	/* the queued call's own deadline: 1000 ms from its queueing */
	assert_string_equal(expect_at(queued, 500), NO_TIMEOUT);
	assert_int_equal(fake_last_decision("queued")->at, FAKE_T0 + 1500);
	assert_string_equal(fake_last_decision("queued")->reason,
	    "fake1: backend timeout");
	/* it never runs later: the worker skips it once free */
	fake_answer(0, AUTH_OK, false, 0);
	fake_wait_idle();
	assert_int_equal(fake_calls(), 1);
	fake_backend(0, FAKE_AUTO, 0);
	after = fake_send("after", "ok", "smtp", "", NULL);
	assert_string_equal(fake_wait_reply(after), "OK");
	assert_int_equal(fake_calls(), 2);
	assert_string_equal(fake_call(1)->login, "after");
	fake_stop();
}

static void
test_timeout_then_next_backend(void **state)
{
	/* was tests/proto/test_saslauthd_pam.py test_backend_timeout_then_
	 * next_backend: OK / timeout / timeout, each 0.9 <= dt < 2.0 */
	static const struct {
		const char *login, *password, *reply, *backend, *reason;
	} cases[] = {
		{"alice", "ok-pw", "OK", "fake2", ""},
		{"alice", "wrong", NO_TIMEOUT, "fake2",
		    "fake1: backend timeout"},
		{"nobody", "unknown", NO_TIMEOUT, "fake2",
		    "fake1: backend timeout"},
	};
	struct fake_client *c;
	const struct fake_decision *d;
	unsigned i, call = 0;

	(void)state;
	fake_setup();
	fake_cfg()->backend_timeout = 1000;
	fake_cfg()->chain_on_tempfail = true;
	fake_cfg()->workers = 4;
	fake_start(2);
	fake_backend(0, FAKE_HOLD, 0);
	for (i = 0; i < nitems(cases); i++) {
		uint64_t t0 = fake_elapsed();

		c = fake_send(cases[i].login, cases[i].password, "smtp", "",
		    NULL);
		fake_wait_calls(call + 1);
		assert_int_equal(fake_call(call)->backend, 0);
		/* fake2 is asked the moment fake1's deadline passes */
		assert_string_equal(expect_at(c, 1000), cases[i].reply);
		assert_int_equal(fake_elapsed() - t0, 1000);
		assert_int_equal(fake_call(call + 1)->backend, 1);
		assert_int_equal(fake_call(call + 1)->at, FAKE_T0 + t0 + 1000);
		d = fake_last_decision(cases[i].login);
		assert_string_equal(d->backend, cases[i].backend);
		assert_string_equal(d->reason, cases[i].reason);
		fake_answer(call, AUTH_OK, false, 0);	/* orphaned: ignored */
		fake_wait_idle();
		call += 2;
	}
	/* fake2 has a deadline of its own */
	fake_backend(1, FAKE_HOLD, 0);
	c = fake_send("carol", "ok", "smtp", "", NULL);
	fake_wait_calls(call + 1);
	fake_advance(1000);
	fake_wait_calls(call + 2);
	assert_string_equal(expect_at(c, 1000), NO_TIMEOUT);
	assert_string_equal(fake_last_decision("carol")->reason,
	    "fake2: backend timeout");
	fake_stop();
}

static void
test_tempfail_ends_the_chain_by_default(void **state)
{
	/* was tests/proto/test_saslauthd_pam.py test_tempfail_ends_the_
	 * chain_by_default: a deadline missed, dt < 1.5 */
	struct fake_client *c;

	(void)state;
	fake_setup();
	fake_cfg()->backend_timeout = 500;
	fake_start(2);
	/* a temporary failure: fake2 is never asked */
	c = fake_send("alice", "temp", "smtp", "", NULL);
	assert_string_equal(fake_wait_reply(c), NO_TEMP);
	assert_string_equal(fake_last_decision("alice")->backend, "fake1");
	/* an unknown user still goes on */
	c = fake_send("alice", "unknown", "smtp", "", NULL);
	assert_string_equal(fake_wait_reply(c), NO_FAIL);
	assert_string_equal(fake_last_decision("alice")->backend, "fake2");
	assert_int_equal(fake_calls(), 3);
	/* a deadline missed is a temporary failure too */
	fake_backend(0, FAKE_HOLD, 0);
	c = fake_send("alice", "ok", "smtp", "", NULL);
	fake_wait_calls(4);
	assert_string_equal(expect_at(c, 500), NO_TIMEOUT);
	assert_string_equal(fake_last_decision("alice")->backend, "fake1");
	fake_pump();
	assert_int_equal(fake_calls(), 4);
	assert_int_equal(fake_elapsed(), 500);
	fake_stop();
}

static void
test_fail_delay_is_a_timer_not_a_worker(void **state)
{
	/* was tests/proto/test_saslauthd.py: good dt < 0.5, each deny
	 * dt >= 0.7, all four in total < 3.0 (not 4 x 1.5 s) */
	struct fake_client *deny[4], *good;
	unsigned i;

	(void)state;
	fake_setup();
	fake_cfg()->workers = 1;
	fake_start(1);
	fake_backend(0, FAKE_AUTO, 1500);
	for (i = 0; i < nitems(deny); i++)
		deny[i] = fake_send("mallory", "guess", "deny", "", NULL);
	fake_wait_decisions(nitems(deny));	/* all four decided */
	/* the one worker is free while the delays run */
	good = fake_send("anyone", "ok", "good", "", NULL);
	assert_string_equal(fake_wait_reply(good), "OK");
	assert_int_equal(fake_elapsed(), 0);
	/* the four delays run side by side: all end at 1500 ms */
	fake_advance(1499);
	for (i = 0; i < nitems(deny); i++)
		assert_null(fake_reply(deny[i]));
	fake_advance(1);
	for (i = 0; i < nitems(deny); i++)
		assert_string_equal(fake_wait_reply(deny[i]), NO_FAIL);
	assert_int_equal(fake_elapsed(), 1500);
	fake_stop();
}

static void
test_deadline_excludes_throttle_and_fail_delay(void **state)
{
	/* was tests/proto/test_saslauthd_pam.py test_backend_timeout_
	 * excludes_throttle_and_fail_delay: 0.7 <= dt < 3.0 and
	 * 1.15 <= dt < 3.0 */
	struct fake_client *c;
	const struct fake_decision *d;

	(void)state;
	fake_setup();
	fake_cfg()->backend_timeout = 600;
	throttle_cfg(1, 1000, 1000);
	fake_start(1);
	/* the failure delay is served after the backend answered */
	fake_backend(0, FAKE_AUTO, 1500);
	c = fake_send("trudy", "guess1", "smtp", "", NULL);
	fake_wait_decisions(1);		/* decided at once, then held */
	assert_int_equal(fake_decision(0)->at, FAKE_T0);
	assert_string_equal(expect_at(c, 1500), NO_FAIL);
	/* one failure: the next waits 1 s, then a backend call of 599 ms;
	 * only the call runs against the 600 ms deadline */
	fake_backend(0, FAKE_HOLD, 0);
	c = fake_send("trudy", "guess2", "smtp", "", NULL);
	fake_advance(999);
	assert_int_equal(fake_calls(), 1);
	fake_advance(1);
	fake_wait_calls(2);
	fake_advance(599);
	assert_null(fake_reply(c));
	fake_answer(1, AUTH_FAIL, false, 0);
	assert_string_equal(fake_wait_reply(c), NO_FAIL);
	d = fake_last_decision("trudy");
	assert_int_equal(d->throttled_ms, 1000);
	assert_string_equal(d->reason, "wrong password");
	fake_stop();
}

static void
test_busy_while_in_flight(void **state)
{
	/* ctx->active (the status page's requests in progress): a request
	 * counts from its decoding to its reply, on a timer or a worker */
	struct fake_client *a, *b;
	char req[64];
	size_t n;

	(void)state;
	fake_setup();
	throttle_cfg(1, 1000, 15000);
	fake_start(1);
	fake_backend(0, FAKE_HOLD, 0);
	a = fake_connect();
	assert_int_equal(fake_ctx()->active, 0);	/* connected, idle */
	n = fake_request(req, sizeof(req), "u", "x", "smtp", "", NULL);
	fake_write(a, req, 3);
	assert_int_equal(fake_ctx()->active, 0);	/* still reading */
	fake_write(a, req + 3, n - 3);
	fake_wait_calls(1);
	assert_int_equal(fake_ctx()->active, 1);	/* on a worker */
	fake_answer(0, AUTH_FAIL, false, 0);
	assert_string_equal(fake_wait_reply(a), NO_FAIL);
	assert_int_equal(fake_ctx()->active, 0);
	b = fake_send("u", "y", "smtp", "", NULL);
	assert_int_equal(fake_ctx()->active, 1);	/* on the delay timer */
	fake_advance(1000);
	fake_wait_calls(2);
	assert_int_equal(fake_ctx()->active, 1);
	fake_answer(1, AUTH_OK, false, 0);
	assert_string_equal(fake_wait_reply(b), "OK");
	assert_int_equal(fake_ctx()->active, 0);
	fake_stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifth_field_grace),
		cmocka_unit_test(test_throttle_grows_same_password_does_not_escalate),
		cmocka_unit_test(test_throttle_per_client_address),
		cmocka_unit_test(test_throttle_parallel_same_password_not_delayed),
		cmocka_unit_test(test_realm_rotation_is_one_login),
		cmocka_unit_test(test_backend_timeout_deadline),
		cmocka_unit_test(test_queue_full_answers_at_once),
		cmocka_unit_test(test_queued_call_deadline_counts_from_queueing),
		cmocka_unit_test(test_timeout_then_next_backend),
		cmocka_unit_test(test_tempfail_ends_the_chain_by_default),
		cmocka_unit_test(test_fail_delay_is_a_timer_not_a_worker),
		cmocka_unit_test(test_deadline_excludes_throttle_and_fail_delay),
		cmocka_unit_test(test_busy_while_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
