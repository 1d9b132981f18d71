/*
 * check_tls.c - the SMTP client's TLS policy lookups: socketmap tables in
 * smtp_tls_policy_maps and smtp_tls_per_site (main.cf's, and each smtp(8)
 * transport's -o override in master.cf) against the endpoints and maps
 * tlsmap serves, one lookup each; an override that drops main.cf's tlsmap
 * table; tlsmap's idle_timeout against Postfix's socketmap client; and
 * tlsmap's postfix_version.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_conv.h"
#include "doctor.h"
#include "probe.h"
#include "sockcheck.h"

/*
 * Postfix's socketmap client (dict_sockmap.c, socketmap_table(5) PROTOCOL
 * LIMITS; fixed, no parameter through 3.12): it keeps one connection per
 * process and endpoint, closes it after 10 s idle or 100 s in use, and
 * waits 100 s for connect, send and receive.
 */
#define PF_SOCKMAP_MAX_IDLE_MS	10000
#define TLSMAP_IDLE_FIX		"300s"	/* tlsmap's default */

struct map_param {
	const char *param;
	bool	per_site;	/* wants map type persite */
};

static const struct map_param map_params[] = {
	{"smtp_tls_policy_maps", false},
	{"smtp_tls_per_site", true},
	{NULL, false},
};

/* The Postfix side of one table: who looks it up, from which value. */
struct map_use {
	const struct map_param *mp;
	const struct pf_service *svc;	/* for the chroot; NULL: none known */
	bool	override;		/* the value is svc's -o, not main.cf's */
	const char *value;		/* the parameter's whole value */
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

/*
 * split_table - socketmap:ENDPOINT:NAME into the endpoint as this host
 * sees it (a unix path through svc's chroot) and the name; -1 when the
 * table has no name
 */
static int
split_table(const struct doctor *doc, const struct pf_service *svc,
    const char *table, char *ep, size_t eplen, const char **name)
{
	const char *spec = table + 10;
	char host[1200];

	if ((*name = strrchr(spec, ':')) == NULL || *name == spec)
		return -1;
	snprintf(ep, eplen, "%.*s", (int)(*name - spec), spec);
	(*name)++;
	if (strncmp(ep, "unix:", 5) == 0) {
		if (svc != NULL)
			pfconf_smtpd_path(&doc->pf, svc, ep + 5, host,
			    sizeof(host));
		else
			snprintf(host, sizeof(host), "%.1100s", ep + 5);
		snprintf(ep, eplen, "unix:%.1100s", host);
	}
	return 0;
}

/* served - tlsmap listens where table points and serves it, right type */
static bool
served(const struct doctor *doc, const struct map_use *u, const char *table)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_TLSMAP];
	const char *name;
	char ep[1200], type[64];

	if (split_table(doc, u->svc, table, ep, sizeof(ep), &name) < 0 ||
	    !daemon_conf_listens(d, ep))
		return false;
	map_type(d, name, type, sizeof(type));
	return *type != 0 && (strcmp(type, "persite") == 0) ==
	    u->mp->per_site;
}

/*
 * postfix_endpoint - tlsmap's first listen endpoint as main.cf names it:
 * a unix socket under queue_directory relative to it (every Postfix
 * daemon runs there, chrooted or not)
 */
static void
postfix_endpoint(const struct doctor *doc, char *out, size_t outlen)
{
	const char *listen = daemon_conf_setting(&doc->daemon[DAEMON_TLSMAP],
	    "listen"), *it, *q = pfconf_get(&doc->pf, "queue_directory");
	size_t len, ql = q != NULL ? strlen(q) : 0;

	out[0] = 0;
	if ((it = cfg_conv_list_next(&listen, &len)) == NULL)
		return;
	if (len > 5 && strncmp(it, "unix:", 5) == 0 && ql > 0 &&
	    len > 5 + ql + 1 && strncmp(it + 5, q, ql) == 0 &&
	    it[5 + ql] == '/')
		snprintf(out, outlen, "unix:%.*s", (int)(len - 6 - ql),
		    it + 6 + ql);
	else
		snprintf(out, outlen, "%.*s", (int)len, it);
}

/* replaced - u's value with table replaced by with ("" drops it) */
static void
replaced(const struct map_use *u, const char *table, const char *with,
    char *out, size_t outlen)
{
	const char *v = u->value, *it;
	size_t len, n = 0, tl = strlen(table);

	out[0] = 0;
	while ((it = cfg_conv_list_next(&v, &len)) != NULL && n < outlen) {
		if (len == tl && memcmp(it, table, tl) == 0) {
			if (*with == 0)
				continue;
			n += (size_t)snprintf(out + n, outlen - n, "%s%s",
			    n ? ", " : "", with);
		} else
			n += (size_t)snprintf(out + n, outlen - n, "%s%.*s",
			    n ? ", " : "", (int)len, it);
	}
}

/* where - "smtp_tls_policy_maps" or "service relay/unix's -o smtp_..." */
static void
where(const struct map_use *u, char *out, size_t outlen)
{
	if (u->override)
		snprintf(out, outlen, "master.cf service %s/%s's -o %s",
		    u->svc->name, u->svc->type, u->mp->param);
	else
		snprintf(out, outlen, "%s", u->mp->param);
}

/* check_table - one socketmap:ENDPOINT:NAME of a value */
static void
check_table(struct doctor *doc, const struct map_use *u, const char *table)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_TLSMAP];
	const struct pf_service *fixsvc = u->override ? u->svc : NULL;
	const char *name;
	char ep[1200], what[8192], fix[8192], type[64], src[512];
	char reply[512], why[1024], good[1400], value[4096];
	bool want_persite;

	if (split_table(doc, u->svc, table, ep, sizeof(ep), &name) < 0)
		return;
	where(u, src, sizeof(src));
	if (!daemon_conf_listens(d, ep)) {
		snprintf(what, sizeof(what), "%s names %s, but tlsmap (%s) "
		    "listens on %s, not %s", src, table, d->config,
		    daemon_conf_setting(d, "listen"), ep);
		memcpy(good, "socketmap:", 10);
		postfix_endpoint(doc, good + 10, sizeof(good) - 10);
		snprintf(good + strlen(good), sizeof(good) - strlen(good),
		    ":%s", name);
		replaced(u, table, good, value, sizeof(value));
		doctor_fix_param(doc, fixsvc, u->mp->param, value, fix,
		    sizeof(fix));
		doctor_finding(doc, DOC_ERROR, what, "smtp(8) defers mail for "
		    "every destination while the table cannot be opened", fix);
		return;
	}
	map_type(d, name, type, sizeof(type));
	want_persite = u->mp->per_site;
	if (*type == 0) {
		snprintf(what, sizeof(what), "%s names %s, but tlsmap serves no "
		    "map %s (maps = %s)", src, table, name,
		    daemon_conf_setting(d, "maps"));
		doctor_finding(doc, DOC_ERROR, what, "every lookup answers PERM "
		    "and smtp(8) defers the mail", "name a map of the maps "
		    "setting in tlsmap's configuration, or add this one there");
		return;
	}
	if ((strcmp(type, "persite") == 0) != want_persite) {
		snprintf(what, sizeof(what), "%s names %s, a tlsmap map of "
		    "type %s", src, table, type);
		doctor_finding(doc, DOC_ERROR, what, want_persite ?
		    "smtp_tls_per_site wants NONE/MAY/MUST answers, not "
		    "policies" : "smtp_tls_policy_maps wants policies, not "
		    "per-site keywords", want_persite ? "name a persite map "
		    "here" : "name a policy or dynamic map here");
		return;
	}
	snprintf(what, sizeof(what), "smtp (service %s/%s%s)",
	    u->svc != NULL ? u->svc->name : "smtp",
	    u->svc != NULL ? u->svc->type : "unix",
	    u->svc != NULL && u->svc->chroot ? ", chrooted" : "");
	if (strncmp(ep, "unix:", 5) == 0 && !sockcheck_postfix(doc, what,
	    src, ep + 5, NULL))
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

/* each_table - fn for each socketmap table of u's value; how many */
static unsigned
each_table(struct doctor *doc, const struct map_use *u,
    void (*fn)(struct doctor *, const struct map_use *, const char *))
{
	const char *v = u->value, *it;
	char table[1024];
	size_t len;
	unsigned n = 0;

	while ((it = cfg_conv_list_next(&v, &len)) != NULL)
		if (len > 10 && strncmp(it, "socketmap:", 10) == 0) {
			snprintf(table, sizeof(table), "%.*s", (int)len, it);
			n++;
			if (fn != NULL)
				fn(doc, u, table);
		}
	return n;
}

/* served_table - the first table of u's value that tlsmap serves, or "" */
static void
served_table(const struct doctor *doc, const struct map_use *u, char *out,
    size_t outlen)
{
	const char *v = u->value, *it;
	size_t len;

	out[0] = 0;
	while ((it = cfg_conv_list_next(&v, &len)) != NULL)
		if (len > 10 && len < outlen &&
		    strncmp(it, "socketmap:", 10) == 0) {
			snprintf(out, outlen, "%.*s", (int)len, it);
			if (served(doc, u, out))
				return;
			out[0] = 0;
		}
}

/*
 * check_override - an smtp(8) transport's -o value of mp: its tables,
 * and whether it drops main.cf's tlsmap table
 */
static void
check_override(struct doctor *doc, const struct map_use *main_use,
    const struct pf_service *svc)
{
	struct map_use u = {main_use->mp, svc, true, NULL};
	char what[8192], fix[8192], keep[1024], value[4096];

	u.value = kvlist_get(&svc->overrides, u.mp->param);
	/* the same value, seen from the same chroot: checked already */
	if (strcmp(u.value, main_use->value) == 0 && (main_use->svc == NULL ||
	    main_use->svc->chroot == svc->chroot))
		return;
	if (each_table(doc, &u, check_table) > 0)
		return;
	served_table(doc, main_use, keep, sizeof(keep));
	if (*keep == 0)
		return;
	snprintf(what, sizeof(what), "master.cf service %s/%s overrides %s "
	    "with -o %s=%s, which drops tlsmap's %s (main.cf)", svc->name,
	    svc->type, u.mp->param, u.mp->param, u.value, keep);
	snprintf(value, sizeof(value), "%s%s%s", u.value, *u.value ? ", " :
	    "", keep);
	doctor_fix_param(doc, svc, u.mp->param, value, fix, sizeof(fix));
	doctor_finding(doc, DOC_WARNING, what, "mail through this transport "
	    "goes out without tlsmap's policies (the override replaces the "
	    "whole list)", fix);
}

void
check_tls_maps(struct doctor *doc)
{
	struct map_use u;
	const char *none = "";
	size_t i;

	if (!doc->daemon[DAEMON_TLSMAP].loaded)
		return;
	for (u.mp = map_params; u.mp->param != NULL; u.mp++) {
		u.svc = smtp_service(doc);
		u.override = false;
		u.value = pfconf_get(&doc->pf, u.mp->param);
		if (u.value == NULL)
			u.value = none;
		(void)each_table(doc, &u, check_table);
		for (i = 0; i < doc->pf.nsvc; i++)
			if (strcmp(doc->pf.svc[i].command, "smtp") == 0 &&
			    pfconf_service_overrides(&doc->pf.svc[i],
			    u.mp->param))
				check_override(doc, &u, &doc->pf.svc[i]);
	}
}

/* uses_tlsmap - some smtp(8) value names a table tlsmap serves */
static bool
uses_tlsmap(const struct doctor *doc)
{
	struct map_use u = {NULL, NULL, false, NULL};
	char t[1024];
	size_t i;

	for (u.mp = map_params; u.mp->param != NULL; u.mp++) {
		u.svc = smtp_service(doc);
		if ((u.value = pfconf_get(&doc->pf, u.mp->param)) != NULL) {
			served_table(doc, &u, t, sizeof(t));
			if (*t)
				return true;
		}
		for (i = 0; i < doc->pf.nsvc; i++) {
			u.svc = &doc->pf.svc[i];
			if (strcmp(u.svc->command, "smtp") != 0 ||
			    (u.value = kvlist_get(&u.svc->overrides,
			    u.mp->param)) == NULL)
				continue;
			served_table(doc, &u, t, sizeof(t));
			if (*t)
				return true;
		}
	}
	return false;
}

/* config_line - the line of file that sets name (0: none found) */
static int
config_line(const char *file, const char *name)
{
	char line[4096];
	size_t nl = strlen(name);
	int n = 0, found = 0;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		/* the last one wins, as in main.cf syntax */
		if (strncmp(line, name, nl) == 0 &&
		    strspn(line + nl, " \t") + nl < strlen(line) &&
		    line[nl + strspn(line + nl, " \t")] == '=')
			found = n;
	}
	fclose(f);
	return found;
}

void
check_tlsmap_idle(struct doctor *doc)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_TLSMAP];
	const char *v = daemon_conf_setting(d, "idle_timeout");
	char what[8192], fix[4096], why[1024];
	long long ms;
	int line;

	if (!d->loaded || cfg_conv_time(v, &ms) < 0 || ms == 0 ||
	    ms > PF_SOCKMAP_MAX_IDLE_MS || !uses_tlsmap(doc))
		return;
	snprintf(what, sizeof(what), "tlsmap (%s) closes idle connections "
	    "after %s (idle_timeout), but Postfix's socketmap client keeps "
	    "each one for reuse until it has been idle 10s", d->config, v);
	snprintf(why, sizeof(why), "tlsmap closes the connection first, so "
	    "the next lookup on it meets a closed socket; smtp(8) reconnects "
	    "and resends once and defers the mail when that fails too (the "
	    "client's 10s idle and 100s lifetime are fixed in Postfix)");
	if ((line = config_line(d->config, "idle_timeout")) > 0)
		snprintf(fix, sizeof(fix), "in %s, line %d: idle_timeout = "
		    TLSMAP_IDLE_FIX " (longer than Postfix's 10s, so Postfix "
		    "is the side that closes); then reload tlsmap", d->config,
		    line);
	else
		snprintf(fix, sizeof(fix), "idle_timeout = " TLSMAP_IDLE_FIX
		    " in %s; then reload tlsmap", d->config);
	doctor_finding(doc, DOC_WARNING, what, why, fix);
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
