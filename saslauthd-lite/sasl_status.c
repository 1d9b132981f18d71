/*
 * sasl_status.c - the decision log line and the status page
 *
 * One line per decision, in a fixed key=value order fail2ban can match:
 *   auth: result=NO user=bob service=smtp realm= client=192.0.2.10
 *   backend=pwfile cached=no latency=3.2ms reason="wrong password"
 * A request the throttle delayed has throttled=MSms after latency; one it
 * refused says backend=none reason="throttled: ...".
 * Untrusted text (user, realm, service) is sanitised: no spaces, quotes or
 * control characters can forge a field. Never a password.
 * The status page shows counters, per-backend latency, the cache, the
 * throttle, recent decisions and the top failing users and clients.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "auth_cache.h"
#include "ev.h"
#include "log.h"
#include "saslauthd.h"
#include "status.h"
#include "text.h"
#include "throttle.h"
#include "workq.h"

#define SASL_TOP_N	10

/* sasl_sanitize - printable ASCII without blanks or quotes; others as '?' */
void
sasl_sanitize(char *out, size_t outlen, const char *in)
{
	size_t n = 0;

	if (outlen == 0)
		return;
	for (; in && *in && n + 1 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		out[n++] = c > ' ' && c < 0x7f && c != '"' && c != '\\' &&
		    c != '=' ? (char)c : '?';
	}
	out[n] = 0;
}

/*
 * text_ms - microseconds as milliseconds, exactly what "%.1f" prints for
 * usec / 1000.0, without printf's floating point: only a decimal tie
 * (usec ending in 50) depends on how the double rounds, and goes to it.
 */
static void
text_ms(struct text *t, uint64_t usec)
{
	char num[32];
	uint64_t tenths = (usec + 50) / 100;

	if (usec % 100 == 50) {
		snprintf(num, sizeof(num), "%.1f", (double)usec / 1000.0);
		text_str(t, num);
		return;
	}
	text_u64(t, tenths / 10);
	num[0] = '.';
	num[1] = (char)('0' + tenths % 10);
	text_add(t, num, 2);
}

/* text_kv - KEY then VALUE */
static void
text_kv(struct text *t, const char *key, const char *value)
{
	text_str(t, key);
	text_str(t, value);
}

/* text_times - "Nms", and " throttled=Nms" when the throttle delayed it */
static void
text_times(struct text *t, const struct sasl_decision *d)
{
	text_ms(t, d->usec);
	text_lit(t, "ms");
	if (d->throttled_ms) {
		text_lit(t, " throttled=");
		text_u64(t, d->throttled_ms);
		text_lit(t, "ms");
	}
}

/*
 * sasl_log_decision - the one line, and the recent-decisions ring. Both
 * are made by appending (text.h), not by printf(): they are made for
 * every request. The line is at most ~700 bytes (the fields are capped),
 * so it is never cut.
 */
void
sasl_log_decision(struct sasl_ctx *ctx, const struct sasl_decision *d)
{
	char user[128], service[64], realm[128], client[64], reason[160];
	char line[LOG_LINE_MAX];
	char recent[sizeof(((struct stats_recent_entry *)0)->text)];
	struct text t;

	sasl_sanitize(user, sizeof(user), d->user);
	sasl_sanitize(service, sizeof(service), d->service);
	sasl_sanitize(realm, sizeof(realm), d->realm);
	sasl_sanitize(client, sizeof(client), d->client && *d->client ?
	    d->client : "unknown");
	/* reasons are ours, but PAM's texts hold spaces: quote them */
	snprintf(reason, sizeof(reason), "%s", d->reason ? d->reason : "");
	for (char *p = reason; *p; p++)
		if (*p == '"' || (unsigned char)*p < ' ')
			*p = '\'';
	/* auth: result=R user=U service=S realm=R client=C backend=B
	 * cached=yes|no latency=Nms[ throttled=Nms][ reason="..."] */
	text_init(&t, line, sizeof(line));
	text_kv(&t, "auth: result=", d->result);
	text_kv(&t, " user=", user);
	text_kv(&t, " service=", service);
	text_kv(&t, " realm=", realm);
	text_kv(&t, " client=", client);
	text_kv(&t, " backend=", d->backend);
	text_str(&t, d->cached ? " cached=yes" : " cached=no");
	text_lit(&t, " latency=");
	text_times(&t, d);
	if (d->reason) {
		text_kv(&t, " reason=\"", reason);
		text_lit(&t, "\"");
	}
	log_info_held("%s", line);
	stats_hist_record(&ctx->st.latency, d->usec);
	/* R user=U service=S client=C backend=B[ cached] Nms[ throttled=Nms][ reason] */
	text_init(&t, recent, sizeof(recent));
	text_str(&t, d->result);
	text_kv(&t, " user=", user);
	text_kv(&t, " service=", service);
	text_kv(&t, " client=", client);
	text_kv(&t, " backend=", d->backend);
	text_str(&t, d->cached ? " cached " : " ");
	text_times(&t, d);
	if (d->reason)
		text_kv(&t, " ", reason);
	stats_recent_put(&ctx->st.recent, recent);
}

/* top_table - one "top failing" table */
static void
top_table(struct status_writer *w, struct throttle *t,
    const struct throttle_params *p, uint64_t now, const char *id,
    const char *title)
{
	static const char *const cols[] = {"key", "failures", "delay_ms"};
	struct throttle_top top[SASL_TOP_N];
	char fails[32], delay[32], key[sizeof(top[0].key)];
	const char *cells[3];
	unsigned i, n = throttle_top(t, p, now, top, SASL_TOP_N);

	status_table(w, id, title, cols, 3);
	for (i = 0; i < n; i++) {
		sasl_sanitize(key, sizeof(key), top[i].key);
		snprintf(fails, sizeof(fails), "%lu", top[i].failures);
		snprintf(delay, sizeof(delay), "%llu",
		    (unsigned long long)top[i].delay);
		cells[0] = key;
		cells[1] = fails;
		cells[2] = delay;
		status_row(w, cells);
	}
}

/* backend_answers - what one backend said, by result */
static void
backend_answers(struct status_writer *w, const char *backend,
    const struct auth_stats *as)
{
	static const char *const results[] = {"ok", "no", "tempfail"};
	const struct stats_counter *n[] = {&as->ok, &as->fail, &as->tempfail};
	char labels[96];
	unsigned i;

	for (i = 0; i < nitems(results); i++) {
		snprintf(labels, sizeof(labels), "backend=\"%s\",result=\"%s\"",
		    backend, results[i]);
		status_counter(w, "saslauthd_lite_backend_answers_total",
		    "backend answers by result", labels, stats_get(n[i]));
	}
}

/* refused_requests - the requests refused before any backend, by reason */
static void
refused_requests(struct status_writer *w, const struct sasl_stats *st)
{
	static const char *const reasons[] = {"oversize", "bad_request",
	    "empty_field", "queue_full", "throttled"};
	const struct stats_counter *n[] = {&st->oversize, &st->bad_request,
	    &st->empty_field, &st->queue_full, &st->throttle_refused};
	char labels[64];
	unsigned i;

	for (i = 0; i < nitems(reasons); i++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", reasons[i]);
		status_counter(w, "saslauthd_lite_refused_total", "requests "
		    "refused before any backend", labels, stats_get(n[i]));
	}
}

/* sasl_status - spec->status */
void
sasl_status(struct server *srv, struct status_writer *w)
{
	struct sasl_ctx *ctx = server_ctx(srv);
	struct sasl_cfg *cfg = ctx->cfg;
	struct sasl_stats *st = &ctx->st;
	struct throttle_params tp;
	uint64_t now = ev_now(server_ev(srv));
	char why[256] = "";
	char labels[64];
	unsigned i;
	int ready;

	status_section(w, "auth", "Authentication");
	status_kv(w, "mechanisms", "%s", cfg->mechanisms);
	status_kv(w, "realm_policy", "%s", cfg->realm_policy);
	status_counter(w, "saslauthd_lite_requests_total", "requests decoded",
	    NULL, stats_get(&st->requests));
	status_counter(w, "saslauthd_lite_protocol_requests_total",
	    "requests decoded by protocol", "kind=\"mux\"",
	    stats_get(&st->requests) - stats_get(&st->dovecot_requests));
	status_counter(w, "saslauthd_lite_protocol_requests_total",
	    "requests decoded by protocol", "kind=\"dovecot\"",
	    stats_get(&st->dovecot_requests));
	status_counter(w, "saslauthd_lite_answers_total", "answers by result",
	    "result=\"ok\"", stats_get(&st->ok));
	status_counter(w, "saslauthd_lite_answers_total", "answers by result",
	    "result=\"no\"", stats_get(&st->no));
	status_counter(w, "saslauthd_lite_tempfail_total",
	    "NO answers that were temporary failures", NULL,
	    stats_get(&st->tempfail));
	status_counter(w, "saslauthd_lite_cached_total",
	    "answers from the cache", "result=\"ok\"",
	    stats_get(&st->cached_ok));
	status_counter(w, "saslauthd_lite_cached_total",
	    "answers from the cache", "result=\"no\"",
	    stats_get(&st->cached_no));
	status_counter(w, "saslauthd_lite_throttled_total", "requests delayed "
	    "by failure throttling", NULL, stats_get(&st->throttled));
	status_hist(w, "saslauthd_lite_answer_seconds", "time to an answer",
	    NULL, &st->latency);

	/* what an admin looks for first: throttling, the cache, backends */
	tp.after = (unsigned)cfg->throttle_after;
	tp.delay = (uint64_t)cfg->throttle_delay;
	tp.max_delay = (uint64_t)cfg->throttle_max_delay;
	tp.quiet = (uint64_t)cfg->throttle_quiet;
	status_section(w, "throttle", "Failure throttling");
	status_kv(w, "enabled", "%s", cfg->throttle ? "yes" : "no");
	status_gauge(w, "saslauthd_lite_throttled_logins", "logins whose next "
	    "request waits", NULL,
	    (double)throttle_active(ctx->th_user, &tp, now));
	status_gauge(w, "saslauthd_lite_throttled_clients", "client addresses "
	    "whose next request waits", NULL,
	    (double)throttle_active(ctx->th_ip, &tp, now));
	top_table(w, ctx->th_user, &tp, now, "top_users",
	    "Top failing users");
	top_table(w, ctx->th_ip, &tp, now, "top_clients",
	    "Top failing clients");

	status_section(w, "cache", "Credential cache");
	status_kv(w, "enabled", "%s", ctx->cache ? "yes" : "no");
	if (ctx->cache) {
		struct auth_cache_stats cs;
		unsigned long look;

		auth_cache_get_stats(ctx->cache, &cs);
		look = cs.hits + cs.misses;
		status_kv(w, "ttl_s", "%lld", cfg->cache_ttl / 1000);
		status_kv(w, "ttl_system_s", "%lld",
		    cfg->cache_ttl_system / 1000);
		status_kv(w, "hit_ratio", "%.3f",
		    look ? (double)cs.hits / (double)look : 0.0);
		status_gauge(w, "saslauthd_lite_cache_entries",
		    "cache entries", NULL,
		    (double)auth_cache_count(ctx->cache));
		status_gauge(w, "saslauthd_lite_cache_max_entries",
		    "cache size bound", NULL,
		    (double)auth_cache_max(ctx->cache));
		status_counter(w, "saslauthd_lite_cache_lookups_total",
		    "cache lookups", "result=\"hit\"", cs.hits);
		status_counter(w, "saslauthd_lite_cache_lookups_total",
		    "cache lookups", "result=\"miss\"", cs.misses);
		status_counter(w, "saslauthd_lite_cache_flushes_total",
		    "cache flushes", NULL, cs.flushes);
		status_counter(w, "saslauthd_lite_cache_stale_total", "answers "
		    "not cached: checked before a flush", NULL, cs.stale);
	}

	for (i = 0; i < ctx->chain->n; i++) {
		const struct auth_mech *m = ctx->chain->b[i].mech;
		struct auth_stats *as = &auth_stats[m->id];
		char id[32], title[64];

		snprintf(id, sizeof(id), "backend_%s", m->name);
		snprintf(title, sizeof(title), "Backend %u: %s", i + 1,
		    m->name);
		snprintf(labels, sizeof(labels), "backend=\"%s\"", m->name);
		status_section(w, id, title);
		status_counter(w, "saslauthd_lite_backend_calls_total",
		    "backend calls", labels, stats_get(&as->calls));
		/* ok: said OK, no: said no, tempfail: could not tell */
		backend_answers(w, m->name, as);
		status_counter(w, "saslauthd_lite_backend_timeouts_total",
		    "backend calls past the backend timeout", labels,
		    stats_get(&as->timeouts));
		status_hist(w, "saslauthd_lite_backend_seconds",
		    "backend call time", labels, &as->latency);
		if (m->status)
			m->status(ctx->chain->b[i].state, w);
	}

	/* user, service, client, result: never a password (sasl_log_decision) */
	status_section(w, "recent", "Recent decisions");
	status_recent(w, "Recent decisions", &st->recent);

	status_section(w, "workers", "Worker pool");
	status_gauge(w, "saslauthd_lite_workers", "worker threads", NULL,
	    (double)workq_threads(ctx->wq));
	status_gauge(w, "saslauthd_lite_queue_waiting",
	    "jobs waiting for a worker", NULL, (double)workq_queued(ctx->wq));
	status_gauge(w, "saslauthd_lite_queue_running",
	    "jobs on a worker (orphaned "
	    "ones included)", NULL, (double)workq_running(ctx->wq));
	status_gauge(w, "saslauthd_lite_in_progress", "requests being answered", NULL,
	    (double)ctx->active);
	status_kv(w, "max_queue", "%lld", cfg->max_queue);
	status_kv(w, "backend_timeout_ms", "%lld", cfg->backend_timeout);

	/* timeouts are the backends' (saslauthd_lite_backend_timeouts_total) */
	status_section(w, "errors", "Refused requests");
	refused_requests(w, st);

	ready = auth_chain_ready(ctx->chain, why, sizeof(why));
	status_ready(w, ready, ready ? NULL : why);
}
