/*
 * check_relay.c - the relay decision: the order of smtpd's restriction
 * lists, the policyd-ccert service in them, smtpd_tls_ask_ccert, and one
 * policy request over the endpoint smtpd uses.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_conv.h"
#include "doctor.h"
#include "probe.h"
#include "sockcheck.h"

#define MAX_ITEMS	64

static const char *const relay_lists[] = {
	"smtpd_relay_restrictions", "smtpd_recipient_restrictions", NULL,
};

/* A restriction list split into its items ("check_policy_service X"). */
struct rlist {
	char	item[MAX_ITEMS][512];
	int	n;
};

/* takes_arg - a restriction whose next word is its table or endpoint */
static bool
takes_arg(const char *w)
{
	return (strncmp(w, "check_", 6) == 0 &&
	    strcmp(w, "check_relay_domains") != 0) ||
	    strncmp(w, "reject_rbl_client", 17) == 0 ||
	    strncmp(w, "permit_dnswl_client", 19) == 0;
}

static void
rlist_split(struct rlist *l, const char *value)
{
	const char *p = value, *w;
	size_t len;
	bool join = false;

	l->n = 0;
	while ((w = cfg_conv_list_next(&p, &len)) != NULL) {
		if (join) {
			size_t have = strlen(l->item[l->n - 1]);

			snprintf(l->item[l->n - 1] + have,
			    sizeof(l->item[0]) - have, " %.*s", (int)len, w);
			join = false;
			continue;
		}
		if (l->n == MAX_ITEMS)
			break;
		snprintf(l->item[l->n], sizeof(l->item[0]), "%.*s", (int)len, w);
		join = takes_arg(l->item[l->n]);
		l->n++;
	}
}

static int
rlist_find(const struct rlist *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->item[i], name) == 0)
			return i;
	return -1;
}

/* rlist_unauth - the first reject_ or defer_unauth_destination, or -1 */
static int
rlist_unauth(const struct rlist *l)
{
	int a = rlist_find(l, "reject_unauth_destination");
	int b = rlist_find(l, "defer_unauth_destination");

	return a < 0 ? b : (b < 0 || a < b ? a : b);
}

/* rlist_moved - the list with item `from` placed just before `to` */
static void
rlist_moved(const struct rlist *l, int from, int to, char *out, size_t len)
{
	size_t n = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < l->n && n < len; i++) {
		if (i == from)
			continue;
		if (i == to)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			    n ? ", " : "", l->item[from]);
		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			    n ? ", " : "", l->item[i]);
	}
}

/*
 * ccert_item - is this item a check_policy_service that reaches
 * policyd-ccert? Its endpoint as the service's smtpd opens it is compared
 * with each of the daemon's listen endpoints; the endpoint in ep.
 */
static bool
ccert_item(const struct doctor *doc, const struct pf_service *svc,
    const char *item, char *ep, size_t eplen)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_CCERT];
	const char *arg;
	char host[1100];

	if (!d->loaded || strncmp(item, "check_policy_service ", 21) != 0)
		return false;
	arg = item + 21;
	if (strncmp(arg, "unix:", 5) == 0) {
		pfconf_smtpd_path(&doc->pf, svc, arg + 5, host, sizeof(host));
		snprintf(ep, eplen, "unix:%s", host);
	} else
		snprintf(ep, eplen, "%s", arg);
	return daemon_conf_listens(d, ep);
}

/* misplaced - item at i after the unauth check at u: an error */
static void
misplaced(struct doctor *doc, const struct pf_service *svc, const char *param,
    const struct rlist *l, int i, int u, const char *why)
{
	char what[8192], fixed[4096], fix[4600];

	if (pfconf_service_overrides(svc, param))
		snprintf(what, sizeof(what), "%s (master.cf service %s/%s) has "
		    "%s after %s", param, svc->name, svc->type, l->item[i],
		    l->item[u]);
	else
		snprintf(what, sizeof(what), "%s (main.cf) has %s after %s",
		    param, l->item[i], l->item[u]);
	rlist_moved(l, i, u, fixed, sizeof(fixed));
	doctor_fix_param(doc, svc, param, fixed, fix, sizeof(fix));
	doctor_finding(doc, DOC_ERROR, what, why, fix);
}

void
check_relay_order(struct doctor *doc)
{
	/* a main.cf list is reported once, not for every service using it */
	bool sasl_done[2] = {false, false}, ccert_done[2] = {false, false};
	const struct pf_service *svc;
	const char *v, *sasl;
	struct rlist l;
	char ep[1200];
	size_t s;
	int p, i, u;
	bool own;

	for (s = 0; s < doc->pf.nsvc; s++) {
		svc = &doc->pf.svc[s];
		if (!pfconf_is_smtpd(svc))
			continue;
		sasl = pfconf_service_get(&doc->pf, svc, "smtpd_sasl_auth_enable");
		for (p = 0; relay_lists[p] != NULL; p++) {
			own = pfconf_service_overrides(svc, relay_lists[p]);
			v = pfconf_service_get(&doc->pf, svc, relay_lists[p]);
			rlist_split(&l, v != NULL ? v : "");
			if ((u = rlist_unauth(&l)) < 0)
				continue;
			i = rlist_find(&l, "permit_sasl_authenticated");
			if (i > u && sasl != NULL && strcasecmp(sasl, "yes") == 0 &&
			    (own || !sasl_done[p])) {
				misplaced(doc, svc, relay_lists[p], &l, i, u,
				    "clients that logged in with SMTP AUTH are "
				    "refused relaying before it is looked at");
				sasl_done[p] |= !own;
			}
			for (i = u + 1; i < l.n; i++)
				if ((own || !ccert_done[p]) && ccert_item(doc,
				    svc, l.item[i], ep, sizeof(ep))) {
					misplaced(doc, svc, relay_lists[p], &l,
					    i, u, "policyd-ccert can only "
					    "permit relaying before "
					    "reject_unauth_destination refuses it");
					ccert_done[p] |= !own;
				}
		}
	}
}

/* uses_ccert - the first restriction of svc that asks policyd-ccert */
static bool
uses_ccert(const struct doctor *doc, const struct pf_service *svc,
    char *ep, size_t eplen)
{
	struct rlist l;
	const char *v;
	int p, i;

	for (p = 0; relay_lists[p] != NULL; p++) {
		v = pfconf_service_get(&doc->pf, svc, relay_lists[p]);
		rlist_split(&l, v != NULL ? v : "");
		for (i = 0; i < l.n; i++)
			if (ccert_item(doc, svc, l.item[i], ep, eplen))
				return true;
	}
	return false;
}

void
check_ccert(struct doctor *doc)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_CCERT];
	const struct pf_service *svc;
	char ep[1200], what[8192], fix[4096], why[1024], action[512];
	const char *v;
	bool used = false, probed = false;
	size_t s;

	if (!d->loaded)
		return;
	for (s = 0; s < doc->pf.nsvc; s++) {
		svc = &doc->pf.svc[s];
		if (!pfconf_is_smtpd(svc) || !uses_ccert(doc, svc, ep,
		    sizeof(ep)))
			continue;
		used = true;
		v = pfconf_service_get(&doc->pf, svc, "smtpd_tls_ask_ccert");
		if (v == NULL || strcasecmp(v, "yes") != 0) {
			snprintf(what, sizeof(what), "smtpd (service %s/%s) asks "
			    "policyd-ccert with smtpd_tls_ask_ccert = %s",
			    svc->name, svc->type, v ? v : "no");
			doctor_fix_param(doc, svc, "smtpd_tls_ask_ccert", "yes",
			    fix, sizeof(fix));
			doctor_finding(doc, DOC_ERROR, what, "smtpd never asks "
			    "the client for a certificate, so the policy sees "
			    "no fingerprint and never permits", fix);
		}
		if (probed)
			continue;
		probed = true;
		ccert_check_pins(doc, svc);
		snprintf(what, sizeof(what), "smtpd (service %s/%s)", svc->name,
		    svc->type);
		if (strncmp(ep, "unix:", 5) == 0 && !sockcheck_postfix(doc,
		    what, "check_policy_service", ep + 5, NULL))
			continue;
		if (probe_policy(ep, DOCTOR_PROBE_MS, action, sizeof(action),
		    why, sizeof(why)) < 0) {
			snprintf(what, sizeof(what), "policyd-ccert at %s does "
			    "not answer a policy request: %s", ep, why);
			doctor_finding(doc, DOC_ERROR, what, "smtpd answers "
			    "451 4.3.5 to every recipient while the policy "
			    "service does not answer", "start policyd-ccert "
			    "and look at its log");
		}
	}
	if (!used) {
		snprintf(what, sizeof(what), "policyd-ccert (%s) listens on %s, "
		    "but no smtpd_relay_restrictions or "
		    "smtpd_recipient_restrictions asks it", d->config,
		    daemon_conf_setting(d, "listen"));
		doctor_finding(doc, DOC_WARNING, what, "client certificates "
		    "never permit relaying", "add check_policy_service "
		    "ENDPOINT before reject_unauth_destination in "
		    "smtpd_relay_restrictions (see policyd-ccert(8))");
	}
}
