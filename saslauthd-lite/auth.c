/*
 * auth.c - the backend registry, the ordered chain, and crypt helpers
 *
 * The chain is rebuilt on a reload that changes `mechanisms` or a backend
 * parameter; requests in flight keep the snapshots prepare() gave them,
 * so an old chain can go at once.
 */
#include "sysdep.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cfg_conv.h"
#include "log.h"
#include "saslauthd.h"
#include "secret.h"
#include "xalloc.h"

struct auth_stats auth_stats[AUTH_NMECH];

static const struct auth_mech *const auth_mechs[] = {
	&auth_mech_pwfile, &auth_mech_pam, &auth_mech_shadow, &auth_mech_ldap,
};

/* auth_mech_find - a mechanism by name, case-insensitive like Cyrus -a */
const struct auth_mech *
auth_mech_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(auth_mechs); i++)
		if (strcasecmp(auth_mechs[i]->name, name) == 0)
			return auth_mechs[i];
	return NULL;
}

/* auth_mech_names - the compiled-in mechanisms */
const char *
auth_mech_names(void)
{
	return "pwfile pam shadow ldap";
}

/* auth_list_next - the next name of a list value, copied out */
const char *
auth_list_next(const char *p, char *out, size_t outlen, bool *toolong)
{
	const char *item;
	size_t n;

	if (toolong != NULL)
		*toolong = false;
	if ((item = cfg_conv_list_next(&p, &n)) == NULL)
		return NULL;
	snprintf(out, outlen, "%.*s", (int)n, item);
	if (toolong != NULL && n >= outlen)
		*toolong = true;
	return p;
}

struct ev *auth_loop;
void	(*auth_data_changed)(void *ctx);
void	*auth_data_changed_ctx;

/* auth_mechanisms_check - every name known, none twice, at least one */
int
auth_mechanisms_check(const char *list, char *err, size_t errlen)
{
	const struct auth_mech *seen[AUTH_MAX_CHAIN], *m;
	unsigned n = 0, i;
	const char *p = list;
	char name[32];

	while ((p = auth_list_next(p, name, sizeof(name), NULL)) != NULL) {
		if ((m = auth_mech_find(name)) == NULL) {
			snprintf(err, errlen, "mechanisms: unknown mechanism "
			    "\"%s\" (known: %s)", name, auth_mech_names());
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (seen[i] == m) {
				snprintf(err, errlen, "mechanisms: \"%s\" "
				    "listed twice", m->name);
				return -1;
			}
		}
		if (n == AUTH_MAX_CHAIN) {
			snprintf(err, errlen, "mechanisms: at most %d",
			    AUTH_MAX_CHAIN);
			return -1;
		}
		seen[n++] = m;
	}
	if (n == 0) {
		snprintf(err, errlen, "mechanisms: empty (known: %s)",
		    auth_mech_names());
		return -1;
	}
	return 0;
}

/* auth_chain_new - open every backend in order; all or nothing */
struct auth_chain *
auth_chain_new(const struct sasl_cfg *cfg, char *err, size_t errlen)
{
	struct auth_chain *c;
	const char *p = cfg->mechanisms;
	char name[32];

	if (auth_mechanisms_check(cfg->mechanisms, err, errlen) < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	while ((p = auth_list_next(p, name, sizeof(name), NULL)) != NULL) {
		struct auth_backend *b = &c->b[c->n];

		b->mech = auth_mech_find(name);
		if (b->mech->open(cfg, &b->state, err, errlen) < 0) {
			auth_chain_unref(c);
			return NULL;
		}
		c->n++;
	}
	return c;
}

/* auth_chain_ref - one more holder (loop thread only) */
struct auth_chain *
auth_chain_ref(struct auth_chain *c)
{
	c->refs++;
	return c;
}

/* auth_chain_unref - the last holder closes the backends */
void
auth_chain_unref(struct auth_chain *c)
{
	unsigned i;

	if (c == NULL || --c->refs > 0)
		return;
	for (i = 0; i < c->n; i++)
		if (c->b[i].mech->close)
			c->b[i].mech->close(c->b[i].state);
	free(c);
}

/* auth_chain_check - let each backend notice changed data */
int
auth_chain_check(struct auth_chain *c)
{
	unsigned i;
	int changed = 0;

	for (i = 0; i < c->n; i++)
		if (c->b[i].mech->check && c->b[i].mech->check(c->b[i].state) > 0)
			changed = 1;
	return changed;
}

/* auth_chain_ready - every backend able to answer */
int
auth_chain_ready(struct auth_chain *c, char *why, size_t whylen)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (c->b[i].mech->ready &&
		    !c->b[i].mech->ready(c->b[i].state, why, whylen))
			return 0;
	return 1;
}

/*
 * auth_chain_goes_on - after a backend's answer, is the next one asked?
 * OK ends the walk; so does a definite no, unless the backend does not
 * know the user (that is what a chain is for); a temporary failure only
 * with chain_on_tempfail, since a later backend may hold stale data and
 * accept a password the first would refuse.
 */
bool
auth_chain_goes_on(enum auth_result res, bool unknown_user,
    bool on_tempfail)
{
	switch (res) {
	case AUTH_OK:
		return false;
	case AUTH_FAIL:
		return unknown_user;
	case AUTH_TEMPFAIL:
		return on_tempfail;
	}
	return false;
}

/* auth_crypt_verify - 1 right, 0 wrong, -1 crypt could not run */
int
auth_crypt_verify(const char *password, const char *hash)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *out;
	int rc;

	out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	/* libxcrypt fails with NULL, or with a string starting with '*' */
	if (out == NULL || *out == '*')
		rc = -1;
	else
		rc = ct_streq(out, strlen(out), hash, strlen(hash)) ? 1 : 0;
	/* crypt_data holds the password-derived state: wipe it */
	secret_free(cd, sizeof(*cd));
	return rc;
}

/* auth_crypt_burn - same cost as a real check, for unknown users */
void
auth_crypt_burn(const char *password, const char *setting)
{
	if (setting != NULL && *setting)
		(void)auth_crypt_verify(password, setting);
}

/* auth_crypt_dummy - a yescrypt hash of a fixed word ("" if none) */
char *
auth_crypt_dummy(void)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	char *out = NULL;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting))
	    == NULL)
		return xstrdup("");
	cd = xcalloc(1, sizeof(*cd));
	if (crypt_rn("pfh-dummy", setting, cd, (int)sizeof(*cd)) != NULL &&
	    cd->output[0] != '*')
		out = xstrdup(cd->output);
	secret_free(cd, sizeof(*cd));
	return out ? out : xstrdup("");
}

/* auth_req_wipe - the backend has answered: the password goes */
void
auth_req_wipe(struct auth_req *r)
{
	if (r->password != NULL) {
		secret_free(r->password, r->pwlen + 1);
		r->password = NULL;
		r->pwlen = 0;
	}
}

/* auth_identity_login - pam_start() and getspnam() get the login alone */
int
auth_identity_login(const char *login, const char *realm, char *out,
    size_t outlen)
{
	size_t n = strlen(login);

	(void)realm;
	if (n >= outlen)
		return -1;
	memcpy(out, login, n + 1);
	return 0;
}
