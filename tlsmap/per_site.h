/*
 * per_site.h - legacy smtp_tls_per_site values and their modern equivalents
 *
 * Contract: per_site_parse() accepts exactly one keyword, NONE, MAY,
 *   MUST_NOPEERMATCH or MUST, in any case and with surrounding blanks; no
 *   attributes (smtp_tls_per_site has none). Anything else is what Postfix
 *   answers with a warning and a 4.7.5 deferral, so it is a load error here.
 *   per_site_name() is the canonical upper-case keyword tlsmap serves;
 *   per_site_policy() the smtp_tls_policy_maps level with the same effect
 *   for the next-hop lookup (NONE none, MAY may, MUST_NOPEERMATCH encrypt,
 *   MUST verify).
 *   Pure: no I/O, no allocation.
 */
#ifndef PFH_PER_SITE_H
#define PFH_PER_SITE_H

#include <stddef.h>

enum per_site_level {
	PER_SITE_NONE,
	PER_SITE_MAY,
	PER_SITE_MUST_NOPEERMATCH,
	PER_SITE_MUST,
};
#define PER_SITE_COUNT	(PER_SITE_MUST + 1)

/* per_site_parse - 0 and *level_r, or -1 with a reason in err */
int	per_site_parse(const char *value, enum per_site_level *level_r,
	    char *err, size_t errlen);
const char *per_site_name(enum per_site_level);
const char *per_site_policy(enum per_site_level);

#endif /* PFH_PER_SITE_H */
