/*
 * postfix_probe.h - the version of the Postfix installed on this host
 *
 * Contract: postfix_probe() runs "COMMAND -d -h mail_version" (postconf(1);
 *   -d because mail_version is compiled in and a host without main.cf
 *   makes plain "postconf -h" fail) and reads the version it prints.
 *   COMMAND is the postconf_command parameter: a name with no '/' is
 *   looked for in $PATH, then /usr/sbin and /sbin (where Debian puts it,
 *   and often not in a service's PATH); a name with '/' is used as is; ""
 *   turns the probe off. No shell is involved: the program is spawned
 *   directly, stdin /dev/null, in its own process group with default
 *   signal handling, and stdout and stderr are read through pipes. It is
 *   given timeout_ms to finish, after which its whole process group is
 *   killed; either way it is reaped before this returns (all of which is
 *   common/postconf.h's postconf_find() and postconf_run()).
 * Results: PROBE_FOUND with the version (tls_policy.h encoding) and the
 *   text postconf printed ("3.7.11"; a snapshot's "3.11-20250620" reads as
 *   3.11); PROBE_NONE when no postconf was found; PROBE_OFF when COMMAND is
 *   ""; PROBE_FAILED when it could not be run, failed, hung or printed
 *   something that is not a version. reason is one sentence for NONE and
 *   FAILED, naming the program.
 * Blocking: yes, up to timeout_ms. Call it at startup or from a command,
 *   never from a loop callback.
 */
#ifndef PFH_POSTFIX_PROBE_H
#define PFH_POSTFIX_PROBE_H

#include <stddef.h>

enum postfix_probe_status {
	PROBE_FOUND,
	PROBE_NONE,
	PROBE_OFF,
	PROBE_FAILED,
};

struct postfix_probe {
	enum postfix_probe_status status;
	unsigned version;		/* FOUND: major * 1000 + minor */
	char	mail_version[64];	/* FOUND: as printed, e.g. "3.7.11" */
	char	path[512];		/* FOUND, FAILED: the program run */
	char	reason[1024];		/* NONE, FAILED */
};

/* postfix_probe - find and run postconf; the outcome in *res */
void	postfix_probe(const char *command, long long timeout_ms,
	    struct postfix_probe *res);
/*
 * postfix_probe_newer - the one sentence, for the daemon and for check,
 * when the target is newer than the installed Postfix pr (FOUND): both
 * versions, what that Postfix does to mail (4.7.5), what the caller does
 * about it and the fix. serving: the daemon, which serves its n loaded
 * entries concerned anyway; else check, which fails.
 */
void	postfix_probe_newer(const struct postfix_probe *pr, const char *target,
	    int serving, unsigned n, char *out, size_t outlen);

#endif /* PFH_POSTFIX_PROBE_H */
