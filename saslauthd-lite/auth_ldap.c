/*
 * auth_ldap.c - the ldap backend (Cyrus -a ldap)
 *
 * Contract: the password is checked against a directory, the way Cyrus
 * saslauthd's LDAP_SASLAUTHD does (ldap_conf.h for the settings):
 *   bind      search below ldap_search_base (as ldap_bind_dn, or
 *             anonymously) with ldap_filter, then a simple bind as the one
 *             entry found, with the client's password;
 *   fastbind  no search: a bind as the DN ldap_filter makes (RFC 4514
 *             escaped), so an unknown user cannot be told from a wrong
 *             password (FAIL, never "unknown user");
 *   custom    the search reads userPassword and a {CRYPT} value is
 *             compared here (auth_crypt_verify); no bind as the user.
 * The holes Cyrus left open are closed: an empty password (or one with a
 * NUL in it) is a FAIL before anything is sent, since an LDAP simple bind
 * with a DN and no password is an "unauthenticated bind" that succeeds;
 * the login is RFC 4515 escaped into the filter (ldap_filter.h), so "*"
 * or ")(uid=*" is a literal value; a filter that finds more than one
 * entry is a FAIL (counted, and the reason is in the decision line); no
 * entry is a FAIL with unknown_user set, so the chain goes on.
 * An unknown user costs what a wrong password costs, so the answer's
 * time does not tell which logins exist: with bind, a bind as a DN that
 * does not exist (DUMMY_RDN below ldap_search_base) with the client's
 * password spends the same round trip (and the bind back after it); with
 * custom, one crypt of the {CRYPT} value last compared (a yescrypt one
 * before any), as for an entry without a {CRYPT} value. Whatever the
 * dummy work answers, the result is FAIL. Not mirrored: the
 * directory's own hashing in a bind as an entry that
 * exists (small for {SSHA}, not for a {CRYPT} value).
 * Outcomes: a wrong password is FAIL; a directory that is down, slow,
 * refuses our own bind, or answers with an error is TEMPFAIL, never OK.
 *
 * Threads: verify() runs on a worker with a snapshot from prepare(): a
 * reference on the connection pool (ldap_pool.h) and the request's
 * deadline, backend_timeout from prepare() less a margin, so the worker
 * is free again about when the session answers "temporary failure"
 * itself. One retry: a pooled connection found broken (the server
 * restarted, went away, or timed out) is dropped, the server skipped for
 * a while, and the request goes to the next server while time is left.
 */
#include "sysdep.h"

#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "ev.h"
#include "ldap_conf.h"
#include "ldap_filter.h"
#include "ldap_pool.h"
#include "saslauthd.h"
#include "secret.h"
#include "status.h"
#include "xalloc.h"

#define CRYPT_PREFIX	"{CRYPT}"
/* the worker gives up this much before the session's own deadline */
#define LDAP_MARGIN_MS	50
/* bind: the entry an unknown user is bound as; it does not exist */
#define DUMMY_RDN	"cn=saslauthd-lite no such user"

/*
 * custom: the {CRYPT} value compared last, whose cost an unknown user
 * pays too (workers share it; NULL until one was compared)
 */
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char *dummy_hash;

struct ldap_state {
	struct ldap_pool *pool;
	long long backend_timeout;	/* ms */
};

struct ldap_job {
	struct ldap_pool *pool;
	uint64_t deadline;		/* ev_monotonic_ms() ms */
};

/*
 * identity() has no state: open() says here whether the filter can see
 * the realm (loop thread only, like identity()). When it can, the realm
 * is part of the throttle and cache key, length-prefixed so that
 * ("a@b", "") and ("a", "b") stay two keys.
 */
static bool ldap_realm_matters = true;

/* outcome of one try on a connection */
enum try_rc { TRY_DONE, TRY_BROKEN };

/* ldb_open - the settings, validated, and an empty pool */
static int
ldb_open(const struct sasl_cfg *cfg, void **state, char *err, size_t errlen)
{
	struct ldap_state *ls;
	struct ldap_conf lc;

	if (ldap_conf_build(cfg, &lc, err, errlen) < 0)
		return -1;
	ls = xcalloc(1, sizeof(*ls));
	ldap_realm_matters = ldap_template_uses_realm(lc.filter);
	ls->pool = ldap_pool_new(&lc, cfg->workers > 0 ?
	    (unsigned)cfg->workers : 1);
	ls->backend_timeout = cfg->backend_timeout;
	*state = ls;
	return 0;
}

/* ldb_close - the pool goes when the last request lets it go */
static void
ldb_close(void *state)
{
	struct ldap_state *ls = state;

	ldap_pool_unref(ls->pool);
	free(ls);
}

/* ldb_identity - the login, and the realm when the filter uses it */
static int
ldb_identity(const char *login, const char *realm, char *out, size_t outlen)
{
	int n;

	if (!ldap_realm_matters)
		return auth_identity_login(login, realm, out, outlen);
	n = snprintf(out, outlen, "%zu:%s@%s", strlen(login), login, realm);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ldb_prepare - the pool and the deadline travel with the request */
static void *
ldb_prepare(void *state)
{
	struct ldap_state *ls = state;
	struct ldap_job *j = xcalloc(1, sizeof(*j));
	long long ms = ls->backend_timeout;

	ms -= ms > 4 * LDAP_MARGIN_MS ? LDAP_MARGIN_MS : ms / 4;
	j->pool = ldap_pool_ref(ls->pool);
	j->deadline = ev_monotonic_ms() + (uint64_t)ms;
	return j;
}

/* ldb_release - loop thread: drop the pool reference */
static void
ldb_release(void *data)
{
	struct ldap_job *j = data;

	ldap_pool_unref(j->pool);
	free(j);
}

/* broken - the connection is gone or in an unknown state */
static bool
broken(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED;
}

/* tempfail - the directory could not tell: never OK */
static enum try_rc
tempfail(struct auth_req *r, const char *step, int rc)
{
	r->result = AUTH_TEMPFAIL;
	snprintf(r->reason, sizeof(r->reason), "%s: %s", step,
	    rc == LDAP_TIMEOUT ? "timed out" : ldap_err2string(rc));
	if (broken(rc))
		return TRY_BROKEN;
	stats_inc(&ldap_pool_stats.errors);
	return TRY_DONE;
}

/* fail - a definite no */
static enum try_rc
fail(struct auth_req *r, const char *why)
{
	r->result = AUTH_FAIL;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return TRY_DONE;
}

/* user_bind - the client's password against the entry's DN */
static enum try_rc
user_bind(struct ldap_pool *p, struct ldap_slot *s, struct auth_req *r,
    const char *dn, uint64_t deadline, const char *wrong)
{
	int rc;

	if (*dn == 0)
		return fail(r, "empty DN");	/* never an anonymous bind */
	rc = ldap_pool_bind(p, s, dn, r->password, r->pwlen, deadline);
	switch (rc) {
	case LDAP_SUCCESS:
		r->result = AUTH_OK;
		return TRY_DONE;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_NO_SUCH_OBJECT:
		return fail(r, wrong);
	default:
		return tempfail(r, "bind", rc);
	}
}

/* crypt_burn - custom, nothing to compare: a compare's cost, unused */
static void
crypt_burn(const struct auth_req *r)
{
	char *h;

	pthread_mutex_lock(&dummy_mu);
	/* made once: making one costs a hash as well */
	if (dummy_hash == NULL)
		dummy_hash = auth_crypt_dummy();
	h = xstrdup(dummy_hash);
	pthread_mutex_unlock(&dummy_mu);
	auth_crypt_burn(r->password, h);
	secret_free_str(h);
}

/* crypt_compare - custom: a {CRYPT} value of userPassword, compared here */
static enum try_rc
crypt_compare(struct ldap_slot *s, LDAPMessage *e, struct auth_req *r)
{
	struct berval **vals = ldap_get_values_len(s->ld, e, "userPassword");
	size_t plen = sizeof(CRYPT_PREFIX) - 1;
	char *hash = NULL;
	int i, rc;

	for (i = 0; vals != NULL && vals[i] != NULL && hash == NULL; i++) {
		struct berval *v = vals[i];

		if (v->bv_len > plen && strncasecmp(v->bv_val, CRYPT_PREFIX,
		    plen) == 0 && memchr(v->bv_val, 0, v->bv_len) == NULL)
			hash = xstrndup(v->bv_val + plen, v->bv_len - plen);
	}
	if (vals != NULL) {
		for (i = 0; vals[i] != NULL; i++)
			secret_wipe(vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
	}
	if (hash == NULL) {
		/* as costly as a wrong password: no hint which one it was */
		crypt_burn(r);
		return fail(r, "no {CRYPT} userPassword to compare with");
	}
	rc = auth_crypt_verify(r->password, hash);
	pthread_mutex_lock(&dummy_mu);
	if (dummy_hash == NULL || strcmp(dummy_hash, hash) != 0) {
		if (dummy_hash != NULL)
			secret_free_str(dummy_hash);
		dummy_hash = xstrdup(hash);
	}
	pthread_mutex_unlock(&dummy_mu);
	secret_free_str(hash);
	if (rc < 0) {
		r->result = AUTH_TEMPFAIL;
		snprintf(r->reason, sizeof(r->reason), "crypt failed");
	} else if (rc == 0) {
		return fail(r, "wrong password");
	} else {
		r->result = AUTH_OK;
	}
	return TRY_DONE;
}

/*
 * unknown - no entry: spend what a wrong password spends, then FAIL
 * whatever happened (a dummy bind that succeeds is still no user)
 */
static enum try_rc
unknown(struct ldap_pool *p, struct ldap_slot *s, struct auth_req *r,
    uint64_t deadline)
{
	const struct ldap_conf *lc = ldap_pool_conf(p);
	char dn[2048];
	int rc;

	if (lc->method == LDAP_METHOD_CUSTOM) {
		crypt_burn(r);
	} else {
		snprintf(dn, sizeof(dn), "%s%s%s", DUMMY_RDN,
		    *lc->search_base ? "," : "", lc->search_base);
		rc = ldap_pool_bind(p, s, dn, r->password, r->pwlen, deadline);
		/* as a real bind: a broken connection is retried */
		if (broken(rc))
			return tempfail(r, "bind", rc);
	}
	r->result = AUTH_FAIL;
	r->unknown_user = true;
	snprintf(r->reason, sizeof(r->reason), "unknown user");
	return TRY_DONE;
}

/* search_one - the one entry the filter finds, then bind or compare */
static enum try_rc
search_one(struct ldap_pool *p, struct ldap_slot *s, struct auth_req *r,
    uint64_t deadline)
{
	const struct ldap_conf *lc = ldap_pool_conf(p);
	const struct ldap_vars v = {r->login, r->realm, r->service};
	char *attrs_dn[] = {LDAP_NO_ATTRS, NULL};
	char *attrs_pw[] = {"userPassword", NULL};
	char filter[2048], *dn;
	LDAPMessage *res = NULL, *e;
	enum try_rc t;
	int rc, msgid, err = LDAP_OTHER, n;

	if (s->bound != LDAP_BOUND_SERVICE) {
		/* back to our own identity after the last user's bind */
		rc = ldap_pool_bind(p, s, lc->bind_dn, lc->password,
		    strlen(lc->password), deadline);
		if (rc != LDAP_SUCCESS)
			return tempfail(r, "bind back as ldap_bind_dn (or "
			    "anonymous)", rc);
		s->bound = LDAP_BOUND_SERVICE;
	}
	if (ldap_expand(lc->filter, LDAP_ESC_FILTER, &v, filter,
	    sizeof(filter)) < 0)
		return fail(r, "login too long for the filter");
	rc = ldap_search_ext(s->ld, lc->search_base, lc->scope, filter,
	    lc->method == LDAP_METHOD_CUSTOM ? attrs_pw : attrs_dn, 0, NULL,
	    NULL, NULL, 2, &msgid);
	if (rc == LDAP_SUCCESS)
		rc = ldap_pool_result(p, s, msgid, deadline, &res);
	if (rc == LDAP_SUCCESS)
		rc = ldap_parse_result(s->ld, res, &err, NULL, NULL, NULL,
		    NULL, 0);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return tempfail(r, "search", rc);
	}
	n = ldap_count_entries(s->ld, res);
	if (n > 1 || err == LDAP_SIZELIMIT_EXCEEDED) {
		stats_inc(&ldap_pool_stats.multiple_entries);
		ldap_msgfree(res);
		return fail(r, "more than one entry matches the filter");
	}
	if (err != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return tempfail(r, "search", err);
	}
	if (n <= 0 || (e = ldap_first_entry(s->ld, res)) == NULL) {
		ldap_msgfree(res);
		return unknown(p, s, r, deadline);
	}
	if (lc->method == LDAP_METHOD_CUSTOM) {
		t = crypt_compare(s, e, r);
	} else if ((dn = ldap_get_dn(s->ld, e)) == NULL) {
		t = tempfail(r, "entry DN", LDAP_DECODING_ERROR);
	} else {
		t = user_bind(p, s, r, dn, deadline, "wrong password");
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	return t;
}

/* fastbind - bind as the DN the template makes, no search */
static enum try_rc
fastbind(struct ldap_pool *p, struct ldap_slot *s, struct auth_req *r,
    uint64_t deadline)
{
	const struct ldap_vars v = {r->login, r->realm, r->service};
	char dn[2048];

	if (ldap_expand(ldap_pool_conf(p)->filter, LDAP_ESC_DN, &v, dn,
	    sizeof(dn)) < 0)
		return fail(r, "login too long for the DN");
	return user_bind(p, s, r, dn, deadline,
	    "wrong password or unknown user");
}

/* ldb_verify - worker: a connection from the pool, one retry */
static void
ldb_verify(struct auth_req *r)
{
	struct ldap_job *j = r->data;
	struct ldap_pool *p = j->pool;
	struct ldap_slot *s;
	enum try_rc t = TRY_BROKEN;
	char why[sizeof(r->reason)];
	int attempt, rc;

	r->result = AUTH_TEMPFAIL;
	if (r->password == NULL || r->pwlen == 0 ||
	    strlen(r->password) != r->pwlen) {
		/* an empty password would be an unauthenticated bind: OK */
		fail(r, r->pwlen ? "NUL in the password" : "empty password");
		goto out;
	}
	if ((s = ldap_pool_get(p, j->deadline)) == NULL) {
		snprintf(r->reason, sizeof(r->reason), "no free connection "
		    "in time");
		goto out;
	}
	for (attempt = 0; attempt < 2 && t == TRY_BROKEN; attempt++) {
		if (attempt > 0 && ldap_pool_budget(p, j->deadline) == 0)
			break;
		if (s->ld == NULL) {
			rc = ldap_pool_connect(p, s, j->deadline, why,
			    sizeof(why));
			if (rc != LDAP_SUCCESS) {
				r->result = AUTH_TEMPFAIL;
				snprintf(r->reason, sizeof(r->reason), "%s",
				    why);
				break;
			}
		}
		r->result = AUTH_TEMPFAIL;
		r->reason[0] = 0;
		if (ldap_pool_conf(p)->method == LDAP_METHOD_FASTBIND)
			t = fastbind(p, s, r, j->deadline);
		else
			t = search_one(p, s, r, j->deadline);
		if (t == TRY_BROKEN) {
			ldap_pool_failed(p, s);
			ldap_pool_drop(p, s);
		}
	}
	ldap_pool_put(p, s, false);
out:
	if (r->result == AUTH_TEMPFAIL && r->reason[0] == 0)
		snprintf(r->reason, sizeof(r->reason), "no time left");
	auth_req_wipe(r);
}

/* ldb_status - the settings (never the password) and the pool */
static void
ldb_status(void *state, struct status_writer *w)
{
	struct ldap_state *ls = state;
	const struct ldap_conf *lc = ldap_pool_conf(ls->pool);

	status_section(w, "ldap", "LDAP directory");
	if (lc->source)
		status_kv(w, "cyrus_config", "%s", lc->source);
	status_kv(w, "auth_method", "%s", ldap_method_name(lc->method));
	status_kv(w, "search_base", "%s", lc->search_base);
	status_kv(w, "filter", "%s", lc->filter);
	status_kv(w, "bind_dn", "%s", *lc->bind_dn ? lc->bind_dn :
	    "(anonymous)");
	status_kv(w, "start_tls", "%s", lc->start_tls ? "yes" : "no");
	ldap_pool_status(ls->pool, w);
}

const struct auth_mech auth_mech_ldap = {
	.name = "ldap",
	.id = AUTH_MECH_LDAP,
	.open = ldb_open,
	.close = ldb_close,
	.identity = ldb_identity,
	.prepare = ldb_prepare,
	.verify = ldb_verify,
	.release = ldb_release,
	.status = ldb_status,
};
