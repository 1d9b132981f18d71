/*
 * sync_params.c - pfhelpers-sync's parameters, per daemon and per feed
 *
 * The feeds' parameters are a cfg_group (cfg_group.h): "feeds = auth tls"
 * makes auth_source, auth_format, ... and tls_source, ... parameters. A
 * SIGHUP remakes every feed and link from the new config (main.c), so
 * every parameter here takes effect at a reload.
 */
#include "sysdep.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

const struct cfg_group sync_feed_group = {
	.list = "feeds",
	.params = sync_feed_params,
	.size = sizeof(struct sync_feed_cfg),
	.offset = offsetof(struct sync_cfg, feed_set),
};

/* check_source - "pgsql:CONNINFO" that libpq can parse */
static int
check_source(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	PQconninfoOption *opts;
	char *msg = NULL;

	if (strncmp(fc->source, "ldap:", 5) == 0) {
		snprintf(err, errlen, "%s_source: ldap: sources are not "
		    "supported by this build yet", name);
		return -1;
	}
	if (strncmp(fc->source, "pgsql:", 6) != 0 || fc->source[6] == 0) {
		snprintf(err, errlen, "%s_source: want pgsql:CONNINFO (a "
		    "libpq connection string or URI)", name);
		return -1;
	}
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
	return 0;
}

/* check_feed - one feed's parameters */
static int
check_feed(const char *name, struct sync_feed_cfg *fc, char *err,
    size_t errlen)
{
	if (check_source(name, fc, err, errlen) < 0)
		return -1;
	if (sync_format_parse(fc->format, &fc->fmt) < 0) {
		snprintf(err, errlen, "%s_format = %s: want pwfile, "
		    "identities or policy", name, fc->format);
		return -1;
	}
	if (fc->output[0] != '/') {
		snprintf(err, errlen, "%s_output = %s: want an absolute path",
		    name, fc->output);
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
		if (tcp_without_tls(fc->conninfo))
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
