/*
 * check_sasl.c - SMTP AUTH wiring: smtpd's SASL settings, Cyrus's
 * smtpd.conf, the saslauthd or Dovecot socket as smtpd sees it (against
 * saslauthd-lite's run_dir or dovecot_listen when it is set up here), and
 * one request over it: a password check, or the Dovecot handshake and one
 * AUTH PLAIN.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "doctor.h"
#include "endpoint.h"
#include "postconf.h"
#include "probe.h"
#include "sockcheck.h"

#define SASLAUTHD_DEFAULT_PATH	"/var/run/saslauthd/mux"

/* The mechanisms that need the plaintext password on the server side. */
static const char *const shared_secret_mechs[] = {
	"CRAM-MD5", "DIGEST-MD5", "SCRAM-", "OTP", "SRP", "NTLM", NULL,
};

struct smtpd_conf {
	char	path[1024];
	char	pwcheck[256];
	char	mech_list[1024];
	char	saslauthd_path[1024];
	bool	has_mech_list;
};

/* sasl_enabled - the service offers SMTP AUTH of this type */
static bool
sasl_enabled(const struct doctor *doc, const struct pf_service *svc,
    const char *type)
{
	const char *on = pfconf_service_get(&doc->pf, svc, "smtpd_sasl_auth_enable");
	const char *t = pfconf_service_get(&doc->pf, svc, "smtpd_sasl_type");

	return pfconf_is_smtpd(svc) && on != NULL && strcasecmp(on, "yes") == 0
	    && t != NULL && strcmp(t, type) == 0;
}

/* read_smtpd_conf - libsasl2's "key: value" lines; 0, or -1 (not there) */
static int
read_smtpd_conf(const char *search, const char *name, struct smtpd_conf *c)
{
	char dirs[2048], *dir, *save = NULL, line[2048], *k, *v;
	FILE *f = NULL;

	memset(c, 0, sizeof(*c));
	snprintf(dirs, sizeof(dirs), "%s", search);
	for (dir = strtok_r(dirs, ":", &save); dir != NULL && f == NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(c->path, sizeof(c->path), "%s/%s.conf", dir, name);
		f = fopen(c->path, "r");
	}
	if (f == NULL)
		return -1;
	snprintf(c->saslauthd_path, sizeof(c->saslauthd_path), "%s",
	    SASLAUTHD_DEFAULT_PATH);
	while (fgets(line, sizeof(line), f) != NULL) {
		k = postconf_first_line(line);
		if (*k == '#' || (v = strchr(k, ':')) == NULL)
			continue;
		*v++ = 0;
		k = postconf_first_line(k);
		v = postconf_first_line(v);
		if (strcmp(k, "pwcheck_method") == 0)
			snprintf(c->pwcheck, sizeof(c->pwcheck), "%s", v);
		else if (strcmp(k, "mech_list") == 0) {
			snprintf(c->mech_list, sizeof(c->mech_list), "%s", v);
			c->has_mech_list = true;
		} else if (strcmp(k, "saslauthd_path") == 0)
			snprintf(c->saslauthd_path, sizeof(c->saslauthd_path),
			    "%s", v);
	}
	fclose(f);
	return 0;
}

/* bad_mechs - the shared-secret mechanisms mech_list names, or "" */
static void
bad_mechs(const char *list, char *out, size_t outlen)
{
	char copy[1024], *m, *save = NULL;
	size_t n = 0;
	int i;

	out[0] = 0;
	snprintf(copy, sizeof(copy), "%s", list);
	for (m = strtok_r(copy, " \t,", &save); m != NULL;
	    m = strtok_r(NULL, " \t,", &save))
		for (i = 0; shared_secret_mechs[i] != NULL; i++)
			if (strncasecmp(m, shared_secret_mechs[i],
			    strlen(shared_secret_mechs[i])) == 0) {
				n += (size_t)snprintf(out + n, outlen - n,
				    "%s%s", n ? " " : "", m);
				if (n >= outlen)
					return;
				break;
			}
}

/* check_auth_only - AUTH offered before STARTTLS sends passwords in clear */
static void
check_auth_only(struct doctor *doc, const struct pf_service *svc)
{
	const char *v = pfconf_service_get(&doc->pf, svc, "smtpd_tls_auth_only");
	const char *lvl = pfconf_service_get(&doc->pf, svc,
	    "smtpd_tls_security_level");
	char what[8192], fix[4096];

	if ((v != NULL && strcasecmp(v, "yes") == 0) ||
	    (lvl != NULL && strcmp(lvl, "encrypt") == 0))
		return;
	snprintf(what, sizeof(what), "smtpd (service %s/%s) offers SMTP AUTH "
	    "with smtpd_tls_auth_only = no", svc->name, svc->type);
	doctor_fix_param(doc, svc, "smtpd_tls_auth_only", "yes", fix,
	    sizeof(fix));
	doctor_finding(doc, DOC_WARNING, what, "PLAIN and LOGIN then carry "
	    "passwords in clear text before STARTTLS", fix);
}

/*
 * check_saslauthd_lite_path - smtpd and saslauthd-lite on one socket;
 * false (and an error) when they are not
 */
static bool
check_saslauthd_lite_path(struct doctor *doc, const struct pf_service *svc,
    const struct smtpd_conf *c, const char *host_path)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_SASL];
	const char *q = pfconf_get(&doc->pf, "queue_directory");
	char mux[1100], a[4096], b[4096], what[8192], fix[4096];
	size_t ql = q ? strlen(q) : 0;

	if (!d->loaded)
		return true;
	snprintf(mux, sizeof(mux), "%s/mux", daemon_conf_setting(d, "run_dir"));
	if (realpath(host_path, a) == NULL)
		snprintf(a, sizeof(a), "%s", host_path);
	if (realpath(mux, b) == NULL)
		snprintf(b, sizeof(b), "%s", mux);
	if (strcmp(a, b) == 0)
		return true;
	snprintf(what, sizeof(what), "smtpd (service %s/%s, %s) looks for "
	    "saslauthd at %s, but saslauthd-lite (%s) listens on %s",
	    svc->name, svc->type, svc->chroot ? "chrooted" : "not chrooted",
	    host_path, d->config, mux);
	if (svc->chroot && ql > 0 && strncmp(mux, q, ql) == 0 &&
	    mux[ql] == '/')
		snprintf(fix, sizeof(fix), "saslauthd_path: %s in %s",
		    mux + ql, c->path);
	else if (svc->chroot)
		snprintf(fix, sizeof(fix), "run_dir = %.*s in %s (inside the "
		    "chroot %s)", (int)(strrchr(host_path, '/') - host_path),
		    host_path, d->config, q ? q : "");
	else
		snprintf(fix, sizeof(fix), "saslauthd_path: %s in %s", mux,
		    c->path);
	doctor_finding(doc, DOC_ERROR, what, "every SMTP AUTH fails with "
	    "\"cannot connect to saslauthd server\"", fix);
	return false;
}

/* check_cyrus_service - one smtpd with smtpd_sasl_type = cyrus */
static void
check_cyrus_service(struct doctor *doc, const struct pf_service *svc)
{
	const char *cfgpath = pfconf_get(&doc->pf, "cyrus_sasl_config_path");
	const char *app = pfconf_service_get(&doc->pf, svc, "smtpd_sasl_path");
	const char *search = cfgpath != NULL && *cfgpath ? cfgpath :
	    doc->sasl_search;
	struct smtpd_conf c;
	char what[8192], fix[4096], bad[512], host[1100], ep[1200];
	char reply[256], why[1024], setting[4096];

	check_auth_only(doc, svc);
	if (app == NULL || *app == 0)
		app = "smtpd";
	if (read_smtpd_conf(search, app, &c) < 0) {
		snprintf(what, sizeof(what), "smtpd (service %s/%s) uses Cyrus "
		    "SASL, but there is no %s.conf in %s", svc->name,
		    svc->type, app, search);
		snprintf(fix, sizeof(fix), "create %s/%s.conf with the lines "
		    "pwcheck_method: saslauthd and mech_list: PLAIN LOGIN",
		    strtok(strcpy(host, search), ":"), app);
		doctor_finding(doc, DOC_ERROR, what, "libsasl2 then checks "
		    "passwords against its own sasldb, not saslauthd", fix);
		return;
	}
	if (strcmp(c.pwcheck, "saslauthd") != 0) {
		snprintf(what, sizeof(what), "%s has pwcheck_method: %s, not "
		    "saslauthd", c.path, *c.pwcheck ? c.pwcheck : "(none)");
		snprintf(fix, sizeof(fix), "pwcheck_method: saslauthd in %s",
		    c.path);
		doctor_finding(doc, doc->daemon[DAEMON_SASL].loaded ?
		    DOC_ERROR : DOC_INFO, what, "smtpd never asks saslauthd "
		    "(saslauthd-lite)", fix);
		return;
	}
	bad_mechs(c.mech_list, bad, sizeof(bad));
	snprintf(fix, sizeof(fix), "mech_list: PLAIN LOGIN in %s", c.path);
	if (!c.has_mech_list) {
		snprintf(what, sizeof(what), "%s has no mech_list", c.path);
		doctor_finding(doc, DOC_WARNING, what, "smtpd offers every "
		    "installed mechanism, and CRAM-MD5 or DIGEST-MD5 cannot "
		    "work with saslauthd's plaintext check", fix);
	} else if (*bad) {
		snprintf(what, sizeof(what), "%s offers %s with pwcheck_method: "
		    "saslauthd", c.path, bad);
		doctor_finding(doc, DOC_ERROR, what, "saslauthd only checks "
		    "plaintext passwords: a client that picks these "
		    "mechanisms always fails", fix);
	}
	pfconf_smtpd_path(&doc->pf, svc, c.saslauthd_path, host, sizeof(host));
	if (!check_saslauthd_lite_path(doc, svc, &c, host))
		return;
	snprintf(what, sizeof(what), "smtpd (service %s/%s)", svc->name,
	    svc->type);
	snprintf(setting, sizeof(setting), "saslauthd_path: %s in %s%s",
	    c.saslauthd_path, c.path, svc->chroot ? ", chrooted" : "");
	snprintf(fix, sizeof(fix), "run_dir = %.*s in %s, so that "
	    "saslauthd-lite listens where smtpd looks", (int)(strrchr(host,
	    '/') - host), host, doc->daemon[DAEMON_SASL].config);
	if (!sockcheck_postfix(doc, what, setting, host, fix))
		return;
	snprintf(ep, sizeof(ep), "unix:%s", host);
	if (probe_saslauthd(ep, "pfhelpers-doctor-no-such-user",
	    DOCTOR_PROBE_MS, reply, sizeof(reply), why, sizeof(why)) < 0) {
		snprintf(what, sizeof(what), "saslauthd at %s does not answer "
		    "a password check: %s", host, why);
		doctor_finding(doc, DOC_ERROR, what, "every SMTP AUTH fails",
		    "start the daemon (saslauthd-lite) and look at its log");
	}
}

/*
 * seen_before - an earlier service of this SASL type sees the same
 * settings (name not overridden by either, same chroot): its findings
 * were reported already
 */
static bool
seen_before(const struct doctor *doc, size_t n, const char *type)
{
	const struct pf_service *a = &doc->pf.svc[n], *b;
	static const char *const names[] = {"smtpd_sasl_path",
	    "smtpd_tls_auth_only", "smtpd_tls_security_level", NULL};
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		b = &doc->pf.svc[i];
		if (!sasl_enabled(doc, b, type) || a->chroot != b->chroot)
			continue;
		for (k = 0; names[k] != NULL; k++) {
			const char *va = pfconf_service_get(&doc->pf, a, names[k]);
			const char *vb = pfconf_service_get(&doc->pf, b, names[k]);

			if (strcmp(va ? va : "", vb ? vb : "") != 0)
				break;
		}
		if (names[k] == NULL)
			return true;
	}
	return false;
}

/* each_service - fn for each smtpd offering SMTP AUTH of this type, once */
static void
each_service(struct doctor *doc, const char *type,
    void (*fn)(struct doctor *, const struct pf_service *))
{
	size_t i;

	for (i = 0; i < doc->pf.nsvc; i++)
		if (sasl_enabled(doc, &doc->pf.svc[i], type) &&
		    !seen_before(doc, i, type))
			fn(doc, &doc->pf.svc[i]);
}

void
check_sasl_cyrus(struct doctor *doc)
{
	each_service(doc, "cyrus", check_cyrus_service);
}

/*
 * dovecot_sasl_path - the smtpd_sasl_path that reaches saslauthd-lite's
 * dovecot_listen from svc: a socket under queue_directory relative to it
 * (chrooted or not), else the path itself, which a chrooted smtpd cannot
 * reach (then "" and the run_dir-like fix is to move the socket)
 */
static void
dovecot_sasl_path(const struct doctor *doc, const struct pf_service *svc,
    const char *listen, char *out, size_t outlen)
{
	const char *q = pfconf_get(&doc->pf, "queue_directory");
	size_t ql = q != NULL ? strlen(q) : 0;

	if (strncmp(listen, "unix:", 5) != 0)
		snprintf(out, outlen, "%s", listen);
	else if (ql > 0 && strncmp(listen + 5, q, ql) == 0 &&
	    listen[5 + ql] == '/')
		snprintf(out, outlen, "%s", listen + 6 + ql);
	else if (!svc->chroot)
		snprintf(out, outlen, "%s", listen + 5);
	else
		out[0] = 0;
}

/* same_endpoint - two endpoints, unix paths through realpath */
static bool
same_endpoint(const char *a, const char *b)
{
	char ca[4096], cb[4096];

	if (strncmp(a, "unix:", 5) == 0 && strncmp(b, "unix:", 5) == 0) {
		if (realpath(a + 5, ca) == NULL)
			snprintf(ca, sizeof(ca), "%s", a + 5);
		if (realpath(b + 5, cb) == NULL)
			snprintf(cb, sizeof(cb), "%s", b + 5);
		return strcmp(ca, cb) == 0;
	}
	(void)endpoint_canonical(a, strlen(a), NULL, ca, sizeof(ca));
	(void)endpoint_canonical(b, strlen(b), NULL, cb, sizeof(cb));
	return strcmp(ca, cb) == 0;
}

/*
 * check_saslauthd_lite_dovecot - smtpd and saslauthd-lite's
 * dovecot_listen on one endpoint (ep: smtpd's, as this host sees it);
 * false (and an error) when they are not
 */
static bool
check_saslauthd_lite_dovecot(struct doctor *doc, const struct pf_service *svc,
    const char *path, const char *ep)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_SASL];
	const char *listen = daemon_conf_setting(d, "dovecot_listen");
	const char *q = pfconf_get(&doc->pf, "queue_directory");
	char what[8192], fix[4096], want[1100];

	if (!d->loaded || *listen == 0 || same_endpoint(ep, listen))
		return true;
	snprintf(what, sizeof(what), "smtpd (service %s/%s, %s) looks for the "
	    "Dovecot auth socket at %s (smtpd_sasl_path = %s), but "
	    "saslauthd-lite (%s) serves it on %s (dovecot_listen)", svc->name,
	    svc->type, svc->chroot ? "chrooted" : "not chrooted", ep, path,
	    d->config, listen);
	dovecot_sasl_path(doc, svc, listen, want, sizeof(want));
	if (*want)
		doctor_fix_param(doc, svc, "smtpd_sasl_path", want, fix,
		    sizeof(fix));
	else
		snprintf(fix, sizeof(fix), "dovecot_listen = unix:%s/private/"
		    "auth in %s (inside the chroot), and smtpd_sasl_path = "
		    "private/auth", q != NULL ? q : "", d->config);
	doctor_finding(doc, DOC_ERROR, what, "every SMTP AUTH fails: smtpd "
	    "logs \"SASL: Connect to ... failed\" and offers no AUTH", fix);
	return false;
}

/* check_dovecot_service - one smtpd with smtpd_sasl_type = dovecot */
static void
check_dovecot_service(struct doctor *doc, const struct pf_service *svc)
{
	const struct daemon_conf *d = &doc->daemon[DAEMON_SASL];
	const char *path = pfconf_service_get(&doc->pf, svc, "smtpd_sasl_path");
	char what[8192], host[1100], ep[1200], setting[4096], reply[512];
	char why[1024], fixbuf[4096];
	const char *fix_missing = NULL;

	check_auth_only(doc, svc);
	if (path == NULL)
		path = "";
	if (strncmp(path, "inet:", 5) == 0)
		snprintf(ep, sizeof(ep), "%s", path);
	else {
		pfconf_smtpd_path(&doc->pf, svc, path, host, sizeof(host));
		snprintf(ep, sizeof(ep), "unix:%s", host);
	}
	if (!check_saslauthd_lite_dovecot(doc, svc, path, ep))
		return;
	if (strncmp(ep, "unix:", 5) == 0) {
		snprintf(what, sizeof(what), "smtpd (service %s/%s)",
		    svc->name, svc->type);
		snprintf(setting, sizeof(setting), "smtpd_sasl_path = %s%s",
		    path, path[0] == '/' ? (svc->chroot ? ", chrooted" : "") :
		    ", relative to queue_directory");
		/* saslauthd-lite is here but serves no Dovecot socket */
		if (d->loaded && *daemon_conf_setting(d, "dovecot_listen") == 0) {
			snprintf(fixbuf, sizeof(fixbuf), "dovecot_listen = "
			    "unix:%s in %s, so that saslauthd-lite answers "
			    "there; or point smtpd_sasl_path at Dovecot's auth "
			    "client socket", host, d->config);
			fix_missing = fixbuf;
		}
		if (!sockcheck_postfix(doc, what, setting, host, fix_missing))
			return;
	}
	if (probe_dovecot(ep, "pfhelpers-doctor-no-such-user",
	    DOCTOR_DOVECOT_PROBE_MS, reply, sizeof(reply), why,
	    sizeof(why)) < 0) {
		snprintf(what, sizeof(what), "the Dovecot auth socket %s does "
		    "not answer the auth handshake and one AUTH PLAIN: %s", ep,
		    why);
		doctor_finding(doc, DOC_ERROR, what, "every SMTP AUTH fails",
		    "point smtpd_sasl_path at a Dovecot auth client socket "
		    "(saslauthd-lite's dovecot_listen, or Dovecot's "
		    "service auth unix_listener), and look at that server's "
		    "log");
	}
}

void
check_sasl_dovecot(struct doctor *doc)
{
	each_service(doc, "dovecot", check_dovecot_service);
}
