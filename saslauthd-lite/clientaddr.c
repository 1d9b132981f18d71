/*
 * clientaddr.c - the client address of a 5-field request, or nothing
 */
#include "sysdep.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "clientaddr.h"

/* drop - no address, and why */
static int
drop(char *out, char *why, size_t whylen, const char *reason)
{
	out[0] = 0;
	snprintf(why, whylen, "%s", reason);
	return -1;
}

/* port_ok - 1 to 5 digits, at most 65535 */
static int
port_ok(const char *p, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= 65535;
}

/* clientaddr_parse - "addr[;port]" to the canonical address, or "" */
int
clientaddr_parse(char *out, size_t outlen, const char *in, size_t len,
    char *why, size_t whylen)
{
	char text[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *semi;
	size_t alen;
	int af;

	out[0] = 0;
	if (len == 0)
		return 0;
	if (memchr(in, 0, len) != NULL)
		return drop(out, why, whylen, "a NUL byte in it");
	semi = memchr(in, ';', len);
	alen = semi ? (size_t)(semi - in) : len;
	if (semi != NULL && !port_ok(semi + 1, len - alen - 1))
		return drop(out, why, whylen, "the port after ';' is not a "
		    "number from 0 to 65535");
	if (alen == 0)
		return drop(out, why, whylen, "no address before ';'");
	if (alen >= sizeof(text))
		return drop(out, why, whylen, "too long for an IP address");
	memcpy(text, in, alen);
	text[alen] = 0;
	af = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, text, bin) != 1)
		return drop(out, why, whylen, af == AF_INET6 ?
		    "not an IPv6 address" : "not an IPv4 address");
	if (inet_ntop(af, bin, canon, sizeof(canon)) == NULL ||
	    strlen(canon) >= outlen)
		return drop(out, why, whylen, "no room for the address");
	memcpy(out, canon, strlen(canon) + 1);
	return 0;
}
