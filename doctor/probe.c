/*
 * probe.c - one request to a daemon over the path Postfix uses (probe.h)
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attrs.h"
#include "base64.h"
#include "buf.h"
#include "cstrings.h"
#include "endpoint.h"
#include "ev.h"
#include "netstring.h"
#include "probe.h"

#define REPLY_MAX	8192

/* A reply decoder: 1 complete (text in out), 0 need more, -1 malformed. */
typedef int (*reply_fn)(const char *in, size_t len, char *out, size_t outlen);

static int
remaining(uint64_t deadline)
{
	uint64_t now = ev_monotonic_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* wait_fd - poll fd for events until the deadline; 1 ready, 0 timed out */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {fd, events, 0};
	int r;

	do
		r = poll(&p, 1, remaining(deadline));
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* connect_nb - a non-blocking connect finished by the deadline */
static int
connect_nb(int fd, const struct sockaddr *sa, socklen_t salen,
    uint64_t deadline, char *why, size_t whylen, const char *name)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		snprintf(why, whylen, "cannot connect to %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (!wait_fd(fd, POLLOUT, deadline)) {
		snprintf(why, whylen, "connecting to %s timed out", name);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		snprintf(why, whylen, "cannot connect to %s: %s", name,
		    strerror(err ? err : errno));
		return -1;
	}
	return 0;
}

/* open_endpoint - a connected non-blocking socket, or -1 */
static int
open_endpoint(const char *text, uint64_t deadline, char *why, size_t whylen)
{
	struct endpoint ep;
	struct sockaddr_un sun;
	struct addrinfo hints, *ai = NULL, *a;
	char port[16], err[256];
	int fd = -1, rc;

	if (endpoint_parse(text, &ep, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s: %s", text, err);
		return -1;
	}
	if (ep.kind == ENDPOINT_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ep.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect_nb(fd, (struct sockaddr *)&sun,
		    sizeof(sun), deadline, why, whylen, ep.path) < 0)
			goto fail;
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", ep.port);
	if ((rc = getaddrinfo(ep.host, port, &hints, &ai)) != 0) {
		snprintf(why, whylen, "%s: %s", text, gai_strerror(rc));
		return -1;
	}
	snprintf(why, whylen, "%s: no address", text);
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect_nb(fd, a->ai_addr, a->ai_addrlen,
		    deadline, why, whylen, text) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	else
		snprintf(why, whylen, "socket: %s", strerror(errno));
	return -1;
}

/*
 * exchange - send req on a fresh connection, read until decode says done;
 * req is freed
 */
static int
exchange(const char *endpoint, struct buf *req, reply_fn decode,
    int timeout_ms, char *out, size_t outlen, char *why, size_t whylen)
{
	uint64_t deadline = ev_monotonic_ms() + (uint64_t)timeout_ms;
	char in[REPLY_MAX];
	size_t sent = 0, got = 0;
	ssize_t n;
	int fd, rc = -1, r;

	if ((fd = open_endpoint(endpoint, deadline, why, whylen)) < 0) {
		buf_free(req);
		return -1;
	}
	while (sent < req->len) {
		if (!wait_fd(fd, POLLOUT, deadline)) {
			snprintf(why, whylen, "%s took no request within %d ms",
			    endpoint, timeout_ms);
			goto done;
		}
		n = send(fd, req->data + sent, req->len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, whylen, "sending to %s: %s", endpoint,
			    strerror(errno));
			goto done;
		}
		if (n > 0)
			sent += (size_t)n;
	}
	for (;;) {
		if (!wait_fd(fd, POLLIN, deadline)) {
			snprintf(why, whylen, "%s sent no answer within %d ms",
			    endpoint, timeout_ms);
			goto done;
		}
		n = recv(fd, in + got, sizeof(in) - 1 - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s closed the connection %s",
			    endpoint, got ? "in the middle of its answer" :
			    "without an answer");
			goto done;
		}
		got += (size_t)n;
		if ((r = decode(in, got, out, outlen)) == 1) {
			rc = 0;
			goto done;
		}
		if (r < 0 || got == sizeof(in) - 1) {
			snprintf(why, whylen, "%s answered, but not in the "
			    "protocol Postfix speaks there", endpoint);
			goto done;
		}
	}
done:
	close(fd);
	buf_free(req);
	return rc;
}

static void
copy_out(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

/* sasl_reply - one counted string that starts with OK or NO */
static int
sasl_reply(const char *in, size_t len, char *out, size_t outlen)
{
	size_t n;

	if (len < 2)
		return 0;
	n = ((size_t)(unsigned char)in[0] << 8) | (unsigned char)in[1];
	if (len < 2 + n)
		return n > SASL_REPLY_MAX ? -1 : 0;
	if (n < 2 || (memcmp(in + 2, "OK", 2) != 0 &&
	    memcmp(in + 2, "NO", 2) != 0))
		return -1;
	copy_out(out, outlen, in + 2, n);
	return 1;
}

int
probe_saslauthd(const char *endpoint, const char *login, int timeout_ms,
    char *out, size_t outlen, char *why, size_t whylen)
{
	const char *field[4] = {login, "pfhelpers-doctor", "smtp", ""};
	struct buf req;
	int i;

	buf_init(&req, 4096);
	for (i = 0; i < 4; i++)
		(void)sasl_cstring_encode(&req, field[i], strlen(field[i]));
	return exchange(endpoint, &req, sasl_reply, timeout_ms, out, outlen,
	    why, whylen);
}

/* policy_reply - an attribute block with action= */
static int
policy_reply(const char *in, size_t len, char *out, size_t outlen)
{
	static const struct attr_limits lim = {8192, 65536, 128};
	struct attr a[128];
	const struct attr *act;
	unsigned n;
	size_t used;

	switch (attrs_decode(in, len, &lim, a, &n, &used)) {
	case CODEC_NEED_MORE:
		return 0;
	case CODEC_DONE:
		if ((act = attrs_find(a, n, "action")) == NULL)
			return -1;
		copy_out(out, outlen, act->value, act->value_len);
		return 1;
	default:
		return -1;
	}
}

int
probe_policy(const char *endpoint, int timeout_ms, char *out, size_t outlen,
    char *why, size_t whylen)
{
	struct buf req;

	buf_init(&req, 4096);
	if (buf_puts(&req, "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\nprotocol_name=ESMTP\n"
	    "client_address=192.0.2.1\nclient_name=unknown\n"
	    "helo_name=pfhelpers-doctor.invalid\n"
	    "sender=pfhelpers-doctor@example.invalid\n"
	    "recipient=postmaster@example.invalid\n"
	    "ccert_fingerprint=\nccert_pubkey_fingerprint=\n\n") < 0)
		abort();	/* a fixed text under the cap */
	return exchange(endpoint, &req, policy_reply, timeout_ms, out, outlen,
	    why, whylen);
}

/* socketmap_reply - one netstring that starts with a socketmap status */
static int
socketmap_reply(const char *in, size_t len, char *out, size_t outlen)
{
	static const char *const status[] = {"OK ", "NOTFOUND ", "TEMP ",
	    "PERM ", NULL};
	const char *p;
	size_t used, plen;
	int i;

	switch (netstring_decode(in, len, REPLY_MAX, &used, &p, &plen)) {
	case CODEC_NEED_MORE:
		return 0;
	case CODEC_DONE:
		for (i = 0; status[i] != NULL; i++)
			if (plen >= strlen(status[i]) &&
			    memcmp(p, status[i], strlen(status[i])) == 0) {
				copy_out(out, outlen, p, plen);
				return 1;
			}
		return -1;
	default:
		return -1;
	}
}

int
probe_socketmap(const char *endpoint, const char *name, const char *key,
    int timeout_ms, char *out, size_t outlen, char *why, size_t whylen)
{
	struct buf req, q;
	int rc;

	buf_init(&q, 4096);
	buf_init(&req, 4200);
	(void)buf_printf(&q, "%s %s", name, key);
	(void)netstring_encode(&req, q.data, q.len);
	rc = exchange(endpoint, &req, socketmap_reply, timeout_ms, out,
	    outlen, why, whylen);
	buf_free(&q);
	return rc;
}

/*
 * dovecot_reply - VERSION 1.x first, the handshake up to DONE, then the
 * answer to AUTH 1: a whole OK or FAIL line (out: that line)
 */
static int
dovecot_reply(const char *in, size_t len, char *out, size_t outlen)
{
	const char *done, *line, *end;

	if (len < 10)
		return 0;
	if (memcmp(in, "VERSION\t1\t", 10) != 0)
		return -1;
	if ((done = memmem(in, len, "\nDONE\n", 6)) == NULL)
		return 0;
	line = done + 6;
	if ((end = memchr(line, '\n', len - (size_t)(line - in))) == NULL)
		return 0;
	if ((size_t)(end - line) < 5 || (memcmp(line, "OK\t1", 4) != 0 &&
	    memcmp(line, "FAIL\t1", 6) != 0) || (line[0] == 'O' ?
	    (line[4] != '\t' && line[4] != '\n') :
	    (line[6] != '\t' && line[6] != '\n')))
		return -1;
	copy_out(out, outlen, line, (size_t)(end - line));
	return 1;
}

int
probe_dovecot(const char *endpoint, const char *login, int timeout_ms,
    char *out, size_t outlen, char *why, size_t whylen)
{
	static const char password[] = "pfhelpers-doctor";
	struct buf req;
	char plain[300], resp[420];
	size_t ll = strnlen(login, 255), n = 0;

	/* PLAIN's initial response: empty authzid, authcid, password */
	plain[n++] = 0;
	memcpy(plain + n, login, ll);
	n += ll;
	plain[n++] = 0;
	memcpy(plain + n, password, sizeof(password) - 1);
	n += sizeof(password) - 1;
	if (base64_encode(plain, n, resp, sizeof(resp)) < 0)
		abort();	/* 4/3 of at most 273 bytes fits */
	/*
	 * The handshake and one AUTH sent together: a server answers AUTH
	 * once it has VERSION and CPID. "secured" as smtpd says it under TLS
	 * (the doctor's request comes from no real client: no rip=).
	 */
	buf_init(&req, 2048);
	(void)buf_printf(&req, "VERSION\t1\t2\nCPID\t%ld\n"
	    "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tsecured\tresp=%s\n",
	    (long)getpid(), resp);
	return exchange(endpoint, &req, dovecot_reply, timeout_ms, out, outlen,
	    why, whylen);
}
