/*
 * sasl_session.c - one mux connection, from the first byte to the drain
 *
 * Contract (one request per connection, as libsasl2 does it):
 *   read   decode with sasl_request_decode(); a 4-field request is taken
 *          the moment its realm is complete; a partial 5th field buffered
 *          behind it gets fifth_field_grace (100 ms) to complete, then the
 *          request goes ahead as 4 fields. A length over 256 answers "NO "
 *          and closes (Cyrus). Empty login or password answers like Cyrus.
 *   policy realm_policy shapes login and realm (realm.h); each backend
 *          says which user it will verify (auth_mech identity): those
 *          names, exactly as the backends get them, are the throttle's
 *          login keys and the cache key, so a realm that pam or shadow
 *          ignore, or a rotating one, does not start a key afresh.
 *   delay  failure throttling: a login or client with recent failures or
 *          requests in flight waits on a loop timer first; one that would
 *          wait past throttle_max_delay is refused at once, unchecked,
 *          "NO temporary failure" (throttle.h). The request counts as in
 *          flight from here to its decision (or its connection's end).
 *   cache  a cached answer goes back at once (auth_cache.h).
 *   chain  each backend call is a job on the worker pool with its own
 *          deadline (backend_timeout); when it fires first the answer is a
 *          temporary failure and the job is orphaned: its done() frees it.
 *          Which answers ask the next backend: auth_chain_goes_on().
 *          A full queue answers at once.
 *   reply  "OK" or "NO reason" (reasons never tell an unknown user from a
 *          wrong password), after any PAM failure delay served as a timer;
 *          then conn_finish(): shut down our side, drain to EOF, close.
 * The password lives in the connection's input buffer (wiped as soon as
 * it is copied), in the session (wiped at the decision) and in each job
 * (wiped by the worker when the backend answers). Never logged.
 */
#include "sysdep.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "auth_cache.h"
#include "buf.h"
#include "clientaddr.h"
#include "conn.h"
#include "cstrings.h"
#include "ev.h"
#include "listen.h"
#include "log.h"
#include "realm.h"
#include "saslauthd.h"
#include "secret.h"
#include "text.h"
#include "throttle.h"
#include "workq.h"
#include "xalloc.h"

/* Room for a 5-field request of maximal fields, plus slack. */
#define SESSION_MAX_IN	(5 * (2 + SASL_FIELD_MAX) + 64)
#define SESSION_MAX_OUT	(2 + SASL_REPLY_MAX + 64)

enum sess_state {
	S_READ,		/* waiting for the request */
	S_DELAY,	/* throttled: timer before anything else */
	S_BACKEND,	/* a job is on the pool, deadline armed */
	S_HOLD,		/* decided; serving a PAM failure delay */
	S_DONE,		/* replied; draining */
};

struct session;

struct job {
	struct auth_req req;
	const struct auth_mech *mech;
	struct session *sess;		/* NULL once orphaned (loop only) */
	atomic_bool orphaned;		/* the worker reads this */
	uint64_t usec;
	bool	 ran;
};

struct session {
	struct sasl_ctx *ctx;
	struct conn *conn;
	enum sess_state state;
	struct ev_timer *timer;		/* grace, delay, deadline or hold */
	bool	 grace_done;
	struct job *job;
	struct auth_chain *chain;
	unsigned step;
	bool	 any_temp, timed_out;
	char	 temp_reason[160];
	struct timespec t0;
	/* the request, after the realm policy */
	char	 login[AUTH_LOGIN_MAX];
	char	 realm[SASL_FIELD_MAX + 1];
	char	 service[SASL_FIELD_MAX + 1];
	char	 client[SASL_FIELD_MAX + 1];	/* address only, "" unknown */
	/* what the chain's backends verify: distinct names, and per step */
	char	 ident[AUTH_MAX_CHAIN][AUTH_LOGIN_MAX];
	unsigned nident;
	unsigned step_ident[AUTH_MAX_CHAIN];
	char	*password;
	size_t	 pwlen;
	unsigned char pwmac[AUTH_MAC_LEN];
	struct auth_cache_query cq;
	bool	 have_cq;
	uint64_t cache_gen;		/* the cache's when the request came */
	bool	 gen_ok;		/* there was a cache to take it from */
	bool	 counted;		/* in ctx->active */
	bool	 th_begun;		/* in flight in the throttle tables */
	uint64_t th_wait;		/* ms the throttle delayed it */
	/* the decision */
	const char *wire;
};

static void session_io(struct conn *, enum conn_event, void *);
static void session_read(struct session *);
static void run_step(struct session *);
static void hold_fire(struct ev *, void *);

/* sasl_session_accept - a new mux client */
void
sasl_session_accept(struct listener *l, int fd, const char *peer, void *vctx)
{
	struct sasl_ctx *ctx = vctx;
	struct session *s = xcalloc(1, sizeof(*s));

	s->ctx = ctx;
	s->state = S_READ;
	s->conn = server_conn(ctx->srv, l, fd, peer, SESSION_MAX_IN,
	    SESSION_MAX_OUT, session_io, s);
	/* the password passes through this buffer */
	buf_set_secret(conn_in(s->conn));
}

/* wipe_password - the session's copy goes */
static void
wipe_password(struct session *s)
{
	if (s->password != NULL) {
		secret_free(s->password, s->pwlen + 1);
		s->password = NULL;
		s->pwlen = 0;
	}
}

/* set_active - count requests in progress (the status page's in_progress) */
static void
set_active(struct session *s, bool on)
{
	if (on && !s->counted)
		s->ctx->active++;
	else if (!on && s->counted)
		s->ctx->active--;
	s->counted = on;
}

/* orphan - the job's result no longer matters; its done() frees it */
static void
orphan(struct session *s)
{
	if (s->job == NULL)
		return;
	s->job->sess = NULL;
	atomic_store(&s->job->orphaned, true);
	s->job = NULL;
}

/* throttle_release - the request no longer counts as in flight */
static void
throttle_release(struct session *s)
{
	struct sasl_ctx *ctx = s->ctx;
	unsigned i;

	if (!s->th_begun)
		return;
	s->th_begun = false;
	for (i = 0; i < s->nident; i++)
		throttle_end(ctx->th_user, s->ident[i], strlen(s->ident[i]),
		    s->pwmac);
	if (*s->client)
		throttle_end(ctx->th_ip, s->client, strlen(s->client),
		    s->pwmac);
}

/* session_free - CONN_CLOSED: release everything */
static void
session_free(struct session *s)
{
	ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
	s->timer = NULL;
	orphan(s);
	throttle_release(s);
	set_active(s, false);
	wipe_password(s);
	auth_chain_unref(s->chain);
	secret_free(s, sizeof(*s));
}

/* session_io - conn events */
static void
session_io(struct conn *c, enum conn_event ev, void *arg)
{
	struct session *s = arg;

	switch (ev) {
	case CONN_READ:
		if (s->state == S_READ)
			session_read(s);
		break;
	case CONN_FLUSHED:
		break;
	case CONN_CLOSED:
		session_free(s);
		break;
	}
}

/* send_now - queue a reply text and finish the connection */
static void
send_now(struct session *s, const char *text)
{
	s->state = S_DONE;
	set_active(s, false);
	if (sasl_reply_encode(conn_out(s->conn), text) < 0) {
		conn_close(s->conn);
		return;
	}
	/* the drain to EOF gets the idle timeout again */
	conn_set_idle(s->conn, (uint64_t)s->ctx->cfg->common.idle_timeout);
	conn_finish(s->conn);
}

/* grace_fire - the 5th field did not complete: go on with four */
static void
grace_fire(struct ev *ev, void *arg)
{
	struct session *s = arg;

	s->timer = NULL;
	s->grace_done = true;
	session_read(s);
}

/* copy_field - NUL-terminated copy; -1 for an embedded NUL */
static int
copy_field(char *out, size_t outlen, const char *in, size_t len)
{
	if (len >= outlen || memchr(in, 0, len) != NULL)
		return -1;
	memcpy(out, in, len);
	out[len] = 0;
	return 0;
}

/*
 * client_from - the 5th field's address, whole or not at all: it feeds
 * PAM_RHOST and the per-client throttle (clientaddr.h)
 */
static void
client_from(struct session *s, const char *in, size_t len)
{
	char why[96], raw[SASL_FIELD_MAX + 1], clean[80];

	if (clientaddr_parse(s->client, sizeof(s->client), in, len, why,
	    sizeof(why)) == 0 || !log_verbose)
		return;
	memcpy(raw, in, len < sizeof(raw) ? len : sizeof(raw) - 1);
	raw[len < sizeof(raw) ? len : sizeof(raw) - 1] = 0;
	sasl_sanitize(clean, sizeof(clean), raw);
	log_debug("%s: client address \"%s\" dropped: %s",
	    conn_peer(s->conn), clean, why);
}

/* now_ms - the loop's clock */
static uint64_t
now_ms(struct session *s)
{
	return ev_now(server_ev(s->ctx->srv));
}

/* throttle_params - from the current config */
static void
get_throttle_params(const struct sasl_cfg *cfg, struct throttle_params *p)
{
	p->after = (unsigned)cfg->throttle_after;
	p->delay = (uint64_t)cfg->throttle_delay;
	p->max_delay = (uint64_t)cfg->throttle_max_delay;
	p->quiet = (uint64_t)cfg->throttle_quiet;
}

/*
 * cache_ttl - how long this answer may be cached: pam and shadow learn of
 * no password change, so theirs at most cache_ttl_system
 */
static uint64_t
cache_ttl(struct session *s, enum auth_result res)
{
	const struct sasl_cfg *cfg = s->ctx->cfg;
	uint64_t ttl = res == AUTH_OK ? (uint64_t)cfg->cache_ttl :
	    (uint64_t)cfg->cache_negative_ttl;
	unsigned i;

	/*
	 * Any system backend the chain asked up to the deciding one: a user
	 * pam or shadow did not know (so pwfile decided) may appear there
	 * without a flush, and the live chain would then answer otherwise.
	 */
	for (i = 0; i <= s->step && i < s->chain->n; i++)
		if (s->chain->b[i].mech->system &&
		    ttl > (uint64_t)cfg->cache_ttl_system)
			ttl = (uint64_t)cfg->cache_ttl_system;
	return ttl;
}

/* count_failure - each name a backend asked so far has verified */
static void
count_failure(struct session *s, const struct throttle_params *tp,
    uint64_t now)
{
	struct sasl_ctx *ctx = s->ctx;
	unsigned i, last = s->step < s->chain->n ? s->step : s->chain->n - 1;
	bool done[AUTH_MAX_CHAIN] = {false};

	for (i = 0; i <= last && i < s->chain->n; i++) {
		unsigned k = s->step_ident[i];

		if (done[k])
			continue;
		done[k] = true;
		throttle_failure(ctx->th_user, tp, s->ident[k],
		    strlen(s->ident[k]), s->pwmac, now);
	}
}

/*
 * decide - the final answer: throttle and cache bookkeeping, the log line,
 * then the reply (after a PAM failure delay, if the stack asked for one).
 */
static void
decide(struct session *s, enum auth_result res, const char *backend,
    const char *reason, bool cached, unsigned hold_ms)
{
	struct sasl_ctx *ctx = s->ctx;
	struct sasl_cfg *cfg = ctx->cfg;
	struct throttle_params tp;
	struct sasl_decision d;
	uint64_t now = now_ms(s);

	wipe_password(s);
	get_throttle_params(cfg, &tp);
	switch (res) {
	case AUTH_OK:
		s->wire = "OK";
		stats_inc(&ctx->st.ok);
		if (cached)
			stats_inc(&ctx->st.cached_ok);
		/* only the name that backend verified: logging in to one's
		 * own pwfile alice@example must not reset shadow's alice */
		if (s->step < s->chain->n)
			throttle_success(ctx->th_user,
			    s->ident[s->step_ident[s->step]],
			    strlen(s->ident[s->step_ident[s->step]]));
		break;
	case AUTH_FAIL:
		/* the same words for unknown users and wrong passwords */
		s->wire = "NO authentication failed";
		stats_inc(&ctx->st.no);
		if (cached)
			stats_inc(&ctx->st.cached_no);
		count_failure(s, &tp, now);
		if (*s->client)
			throttle_failure(ctx->th_ip, &tp, s->client,
			    strlen(s->client), s->pwmac, now);
		break;
	case AUTH_TEMPFAIL:
		s->wire = s->timed_out ? "NO backend timeout" :
		    "NO temporary failure";
		stats_inc(&ctx->st.no);
		stats_inc(&ctx->st.tempfail);
		break;
	}
	/* counted as a failure or forgotten: no longer in flight */
	throttle_release(s);
	/* not when a flush (reload, changed password data) came meanwhile */
	if (ctx->cache && s->have_cq && s->gen_ok && !cached &&
	    res != AUTH_TEMPFAIL &&
	    !auth_cache_insert(ctx->cache, &s->cq, res == AUTH_OK,
	    (int)(s->step), now, cache_ttl(s, res), s->cache_gen))
		log_debug("cache: %s not stored (ttl 0, or checked before a "
		    "flush) user=%s ", res == AUTH_OK ? "OK" : "NO",
		    s->ident[0]);

	memset(&d, 0, sizeof(d));
	d.result = res == AUTH_OK ? "OK" : "NO";
	d.user = s->login;
	d.service = s->service;
	d.realm = s->realm;
	d.client = s->client;
	d.backend = backend;
	d.reason = res == AUTH_OK ? NULL : reason;
	d.cached = cached;
	d.throttled_ms = s->th_wait;
	d.usec = stats_usec_since(&s->t0);
	sasl_log_decision(ctx, &d);

	if (hold_ms > 0 && res != AUTH_OK) {
		/* PAM asked for a failure delay: a timer, not a worker */
		s->state = S_HOLD;
		s->timer = ev_timer_add(server_ev(ctx->srv), hold_ms, hold_fire,
		    s);
		return;
	}
	send_now(s, s->wire);
}

/* hold_fire - the failure delay is over */
static void
hold_fire(struct ev *ev, void *arg)
{
	struct session *s = arg;

	s->timer = NULL;
	send_now(s, s->wire);
}

/* chain_next - try the next backend; false at the end of the chain */
static bool
chain_next(struct session *s)
{
	if (s->step + 1 >= s->chain->n)
		return false;
	s->step++;
	run_step(s);
	return true;
}

/* chain_end_no - no backend said OK: temporary if any could not tell */
static void
chain_end_no(struct session *s, const char *backend, const char *reason,
    unsigned hold_ms)
{
	if (s->any_temp)
		decide(s, AUTH_TEMPFAIL, backend, s->temp_reason, false, 0);
	else
		decide(s, AUTH_FAIL, backend, reason, false, hold_ms);
}

/* job_work - worker thread: one backend call */
static void
job_work(void *arg)
{
	struct job *j = arg;
	struct timespec t0;

	if (atomic_load(&j->orphaned)) {
		/* answered already (deadline while queued): skip the work */
		auth_req_wipe(&j->req);
		return;
	}
	stats_clock(&t0);
	j->mech->verify(&j->req);
	auth_req_wipe(&j->req);		/* verify() did; belt and braces */
	j->usec = stats_usec_since(&t0);
	j->ran = true;
}

/* job_done - loop thread: the backend answered */
static void
job_done(void *arg)
{
	struct job *j = arg;
	struct session *s = j->sess;
	struct auth_stats *as = &auth_stats[j->mech->id];
	const char *name = j->mech->name;

	j->mech->release(j->req.data);
	auth_req_wipe(&j->req);
	if (j->ran) {
		stats_hist_record(&as->latency, j->usec);
		stats_inc(j->req.result == AUTH_OK ? &as->ok :
		    j->req.result == AUTH_FAIL ? &as->fail : &as->tempfail);
	}
	if (s == NULL) {		/* orphaned: the answer went out */
		free(j);
		return;
	}
	s->job = NULL;
	ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
	s->timer = NULL;
	if (j->req.result == AUTH_TEMPFAIL) {
		s->any_temp = true;
		snprintf(s->temp_reason, sizeof(s->temp_reason), "%.16s: %.127s",
		    name, j->req.reason);
	}
	if (j->req.result == AUTH_OK)
		decide(s, AUTH_OK, name, NULL, false, 0);
	else if (!auth_chain_goes_on(j->req.result, j->req.unknown_user,
	    s->ctx->cfg->chain_on_tempfail) || !chain_next(s))
		chain_end_no(s, name, j->req.reason, j->req.result ==
		    AUTH_FAIL ? j->req.fail_delay_ms : 0);
	free(j);
}

/* deadline_fire - the backend took too long: answer, orphan the job */
static void
deadline_fire(struct ev *ev, void *arg)
{
	struct session *s = arg;
	const char *name = s->job ? s->job->mech->name : "?";

	s->timer = NULL;
	if (s->job)
		stats_inc(&auth_stats[s->job->mech->id].timeouts);
	stats_inc(&s->ctx->st.timeouts);
	orphan(s);
	s->any_temp = true;
	s->timed_out = true;
	snprintf(s->temp_reason, sizeof(s->temp_reason), "%s: backend timeout",
	    name);
	if (!auth_chain_goes_on(AUTH_TEMPFAIL, false,
	    s->ctx->cfg->chain_on_tempfail) || !chain_next(s))
		decide(s, AUTH_TEMPFAIL, name, s->temp_reason, false, 0);
}

/* run_step - hand backend s->step a copy of the request */
static void
run_step(struct session *s)
{
	struct sasl_ctx *ctx = s->ctx;
	const struct auth_backend *b = &s->chain->b[s->step];
	struct job *j = xcalloc(1, sizeof(*j));

	j->mech = b->mech;
	j->sess = s;
	atomic_init(&j->orphaned, false);
	memcpy(j->req.login, s->login, sizeof(s->login));
	memcpy(j->req.realm, s->realm, sizeof(s->realm));
	memcpy(j->req.service, s->service, sizeof(s->service));
	memcpy(j->req.rhost, s->client, sizeof(s->client));
	j->req.password = xmalloc(s->pwlen + 1);
	memcpy(j->req.password, s->password, s->pwlen + 1);
	j->req.pwlen = s->pwlen;
	j->req.data = b->mech->prepare(b->state);
	stats_inc(&auth_stats[b->mech->id].calls);
	if (workq_submit(ctx->wq, job_work, job_done, j) < 0) {
		b->mech->release(j->req.data);
		auth_req_wipe(&j->req);
		free(j);
		stats_inc(&ctx->st.queue_full);
		s->any_temp = true;
		snprintf(s->temp_reason, sizeof(s->temp_reason),
		    "%s: queue full (max_queue %lld)", b->mech->name,
		    ctx->cfg->max_queue);
		decide(s, AUTH_TEMPFAIL, b->mech->name, s->temp_reason, false,
		    0);
		return;
	}
	s->job = j;
	s->state = S_BACKEND;
	s->timer = ev_timer_add(server_ev(ctx->srv),
	    (uint64_t)ctx->cfg->backend_timeout, deadline_fire, s);
}

/* Room for the cache key of the longest chain. */
#define CACHE_ID_MAX	(AUTH_MAX_CHAIN * (AUTH_LOGIN_MAX + 48))

/*
 * cache_id - the cache key: every backend's name and identity, in chain
 * order, length-prefixed ("NAME LEN:IDENT;" each) so no two requests of
 * different meaning meet
 */
static void
cache_id(struct session *s, char id[CACHE_ID_MAX])
{
	struct text t;
	unsigned i;

	text_init(&t, id, CACHE_ID_MAX);
	for (i = 0; i < s->chain->n; i++) {
		const char *name = s->ident[s->step_ident[i]];

		text_str(&t, s->chain->b[i].mech->name);
		text_lit(&t, " ");
		text_u64(&t, strlen(name));
		text_lit(&t, ":");
		text_str(&t, name);
		text_lit(&t, ";");
	}
}

/* after_delay - cache, then the chain */
static void
after_delay(struct session *s)
{
	struct sasl_ctx *ctx = s->ctx;
	int backend = 0;

	if (ctx->cache) {
		char id[CACHE_ID_MAX];

		cache_id(s, id);
		auth_cache_prepare(ctx->cache, id, "", s->service,
		    s->password, s->pwlen, &s->cq);
		s->have_cq = true;
		switch (auth_cache_lookup(ctx->cache, &s->cq, now_ms(s),
		    &backend)) {
		case CACHE_OK:
			s->step = (unsigned)backend;
			decide(s, AUTH_OK, backend < (int)s->chain->n ?
			    s->chain->b[backend].mech->name : "cache", NULL,
			    true, 0);
			return;
		case CACHE_NO:
			s->step = (unsigned)backend;
			decide(s, AUTH_FAIL, backend < (int)s->chain->n ?
			    s->chain->b[backend].mech->name : "cache",
			    "cached failure", true, 0);
			return;
		case CACHE_MISS:
			break;
		}
	}
	s->step = 0;
	run_step(s);
}

/* delay_fire - the throttle delay is over */
static void
delay_fire(struct ev *ev, void *arg)
{
	struct session *s = arg;

	s->timer = NULL;
	after_delay(s);
}

/* early_no - answer a malformed or empty request like Cyrus */
static void
early_no(struct session *s, const char *wire, const char *reason)
{
	struct sasl_decision d;

	memset(&d, 0, sizeof(d));
	d.result = "NO";
	d.user = s->login;
	d.service = s->service;
	d.realm = s->realm;
	d.client = s->client;
	d.backend = "none";
	d.reason = reason;
	d.usec = stats_usec_since(&s->t0);
	stats_inc(&s->ctx->st.no);
	sasl_log_decision(s->ctx, &d);
	send_now(s, wire);
}

/* make_identities - the name each backend of the chain will verify */
static int
make_identities(struct session *s)
{
	char id[AUTH_LOGIN_MAX];
	unsigned i, j;

	s->nident = 0;
	for (i = 0; i < s->chain->n; i++) {
		if (s->chain->b[i].mech->identity(s->login, s->realm, id,
		    sizeof(id)) < 0)
			return -1;
		for (j = 0; j < s->nident; j++)
			if (strcmp(s->ident[j], id) == 0)
				break;
		if (j == s->nident)
			memcpy(s->ident[s->nident++], id, strlen(id) + 1);
		s->step_ident[i] = j;
	}
	return 0;
}

/*
 * throttle_admit - when the request may reach a backend (*wait_r ms from
 * now), counted in flight per login and per client address from here on;
 * -1 after refusing one that would wait past throttle_max_delay: the
 * parallel requests before it hold the slots a sequential client would
 * have had (throttle.h).
 */
static int
throttle_admit(struct session *s, uint64_t *wait_r)
{
	struct sasl_ctx *ctx = s->ctx;
	struct throttle_params tp;
	uint64_t now = now_ms(s), at, at_ip;
	const char *who = "login";
	unsigned i;

	get_throttle_params(ctx->cfg, &tp);
	at = now;
	for (i = 0; i < s->nident; i++) {
		uint64_t a = throttle_when(ctx->th_user, &tp, s->ident[i],
		    strlen(s->ident[i]), now);

		if (a > at)
			at = a;
	}
	if (*s->client) {
		at_ip = throttle_when(ctx->th_ip, &tp, s->client,
		    strlen(s->client), now);
		if (at_ip > at) {
			at = at_ip;
			who = "client";
		}
	}
	if (at - now > tp.max_delay) {
		stats_inc(&ctx->st.throttle_refused);
		log_debug("throttle: user=%s client=%s would wait %llums: "
		    "refused", s->ident[0], *s->client ? s->client : "unknown",
		    (unsigned long long)(at - now));
		wipe_password(s);
		early_no(s, "NO temporary failure", strcmp(who, "login") == 0 ?
		    "throttled: too many requests for this login" :
		    "throttled: too many requests from this client");
		return -1;
	}
	for (i = 0; i < s->nident; i++)
		throttle_begin(ctx->th_user, s->ident[i], strlen(s->ident[i]),
		    s->pwmac, at);
	if (*s->client)
		throttle_begin(ctx->th_ip, s->client, strlen(s->client),
		    s->pwmac, at);
	s->th_begun = true;
	*wait_r = at - now;
	return 0;
}

/* start_request - a whole request is decoded: copy it out and go */
static void
start_request(struct session *s, const struct sasl_request *req)
{
	struct sasl_ctx *ctx = s->ctx;
	struct sasl_cfg *cfg = ctx->cfg;
	struct buf *in = conn_in(s->conn);
	char login[SASL_FIELD_MAX + 1], realm[SASL_FIELD_MAX + 1];
	enum realm_policy rp = REALM_PASS;
	uint64_t d = 0;
	bool bad;

	stats_clock(&s->t0);
	stats_inc(&ctx->st.requests);
	/* before anything is checked: a later flush refuses the answer
	 * (auth_cache.h, generations) */
	if (ctx->cache != NULL) {
		s->cache_gen = auth_cache_generation(ctx->cache);
		s->gen_ok = true;
	}
	conn_pause(s->conn);
	conn_set_idle(s->conn, 0);	/* the deadlines are ours now */
	set_active(s, true);
	s->chain = auth_chain_ref(ctx->chain);

	bad = copy_field(login, sizeof(login), req->field[SASL_F_LOGIN],
	    req->len[SASL_F_LOGIN]) < 0 ||
	    copy_field(realm, sizeof(realm), req->field[SASL_F_REALM],
	    req->len[SASL_F_REALM]) < 0 ||
	    copy_field(s->service, sizeof(s->service),
	    req->field[SASL_F_SERVICE], req->len[SASL_F_SERVICE]) < 0 ||
	    memchr(req->field[SASL_F_PASSWORD], 0,
	    req->len[SASL_F_PASSWORD]) != NULL;
	if (!bad) {
		s->pwlen = req->len[SASL_F_PASSWORD];
		s->password = xmalloc(s->pwlen + 1);
		memcpy(s->password, req->field[SASL_F_PASSWORD], s->pwlen);
		s->password[s->pwlen] = 0;
	}
	if (req->nfields == 5)
		client_from(s, req->field[SASL_F_CLIENT_ADDR],
		    req->len[SASL_F_CLIENT_ADDR]);
	/* the request is copied: the input buffer's password goes now */
	secret_wipe(in->data, in->len);
	buf_consume(in, in->len);

	if (bad) {
		stats_inc(&ctx->st.bad_request);
		snprintf(s->login, sizeof(s->login), "%s", "");
		early_no(s, "NO bad request", "NUL byte in a field");
		return;
	}
	snprintf(s->login, sizeof(s->login), "%s", login);
	snprintf(s->realm, sizeof(s->realm), "%s", realm);
	if (*login == 0 || s->pwlen == 0) {
		/* Cyrus's words, which some scripts look for */
		stats_inc(&ctx->st.empty_field);
		early_no(s, *login == 0 ? "NO NULL login received" :
		    "NO NULL password received",
		    *login == 0 ? "empty login" : "empty password");
		return;
	}
	(void)realm_policy_parse(cfg->realm_policy, &rp);
	if (realm_apply(rp, cfg->default_realm, login, realm, s->login,
	    sizeof(s->login), s->realm, sizeof(s->realm)) < 0 ||
	    make_identities(s) < 0) {
		stats_inc(&ctx->st.bad_request);
		early_no(s, "NO bad request", "login too long");
		return;
	}
	auth_hmac(ctx->mac_key, "t", 1, s->password, s->pwlen, s->pwmac);

	if (cfg->throttle && throttle_admit(s, &d) < 0)
		return;
	if (d > 0) {
		stats_inc(&ctx->st.throttled);
		s->th_wait = d;
		log_debug("throttle: user=%s client=%s wait %llums",
		    s->ident[0], *s->client ? s->client : "unknown",
		    (unsigned long long)d);
		s->state = S_DELAY;
		s->timer = ev_timer_add(server_ev(ctx->srv), d, delay_fire, s);
		return;
	}
	after_delay(s);
}

/* session_read - decode what has arrived */
static void
session_read(struct session *s)
{
	struct buf *in = conn_in(s->conn);
	bool final = conn_peer_eof(s->conn) || s->grace_done;
	struct sasl_request req;
	enum codec_result rc;
	size_t used;

	rc = sasl_request_decode(in->data, in->len, final, &req, &used);
	switch (rc) {
	case CODEC_DONE:
		ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
		s->timer = NULL;
		start_request(s, &req);
		return;
	case CODEC_NEED_MORE:
		if (conn_peer_eof(s->conn)) {
			log_warn("%s: request cut short after %zu bytes",
			    conn_peer(s->conn), in->len);
			secret_wipe(in->data, in->len);
			conn_close(s->conn);
			return;
		}
		/* four complete fields and part of a fifth: a short grace */
		if (s->timer == NULL && !s->grace_done &&
		    sasl_request_decode(in->data, in->len, true, &req, &used)
		    == CODEC_DONE)
			s->timer = ev_timer_add(server_ev(s->ctx->srv),
			    (uint64_t)s->ctx->cfg->fifth_field_grace,
			    grace_fire, s);
		return;
	case CODEC_ERR_SIZE:
		stats_inc(&s->ctx->st.oversize);
		log_warn("%s: request field longer than %d bytes: refused",
		    conn_peer(s->conn), SASL_FIELD_MAX);
		break;
	default:
		stats_inc(&s->ctx->st.bad_request);
		log_warn("%s: malformed request: %s", conn_peer(s->conn),
		    codec_strerror(rc));
		break;
	}
	/* Cyrus answers "NO " with an empty reason and closes */
	ev_timer_cancel(server_ev(s->ctx->srv), s->timer);
	s->timer = NULL;
	secret_wipe(in->data, in->len);
	buf_consume(in, in->len);
	conn_pause(s->conn);
	send_now(s, "NO ");
}
