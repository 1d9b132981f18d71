/*
 * dns_resolver.h - DNSSEC-validating DNS lookups on the event loop
 *
 * A thin owner of one libunbound context. libunbound validates every
 * answer itself (it never trusts an upstream's AD bit): answers come back
 * as secure, insecure or bogus. Its worker thread does the network I/O;
 * its result descriptor sits in our epoll loop and the callbacks run on the
 * loop thread.
 *
 * Configuration (before the first query; dns_resolver_new() refuses bad
 * values with a message naming the parameter):
 *   forwarders    "ADDR[@PORT] ..." - send every query to these resolvers
 *                 (validation still happens here); empty = full recursion
 *                 from the root hints.
 *   stub_zones    "ZONE=ADDR@PORT ..." - answers for ZONE come from that
 *                 authoritative server (split horizon, tests); such a zone
 *                 overrides libunbound's built-in local zones (test.,
 *                 invalid., ...) and may be served on loopback.
 *   anchor_files  "FILE ..." - DS or DNSKEY lines (zone file syntax, ';'
 *                 comments), read now by us, so an unreadable or empty file
 *                 is an error at start and not a silent "insecure" later.
 *
 * Answers (struct dns_answer): status SECURE / INSECURE / BOGUS / FAIL.
 *   FAIL is everything that is not an answer: a libunbound error, an
 *   rcode other than NOERROR and NXDOMAIN (SERVFAIL when the servers are
 *   down). BOGUS carries libunbound's reason. nxdomain and the records
 *   (data/len, rdata in wire form) are as libunbound gives them; ttl is the
 *   answer's TTL (for a denial, the negative TTL). The answer and its
 *   records are valid only during the callback.
 * There is no per-query timeout in libunbound: the caller keeps its own
 *   deadline and calls dns_query_cancel(); the callback is then never
 *   called.
 * Threads: the loop thread calls everything here; libunbound's own thread
 *   is private to it.
 */
#ifndef PFH_DNS_RESOLVER_H
#define PFH_DNS_RESOLVER_H

#include <stddef.h>

struct ev;
struct dns_resolver;
struct dns_query;

enum dns_status { DNS_SECURE, DNS_INSECURE, DNS_BOGUS, DNS_FAIL };

#define DNS_T_A		1
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

struct dns_cfg {
	const char *forwarders;
	const char *stub_zones;
	const char *anchor_files;
};

struct dns_answer {
	enum dns_status status;
	int	 nxdomain;
	int	 rcode;
	unsigned ttl;
	char	**data;		/* rdata, NULL-terminated */
	int	*len;
	const char *why;	/* BOGUS and FAIL: for logs */
	/* the name the records belong to when a CNAME chain was followed
	 * (libunbound's canonname, no trailing dot), else NULL */
	const char *canonname;
};

typedef void dns_fn(const struct dns_answer *, void *ctx);

/* dns_cfg_check - the syntax of the three lists; 0, or -1 + err */
int	dns_cfg_check(const struct dns_cfg *, char *err, size_t errlen);
struct dns_resolver *dns_resolver_new(struct ev *, const struct dns_cfg *,
	    char *err, size_t errlen);
/* dns_resolver_free - cancels every query (no callbacks) */
void	dns_resolver_free(struct dns_resolver *);
/* dns_query - start a lookup; NULL (and err) when it cannot start */
struct dns_query *dns_query(struct dns_resolver *, const char *name,
	    int rrtype, dns_fn *, void *ctx, char *err, size_t errlen);
void	dns_query_cancel(struct dns_query *);
/* dns_in_flight - queries started and neither answered nor cancelled */
unsigned dns_in_flight(const struct dns_resolver *);
const char *dns_status_name(enum dns_status);
/* dns_name_wire_to_text - an uncompressed wire name at p (n bytes left) to
 * lower-case text without the final dot ("" for the root); bytes used, or
 * 0 when malformed or when the text and its NUL do not fit in outlen */
size_t	dns_name_wire_to_text(const unsigned char *p, size_t n, char *out,
	    size_t outlen);

#endif /* PFH_DNS_RESOLVER_H */
