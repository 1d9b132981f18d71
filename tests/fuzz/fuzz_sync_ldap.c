/*
 * fuzz_sync_ldap.c - fuzz harness for pfhelpers-sync's RFC 4533 decoders
 *
 * The first byte picks what the rest is (byte % 3):
 *   0  a Sync State control value, through sync_ldap_parse_state();
 *   1  a Sync Info message value, through sync_ldap_parse_info();
 *   2  a userCertificate;binary value, through sync_cert_pin().
 * These are what a directory server (or whoever sits on the path to it)
 * sends the agent. Invariants:
 *   - nothing crashes, leaks or reads outside the input;
 *   - a refused value says why, in one line;
 *   - a parsed state has a state 0-3; a parsed syncIdSet holds no more
 *     UUIDs than 16-byte strings fit in the input; a cookie's length is
 *     within the input;
 *   - a parsed cookie encodes into a request value that holds it;
 *   - a certificate's pin is "sha256:" and 64 upper-case hex digits, its
 *     day YYYY-MM-DD.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sync_cert.h"
#include "sync_ldap_msg.h"

const char fuzz_seed_dir[] = "sync_ldap";

/* cookie_ok - a cookie fits the input and goes into a request value */
static void
cookie_ok(const struct sync_cookie *c, size_t len)
{
	struct berval v;

	if (c->data == NULL)
		return;
	FUZZ_CHECK(c->len <= len && c->data[c->len] == 0);
	FUZZ_CHECK(sync_ldap_request_value(c->data, c->len, &v) == 0);
	FUZZ_CHECK(v.bv_len > c->len && memmem(v.bv_val, v.bv_len, c->data,
	    c->len) != NULL);
	ber_memfree(v.bv_val);
}

static void
fuzz_state(const char *val, size_t len)
{
	struct sync_ldap_state st;
	char err[256] = "";

	if (sync_ldap_parse_state(val, len, &st, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0 && strchr(err, '\n') == NULL);
		FUZZ_CHECK(st.cookie.data == NULL);
		return;
	}
	FUZZ_CHECK(st.state >= 0 && st.state <= 3);
	cookie_ok(&st.cookie, len);
	sync_ldap_state_free(&st);
}

static void
fuzz_info(const char *val, size_t len)
{
	struct sync_ldap_info in;
	char err[256] = "";

	if (sync_ldap_parse_info(val, len, &in, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0 && strchr(err, '\n') == NULL);
		FUZZ_CHECK(in.cookie.data == NULL && in.uuids == NULL);
		return;
	}
	FUZZ_CHECK(in.kind <= SYNC_INFO_ID_SET);
	FUZZ_CHECK(in.nuuids * SYNC_UUID_LEN <= len);
	FUZZ_CHECK(in.kind == SYNC_INFO_ID_SET || in.nuuids == 0);
	cookie_ok(&in.cookie, len);
	sync_ldap_info_free(&in);
}

static void
fuzz_cert(const char *val, size_t len)
{
	char pin[SYNC_CERT_PIN_LEN], day[SYNC_CERT_DAY_LEN], err[256] = "";
	size_t i;
	int rc;

	rc = sync_cert_pin((const unsigned char *)val, len, pin, day, err,
	    sizeof(err));
	if (rc < 0)
		FUZZ_CHECK(err[0] != 0 && strchr(err, '\n') == NULL);
	if (rc <= 0)
		return;
	FUZZ_CHECK(strncmp(pin, "sha256:", 7) == 0 && strlen(pin) == 71);
	for (i = 7; i < 71; i++)
		FUZZ_CHECK(isxdigit((unsigned char)pin[i]) &&
		    !islower((unsigned char)pin[i]));
	FUZZ_CHECK(strlen(day) == 10 && day[4] == '-' && day[7] == '-');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *val;

	fuzz_input(data, len);
	if (len < 1)
		return 0;
	val = fuzz_copy(data + 1, len - 1);
	switch (data[0] % 3) {
	case 0:
		fuzz_state(val, len - 1);
		break;
	case 1:
		fuzz_info(val, len - 1);
		break;
	default:
		fuzz_cert(val, len - 1);
		break;
	}
	free(val);
	return 0;
}
