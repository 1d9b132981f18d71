/*
 * clientaddr.h - the client address of a 5-field request, or nothing
 *
 * libsasl2 (master) sends the client as "addr;port" (its ipremoteport):
 * an IPv4 or IPv6 literal, optionally ";" and a decimal port. The address
 * becomes PAM_RHOST and the per-client throttle key, so it is taken whole
 * or not at all: clientaddr_parse() writes the address in canonical form
 * (inet_ntop: "2001:DB8::1" and "2001:db8:0::1" are one client) and
 * returns 0, or writes "" and returns -1 with why saying what was wrong
 * (never quoting the input: it is the peer's). An empty field is no
 * address: "" and 0. Pure; no logging.
 */
#ifndef SASL_CLIENTADDR_H
#define SASL_CLIENTADDR_H

#include <stddef.h>

int	clientaddr_parse(char *out, size_t outlen, const char *in, size_t len,
	    char *why, size_t whylen);

#endif /* SASL_CLIENTADDR_H */
