/*
 * dns_resolver.c - libunbound on our event loop (see dns_resolver.h)
 */
#include "sysdep.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unbound.h>

#include "cfg_conv.h"
#include "dns_resolver.h"
#include "ev.h"
#include "log.h"
#include "xalloc.h"

#define ITEM_MAX	512	/* one list item: a zone, an address, a path */

struct dns_query {
	struct dns_resolver *r;
	struct dns_query *prev, *next;
	int	 async_id;
	dns_fn	*fn;
	void	*ctx;
};

struct dns_resolver {
	struct ev *ev;
	struct ub_ctx *ub;
	int	 fd;
	struct dns_query *queries;
	unsigned n;
};

const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_SECURE:
		return "secure";
	case DNS_INSECURE:
		return "insecure";
	case DNS_BOGUS:
		return "bogus";
	case DNS_FAIL:
		break;
	}
	return "failed";
}

/* item - the next list item as a NUL-terminated copy; NULL at the end */
static const char *
item(const char **p, char *out, size_t outlen, int *toolong)
{
	const char *s;
	size_t n;

	*toolong = 0;
	if ((s = cfg_conv_list_next(p, &n)) == NULL)
		return NULL;
	if (n >= outlen) {
		*toolong = 1;
		n = outlen - 1;
	}
	memcpy(out, s, n);
	out[n] = 0;
	return out;
}

/* addr_ok - "ADDR" or "ADDR@PORT" with an IP literal and a port 1-65535 */
static int
addr_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t n = at ? (size_t)(at - a) : strlen(a);
	char *end;
	long port;

	if (n == 0 || n > 45 || strspn(a, "0123456789abcdefABCDEF.:") < n)
		return 0;
	if (at == NULL)
		return 1;
	errno = 0;
	port = strtol(at + 1, &end, 10);
	return at[1] != 0 && *end == 0 && errno == 0 && port > 0 &&
	    port < 65536;
}

/* zone_ok - a domain name with a final dot allowed, LDH labels */
static int
zone_ok(const char *z, size_t n)
{
	size_t i, label = 0;

	if (n == 1 && z[0] == '.')
		return 1;
	if (n == 0 || n > 254)
		return 0;
	for (i = 0; i < n; i++) {
		if (z[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)z[i]) || z[i] == '-' ||
		    z[i] == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return 1;
}

int
dns_cfg_check(const struct dns_cfg *c, char *err, size_t errlen)
{
	char buf[ITEM_MAX], *eq;
	const char *p;
	int toolong;

	p = c->forwarders;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL)
		if (toolong || !addr_ok(buf)) {
			snprintf(err, errlen, "dns_forwarders: \"%.100s\" is "
			    "not ADDR or ADDR@PORT (an IP address)", buf);
			return -1;
		}
	p = c->stub_zones;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL) {
		eq = strchr(buf, '=');
		if (toolong || eq == NULL || !zone_ok(buf, (size_t)(eq - buf)) ||
		    !addr_ok(eq + 1)) {
			snprintf(err, errlen, "dns_stub_zones: \"%.100s\" is "
			    "not ZONE=ADDR@PORT", buf);
			return -1;
		}
	}
	p = c->anchor_files;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL)
		if (toolong || buf[0] != '/') {
			snprintf(err, errlen, "dns_trust_anchor_file: \"%.100s\" "
			    "is not an absolute path", buf);
			return -1;
		}
	return 0;
}

/* add_anchors - every DS/DNSKEY line of one file; the number, or -1 */
static int
add_anchors(struct ub_ctx *ub, const char *path, char *err, size_t errlen)
{
	char *line = NULL, *s, *e;
	size_t cap = 0;
	unsigned lineno = 0;
	int n = 0, rc;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "dns_trust_anchor_file: %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		/* zone file comments; base64 and hex never hold ';' */
		if ((e = strchr(line, ';')) != NULL)
			*e = 0;
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = 0;
		if (*s == 0)
			continue;
		if (strstr(s, " DS ") == NULL && strstr(s, "\tDS\t") == NULL &&
		    strstr(s, " DNSKEY ") == NULL &&
		    strstr(s, "\tDNSKEY\t") == NULL) {
			snprintf(err, errlen, "dns_trust_anchor_file: %s, line "
			    "%u: not a DS or DNSKEY record", path, lineno);
			n = -1;
			break;
		}
		if ((rc = ub_ctx_add_ta(ub, s)) != 0) {
			snprintf(err, errlen, "dns_trust_anchor_file: %s, line "
			    "%u: %s", path, lineno, ub_strerror(rc));
			n = -1;
			break;
		}
		n++;
	}
	if (n == 0)
		snprintf(err, errlen, "dns_trust_anchor_file: %s: no DS or "
		    "DNSKEY record", path);
	free(line);
	fclose(f);
	return n > 0 ? n : -1;
}

/* configure - every setting, before the context is finalised */
static int
configure(struct ub_ctx *ub, const struct dns_cfg *c, char *err,
    size_t errlen)
{
	char buf[ITEM_MAX], zone[ITEM_MAX + 16], *eq;
	const char *p;
	int toolong, rc, local = 0;

	if (dns_cfg_check(c, err, errlen) < 0)
		return -1;
	p = c->anchor_files;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL)
		if (add_anchors(ub, buf, err, errlen) < 0)
			return -1;
	p = c->forwarders;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL) {
		if ((rc = ub_ctx_set_fwd(ub, buf)) != 0) {
			snprintf(err, errlen, "dns_forwarders: %s: %s", buf,
			    ub_strerror(rc));
			return -1;
		}
		local = 1;
	}
	p = c->stub_zones;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL) {
		eq = strchr(buf, '=');
		*eq = 0;
		/* a stub overrides a built-in local zone (test., invalid.) */
		snprintf(zone, sizeof(zone), "%s nodefault", buf);
		if ((rc = ub_ctx_set_option(ub, "local-zone:", zone)) != 0 ||
		    (rc = ub_ctx_set_stub(ub, buf, eq + 1, 0)) != 0) {
			snprintf(err, errlen, "dns_stub_zones: %s=%s: %s", buf,
			    eq + 1, ub_strerror(rc));
			return -1;
		}
		local = 1;
	}
	/*
	 * The servers the admin names may be on loopback (a local validating
	 * resolver, a split-horizon server); libunbound refuses those unless
	 * told. Full recursion keeps the default.
	 */
	if (local && (rc = ub_ctx_set_option(ub, "do-not-query-localhost:",
	    "no")) != 0) {
		snprintf(err, errlen, "libunbound: %s", ub_strerror(rc));
		return -1;
	}
	/* the worker thread, not a forked process: we drop privileges */
	if ((rc = ub_ctx_async(ub, 1)) != 0) {
		snprintf(err, errlen, "libunbound: %s", ub_strerror(rc));
		return -1;
	}
	/*
	 * libunbound answers some zones itself (test., invalid., the private
	 * reverse zones, RFC 6761); "local-zone: Z nodefault" above is not
	 * enough for the library's defaults, so the stub zones are removed
	 * from its local data as well (this finalises the context: it comes
	 * last).
	 */
	p = c->stub_zones;
	while (item(&p, buf, sizeof(buf), &toolong) != NULL) {
		*strchr(buf, '=') = 0;
		if ((rc = ub_ctx_zone_remove(ub, buf)) != 0) {
			snprintf(err, errlen, "dns_stub_zones: %s: %s", buf,
			    ub_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static void
ready(struct ev *ev, int fd, uint32_t events, void *vr)
{
	struct dns_resolver *r = vr;
	int rc;

	if ((rc = ub_process(r->ub)) != 0)
		log_warn("libunbound: %s", ub_strerror(rc));
}

struct dns_resolver *
dns_resolver_new(struct ev *ev, const struct dns_cfg *c, char *err,
    size_t errlen)
{
	struct dns_resolver *r;
	struct ub_ctx *ub;

	if ((ub = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "libunbound: cannot create a context");
		return NULL;
	}
	if (configure(ub, c, err, errlen) < 0) {
		ub_ctx_delete(ub);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->ev = ev;
	r->ub = ub;
	r->fd = ub_fd(ub);
	if (r->fd < 0 || ev_fd_add(ev, r->fd, EV_READ, ready, r) < 0) {
		snprintf(err, errlen, "libunbound: no result descriptor");
		ub_ctx_delete(ub);
		free(r);
		return NULL;
	}
	return r;
}

static void
unlink_query(struct dns_query *q)
{
	struct dns_resolver *r = q->r;

	if (q->prev)
		q->prev->next = q->next;
	else
		r->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	r->n--;
}

void
dns_resolver_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	while (r->queries != NULL)
		dns_query_cancel(r->queries);
	ev_fd_del(r->ev, r->fd);
	/* joins libunbound's thread; its descriptor is its own to close */
	ub_ctx_delete(r->ub);
	free(r);
}

/* answered - libunbound's callback, from ub_process() on the loop */
static void
answered(void *vq, int rc, struct ub_result *res)
{
	struct dns_query *q = vq;
	struct dns_answer a;
	static char *none[1];
	static int nolen[1];
	char why[256], canon[256];
	size_t cl;

	memset(&a, 0, sizeof(a));
	a.data = none;
	a.len = nolen;
	if (rc != 0 || res == NULL) {
		a.status = DNS_FAIL;
		snprintf(why, sizeof(why), "resolver error: %s",
		    ub_strerror(rc));
		a.why = why;
	} else {
		a.rcode = res->rcode;
		a.nxdomain = res->nxdomain;
		a.ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
		if (res->bogus) {
			a.status = DNS_BOGUS;
			snprintf(why, sizeof(why), "DNSSEC validation failed: %s",
			    res->why_bogus ? res->why_bogus : "bogus");
			a.why = why;
		} else if (res->rcode != 0 && res->rcode != 3) {
			/* SERVFAIL (servers down, lame), REFUSED, ... */
			a.status = DNS_FAIL;
			snprintf(why, sizeof(why), "rcode %d%s", res->rcode,
			    res->rcode == 2 ? " (SERVFAIL)" :
			    res->rcode == 5 ? " (REFUSED)" : "");
			a.why = why;
		} else {
			a.status = res->secure ? DNS_SECURE : DNS_INSECURE;
			if (res->havedata) {
				a.data = res->data;
				a.len = res->len;
			}
			if (res->canonname != NULL && res->qname != NULL &&
			    strcasecmp(res->canonname, res->qname) != 0 &&
			    (cl = strlen(res->canonname)) < sizeof(canon)) {
				memcpy(canon, res->canonname, cl + 1);
				if (cl > 1 && canon[cl - 1] == '.')
					canon[cl - 1] = 0;
				a.canonname = canon;
			}
		}
	}
	unlink_query(q);
	q->fn(&a, q->ctx);
	if (res != NULL)
		ub_resolve_free(res);
	free(q);
}

struct dns_query *
dns_query(struct dns_resolver *r, const char *name, int rrtype, dns_fn *fn,
    void *ctx, char *err, size_t errlen)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	int rc;

	q->r = r;
	q->fn = fn;
	q->ctx = ctx;
	if ((rc = ub_resolve_async(r->ub, name, rrtype, 1, q, answered,
	    &q->async_id)) != 0) {
		snprintf(err, errlen, "libunbound: %s", ub_strerror(rc));
		free(q);
		return NULL;
	}
	q->next = r->queries;
	if (r->queries)
		r->queries->prev = q;
	r->queries = q;
	r->n++;
	return q;
}

void
dns_query_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	(void)ub_cancel(q->r->ub, q->async_id);
	unlink_query(q);
	free(q);
}

unsigned
dns_in_flight(const struct dns_resolver *r)
{
	return r->n;
}

size_t
dns_name_wire_to_text(const unsigned char *p, size_t n, char *out,
    size_t outlen)
{
	size_t i = 0, o = 0, l, k;

	for (;;) {
		if (i >= n)
			return 0;
		l = p[i++];
		if (l == 0)
			break;
		/* room for the dot before a label but the first, and the NUL */
		if (l > 63 || i + l > n || o + (o > 0) + l + 1 > outlen)
			return 0;
		if (o > 0)
			out[o++] = '.';
		for (k = 0; k < l; k++) {
			unsigned char c = p[i + k];

			/* a host name is LDH; anything else is not one */
			if (!isalnum(c) && c != '-' && c != '_')
				return 0;
			out[o++] = (char)tolower(c);
		}
		i += l;
	}
	if (o >= outlen)
		return 0;
	out[o] = 0;
	return i;
}
