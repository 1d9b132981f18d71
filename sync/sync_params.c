/*
 * sync_params.c - pfhelpers-sync's parameters, per daemon and per feed
 *
 * The feeds' parameters are a cfg_group (cfg_group.h): "feeds = auth tls"
 * makes auth_source, auth_format, ... and tls_source, ... parameters. A
 * SIGHUP remakes every feed and link from the new config (main.c), so
 * every parameter here takes effect at a reload.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdbool.h>
#include <ldap.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "log.h"
#include "sync.h"
#include "tls_policy.h"

#define P(f)	offsetof(struct sync_cfg, f)
#define F(f)	offsetof(struct sync_feed_cfg, f)
#define RL	CFG_F_RELOAD

const struct cfg_param sync_params[] = {
	{"feeds", CFG_STR, "", P(feeds), 0, 0, RL},
	{"max_delete_fraction", CFG_STR, "0.5", P(max_delete_fraction), 0, 0,
	    RL},
	{"postfix_version", CFG_STR, PFH_DEFAULT_POSTFIX_VERSION,
	    P(postfix_version), 0, 0, RL},
	{"debounce", CFG_TIME, "50ms", P(debounce), 0, 60000, RL},
	{"connect_timeout", CFG_TIME, "10s", P(connect_timeout), 100,
	    600000, RL},
	{"retry_min", CFG_TIME, "200ms", P(retry_min), 10, 600000, RL},
	{"retry_max", CFG_TIME, "30s", P(retry_max), 10, 3600000, RL},
	{"heartbeat_interval", CFG_TIME, "30s", P(heartbeat_interval), 100,
	    86400000, RL},
	{"max_table_size", CFG_SIZE, "64m", P(max_table_size), 1024,
	    (long long)1 << 34, RL},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

static const struct cfg_param sync_feed_params[] = {
	/* a conninfo may hold a password: -n and reload logs hide it */
	{"source", CFG_STR, "", F(source), 0, 0, RL | CFG_F_SECRET},
	{"format", CFG_STR, "", F(format), 0, 0, RL},
	{"output", CFG_STR, "", F(output), 0, 0, RL},
	{"query", CFG_STR, "", F(query), 0, 0, RL},
	{"notify_channel", CFG_STR, "pfhelpers_sync", F(notify_channel), 0, 0,
	    RL},
	{"output_mode", CFG_MODE, "0", F(output_mode), 0, 0, RL},
	{"output_group", CFG_STR, "", F(output_group), 0, 0, RL},
	{"search_base", CFG_STR, "", F(search_base), 0, 0, RL},
	{"filter", CFG_STR, "(objectClass=*)", F(filter), 0, 0, RL},
	{"scope", CFG_STR, "sub", F(scope), 0, 0, RL},
	{"attributes", CFG_STR, "", F(attributes), 0, 0, RL},
	{"bind_dn", CFG_STR, "", F(bind_dn), 0, 0, RL},
	{"bind_password_file", CFG_STR, "", F(bind_password_file), 0, 0, RL},
	{"start_tls", CFG_BOOL, "no", F(start_tls), 0, 0, RL},
	{"tls_ca_cert_file", CFG_STR, "", F(tls_ca_cert_file), 0, 0, RL},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

const struct cfg_group sync_feed_group = {
	.list = "feeds",
	.params = sync_feed_params,
	.size = sizeof(struct sync_feed_cfg),
	.offset = offsetof(struct sync_cfg, feed_set),
};

/* check_pgsql - "pgsql:CONNINFO" that libpq can parse */
static int
check_pgsql(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	PQconninfoOption *opts;
	char *msg = NULL;

	fc->kind = SYNC_SRC_PGSQL;
	fc->conninfo = fc->source + 6;
	/* never echo the conninfo: it may hold a password */
	if ((opts = PQconninfoParse(fc->conninfo, &msg)) == NULL) {
		snprintf(err, errlen, "%s_source: libpq cannot parse the "
		    "connection string: %.200s", name, msg ? msg : "out of "
		    "memory");
		if (msg)
			PQfreemem(msg);
		return -1;
	}
	PQconninfoFree(opts);
	if (fc->attributes[0] || fc->search_base[0] || fc->bind_dn[0]) {
		snprintf(err, errlen, "%s_attributes, _search_base and _bind_dn "
		    "are for ldap: sources; a pgsql: feed takes %s_query",
		    name, name);
		return -1;
	}
	if (fc->query[0] == 0) {
		snprintf(err, errlen, "%s_query: empty; want the SELECT that "
		    "gives the table's rows", name);
		return -1;
	}
	if (fc->notify_channel[0] == 0) {
		snprintf(err, errlen, "%s_notify_channel: empty", name);
		return -1;
	}
	return 0;
}

/* check_attributes - the LDAP attributes that give the format's columns */
static int
check_attributes(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	unsigned want_min = 2, want_max = fc->fmt == SYNC_FMT_IDENTITIES ? 3 : 2;
	const char *p = fc->attributes, *q;
	size_t len, i;

	fc->nattrs = 0;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == 0)
			break;
		len = strcspn(p, " \t,");
		if (fc->nattrs == SYNC_LDAP_MAX_ATTRS || fc->nattrs == want_max) {
			snprintf(err, errlen, "%s_attributes: more than %u "
			    "attributes; a %s feed takes %s", name, want_max,
			    sync_format_name(fc->fmt), want_max == 3 ?
			    "the certificate or fingerprint, the name and the "
			    "options" : "two (key and value)");
			return -1;
		}
		for (i = 0, q = p; i < len; i++, q++)
			if (!(isalnum((unsigned char)*q) || *q == '-' ||
			    *q == ';' || *q == '.'))
				break;
		if (i < len || len >= sizeof(fc->attr[0])) {
			snprintf(err, errlen, "%s_attributes: \"%.*s\" is not "
			    "an attribute description", name,
			    (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		memcpy(fc->attr[fc->nattrs], p, len);
		fc->attr[fc->nattrs++][len] = 0;
		p += len;
	}
	if (fc->nattrs < want_min) {
		snprintf(err, errlen, "%s_attributes: want %s", name,
		    fc->fmt == SYNC_FMT_PWFILE ? "the login and the hash "
		    "attributes (e.g. uid userPassword)" :
		    fc->fmt == SYNC_FMT_POLICY ? "the key and the policy "
		    "attributes" : "the certificate (userCertificate;binary) "
		    "or fingerprint attribute, the name attribute and "
		    "optionally the options attribute");
		return -1;
	}
	return 0;
}

/* remote_ldap - an ldap:// URI (len bytes at p) to another host than
 * this one's loopback: clear text unless StartTLS */
static int
remote_ldap(const char *p, size_t len)
{
	const char *h = p + 7;
	size_t hl;

	if (len < 7 || strncasecmp(p, "ldap://", 7) != 0)
		return 0;
	hl = strcspn(h, ":/ \t");
	return !((hl == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
	    (hl == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	    (hl == 5 && strncmp(h, "[::1]", 5) == 0));
}

/* ldap_in_clear - an ldap:// URI to another host, without StartTLS */
static int
ldap_in_clear(const struct sync_feed_cfg *fc)
{
	const char *p;
	size_t len;

	if (fc->start_tls)
		return 0;
	for (p = fc->uris; *(p += strspn(p, " \t")); p += len)
		if (remote_ldap(p, len = strcspn(p, " \t")))
			return 1;
	return 0;
}

/* check_ldap_tls - no URI list that would fall back to clear text, no
 * password sent in clear, no StartTLS where it cannot work */
static int
check_ldap_tls(const char *name, const struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	const char *p;
	size_t len;
	bool tls = false, clear = false, other = false;

	for (p = fc->uris; *(p += strspn(p, " \t")); p += len) {
		len = strcspn(p, " \t");
		if (strncasecmp(p, "ldaps://", 8) == 0)
			tls = true;
		else if (remote_ldap(p, len))
			clear = true;
		if (strncasecmp(p, "ldap://", 7) != 0)
			other = true;
	}
	if (fc->start_tls && other) {
		snprintf(err, errlen, "%s_start_tls = yes needs ldap:// URIs "
		    "only (ldaps:// is TLS already, ldapi:// a local socket)",
		    name);
		return -1;
	}
	if (!fc->start_tls && tls && clear) {
		snprintf(err, errlen, "%s_source mixes ldaps:// and clear-text "
		    "ldap:// URIs: a server that fails its certificate check "
		    "would be passed over for one that is not checked at all; "
		    "use ldaps:// only, or ldap:// with %s_start_tls = yes",
		    name, name);
		return -1;
	}
	if (!fc->start_tls && clear && fc->bind_dn[0]) {
		snprintf(err, errlen, "%s_bind_dn over a clear-text ldap:// "
		    "URI would send the bind password unprotected: set "
		    "%s_start_tls = yes or use ldaps://", name, name);
		return -1;
	}
	return 0;
}

/* check_ldap - "ldap:URI [URI ...]" and the search's parameters */
static int
check_ldap(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	const char *p;
	size_t len;

	fc->kind = SYNC_SRC_LDAP;
	fc->uris = fc->source + 5;
	for (p = fc->uris; *(p += strspn(p, " \t")); p += len) {
		len = strcspn(p, " \t");
		if (len > 255) {
			snprintf(err, errlen, "%s_source: a URI longer than "
			    "255 bytes", name);
			return -1;
		}
		if (!(len > 7 && strncasecmp(p, "ldap://", 7) == 0) &&
		    !(len > 8 && strncasecmp(p, "ldaps://", 8) == 0) &&
		    !(len > 8 && strncasecmp(p, "ldapi://", 8) == 0)) {
			snprintf(err, errlen, "%s_source: \"%.*s\": want "
			    "ldap://, ldaps:// or ldapi:// URIs", name,
			    (int)(len > 64 ? 64 : len), p);
			return -1;
		}
	}
	if (strcmp(fc->scope, "sub") == 0)
		fc->scope_v = LDAP_SCOPE_SUBTREE;
	else if (strcmp(fc->scope, "one") == 0)
		fc->scope_v = LDAP_SCOPE_ONELEVEL;
	else if (strcmp(fc->scope, "base") == 0)
		fc->scope_v = LDAP_SCOPE_BASE;
	else {
		snprintf(err, errlen, "%s_scope = %s: want sub, one or base",
		    name, fc->scope);
		return -1;
	}
	if (fc->query[0]) {
		snprintf(err, errlen, "%s_query is for pgsql: sources; an "
		    "ldap: feed takes %s_search_base, %s_filter and "
		    "%s_attributes", name, name, name, name);
		return -1;
	}
	if (fc->filter[0] != '(') {
		snprintf(err, errlen, "%s_filter = %s: want an LDAP filter in "
		    "parentheses, e.g. (objectClass=inetOrgPerson)", name,
		    fc->filter);
		return -1;
	}
	if (fc->bind_dn[0] && fc->bind_password_file[0] == 0) {
		snprintf(err, errlen, "%s_bind_dn is set but %s_"
		    "bind_password_file is not: the password is read from a "
		    "file, never from this one", name, name);
		return -1;
	}
	if (fc->bind_password_file[0] && fc->bind_password_file[0] != '/') {
		snprintf(err, errlen, "%s_bind_password_file = %s: want an "
		    "absolute path", name, fc->bind_password_file);
		return -1;
	}
	if (check_ldap_tls(name, fc, err, errlen) < 0)
		return -1;
	return check_attributes(name, fc, err, errlen);
}

/* check_source - which store, and its own parameters */
static int
check_source(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	if (strncmp(fc->source, "ldap:", 5) == 0 && fc->source[5] &&
	    fc->source[5 + strspn(fc->source + 5, " \t")])
		return check_ldap(name, fc, err, errlen);
	if (strncmp(fc->source, "pgsql:", 6) == 0 && fc->source[6] != 0)
		return check_pgsql(name, fc, err, errlen);
	snprintf(err, errlen, "%s_source: want pgsql:CONNINFO (a libpq "
	    "connection string or URI) or ldap:URI [URI ...]", name);
	return -1;
}

/* check_feed - one feed's parameters */
static int
check_feed(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	if (sync_format_parse(fc->format, &fc->fmt) < 0) {
		snprintf(err, errlen, "%s_format = %s: want pwfile, "
		    "identities or policy", name, fc->format);
		return -1;
	}
	if (check_source(name, fc, err, errlen) < 0)
		return -1;
	if (fc->output[0] != '/') {
		snprintf(err, errlen, "%s_output = %s: want an absolute path",
		    name, fc->output);
		return -1;
	}
	/* saslauthd-lite refuses a password file others could read */
	if (fc->fmt == SYNC_FMT_PWFILE && (fc->output_mode & 0027)) {
		snprintf(err, errlen, "%s_output_mode = %04o: a password file "
		    "must give others no access and its group no write "
		    "(saslauthd-lite refuses it); 0600 or 0640", name,
		    (unsigned)fc->output_mode);
		return -1;
	}
	return 0;
}

/* tcp_without_tls - does a conninfo reach a host over TCP, unverified? */
static int
tcp_without_tls(const char *conninfo)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *hostaddr = NULL, *sslmode = NULL;
	int risky;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return 0;
	for (o = opts; o->keyword; o++) {
		if (o->val == NULL || *o->val == 0)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "sslmode") == 0)
			sslmode = o->val;
	}
	/* a socket directory (or none: libpq's default socket) is local */
	risky = (hostaddr != NULL || (host != NULL && host[0] != '/' &&
	    host[0] != '@')) && (sslmode == NULL ||
	    strcmp(sslmode, "verify-full") != 0);
	PQconninfoFree(opts);
	return risky;
}

/* sync_warn_cfg - a store reached over TCP without a verified TLS name */
void
sync_warn_cfg(void *vcfg)
{
	const struct sync_cfg *cfg = vcfg;
	const struct sync_feed_cfg *fc;
	size_t i;

	for (i = 0; i < cfg->feed_set.n; i++) {
		fc = cfg->feed_set.items[i];
		if (fc->kind == SYNC_SRC_LDAP && ldap_in_clear(fc))
			log_warn("%s_source: an ldap:// server on another host "
			    "without %s_start_tls = yes: the entries (and "
			    "password hashes) travel unprotected, from a server "
			    "whose name is not checked; use ldaps:// or StartTLS",
			    cfg->feed_set.names[i], cfg->feed_set.names[i]);
		if (fc->kind == SYNC_SRC_PGSQL && tcp_without_tls(fc->conninfo))
			log_warn("%s_source: reaches the store over TCP without "
			    "sslmode=verify-full: the tables (and password "
			    "hashes) travel unprotected, from a server whose "
			    "name is not checked", cfg->feed_set.names[i]);
	}
}

/* sync_check_cfg - the whole config */
int
sync_check_cfg(void *vcfg, char *err, size_t errlen)
{
	struct sync_cfg *cfg = vcfg;
	const struct cfg_group_set *set = &cfg->feed_set;
	struct sync_feed_cfg *a, *b;
	char *end;
	size_t i, j;

	cfg->max_delete_fraction_v = strtod(cfg->max_delete_fraction, &end);
	if (end == cfg->max_delete_fraction || *end != 0 ||
	    !(cfg->max_delete_fraction_v >= 0 &&
	    cfg->max_delete_fraction_v <= 1)) {
		snprintf(err, errlen, "max_delete_fraction = %s: want a number "
		    "from 0 to 1", cfg->max_delete_fraction);
		return -1;
	}
	if (tls_policy_version_parse(cfg->postfix_version, &cfg->version) <
	    0) {
		snprintf(err, errlen, "postfix_version = %s: want a Postfix "
		    "release such as 3.7", cfg->postfix_version);
		return -1;
	}
	if (cfg->retry_max < cfg->retry_min) {
		snprintf(err, errlen, "retry_max is shorter than retry_min");
		return -1;
	}
	if (set->n == 0) {
		snprintf(err, errlen, "feeds: empty; name at least one feed");
		return -1;
	}
	for (i = 0; i < set->n; i++) {
		a = set->items[i];
		if (check_feed(set->names[i], a, err, errlen) < 0)
			return -1;
		for (j = 0; j < i; j++) {
			b = set->items[j];
			if (strcmp(a->output, b->output) == 0) {
				snprintf(err, errlen, "%s_output: %s is also "
				    "feed %s's output", set->names[i],
				    a->output, set->names[j]);
				return -1;
			}
		}
	}
	return 0;
}
