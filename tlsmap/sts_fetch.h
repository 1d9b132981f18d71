/*
 * sts_fetch.h - MTA-STS policy fetches (RFC 8461 §3.3) on the event loop
 *
 * Contract:
 *   - A fetcher runs libcurl's multi_socket interface on one ev loop: its
 *     sockets are ev fds, its timeout one ev timer. Nothing blocks the
 *     loop: libcurl never resolves a name (see below) and never sleeps.
 *   - sts_fetch_start() GETs https://POLICY_HOST/.well-known/mta-sts.txt
 *     over a fresh connection to ADDR:PORT (an IPv4 or IPv6 literal, the
 *     address the caller's validated DNS gave), while the TLS server name,
 *     the Host header and the name the certificate must carry stay
 *     POLICY_HOST. POLICY_HOST is a host name (letters, digits, '-', '.';
 *     at most 253 bytes); libcurl is told to connect to ADDR (CONNECT_TO),
 *     so it never looks POLICY_HOST up itself.
 *   - The rules: https only; redirects are never followed (a 3xx answer is
 *     STS_FETCH_HTTP_STATUS, its Location never contacted); the peer's
 *     certificate and name are verified, TLS 1.2 at least, against
 *     cfg->ca_file alone when it is set, else the system bundle; proxies
 *     (and their environment variables) are ignored; no Accept-Encoding is
 *     sent; the body is at most STS_FETCH_BODY_MAX bytes: a longer one,
 *     announced (Content-Length) or counted while it arrives, is
 *     STS_FETCH_TOO_BIG, never truncated; only status 200 with a
 *     Content-Type of text/plain (any case, parameters allowed) is
 *     STS_FETCH_OK. cfg's timeouts bound the connect and the whole fetch.
 *   - The callback runs exactly once per started fetch, from the loop (an
 *     ev fd or timer callback, never inside libcurl), unless the fetch is
 *     cancelled first or the fetcher freed. The result and every pointer
 *     in it are valid only during the callback. The fetch handle is dead
 *     once its callback has started (like an ev timer's). Inside the
 *     callback the caller may start and cancel other fetches, and may
 *     free the fetcher.
 *   - sts_fetch_start() returns NULL, with no callback to come, when its
 *     arguments are not a host name, an address literal and a port 1-65535
 *     (logged as a warning), or when libcurl refuses the transfer.
 * Ownership: the fetcher copies cfg's strings; each fetch owns its buffers
 *   and frees them after its callback, on cancel, or in sts_fetcher_free(),
 *   which cancels every fetch still pending without calling back.
 *   curl_global_init() runs once, at the first sts_fetcher_new(), and
 *   curl_global_cleanup() never (other users of libcurl may remain).
 * Threads: loop thread only.
 */
#ifndef PFH_STS_FETCH_H
#define PFH_STS_FETCH_H

#include <stddef.h>

#define STS_FETCH_BODY_MAX	65536	/* RFC 8461 §3.3: 64 KiB */
/* ms; RFC 8461 §3.3 suggests a minute at most */
#define STS_FETCH_TIMEOUT_DEFAULT 60000L

struct ev;
struct sts_fetcher;
struct sts_fetch;

struct sts_fetch_cfg {
	const char *ca_file;	/* NULL or "": the system bundle */
	long	 timeout_ms;	/* whole fetch; 0: STS_FETCH_TIMEOUT_DEFAULT */
	long	 connect_timeout_ms; /* TCP + TLS handshake; 0: the whole fetch's */
	const char *user_agent;	/* NULL or "": no User-Agent header */
};

enum sts_fetch_status {
	STS_FETCH_OK,		/* 200, text/plain, body within the cap */
	STS_FETCH_HTTP_STATUS,	/* any status but 200, 3xx included */
	STS_FETCH_CONTENT_TYPE,	/* 200 but not text/plain */
	STS_FETCH_TOO_BIG,	/* body over STS_FETCH_BODY_MAX */
	STS_FETCH_TLS,		/* handshake failed or certificate refused */
	STS_FETCH_CONNECT,	/* TCP connection failed (refused, unreachable) */
	STS_FETCH_TIMEOUT,	/* connect or whole-fetch timeout */
	STS_FETCH_ERROR,	/* anything else (protocol error, reset, ...) */
};
#define STS_FETCH_STATUS_COUNT	8

struct sts_fetch_result {
	enum sts_fetch_status status;
	long	 http_status;	/* 0 when no response line arrived */
	const char *content_type; /* as received; NULL when absent */
	const char *body;	/* OK only (NUL-terminated too); else NULL */
	size_t	 body_len;
	const char *error;	/* one line for the logs; "" for OK */
};

typedef void sts_fetch_fn(const struct sts_fetch_result *, void *ctx);

struct sts_fetcher *sts_fetcher_new(struct ev *, const struct sts_fetch_cfg *);
void	sts_fetcher_free(struct sts_fetcher *);
struct sts_fetch *sts_fetch_start(struct sts_fetcher *, const char *policy_host,
	    const char *addr, unsigned port, sts_fetch_fn *, void *ctx);
void	sts_fetch_cancel(struct sts_fetch *);
/* sts_fetcher_active - fetches started whose callback has not started yet */
unsigned sts_fetcher_active(const struct sts_fetcher *);
/* sts_fetch_status_name - "ok", "http-status", ..., "fetch-error" */
const char *sts_fetch_status_name(enum sts_fetch_status);

#endif /* PFH_STS_FETCH_H */
