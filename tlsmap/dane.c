/*
 * dane.c - the DANE side of a dynamic lookup (see dane.h)
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "dns_resolver.h"
#include "text.h"
#include "xalloc.h"

#define NAME_MAX_TEXT	256

enum tlsa_state { TLSA_NONE, TLSA_UNUSABLE, TLSA_USABLE };

struct dane_host;

/* one outstanding lookup: what it is for */
struct dane_q {
	struct dane_job *job;
	struct dane_host *host;	/* NULL: the MX lookup */
	int	 rrtype;
	struct dns_query *q;
};

struct dane_host {
	char	 name[NAME_MAX_TEXT];
	unsigned pref;
	int	 has_addr, addr_secure, addr_insecure;
	enum tlsa_state tlsa;
	unsigned tlsa_n;
	/*
	 * A host name that is a secure CNAME alias: TLSA records at the
	 * expanded name come first, those at the alias only when the
	 * expanded name has none (RFC 7672 section 2.2.3), as Postfix's
	 * smtp(8) looks them up.
	 */
	char	 canon[NAME_MAX_TEXT];
	enum tlsa_state tlsa_canon;
	unsigned tlsa_canon_n;
	struct dane_q qs[4];	/* A, AAAA, TLSA, TLSA at the expanded name */
};

struct dane_job {
	struct dns_resolver *r;
	char	 domain[NAME_MAX_TEXT];
	dane_fn	*fn;
	void	*ctx;
	struct dane_q mxq;
	int	 mx_secure, implicit, truncated;
	unsigned pending;
	unsigned ttl;
	struct dane_host hosts[DANE_MAX_HOSTS];
	unsigned nhosts;
};

const char *
dane_result_name(enum dane_result r)
{
	switch (r) {
	case DANE_NONE:
		return "none";
	case DANE_OPPORTUNISTIC:
		return "dane";
	case DANE_ONLY:
		return "dane-only";
	case DANE_TEMP:
		break;
	}
	return "temp";
}

int
dane_tlsa_usable(const unsigned char *d, size_t len)
{
	if (len < 4)
		return 0;
	if (d[0] != 2 && d[0] != 3)	/* DANE-TA, DANE-EE only (RFC 7672 §3.1) */
		return 0;
	if (d[1] > 1)
		return 0;
	switch (d[2]) {
	case 0:
		return 1;
	case 1:
		return len - 3 == 32;
	case 2:
		return len - 3 == 64;
	}
	return 0;
}

static void
cancel_all(struct dane_job *j)
{
	unsigned i, k;

	dns_query_cancel(j->mxq.q);
	j->mxq.q = NULL;
	for (i = 0; i < j->nhosts; i++)
		for (k = 0; k < 4; k++) {
			dns_query_cancel(j->hosts[i].qs[k].q);
			j->hosts[i].qs[k].q = NULL;
		}
}

/* host_tlsa - what counts for a host: the expanded name's, else its own */
static enum tlsa_state
host_tlsa(const struct dane_host *h)
{
	return h->tlsa_canon != TLSA_NONE ? h->tlsa_canon : h->tlsa;
}

/* finish - tell the caller and free the job */
static void
finish(struct dane_job *j, enum dane_result res, const char *why)
{
	struct dane_outcome o;
	struct text t;
	unsigned i;

	cancel_all(j);
	memset(&o, 0, sizeof(o));
	o.result = res;
	o.ttl = j->ttl;
	text_init(&t, o.detail, sizeof(o.detail));
	if (why != NULL)
		text_str(&t, why);
	else {
		text_str(&t, j->implicit ? "no MX (implicit MX " : "MX ");
		text_str(&t, j->mx_secure ? "secure" : "insecure");
		text_str(&t, j->implicit ? "):" : ":");
		for (i = 0; i < j->nhosts; i++) {
			const struct dane_host *h = &j->hosts[i];

			text_str(&t, " ");
			text_str(&t, h->name);
			text_str(&t, "[");
			text_str(&t, !h->has_addr ? "no address" :
			    h->addr_secure && !h->addr_insecure ?
			    "address secure" : h->addr_secure ?
			    "address partly secure" : "address insecure");
			if (h->canon[0] != 0) {
				text_str(&t, ", alias of ");
				text_str(&t, h->canon);
			}
			text_str(&t, host_tlsa(h) == TLSA_USABLE ?
			    ", TLSA usable" : host_tlsa(h) == TLSA_UNUSABLE ?
			    ", TLSA unusable" : ", no secure TLSA");
			if (h->tlsa_canon != TLSA_NONE)
				text_str(&t, " at the expanded name");
			text_str(&t, "]");
		}
		if (j->truncated)
			text_str(&t, " (more MX hosts not examined)");
	}
	j->fn(&o, j->ctx);
	free(j);
}

static void answered(const struct dns_answer *, void *);

static int
ask(struct dane_job *j, struct dane_q *dq, struct dane_host *h,
    const char *name, int rrtype, char *err, size_t errlen)
{
	dq->job = j;
	dq->host = h;
	dq->rrtype = rrtype;
	if ((dq->q = dns_query(j->r, name, rrtype, answered, dq, err,
	    errlen)) == NULL)
		return -1;
	j->pending++;
	return 0;
}

static void
take_ttl(struct dane_job *j, unsigned ttl)
{
	if (ttl < j->ttl)
		j->ttl = ttl;
}

/* decide - every answer is in */
static void
decide(struct dane_job *j)
{
	unsigned i, reachable = 0, full = 0, with_tlsa = 0;

	for (i = 0; i < j->nhosts; i++) {
		const struct dane_host *h = &j->hosts[i];

		if (!h->has_addr)
			continue;	/* unreachable: Postfix skips it too */
		reachable++;
		/* TLSA counts only behind secure addresses (RFC 7672 §2.2.2) */
		if (!h->addr_secure || host_tlsa(h) == TLSA_NONE)
			continue;
		with_tlsa++;
		if (!h->addr_insecure && host_tlsa(h) == TLSA_USABLE)
			full++;
	}
	if (j->mx_secure && !j->truncated && reachable > 0 &&
	    full == reachable)
		finish(j, DANE_ONLY, NULL);
	else if (with_tlsa > 0)
		finish(j, DANE_OPPORTUNISTIC, NULL);
	else
		finish(j, DANE_NONE, NULL);
}

static int
by_pref(const void *a, const void *b)
{
	const struct dane_host *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* hosts_from_mx - the MX answer's hosts; -1 malformed, 0 null MX, 1 ok */
static int
hosts_from_mx(struct dane_job *j, const struct dns_answer *a)
{
	struct dane_host all[64];
	unsigned n = 0, i, roots = 0;
	char name[NAME_MAX_TEXT];
	int k;

	for (k = 0; a->data[k] != NULL; k++) {
		const unsigned char *p = (const unsigned char *)a->data[k];
		size_t len = (size_t)a->len[k];

		if (len < 3 || dns_name_wire_to_text(p + 2, len - 2, name,
		    sizeof(name)) == 0)
			return -1;
		if (name[0] == 0) {
			roots++;
			continue;
		}
		if (n == sizeof(all) / sizeof(all[0])) {
			j->truncated = 1;
			continue;
		}
		memset(&all[n], 0, sizeof(all[n]));
		snprintf(all[n].name, sizeof(all[n].name), "%s", name);
		all[n].pref = (unsigned)p[0] << 8 | p[1];
		n++;
	}
	if (n == 0 && roots > 0)
		return 0;
	qsort(all, n, sizeof(all[0]), by_pref);
	for (i = 0; i < n; i++) {
		unsigned d;

		for (d = 0; d < j->nhosts; d++)
			if (strcmp(j->hosts[d].name, all[i].name) == 0)
				break;
		if (d < j->nhosts)
			continue;
		if (j->nhosts == DANE_MAX_HOSTS) {
			j->truncated = 1;
			break;
		}
		j->hosts[j->nhosts++] = all[i];
	}
	return 1;
}

/* got_mx - start every host's lookups */
static void
got_mx(struct dane_job *j, const struct dns_answer *a)
{
	char name[NAME_MAX_TEXT + 16], err[256], why[512];
	unsigned i;
	int rc;

	if (a->status == DNS_FAIL || a->status == DNS_BOGUS) {
		snprintf(why, sizeof(why), "MX lookup of %s: %s", j->domain,
		    a->why);
		finish(j, DANE_TEMP, why);
		return;
	}
	take_ttl(j, a->ttl);
	j->mx_secure = a->status == DNS_SECURE;
	if (a->nxdomain) {
		finish(j, DANE_NONE, j->mx_secure ? "no such domain (secure "
		    "denial)" : "no such domain");
		return;
	}
	if (a->data[0] == NULL) {
		if (!j->mx_secure) {
			finish(j, DANE_NONE, "no MX records, insecure");
			return;
		}
		j->implicit = 1;
		snprintf(j->hosts[0].name, sizeof(j->hosts[0].name), "%s",
		    j->domain);
		j->nhosts = 1;
	} else if ((rc = hosts_from_mx(j, a)) <= 0) {
		finish(j, rc == 0 ? DANE_NONE : DANE_TEMP, rc == 0 ?
		    "null MX: the domain accepts no mail" :
		    "malformed MX record");
		return;
	}
	for (i = 0; i < j->nhosts; i++) {
		struct dane_host *h = &j->hosts[i];

		snprintf(name, sizeof(name), "_25._tcp.%s", h->name);
		if (ask(j, &h->qs[0], h, h->name, DNS_T_A, err,
		    sizeof(err)) < 0 ||
		    ask(j, &h->qs[1], h, h->name, DNS_T_AAAA, err,
		    sizeof(err)) < 0 ||
		    ask(j, &h->qs[2], h, name, DNS_T_TLSA, err,
		    sizeof(err)) < 0) {
			finish(j, DANE_TEMP, err);
			return;
		}
	}
}

/* got_host - one of a host's answers */
static int
got_host(struct dane_job *j, struct dane_q *dq, const struct dns_answer *a,
    char *why, size_t whylen)
{
	struct dane_host *h = dq->host;
	int rrtype = dq->rrtype, at_canon = dq == &h->qs[3], k;
	char name[NAME_MAX_TEXT + 16];

	if (a->status == DNS_FAIL || a->status == DNS_BOGUS) {
		snprintf(why, whylen, "%s lookup of %s%s: %s",
		    rrtype == DNS_T_TLSA ? "TLSA" : rrtype == DNS_T_A ? "A" :
		    "AAAA", rrtype == DNS_T_TLSA ? "_25._tcp." : "",
		    at_canon ? h->canon : h->name, a->why);
		return -1;
	}
	/* a secure alias: ask for TLSA at the expanded name too, once */
	if (rrtype != DNS_T_TLSA && a->status == DNS_SECURE &&
	    a->canonname != NULL && h->canon[0] == 0 &&
	    strlen(a->canonname) < sizeof(h->canon)) {
		snprintf(h->canon, sizeof(h->canon), "%s", a->canonname);
		snprintf(name, sizeof(name), "_25._tcp.%s", h->canon);
		if (ask(j, &h->qs[3], h, name, DNS_T_TLSA, why, whylen) < 0)
			return -1;
	}
	if (a->data[0] == NULL) {
		if (a->status == DNS_SECURE)
			take_ttl(j, a->ttl);
		return 0;
	}
	take_ttl(j, a->ttl);
	if (rrtype != DNS_T_TLSA) {
		h->has_addr = 1;
		if (a->status == DNS_SECURE)
			h->addr_secure = 1;
		else
			h->addr_insecure = 1;
		return 0;
	}
	if (a->status != DNS_SECURE)
		return 0;	/* insecure TLSA records are not DANE */
	{
		enum tlsa_state *st = at_canon ? &h->tlsa_canon : &h->tlsa;
		unsigned *n = at_canon ? &h->tlsa_canon_n : &h->tlsa_n;

		*st = TLSA_UNUSABLE;
		for (k = 0; a->data[k] != NULL; k++) {
			(*n)++;
			if (dane_tlsa_usable((const unsigned char *)a->data[k],
			    (size_t)a->len[k]))
				*st = TLSA_USABLE;
		}
	}
	return 0;
}

static void
answered(const struct dns_answer *a, void *vdq)
{
	struct dane_q *dq = vdq;
	struct dane_job *j = dq->job;
	char why[512];

	dq->q = NULL;
	j->pending--;
	if (dq->host == NULL) {
		got_mx(j, a);
		return;
	}
	if (got_host(j, dq, a, why, sizeof(why)) < 0) {
		finish(j, DANE_TEMP, why);
		return;
	}
	if (j->pending == 0)
		decide(j);
}

struct dane_job *
dane_start(struct dns_resolver *r, const char *domain, dane_fn *fn,
    void *ctx, char *err, size_t errlen)
{
	struct dane_job *j = xcalloc(1, sizeof(*j));

	j->r = r;
	j->fn = fn;
	j->ctx = ctx;
	j->ttl = ~0u;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	if (ask(j, &j->mxq, NULL, domain, DNS_T_MX, err, errlen) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

void
dane_cancel(struct dane_job *j)
{
	if (j == NULL)
		return;
	cancel_all(j);
	free(j);
}
