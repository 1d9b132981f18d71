/*
 * fuzz_sync_ldap.c - fuzz harness for pfhelpers-sync's RFC 4533 decoders
 *
 * The first byte picks what the rest is (byte % 4):
 *   0  a Sync State control value, through sync_ldap_parse_state();
 *   1  a Sync Info message value, through sync_ldap_parse_info();
 *   2  a userCertificate;binary value, through sync_cert_pin();
 *   3  a snapshot file (OUTPUT.ldap), through sync_ldap_table_load()
 *      (byte 0 / 4 picks 2 or 3 columns).
 * The first three are what a directory server (or whoever sits on the
 * path to it) sends the agent, the last what a restart reads back.
 * Invariants:
 *   - nothing crashes, leaks or reads outside the input;
 *   - a refused value says why, in one line;
 *   - a parsed state has a state 0-3; a parsed syncIdSet holds no more
 *     UUIDs than 16-byte strings fit in the input; a cookie's length is
 *     within the input;
 *   - a parsed cookie encodes into a request value that holds it;
 *   - a certificate's pin is "sha256:" and 64 upper-case hex digits, its
 *     day YYYY-MM-DD;
 *   - a loaded snapshot saves to a text that loads again and saves to the
 *     same text, with as many entries; a refused one leaves the table
 *     empty and no cookie.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "buf.h"
#include "sync_cert.h"
#include "sync_ldap_msg.h"
#include "sync_ldap_table.h"

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

static void
fuzz_snapshot(const char *val, size_t len, unsigned ncols)
{
	static const char config[] = "pwfile|ldap://x|dc=x|sub|(uid=*)|uid p";
	struct sync_ldap_table *t = sync_ldap_table_new();
	struct sync_cookie c, c2;
	struct buf once, twice;
	char err[256] = "";
	size_t n;

	if (sync_ldap_table_load(t, val, len, config, ncols, true, &c, err,
	    sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0 && strchr(err, '\n') == NULL);
		FUZZ_CHECK(c.data == NULL && sync_ldap_table_count(t) == 0);
		sync_ldap_table_free(t);
		return;
	}
	n = sync_ldap_table_count(t);
	buf_init(&once, 0);
	buf_init(&twice, 0);
	FUZZ_CHECK(sync_ldap_table_save(t, config, &c, &once) == 0);
	FUZZ_CHECK(sync_ldap_table_load(t, once.data, once.len, config, ncols,
	    true, &c2, err, sizeof(err)) == 0);
	FUZZ_CHECK(sync_ldap_table_count(t) == n);
	FUZZ_CHECK(sync_ldap_table_save(t, config, &c2, &twice) == 0);
	FUZZ_CHECK(once.len == twice.len && memcmp(once.data, twice.data,
	    once.len) == 0);
	buf_free(&once);
	buf_free(&twice);
	free(c.data);
	free(c2.data);
	sync_ldap_table_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *val;

	fuzz_input(data, len);
	if (len < 1)
		return 0;
	val = fuzz_copy(data + 1, len - 1);
	switch (data[0] % 4) {
	case 0:
		fuzz_state(val, len - 1);
		break;
	case 1:
		fuzz_info(val, len - 1);
		break;
	case 2:
		fuzz_cert(val, len - 1);
		break;
	default:
		fuzz_snapshot(val, len - 1, (data[0] / 4) % 2 ? 3 : 2);
		break;
	}
	free(val);
	return 0;
}
