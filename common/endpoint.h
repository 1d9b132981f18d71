/*
 * endpoint.h - Postfix-style endpoint strings
 *
 * Accepted forms: "unix:/abs/path", "inet:host:port", "inet:[v6addr]:port",
 * "inet:port" (host 127.0.0.1, loopback by default). A bare "/abs/path"
 * means unix:, a bare "host:port" means inet:. Port 1-65535, numeric.
 * The host is an address or name; it is resolved by listen.c.
 *
 * Contract: endpoint_parse() is pure; 0 and *ep filled, or -1 and a reason
 * in err. endpoint_str() prints the canonical form. endpoint_canonical()
 * is the name a text goes by, as the daemons compare and log endpoints:
 * the canonical form of what it parses to ("inet:10030" and
 * "inet:127.0.0.1:10030" are one), or the text itself when it does not
 * parse; text is len bytes, NUL-terminated or not (a cfg_conv_list_next()
 * item); 0 when it parsed (*ep filled, when ep is not NULL), else -1.
 *
 * An endpoint list ("listen = unix:/a, inet:10030") is a list value like
 * any other: cfg_conv_list_next() (cfg_conv.h) walks it.
 */
#ifndef PFH_ENDPOINT_H
#define PFH_ENDPOINT_H

#include <stddef.h>

enum endpoint_kind { ENDPOINT_UNIX, ENDPOINT_INET };

struct endpoint {
	enum endpoint_kind kind;
	char	path[108];	/* unix: socket path */
	char	host[256];	/* inet: host without brackets */
	unsigned port;		/* inet: port */
};

int	endpoint_parse(const char *, struct endpoint *, char *err, size_t errlen);
/* endpoint_str - "unix:/path" or "inet:host:port" ([] around IPv6) */
const char *endpoint_str(const struct endpoint *, char *out, size_t outlen);
int	endpoint_canonical(const char *text, size_t len, struct endpoint *ep,
	    char *out, size_t outlen);

#endif /* PFH_ENDPOINT_H */
