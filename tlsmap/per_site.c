/*
 * per_site.c - legacy smtp_tls_per_site values and their modern equivalents
 *
 * smtp(8) compares the per-site answer with strcasecmp() against the four
 * keywords (tls_site_lookup() in smtp_tls_policy.c) and treats anything
 * else as an invalid policy. We refuse the same values at load time.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "per_site.h"

static const struct {
	const char *name;
	const char *policy;
} kw[PER_SITE_COUNT] = {
	[PER_SITE_NONE] = {"NONE", "none"},
	[PER_SITE_MAY] = {"MAY", "may"},
	[PER_SITE_MUST_NOPEERMATCH] = {"MUST_NOPEERMATCH", "encrypt"},
	[PER_SITE_MUST] = {"MUST", "verify"},
};

/* per_site_parse - one keyword, any case */
int
per_site_parse(const char *value, enum per_site_level *level_r, char *err,
    size_t errlen)
{
	const char *p = value;
	size_t n;
	int i;

	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	for (i = 0; i < PER_SITE_COUNT; i++) {
		if (strlen(kw[i].name) == n &&
		    strncasecmp(kw[i].name, p, n) == 0) {
			*level_r = (enum per_site_level)i;
			return 0;
		}
	}
	snprintf(err, errlen, "invalid smtp_tls_per_site value \"%.*s\" "
	    "(NONE, MAY, MUST_NOPEERMATCH or MUST; no attributes)",
	    (int)(n > 64 ? 64 : n), p);
	return -1;
}

/* per_site_name - canonical upper-case keyword */
const char *
per_site_name(enum per_site_level l)
{
	return (unsigned)l < PER_SITE_COUNT ? kw[l].name : "?";
}

/* per_site_policy - the smtp_tls_policy_maps level with the same effect */
const char *
per_site_policy(enum per_site_level l)
{
	return (unsigned)l < PER_SITE_COUNT ? kw[l].policy : "?";
}
