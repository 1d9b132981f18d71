/*
 * cyrus_conf.h - reader of Cyrus saslauthd's option file (-O FILE,
 * /etc/saslauthd.conf), so an existing install moves over unchanged
 *
 * Contract (pure, any thread): the format is Cyrus's: one "key: value"
 * per line; leading and trailing blanks of the line, and blanks around
 * the ':', are not part of key or value; a line whose first non-blank is
 * '#' and a blank line are ignored. A key is letters, digits and '_'
 * (at most CYRUS_KEY_MAX bytes); the value may be empty. Anything else (no
 * ':', a bad key, a NUL byte, a line over CYRUS_LINE_MAX bytes) is an
 * error "ORIGIN, line N: reason". cyrus_conf_parse() calls fn once per
 * setting, in file order (a key given twice: both, the later wins by
 * whatever fn does), and stops at the first error, its own or fn's (fn
 * returns -1 and writes its reason into err; the "ORIGIN, line N: "
 * prefix is added here). 0 when the whole text was read.
 * cyrus_conf_load() reads a file (at most CYRUS_FILE_MAX bytes) and
 * parses it; the file's name is the origin. The text may hold a
 * password (ldap_password): the copy read is wiped before it is freed.
 */
#ifndef SASL_CYRUS_CONF_H
#define SASL_CYRUS_CONF_H

#include <stddef.h>

#define CYRUS_KEY_MAX	64
#define CYRUS_LINE_MAX	4096
#define CYRUS_FILE_MAX	(1024 * 1024)

typedef int cyrus_conf_fn(void *ctx, const char *key, const char *value,
	    unsigned line, char *err, size_t errlen);

int	cyrus_conf_parse(const char *text, size_t len, const char *origin,
	    cyrus_conf_fn *fn, void *ctx, char *err, size_t errlen);
int	cyrus_conf_load(const char *path, cyrus_conf_fn *fn, void *ctx,
	    char *err, size_t errlen);

#endif /* SASL_CYRUS_CONF_H */
