/*
 * sts_policy.h - MTA-STS (RFC 8461) records and policies, and the
 *   smtp_tls_policy_maps answer they give
 *
 * Contract: pure text in, verdict out: no I/O, no globals, no event loop.
 *   The caller does the DNS TXT lookup and the HTTPS fetch; this module
 *   says what the bytes mean.
 *
 * TXT records (RFC 8461 §3.1), `_mta-sts.<domain>`:
 *   sts_txt_parse() reads one record's text (its character-strings
 *   already concatenated) against the §3.1 grammar, case-sensitively:
 *   "v=STSv1" first, then fields separated by *WSP ";" *WSP, a trailing
 *   ";" optional; "id=" 1-32 letters and digits, exactly once; extension
 *   fields NAME=VALUE (NAME a letter or digit then up to 31 of letters,
 *   digits, '_', '-', '.'; VALUE visible ASCII but '=' and ';'). White
 *   space after the last field is tolerated (the one leniency).
 *   Returns 1 (id copied, NUL-terminated), 0 when the text does not
 *   begin with "v=STSv1" followed by WSP, ';' or its end (not an STS
 *   record: the RFC says to discard it), -1 when it begins so but is
 *   malformed (err says why).
 *   sts_txt_select() applies §3.1's "exactly one": among n records, those
 *   sts_txt_parse() does not answer 0 for are the candidates; none is 0,
 *   one valid is 1, more than one (valid or not) or one malformed is -1.
 *   The caller treats -1 like 0 for policy purposes (no policy; RFC says
 *   the domain has no available policy) but may log err.
 *
 * Policies (RFC 8461 §3.2), the body of
 *   https://mta-sts.<domain>/.well-known/mta-sts.txt:
 *   sts_policy_parse() is strict: every non-empty line must match the
 *   §3.2 grammar "NAME:" *WSP VALUE *WSP, lines end in LF or CRLF (a last
 *   line may lack it); a malformed line anywhere invalidates the whole
 *   policy. Names are case-sensitive; "version" (value "STSv1"), "mode"
 *   ("enforce", "testing", "none") and "max_age" (1-10 digits, capped at
 *   STS_MAX_AGE_CAP) are required, in any order; "mx" may repeat and is
 *   required at least once unless mode is none; any other name is an
 *   extension whose value must follow sts-policy-ext-value (visible ASCII
 *   or well-formed UTF-8, inner spaces, no tabs or controls) and which is
 *   otherwise ignored. A repeated non-mx field keeps the first value;
 *   later ones must still be well-formed and valid. An mx value is a DNS
 *   name (LDH labels of 1-63, no empty label, no trailing dot, a last
 *   label not all digits so no IPv4 literal; IPv6 cannot pass LDH) or
 *   "*." and such a name, at most STS_NAME_MAX characters in all; it is
 *   stored lower-cased and each distinct pattern once, in policy order.
 *   Empty lines (also only CR or blanks) are skipped, as both peers do:
 *   refusing a policy for them would only turn enforcement off. NUL,
 *   other controls, a lone CR, bytes that are not UTF-8, non-ASCII
 *   outside extension values, and a body over STS_BODY_MAX bytes are
 *   malformed. A BOM is a malformed first name.
 *   Every well-formed line is kept, in order and duplicates included, as
 *   "NAME: VALUE" (value trimmed, case kept) for the TLSRPT policy_string
 *   (RFC 8460 §4.4: the policy as presented, one element per line).
 *   Returns 0 (the policy filled; the caller frees it) or -1 (err says
 *   why, naming the line; *policy is left empty and needs no free).
 *
 * sts_content_type_ok() - 1 when a Content-Type header value is the media
 *   type text/plain (case-insensitive, optional white space around it,
 *   parameters after ';' allowed but not checked), else 0 (NULL, "",
 *   text/html, text/plainx, ...).
 *
 * Answers: sts_policy_answer() writes the payload of tlsmap's socketmap
 *   answer WITHOUT the "OK " (the caller adds it; the payload alone is
 *   what tls_policy_check() takes). Only mode enforce gives one:
 *     secure match=P1:P2 servername=hostname
 *   with each mx pattern in Postfix "secure" form ("*.x" as ".x"), in
 *   policy order. With tlsrpt set, for Postfix >= 3.10 (TLSRPT_README),
 *   it continues with " policy_type=sts policy_domain=DOMAIN", one
 *   " mx_host_pattern=P" per pattern in "*." form (what
 *   smtp_tls_enforce_sts_mx_patterns matches), then one
 *   " { policy_string = NAME: VALUE }" per kept line in order. A line
 *   whose text holds '{' or '}' is left out of the report (Postfix's
 *   brace quoting cannot carry it; only extension values can hold one).
 *   No policy_ttl (deprecated). domain must be a lower-case DNS name.
 *   Returns the payload length (> 0); 0 when the mode gives no answer
 *   (testing, none: the caller answers NOTFOUND); -1 when it does not fit
 *   in outlen bytes with its NUL, or (tlsrpt) domain is not a DNS name;
 *   out is "" then.
 */
#ifndef PFH_STS_POLICY_H
#define PFH_STS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define STS_ID_MAX		32
#define STS_BODY_MAX		65536		/* RFC 8461 §3.3: 64 KiB */
#define STS_MAX_AGE_CAP		31557600u	/* RFC 8461 §3.2: a year */
#define STS_NAME_MAX		253

enum sts_mode {
	STS_MODE_NONE,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE,
};

struct sts_policy {
	enum sts_mode mode;
	uint32_t max_age;	/* seconds, <= STS_MAX_AGE_CAP */
	char	**mx;		/* lower-case patterns, distinct, in order */
	size_t	nmx;
	char	**lines;	/* "name: value" per line, in order */
	size_t	nlines;
};

int	sts_txt_parse(const char *txt, size_t len, char id[STS_ID_MAX + 1],
	    char *err, size_t errlen);
int	sts_txt_select(const char *const *records, const size_t *lens,
	    size_t n, char id[STS_ID_MAX + 1], char *err, size_t errlen);

int	sts_policy_parse(const char *body, size_t len, struct sts_policy *,
	    char *err, size_t errlen);
void	sts_policy_free(struct sts_policy *);
/* sts_mode_name - "enforce", "testing", "none" */
const char *sts_mode_name(enum sts_mode);

int	sts_content_type_ok(const char *content_type);

int	sts_policy_answer(const struct sts_policy *, const char *domain,
	    int tlsrpt, char *out, size_t outlen);

#endif /* PFH_STS_POLICY_H */
