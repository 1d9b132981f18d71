/*
 * ldap_conf.c - the LDAP backend's settings from the parameters and the
 * Cyrus-format file, validated (contract in ldap_conf.h)
 *
 * Each setting remembers where it came from, so that "check" (and a
 * refused start or reload) can say "FILE, line N" for a value of the
 * Cyrus file and the parameter's name for one of saslauthd-lite's own.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cfg_conv.h"
#include "cyrus_conf.h"
#include "ldap_conf.h"
#include "ldap_filter.h"
#include "log.h"
#include "saslauthd.h"
#include "secret.h"
#include "xalloc.h"

/* The settings, by the Cyrus key (and saslauthd-lite parameter) name. */
enum lk {
	K_SERVERS, K_BASE, K_FILTER, K_BIND_DN, K_PASSWORD, K_METHOD,
	K_START_TLS, K_CACERT, K_TIMEOUT, K_SCOPE, K_N
};
static const char *const lk_name[K_N] = {
	"ldap_servers", "ldap_search_base", "ldap_filter", "ldap_bind_dn",
	"ldap_password", "ldap_auth_method", "ldap_start_tls",
	"ldap_tls_cacert_file", "ldap_timeout", "ldap_scope",
};

/* Cyrus keys read and ignored: they tune, they never let more in. */
static const char *const ignored_keys[] = {
	"ldap_referrals", "ldap_restart", "ldap_time_limit", "ldap_size_limit",
	"ldap_deref", "ldap_tls_check_peer", "ldap_tls_cacert_dir",
	"ldap_tls_ciphers", "ldap_tls_cert", "ldap_tls_key", "ldap_debug",
	"ldap_verbose", "ldap_cache_ttl", "ldap_cache_mem", "ldap_mech",
	"ldap_id", "ldap_authz", "ldap_realm", NULL,
};

struct build {
	char	*raw[K_N];		/* text values, before validation */
	char	 origin[K_N][320];	/* "" the parameter, else FILE, line N */
	const char *path;
	bool	 timeout_set, start_tls;
	long long timeout_ms;
};

/* set_raw - a text value and where it came from */
static void
set_raw(struct build *b, enum lk k, const char *value, unsigned line)
{
	if (b->raw[k] != NULL)
		secret_free_str(b->raw[k]);
	b->raw[k] = xstrdup(value);
	if (line)
		snprintf(b->origin[k], sizeof(b->origin[k]), "%s, line %u",
		    b->path, line);
	else
		b->origin[k][0] = 0;
}

/* bad - "ORIGIN: key: reason", or "key: reason" for a parameter */
static int
bad(const struct build *b, enum lk k, const char *why, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "%s%s%s: %s", b->origin[k],
	    *b->origin[k] ? ": " : "", lk_name[k], why);
	return -1;
}

/* in_list - a name on a NULL-terminated list */
static bool
in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* cyrus_key - one line of the Cyrus file */
static int
cyrus_key(void *vb, const char *key, const char *value, unsigned line,
    char *err, size_t errlen)
{
	struct build *b = vb;
	long long n;
	bool yes;
	int k;

	if (strcmp(key, "ldap_bind_pw") == 0)
		key = "ldap_password";		/* Cyrus's older name */
	for (k = 0; k < K_N; k++)
		if (strcmp(key, lk_name[k]) == 0)
			break;
	if (k == K_START_TLS) {
		if (cfg_conv_bool(value, &yes) < 0) {
			snprintf(err, errlen, "%s: \"%.64s\": want yes or no",
			    key, value);
			return -1;
		}
		b->start_tls = yes;
		set_raw(b, K_START_TLS, value, line);
	} else if (k == K_TIMEOUT) {
		/* Cyrus: whole seconds; our time syntax is a superset */
		if (cfg_conv_time(value, &n) < 0 || n < 10 || n > 600000) {
			snprintf(err, errlen, "%s: \"%.64s\": want seconds "
			    "(0.01s to 600s)", key, value);
			return -1;
		}
		b->timeout_ms = n;
		b->timeout_set = true;
		set_raw(b, K_TIMEOUT, value, line);
	} else if (k < K_N) {
		set_raw(b, (enum lk)k, value, line);
	} else if (strcmp(key, "ldap_version") == 0) {
		if (strcmp(value, "3") != 0) {
			snprintf(err, errlen, "ldap_version: only 3 is "
			    "supported");
			return -1;
		}
	} else if (strcmp(key, "ldap_use_sasl") == 0) {
		if (cfg_conv_bool(value, &yes) < 0 || yes) {
			snprintf(err, errlen, "ldap_use_sasl: SASL binds are "
			    "not supported (simple binds only)");
			return -1;
		}
	} else if (strcmp(key, "ldap_password_attr") == 0) {
		if (strcasecmp(value, "userPassword") != 0) {
			snprintf(err, errlen, "ldap_password_attr: only "
			    "userPassword is supported");
			return -1;
		}
	} else if (strncmp(key, "ldap_group_", 11) == 0 ||
	    strncmp(key, "ldap_member_", 12) == 0) {
		/* ignoring a group check would let in users it keeps out */
		snprintf(err, errlen, "%s: group checks are not supported; "
		    "restrict the users with ldap_filter instead", key);
		return -1;
	} else if (in_list(ignored_keys, key)) {
		log_info("%s, line %u: %s ignored%s", b->path, line, key,
		    strcmp(key, "ldap_tls_check_peer") == 0 ? " (saslauthd-lite "
		    "always verifies the server's certificate)" : "");
	} else {
		log_warn("%s, line %u: unknown key %s ignored", b->path, line,
		    key);
	}
	return 0;
}

/* check_servers - split and parse every URL */
static int
check_servers(struct build *b, struct ldap_conf *lc, char *err,
    size_t errlen)
{
	const char *p = b->raw[K_SERVERS];
	char url[1024], why[1200];
	bool toolong;

	while ((p = auth_list_next(p, url, sizeof(url), &toolong)) != NULL) {
		LDAPURLDesc *lud = NULL;
		bool ok;

		if (toolong)
			return bad(b, K_SERVERS, "a URL longer than 1023 bytes",
			    err, errlen);
		if (lc->nservers == LDAP_MAX_SERVERS) {
			snprintf(why, sizeof(why), "at most %d servers",
			    LDAP_MAX_SERVERS);
			return bad(b, K_SERVERS, why, err, errlen);
		}
		ok = ldap_url_parse(url, &lud) == LDAP_URL_SUCCESS &&
		    lud->lud_scheme != NULL &&
		    (strcasecmp(lud->lud_scheme, "ldap") == 0 ||
		    strcasecmp(lud->lud_scheme, "ldaps") == 0 ||
		    strcasecmp(lud->lud_scheme, "ldapi") == 0) &&
		    lud->lud_port >= 0 && lud->lud_port <= 65535;
		if (lud)
			ldap_free_urldesc(lud);
		if (!ok) {
			snprintf(why, sizeof(why), "\"%s\" is not an ldap://, "
			    "ldaps:// or ldapi:// URL", url);
			return bad(b, K_SERVERS, why, err, errlen);
		}
		lc->servers[lc->nservers++] = xstrdup(url);
	}
	if (lc->nservers == 0)
		return bad(b, K_SERVERS, "empty", err, errlen);
	return 0;
}

/* has_user_token - %u or %U: else every login is the same entry */
static bool
has_user_token(const char *t)
{
	for (; *t; t++) {
		if (*t != '%' || t[1] == 0)
			continue;
		if (t[1] == 'u' || t[1] == 'U')
			return true;
		t++;
	}
	return false;
}

/* check_method_filter - the method, and the filter (or DN) it uses */
static int
check_method_filter(struct build *b, struct ldap_conf *lc, char *err,
    size_t errlen)
{
	const char *m = b->raw[K_METHOD], *f = b->raw[K_FILTER];
	char why[600];

	if (strcmp(m, "bind") == 0)
		lc->method = LDAP_METHOD_BIND;
	else if (strcmp(m, "fastbind") == 0)
		lc->method = LDAP_METHOD_FASTBIND;
	else if (strcmp(m, "custom") == 0)
		lc->method = LDAP_METHOD_CUSTOM;
	else
		return bad(b, K_METHOD, "want bind, fastbind or custom", err,
		    errlen);
	if (lc->method == LDAP_METHOD_FASTBIND) {
		if (ldap_template_check(f, why, sizeof(why)) < 0)
			return bad(b, K_FILTER, why, err, errlen);
		if (strchr(f, '(') != NULL || strchr(f, '=') == NULL)
			return bad(b, K_FILTER, "with fastbind it is the user's "
			    "DN, like uid=%u,ou=people,dc=example,dc=net", err,
			    errlen);
	} else {
		if (ldap_filter_check(f, why, sizeof(why)) < 0)
			return bad(b, K_FILTER, why, err, errlen);
		if (*b->raw[K_BASE] == 0)
			return bad(b, K_BASE, "empty: bind and custom search "
			    "for the user's entry below it", err, errlen);
	}
	if (!has_user_token(f))
		return bad(b, K_FILTER, "no %u or %U: every login would be "
		    "the same entry", err, errlen);
	return 0;
}

/* validate - everything but the servers and the filter */
static int
validate(struct build *b, struct ldap_conf *lc, char *err, size_t errlen)
{
	const char *s = b->raw[K_SCOPE];
	char why[600];
	int fd;

	if (check_servers(b, lc, err, errlen) < 0 ||
	    check_method_filter(b, lc, err, errlen) < 0)
		return -1;
	if (strcmp(s, "sub") == 0)
		lc->scope = LDAP_SCOPE_SUBTREE;
	else if (strcmp(s, "one") == 0)
		lc->scope = LDAP_SCOPE_ONELEVEL;
	else if (strcmp(s, "base") == 0)
		lc->scope = LDAP_SCOPE_BASE;
	else
		return bad(b, K_SCOPE, "want sub, one or base", err, errlen);
	if (*b->raw[K_CACERT]) {
		if ((fd = open(b->raw[K_CACERT], O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(why, sizeof(why), "%s: %s", b->raw[K_CACERT],
			    strerror(errno));
			return bad(b, K_CACERT, why, err, errlen);
		}
		close(fd);
	}
	if (*b->raw[K_PASSWORD] && *b->raw[K_BIND_DN] == 0)
		return bad(b, K_BIND_DN, "empty, but ldap_password is set: "
		    "name the DN the password is for", err, errlen);
	return 0;
}

/*
 * secrecy_warning - a Cyrus file that holds the service password and that
 * everyone may read: said at every start and reload, but not refused (a
 * Cyrus install moves over unchanged; Cyrus never minded)
 */
static void
secrecy_warning(const char *path, const char *password)
{
	struct stat st;

	if (*password && stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warn("%s: holds ldap_password and everyone may read it "
		    "(mode %04o): chmod 0600 (or 0640 for a group)", path,
		    (unsigned)(st.st_mode & 07777));
}

/* ldap_conf_build - parameters, the Cyrus file over them, validated */
int
ldap_conf_build(const struct sasl_cfg *cfg, struct ldap_conf *lc, char *err,
    size_t errlen)
{
	struct build b;
	const char *from_cfg[K_N] = {
		cfg->ldap_servers, cfg->ldap_search_base, cfg->ldap_filter,
		cfg->ldap_bind_dn, cfg->ldap_password, cfg->ldap_auth_method,
		"", cfg->ldap_tls_cacert_file, "", cfg->ldap_scope,
	};
	int k, rc = -1;

	memset(lc, 0, sizeof(*lc));
	memset(&b, 0, sizeof(b));
	for (k = 0; k < K_N; k++)
		set_raw(&b, (enum lk)k, from_cfg[k], 0);
	b.start_tls = cfg->ldap_start_tls;
	b.timeout_ms = cfg->ldap_timeout;
	if (*cfg->ldap_config) {
		b.path = cfg->ldap_config;
		if (cyrus_conf_load(cfg->ldap_config, cyrus_key, &b, err,
		    errlen) < 0)
			goto out;
		lc->source = xstrdup(cfg->ldap_config);
		/* only when the password is the file's own */
		secrecy_warning(cfg->ldap_config, *b.origin[K_PASSWORD] ?
		    b.raw[K_PASSWORD] : "");
	}
	if (validate(&b, lc, err, errlen) < 0)
		goto out;
	lc->search_base = xstrdup(b.raw[K_BASE]);
	lc->filter = xstrdup(b.raw[K_FILTER]);
	lc->bind_dn = xstrdup(b.raw[K_BIND_DN]);
	lc->password = xstrdup(b.raw[K_PASSWORD]);
	lc->cacert_file = xstrdup(b.raw[K_CACERT]);
	lc->start_tls = b.start_tls;
	lc->timeout_ms = b.timeout_ms;
	if (lc->method == LDAP_METHOD_FASTBIND && *lc->bind_dn)
		log_info("ldap: ldap_bind_dn is not used with fastbind");
	rc = 0;
out:
	for (k = 0; k < K_N; k++)
		secret_free_str(b.raw[k]);
	if (rc < 0)
		ldap_conf_free(lc);
	return rc;
}

/* ldap_conf_free - free, the password wiped */
void
ldap_conf_free(struct ldap_conf *lc)
{
	unsigned i;

	for (i = 0; i < lc->nservers; i++)
		free(lc->servers[i]);
	free(lc->search_base);
	free(lc->filter);
	free(lc->bind_dn);
	if (lc->password)
		secret_free_str(lc->password);
	free(lc->cacert_file);
	free(lc->source);
	memset(lc, 0, sizeof(*lc));
}

/* ldap_cfg_changed - does a reload rebuild the backend? */
bool
ldap_cfg_changed(const struct sasl_cfg *o, const struct sasl_cfg *n)
{
	return *n->ldap_config ||
	    strcmp(o->ldap_config, n->ldap_config) != 0 ||
	    strcmp(o->ldap_servers, n->ldap_servers) != 0 ||
	    strcmp(o->ldap_search_base, n->ldap_search_base) != 0 ||
	    strcmp(o->ldap_filter, n->ldap_filter) != 0 ||
	    strcmp(o->ldap_bind_dn, n->ldap_bind_dn) != 0 ||
	    strcmp(o->ldap_password, n->ldap_password) != 0 ||
	    strcmp(o->ldap_auth_method, n->ldap_auth_method) != 0 ||
	    strcmp(o->ldap_tls_cacert_file, n->ldap_tls_cacert_file) != 0 ||
	    strcmp(o->ldap_scope, n->ldap_scope) != 0 ||
	    o->ldap_start_tls != n->ldap_start_tls ||
	    o->ldap_timeout != n->ldap_timeout;
}

/* ldap_method_name - for the status page */
const char *
ldap_method_name(enum ldap_method m)
{
	switch (m) {
	case LDAP_METHOD_BIND:
		return "bind";
	case LDAP_METHOD_FASTBIND:
		return "fastbind";
	case LDAP_METHOD_CUSTOM:
		return "custom";
	}
	return "?";
}
