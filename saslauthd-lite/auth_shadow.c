/*
 * auth_shadow.c - the shadow backend (Cyrus -a shadow)
 *
 * Contract: getspnam_r() for the login, crypt_rn() and a constant-time
 * compare, with the shadow(5) ageing fields honoured the way login(1)
 * would: sp_expire (account expiry day), sp_lstchg = 0 (password must be
 * changed), sp_lstchg + sp_max (password expired; + sp_inact inactive).
 * Locked ('!'/'*') or empty hashes never authenticate. Reading shadow
 * needs root (or group shadow): an EACCES is a temporary failure, never a
 * "no such user". Unknown users cost one yescrypt hash.
 */
#include "sysdep.h"

#include <crypt.h>
#include <errno.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "saslauthd.h"
#include "secret.h"
#include "xalloc.h"

struct shadow_state {
	char	*dummy;
};

/* sh_open - make the dummy hash for unknown users once */
static int
sh_open(const struct sasl_cfg *cfg, void **state, char *err, size_t errlen)
{
	struct shadow_state *ss = xcalloc(1, sizeof(*ss));
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting))
	    != NULL && crypt_rn("pfh-dummy", setting, cd, (int)sizeof(*cd))
	    != NULL && cd->output[0] != '*')
		ss->dummy = xstrdup(cd->output);
	else
		ss->dummy = xstrdup("");
	secret_free(cd, sizeof(*cd));
	*state = ss;
	return 0;
}

/* sh_close - free */
static void
sh_close(void *state)
{
	struct shadow_state *ss = state;

	free(ss->dummy);
	free(ss);
}

/* sh_prepare - the dummy hash travels with the request */
static void *
sh_prepare(void *state)
{
	const struct shadow_state *ss = state;

	return xstrdup(ss->dummy);
}

/* sh_release - free the copy */
static void
sh_release(void *data)
{
	free(data);
}

/* expired - the ageing rules; NULL when the account may log in */
static const char *
expired(const struct spwd *sp, long today)
{
	if (sp->sp_expire > 0 && today >= sp->sp_expire)
		return "account expired";
	if (sp->sp_lstchg == 0)
		return "password must be changed";
	if (sp->sp_lstchg > 0 && sp->sp_max >= 0 &&
	    today > sp->sp_lstchg + sp->sp_max) {
		if (sp->sp_inact >= 0 &&
		    today > sp->sp_lstchg + sp->sp_max + sp->sp_inact)
			return "password expired, account inactive";
		return "password expired";
	}
	return NULL;
}

/* sh_verify - worker: look up, check ageing, hash, compare */
static void
sh_verify(struct auth_req *r)
{
	const char *dummy = r->data, *why;
	struct spwd sp, *res = NULL;
	char buf[4096];
	int rc;

	rc = getspnam_r(r->login, &sp, buf, sizeof(buf), &res);
	if (res == NULL) {
		if (rc != 0 && rc != ENOENT) {
			r->result = AUTH_TEMPFAIL;
			snprintf(r->reason, sizeof(r->reason),
			    "getspnam: %s", strerror(rc));
			goto out;
		}
		auth_crypt_burn(r->password, dummy);
		r->result = AUTH_FAIL;
		r->unknown_user = true;
		snprintf(r->reason, sizeof(r->reason), "unknown user");
		goto out;
	}
	if (sp.sp_pwdp == NULL || sp.sp_pwdp[0] == 0 || sp.sp_pwdp[0] == '!' ||
	    sp.sp_pwdp[0] == '*') {
		auth_crypt_burn(r->password, dummy);
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "account locked");
		goto out;
	}
	rc = auth_crypt_verify(r->password, sp.sp_pwdp);
	if (rc < 0) {
		r->result = AUTH_TEMPFAIL;
		snprintf(r->reason, sizeof(r->reason), "crypt failed");
	} else if (rc == 0) {
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "wrong password");
	} else if ((why = expired(&sp, (long)(time(NULL) / 86400))) != NULL) {
		/* only after a right password: ageing is no user oracle */
		r->result = AUTH_FAIL;
		snprintf(r->reason, sizeof(r->reason), "%s", why);
	} else {
		r->result = AUTH_OK;
	}
out:
	secret_wipe(buf, sizeof(buf));
	auth_req_wipe(r);
}

const struct auth_mech auth_mech_shadow = {
	.name = "shadow",
	.id = AUTH_MECH_SHADOW,
	.open = sh_open,
	.close = sh_close,
	.identity = auth_identity_login,
	.prepare = sh_prepare,
	.verify = sh_verify,
	.release = sh_release,
};
