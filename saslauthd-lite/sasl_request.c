/*
 * sasl_request.c - one password check: policy, throttle, cache, backend
 * chain on the worker pool, decision (contract in sasl_request.h)
 */
#include "sysdep.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "auth_cache.h"
#include "cstrings.h"
#include "ev.h"
#include "log.h"
#include "realm.h"
#include "sasl_request.h"
#include "saslauthd.h"
#include "secret.h"
#include "text.h"
#include "throttle.h"
#include "workq.h"
#include "xalloc.h"

struct job {
	struct auth_req req;
	const struct auth_mech *mech;
	struct sasl_req *r;		/* NULL once orphaned (loop only) */
	atomic_bool orphaned;		/* the worker reads this */
	uint64_t usec;
	bool	 ran;
};

struct sasl_req {
	struct sasl_ctx *ctx;
	sasl_req_done_fn *done;
	void	*arg;
	struct ev_timer *timer;		/* delay, deadline or hold */
	struct job *job;
	struct auth_chain *chain;
	unsigned step;
	bool	 any_temp, timed_out;
	char	 temp_reason[160];
	struct timespec t0;
	/* as decoded; bad: an embedded NUL */
	bool	 bad;
	char	 login_in[SASL_FIELD_MAX + 1];
	char	 realm_in[SASL_FIELD_MAX + 1];
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
	struct sasl_req_answer ans;
	char	 reason[192];
};

static void run_step(struct sasl_req *);
static void hold_fire(struct ev *, void *);

/* wipe_password - the request's copy goes */
static void
wipe_password(struct sasl_req *r)
{
	if (r->password != NULL) {
		secret_free(r->password, r->pwlen + 1);
		r->password = NULL;
		r->pwlen = 0;
	}
}

/* set_active - count requests in progress (the status page's in_progress) */
static void
set_active(struct sasl_req *r, bool on)
{
	if (on && !r->counted)
		r->ctx->active++;
	else if (!on && r->counted)
		r->ctx->active--;
	r->counted = on;
}

/* orphan - the job's result no longer matters; its done() frees it */
static void
orphan(struct sasl_req *r)
{
	if (r->job == NULL)
		return;
	r->job->r = NULL;
	atomic_store(&r->job->orphaned, true);
	r->job = NULL;
}

/* throttle_release - the request no longer counts as in flight */
static void
throttle_release(struct sasl_req *r)
{
	struct sasl_ctx *ctx = r->ctx;
	unsigned i;

	if (!r->th_begun)
		return;
	r->th_begun = false;
	for (i = 0; i < r->nident; i++)
		throttle_end(ctx->th_user, r->ident[i], strlen(r->ident[i]),
		    r->pwmac);
	if (*r->client)
		throttle_end(ctx->th_ip, r->client, strlen(r->client),
		    r->pwmac);
}

/* req_free - everything goes, the password wiped */
static void
req_free(struct sasl_req *r)
{
	ev_timer_cancel(server_ev(r->ctx->srv), r->timer);
	r->timer = NULL;
	orphan(r);
	throttle_release(r);
	set_active(r, false);
	wipe_password(r);
	auth_chain_unref(r->chain);
	secret_free(r, sizeof(*r));
}

/* sasl_req_cancel - the client went away */
void
sasl_req_cancel(struct sasl_req *r)
{
	if (r != NULL)
		req_free(r);
}

/* finish - hand the answer over, then the request goes */
static void
finish(struct sasl_req *r, const char *wire)
{
	set_active(r, false);
	r->ans.wire = wire;
	r->done(r->arg, &r->ans);
	req_free(r);
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

/* sasl_req_new - count it and copy it out */
struct sasl_req *
sasl_req_new(struct sasl_ctx *ctx, const struct sasl_req_in *in,
    sasl_req_done_fn *done, void *arg)
{
	struct sasl_req *r = xcalloc(1, sizeof(*r));

	r->ctx = ctx;
	r->done = done;
	r->arg = arg;
	stats_clock(&r->t0);
	stats_inc(&ctx->st.requests);
	/* before anything is checked: a later flush refuses the answer
	 * (auth_cache.h, generations) */
	if (ctx->cache != NULL) {
		r->cache_gen = auth_cache_generation(ctx->cache);
		r->gen_ok = true;
	}
	r->chain = auth_chain_ref(ctx->chain);
	r->bad = copy_field(r->login_in, sizeof(r->login_in), in->login,
	    in->login_len) < 0 ||
	    copy_field(r->realm_in, sizeof(r->realm_in), in->realm,
	    in->realm_len) < 0 ||
	    copy_field(r->service, sizeof(r->service), in->service,
	    in->service_len) < 0 ||
	    memchr(in->password, 0, in->pwlen) != NULL;
	if (!r->bad) {
		r->pwlen = in->pwlen;
		r->password = xmalloc(r->pwlen + 1);
		memcpy(r->password, in->password, r->pwlen);
		r->password[r->pwlen] = 0;
	}
	snprintf(r->client, sizeof(r->client), "%s", in->client);
	return r;
}

/* now_ms - the loop's clock */
static uint64_t
now_ms(struct sasl_req *r)
{
	return ev_now(server_ev(r->ctx->srv));
}

/* get_throttle_params - from the current config */
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
cache_ttl(struct sasl_req *r, enum auth_result res)
{
	const struct sasl_cfg *cfg = r->ctx->cfg;
	uint64_t ttl = res == AUTH_OK ? (uint64_t)cfg->cache_ttl :
	    (uint64_t)cfg->cache_negative_ttl;
	unsigned i;

	/*
	 * Any system backend the chain asked up to the deciding one: a user
	 * pam or shadow did not know (so pwfile decided) may appear there
	 * without a flush, and the live chain would then answer otherwise.
	 */
	for (i = 0; i <= r->step && i < r->chain->n; i++)
		if (r->chain->b[i].mech->system &&
		    ttl > (uint64_t)cfg->cache_ttl_system)
			ttl = (uint64_t)cfg->cache_ttl_system;
	return ttl;
}

/* count_failure - each name a backend asked so far has verified */
static void
count_failure(struct sasl_req *r, const struct throttle_params *tp,
    uint64_t now)
{
	struct sasl_ctx *ctx = r->ctx;
	unsigned i, last = r->step < r->chain->n ? r->step : r->chain->n - 1;
	bool done[AUTH_MAX_CHAIN] = {false};

	for (i = 0; i <= last && i < r->chain->n; i++) {
		unsigned k = r->step_ident[i];

		if (done[k])
			continue;
		done[k] = true;
		throttle_failure(ctx->th_user, tp, r->ident[k],
		    strlen(r->ident[k]), r->pwmac, now);
	}
}

/* set_answer - what done() will get */
static void
set_answer(struct sasl_req *r, enum auth_result res, const char *reason)
{
	r->ans.result = res;
	if (reason != NULL) {
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
		r->ans.reason = r->reason;
	} else
		r->ans.reason = NULL;
}

/*
 * decide - the final answer: throttle and cache bookkeeping, the log line,
 * then the answer (after a PAM failure delay, if the stack asked for one).
 */
static void
decide(struct sasl_req *r, enum auth_result res, const char *backend,
    const char *reason, bool cached, unsigned hold_ms)
{
	struct sasl_ctx *ctx = r->ctx;
	struct sasl_cfg *cfg = ctx->cfg;
	struct throttle_params tp;
	struct sasl_decision d;
	uint64_t now = now_ms(r);
	const char *wire = NULL;

	wipe_password(r);
	get_throttle_params(cfg, &tp);
	switch (res) {
	case AUTH_OK:
		wire = "OK";
		stats_inc(&ctx->st.ok);
		if (cached)
			stats_inc(&ctx->st.cached_ok);
		/* only the name that backend verified: logging in to one's
		 * own pwfile alice@example must not reset shadow's alice */
		if (r->step < r->chain->n)
			throttle_success(ctx->th_user,
			    r->ident[r->step_ident[r->step]],
			    strlen(r->ident[r->step_ident[r->step]]));
		break;
	case AUTH_FAIL:
		/* the same words for unknown users and wrong passwords */
		wire = "NO authentication failed";
		stats_inc(&ctx->st.no);
		if (cached)
			stats_inc(&ctx->st.cached_no);
		count_failure(r, &tp, now);
		if (*r->client)
			throttle_failure(ctx->th_ip, &tp, r->client,
			    strlen(r->client), r->pwmac, now);
		break;
	case AUTH_TEMPFAIL:
		wire = r->timed_out ? "NO backend timeout" :
		    "NO temporary failure";
		stats_inc(&ctx->st.no);
		stats_inc(&ctx->st.tempfail);
		break;
	}
	/* counted as a failure or forgotten: no longer in flight */
	throttle_release(r);
	/* not when a flush (reload, changed password data) came meanwhile */
	if (ctx->cache && r->have_cq && r->gen_ok && !cached &&
	    res != AUTH_TEMPFAIL &&
	    !auth_cache_insert(ctx->cache, &r->cq, res == AUTH_OK,
	    (int)(r->step), now, cache_ttl(r, res), r->cache_gen))
		log_debug("cache: %s not stored (ttl 0, or checked before a "
		    "flush) user=%s ", res == AUTH_OK ? "OK" : "NO",
		    r->ident[0]);

	memset(&d, 0, sizeof(d));
	d.result = res == AUTH_OK ? "OK" : "NO";
	d.user = r->login;
	d.service = r->service;
	d.realm = r->realm;
	d.client = r->client;
	d.backend = backend;
	d.reason = res == AUTH_OK ? NULL : reason;
	d.cached = cached;
	d.throttled_ms = r->th_wait;
	d.usec = stats_usec_since(&r->t0);
	sasl_log_decision(ctx, &d);
	set_answer(r, res, d.reason);
	r->ans.wire = wire;

	if (hold_ms > 0 && res != AUTH_OK) {
		/* PAM asked for a failure delay: a timer, not a worker */
		r->timer = ev_timer_add(server_ev(ctx->srv), hold_ms, hold_fire,
		    r);
		return;
	}
	finish(r, wire);
}

/* hold_fire - the failure delay is over */
static void
hold_fire(struct ev *ev, void *arg)
{
	struct sasl_req *r = arg;

	r->timer = NULL;
	finish(r, r->ans.wire);
}

/* chain_next - try the next backend; false at the end of the chain */
static bool
chain_next(struct sasl_req *r)
{
	if (r->step + 1 >= r->chain->n)
		return false;
	r->step++;
	run_step(r);
	return true;
}

/* chain_end_no - no backend said OK: temporary if any could not tell */
static void
chain_end_no(struct sasl_req *r, const char *backend, const char *reason,
    unsigned hold_ms)
{
	if (r->any_temp)
		decide(r, AUTH_TEMPFAIL, backend, r->temp_reason, false, 0);
	else
		decide(r, AUTH_FAIL, backend, reason, false, hold_ms);
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
	struct sasl_req *r = j->r;
	struct auth_stats *as = &auth_stats[j->mech->id];
	const char *name = j->mech->name;

	j->mech->release(j->req.data);
	auth_req_wipe(&j->req);
	if (j->ran) {
		stats_hist_record(&as->latency, j->usec);
		stats_inc(j->req.result == AUTH_OK ? &as->ok :
		    j->req.result == AUTH_FAIL ? &as->fail : &as->tempfail);
	}
	if (r == NULL) {		/* orphaned: the answer went out */
		free(j);
		return;
	}
	r->job = NULL;
	ev_timer_cancel(server_ev(r->ctx->srv), r->timer);
	r->timer = NULL;
	if (j->req.result == AUTH_TEMPFAIL) {
		r->any_temp = true;
		snprintf(r->temp_reason, sizeof(r->temp_reason), "%.16s: %.127s",
		    name, j->req.reason);
	}
	if (j->req.result == AUTH_OK)
		decide(r, AUTH_OK, name, NULL, false, 0);
	else if (!auth_chain_goes_on(j->req.result, j->req.unknown_user,
	    r->ctx->cfg->chain_on_tempfail) || !chain_next(r))
		chain_end_no(r, name, j->req.reason, j->req.result ==
		    AUTH_FAIL ? j->req.fail_delay_ms : 0);
	free(j);
}

/* deadline_fire - the backend took too long: answer, orphan the job */
static void
deadline_fire(struct ev *ev, void *arg)
{
	struct sasl_req *r = arg;
	const char *name = r->job ? r->job->mech->name : "?";

	r->timer = NULL;
	if (r->job)
		stats_inc(&auth_stats[r->job->mech->id].timeouts);
	stats_inc(&r->ctx->st.timeouts);
	orphan(r);
	r->any_temp = true;
	r->timed_out = true;
	snprintf(r->temp_reason, sizeof(r->temp_reason), "%s: backend timeout",
	    name);
	if (!auth_chain_goes_on(AUTH_TEMPFAIL, false,
	    r->ctx->cfg->chain_on_tempfail) || !chain_next(r))
		decide(r, AUTH_TEMPFAIL, name, r->temp_reason, false, 0);
}

/* run_step - hand backend r->step a copy of the request */
static void
run_step(struct sasl_req *r)
{
	struct sasl_ctx *ctx = r->ctx;
	const struct auth_backend *b = &r->chain->b[r->step];
	struct job *j = xcalloc(1, sizeof(*j));

	j->mech = b->mech;
	j->r = r;
	atomic_init(&j->orphaned, false);
	memcpy(j->req.login, r->login, sizeof(r->login));
	memcpy(j->req.realm, r->realm, sizeof(r->realm));
	memcpy(j->req.service, r->service, sizeof(r->service));
	memcpy(j->req.rhost, r->client, sizeof(r->client));
	j->req.password = xmalloc(r->pwlen + 1);
	memcpy(j->req.password, r->password, r->pwlen + 1);
	j->req.pwlen = r->pwlen;
	j->req.data = b->mech->prepare(b->state);
	stats_inc(&auth_stats[b->mech->id].calls);
	if (workq_submit(ctx->wq, job_work, job_done, j) < 0) {
		b->mech->release(j->req.data);
		auth_req_wipe(&j->req);
		free(j);
		stats_inc(&ctx->st.queue_full);
		r->any_temp = true;
		snprintf(r->temp_reason, sizeof(r->temp_reason),
		    "%s: queue full (max_queue %lld)", b->mech->name,
		    ctx->cfg->max_queue);
		decide(r, AUTH_TEMPFAIL, b->mech->name, r->temp_reason, false,
		    0);
		return;
	}
	r->job = j;
	r->timer = ev_timer_add(server_ev(ctx->srv),
	    (uint64_t)ctx->cfg->backend_timeout, deadline_fire, r);
}

/* Room for the cache key of the longest chain. */
#define CACHE_ID_MAX	(AUTH_MAX_CHAIN * (AUTH_LOGIN_MAX + 48))

/*
 * cache_id - the cache key: every backend's name and identity, in chain
 * order, length-prefixed ("NAME LEN:IDENT;" each) so no two requests of
 * different meaning meet
 */
static void
cache_id(struct sasl_req *r, char id[CACHE_ID_MAX])
{
	struct text t;
	unsigned i;

	text_init(&t, id, CACHE_ID_MAX);
	for (i = 0; i < r->chain->n; i++) {
		const char *name = r->ident[r->step_ident[i]];

		text_str(&t, r->chain->b[i].mech->name);
		text_lit(&t, " ");
		text_u64(&t, strlen(name));
		text_lit(&t, ":");
		text_str(&t, name);
		text_lit(&t, ";");
	}
}

/* after_delay - cache, then the chain */
static void
after_delay(struct sasl_req *r)
{
	struct sasl_ctx *ctx = r->ctx;
	int backend = 0;

	if (ctx->cache) {
		char id[CACHE_ID_MAX];

		cache_id(r, id);
		auth_cache_prepare(ctx->cache, id, "", r->service,
		    r->password, r->pwlen, &r->cq);
		r->have_cq = true;
		switch (auth_cache_lookup(ctx->cache, &r->cq, now_ms(r),
		    &backend)) {
		case CACHE_OK:
			r->step = (unsigned)backend;
			decide(r, AUTH_OK, backend < (int)r->chain->n ?
			    r->chain->b[backend].mech->name : "cache", NULL,
			    true, 0);
			return;
		case CACHE_NO:
			r->step = (unsigned)backend;
			decide(r, AUTH_FAIL, backend < (int)r->chain->n ?
			    r->chain->b[backend].mech->name : "cache",
			    "cached failure", true, 0);
			return;
		case CACHE_MISS:
			break;
		}
	}
	r->step = 0;
	run_step(r);
}

/* delay_fire - the throttle delay is over */
static void
delay_fire(struct ev *ev, void *arg)
{
	struct sasl_req *r = arg;

	r->timer = NULL;
	after_delay(r);
}

/*
 * early_no - answer a malformed or empty request like Cyrus: a definite
 * no, or (tempfail) a throttle refusal the client may retry later
 */
static void
early_no(struct sasl_req *r, enum auth_result res, const char *wire,
    const char *reason)
{
	struct sasl_decision d;

	memset(&d, 0, sizeof(d));
	d.result = "NO";
	d.user = r->login;
	d.service = r->service;
	d.realm = r->realm;
	d.client = r->client;
	d.backend = "none";
	d.reason = reason;
	d.usec = stats_usec_since(&r->t0);
	stats_inc(&r->ctx->st.no);
	sasl_log_decision(r->ctx, &d);
	set_answer(r, res, reason);
	finish(r, wire);
}

/* make_identities - the name each backend of the chain will verify */
static int
make_identities(struct sasl_req *r)
{
	char id[AUTH_LOGIN_MAX];
	unsigned i, j;

	r->nident = 0;
	for (i = 0; i < r->chain->n; i++) {
		if (r->chain->b[i].mech->identity(r->login, r->realm, id,
		    sizeof(id)) < 0)
			return -1;
		for (j = 0; j < r->nident; j++)
			if (strcmp(r->ident[j], id) == 0)
				break;
		if (j == r->nident)
			memcpy(r->ident[r->nident++], id, strlen(id) + 1);
		r->step_ident[i] = j;
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
throttle_admit(struct sasl_req *r, uint64_t *wait_r)
{
	struct sasl_ctx *ctx = r->ctx;
	struct throttle_params tp;
	uint64_t now = now_ms(r), at, at_ip;
	const char *who = "login";
	unsigned i;

	get_throttle_params(ctx->cfg, &tp);
	at = now;
	for (i = 0; i < r->nident; i++) {
		uint64_t a = throttle_when(ctx->th_user, &tp, r->ident[i],
		    strlen(r->ident[i]), now);

		if (a > at)
			at = a;
	}
	if (*r->client) {
		at_ip = throttle_when(ctx->th_ip, &tp, r->client,
		    strlen(r->client), now);
		if (at_ip > at) {
			at = at_ip;
			who = "client";
		}
	}
	if (at - now > tp.max_delay) {
		stats_inc(&ctx->st.throttle_refused);
		log_debug("throttle: user=%s client=%s would wait %llums: "
		    "refused", r->ident[0], *r->client ? r->client : "unknown",
		    (unsigned long long)(at - now));
		wipe_password(r);
		r->ans.refused = true;
		early_no(r, AUTH_TEMPFAIL, "NO temporary failure",
		    strcmp(who, "login") == 0 ?
		    "throttled: too many requests for this login" :
		    "throttled: too many requests from this client");
		return -1;
	}
	for (i = 0; i < r->nident; i++)
		throttle_begin(ctx->th_user, r->ident[i], strlen(r->ident[i]),
		    r->pwmac, at);
	if (*r->client)
		throttle_begin(ctx->th_ip, r->client, strlen(r->client),
		    r->pwmac, at);
	r->th_begun = true;
	*wait_r = at - now;
	return 0;
}

/* sasl_req_run - policy, throttle, cache, chain */
void
sasl_req_run(struct sasl_req *r)
{
	struct sasl_ctx *ctx = r->ctx;
	struct sasl_cfg *cfg = ctx->cfg;
	enum realm_policy rp = REALM_PASS;
	uint64_t d = 0;

	set_active(r, true);
	if (r->bad) {
		stats_inc(&ctx->st.bad_request);
		early_no(r, AUTH_FAIL, "NO bad request", "NUL byte in a field");
		return;
	}
	snprintf(r->login, sizeof(r->login), "%s", r->login_in);
	snprintf(r->realm, sizeof(r->realm), "%s", r->realm_in);
	if (*r->login_in == 0 || r->pwlen == 0) {
		/* Cyrus's words, which some scripts look for */
		stats_inc(&ctx->st.empty_field);
		early_no(r, AUTH_FAIL, *r->login_in == 0 ?
		    "NO NULL login received" : "NO NULL password received",
		    *r->login_in == 0 ? "empty login" : "empty password");
		return;
	}
	(void)realm_policy_parse(cfg->realm_policy, &rp);
	if (realm_apply(rp, cfg->default_realm, r->login_in, r->realm_in,
	    r->login, sizeof(r->login), r->realm, sizeof(r->realm)) < 0 ||
	    make_identities(r) < 0) {
		stats_inc(&ctx->st.bad_request);
		early_no(r, AUTH_FAIL, "NO bad request", "login too long");
		return;
	}
	auth_hmac(ctx->mac_key, "t", 1, r->password, r->pwlen, r->pwmac);

	if (cfg->throttle && throttle_admit(r, &d) < 0)
		return;
	if (d > 0) {
		stats_inc(&ctx->st.throttled);
		r->th_wait = d;
		log_debug("throttle: user=%s client=%s wait %llums",
		    r->ident[0], *r->client ? r->client : "unknown",
		    (unsigned long long)d);
		r->timer = ev_timer_add(server_ev(ctx->srv), d, delay_fire, r);
		return;
	}
	after_delay(r);
}
