/*
 * cyrus_conf.c - Cyrus saslauthd's "key: value" option file (contract in
 * cyrus_conf.h)
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cyrus_conf.h"
#include "fileread.h"
#include "secret.h"

/* blank - what Cyrus trims around keys and values */
static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* keychar - letters, digits, '_' */
static int
keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* one_line - split one line (no '\n', no NUL) and hand it to fn */
static int
one_line(char *s, size_t n, unsigned line, cyrus_conf_fn *fn, void *ctx,
    char *err, size_t errlen)
{
	char *e = s + n, *k, *colon;

	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	*e = 0;
	if (s == e || *s == '#')
		return 0;
	for (k = s; k < e && keychar(*k); k++)
		;
	if (k == s) {
		snprintf(err, errlen, "expected \"key: value\"");
		return -1;
	}
	if ((size_t)(k - s) > CYRUS_KEY_MAX) {
		snprintf(err, errlen, "key longer than %d bytes", CYRUS_KEY_MAX);
		return -1;
	}
	colon = k;
	while (colon < e && blank(*colon))
		colon++;
	if (colon == e || *colon != ':') {
		snprintf(err, errlen, "expected \"key: value\" (no ':' after "
		    "the key \"%.*s\")", (int)(k - s), s);
		return -1;
	}
	*k = 0;
	colon++;
	while (colon < e && blank(*colon))
		colon++;
	return fn(ctx, s, colon, line, err, errlen);
}

/* cyrus_conf_parse - every line of text, in order */
int
cyrus_conf_parse(const char *text, size_t len, const char *origin,
    cyrus_conf_fn *fn, void *ctx, char *err, size_t errlen)
{
	char buf[CYRUS_LINE_MAX + 1], why[512];
	size_t pos = 0;
	unsigned line = 0;
	int rc = 0;

	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		why[0] = 0;
		if (memchr(text + pos, 0, n) != NULL) {
			snprintf(why, sizeof(why), "NUL byte in the line");
			rc = -1;
		} else if (n > CYRUS_LINE_MAX) {
			snprintf(why, sizeof(why), "line longer than %d bytes",
			    CYRUS_LINE_MAX);
			rc = -1;
		} else {
			memcpy(buf, text + pos, n);
			buf[n] = 0;
			rc = one_line(buf, n, line, fn, ctx, why, sizeof(why));
		}
		if (rc < 0)
			snprintf(err, errlen, "%s, line %u: %s", origin, line,
			    why);
		pos += n + (nl != NULL);
	}
	/* the line may have held ldap_password */
	secret_wipe(buf, sizeof(buf));
	return rc < 0 ? -1 : 0;
}

/* cyrus_conf_load - read the whole file, then parse it */
int
cyrus_conf_load(const char *path, cyrus_conf_fn *fn, void *ctx, char *err,
    size_t errlen)
{
	struct stat st;
	char *text;
	size_t len;
	int have_st, rc;

	if (fileread_stable(path, 0, &text, &len, &st, &have_st, err,
	    errlen) != FILEREAD_OK)
		return -1;
	if (len > CYRUS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CYRUS_FILE_MAX);
		secret_free(text, len + 1);
		return -1;
	}
	rc = cyrus_conf_parse(text, len, path, fn, ctx, err, errlen);
	secret_free(text, len + 1);
	return rc;
}
