/*
 * fprint.c - certificate fingerprints in one canonical form
 *
 * One function serves the identities file (at load time) and every
 * request (per lookup), so the two can never disagree about what a
 * fingerprint looks like. It runs per request, so it works in place and
 * in one pass.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fprint.h"

static const struct {
	const char *name;
	enum fprint_digest digest;
	size_t	hexlen;
} fprint_digests[] = {
	{"md5", FPRINT_MD5, 32},
	{"sha1", FPRINT_SHA1, 40},
	{"sha256", FPRINT_SHA256, 64},
	{"sha512", FPRINT_SHA512, 128},
};

/*
 * What each byte of a fingerprint is: its upper-case hex digit, FP_SEP for
 * a separator (':', blank, tab), 0 for anything else. A table, not
 * comparisons: the digits of a hash are random, and so would be the
 * branches between 0-9, a-f and A-F, on every byte of every request.
 */
#define FP_SEP	1
static const unsigned char fprint_byte[256] = {
	[':'] = FP_SEP, [' '] = FP_SEP, ['\t'] = FP_SEP,
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['A'] = 'A', ['B'] = 'B', ['C'] = 'C', ['D'] = 'D', ['E'] = 'E',
	['F'] = 'F',
	['a'] = 'A', ['b'] = 'B', ['c'] = 'C', ['d'] = 'D', ['e'] = 'E',
	['f'] = 'F',
};

/* fprint_digest_name - printable digest name */
const char *
fprint_digest_name(enum fprint_digest d)
{
	size_t i;

	for (i = 0; i < nitems(fprint_digests); i++)
		if (fprint_digests[i].digest == d)
			return fprint_digests[i].name;
	return "none";
}

/* fprint_digest_by_len - digest implied by a number of hex digits */
enum fprint_digest
fprint_digest_by_len(size_t hexlen)
{
	size_t i;

	for (i = 0; i < nitems(fprint_digests); i++)
		if (fprint_digests[i].hexlen == hexlen)
			return fprint_digests[i].digest;
	return FPRINT_NONE;
}

/* fprint_normalise - canonical upper-case hex, digest from the length */
int
fprint_normalise(char *s, size_t *len, enum fprint_digest *digest_r,
    char *err, size_t errlen)
{
	enum fprint_digest named = FPRINT_NONE, got;
	size_t in = 0, out = 0, n = *len, i;
	const char *colon;
	int c;

	/* An optional "digest:" prefix; no hex digit string starts with a letter past 'f'. */
	if ((colon = memchr(s, ':', n)) != NULL) {
		size_t plen = (size_t)(colon - s);

		for (i = 0; i < nitems(fprint_digests); i++) {
			if (plen == strlen(fprint_digests[i].name) &&
			    strncasecmp(s, fprint_digests[i].name, plen) == 0) {
				named = fprint_digests[i].digest;
				in = plen + 1;
				break;
			}
		}
		if (named == FPRINT_NONE && plen > 0 && plen <= 8 &&
		    (s[0] == 's' || s[0] == 'S' || s[0] == 'm' || s[0] == 'M')) {
			snprintf(err, errlen, "unknown digest \"%.*s\" (use md5, "
			    "sha1, sha256 or sha512)", (int)plen, s);
			return -1;
		}
	}
	for (; in < n; in++) {
		c = fprint_byte[(unsigned char)s[in]];
		if (c == FP_SEP)
			continue;
		if (c == 0) {
			snprintf(err, errlen, "fingerprint has a character that "
			    "is not a hex digit or ':' at offset %zu", in);
			return -1;
		}
		s[out++] = (char)c;
		if (out > FPRINT_HEX_MAX) {
			snprintf(err, errlen, "fingerprint longer than %d hex "
			    "digits", FPRINT_HEX_MAX);
			return -1;
		}
	}
	got = fprint_digest_by_len(out);
	if (got == FPRINT_NONE) {
		snprintf(err, errlen, "fingerprint has %zu hex digits; want 32 "
		    "(md5), 40 (sha1), 64 (sha256) or 128 (sha512)", out);
		return -1;
	}
	if (named != FPRINT_NONE && named != got) {
		snprintf(err, errlen, "fingerprint is labelled %s but has %zu "
		    "hex digits, the length of %s", fprint_digest_name(named),
		    out, fprint_digest_name(got));
		return -1;
	}
	s[out] = 0;
	*len = out;
	*digest_r = got;
	return 0;
}
