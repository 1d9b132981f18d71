/*
 * identities.h - the policyd-ccert identities file: pins -> identities
 *
 * File syntax (one pin per logical line; '#' comments, blank lines and
 * continuation lines as in every pfhelpers table, see table.h):
 *
 *   FINGERPRINT NAME [attribute=value ...]
 *
 * FINGERPRINT is a certificate or public-key (SPKI) fingerprint in any
 *   case, with or without ':', optionally prefixed "md5:", "sha1:",
 *   "sha256:" or "sha512:" (see fprint.h). Each pin appears once: a
 *   duplicate, whatever its spelling, rejects the file naming both lines.
 * NAME is 1-64 characters from [A-Za-z0-9._@+-]; several lines may share
 *   a NAME (one line per pin: the public key in several digests, an old
 *   and a new certificate). Attributes belong to their line.
 * Attributes (each at most once per line; unknown ones are errors, so a
 *   typo cannot silently drop a restriction):
 *   expires=YYYY-MM-DD   last day (local time) the pin is valid
 *   senders=LIST         comma-separated allowed envelope senders:
 *                        "@example.com" (that domain), "bob@example.org"
 *                        (that address), "<>" (the null sender);
 *                        case-insensitive. Without senders= any sender.
 *                        A domain item has no second '@'.
 *   kind=pubkey|cert     match only ccert_pubkey_fingerprint / only
 *                        ccert_fingerprint (default: either)
 *   note=TEXT            free text for the status page
 * A value is a bare word (no blanks, no '"') or a double-quoted string in
 *   which \" and \\ stand for " and \.
 *
 * Contract: identities_table_ops() are the table.h callbacks; every
 *   per-request cost (normalising, date and list parsing) is paid at load.
 *   identities_new() wraps a loaded table (taking a reference) and builds
 *   its summary (distinct names, pins ordered by expiry).
 *   identities_lookup() takes an already-normalised fingerprint and is
 *   O(1). struct identity is immutable except last_seen, which only the
 *   loop thread writes.
 */
#ifndef PFH_CCERT_IDENTITIES_H
#define PFH_CCERT_IDENTITIES_H

#include <stddef.h>
#include <time.h>

#include "fprint.h"

struct table;
struct table_ops;
struct identities;

enum ident_kind { IDENT_KIND_ANY, IDENT_KIND_PUBKEY, IDENT_KIND_CERT };

struct identity {
	const char *name;
	const char *pin;		/* canonical upper-case hex */
	const char *note;		/* "" when none */
	const char *const *senders;	/* lower-case; "<>" = null sender */
	unsigned nsenders;
	unsigned line;			/* in the identities file */
	int	expires;		/* YYYYMMDD; 0 = no expiry */
	enum ident_kind kind;
	enum fprint_digest digest;
	time_t	last_seen;		/* last match; loop thread only */
};

const struct table_ops *identities_table_ops(void);

struct identities *identities_new(struct table *);
void	identities_free(struct identities *);
struct table *identities_table(const struct identities *);
/* identities_lookup - pin for a normalised fingerprint seen as `as` (PUBKEY or CERT) */
const struct identity *identities_lookup(const struct identities *,
	    const char *hex, size_t len, enum ident_kind as);
size_t	identities_pins(const struct identities *);
size_t	identities_names(const struct identities *);
/* identities_expiring - pins with an expiry on or before `until` (YYYYMMDD), soonest first */
size_t	identities_expiring(const struct identities *, int until,
	    const struct identity **out, size_t max);
/* identities_count_expiring - pins expiring from `from` to `until`, inclusive; exact */
size_t	identities_count_expiring(const struct identities *, int from,
	    int until);
/* identities_carry - copy last_seen from an older load, pin by pin */
void	identities_carry(struct identities *, const struct identities *old);

/* ident_sender_allowed - 1 if `sender` (len bytes, "" = null sender) may be used */
int	ident_sender_allowed(const struct identity *, const char *sender,
	    size_t len);
const char *ident_kind_name(enum ident_kind);

/* Dates are YYYYMMDD integers, compared as numbers. */
int	ident_date_parse(const char *, size_t, int *date_r);
int	ident_date_today(time_t now);
int	ident_date_add_days(int date, int days);
/* ident_date_diff - days from a to b (b - a) */
long	ident_date_diff(int a, int b);

#endif /* PFH_CCERT_IDENTITIES_H */
