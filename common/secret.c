/*
 * secret.c - wiping and constant-time comparison of secrets
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "secret.h"

/* secret_wipe - clear memory; explicit_bzero survives dead-store removal */
void
secret_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

/* secret_free - wipe, then free */
void
secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	secret_wipe(p, len);
	free(p);
}

/* secret_free_str - wipe a C string, then free it */
void
secret_free_str(char *s)
{
	if (s != NULL)
		secret_free(s, strlen(s));
}

/* ct_memeq - equal-length compare whose time does not depend on content */
bool
ct_memeq(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* ct_streq - compare strings of possibly different lengths without early exit */
bool
ct_streq(const char *a, size_t alen, const char *b, size_t blen)
{
	const volatile unsigned char *x = (const unsigned char *)a;
	const volatile unsigned char *y = (const unsigned char *)b;
	size_t n = alen > blen ? alen : blen, i;
	unsigned char diff = (alen != blen);

	for (i = 0; i < n; i++) {
		unsigned char cx = i < alen ? x[i] : 0;
		unsigned char cy = i < blen ? y[i] : 0;

		diff |= cx ^ cy;
	}
	return diff == 0;
}
