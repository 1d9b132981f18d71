/*
 * ccert_decide.h - the policyd-ccert decision, free of I/O
 *
 * Input: the request attributes that matter, the identities loaded, today's
 * local date and the configured actions. Output: the action to send, why,
 * and which identity and pin decided it. Rules, in order:
 *   1. request is not smtpd_access_policy       -> DUNNO      (not_policy)
 *   2. neither fingerprint is present             -> default    (no_cert)
 *   3. look up ccert_pubkey_fingerprint, then ccert_fingerprint (O(1) each;
 *      the first hit decides); no hit             -> default    (not_listed)
 *   4. the pin's expires= date is before today    -> expired    (expired)
 *   5. the pin has senders=, the sender is known (protocol_state MAIL,
 *      RCPT, DATA, END-OF-MESSAGE, or no protocol_state at all) and not
 *      in the list                                 -> mismatch   (sender)
 *   6. otherwise                                   -> permit     (listed)
 * With report_only the decision is still made (and returned in `would`)
 * but the action sent is DUNNO. A malformed fingerprint in a request is
 * treated as absent, and flagged in bad_fprint for the log.
 *
 * Actions are checked once, at config load, by ccert_action_check(): not
 * empty, no control characters, and a first word Postfix knows as an
 * access(5) action, or all digits (which Postfix takes as OK). An empty
 * action would make Postfix permit. ccert_action_permits() tells which
 * actions Postfix takes as a permit (OK, RELAY, all digits), so a
 * permitting default_action can be refused.
 */
#ifndef PFH_CCERT_DECIDE_H
#define PFH_CCERT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "fprint.h"
#include "identities.h"

struct attr;

enum ccert_reason {
	CCERT_R_LISTED,
	CCERT_R_NOT_LISTED,
	CCERT_R_NO_CERT,
	CCERT_R_EXPIRED,
	CCERT_R_SENDER,
	CCERT_R_NOT_POLICY,
	CCERT_R_COUNT
};

/* A borrowed value: not NUL-terminated; p == NULL when the attribute is absent. */
struct ccert_str {
	const char *p;
	size_t	 len;
};

struct ccert_request {
	struct ccert_str request;
	struct ccert_str protocol_state;
	struct ccert_str sender;
	struct ccert_str fingerprint;		/* ccert_fingerprint */
	struct ccert_str pubkey_fingerprint;	/* ccert_pubkey_fingerprint */
	/* for the log only */
	struct ccert_str client_address;
	struct ccert_str client_name;
	struct ccert_str recipient;
};

struct ccert_policy {
	const char *permit_action;
	const char *default_action;
	const char *expired_action;
	const char *sender_mismatch_action;
	bool	 report_only;
};

struct ccert_decision {
	enum ccert_reason reason;
	const char *action;		/* what to send; never empty */
	const char *would;		/* report_only: the action not sent; else NULL */
	const struct identity *id;	/* the pin that matched, or NULL */
	enum ident_kind matched_as;	/* PUBKEY or CERT when id != NULL */
	enum fprint_digest digest;	/* of the presented fingerprint used */
	char	 fp[FPRINT_HEX_MAX + 1];/* that fingerprint, canonical; "" if none */
	bool	 bad_fprint;		/* a fingerprint attribute was malformed */
};

/* ccert_request_from_attrs - pick the attributes decide() and the log use */
void	ccert_request_from_attrs(struct ccert_request *, const struct attr *,
	    unsigned n);
void	ccert_decide(const struct ccert_policy *, const struct identities *,
	    const struct ccert_request *, int today, struct ccert_decision *);
const char *ccert_reason_name(enum ccert_reason);
/* ccert_action_check - 0 if usable as a policy reply action, else -1 + err */
int	ccert_action_check(const char *action, char *err, size_t errlen);
/* ccert_action_permits - 1 if Postfix would permit on this reply */
int	ccert_action_permits(const char *action);
/* ccert_action_class - "permit", "dunno", "reject", "defer" or "other" */
const char *ccert_action_class(const char *action);

#endif /* PFH_CCERT_DECIDE_H */
