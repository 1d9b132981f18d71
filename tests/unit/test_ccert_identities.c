/*
 * test_ccert_identities.c - unit tests for the policyd-ccert identities file
 *
 * Files are loaded from strings through the real table.h loader with the
 * daemon's callbacks, so these tests see exactly what the daemon sees:
 * the parsed attributes, the per-line errors (with their line numbers),
 * O(1) lookups by canonical fingerprint, sender matching and the dates.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identities.h"
#include "table.h"

#define PK256 "0B542113DE133AAD0E8695C23AFC3CCCAB1053478C5E84796BDC14E5D42A8937"
#define MD5A  "D7042FA70B8CA521FA3177E1418AEE80"
#define MD5B  "AABBCCDDEEFF00112233445566778899"

static struct identities *
load(const char *text, char *err, size_t errlen)
{
	struct table *t;
	struct identities *ids;

	err[0] = 0;
	t = table_load_string(text, strlen(text), "ids", identities_table_ops(),
	    err, errlen);
	if (t == NULL)
		return NULL;
	ids = identities_new(t);
	table_unref(t);		/* the identities hold their own reference */
	return ids;
}

static void
test_good_file(void **state)
{
	static const char text[] =
	    "# laptop of bob: public key in two digests\n"
	    "sha256:0b:54:21:13:de:13:3a:ad:0e:86:95:c2:3a:fc:3c:cc:ab:10:53:47:"
	    "8c:5e:84:79:6b:dc:14:e5:d4:2a:89:37 laptop-bob kind=pubkey "
	    "expires=2027-06-30 senders=@Example.COM,bob@example.org,<>\n"
	    "\n"
	    MD5A " laptop-bob note=\"bob's \\\"old\\\" cert\"\n"
	    "d7:04:2f:a7:0b:8c:a5:21:fa:31:77:e1:41:8a:ee:81 relay.example.net\n"
	    "    kind=cert\n";
	struct identities *ids;
	const struct identity *id;
	char err[256];

	ids = load(text, err, sizeof(err));
	if (ids == NULL)
		fail_msg("load: %s", err);
	assert_int_equal(identities_pins(ids), 3);
	assert_int_equal(identities_names(ids), 2);

	id = identities_lookup(ids, PK256, strlen(PK256), IDENT_KIND_PUBKEY);
	assert_non_null(id);
	assert_string_equal(id->name, "laptop-bob");
	assert_string_equal(id->pin, PK256);
	assert_int_equal(id->expires, 20270630);
	assert_int_equal(id->kind, IDENT_KIND_PUBKEY);
	assert_int_equal(id->digest, FPRINT_SHA256);
	assert_int_equal(id->line, 2);
	assert_int_equal(id->nsenders, 3);
	assert_string_equal(id->senders[0], "@example.com");
	assert_string_equal(id->senders[1], "bob@example.org");
	assert_string_equal(id->senders[2], "<>");
	assert_null(id->senders[3]);
	assert_string_equal(id->note, "");
	/* kind=pubkey: the same hex as a certificate fingerprint does not match */
	assert_null(identities_lookup(ids, PK256, strlen(PK256), IDENT_KIND_CERT));

	id = identities_lookup(ids, MD5A, strlen(MD5A), IDENT_KIND_CERT);
	assert_non_null(id);
	assert_string_equal(id->note, "bob's \"old\" cert");
	assert_int_equal(id->kind, IDENT_KIND_ANY);
	assert_int_equal(id->expires, 0);
	assert_int_equal(id->nsenders, 0);
	assert_non_null(identities_lookup(ids, MD5A, strlen(MD5A),
	    IDENT_KIND_PUBKEY));

	/* continuation line joined; line number is the first line */
	id = identities_lookup(ids, "D7042FA70B8CA521FA3177E1418AEE81", 32,
	    IDENT_KIND_CERT);
	assert_non_null(id);
	assert_int_equal(id->kind, IDENT_KIND_CERT);
	assert_int_equal(id->line, 5);

	/* lookups take canonical form only: the caller normalises */
	assert_null(identities_lookup(ids, "d7042fa70b8ca521fa3177e1418aee80",
	    32, IDENT_KIND_CERT));
	assert_null(identities_lookup(ids, MD5B, 32, IDENT_KIND_CERT));
	assert_null(identities_lookup(NULL, MD5A, 32, IDENT_KIND_CERT));
	identities_free(ids);
}

static const struct {
	const char *text;
	const char *err;	/* substring, with the line number */
} bad_files[] = {
	{MD5A "\n", "ids, line 1: missing value"},
	{"# c\n" MD5A " expires=2027-01-01\n", "line 2: missing identity NAME"},
	{MD5A " bob expires=2027-02-30\n", "line 1: expires=2027-02-30 is not"},
	{MD5A " bob expires=27-01-01\n", "is not a date"},
	{MD5A " bob expire=2027-01-01\n", "unknown attribute \"expire\""},
	{MD5A " bob kind=key\n", "kind=key"},
	{MD5A " bob senders=\n", "empty senders"},
	{MD5A " bob senders=example.com\n", "is not @domain"},
	{MD5A " bob senders=@a.example,,@b.example\n", "empty item"},
	{MD5A " bob senders=user@\n", "is not @domain"},
	{MD5A " bob note=\"open\n", "unterminated"},
	{MD5A " bob note=a\"b\n", "inside the unquoted"},
	{MD5A " bob kind=cert kind=pubkey\n", "given twice"},
	{MD5A " bob stray\n", "\"stray\" is not attribute=value"},
	{MD5A " b!ob\n", "outside A-Z"},
	{"D7042FA70B8CA521FA3177E1418AEE8 bob\n", "line 1: fingerprint has 31"},
	{"xyz bob\n", "not a hex digit"},
	{MD5B " one\n" MD5A " two\n\nmd5:" "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:"
	    "66:77:88:99 three\n", "line 4: duplicate key \"" MD5B
	    "\" (first on line 1)"},
	{"  " MD5A " bob\n", "continuation line without an entry"},
};

static void
test_bad_files(void **state)
{
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct identities *ids = load(bad_files[i].text, err,
		    sizeof(err));

		if (ids != NULL)
			fail_msg("case %zu loaded: %s", i, bad_files[i].text);
		if (strstr(err, bad_files[i].err) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err,
			    bad_files[i].err);
	}
}

static void
test_senders(void **state)
{
	struct identities *ids;
	const struct identity *id, *any;
	char err[256];

	ids = load(MD5A " a senders=@example.com,Bob@Example.org\n"
	    MD5B " b senders=<>,@x.example\n"
	    PK256 " c\n", err, sizeof(err));
	assert_non_null(ids);
	id = identities_lookup(ids, MD5A, 32, IDENT_KIND_CERT);
	assert_true(ident_sender_allowed(id, "app@example.com", 15));
	assert_true(ident_sender_allowed(id, "APP@EXAMPLE.COM", 15));
	assert_true(ident_sender_allowed(id, "bob@example.org", 15));
	assert_false(ident_sender_allowed(id, "alice@example.org", 17));
	assert_false(ident_sender_allowed(id, "app@sub.example.com", 19));
	assert_false(ident_sender_allowed(id, "app@example.com.evil", 20));
	assert_false(ident_sender_allowed(id, "example.com", 11));
	assert_false(ident_sender_allowed(id, "", 0));	/* null sender */
	id = identities_lookup(ids, MD5B, 32, IDENT_KIND_CERT);
	assert_true(ident_sender_allowed(id, "", 0));
	assert_true(ident_sender_allowed(id, "a@x.example", 11));
	assert_false(ident_sender_allowed(id, "a@y.example", 11));
	/* no senders= list: anyone, the null sender included */
	any = identities_lookup(ids, PK256, 64, IDENT_KIND_PUBKEY);
	assert_true(ident_sender_allowed(any, "", 0));
	assert_true(ident_sender_allowed(any, "x@y.z", 5));
	identities_free(ids);
}

static void
test_dates(void **state)
{
	int d;

	assert_int_equal(ident_date_parse("2024-02-29", 10, &d), 0);
	assert_int_equal(d, 20240229);
	assert_int_equal(ident_date_parse("2023-02-29", 10, &d), -1);
	assert_int_equal(ident_date_parse("2100-02-29", 10, &d), -1);
	assert_int_equal(ident_date_parse("2000-02-29", 10, &d), 0);
	assert_int_equal(ident_date_parse("2024-13-01", 10, &d), -1);
	assert_int_equal(ident_date_parse("2024-1-01", 9, &d), -1);
	assert_int_equal(ident_date_parse("2024/01/01", 10, &d), -1);
	assert_int_equal(ident_date_add_days(20241231, 1), 20250101);
	assert_int_equal(ident_date_add_days(20240228, 1), 20240229);
	assert_int_equal(ident_date_add_days(20240301, -1), 20240229);
	assert_int_equal(ident_date_add_days(20260115, 30), 20260214);
	assert_int_equal(ident_date_diff(20260101, 20270101), 365);
	assert_int_equal(ident_date_diff(20270101, 20260101), -365);
	/* 2026-11-22 12:00 UTC is that day in any time zone within +-11h */
	assert_int_equal(ident_date_today((time_t)1795348800), 20261122);
}

static void
test_expiring_and_carry(void **state)
{
	struct identities *a, *b;
	const struct identity *out[8], *id;
	char err[256];
	size_t n;

	a = load(MD5A " a expires=2026-03-01\n"
	    MD5B " b expires=2026-01-15\n"
	    PK256 " c expires=2030-01-01\n"
	    "11112222333344445555666677778888 d\n", err, sizeof(err));
	assert_non_null(a);
	n = identities_expiring(a, 20260301, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(out[0]->name, "b");
	assert_string_equal(out[1]->name, "a");
	assert_int_equal(identities_expiring(a, 20251231, out, 8), 0);
	assert_int_equal(identities_expiring(a, 20991231, out, 1), 1);
	assert_int_equal(identities_expiring(a, 20991231, out, 8), 3);
	/* exact counts in a date range, both ends included; d has no expiry */
	assert_int_equal(identities_count_expiring(a, 1, 20991231), 3);
	assert_int_equal(identities_count_expiring(a, 20260115, 20260301), 2);
	assert_int_equal(identities_count_expiring(a, 20260116, 20260301), 1);
	assert_int_equal(identities_count_expiring(a, 20260116, 20260228), 0);
	assert_int_equal(identities_count_expiring(a, 20260302, 20991231), 1);
	assert_int_equal(identities_count_expiring(NULL, 1, 20991231), 0);

	id = identities_lookup(a, MD5A, 32, IDENT_KIND_CERT);
	((struct identity *)id)->last_seen = 12345;
	b = load(MD5A " a\n" MD5B " b\n", err, sizeof(err));
	assert_non_null(b);
	identities_carry(b, a);
	assert_int_equal(identities_lookup(b, MD5A, 32, IDENT_KIND_CERT)->last_seen,
	    12345);
	assert_int_equal(identities_lookup(b, MD5B, 32, IDENT_KIND_CERT)->last_seen,
	    0);
	identities_free(a);
	identities_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_senders),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_expiring_and_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
