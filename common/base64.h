/*
 * base64.h - strict RFC 4648 base64 (the standard alphabet, '=' padding)
 *
 * Contract: pure, no allocation.
 *   base64_decode() accepts only canonical input: a length that is a
 *   multiple of 4, alphabet characters only (no blanks, no line breaks),
 *   '=' only as the last one or two characters, and zero pad bits (so
 *   each byte string has exactly one accepted encoding). It writes at
 *   most BASE64_DECODED_MAX(len) bytes into out and returns their count,
 *   or -1 (out's contents then undefined) for anything else, or when out
 *   is too small. The empty string decodes to 0 bytes.
 *   base64_encode() writes the encoding and a NUL; -1 when out is too
 *   small (BASE64_ENCODED_LEN(len) + 1 bytes are needed).
 */
#ifndef PFH_BASE64_H
#define PFH_BASE64_H

#include <stddef.h>
#include <sys/types.h>

#define BASE64_DECODED_MAX(n)	((n) / 4 * 3)
#define BASE64_ENCODED_LEN(n)	(((n) + 2) / 3 * 4)

ssize_t	base64_decode(const char *in, size_t len, unsigned char *out,
	    size_t outlen);
ssize_t	base64_encode(const void *in, size_t len, char *out, size_t outlen);

#endif /* PFH_BASE64_H */
