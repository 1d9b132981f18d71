/*
 * ccert_decide.c - the policyd-ccert decision, free of I/O
 *
 * Kept pure (no clock, no log, no socket) so every rule is unit-tested
 * with a table built from a string and a fixed date; the session layer
 * supplies today's date and logs what comes out.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "attrs.h"
#include "ccert_decide.h"

static const char ccert_dunno[] = "DUNNO";

static const char *const ccert_reason_names[CCERT_R_COUNT] = {
	"listed", "not_listed", "no_cert", "expired", "sender", "not_policy",
};

/* ccert_reason_name - label for logs and metrics */
const char *
ccert_reason_name(enum ccert_reason r)
{
	return r < CCERT_R_COUNT ? ccert_reason_names[r] : "unknown";
}

/* pick - one attribute into a borrowed span */
static void
pick(struct ccert_str *dst, const struct attr *a, unsigned n, const char *name)
{
	const struct attr *at = attrs_find(a, n, name);

	dst->p = at ? at->value : NULL;
	dst->len = at ? at->value_len : 0;
}

/* ccert_request_from_attrs - the attributes that matter; others are ignored */
void
ccert_request_from_attrs(struct ccert_request *r, const struct attr *a,
    unsigned n)
{
	pick(&r->request, a, n, "request");
	pick(&r->protocol_state, a, n, "protocol_state");
	pick(&r->sender, a, n, "sender");
	pick(&r->fingerprint, a, n, "ccert_fingerprint");
	pick(&r->pubkey_fingerprint, a, n, "ccert_pubkey_fingerprint");
	pick(&r->client_address, a, n, "client_address");
	pick(&r->client_name, a, n, "client_name");
	pick(&r->recipient, a, n, "recipient");
}

/* str_is - span equals a C string (case-sensitive, as Postfix sends it) */
static int
str_is(const struct ccert_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->p != NULL && s->len == n && memcmp(s->p, lit, n) == 0;
}

/* sender_known - has the client given MAIL FROM at this stage? */
static int
sender_known(const struct ccert_request *r)
{
	if (r->protocol_state.p == NULL)
		return r->sender.p != NULL;
	return str_is(&r->protocol_state, "MAIL") ||
	    str_is(&r->protocol_state, "RCPT") ||
	    str_is(&r->protocol_state, "DATA") ||
	    str_is(&r->protocol_state, "END-OF-MESSAGE");
}

/*
 * try_pin - normalise one presented fingerprint and look it up. Returns 1
 * on a hit, 0 on a miss, -1 if the attribute is absent, empty or malformed.
 */
static int
try_pin(const struct identities *ids, const struct ccert_str *fp,
    enum ident_kind as, struct ccert_decision *d)
{
	char buf[FPRINT_HEX_MAX * 3 + 16], why[128];
	enum fprint_digest dg;
	size_t len = fp->len;

	if (fp->p == NULL || fp->len == 0)
		return -1;
	if (fp->len >= sizeof(buf)) {
		d->bad_fprint = true;
		return -1;
	}
	memcpy(buf, fp->p, len);
	buf[len] = 0;
	if (fprint_normalise(buf, &len, &dg, why, sizeof(why)) < 0) {
		d->bad_fprint = true;
		return -1;
	}
	/* the first fingerprint seen is the one the log shows */
	if (d->fp[0] == 0) {
		memcpy(d->fp, buf, len + 1);
		d->digest = dg;
	}
	if ((d->id = identities_lookup(ids, buf, len, as)) == NULL)
		return 0;
	memcpy(d->fp, buf, len + 1);
	d->digest = dg;
	d->matched_as = as;
	return 1;
}

/* ccert_decide - apply the rules in the order the header lists them */
void
ccert_decide(const struct ccert_policy *pol, const struct identities *ids,
    const struct ccert_request *r, int today, struct ccert_decision *d)
{
	int pk, cert = -1;

	memset(d, 0, sizeof(*d));
	if (!str_is(&r->request, "smtpd_access_policy")) {
		d->reason = CCERT_R_NOT_POLICY;
		d->action = ccert_dunno;
		return;
	}
	pk = try_pin(ids, &r->pubkey_fingerprint, IDENT_KIND_PUBKEY, d);
	if (pk != 1)
		cert = try_pin(ids, &r->fingerprint, IDENT_KIND_CERT, d);
	if (pk != 1 && cert != 1) {
		d->reason = pk < 0 && cert < 0 ? CCERT_R_NO_CERT :
		    CCERT_R_NOT_LISTED;
		d->action = pol->default_action;
	} else if (d->id->expires != 0 && d->id->expires < today) {
		d->reason = CCERT_R_EXPIRED;
		d->action = pol->expired_action;
	} else if (d->id->nsenders > 0 && sender_known(r) &&
	    !ident_sender_allowed(d->id, r->sender.p ? r->sender.p : "",
	    r->sender.len)) {
		d->reason = CCERT_R_SENDER;
		d->action = pol->sender_mismatch_action;
	} else {
		d->reason = CCERT_R_LISTED;
		d->action = pol->permit_action;
	}
	if (pol->report_only) {
		d->would = d->action;
		d->action = ccert_dunno;
	}
}

/* The access(5) words a policy reply may start with (Postfix 3.x). */
static const struct {
	const char *word;
	int	 needs_text;	/* FILTER transport:dest and friends */
} ccert_words[] = {
	{"OK", 0}, {"RELAY", 0}, {"DUNNO", 0}, {"REJECT", 0}, {"DEFER", 0},
	{"DEFER_IF_REJECT", 0}, {"DEFER_IF_PERMIT", 0}, {"HOLD", 0},
	{"DISCARD", 0}, {"WARN", 0}, {"INFO", 0}, {"PREPEND", 1},
	{"FILTER", 1}, {"REDIRECT", 1}, {"BCC", 1},
};

/* ccert_action_check - is this a reply Postfix takes as we mean it? */
int
ccert_action_check(const char *action, char *err, size_t errlen)
{
	const char *p, *word_end;
	size_t wlen, i;

	if (action == NULL || *action == 0) {
		snprintf(err, errlen, "empty action (Postfix would permit)");
		return -1;
	}
	for (p = action; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "control character in action");
			return -1;
		}
	}
	if (*action == ' ') {
		snprintf(err, errlen, "action starts with a space");
		return -1;
	}
	for (word_end = action; *word_end && *word_end != ' '; word_end++)
		;
	wlen = (size_t)(word_end - action);
	/*
	 * 4NN/5NN text: a reject or defer with our own code. Postfix wants
	 * the text: a bare "554" is all digits, which it takes as OK.
	 */
	if (wlen == 3 && (action[0] == '4' || action[0] == '5') &&
	    isdigit((unsigned char)action[1]) &&
	    isdigit((unsigned char)action[2])) {
		if (word_end[strspn(word_end, " ")] == 0) {
			snprintf(err, errlen, "action %.3s needs a text: "
			    "Postfix takes a reply of digits only as OK",
			    action);
			return -1;
		}
		return 0;
	}
	/* all digits: Postfix permits, as for OK (access(5) "all-numerical") */
	if (action[strspn(action, "0123456789")] == 0)
		return 0;
	for (i = 0; i < nitems(ccert_words); i++) {
		if (strlen(ccert_words[i].word) != wlen ||
		    strncasecmp(action, ccert_words[i].word, wlen) != 0)
			continue;
		if (ccert_words[i].needs_text && word_end[0] == 0) {
			snprintf(err, errlen, "action %s needs an argument",
			    ccert_words[i].word);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "action \"%.*s\" is not one of OK, RELAY, "
	    "DUNNO, REJECT, DEFER, DEFER_IF_PERMIT, DEFER_IF_REJECT, 4NN, 5NN, "
	    "HOLD, DISCARD, WARN, INFO, PREPEND, FILTER, REDIRECT, BCC",
	    (int)(wlen > 40 ? 40 : wlen), action);
	return -1;
}

/*
 * ccert_action_permits - does Postfix take this reply as a permit?
 *
 * As smtpd_check.c's check_table_result() reads a policy reply: a first
 * word OK or RELAY in any case (the text after it is ignored), or a reply
 * that is all digits. Deliberately wider than Postfix where a reading is
 * doubtful: leading and trailing blanks are skipped, a tab ends the first
 * word, and a first word of digits that is not a 4NN/5NN code counts as a
 * permit whatever follows, so no spelling of a permit can pass for
 * something else. A bare "450" or "554" is all digits: a permit (and
 * ccert_action_check() refuses it). DISCARD also ends the restrictions,
 * but the mail goes nowhere.
 */
int
ccert_action_permits(const char *a)
{
	size_t w, d;

	a += strspn(a, " \t");
	w = strcspn(a, " \t");
	if ((w == 2 && strncasecmp(a, "OK", 2) == 0) ||
	    (w == 5 && strncasecmp(a, "RELAY", 5) == 0))
		return 1;
	d = strspn(a, "0123456789");
	if (w == 0 || d != w)
		return 0;
	/* digits alone (even "554"): Postfix's all-numerical OK */
	if (a[w + strspn(a + w, " \t")] == 0)
		return 1;
	/* 4NN/5NN text rejects or defers; other digits + text: a permit */
	return !(w == 3 && (a[0] == '4' || a[0] == '5'));
}

/* ccert_action_class - a fixed label set for the metrics */
const char *
ccert_action_class(const char *a)
{
	size_t w = strcspn(a, " ");

	if (ccert_action_permits(a))
		return "permit";
	if (w == 5 && strncasecmp(a, "DUNNO", 5) == 0)
		return "dunno";
	if ((w == 6 && strncasecmp(a, "REJECT", 6) == 0) ||
	    (w == 3 && a[0] == '5'))
		return "reject";
	if ((w >= 5 && strncasecmp(a, "DEFER", 5) == 0) ||
	    (w == 3 && a[0] == '4'))
		return "defer";
	return "other";
}
