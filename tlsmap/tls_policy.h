/*
 * tls_policy.h - validate one smtp_tls_policy_maps value for a Postfix version
 *
 * Contract: tls_policy_check() parses a policy value ("<level> [name=value
 *   ...]", separators whitespace and commas, names case-insensitive) and
 *   applies the rules smtp(8) applies when it reads the answer: level names,
 *   attribute names, which attributes each level allows, single versus
 *   repeatable attributes, value syntax where Postfix checks it, and the
 *   Postfix release that introduced each level, attribute and syntax. A
 *   value that passes is one the target Postfix accepts; a value that fails
 *   is one that would defer mail with "4.7.5 client TLS configuration
 *   problem" (or, for an attribute the target does not know, "invalid
 *   attribute name").
 *   Level "none" with attributes is refused (Postfix ignores them with a
 *   warning): an attribute there means the author expected TLS.
 *   Pure: no I/O, no globals, no allocation.
 * Versions: encoded as major * 1000 + minor (3.4 = 3004, 3.10 = 3010) so
 *   that 3.10 sorts after 3.9; tls_policy_version_parse() reads "3.10" and
 *   "3.7.11" (the patch level is ignored).
 * Errors: -1 and one sentence in err (no file or line: the caller adds
 *   them).
 */
#ifndef PFH_TLS_POLICY_H
#define PFH_TLS_POLICY_H

#include <stddef.h>

enum tls_level {
	TLS_LEVEL_NONE,
	TLS_LEVEL_MAY,
	TLS_LEVEL_ENCRYPT,
	TLS_LEVEL_FINGERPRINT,
	TLS_LEVEL_DANE,
	TLS_LEVEL_DANE_ONLY,
	TLS_LEVEL_VERIFY,
	TLS_LEVEL_SECURE,
};
#define TLS_LEVEL_COUNT	(TLS_LEVEL_SECURE + 1)

#define TLS_POLICY_VERSION(maj, min)	((maj) * 1000u + (min))
#define TLS_POLICY_VERSION_MIN		TLS_POLICY_VERSION(2, 3)

/* tls_policy_version_parse - "3.4", "3.10", "3.7.11" -> 3004 ...; -1 bad */
int	tls_policy_version_parse(const char *text, unsigned *version_r);
/* tls_policy_version_str - 3010 -> "3.10" into buf */
const char *tls_policy_version_str(unsigned version, char *buf, size_t len);

/* tls_level_name - lower-case canonical name */
const char *tls_level_name(enum tls_level);
/* tls_level_lookup - case-insensitive; -1 if not a level name */
int	tls_level_lookup(const char *name, size_t len);

/* tls_policy_check - 0 valid (*level_r set), -1 invalid with a reason */
int	tls_policy_check(const char *value, unsigned version,
	    enum tls_level *level_r, char *err, size_t errlen);

/*
 * map_key_normalise - a policy table key (a next-hop) in place, as tlsmap
 * looks it up: ASCII lower case, one trailing dot removed, "[host]" and
 * "[host]:port" kept exact; 0, or -1 + err for a malformed key
 */
int	map_key_normalise(char *key, size_t *len, char *err, size_t errlen);

#endif /* PFH_TLS_POLICY_H */
