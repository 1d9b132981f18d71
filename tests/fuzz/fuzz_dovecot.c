/*
 * fuzz_dovecot.c - fuzz harness for the Dovecot auth protocol's lines
 * (saslauthd-lite/dovecot_proto.c) and the strict base64 (common/base64.c)
 *
 * Invariants, for each line of the input (split at LF):
 *   - dovecot_split() succeeds exactly when the line is non-empty, holds
 *     no NUL or CR byte and has at most DOVECOT_MAX_WORDS words; its words
 *     joined with TABs give back the line;
 *   - dovecot_parse() success means: a known command, and for AUTH an id
 *     in 1..2^32-1, a non-empty mechanism and service, a resp (if any)
 *     that is the rest of its word, a rip/lip that is "" or an address in
 *     canonical form; for CONT a response; failure leaves a reason;
 *   - every word that base64_decode() accepts is the one encoding of what
 *     it decodes to (encoding gives the word back);
 * and for the whole input:
 *   - base64_encode() then base64_decode() gives the bytes back, and an
 *     output buffer one byte short is refused;
 *   - dovecot_plain_split() succeeds exactly when the input holds two NUL
 *     bytes, and its three fields tile the input around them.
 */
#include "sysdep.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "clientaddr.h"
#include "dovecot_proto.h"
#include "fuzz.h"

const char fuzz_seed_dir[] = "dovecot";

/* within - does p point into [base, base + len]? */
static int
within(const char *p, const char *base, size_t len)
{
	return p >= base && p <= base + len;
}

/* check_b64_word - a word base64_decode() accepts is canonical */
static void
check_b64_word(const char *w)
{
	size_t len = strlen(w);
	unsigned char *out = malloc(BASE64_DECODED_MAX(len) + 1);
	char *back;
	ssize_t n;

	n = base64_decode(w, len, out, BASE64_DECODED_MAX(len));
	if (n >= 0) {
		FUZZ_CHECK((size_t)n <= BASE64_DECODED_MAX(len));
		back = malloc(len + 1);
		FUZZ_CHECK(base64_encode(out, (size_t)n, back, len + 1) ==
		    (ssize_t)len);
		FUZZ_CHECK(memcmp(back, w, len) == 0);
		free(back);
	}
	free(out);
}

/* check_addr - "" or an address in canonical form */
static void
check_addr(const char *a)
{
	char again[64], why[96];

	if (*a == 0)
		return;
	FUZZ_CHECK(clientaddr_parse(again, sizeof(again), a, strlen(a), why,
	    sizeof(why)) == 0);
	FUZZ_CHECK(strcmp(again, a) == 0);
}

/* one_line - split, parse and check one line */
static void
one_line(const char *text, size_t len, void *arg)
{
	char *line = malloc(len + 1), *orig = fuzz_copy(text, len);
	char *words[DOVECOT_MAX_WORDS], err[128];
	struct dovecot_line l;
	unsigned n, i, tabs = 0;
	size_t at = 0;
	int rc;

	(void)arg;
	memcpy(line, text, len);
	for (i = 0; i < len; i++)
		tabs += text[i] == '\t';
	rc = dovecot_split(line, len, words, &n);
	FUZZ_CHECK((rc == 0) == (len > 0 && memchr(text, 0, len) == NULL &&
	    memchr(text, '\r', len) == NULL &&
	    tabs + 1 <= DOVECOT_MAX_WORDS));
	if (rc < 0)
		goto out;
	FUZZ_CHECK(n == tabs + 1);
	for (i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		FUZZ_CHECK(words[i] == line + at);
		FUZZ_CHECK(memcmp(words[i], orig + at, wl) == 0);
		at += wl;
		FUZZ_CHECK(i + 1 == n ? at == len : orig[at] == '\t');
		at++;
		check_b64_word(words[i]);
	}
	err[0] = 0;
	if (dovecot_parse(words, n, &l, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0);
		goto out;
	}
	switch (l.cmd) {
	case DC_AUTH:
		FUZZ_CHECK(l.id >= 1 && l.id <= 4294967295UL);
		FUZZ_CHECK(l.mech != NULL && *l.mech != 0);
		FUZZ_CHECK(l.service != NULL && *l.service != 0);
		FUZZ_CHECK(within(l.service, line, len));
		if (l.resp != NULL) {
			FUZZ_CHECK(within(l.resp, line, len));
			FUZZ_CHECK(strncmp(l.resp - 5, "resp=", 5) == 0);
			/* the last word */
			FUZZ_CHECK(l.resp + strlen(l.resp) == line + len);
		}
		check_addr(l.rip);
		check_addr(l.lip);
		break;
	case DC_CONT:
		FUZZ_CHECK(l.id >= 1 && l.resp != NULL && n == 3);
		break;
	case DC_CANCEL:
		FUZZ_CHECK(l.id >= 1 && n == 2);
		break;
	case DC_VERSION:
		FUZZ_CHECK(n == 3);
		break;
	case DC_CPID:
		FUZZ_CHECK(l.id >= 1 && n == 2);
		break;
	}
out:
	free(orig);
	free(line);
}

/* check_b64_roundtrip - encode the input, decode it back */
static void
check_b64_roundtrip(const uint8_t *data, size_t len)
{
	size_t elen = BASE64_ENCODED_LEN(len);
	char *enc = malloc(elen + 1);
	unsigned char *dec = malloc(len + 1);

	FUZZ_CHECK(base64_encode(data, len, enc, elen) == -1);
	FUZZ_CHECK(base64_encode(data, len, enc, elen + 1) == (ssize_t)elen);
	FUZZ_CHECK(strlen(enc) == elen);
	FUZZ_CHECK(base64_decode(enc, elen, dec, len) == (ssize_t)len);
	FUZZ_CHECK(len == 0 || memcmp(dec, data, len) == 0);
	if (len > 0)
		FUZZ_CHECK(base64_decode(enc, elen, dec, len - 1) == -1);
	free(dec);
	free(enc);
}

/* check_plain - the PLAIN split tiles the input around two NULs */
static void
check_plain(const uint8_t *data, size_t len)
{
	const unsigned char *copy = (const unsigned char *)fuzz_copy(data, len);
	struct dovecot_plain p;
	size_t i, nuls = 0;

	for (i = 0; i < len; i++)
		nuls += data[i] == 0;
	if (dovecot_plain_split(copy, len, &p) < 0) {
		FUZZ_CHECK(nuls != 2);
	} else {
		FUZZ_CHECK(nuls == 2);
		FUZZ_CHECK(p.authzid == (const char *)copy);
		FUZZ_CHECK(p.authzid_len + p.authcid_len + p.password_len + 2 ==
		    len);
		FUZZ_CHECK(copy[p.authzid_len] == 0);
		FUZZ_CHECK(p.authcid == (const char *)copy + p.authzid_len + 1);
		FUZZ_CHECK(copy[p.authzid_len + 1 + p.authcid_len] == 0);
		FUZZ_CHECK(p.password == p.authcid + p.authcid_len + 1);
	}
	free((void *)copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	fuzz_each_line(data, len, one_line, NULL);
	check_b64_roundtrip(data, len);
	check_plain(data, len);
	return 0;
}
