/*
 * postfix_probe.c - the version of the Postfix installed on this host
 *
 * Why ask postconf rather than trust postfix_version: the target is what
 * tlsmap validates against, but smtp(8) is what parses the answer, and a
 * target newer than it lets through attributes it defers mail on
 * ("invalid attribute name", 4.7.5). postconf is the one program every
 * Postfix install has that prints its version without a running system.
 *
 * Running it (path search, no shell, time limit, process group) is
 * common/postconf.h's; what is left here is what the answer means.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "postconf.h"
#include "postfix_probe.h"
#include "tls_policy.h"

#define OUT_MAX	256		/* mail_version is a few bytes */

/* parse_version - "3.7.11", "3.11-20250620", "3.10.0-RC1" -> version */
static int
parse_version(const char *text, unsigned *version_r)
{
	char num[32];
	size_t n = 0;
	int dots = 0;

	/* digits and at most two dots; the rest is a snapshot or RC tag */
	while (n < sizeof(num) - 1 && (isdigit((unsigned char)text[n]) ||
	    (text[n] == '.' && dots < 2 && n > 0 &&
	    isdigit((unsigned char)text[n + 1])))) {
		if (text[n] == '.')
			dots++;
		num[n] = text[n];
		n++;
	}
	num[n] = 0;
	if (text[n] != 0 && text[n] != '-' && text[n] != '.')
		return -1;
	return tls_policy_version_parse(num, version_r);
}

/* postfix_probe - find and run postconf; the outcome in *res */
void
postfix_probe(const char *command, long long timeout_ms,
    struct postfix_probe *res)
{
	static const char *const args[] = {"-d", "-h", "mail_version", NULL};
	char out[OUT_MAX], *line;

	memset(res, 0, sizeof(*res));
	if (*command == 0) {
		res->status = PROBE_OFF;
		snprintf(res->reason, sizeof(res->reason),
		    "postconf_command is empty");
		return;
	}
	if (postconf_find(command, res->path, sizeof(res->path), res->reason,
	    sizeof(res->reason)) < 0) {
		res->status = PROBE_NONE;
		res->path[0] = 0;
		return;
	}
	res->status = PROBE_FAILED;
	if (postconf_run(res->path, args, timeout_ms, out, sizeof(out),
	    res->reason, sizeof(res->reason)) < 0)
		return;
	line = postconf_first_line(out);
	if (parse_version(line, &res->version) < 0) {
		snprintf(res->reason, sizeof(res->reason), "%s -d -h "
		    "mail_version printed \"%.64s\", not a Postfix version",
		    res->path, line);
		return;
	}
	snprintf(res->mail_version, sizeof(res->mail_version), "%s", line);
	res->status = PROBE_FOUND;
}

/* postfix_probe_newer - a target newer than the installed Postfix, said once */
void
postfix_probe_newer(const struct postfix_probe *pr, const char *target,
    int serving, unsigned n, char *out, size_t outlen)
{
	char vs[16], which[700];

	tls_policy_version_str(pr->version, vs, sizeof(vs));
	if (serving)
		snprintf(which, sizeof(which), " (%s): %u loaded entr%s use%s "
		    "features it lacks, and it defers mail for those "
		    "destinations", pr->path, n, n == 1 ? "y" : "ies",
		    n == 1 ? "s" : "");
	else
		snprintf(which, sizeof(which), ": it defers mail for every "
		    "destination whose policy uses a feature newer than %s",
		    vs);
	snprintf(out, outlen, "postfix_version = %s is newer than the installed "
	    "Postfix %s%s (\"invalid attribute name\", 4.7.5 client TLS "
	    "configuration problem); %s: set postfix_version = %s, or upgrade "
	    "Postfix%s", target, pr->mail_version, which,
	    serving ? "serving them anyway" :
	    "check would let such entries through", vs,
	    serving ? " (\"tlsmap check\" lists them)" : " first");
}
