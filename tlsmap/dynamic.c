/*
 * dynamic.c - lookups and resolutions of the dynamic map (see dynamic.h)
 *
 * A lookup is answered from the cache when the cache can answer; else it
 * waits on the domain's one resolution (a dyn_job), with its own deadline
 * timer. A job runs DANE (unless a fresh DANE result is cached), then,
 * when DANE is absent, the STS TXT lookup, the policy host's address and
 * the HTTPS fetch, each step only when the cache says it is needed. The
 * job writes what it learns into the cache entry and answers its waiters
 * from the entry, so a cached answer and a fresh one are built the same
 * way. A job outlives its waiters (a TEMP at the deadline still fills the
 * cache for the retry) but not its hard limit.
 */
#include "sysdep.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dane.h"
#include "dns_resolver.h"
#include "dyn_int.h"
#include "ev.h"
#include "log.h"
#include "lru.h"
#include "maps.h"
#include "sts_fetch.h"
#include "sts_policy.h"
#include "text.h"
#include "tls_policy.h"
#include "xalloc.h"

#define ANSWER_MAX	MAP_MAX_REPLY

enum job_phase { PH_DANE, PH_TXT, PH_ADDR, PH_FETCH };

struct dyn_wait {
	struct dyn_job *job;
	struct dyn_wait *prev, *next;
	int	 tlsrpt;
	dyn_fn	*fn;
	void	*ctx;
	struct ev_timer *deadline;
};

struct dyn_job {
	struct dyn *d;
	struct dyn_job *prev, *next;
	char	 domain[DYN_DOMAIN_MAX + 1];
	struct dyn_entry *e;		/* NULL once evicted or purged */
	enum job_phase phase;
	struct dane_job *dane;
	struct dns_query *q;
	struct sts_fetch *fetch;
	struct dyn_wait *waiters;
	struct ev_timer *limit;
	struct ev_timer *kick;		/* start without DANE, or fail */
	char	 start_error[256];
	char	 txt_id[STS_ID_MAX + 1];
	unsigned txt_ttl;
	int	 txt_seen;		/* the TXT step ran: set sts_recheck */
	time_t	 recheck_at;
	int	 tried_aaaa;
};

time_t
dyn_clamp_ttl(const struct dyn *d, unsigned long long s)
{
	unsigned long long floor = (unsigned long long)d->cfg.min_ttl_ms / 1000;

	if (s < floor)
		s = floor;
	if (s > DYN_TTL_CAP)
		s = DYN_TTL_CAP;
	return (time_t)s;
}

/* dyn_key_domain - see dynamic.h */
int
dyn_key_domain(const char *key, size_t len, char *out, size_t outlen)
{
	size_t i, label = 0, digits_dots = 0;

	if (len > 1 && key[len - 1] == '.')
		len--;
	/* ".parent" probes and "[host]:port" next hops are not destinations */
	if (len == 0 || len > DYN_DOMAIN_MAX - 1 || len >= outlen ||
	    key[0] == '.' || key[0] == '[')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c == '.') {
			if (label == 0 || key[i - 1] == '-')
				return -1;
			label = 0;
			digits_dots++;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return -1;
			if (isdigit(c))
				digits_dots++;
		} else
			return -1;
		out[i] = (char)tolower(c);
	}
	out[len] = 0;
	/*
	 * one label (no dot), or an IPv4 literal: nothing to look up; an
	 * empty last label ("example.com..", one final dot dropped) is no
	 * domain either: its cache record would stop the cache file's load
	 */
	if (memchr(out, '.', len) == NULL || digits_dots == len ||
	    out[len - 1] == '-' || out[len - 1] == '.')
		return -1;
	return 0;
}

void
dyn_entry_clear(struct dyn_entry *e)
{
	free(e->dane_detail);
	free(e->sts_body);
	free(e->sts_answer);
	free(e->sts_answer_rpt);
	free(e->sts_wire);
	free(e->sts_wire_rpt);
	free(e->sts_detail);
	e->dane_detail = e->sts_body = e->sts_answer = e->sts_answer_rpt =
	    e->sts_wire = e->sts_wire_rpt = e->sts_detail = NULL;
}

/* entry_dropped - lru hook: the entry goes; its job no longer writes it */
static void
entry_dropped(void *data, void *arg)
{
	struct dyn_entry *e = data;

	if (e->job != NULL)
		e->job->e = NULL;
	dyn_entry_clear(e);
}

static void
set_text(char **p, const char *s)
{
	free(*p);
	*p = xstrdup(s);
}

/*
 * can_answer - what the entry says now: 0 nothing usable (resolve),
 * 1 an answer, 2 an answer that is still valid but should be checked
 * again (answer it and resolve in the background)
 */
static int
can_answer(const struct dyn_entry *e, time_t now)
{
	if (e->dane_expires == 0 || now >= e->dane_expires)
		return 0;
	if (e->dane != DANE_NONE)
		return 1;
	if (!e->sts_checked)
		return 0;
	if (now < e->sts_recheck)
		return 1;
	return e->sts_body != NULL && now < e->sts_expires ? 2 : 0;
}

static const char wire_dane_only[] = "12:OK dane-only,";
static const char wire_dane[] = "7:OK dane,";
static const char wire_notfound[] = "9:NOTFOUND ,";

/* wire_of - text as a netstring, malloc'd */
static char *
wire_of(const char *text, size_t *len_r)
{
	size_t n = strlen(text);
	char *w = xmalloc(n + 24);
	int h = snprintf(w, 24, "%zu:", n);

	memcpy(w + h, text, n);
	w[h + n] = ',';
	*len_r = (size_t)h + n + 1;
	return w;
}

/* answer_of - the reply an entry gives (can_answer() was non-zero) */
static void
answer_of(const struct dyn_entry *e, int tlsrpt, time_t now,
    struct dyn_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (e->dane == DANE_ONLY) {
		a->level = DYN_DANE_ONLY;
		a->text = "OK dane-only";
		a->wire = wire_dane_only;
		a->wire_len = sizeof(wire_dane_only) - 1;
		a->reason = e->dane_detail;
	} else if (e->dane == DANE_OPPORTUNISTIC) {
		a->level = DYN_DANE;
		a->text = "OK dane";
		a->wire = wire_dane;
		a->wire_len = sizeof(wire_dane) - 1;
		a->reason = e->dane_detail;
	} else if (e->sts_answer != NULL && now < e->sts_expires) {
		a->level = DYN_SECURE;
		if (tlsrpt && e->sts_answer_rpt) {
			a->text = e->sts_answer_rpt;
			a->wire = e->sts_wire_rpt;
			a->wire_len = e->sts_wire_rpt_len;
		} else {
			a->text = e->sts_answer;
			a->wire = e->sts_wire;
			a->wire_len = e->sts_wire_len;
		}
		a->reason = e->sts_detail;
	} else {
		a->level = DYN_NOTFOUND;
		a->text = "NOTFOUND ";
		a->wire = wire_notfound;
		a->wire_len = sizeof(wire_notfound) - 1;
		a->reason = e->sts_detail ? e->sts_detail : "no DANE, no "
		    "MTA-STS policy";
	}
	if (a->reason == NULL)
		a->reason = "";
}

static void
deliver(struct dyn *d, struct dyn_wait *w, const struct dyn_answer *a)
{
	stats_inc(&d->st.answers[a->level]);
	w->fn(a, w->ctx);
}

static void
unlink_wait(struct dyn_wait *w)
{
	struct dyn_job *j = w->job;

	if (w->prev)
		w->prev->next = w->next;
	else
		j->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->job = NULL;
}

void
dyn_wait_cancel(struct dyn_wait *w)
{
	if (w == NULL)
		return;
	ev_timer_cancel(w->job->d->ev, w->deadline);
	unlink_wait(w);
	free(w);
}

/* answer_all - every waiter of j gets the entry's answer, or temp */
static void
answer_all(struct dyn_job *j, const char *temp)
{
	struct dyn *d = j->d;
	struct dyn_answer a;
	struct dyn_wait *w;
	char text[600];
	time_t now = time(NULL);

	while ((w = j->waiters) != NULL) {
		unlink_wait(w);
		ev_timer_cancel(d->ev, w->deadline);
		if (temp == NULL && j->e != NULL &&
		    can_answer(j->e, now) != 0)
			answer_of(j->e, w->tlsrpt, now, &a);
		else {
			memset(&a, 0, sizeof(a));
			a.level = DYN_TEMP;
			snprintf(text, sizeof(text), "TEMP %s", temp ? temp :
			    "no answer");
			a.text = text;
			a.reason = temp ? temp : "no answer";
		}
		deliver(d, w, &a);
		free(w);
	}
}

/* job_end - answer what waits and free the job */
static void
job_end(struct dyn_job *j, const char *temp)
{
	struct dyn *d = j->d;
	struct dyn_answer a;

	/*
	 * The STS state becomes the entry's only now: a lookup meanwhile
	 * waits for this job instead of seeing "checked, no policy" while
	 * the policy is still being fetched.
	 */
	if (j->txt_seen && j->e != NULL) {
		j->e->sts_checked = 1;
		j->e->sts_recheck = j->recheck_at;
	}
	/* what the status page lists: each resolution's outcome and why */
	if (temp != NULL)
		stats_recent_add(&d->st.recent, "%s: TEMP: %.200s", j->domain,
		    temp);
	else if (j->e != NULL && can_answer(j->e, time(NULL)) != 0) {
		answer_of(j->e, 0, time(NULL), &a);
		stats_recent_add(&d->st.recent, "%s: %s: %.200s", j->domain,
		    dyn_level_name(a.level), a.reason);
	}
	answer_all(j, temp);
	dane_cancel(j->dane);
	dns_query_cancel(j->q);
	sts_fetch_cancel(j->fetch);
	ev_timer_cancel(d->ev, j->limit);
	ev_timer_cancel(d->ev, j->kick);
	if (j->e != NULL)
		j->e->job = NULL;
	if (j->prev)
		j->prev->next = j->next;
	else
		d->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	d->njobs--;
	free(j);
}

static void
job_limit(struct ev *ev, void *vj)
{
	struct dyn_job *j = vj;

	j->limit = NULL;
	log_warn("dynamic: %s: resolution abandoned after %lld ms",
	    j->domain, 3 * j->d->cfg.timeout_ms);
	job_end(j, "resolution took too long");
}

static void wait_deadline(struct ev *, void *);
static void job_sts(struct dyn_job *);

/* entry_for - the job's entry, made again if it was evicted meanwhile */
static struct dyn_entry *
entry_for(struct dyn_job *j)
{
	int created;

	if (j->e == NULL) {
		j->e = lru_put(j->d->cache, j->domain, strlen(j->domain),
		    &created);
		if (created)
			snprintf(j->e->domain, sizeof(j->e->domain), "%s",
			    j->domain);
		j->e->job = j;
	}
	return j->e;
}

static void
dane_done(const struct dane_outcome *o, void *vj)
{
	struct dyn_job *j = vj;
	struct dyn *d = j->d;
	struct dyn_entry *e;
	char temp[DANE_DETAIL_MAX + 64];

	j->dane = NULL;
	if (o->result == DANE_TEMP) {
		if (strstr(o->detail, "DNSSEC") != NULL) {
			stats_inc(&d->st.bogus);
			log_warn("dynamic: %s: TEMP: %s", j->domain, o->detail);
		} else {
			stats_inc(&d->st.dns_failures);
			log_info("dynamic: %s: TEMP: %s", j->domain, o->detail);
		}
		snprintf(temp, sizeof(temp), "DANE lookup failed: %s",
		    o->detail);
		job_end(j, temp);
		return;
	}
	e = entry_for(j);
	e->dane = o->result;
	e->dane_expires = time(NULL) + dyn_clamp_ttl(d, o->ttl);
	set_text(&e->dane_detail, o->detail);
	d->dirty = 1;
	log_info("dynamic: %s: DANE %s: %s", j->domain,
	    dane_result_name(o->result), o->detail);
	if (o->result != DANE_NONE) {
		job_end(j, NULL);
		return;
	}
	job_sts(j);
}

static void txt_done(const struct dns_answer *, void *);

/* job_sts - DANE is absent: the STS part, as far as the entry needs it */
static void
job_sts(struct dyn_job *j)
{
	char name[DYN_DOMAIN_MAX + 16], err[256];

	snprintf(name, sizeof(name), "_mta-sts.%s", j->domain);
	j->phase = PH_TXT;
	if ((j->q = dns_query(j->d->dns, name, DNS_T_TXT, txt_done, j, err,
	    sizeof(err))) == NULL) {
		log_warn("dynamic: %s: %s", j->domain, err);
		job_end(j, err);
	}
}

/* sts_note - the entry's last STS event (explain, logs): what, why */
static void
sts_note(struct dyn_entry *e, const char *what, const char *why)
{
	char buf[768];

	snprintf(buf, sizeof(buf), "%s%s%s", what, why[0] ? ": " : "", why);
	set_text(&e->sts_detail, buf);
}

static void addr_done(const struct dns_answer *, void *);

static void
txt_done(const struct dns_answer *a, void *vj)
{
	struct dyn_job *j = vj;
	struct dyn *d = j->d;
	struct dyn_entry *e = entry_for(j);
	time_t now = time(NULL);
	char host[DYN_DOMAIN_MAX + 16], err[256], rec[1024];
	const char *recs[16];
	size_t lens[16], n = 0;
	int k, rc;

	j->q = NULL;
	j->txt_seen = 1;
	d->dirty = 1;
	if (a->status == DNS_FAIL || a->status == DNS_BOGUS) {
		/* RFC 8461 §5.1: a policy we hold stays in force meanwhile */
		j->recheck_at = now + DYN_TXT_RETRY;
		sts_note(e, "_mta-sts TXT lookup failed", a->why);
		log_info("dynamic: %s: %s", j->domain, e->sts_detail);
		job_end(j, NULL);
		return;
	}
	j->recheck_at = now + dyn_clamp_ttl(d, a->ttl);
	/* a TXT record's character-strings, joined */
	for (k = 0; a->data[k] != NULL && n < 16; k++) {
		const unsigned char *p = (const unsigned char *)a->data[k];
		size_t len = (size_t)a->len[k], i = 0, o = 0;
		char *copy;

		while (i < len) {
			size_t l = p[i++];

			if (i + l > len || o + l >= sizeof(rec))
				break;
			memcpy(rec + o, p + i, l);
			o += l;
			i += l;
		}
		copy = xmalloc(o + 1);
		memcpy(copy, rec, o);
		copy[o] = 0;
		recs[n] = copy;
		lens[n++] = o;
	}
	rc = sts_txt_select(recs, lens, n, j->txt_id, err, sizeof(err));
	for (k = 0; (size_t)k < n; k++)
		free((void *)recs[k]);
	if (rc <= 0) {
		sts_note(e, rc == 0 ? "no MTA-STS record" :
		    "invalid MTA-STS record", rc == 0 ? "" : err);
		if (rc < 0)
			log_info("dynamic: %s: %s", j->domain, e->sts_detail);
		job_end(j, NULL);
		return;
	}
	j->txt_ttl = a->ttl;
	if (e->sts_body != NULL && strcmp(e->sts_id, j->txt_id) == 0 &&
	    now < e->sts_expires &&
	    e->sts_expires - now > (e->sts_expires - e->sts_fetched) / 4) {
		/* the policy we hold is current and not near its end */
		job_end(j, NULL);
		return;
	}
	if (strcmp(e->fail_id, j->txt_id) == 0 && now < e->fail_until) {
		/* RFC 8461 §3.3: no retry storm against a failing host */
		job_end(j, NULL);
		return;
	}
	snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
	j->phase = PH_ADDR;
	if ((j->q = dns_query(d->dns, host, DNS_T_A, addr_done, j, err,
	    sizeof(err))) == NULL)
		job_end(j, err);
}

static void fetch_done(const struct sts_fetch_result *, void *);

/* fetch_failed - keep what we hold, back off this id */
static void
fetch_failed(struct dyn_job *j, const char *why)
{
	struct dyn_entry *e = entry_for(j);

	snprintf(e->fail_id, sizeof(e->fail_id), "%s", j->txt_id);
	e->fail_until = time(NULL) + DYN_FAIL_BACKOFF;
	sts_note(e, "policy fetch failed", why);
	log_warn("dynamic: %s: MTA-STS %s%s", j->domain, e->sts_detail,
	    e->sts_body ? " (the policy held stays in force)" : "");
	j->d->dirty = 1;
	job_end(j, NULL);
}

static void
addr_done(const struct dns_answer *a, void *vj)
{
	struct dyn_job *j = vj;
	struct dyn *d = j->d;
	char host[DYN_DOMAIN_MAX + 16], addr[64], err[600];

	j->q = NULL;
	snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
	if (a->status == DNS_FAIL || a->status == DNS_BOGUS) {
		snprintf(err, sizeof(err), "address of %s: %s", host, a->why);
		fetch_failed(j, err);
		return;
	}
	if (a->data[0] == NULL) {
		if (!j->tried_aaaa) {
			j->tried_aaaa = 1;
			if ((j->q = dns_query(d->dns, host, DNS_T_AAAA,
			    addr_done, j, err, sizeof(err))) == NULL)
				fetch_failed(j, err);
			return;
		}
		snprintf(err, sizeof(err), "%s has no address", host);
		fetch_failed(j, err);
		return;
	}
	if (a->len[0] == 4)
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u",
		    (unsigned char)a->data[0][0], (unsigned char)a->data[0][1],
		    (unsigned char)a->data[0][2], (unsigned char)a->data[0][3]);
	else if (a->len[0] != 16 ||
	    inet_ntop(AF_INET6, a->data[0], addr, sizeof(addr)) == NULL) {
		fetch_failed(j, "malformed address record");
		return;
	}
	j->phase = PH_FETCH;
	stats_inc(&d->st.fetches);
	if ((j->fetch = sts_fetch_start(d->fetcher, host, addr, 443,
	    fetch_done, j)) == NULL)
		fetch_failed(j, "cannot start the HTTPS fetch");
}

static void
fetch_done(const struct sts_fetch_result *r, void *vj)
{
	struct dyn_job *j = vj;
	struct dyn *d = j->d;
	struct dyn_entry *e = entry_for(j);
	char err[512];

	j->fetch = NULL;
	if (r->status != STS_FETCH_OK) {
		if ((unsigned)r->status < 8)
			stats_inc(&d->st.fetch_errors[r->status]);
		fetch_failed(j, r->error ? r->error :
		    sts_fetch_status_name(r->status));
		return;
	}
	if (dyn_sts_hold(d, e, j->txt_id, r->body, r->body_len, time(NULL),
	    err, sizeof(err)) < 0) {
		stats_inc(&d->st.policy_invalid);
		fetch_failed(j, err);
		return;
	}
	log_info("dynamic: %s: MTA-STS policy id %s: %s", j->domain,
	    j->txt_id, e->sts_detail);
	d->dirty = 1;
	job_end(j, NULL);
}

int
dyn_sts_hold(struct dyn *d, struct dyn_entry *e, const char *id,
    const char *body, size_t len, time_t fetched, char *err, size_t errlen)
{
	/* loop thread only: two replies of Postfix's maximum are too big
	 * for the stack */
	static char plain[ANSWER_MAX], rpt[ANSWER_MAX];
	struct sts_policy pol;
	char why[256], note[128];
	enum tls_level lev;
	int enforce;

	if (sts_policy_parse(body, len, &pol, err, errlen) < 0)
		return -1;
	enforce = pol.mode == STS_MODE_ENFORCE;
	plain[0] = rpt[0] = 0;
	if (enforce) {
		memcpy(plain, "OK ", 3);
		memcpy(rpt, "OK ", 3);
		if (sts_policy_answer(&pol, e->domain, 0, plain + 3,
		    sizeof(plain) - 3) < 0 ||
		    sts_policy_answer(&pol, e->domain, 1, rpt + 3,
		    sizeof(rpt) - 3) < 0) {
			snprintf(err, errlen, "policy too long for a reply");
			sts_policy_free(&pol);
			return -1;
		}
		/* what Postfix would refuse is never served */
		if (tls_policy_check(plain + 3, d->cfg.version, &lev, why,
		    sizeof(why)) < 0) {
			snprintf(err, errlen, "policy gives an answer Postfix "
			    "refuses: %s", why);
			sts_policy_free(&pol);
			return -1;
		}
		if (tls_policy_check(rpt + 3, d->cfg.version, &lev, why,
		    sizeof(why)) < 0)
			rpt[0] = 0;	/* the target Postfix has no TLSRPT */
	}
	snprintf(e->sts_id, sizeof(e->sts_id), "%s", id);
	free(e->sts_body);
	e->sts_body = xmalloc(len + 1);
	memcpy(e->sts_body, body, len);
	e->sts_body[len] = 0;
	e->sts_body_len = len;
	e->sts_fetched = fetched;
	e->sts_expires = fetched + dyn_clamp_ttl(d, pol.max_age);
	free(e->sts_answer);
	free(e->sts_answer_rpt);
	e->sts_answer = enforce ? xstrdup(plain) : NULL;
	e->sts_answer_rpt = enforce && rpt[0] ? xstrdup(rpt) : NULL;
	free(e->sts_wire);
	free(e->sts_wire_rpt);
	e->sts_wire = e->sts_answer ? wire_of(plain, &e->sts_wire_len) : NULL;
	e->sts_wire_rpt = e->sts_answer_rpt ? wire_of(rpt,
	    &e->sts_wire_rpt_len) : NULL;
	e->fail_id[0] = 0;
	snprintf(note, sizeof(note), "mode %s, max_age %lu",
	    pol.mode == STS_MODE_ENFORCE ? "enforce" :
	    pol.mode == STS_MODE_TESTING ? "testing" : "none",
	    (unsigned long)pol.max_age);
	set_text(&e->sts_detail, note);
	sts_policy_free(&pol);
	return 0;
}

/* job_kick - the first step that is not a DNS answer, off the caller's stack */
static void
job_kick(struct ev *ev, void *vj)
{
	struct dyn_job *j = vj;

	j->kick = NULL;
	if (j->start_error[0])
		job_end(j, j->start_error);
	else
		job_sts(j);
}

/* job_start - a resolution of domain; NULL when at max_resolutions */
static struct dyn_job *
job_start(struct dyn *d, const char *domain, struct dyn_entry *e)
{
	struct dyn_job *j;
	char err[256];

	if ((long long)d->njobs >= d->cfg.max_resolutions) {
		stats_inc(&d->st.busy);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->d = d;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	j->e = e;
	e->job = j;
	j->next = d->jobs;
	if (d->jobs)
		d->jobs->prev = j;
	d->jobs = j;
	d->njobs++;
	j->limit = ev_timer_add(d->ev, (uint64_t)(3 * d->cfg.timeout_ms),
	    job_limit, j);
	if (e->dane_expires != 0 && time(NULL) < e->dane_expires &&
	    e->dane == DANE_NONE) {
		/* DANE is known absent: only the STS part is due */
		j->phase = PH_TXT;
		j->kick = ev_timer_add(d->ev, 0, job_kick, j);
		return j;
	}
	if ((j->dane = dane_start(d->dns, domain, dane_done, j, err,
	    sizeof(err))) == NULL) {
		log_warn("dynamic: %s: %s", domain, err);
		snprintf(j->start_error, sizeof(j->start_error), "%s", err);
		j->kick = ev_timer_add(d->ev, 0, job_kick, j);
	}
	return j;
}

static void
wait_deadline(struct ev *ev, void *vw)
{
	struct dyn_wait *w = vw;
	struct dyn *d = w->job->d;
	struct dyn_answer a;
	char text[DYN_DOMAIN_MAX + 96];

	w->deadline = NULL;
	stats_inc(&d->st.timeouts);
	snprintf(text, sizeof(text), "TEMP no answer for %s within "
	    "dns_timeout (%lld ms)", w->job->domain, d->cfg.timeout_ms);
	log_warn("dynamic: %s", text + 5);
	unlink_wait(w);
	memset(&a, 0, sizeof(a));
	a.level = DYN_TEMP;
	a.text = text;
	a.reason = text + 5;
	deliver(d, w, &a);
	free(w);
}

static int
temp_now(struct dyn *d, const char *why, dyn_fn *fn, void *ctx)
{
	struct dyn_answer a;
	char text[300];

	snprintf(text, sizeof(text), "TEMP %s", why);
	memset(&a, 0, sizeof(a));
	a.level = DYN_TEMP;
	a.text = text;
	a.reason = why;
	stats_inc(&d->st.answers[DYN_TEMP]);
	fn(&a, ctx);
	return 1;
}

/* lookup_domain - dyn_lookup() once the key is a domain */
static int
lookup_domain(struct dyn *d, const char *domain, int tlsrpt, int force,
    dyn_fn *fn, void *ctx, struct dyn_wait **wait_r)
{
	struct dyn_entry *e;
	struct dyn_answer a;
	struct dyn_wait *w;
	time_t now = time(NULL);
	int created, can;

	*wait_r = NULL;
	e = lru_put(d->cache, domain, strlen(domain), &created);
	if (created)
		snprintf(e->domain, sizeof(e->domain), "%s", domain);
	e->last_used = now;
	can = force ? 0 : can_answer(e, now);
	if (can != 0) {
		stats_inc(&d->st.hits);
		answer_of(e, tlsrpt, now, &a);
		a.cached = 1;
		stats_inc(&d->st.answers[a.level]);
		fn(&a, ctx);
		/* still valid, due for a check: revalidate behind the answer */
		if (can == 2 && e->job == NULL)
			(void)job_start(d, domain, e);
		return 1;
	}
	stats_inc(&d->st.misses);
	if (e->job == NULL && job_start(d, domain, e) == NULL)
		return temp_now(d, "too many resolutions in progress "
		    "(max_resolutions)", fn, ctx);
	w = xcalloc(1, sizeof(*w));
	w->job = e->job;
	w->tlsrpt = tlsrpt;
	w->fn = fn;
	w->ctx = ctx;
	w->next = e->job->waiters;
	if (w->next)
		w->next->prev = w;
	e->job->waiters = w;
	w->deadline = ev_timer_add(d->ev, (uint64_t)d->cfg.timeout_ms,
	    wait_deadline, w);
	*wait_r = w;
	return 0;
}

int
dyn_lookup(struct dyn *d, const char *key, size_t len, int tlsrpt,
    dyn_fn *fn, void *ctx, struct dyn_wait **wait_r)
{
	char domain[DYN_DOMAIN_MAX + 1];
	struct dyn_answer a;

	*wait_r = NULL;
	if (dyn_key_domain(key, len, domain, sizeof(domain)) < 0) {
		memset(&a, 0, sizeof(a));
		a.level = DYN_NOTFOUND;
		a.text = "NOTFOUND ";
		a.wire = wire_notfound;
		a.wire_len = sizeof(wire_notfound) - 1;
		a.reason = "not a destination domain";
		stats_inc(&d->st.answers[DYN_NOTFOUND]);
		fn(&a, ctx);
		return 1;
	}
	return lookup_domain(d, domain, tlsrpt, 0, fn, ctx, wait_r);
}

int
dyn_refresh(struct dyn *d, const char *domain, dyn_fn *fn, void *ctx,
    struct dyn_wait **wait_r)
{
	char dom[DYN_DOMAIN_MAX + 1];

	*wait_r = NULL;
	if (dyn_key_domain(domain, strlen(domain), dom, sizeof(dom)) < 0)
		return temp_now(d, "not a destination domain", fn, ctx);
	(void)dyn_purge(d, dom);
	stats_inc(&d->st.refreshes);
	return lookup_domain(d, dom, 0, 1, fn, ctx, wait_r);
}

size_t
dyn_purge(struct dyn *d, const char *domain)
{
	struct dyn_entry *e;
	size_t n;

	d->dirty = 1;
	if (domain == NULL) {
		n = lru_count(d->cache);
		lru_clear(d->cache);
		return n;
	}
	if ((e = lru_get(d->cache, domain, strlen(domain))) == NULL)
		return 0;
	lru_remove(d->cache, e);
	return 1;
}

static void
explain_time(struct text *t, const char *what, time_t when, time_t now)
{
	text_str(t, what);
	if (when == 0)
		text_str(t, "never");
	else if (when > now) {
		text_str(t, "in ");
		text_u64(t, (uint64_t)(when - now));
		text_str(t, " s");
	} else {
		text_u64(t, (uint64_t)(now - when));
		text_str(t, " s ago");
	}
}

void
dyn_explain(struct dyn *d, const char *domain, struct text *t)
{
	char dom[DYN_DOMAIN_MAX + 1];
	struct dyn_entry *e;
	struct dyn_answer a;
	time_t now = time(NULL);

	if (dyn_key_domain(domain, strlen(domain), dom, sizeof(dom)) < 0) {
		text_str(t, "key: not a destination domain: answered "
		    "NOTFOUND without lookups\n");
		return;
	}
	text_str(t, "domain: ");
	text_str(t, dom);
	text_str(t, "\n");
	if ((e = lru_get(d->cache, dom, strlen(dom))) == NULL) {
		text_str(t, "cache: no entry (the next lookup resolves)\n");
		return;
	}
	text_str(t, "dane: ");
	if (e->dane_expires == 0)
		text_str(t, "not known");
	else {
		text_str(t, dane_result_name(e->dane));
		explain_time(t, ", expires ", e->dane_expires, now);
		text_str(t, "\ndane detail: ");
		text_str(t, e->dane_detail ? e->dane_detail : "-");
	}
	text_str(t, "\nsts: ");
	if (!e->sts_checked)
		text_str(t, "not checked");
	else {
		explain_time(t, "TXT checked again ", e->sts_recheck, now);
		if (e->sts_body != NULL) {
			text_str(t, "; policy id ");
			text_str(t, e->sts_id);
			explain_time(t, ", fetched ", e->sts_fetched, now);
			explain_time(t, ", expires ", e->sts_expires, now);
		} else
			text_str(t, "; no policy held");
		if (e->fail_id[0] && now < e->fail_until) {
			text_str(t, "; fetches of id ");
			text_str(t, e->fail_id);
			explain_time(t, " paused until ", e->fail_until, now);
		}
	}
	text_str(t, "\nsts detail: ");
	text_str(t, e->sts_detail ? e->sts_detail : "-");
	text_str(t, "\nanswer: ");
	if (can_answer(e, now) != 0) {
		answer_of(e, 0, now, &a);
		text_str(t, a.text);
	} else
		text_str(t, "none cached (the next lookup resolves)");
	text_str(t, e->job ? "\nresolving: yes\n" : "\nresolving: no\n");
}

struct prefetch {
	struct dyn *d;
	time_t	 now;
	unsigned started;
	struct dyn_entry *due[64];
	unsigned ndue;
};

static int
prefetch_pick(const void *key, size_t klen, void *data, void *arg)
{
	struct prefetch *p = arg;
	struct dyn_entry *e = data;

	if (p->ndue == sizeof(p->due) / sizeof(p->due[0]))
		return 1;
	/* only a held enforce policy, near its end, of a domain in use */
	if (e->job == NULL && e->sts_answer != NULL &&
	    p->now - e->last_used < DYN_RECENT &&
	    e->sts_expires - p->now < (e->sts_expires - e->sts_fetched) / 4 &&
	    !(p->now < e->fail_until))
		p->due[p->ndue++] = e;
	return 0;
}

void
dyn_tick(struct dyn *d)
{
	struct prefetch p;
	char err[256];
	unsigned i;

	memset(&p, 0, sizeof(p));
	p.d = d;
	p.now = time(NULL);
	(void)lru_foreach(d->cache, prefetch_pick, &p);
	for (i = 0; i < p.ndue; i++) {
		/* the TXT check decides whether the body is fetched */
		p.due[i]->sts_recheck = 0;
		if (job_start(d, p.due[i]->domain, p.due[i]) == NULL)
			break;
		stats_inc(&d->st.refreshes);
	}
	/* at most a write a minute; a clean stop writes the rest */
	if (d->dirty && p.now - d->save_tried >= 60 &&
	    dyn_save(d, 0, err, sizeof(err)) < 0)
		log_warn("dynamic: %s", err);
}

struct dyn *
dyn_new(struct ev *ev, struct dns_resolver *dns, struct sts_fetcher *f,
    const struct dyn_cfg *cfg, char *err, size_t errlen)
{
	struct dyn *d = xcalloc(1, sizeof(*d));

	d->ev = ev;
	d->dns = dns;
	d->fetcher = f;
	d->cfg = *cfg;
	d->cache_file = xstrdup(cfg->cache_file);
	d->cfg.cache_file = d->cache_file;
	d->cache = lru_new((size_t)cfg->max_entries, sizeof(struct dyn_entry),
	    (uint64_t)random() << 32 ^ (uint64_t)random());
	lru_set_drop(d->cache, entry_dropped, d);
	stats_recent_init(&d->st.recent, 50);
	dyn_store_load(d);
	return d;
}

void
dyn_set_cfg(struct dyn *d, const struct dyn_cfg *cfg)
{
	const char *keep = d->cache_file;

	d->cfg = *cfg;
	d->cfg.cache_file = keep;
}

void
dyn_free(struct dyn *d)
{
	struct dyn_wait *w;

	if (d == NULL)
		return;
	while (d->jobs != NULL) {
		while ((w = d->jobs->waiters) != NULL)
			dyn_wait_cancel(w);
		job_end(d->jobs, NULL);
	}
	dyn_store_end(d);
	lru_free(d->cache);
	stats_recent_free(&d->st.recent);
	free(d->cache_file);
	free(d);
}

const char *
dyn_cache_file(const struct dyn *d)
{
	return d->cache_file;
}

const struct dyn_stats *
dyn_stats(const struct dyn *d)
{
	return &d->st;
}

size_t
dyn_entries(const struct dyn *d)
{
	return lru_count(d->cache);
}

unsigned
dyn_resolving(const struct dyn *d)
{
	return d->njobs;
}
