/*
 * daemons.c - the daemons' settings, read the way they read them (daemons.h)
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "cfg_conv.h"
#include "daemons.h"
#include "doctor.h"
#include "endpoint.h"
#include "postconf.h"
#include "saslauthd.h"
#include "server_config.h"
#include "xalloc.h"

#define SETTINGS_OUT_MAX	(256 * 1024)

const struct daemon_kind daemon_kinds[DAEMON_COUNT] = {
	[DAEMON_SASL] = {"saslauthd-lite", "-C", SASL_DEFAULT_CONFIG,
	    "check", "-s"},
	[DAEMON_CCERT] = {"policyd-ccert", "-c",
	    PFH_SYSCONFDIR "/policyd-ccert.conf", "-n", "-p"},
	[DAEMON_TLSMAP] = {"tlsmap", "-c", PFH_SYSCONFDIR "/tlsmap.conf",
	    "check", "-t"},
};

void
daemon_conf_init(struct daemon_conf *d, enum daemon_id id,
    const char *config, const char *progdir)
{
	memset(d, 0, sizeof(*d));
	d->kind = &daemon_kinds[id];
	d->named = config != NULL;
	d->config = config != NULL ? config : d->kind->default_config;
	snprintf(d->prog, sizeof(d->prog), "%s/%s",
	    progdir != NULL ? progdir : PFH_SBINDIR, d->kind->name);
}

/* load_sasl - saslauthd-lite's table, as saslauthd-lite-test reads it */
static int
load_sasl(struct daemon_conf *d)
{
	struct cfg_param *table;
	struct sasl_cfg *cfg;
	struct cfg *c;
	struct buf out;
	int rc = -1;

	table = cfg_table_join(server_common_params, sasl_params,
	    sasl_common_defaults);
	c = cfg_new();
	cfg = xcalloc(1, sizeof(*cfg));
	buf_init(&out, SETTINGS_OUT_MAX);
	if (cfg_load_file(c, d->config, d->err, sizeof(d->err)) == 0 &&
	    cfg_apply(c, table, cfg, d->err, sizeof(d->err)) == 0) {
		if (cfg_dump(table, cfg, &out) == 0) {
			kvlist_parse(&d->settings, out.data);
			rc = 1;
		} else
			snprintf(d->err, sizeof(d->err), "%s: too many settings",
			    d->config);
		cfg_release(table, cfg);
	}
	buf_free(&out);
	free(cfg);
	cfg_free(c);
	free(table);
	return rc;
}

/* load_dash_n - "PROG -c FILE -n": the settings the daemon prints */
static int
load_dash_n(struct daemon_conf *d)
{
	const char *args[] = {d->kind->config_flag, d->config, "-n", NULL};
	char *out = xmalloc(SETTINGS_OUT_MAX);
	int rc = -1;

	if (postconf_run(d->prog, args, DOCTOR_COMMAND_MS, out,
	    SETTINGS_OUT_MAX, d->err, sizeof(d->err)) == 0) {
		kvlist_parse(&d->settings, out);
		rc = 1;
	}
	free(out);
	return rc;
}

int
daemon_conf_load(struct daemon_conf *d)
{
	int rc;

	if (access(d->config, F_OK) < 0) {
		if (!d->named)
			return 0;
		snprintf(d->err, sizeof(d->err), "%s: %s", d->config,
		    strerror(errno));
		return -1;
	}
	rc = d->kind == &daemon_kinds[DAEMON_SASL] ? load_sasl(d) :
	    load_dash_n(d);
	d->loaded = rc == 1;
	return rc;
}

const char *
daemon_conf_setting(const struct daemon_conf *d, const char *name)
{
	const char *v = kvlist_get(&d->settings, name);

	return v != NULL ? v : "";
}

void
daemon_conf_free(struct daemon_conf *d)
{
	kvlist_free(&d->settings);
}

bool
daemon_conf_listens(const struct daemon_conf *d, const char *ep)
{
	const char *listen = daemon_conf_setting(d, "listen"), *it;
	char mine[512], theirs[512];
	size_t len;

	(void)endpoint_canonical(ep, strlen(ep), NULL, mine, sizeof(mine));
	while ((it = cfg_conv_list_next(&listen, &len)) != NULL) {
		(void)endpoint_canonical(it, len, NULL, theirs, sizeof(theirs));
		if (strcmp(mine, theirs) == 0)
			return true;
	}
	return false;
}
