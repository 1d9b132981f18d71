/*
 * fprint.h - certificate fingerprints in one canonical form
 *
 * Postfix sends ccert_fingerprint and ccert_pubkey_fingerprint as upper-case
 * hex with ':' between bytes; admins paste them in any case, with or without
 * colons, sometimes with a "sha256:" style prefix. Both sides go through
 * fprint_normalise(), so the identities table and the request agree on one
 * form: upper-case hex digits only. The digest follows from the length
 * (32/40/64/128 hex digits = md5/sha1/sha256/sha512), so a pin of one digest
 * can never match a fingerprint of another.
 *
 * Contract: fprint_normalise() rewrites `s` in place (it only shrinks),
 *   accepts an optional case-insensitive "md5:", "sha1:", "sha256:" or
 *   "sha512:" prefix (the length must then agree with it), ':' separators
 *   and blanks anywhere between digits, and nothing else. 0 and the digest
 *   on success, with `s` NUL-terminated at the new *len (so `s` must have
 *   room for a byte at s[*len], as a C string has); -1 and a reason in err
 *   otherwise (`s` then undefined).
 */
#ifndef PFH_CCERT_FPRINT_H
#define PFH_CCERT_FPRINT_H

#include <stddef.h>

enum fprint_digest {
	FPRINT_NONE = 0,
	FPRINT_MD5,
	FPRINT_SHA1,
	FPRINT_SHA256,
	FPRINT_SHA512,
};

/* Longest canonical fingerprint: sha512, 64 bytes in hex. */
#define FPRINT_HEX_MAX	128

int	fprint_normalise(char *s, size_t *len, enum fprint_digest *digest_r,
	    char *err, size_t errlen);
/* fprint_digest_name - "md5", "sha1", "sha256", "sha512" ("none") */
const char *fprint_digest_name(enum fprint_digest);
/* fprint_digest_by_len - the digest for a count of hex digits, or FPRINT_NONE */
enum fprint_digest fprint_digest_by_len(size_t hexlen);

#endif /* PFH_CCERT_FPRINT_H */
