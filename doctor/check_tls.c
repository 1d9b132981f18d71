/*
 * check_tls.c - the SMTP client's TLS policy lookups: socketmap tables in
 * smtp_tls_policy_maps and smtp_tls_per_site against the endpoints and
 * maps tlsmap serves, one lookup each, and tlsmap's postfix_version.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_conv.h"
#include "doctor.h"
#include "probe.h"
#include "sockcheck.h"

struct map_param {
	const char *param;
	bool	per_site;	/* wants map type persite */
};

static const struct map_param map_params[] = {
	{"smtp_tls_policy_maps", false},
	{"smtp_tls_per_site", true},
	{NULL, false},
};

/* smtp_service - the smtp(8) client service, for its chroot */
static const struct pf_service *
smtp_service(const struct doctor *doc)
{
	size_t i;

	for (i = 0; i < doc->pf.nsvc; i++)
		if (strcmp(doc->pf.svc[i].name, "smtp") == 0 &&
		    strcmp(doc->pf.svc[i].type, "unix") == 0)
			return &doc->pf.svc[i];
	return NULL;
}

/* map_type - the type tlsmap's maps setting gives name, or "" */
static void
map_type(const struct daemon_conf *d, const char *name, char *type,
    size_t len)
{
	const char *maps = daemon_conf_setting(d, "maps"), *it, *eq, *colon;
	size_t n, nl = strlen(name);

	type[0] = 0;
	while ((it = cfg_conv_list_next(&maps, &n)) != NULL) {
		eq = memchr(it, '=', n);
		if (eq == NULL || (size_t)(eq - it) != nl ||
		    memcmp(it, name, nl) != 0)
			continue;
		colon = memchr(eq, ':', n - (size_t)(eq - it));
		snprintf(type, len, "%.*s", (int)((colon ? colon : it + n) -
		    eq - 1), eq + 1);
		return;
	}
}

/* check_table - one socketmap:ENDPOINT:NAME of param */
static void
check_table(struct doctor *doc, const struct map_param *mp,
    const char *table)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_TLSMAP];
	const struct pf_service *smtp = smtp_service(doc);
	const char *spec = table + 10, *name;
	char ep[1200], host[1200], what[8192], fix[4096], type[64];
	char reply[512], why[1024];
	bool want_persite;

	if ((name = strrchr(spec, ':')) == NULL || name == spec)
		return;
	snprintf(ep, sizeof(ep), "%.*s", (int)(name - spec), spec);
	name++;
	if (strncmp(ep, "unix:", 5) == 0) {
		if (smtp != NULL)
			pfconf_smtpd_path(&doc->pf, smtp, ep + 5, host,
			    sizeof(host));
		else
			snprintf(host, sizeof(host), "%.1100s", ep + 5);
		snprintf(ep, sizeof(ep), "unix:%.1100s", host);
	}
	if (!daemon_conf_listens(d, ep)) {
		snprintf(what, sizeof(what), "%s names %s, but tlsmap (%s) "
		    "listens on %s, not %s", mp->param, table, d->config,
		    daemon_conf_setting(d, "listen"), ep);
		snprintf(fix, sizeof(fix), "in %s, use socketmap:%s:%s",
		    mp->param, daemon_conf_setting(d, "listen"), name);
		doctor_finding(doc, DOC_ERROR, what, "smtp(8) defers mail for "
		    "every destination while the table cannot be opened", fix);
		return;
	}
	map_type(d, name, type, sizeof(type));
	want_persite = mp->per_site;
	if (*type == 0) {
		snprintf(what, sizeof(what), "%s names %s, but tlsmap serves no "
		    "map %s (maps = %s)", mp->param, table, name,
		    daemon_conf_setting(d, "maps"));
		doctor_finding(doc, DOC_ERROR, what, "every lookup answers PERM "
		    "and smtp(8) defers the mail", "name a map of the maps "
		    "setting in tlsmap's configuration, or add this one there");
		return;
	}
	if ((strcmp(type, "persite") == 0) != want_persite) {
		snprintf(what, sizeof(what), "%s names %s, a tlsmap map of "
		    "type %s", mp->param, table, type);
		doctor_finding(doc, DOC_ERROR, what, want_persite ?
		    "smtp_tls_per_site wants NONE/MAY/MUST answers, not "
		    "policies" : "smtp_tls_policy_maps wants policies, not "
		    "per-site keywords", want_persite ? "name a persite map "
		    "here" : "name a policy or dynamic map here");
		return;
	}
	snprintf(what, sizeof(what), "smtp (service smtp/unix%s)",
	    smtp != NULL && smtp->chroot ? ", chrooted" : "");
	if (strncmp(ep, "unix:", 5) == 0 && !sockcheck_postfix(doc, what,
	    mp->param, ep + 5, NULL))
		return;
	if (probe_socketmap(ep, name, "pfhelpers-doctor.invalid",
	    DOCTOR_PROBE_MS, reply, sizeof(reply), why, sizeof(why)) < 0) {
		snprintf(what, sizeof(what), "tlsmap at %s does not answer a "
		    "lookup in %s: %s", ep, name, why);
		doctor_finding(doc, DOC_ERROR, what, "smtp(8) defers mail for "
		    "every destination", "start tlsmap and look at its log");
	} else if (strncmp(reply, "TEMP ", 5) == 0 ||
	    strncmp(reply, "PERM ", 5) == 0) {
		snprintf(what, sizeof(what), "tlsmap at %s answers a lookup "
		    "in %s with %s", ep, name, reply);
		doctor_finding(doc, DOC_ERROR, what, "smtp(8) defers mail for "
		    "every destination", "tlsmap check lists what is wrong "
		    "with the map's file");
	}
}

void
check_tls_maps(struct doctor *doc)
{
	const struct map_param *mp;
	const char *v, *it;
	char table[1024];
	size_t len;

	if (!doc->daemon[DAEMON_TLSMAP].loaded)
		return;
	for (mp = map_params; mp->param != NULL; mp++) {
		if ((v = pfconf_get(&doc->pf, mp->param)) == NULL)
			continue;
		while ((it = cfg_conv_list_next(&v, &len)) != NULL)
			if (len > 10 && strncmp(it, "socketmap:", 10) == 0) {
				snprintf(table, sizeof(table), "%.*s", (int)len,
				    it);
				check_table(doc, mp, table);
			}
	}
}

void
check_tlsmap_version(struct doctor *doc)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_TLSMAP];
	const char *v = daemon_conf_setting(d, "postfix_version");
	char what[8192], fix[4096];
	int major, minor;

	if (!d->loaded || sscanf(v, "%d.%d", &major, &minor) != 2)
		return;
	if (major < doc->pf.major || (major == doc->pf.major &&
	    minor <= doc->pf.minor))
		return;
	snprintf(what, sizeof(what), "tlsmap (%s) validates policies for "
	    "Postfix %s, but the installed Postfix is %s", d->config, v,
	    pfconf_get(&doc->pf, "mail_version"));
	snprintf(fix, sizeof(fix), "postfix_version = %d.%d in %s",
	    doc->pf.major, doc->pf.minor, d->config);
	doctor_finding(doc, DOC_ERROR, what, "a policy with a newer feature "
	    "passes tlsmap's validation and makes this Postfix defer the "
	    "mail (4.7.5 invalid attribute name)", fix);
}
