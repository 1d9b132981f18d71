/*
 * base64.c - strict RFC 4648 base64 (contract in base64.h)
 */
#include "sysdep.h"

#include "base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_value - the 6 bits a character stands for; -1 outside the alphabet */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t
base64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	size_t i, o = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		unsigned long q;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			/* a character after a '=' */
			if (pad > 0 || (v[k] = b64_value(c)) < 0)
				return -1;
		}
		q = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
		    (unsigned long)v[2] << 6 | (unsigned long)v[3];
		/* non-zero pad bits: not the canonical encoding */
		if ((pad == 1 && (q & 0xff) != 0) ||
		    (pad == 2 && (q & 0xffff) != 0))
			return -1;
		if (o + (size_t)(3 - pad) > outlen)
			return -1;
		out[o++] = (unsigned char)(q >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(q >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)q;
	}
	return (ssize_t)o;
}

ssize_t
base64_encode(const void *vin, size_t len, char *out, size_t outlen)
{
	const unsigned char *in = vin;
	size_t i, o = 0;

	if (outlen < BASE64_ENCODED_LEN(len) + 1)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		unsigned long q = (unsigned long)in[i] << 16 |
		    (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[q >> 18 & 63];
		out[o++] = b64_alphabet[q >> 12 & 63];
		out[o++] = b64_alphabet[q >> 6 & 63];
		out[o++] = b64_alphabet[q & 63];
	}
	if (len - i == 1) {
		unsigned long q = (unsigned long)in[i] << 16;

		out[o++] = b64_alphabet[q >> 18 & 63];
		out[o++] = b64_alphabet[q >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		unsigned long q = (unsigned long)in[i] << 16 |
		    (unsigned long)in[i + 1] << 8;

		out[o++] = b64_alphabet[q >> 18 & 63];
		out[o++] = b64_alphabet[q >> 12 & 63];
		out[o++] = b64_alphabet[q >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = 0;
	return (ssize_t)o;
}
