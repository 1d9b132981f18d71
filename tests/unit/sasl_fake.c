/*
 * sasl_fake.c - fake clock, fake backends and daemon pieces for driving
 * sasl_session.c in a unit test (contract in sasl_fake.h)
 *
 * The session is the real one, on a real event loop, conn and worker
 * pool; only time and the backends are stand-ins. The server skeleton is
 * a zeroed struct server (server_int.h) holding the loop, the config and
 * the daemon state: enough for the real server_ev() and server_conn().
 * sasl_log_decision() and sasl_sanitize() are defined here instead of in
 * sasl_status.c, which the test does not link.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth_cache.h"
#include "conn.h"
#include "ev.h"
#include "sasl_fake.h"
#include "server_int.h"
#include "throttle.h"
#include "workq.h"
#include "xalloc.h"

struct fake_backend {
	unsigned index;
	enum fake_mode mode;
	unsigned fail_delay_ms;
};

struct fake_held {
	bool	 told;
	enum auth_result result;
	bool	 unknown_user;
	unsigned fail_delay_ms;
};

struct fake_client {
	int	 fd;
	char	 in[SASL_REPLY_MAX + 3];
	size_t	 len;
	char	 reply[SASL_REPLY_MAX + 1];
	bool	 replied;
};

static const char *const names[AUTH_MAX_CHAIN] = {
	"fake1", "fake2", "fake3", "fake4",
};

static struct {
	struct server srv;
	struct sasl_cfg cfg;
	struct sasl_ctx ctx;
	_Atomic uint64_t now;		/* workers read it for fake_call.at */
	struct auth_mech mech[AUTH_MAX_CHAIN];
	struct fake_backend be[AUTH_MAX_CHAIN];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fake_call calls[FAKE_MAX_CALLS];
	struct fake_held held[FAKE_MAX_CALLS];
	unsigned ncalls;
	bool	 stopping;
	struct fake_decision dec[FAKE_MAX_CALLS];
	unsigned ndec;
	struct fake_client *cl[FAKE_MAX_CLIENTS];
	unsigned ncl;
} F = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* copy - bounded copy of a maybe-NULL string */
static void
copy(char *out, size_t outlen, const char *in)
{
	snprintf(out, outlen, "%s", in ? in : "");
}

/* sasl_log_decision - record what the session decided */
void
sasl_log_decision(struct sasl_ctx *ctx, const struct sasl_decision *d)
{
	struct fake_decision *r;

	(void)ctx;
	if (F.ndec == FAKE_MAX_CALLS)
		fail_msg("more than %d decisions", FAKE_MAX_CALLS);
	r = &F.dec[F.ndec++];
	copy(r->result, sizeof(r->result), d->result);
	copy(r->user, sizeof(r->user), d->user);
	copy(r->backend, sizeof(r->backend), d->backend);
	copy(r->reason, sizeof(r->reason), d->reason);
	r->cached = d->cached;
	r->throttled_ms = d->throttled_ms;
	r->at = F.now;
}

/* sasl_sanitize - the log's copy of untrusted text (debug lines only) */
void
sasl_sanitize(char *out, size_t outlen, const char *in)
{
	copy(out, outlen, in);
}

/* fake_clock - what ev_now() reads */
static uint64_t
fake_clock(void *ctx)
{
	(void)ctx;
	return F.now;
}

/* fake_prepare - the backend's snapshot is the backend itself */
static void *
fake_prepare(void *state)
{
	return state;
}

/* fake_release - nothing to release */
static void
fake_release(void *data)
{
	(void)data;
}

/* fake_verify - worker: record the call, answer now or when told */
static void
fake_verify(struct auth_req *req)
{
	struct fake_backend *b = req->data;
	struct fake_call *c;
	unsigned i;

	pthread_mutex_lock(&F.lock);
	if (F.ncalls == FAKE_MAX_CALLS) {
		pthread_mutex_unlock(&F.lock);
		req->result = AUTH_TEMPFAIL;
		copy(req->reason, sizeof(req->reason), "too many calls");
		auth_req_wipe(req);
		return;
	}
	i = F.ncalls++;
	c = &F.calls[i];
	c->backend = b->index;
	copy(c->login, sizeof(c->login), req->login);
	copy(c->realm, sizeof(c->realm), req->realm);
	copy(c->service, sizeof(c->service), req->service);
	copy(c->rhost, sizeof(c->rhost), req->rhost);
	c->at = F.now;
	pthread_cond_broadcast(&F.cond);
	req->unknown_user = false;
	req->fail_delay_ms = 0;
	if (b->mode == FAKE_HOLD) {
		while (!F.held[i].told && !F.stopping)
			pthread_cond_wait(&F.cond, &F.lock);
		if (F.held[i].told) {
			req->result = F.held[i].result;
			req->unknown_user = F.held[i].unknown_user;
			req->fail_delay_ms = F.held[i].fail_delay_ms;
		} else
			req->result = AUTH_TEMPFAIL;
	} else if (strncmp(req->password, "ok", 2) == 0)
		req->result = AUTH_OK;
	else if (strncmp(req->password, "temp", 4) == 0)
		req->result = AUTH_TEMPFAIL;
	else {
		req->result = AUTH_FAIL;
		req->unknown_user = strncmp(req->password, "unknown", 7) == 0;
		req->fail_delay_ms = b->fail_delay_ms;
	}
	pthread_mutex_unlock(&F.lock);
	copy(req->reason, sizeof(req->reason), req->result == AUTH_OK ? "" :
	    req->result == AUTH_TEMPFAIL ? "fake error" : req->unknown_user ?
	    "unknown user" : "wrong password");
	auth_req_wipe(req);
}

/* fake_setup - the daemon's defaults (sasl_params.c), throttle off */
void
fake_setup(void)
{
	struct sasl_cfg *c = &F.cfg;

	memset(c, 0, sizeof(*c));
	c->common.idle_timeout = 10000;
	c->common.stop_timeout = 10000;
	c->mechanisms = "fake";
	c->workers = 5;
	c->max_queue = 256;
	c->backend_timeout = 5000;
	c->chain_on_tempfail = false;
	c->fifth_field_grace = 100;
	c->cache = false;
	c->realm_policy = "pass";
	c->default_realm = "";
	c->throttle = false;
	c->throttle_after = 3;
	c->throttle_delay = 1000;
	c->throttle_max_delay = 15000;
	c->throttle_quiet = 600000;
	c->throttle_table_size = 10000;
	c->recent_size = 50;
}

/* fake_cfg - the configuration the session reads */
struct sasl_cfg *
fake_cfg(void)
{
	return &F.cfg;
}

/* fake_ctx - the daemon state */
struct sasl_ctx *
fake_ctx(void)
{
	return &F.ctx;
}

/* fake_start - loop, pool, throttle tables, a chain of n fake backends */
void
fake_start(unsigned n)
{
	struct auth_chain *chain;
	unsigned i;

	assert_true(n >= 1 && n <= AUTH_MAX_CHAIN);
	memset(&F.ctx, 0, sizeof(F.ctx));
	memset(F.calls, 0, sizeof(F.calls));
	memset(F.held, 0, sizeof(F.held));
	memset(F.dec, 0, sizeof(F.dec));
	F.ncalls = F.ndec = F.ncl = 0;
	F.stopping = false;
	F.now = FAKE_T0;
	memset(&F.srv, 0, sizeof(F.srv));
	F.srv.ev = ev_new();
	F.srv.cfg = &F.cfg;
	F.srv.ctx = &F.ctx;
	ev_set_clock(F.srv.ev, fake_clock, NULL);
	chain = xcalloc(1, sizeof(*chain));
	chain->refs = 1;
	chain->n = n;
	for (i = 0; i < n; i++) {
		struct auth_mech *m = &F.mech[i];

		memset(m, 0, sizeof(*m));
		m->name = names[i];
		m->id = i % AUTH_NMECH;
		m->identity = auth_identity_login;
		m->prepare = fake_prepare;
		m->verify = fake_verify;
		m->release = fake_release;
		F.be[i].index = i;
		F.be[i].mode = FAKE_AUTO;
		F.be[i].fail_delay_ms = 0;
		chain->b[i].mech = m;
		chain->b[i].state = &F.be[i];
	}
	F.ctx.srv = &F.srv;
	F.ctx.cfg = &F.cfg;
	F.ctx.chain = chain;
	F.ctx.wq = workq_new(F.srv.ev, F.cfg.workers ? (unsigned)F.cfg.workers :
	    1, (unsigned)F.cfg.max_queue);
	F.ctx.th_user = throttle_new((size_t)F.cfg.throttle_table_size, 1);
	F.ctx.th_ip = throttle_new((size_t)F.cfg.throttle_table_size, 2);
	memset(F.ctx.mac_key, 0x5a, sizeof(F.ctx.mac_key));
}

/*
 * fake_stop - close the clients, release held calls, let every timer run
 * out (a minute of fake time a round) until no request is in progress,
 * free it all
 */
void
fake_stop(void)
{
	uint64_t until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;
	unsigned i;

	for (i = 0; i < F.ncl; i++) {
		close(F.cl[i]->fd);
		free(F.cl[i]);
	}
	F.ncl = 0;
	pthread_mutex_lock(&F.lock);
	F.stopping = true;
	pthread_cond_broadcast(&F.cond);
	pthread_mutex_unlock(&F.lock);
	while (F.ctx.active > 0) {
		if (ev_monotonic_ms() > until)
			fail_msg("%u requests still in progress after %d ms of "
			    "real time", F.ctx.active, FAKE_REAL_WAIT_MS);
		F.now += 60000;
		(void)ev_run_once(F.srv.ev, 2);
	}
	fake_pump();		/* the drains see EOF, the sessions go */
	workq_free(F.ctx.wq);	/* runs the last done() callbacks */
	fake_pump();
	assert_int_equal(F.ctx.active, 0);
	auth_chain_unref(F.ctx.chain);
	throttle_free(F.ctx.th_user);
	throttle_free(F.ctx.th_ip);
	ev_free(F.srv.ev);
	F.srv.ev = NULL;
}

/* fake_backend - how backend i answers */
void
fake_backend(unsigned i, enum fake_mode mode, unsigned fail_delay_ms)
{
	F.be[i].mode = mode;
	F.be[i].fail_delay_ms = fail_delay_ms;
}

/* fake_calls - backend calls started */
unsigned
fake_calls(void)
{
	unsigned n;

	pthread_mutex_lock(&F.lock);
	n = F.ncalls;
	pthread_mutex_unlock(&F.lock);
	return n;
}

/* fake_call - call i, once started */
const struct fake_call *
fake_call(unsigned i)
{
	assert_true(i < fake_calls());
	return &F.calls[i];
}

/* fake_wait_calls - until n calls started, FAKE_REAL_WAIT_MS at most */
void
fake_wait_calls(unsigned n)
{
	uint64_t until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;

	while (fake_calls() < n) {
		if (ev_monotonic_ms() > until)
			fail_msg("%u backend calls started, not %u, within "
			    "%d ms of real time (fake clock at +%llu ms)",
			    fake_calls(), n, FAKE_REAL_WAIT_MS,
			    (unsigned long long)fake_elapsed());
		(void)ev_run_once(F.srv.ev, 2);
	}
}

/* fake_answer - what held call i answers */
void
fake_answer(unsigned i, enum auth_result res, bool unknown_user,
    unsigned fail_delay_ms)
{
	pthread_mutex_lock(&F.lock);
	assert_true(i < F.ncalls);
	F.held[i].told = true;
	F.held[i].result = res;
	F.held[i].unknown_user = unknown_user;
	F.held[i].fail_delay_ms = fail_delay_ms;
	pthread_cond_broadcast(&F.cond);
	pthread_mutex_unlock(&F.lock);
}

/* fake_now - the fake clock */
uint64_t
fake_now(void)
{
	return F.now;
}

/* fake_elapsed - since the start */
uint64_t
fake_elapsed(void)
{
	return F.now - FAKE_T0;
}

/* fake_pump - loop rounds at this fake time */
void
fake_pump(void)
{
	int i;

	for (i = 0; i < 8; i++)
		(void)ev_run_once(F.srv.ev, 0);
}

/* fake_advance - the clock moves; what is due fires */
void
fake_advance(uint64_t ms)
{
	F.now += ms;
	fake_pump();
}

/* fake_connect - a client on one end of a socketpair */
struct fake_client *
fake_connect(void)
{
	struct fake_client *c;
	int sv[2];

	if (F.ncl == FAKE_MAX_CLIENTS)
		fail_msg("more than %d clients", FAKE_MAX_CLIENTS);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	c = xcalloc(1, sizeof(*c));
	c->fd = sv[1];
	F.cl[F.ncl++] = c;
	sasl_session_accept(NULL, sv[0], "unix", &F.ctx);
	return c;
}

/* fake_write - send bytes, all of them */
void
fake_write(struct fake_client *c, const void *p, size_t n)
{
	assert_int_equal(write(c->fd, p, n), (ssize_t)n);
	fake_pump();
}

/* put_field - one counted string */
static size_t
put_field(char *out, size_t outlen, size_t at, const char *s)
{
	size_t n = strlen(s);

	assert_true(at + 2 + n <= outlen);
	out[at] = (char)(n >> 8);
	out[at + 1] = (char)(n & 0xff);
	memcpy(out + at + 2, s, n);
	return at + 2 + n;
}

/* fake_request - the wire form of a request */
size_t
fake_request(char *out, size_t outlen, const char *login,
    const char *password, const char *service, const char *realm,
    const char *client)
{
	size_t n = 0;

	n = put_field(out, outlen, n, login);
	n = put_field(out, outlen, n, password);
	n = put_field(out, outlen, n, service);
	n = put_field(out, outlen, n, realm);
	if (client != NULL)
		n = put_field(out, outlen, n, client);
	return n;
}

/* fake_send - a client with a whole request sent */
struct fake_client *
fake_send(const char *login, const char *password, const char *service,
    const char *realm, const char *client)
{
	struct fake_client *c = fake_connect();
	char req[5 * (2 + SASL_FIELD_MAX)];

	fake_write(c, req, fake_request(req, sizeof(req), login, password,
	    service, realm, client));
	return c;
}

/* take - read what has arrived; true once the reply is whole */
static bool
take(struct fake_client *c)
{
	ssize_t r;
	size_t want;

	if (c->replied)
		return true;
	while (c->len < sizeof(c->in) &&
	    (r = read(c->fd, c->in + c->len, sizeof(c->in) - c->len)) > 0)
		c->len += (size_t)r;
	if (c->len < 2)
		return false;
	want = ((size_t)(unsigned char)c->in[0] << 8) |
	    (unsigned char)c->in[1];
	if (c->len < 2 + want)
		return false;
	memcpy(c->reply, c->in + 2, want);
	c->reply[want] = 0;
	c->replied = true;
	return true;
}

/* fake_reply - the reply, or NULL while there is none */
const char *
fake_reply(struct fake_client *c)
{
	fake_pump();
	return take(c) ? c->reply : NULL;
}

/* fake_wait_reply - the reply, waiting for workers FAKE_REAL_WAIT_MS */
const char *
fake_wait_reply(struct fake_client *c)
{
	uint64_t until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;

	while (!take(c)) {
		if (ev_monotonic_ms() > until)
			fail_msg("no reply within %d ms of real time (fake "
			    "clock at +%llu ms, %u backend calls)",
			    FAKE_REAL_WAIT_MS,
			    (unsigned long long)fake_elapsed(), fake_calls());
		(void)ev_run_once(F.srv.ev, 2);
	}
	fake_pump();
	return c->reply;
}

/* fake_wait_decisions - until n decisions are logged */
void
fake_wait_decisions(unsigned n)
{
	uint64_t until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;

	while (F.ndec < n) {
		if (ev_monotonic_ms() > until)
			fail_msg("%u decisions, not %u, within %d ms of real "
			    "time (fake clock at +%llu ms)", F.ndec, n,
			    FAKE_REAL_WAIT_MS,
			    (unsigned long long)fake_elapsed());
		(void)ev_run_once(F.srv.ev, 2);
	}
}

/* fake_wait_idle - until no job is queued or running on the pool */
void
fake_wait_idle(void)
{
	uint64_t until = ev_monotonic_ms() + FAKE_REAL_WAIT_MS;

	while (workq_queued(F.ctx.wq) + workq_running(F.ctx.wq) > 0) {
		if (ev_monotonic_ms() > until)
			fail_msg("the pool still busy after %d ms of real time",
			    FAKE_REAL_WAIT_MS);
		(void)ev_run_once(F.srv.ev, 2);
	}
	fake_pump();
}

/* fake_ndecisions - decisions logged */
unsigned
fake_ndecisions(void)
{
	return F.ndec;
}

/* fake_decision - decision i */
const struct fake_decision *
fake_decision(unsigned i)
{
	assert_true(i < F.ndec);
	return &F.dec[i];
}

/* fake_last_decision - the last one for user */
const struct fake_decision *
fake_last_decision(const char *user)
{
	unsigned i;

	for (i = F.ndec; i-- > 0;)
		if (strcmp(F.dec[i].user, user) == 0)
			return &F.dec[i];
	fail_msg("no decision for user %s", user);
	return NULL;
}
