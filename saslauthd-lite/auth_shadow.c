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
 * check() looks at /etc/shadow's inode, size, mtime and ctime on every
 * tick: passwd(1), usermod -L and chage rewrite the file, so a change
 * flushes the cache at once (answers are also capped by
 * cache_ttl_system, for an NSS shadow source that is no such file).
 */
#include "sysdep.h"

#include <crypt.h>
#include <errno.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "log.h"
#include "saslauthd.h"
#include "secret.h"
#include "xalloc.h"

#define SHADOW_FILE	"/etc/shadow"

struct shadow_state {
	char	*dummy;
	struct stat st;		/* SHADOW_FILE when last looked at */
	bool	 have_st;
};

/* sh_stat - the file's identity and times; false when it cannot tell */
static bool
sh_stat(struct stat *st)
{
	return stat(SHADOW_FILE, st) == 0;
}

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
	ss->have_st = sh_stat(&ss->st);
	*state = ss;
	return 0;
}

/* sh_check - tick: 1 when /etc/shadow changed (the cache is flushed) */
static int
sh_check(void *state)
{
	struct shadow_state *ss = state;
	struct stat st;
	bool have = sh_stat(&st);

	if (have == ss->have_st && (!have || (st.st_ino == ss->st.st_ino &&
	    st.st_dev == ss->st.st_dev && st.st_size == ss->st.st_size &&
	    st.st_mtim.tv_sec == ss->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == ss->st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == ss->st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == ss->st.st_ctim.tv_nsec)))
		return 0;
	ss->st = st;
	ss->have_st = have;
	log_info("shadow: %s changed", SHADOW_FILE);
	return 1;
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
	.system = true,
	.open = sh_open,
	.close = sh_close,
	.check = sh_check,
	.identity = auth_identity_login,
	.prepare = sh_prepare,
	.verify = sh_verify,
	.release = sh_release,
};
