/*
 * dane.h - does a destination domain publish SMTP DANE (RFC 7672)?
 *
 * One job per domain, on the loop: the MX RRset, then for every MX host
 * (at most DANE_MAX_HOSTS, lowest preference first) its A, AAAA and
 * _25._tcp TLSA RRsets, all through the validating resolver
 * (dns_resolver.h). No MX records: the domain itself is the host
 * (implicit MX, RFC 7672 §2.2.2) when that denial is secure. A null MX
 * ("MX 0 .") means the domain takes no mail: no DANE.
 *
 * Outcome:
 *   DANE_ONLY  the MX RRset is secure, every MX host that has addresses
 *              has secure addresses and a usable TLSA record (usage 2 or
 *              3, selector 0 or 1, matching type 0, 1 with 32 bytes or 2
 *              with 64), and there is at least one such host.
 *   DANE       short of that, but at least one MX host with secure
 *              addresses has secure TLSA records (usable or not), also
 *              when the MX RRset itself is insecure (the "smart MX host"
 *              of RFC 7672 §2.2.1): Postfix's "dane" level then decides
 *              per host.
 *   DANE_NONE  DANE is proven absent: no such domain, a null MX, no MX
 *              host with secure addresses and secure TLSA, an insecure
 *              domain without MX records.
 *   DANE_TEMP  any lookup on the way was bogus or failed: the caller must
 *              answer TEMP, never fall back to a weaker policy.
 * ttl is the smallest TTL of the answers the outcome rests on. detail is
 * a one-line account of what was found (for logs and "tlsmap explain").
 * The job never times out by itself: the caller keeps the deadline and
 * calls dane_cancel() (no callback after that). The callback is the
 * job's end; the job is freed after it returns.
 */
#ifndef PFH_DANE_H
#define PFH_DANE_H

#include <stddef.h>

struct dns_resolver;
struct dane_job;

#define DANE_MAX_HOSTS	10
#define DANE_DETAIL_MAX	1024

enum dane_result { DANE_NONE, DANE_OPPORTUNISTIC, DANE_ONLY, DANE_TEMP };

struct dane_outcome {
	enum dane_result result;
	unsigned ttl;
	char	 detail[DANE_DETAIL_MAX];
};

typedef void dane_fn(const struct dane_outcome *, void *ctx);

/* dane_start - NULL (and the reason in err) when no query could start */
struct dane_job *dane_start(struct dns_resolver *, const char *domain,
	    dane_fn *, void *ctx, char *err, size_t errlen);
void	dane_cancel(struct dane_job *);
const char *dane_result_name(enum dane_result);
/* dane_tlsa_usable - one TLSA rdata (usage, selector, mtype, data) */
int	dane_tlsa_usable(const unsigned char *rdata, size_t len);

#endif /* PFH_DANE_H */
