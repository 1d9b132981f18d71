/*
 * main.c - pfhelpers-doctor: check how Postfix is wired to the pfhelpers
 * daemons, and say what to change (pfhelpers-doctor(8))
 *
 * Usage: pfhelpers-doctor [-q] [-C postfix_config_dir] [-s saslauthd-lite.conf]
 *        [-p policyd-ccert.conf] [-t tlsmap.conf] [-S sasl_search_path]
 *        [-B program_dir]
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

#define EX_USAGE		64
#define SASL_SEARCH_DEFAULT	"/etc/postfix/sasl:/etc/sasl2:/usr/lib/sasl2"

/* The checks, in the order their findings are printed. */
const struct doctor_check doctor_checks[] = {
	{"sasl-cyrus", check_sasl_cyrus},
	{"sasl-dovecot", check_sasl_dovecot},
	{"relay-order", check_relay_order},
	{"ccert", check_ccert},
	{"tls-maps", check_tls_maps},
	{"tlsmap-idle", check_tlsmap_idle},
	{"tlsmap-version", check_tlsmap_version},
	{"daemon-check", check_daemon_own},
	{NULL, NULL},
};

static const char *const sev_name[] = {
	[DOC_OK] = "ok", [DOC_INFO] = "info", [DOC_WARNING] = "warning",
	[DOC_ERROR] = "error",
};

void
doctor_finding(struct doctor *doc, enum doctor_sev sev, const char *what,
    const char *why, const char *fix)
{
	if (sev > doc->worst)
		doc->worst = sev;
	doc->nfindings++;
	if (doc->quiet)
		return;
	printf("%s: %s; why: %s%s%s\n", sev_name[sev], what, why,
	    fix != NULL ? "; fix: " : "", fix != NULL ? fix : "");
}

void
doctor_fix_param(const struct doctor *doc, const struct pf_service *svc,
    const char *name, const char *value, char *out, size_t outlen)
{
	if (svc != NULL && pfconf_service_overrides(svc, name)) {
		if (strpbrk(value, " \t,") != NULL)
			snprintf(out, outlen, "in master.cf, service %s/%s: "
			    "-o { %s = %s }", svc->name, svc->type, name, value);
		else
			snprintf(out, outlen, "in master.cf, service %s/%s: "
			    "-o %s=%s", svc->name, svc->type, name, value);
	} else if (doc->pf.dir != NULL)
		snprintf(out, outlen, "postconf -c %s -e '%s = %s'",
		    doc->pf.dir, name, value);
	else
		snprintf(out, outlen, "postconf -e '%s = %s'", name, value);
}

static void
usage(void)
{
	fprintf(stderr, "usage: pfhelpers-doctor [-q] [-C postfix_config_dir] "
	    "[-s saslauthd-lite.conf]\n\t[-p policyd-ccert.conf] "
	    "[-t tlsmap.conf] [-S sasl_search_path] [-B program_dir]\n");
	exit(EX_USAGE);
}

/* load_daemons - each daemon's settings; a config it refuses is an error */
static void
load_daemons(struct doctor *doc, const char *const *config,
    const char *progdir)
{
	struct daemon_conf *d;
	char what[8192], fix[4096];
	int i;

	for (i = 0; i < DAEMON_COUNT; i++) {
		d = &doc->daemon[i];
		daemon_conf_init(d, (enum daemon_id)i, config[i], progdir);
		if (daemon_conf_load(d) >= 0)
			continue;
		snprintf(what, sizeof(what), "%s's configuration cannot be "
		    "read: %s", d->kind->name, d->err);
		snprintf(fix, sizeof(fix), "correct it (%s %s %s %s lists "
		    "every problem), or name the right file with %s",
		    d->prog, d->kind->config_flag, d->config,
		    d->kind->check_arg, d->kind->doctor_flag);
		doctor_finding(doc, DOC_ERROR, what, "its wiring into Postfix "
		    "cannot be checked, and the daemon refuses it", fix);
	}
}

int
main(int argc, char **argv)
{
	static struct doctor doc;
	const char *config[DAEMON_COUNT] = {NULL, NULL, NULL};
	const char *pfdir = NULL, *progdir = NULL;
	const struct doctor_check *c;
	char err[1024];
	int ch, i;

	doc.sasl_search = SASL_SEARCH_DEFAULT;
	while ((ch = getopt(argc, argv, "B:C:hp:qS:s:t:")) != -1) {
		switch (ch) {
		case 'B':
			progdir = optarg;
			break;
		case 'C':
			pfdir = optarg;
			break;
		case 'p':
			config[DAEMON_CCERT] = optarg;
			break;
		case 'q':
			doc.quiet = true;
			break;
		case 'S':
			doc.sasl_search = optarg;
			break;
		case 's':
			config[DAEMON_SASL] = optarg;
			break;
		case 't':
			config[DAEMON_TLSMAP] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (pfconf_load(&doc.pf, pfdir, err, sizeof(err)) < 0) {
		doctor_finding(&doc, DOC_ERROR, err, "without postconf's view "
		    "of the Postfix configuration nothing can be checked",
		    "configure Postfix (main.cf), or name its configuration "
		    "directory with -C");
		return 2;
	}
	load_daemons(&doc, config, progdir);
	for (c = doctor_checks; c->name != NULL; c++)
		c->run(&doc);
	for (i = 0; i < DAEMON_COUNT; i++)
		daemon_conf_free(&doc.daemon[i]);
	pfconf_free(&doc.pf);
	fflush(stdout);
	return doc.worst == DOC_ERROR ? 2 : doc.worst == DOC_WARNING ? 1 : 0;
}
