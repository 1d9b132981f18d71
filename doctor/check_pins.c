/*
 * check_pins.c - policyd-ccert's pins against the digest smtpd sends
 *
 * smtpd sends fingerprints in smtpd_tls_fingerprint_digest (md5 below
 * compatibility_level 3.6, sha256 from it); a pin of another digest never
 * matches (fprint.h: the digest follows from the length). An identity
 * without a pin in that digest can never relay.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor.h"
#include "fprint.h"

#define MAX_NAMES	256

struct pin_names {
	char	name[MAX_NAMES][65];
	bool	has[MAX_NAMES];		/* a pin in the wanted digest */
	int	n;
};

/* note - the identity name has a pin; has it one of the wanted digest */
static void
note(struct pin_names *p, const char *name, bool match)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			break;
	if (i == p->n) {
		if (p->n == MAX_NAMES)
			return;
		snprintf(p->name[p->n++], sizeof(p->name[0]), "%s", name);
		p->has[i] = false;
	}
	p->has[i] |= match;
}

/* read_pins - each line's first two words; -1 when the file cannot be read */
static int
read_pins(const char *path, const char *digest, struct pin_names *p)
{
	char line[4096], *fp, *name, *save = NULL, err[256];
	enum fprint_digest d;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (isspace((unsigned char)line[0]) || line[0] == '#')
			continue;	/* a continuation, a comment, blank */
		if ((fp = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    (name = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			continue;
		len = strlen(fp);
		if (fprint_normalise(fp, &len, &d, err, sizeof(err)) < 0)
			continue;	/* policyd-ccert refuses the file */
		note(p, name, strcasecmp(fprint_digest_name(d), digest) == 0);
	}
	fclose(f);
	return 0;
}

void
ccert_check_pins(struct doctor *doc, const struct pf_service *svc)
{
	const char *ids = daemon_conf_setting(&doc->daemon[DAEMON_CCERT],
	    "identities");
	const char *digest = pfconf_service_get(&doc->pf, svc,
	    "smtpd_tls_fingerprint_digest");
	static struct pin_names p;
	char what[8192], names[4096], fix[4096];
	size_t n = 0;
	int i, missing = 0;

	p.n = 0;
	if (digest == NULL || *ids == 0 || read_pins(ids, digest, &p) < 0 ||
	    p.n == 0)
		return;
	names[0] = 0;
	for (i = 0; i < p.n; i++)
		if (!p.has[i]) {
			missing++;
			if (n < sizeof(names))
				n += (size_t)snprintf(names + n,
				    sizeof(names) - n, "%s%s", n ? ", " : "",
				    p.name[i]);
		}
	if (missing == 0)
		return;
	if (missing == p.n)
		snprintf(what, sizeof(what), "smtpd (service %s/%s) sends %s "
		    "fingerprints (smtpd_tls_fingerprint_digest = %s), but in "
		    "%s no identity has a %s pin (%s)", svc->name, svc->type,
		    digest, digest, ids, digest, names);
	else
		snprintf(what, sizeof(what), "smtpd (service %s/%s) sends %s "
		    "fingerprints (smtpd_tls_fingerprint_digest = %s), but in "
		    "%s these identities have no %s pin: %s", svc->name,
		    svc->type, digest, digest, ids, digest, names);
	snprintf(fix, sizeof(fix), "add each identity's %s pin (policyd-ccert-"
	    "enrol prints one for every digest) to %s", digest, ids);
	doctor_finding(doc, missing == p.n ? DOC_ERROR : DOC_WARNING, what,
	    "those clients' certificates never match, and they cannot relay",
	    fix);
}
