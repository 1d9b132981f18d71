/*
 * auth_pam.c - the pam backend (Cyrus -a pam)
 *
 * Contract: a fresh PAM handle per request, for the service named in the
 * request (Postfix sends "smtp"), from /etc/pam.d or from pam_confdir
 * (Linux-PAM >= 1.4, pam_start_confdir()), and only when that service is
 * on the pam_services list (default "smtp"): the daemon runs as root, and
 * a client naming "su" or "runuser" (stacks that start with pam_rootok)
 * would otherwise get OK for root with any password. Cyrus passes the
 * client's service to pam_start() unchecked. Any other service is a
 * definite no ("service not allowed"), decided before PAM is touched and
 * counted on the status page. The conversation answers
 * PAM_PROMPT_ECHO_OFF with the password and PAM_PROMPT_ECHO_ON with the
 * login; PAM gets malloc'd copies it frees itself, and on a failed
 * conversation the copies made so far are wiped and freed (Dovecot
 * passdb-pam.c). PAM_RHOST carries the client address when the request
 * had a fifth field. pam_acct_mgmt follows a good password unless
 * pam_acct_mgmt = no.
 *
 * The failure delay: modules like pam_unix ask for ~2 s after a failure,
 * and Linux-PAM sleeps it inside pam_authenticate — on our worker, so a
 * guessing client would hold the pool. Setting PAM_FAIL_DELAY to our own
 * function takes the delay over: we only record it, and the session serves
 * it as a timer on the loop before replying (features.md §1).
 *
 * PAM answers map to three outcomes: auth errors, unknown users, too many
 * tries, expired or disabled accounts are AUTH_FAIL; everything else (a
 * broken stack, a missing module, a conversation error) is AUTH_TEMPFAIL.
 */
#include "sysdep.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "saslauthd.h"
#include "secret.h"
#include "stats.h"
#include "status.h"
#include "xalloc.h"

#define PAM_MAX_SERVICES	32

struct pam_conf {
	char	*confdir;	/* NULL = the system's */
	bool	 acct;
	char	*services;	/* pam_services, one blank between names */
	unsigned nservices;
};

/* requests for a service not on pam_services (workers count them) */
static struct stats_counter pam_refused;

static bool service_ok(const char *);

/*
 * parse_services - pam_services into "a b c": every name a plain PAM
 * service name, at least one
 */
static int
parse_services(const char *list, struct pam_conf *pc, char *err,
    size_t errlen)
{
	char name[SASL_FIELD_MAX + 1], *out;
	const char *p = list;
	size_t len = 0;
	bool toolong;

	out = xmalloc(strlen(list) + 1);
	out[0] = 0;
	pc->nservices = 0;
	while ((p = auth_list_next(p, name, sizeof(name), &toolong)) != NULL) {
		if (toolong || !service_ok(name)) {
			snprintf(err, errlen, "pam_services: \"%.64s\" is not a "
			    "PAM service name", name);
			free(out);
			return -1;
		}
		if (++pc->nservices > PAM_MAX_SERVICES) {
			snprintf(err, errlen, "pam_services: at most %d "
			    "services", PAM_MAX_SERVICES);
			free(out);
			return -1;
		}
		len += (size_t)snprintf(out + len, strlen(list) + 1 - len,
		    "%s%s", len ? " " : "", name);
	}
	if (pc->nservices == 0) {
		snprintf(err, errlen, "pam_services: empty; name the PAM "
		    "services clients may use (Postfix: smtp)");
		free(out);
		return -1;
	}
	pc->services = out;
	return 0;
}

/* service_allowed - the request's service is on pam_services (exact) */
static bool
service_allowed(const struct pam_conf *pc, const char *service)
{
	size_t n = strlen(service);
	const char *p = pc->services;

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, service, n) == 0)
			return true;
		p += len;
		if (*p == ' ')
			p++;
	}
	return false;
}

/* pam_open - remember where the stacks are */
static int
pam_open(const struct sasl_cfg *cfg, void **state, char *err, size_t errlen)
{
	struct pam_conf *pc = xcalloc(1, sizeof(*pc));

#ifndef HAVE_PAM_START_CONFDIR
	if (*cfg->pam_confdir) {
		snprintf(err, errlen, "pam_confdir: this Linux-PAM has no "
		    "pam_start_confdir() (needs 1.4 or later)");
		free(pc);
		return -1;
	}
#endif
	if (parse_services(cfg->pam_services, pc, err, errlen) < 0) {
		free(pc);
		return -1;
	}
	pc->confdir = *cfg->pam_confdir ? xstrdup(cfg->pam_confdir) : NULL;
	pc->acct = cfg->pam_acct_mgmt;
	*state = pc;
	return 0;
}

/* pam_close - forget */
static void
pam_close(void *state)
{
	struct pam_conf *pc = state;

	free(pc->confdir);
	free(pc->services);
	free(pc);
}

/* pam_prepare - a private copy for the worker */
static void *
pam_prepare(void *state)
{
	const struct pam_conf *pc = state;
	struct pam_conf *c = xcalloc(1, sizeof(*c));

	c->confdir = pc->confdir ? xstrdup(pc->confdir) : NULL;
	c->acct = pc->acct;
	c->services = xstrdup(pc->services);
	c->nservices = pc->nservices;
	return c;
}

/* pam_release - free the copy */
static void
pam_release(void *data)
{
	pam_close(data);
}

/* conv - answer PAM's prompts from the request */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp_r,
    void *appdata)
{
	struct auth_req *r = appdata;
	struct pam_response *resp;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || r->password == NULL)
		return PAM_CONV_ERR;
	if ((resp = calloc((size_t)n, sizeof(*resp))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			resp[i].resp = strndup(r->password, r->pwlen);
			break;
		case PAM_PROMPT_ECHO_ON:
			resp[i].resp = strdup(r->login);
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			continue;
		default:
			goto fail;
		}
		if (resp[i].resp == NULL)
			goto fail;
	}
	*resp_r = resp;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		if (resp[i].resp)
			secret_free_str(resp[i].resp);
	free(resp);
	return PAM_CONV_ERR;
}

/* fail_delay - PAM_FAIL_DELAY: record, never sleep on the worker */
static void
fail_delay(int retval, unsigned usec, void *appdata)
{
	struct auth_req *r = appdata;
	unsigned ms = usec / 1000;

	if (retval != PAM_SUCCESS)
		r->fail_delay_ms = ms < AUTH_MAX_FAIL_DELAY_MS ? ms :
		    AUTH_MAX_FAIL_DELAY_MS;
}

/* service_ok - a PAM service name must not be a path */
static bool
service_ok(const char *s)
{
	if (*s == 0 || *s == '.')
		return false;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' ||
		    (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

/* map - PAM code to one of our three outcomes */
static enum auth_result
map(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return AUTH_OK;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_PERM_DENIED:
		return AUTH_FAIL;
	default:
		return AUTH_TEMPFAIL;
	}
}

/* pam_verify - worker: one PAM transaction */
static void
pam_verify(struct auth_req *r)
{
	const struct pam_conf *pc = r->data;
	struct pam_conv pconv = {conv, r};
	pam_handle_t *ph = NULL;
	const char *step = "start";
	int rc;

	if (!service_ok(r->service) || !service_allowed(pc, r->service)) {
		/* never pam_start(): "su" would be pam_rootok's OK for root */
		stats_inc(&pam_refused);
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "service not allowed");
		goto out;
	}
#ifdef HAVE_PAM_START_CONFDIR
	if (pc->confdir)
		rc = pam_start_confdir(r->service, r->login, &pconv,
		    pc->confdir, &ph);
	else
#endif
		rc = pam_start(r->service, r->login, &pconv, &ph);
	if (rc != PAM_SUCCESS)
		goto done;
	step = "fail delay";
	if ((rc = pam_set_item(ph, PAM_FAIL_DELAY,
	    (const void *)fail_delay)) != PAM_SUCCESS)
		goto done;
	if (*r->rhost) {
		step = "rhost";
		if ((rc = pam_set_item(ph, PAM_RHOST, r->rhost)) != PAM_SUCCESS)
			goto done;
	}
	step = "auth";
	rc = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	/* the stack has answered: the password is no longer needed */
	auth_req_wipe(r);
	if (rc == PAM_SUCCESS && pc->acct) {
		step = "acct";
		rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	}
done:
	r->result = map(rc);
	if (rc == PAM_USER_UNKNOWN)
		r->unknown_user = true;
	if (rc != PAM_SUCCESS)
		snprintf(r->reason, sizeof(r->reason), "PAM %s: %s", step,
		    ph ? pam_strerror(ph, rc) : pam_strerror(NULL, rc));
	if (ph)
		pam_end(ph, rc | PAM_DATA_SILENT);
out:
	auth_req_wipe(r);
}

/* pam_status - the allowed services and the refusals */
static void
pam_status(void *state, struct status_writer *w)
{
	const struct pam_conf *pc = state;

	status_kv(w, "pam_services", "%s", pc->services);
	status_counter(w, "saslauthd_lite_pam_service_refused_total",
	    "requests for a PAM service not on pam_services", NULL,
	    stats_get(&pam_refused));
}

const struct auth_mech auth_mech_pam = {
	.name = "pam",
	.id = AUTH_MECH_PAM,
	.system = true,
	.open = pam_open,
	.close = pam_close,
	.identity = auth_identity_login,
	.prepare = pam_prepare,
	.verify = pam_verify,
	.release = pam_release,
	.status = pam_status,
};
