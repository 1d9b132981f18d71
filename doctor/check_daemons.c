/*
 * check_daemons.c - each daemon's configuration, as the daemon itself
 * judges it: read when the doctor starts (daemons.h), and its own check
 * command run.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "postconf.h"
#include "xalloc.h"

#define CHECK_OUT_MAX	(64 * 1024)

void
check_daemon_own(struct doctor *doc)
{
	const struct daemon_conf *d;
	char what[8192], reason[1024], fix[4096], *out;
	const char *args[4];
	int i;

	for (i = 0; i < DAEMON_COUNT; i++) {
		d = &doc->daemon[i];
		if (!d->loaded || strcmp(d->kind->check_arg, "check") != 0)
			continue;
		args[0] = d->kind->config_flag;
		args[1] = d->config;
		args[2] = "check";
		args[3] = NULL;
		out = xmalloc(CHECK_OUT_MAX);
		if (postconf_run(d->prog, args, DOCTOR_COMMAND_MS, out,
		    CHECK_OUT_MAX, reason, sizeof(reason)) < 0) {
			snprintf(what, sizeof(what), "%s's own check fails: %s",
			    d->kind->name, reason);
			snprintf(fix, sizeof(fix), "run %s %s %s check and "
			    "correct each line it lists", d->prog,
			    d->kind->config_flag, d->config);
			doctor_finding(doc, DOC_ERROR, what, "the daemon refuses "
			    "that configuration at its next start or reload",
			    fix);
		}
		free(out);
	}
}
