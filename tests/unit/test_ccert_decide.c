/*
 * test_ccert_decide.c - unit tests for the policyd-ccert decision
 *
 * Each rule of ccert_decide.h gets its own case, run against a small
 * identities table built from a string and a fixed date, through the same
 * request parsing (ccert_request_from_attrs on decoded attrs) the daemon
 * uses. Also: config-time action validation and the metric classes.
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

#include "attrs.h"
#include "ccert_decide.h"
#include "identities.h"
#include "table.h"

#define PK_BOB	"0B:54:21:13:DE:13:3A:AD:0E:86:95:C2:3A:FC:3C:CC:AB:10:53:47:" \
	"8C:5E:84:79:6B:DC:14:E5:D4:2A:89:37"
#define CERT_BOB "0B:E7:19:30:A4:1C:E9:2C:D8:33:81:8F:2B:FC:AE:BF:13:B4:77:F0:" \
	"69:82:8B:1E:72:51:5E:49:28:30:39:59"
#define MD5_RELAY "D7:04:2F:A7:0B:8C:A5:21:FA:31:77:E1:41:8A:EE:80"
#define PK_OLD	"11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11"
#define PK_OTHER "22:22:22:22:22:22:22:22:22:22:22:22:22:22:22:22"

static const char ids_text[] =
    /* bob: pubkey pin in lower case without colons, restricted senders */
    "0b542113de133aad0e8695c23afc3cccab1053478c5e84796bdc14e5d42a8937 "
    "bob kind=pubkey senders=@example.net,<>\n"
    /* bob's certificate pin too, with a different rule set */
    "sha256:" CERT_BOB " bob-cert kind=cert\n"
    "md5:d7042fa70b8ca521fa3177e1418aee80 relay\n"
    PK_OLD " old expires=2026-01-14\n"
    PK_OTHER " certonly kind=cert expires=2026-01-15\n";

#define TODAY	20260115

static struct identities *ids;
static const struct ccert_policy pol = {
	"OK", "DUNNO", "REJECT client certificate expired",
	"REJECT 5.7.1 sender not allowed", false,
};

static int
setup(void **state)
{
	char err[256];
	struct table *t = table_load_string(ids_text, strlen(ids_text), "ids",
	    identities_table_ops(), err, sizeof(err));

	if (t == NULL)
		fail_msg("%s", err);
	ids = identities_new(t);
	table_unref(t);
	return 0;
}

static int
teardown(void **state)
{
	identities_free(ids);
	return 0;
}

/* decide - build a request the way the daemon does: decode, then pick */
static void
decide(const char *reqtext, const struct ccert_policy *p,
    struct ccert_decision *d)
{
	struct attr attrs[128];
	struct attr_limits lim = {8192, 65536, 128};
	struct ccert_request r;
	unsigned n;
	size_t used;
	char *copy = strdup(reqtext);

	assert_int_equal(attrs_decode(copy, strlen(copy), &lim, attrs, &n,
	    &used), CODEC_DONE);
	ccert_request_from_attrs(&r, attrs, n);
	ccert_decide(p, ids, &r, TODAY, d);
	free(copy);
}

#define REQ(extra) "request=smtpd_access_policy\nprotocol_state=RCPT\n" \
	"client_address=198.51.100.7\nunknown_attribute=ignored\n" extra "\n"

static const struct {
	const char *name;
	const char *req;
	enum ccert_reason reason;
	const char *action;
	const char *identity;		/* NULL = none */
	enum ident_kind as;
	enum fprint_digest digest;
} cases[] = {
	{"pubkey pin, allowed sender",
	    REQ("sender=app@example.net\nccert_fingerprint=" CERT_BOB
	    "\nccert_pubkey_fingerprint=" PK_BOB "\n"),
	    CCERT_R_LISTED, "OK", "bob", IDENT_KIND_PUBKEY, FPRINT_SHA256},
	{"pubkey pin wins over the cert pin; sender outside the list",
	    REQ("sender=app@example.org\nccert_fingerprint=" CERT_BOB
	    "\nccert_pubkey_fingerprint=" PK_BOB "\n"),
	    CCERT_R_SENDER, "REJECT 5.7.1 sender not allowed", "bob",
	    IDENT_KIND_PUBKEY, FPRINT_SHA256},
	{"null sender allowed by <>",
	    REQ("sender=\nccert_pubkey_fingerprint=" PK_BOB "\n"),
	    CCERT_R_LISTED, "OK", "bob", IDENT_KIND_PUBKEY, FPRINT_SHA256},
	{"sender not checked before MAIL FROM",
	    "request=smtpd_access_policy\nprotocol_state=EHLO\nsender=\n"
	    "ccert_pubkey_fingerprint=" PK_BOB "\n\n",
	    CCERT_R_LISTED, "OK", "bob", IDENT_KIND_PUBKEY, FPRINT_SHA256},
	{"certificate pin when the pubkey is unknown",
	    REQ("sender=x@anywhere\nccert_fingerprint=" CERT_BOB
	    "\nccert_pubkey_fingerprint=" PK_OTHER "\n"),
	    CCERT_R_LISTED, "OK", "bob-cert", IDENT_KIND_CERT, FPRINT_SHA256},
	{"md5 certificate fingerprint (compatibility_level < 3.6)",
	    REQ("sender=x@y\nccert_fingerprint=" MD5_RELAY
	    "\nccert_pubkey_fingerprint=99:99:99:99:99:99:99:99:99:99:99:99:99:"
	    "99:99:99\n"),
	    CCERT_R_LISTED, "OK", "relay", IDENT_KIND_CERT, FPRINT_MD5},
	{"not listed",
	    REQ("ccert_fingerprint=AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA"
	    "\nccert_pubkey_fingerprint=BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:"
	    "BB:BB\n"),
	    CCERT_R_NOT_LISTED, "DUNNO", NULL, IDENT_KIND_ANY, FPRINT_MD5},
	{"kind=cert pin presented as a public key does not match",
	    REQ("ccert_pubkey_fingerprint=" PK_OTHER "\n"),
	    CCERT_R_NOT_LISTED, "DUNNO", NULL, IDENT_KIND_ANY, FPRINT_MD5},
	{"no certificate: empty attributes",
	    REQ("ccert_fingerprint=\nccert_pubkey_fingerprint=\n"),
	    CCERT_R_NO_CERT, "DUNNO", NULL, IDENT_KIND_ANY, FPRINT_NONE},
	{"no certificate: no attributes (plaintext, or Postfix without TLS)",
	    REQ(""), CCERT_R_NO_CERT, "DUNNO", NULL, IDENT_KIND_ANY,
	    FPRINT_NONE},
	{"expired yesterday",
	    REQ("ccert_fingerprint=" PK_OLD "\n"),
	    CCERT_R_EXPIRED, "REJECT client certificate expired", "old",
	    IDENT_KIND_CERT, FPRINT_MD5},
	{"expires today: still valid",
	    REQ("ccert_fingerprint=" PK_OTHER "\n"),
	    CCERT_R_LISTED, "OK", "certonly", IDENT_KIND_CERT, FPRINT_MD5},
	{"not a policy request",
	    "request=junk\nccert_pubkey_fingerprint=" PK_BOB "\n\n",
	    CCERT_R_NOT_POLICY, "DUNNO", NULL, IDENT_KIND_ANY, FPRINT_NONE},
	{"no request attribute",
	    "ccert_pubkey_fingerprint=" PK_BOB "\n\n",
	    CCERT_R_NOT_POLICY, "DUNNO", NULL, IDENT_KIND_ANY, FPRINT_NONE},
	{"malformed pubkey fingerprint, good cert fingerprint",
	    REQ("ccert_pubkey_fingerprint=ZZ:TOP\nccert_fingerprint=" MD5_RELAY
	    "\n"),
	    CCERT_R_LISTED, "OK", "relay", IDENT_KIND_CERT, FPRINT_MD5},
};

static void
test_rules(void **state)
{
	struct ccert_decision d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide(cases[i].req, &pol, &d);
		if (d.reason != cases[i].reason)
			fail_msg("%s: reason %s", cases[i].name,
			    ccert_reason_name(d.reason));
		if (strcmp(d.action, cases[i].action) != 0)
			fail_msg("%s: action %s", cases[i].name, d.action);
		assert_null(d.would);
		if (cases[i].identity == NULL) {
			assert_null(d.id);
			continue;
		}
		if (d.id == NULL || strcmp(d.id->name, cases[i].identity) != 0)
			fail_msg("%s: identity %s", cases[i].name,
			    d.id ? d.id->name : "(none)");
		assert_int_equal(d.matched_as, cases[i].as);
		assert_int_equal(d.digest, cases[i].digest);
	}
}

static void
test_malformed_flag(void **state)
{
	struct ccert_decision d;

	decide(REQ("ccert_pubkey_fingerprint=ZZ:TOP\n"), &pol, &d);
	assert_true(d.bad_fprint);
	assert_int_equal(d.reason, CCERT_R_NO_CERT);
	assert_string_equal(d.action, "DUNNO");
	decide(REQ("ccert_pubkey_fingerprint=" PK_BOB "\nsender=a@example.net\n"),
	    &pol, &d);
	assert_false(d.bad_fprint);
	assert_string_equal(d.fp, "0B542113DE133AAD0E8695C23AFC3CCCAB1053478C5E"
	    "84796BDC14E5D42A8937");
}

static void
test_report_only(void **state)
{
	struct ccert_policy ro = pol;
	struct ccert_decision d;

	ro.report_only = true;
	decide(REQ("sender=x@evil.example\nccert_pubkey_fingerprint=" PK_BOB
	    "\n"), &ro, &d);
	assert_int_equal(d.reason, CCERT_R_SENDER);
	assert_string_equal(d.action, "DUNNO");
	assert_string_equal(d.would, "REJECT 5.7.1 sender not allowed");
	decide(REQ("sender=x@example.net\nccert_pubkey_fingerprint=" PK_BOB
	    "\n"), &ro, &d);
	assert_int_equal(d.reason, CCERT_R_LISTED);
	assert_string_equal(d.action, "DUNNO");
	assert_string_equal(d.would, "OK");
	decide("request=other\n\n", &ro, &d);
	assert_string_equal(d.action, "DUNNO");
}

static void
test_configured_default(void **state)
{
	struct ccert_policy p = pol;
	struct ccert_decision d;

	p.default_action = "REJECT 5.7.1 client certificate required";
	p.permit_action = "RELAY";
	decide(REQ(""), &p, &d);
	assert_string_equal(d.action, "REJECT 5.7.1 client certificate required");
	decide(REQ("ccert_fingerprint=" MD5_RELAY "\n"), &p, &d);
	assert_string_equal(d.action, "RELAY");
}

static void
test_action_check(void **state)
{
	static const char *const good[] = {
		"OK", "ok", "DUNNO", "REJECT", "REJECT 5.7.1 go away",
		"DEFER_IF_PERMIT try later", "450 4.7.1 later", "554 5.7.1 no",
		"421 closing", "WARN odd client", "PREPEND X-Cert: yes",
		"HOLD", "DISCARD", "INFO x", "FILTER smtp:[127.0.0.1]:10025",
		"200", "0", "RELAY", "relay why",
	};
	static const struct {
		const char *a;
		const char *why;
	} bad[] = {
		{"", "empty action"},
		{"OK\nDUNNO", "control character"},
		{" OK", "starts with a space"},
		{"PERMIT", "is not one of"},
		{"permit_mynetworks", "is not one of"},
		{"250 fine", "is not one of"},
		{"45 short", "is not one of"},
		{"PREPEND", "needs an argument"},
		{"hash:/etc/postfix/x", "is not one of"},
		{"554", "needs a text"},
		{"450", "needs a text"},
		{"450 ", "needs a text"},
		{"200 fine", "is not one of"},
		{"OKAY", "is not one of"},
		{"OK\tgo", "control character"},
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ccert_action_check(good[i], err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (ccert_action_check(bad[i].a, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i].a);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].a, err,
			    bad[i].why);
	}
}

/* Postfix's permits, in every spelling we could be handed; and the rest */
static void
test_action_permits(void **state)
{
	static const char *const yes[] = {
		"OK", "ok", "Ok", "oK", "OK relay", "ok everyone", "RELAY",
		"relay", "Relay text", "200", "0", "12345", " OK", "\tOK",
		"OK\ttext", "  200", "200 ", "554", "450", "250 fine",
	};
	static const char *const no[] = {
		"", "DUNNO", "dunno", "REJECT", "REJECT OK", "DEFER OK",
		"DEFER_IF_PERMIT", "DEFER_IF_REJECT x", "450 4.7.1 OK",
		"554 5.7.1 ok", "OKAY", "OK.", "RELAYS", "HOLD", "DISCARD",
		"WARN OK", "INFO ok", "PREPEND X-OK: yes", "FILTER smtp:x",
		"REDIRECT a@b", "BCC a@b", "x200", "20O",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!ccert_action_permits(yes[i]))
			fail_msg("\"%s\" not seen as a permit", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (ccert_action_permits(no[i]))
			fail_msg("\"%s\" seen as a permit", no[i]);
}

static void
test_action_class(void **state)
{
	assert_string_equal(ccert_action_class("OK"), "permit");
	assert_string_equal(ccert_action_class("relay"), "permit");
	assert_string_equal(ccert_action_class("DUNNO"), "dunno");
	assert_string_equal(ccert_action_class("REJECT x"), "reject");
	assert_string_equal(ccert_action_class("554 5.7.1 x"), "reject");
	assert_string_equal(ccert_action_class("DEFER_IF_PERMIT x"), "defer");
	assert_string_equal(ccert_action_class("451 4.3.5 x"), "defer");
	assert_string_equal(ccert_action_class("WARN x"), "other");
	assert_string_equal(ccert_action_class("200"), "permit");
	assert_string_equal(ccert_action_class("OK relay"), "permit");
	assert_string_equal(ccert_reason_name(CCERT_R_NOT_POLICY), "not_policy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_malformed_flag),
		cmocka_unit_test(test_report_only),
		cmocka_unit_test(test_configured_default),
		cmocka_unit_test(test_action_check),
		cmocka_unit_test(test_action_permits),
		cmocka_unit_test(test_action_class),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
