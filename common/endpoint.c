/*
 * endpoint.c - Postfix-style endpoint strings
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

static int
parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != 0 || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int
parse_inet(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	const char *colon;
	size_t hlen;

	ep->kind = ENDPOINT_INET;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "bad IPv6 endpoint \"%s\": expected [address]:port", s);
			return -1;
		}
		hlen = (size_t)(close - s - 1);
		/* "[[x]:25" would print as "inet:[x:25", which does not parse */
		if (hlen == 0 || hlen >= sizeof(ep->host) ||
		    memchr(s + 1, '[', hlen) != NULL) {
			snprintf(err, errlen, "bad host in \"%s\"", s);
			return -1;
		}
		memcpy(ep->host, s + 1, hlen);
		ep->host[hlen] = 0;
		colon = close + 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		/* "inet:port" */
		strcpy(ep->host, "127.0.0.1");
		colon = s - 1;
	} else {
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL) {
			snprintf(err, errlen, "IPv6 address in \"%s\" needs brackets: [address]:port", s);
			return -1;
		}
		if (hlen == 0 || hlen >= sizeof(ep->host)) {
			snprintf(err, errlen, "bad host in \"%s\"", s);
			return -1;
		}
		memcpy(ep->host, s, hlen);
		ep->host[hlen] = 0;
	}
	if (parse_port(colon + 1, &ep->port) < 0) {
		snprintf(err, errlen, "bad port in \"%s\": expected 1-65535", s);
		return -1;
	}
	return 0;
}

static int
parse_unix(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	ep->kind = ENDPOINT_UNIX;
	if (*s != '/') {
		snprintf(err, errlen, "unix socket path \"%s\" must be absolute", s);
		return -1;
	}
	if (strlen(s) >= sizeof(ep->path)) {
		snprintf(err, errlen, "unix socket path \"%s\" is longer than %zu bytes",
		    s, sizeof(ep->path) - 1);
		return -1;
	}
	strcpy(ep->path, s);
	return 0;
}

/* endpoint_parse - parse an endpoint string */
int
endpoint_parse(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	memset(ep, 0, sizeof(*ep));
	if (s == NULL || *s == 0) {
		snprintf(err, errlen, "empty endpoint");
		return -1;
	}
	if (strncmp(s, "unix:", 5) == 0)
		return parse_unix(s + 5, ep, err, errlen);
	if (strncmp(s, "local:", 6) == 0)
		return parse_unix(s + 6, ep, err, errlen);
	if (strncmp(s, "inet:", 5) == 0)
		return parse_inet(s + 5, ep, err, errlen);
	if (*s == '/')
		return parse_unix(s, ep, err, errlen);
	if (strchr(s, ':') != NULL)
		return parse_inet(s, ep, err, errlen);
	snprintf(err, errlen, "bad endpoint \"%s\": expected unix:/path or inet:host:port", s);
	return -1;
}

/* endpoint_str - canonical text */
const char *
endpoint_str(const struct endpoint *ep, char *out, size_t outlen)
{
	if (ep->kind == ENDPOINT_UNIX)
		snprintf(out, outlen, "unix:%s", ep->path);
	else if (strchr(ep->host, ':'))
		snprintf(out, outlen, "inet:[%s]:%u", ep->host, ep->port);
	else
		snprintf(out, outlen, "inet:%s:%u", ep->host, ep->port);
	return out;
}

/* endpoint_canonical - the canonical name of a text, or the text itself */
int
endpoint_canonical(const char *text, size_t len, struct endpoint *ep,
    char *out, size_t outlen)
{
	struct endpoint tmp;
	char item[512], err[256];

	if (ep == NULL)
		ep = &tmp;
	/* longer than any endpoint can be: never cut short into one */
	if (len < sizeof(item)) {
		memcpy(item, text, len);
		item[len] = 0;
		if (endpoint_parse(item, ep, err, sizeof(err)) == 0) {
			endpoint_str(ep, out, outlen);
			return 0;
		}
	}
	snprintf(out, outlen, "%.*s", (int)len, text);
	return -1;
}
