/*
 * fuzz_dns_wire.c - fuzz harness for the names and records tlsmap's
 * dynamic maps take from DNS answers and from Postfix
 *
 * The input is at once a wire-form DNS name (an MX record's exchange, as
 * dane.c hands it to dns_name_wire_to_text()), a TLSA record's rdata
 * (dane_tlsa_usable()) and a socketmap lookup key (dyn_key_domain()).
 * Every output buffer is an exact-size heap block, so ASan sees a write
 * past it. Invariants:
 *   - dns_name_wire_to_text(): a name is the bytes used (1..len), the
 *     labels in them up to the zero byte; the text is NUL-terminated inside
 *     the buffer, lower case, letters, digits, '-' and '_' (dns_resolver.c
 *     lets '_' through) in labels of 1..63 joined by single dots, "" for
 *     the root; it spells the same labels as the wire bytes, case aside;
 *     a buffer one byte larger gives the same answer, and the exact size
 *     (text + NUL) works while one byte less does not;
 *   - dane_tlsa_usable() is exactly dane.h's rule: usage 2 or 3, selector
 *     0 or 1, matching type 0 (with data), 1 with 32 bytes or 2 with 64;
 *   - dyn_key_domain(): never a key starting with '.' or '[' or holding a
 *     ':'; a domain it gives is the key lower-cased (a final dot dropped),
 *     NUL-terminated inside the buffer, LDH labels of 1..63 that neither
 *     start nor end with '-', at least two of them, not all digits, at most
 *     253 bytes; it is its own domain again, the upper-cased key gives the
 *     same answer, and the exact-size buffer works while one less does not.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "dns_resolver.h"
#include "dynamic.h"
#include "fuzz.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "dns_wire";

#define TEXT_MAX	256	/* dane.c's NAME_MAX_TEXT */

/* wire_text - dns_name_wire_to_text() into an exact-size buffer */
static size_t
wire_text(const uint8_t *data, size_t len, size_t outlen, char **out)
{
	*out = xmalloc(outlen ? outlen : 1);
	return dns_name_wire_to_text(data, len, *out, outlen);
}

/* check_wire_name - text against the wire bytes it came from */
static void
check_wire_name(const uint8_t *data, size_t used, const char *text)
{
	size_t i = 0, o = 0, l, k;

	FUZZ_CHECK(used >= 1);
	while ((l = data[i++]) != 0) {
		FUZZ_CHECK(l <= 63 && i + l < used);
		if (o > 0)
			FUZZ_CHECK(text[o++] == '.');
		for (k = 0; k < l; k++) {
			unsigned char c = (unsigned char)text[o + k];

			FUZZ_CHECK(c == tolower(data[i + k]));
			FUZZ_CHECK(islower(c) || isdigit(c) || c == '-' ||
			    c == '_');
		}
		o += l;
		i += l;
	}
	FUZZ_CHECK(i == used && text[o] == 0);
}

static void
check_wire(const uint8_t *data, size_t len)
{
	static const size_t sizes[] = { 0, 1, 2, 5, 64, TEXT_MAX };
	char *out, *other;
	size_t i, r, r2, tl;

	for (i = 0; i < nitems(sizes); i++) {
		r = wire_text(data, len, sizes[i], &out);
		FUZZ_CHECK(r <= len);
		if (r > 0) {
			tl = strnlen(out, sizes[i]);
			FUZZ_CHECK(tl < sizes[i]);
			check_wire_name(data, r, out);
			/* a larger buffer: the same; exact: the same; less: 0 */
			r2 = wire_text(data, len, sizes[i] + 1, &other);
			FUZZ_CHECK(r2 == r && strcmp(other, out) == 0);
			free(other);
			r2 = wire_text(data, len, tl + 1, &other);
			FUZZ_CHECK(r2 == r && strcmp(other, out) == 0);
			free(other);
			r2 = wire_text(data, len, tl, &other);
			FUZZ_CHECK(r2 == 0);
			free(other);
		}
		free(out);
	}
}

static void
check_tlsa(const uint8_t *d, size_t len)
{
	int want = len >= 4 && (d[0] == 2 || d[0] == 3) && d[1] <= 1 &&
	    (d[2] == 0 || (d[2] == 1 && len == 3 + 32) ||
	    (d[2] == 2 && len == 3 + 64));

	FUZZ_CHECK(dane_tlsa_usable(d, len) == want);
}

/* key_domain - dyn_key_domain() into an exact-size buffer */
static int
key_domain(const char *key, size_t len, size_t outlen, char **out)
{
	*out = xmalloc(outlen ? outlen : 1);
	return dyn_key_domain(key, len, *out, outlen);
}

/* check_domain - the contract of a domain dyn_key_domain() gave */
static void
check_domain(const char *key, size_t len, const char *dom, size_t outlen)
{
	size_t n = strnlen(dom, outlen), i, label = 0, dots = 0;

	FUZZ_CHECK(n < outlen && n > 0 && n <= 253);
	if (key[len - 1] == '.')
		len--;
	FUZZ_CHECK(n == len);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dom[i];

		FUZZ_CHECK(c == tolower((unsigned char)key[i]));
		if (c == '.') {
			FUZZ_CHECK(label > 0 && dom[i - 1] != '-');
			label = 0;
			dots++;
			continue;
		}
		FUZZ_CHECK(islower(c) || isdigit(c) || c == '-');
		FUZZ_CHECK(c != '-' || label > 0);
		FUZZ_CHECK(++label <= 63);
	}
	FUZZ_CHECK(label > 0 && dom[n - 1] != '-' && dots > 0);
	FUZZ_CHECK(strspn(dom, "0123456789.") < n);
}

static void
check_key(const uint8_t *data, size_t len)
{
	static const size_t sizes[] = { 0, 1, 16, 255 };
	char *key = fuzz_copy(data, len), *upper = fuzz_copy(data, len);
	char *out, *again;
	size_t i, n;
	int rc, rc2;

	for (i = 0; i < len; i++)
		upper[i] = (char)toupper((unsigned char)key[i]);
	for (i = 0; i < nitems(sizes); i++) {
		rc = key_domain(key, len, sizes[i], &out);
		FUZZ_CHECK(rc == 0 || rc == -1);
		rc2 = key_domain(upper, len, sizes[i], &again);
		FUZZ_CHECK(rc2 == rc && (rc < 0 || strcmp(again, out) == 0));
		free(again);
		if (rc < 0) {
			free(out);
			continue;
		}
		FUZZ_CHECK(key[0] != '.' && key[0] != '[');
		FUZZ_CHECK(memchr(key, ':', len) == NULL);
		check_domain(key, len, out, sizes[i]);
		n = strlen(out);
		FUZZ_CHECK(key_domain(out, n, n + 1, &again) == 0 &&
		    strcmp(again, out) == 0);
		free(again);
		FUZZ_CHECK(key_domain(key, len, n, &again) == -1);
		free(again);
		free(out);
	}
	free(key);
	free(upper);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	check_wire(data, len);
	check_tlsa(data, len);
	check_key(data, len);
	return 0;
}
