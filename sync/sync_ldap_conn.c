/*
 * sync_ldap_conn.c - an LDAP feed's connection: connect, TLS, bind, and a
 * socket fit for the event loop
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <ldap.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "secret.h"
#include "sync.h"
#include "sync_ldap_conn.h"

#define PASSWORD_MAX	1024


/* read_password - the bind password from its file: one line of text */
static int
read_password(const char *path, char *out, size_t outlen, char *why,
    size_t whylen)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(why, whylen, "bind_password_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* one byte more than fits: a longer file is refused, not cut */
	while (got < outlen && (n = read(fd, out + got, outlen - got)) > 0)
		got += (size_t)n;
	(void)close(fd);
	if (got > 0 && out[got - 1] == '\n')
		got--;
	if (got > 0 && out[got - 1] == '\r')
		got--;
	if (got == 0 || got >= outlen || memchr(out, 0, got) ||
	    memchr(out, '\n', got) || memchr(out, '\r', got)) {
		secret_wipe(out, outlen);
		snprintf(why, whylen, "bind_password_file %s: %s", path,
		    got == 0 ? "empty (an empty password is an unauthenticated "
		    "bind)" : "not one line of text of at most 1023 bytes");
		return -1;
	}
	out[got] = 0;
	return 0;
}

/* set_options - version 3, no referrals, bounded calls, verified TLS */
static int
set_options(LDAP *ld, const struct sync_feed_cfg *fc, bool tls,
    long long ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
	    1000 };
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	int is_server = 0;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv))
		return -1;
	if (!tls)
		return 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) ||
	    (fc->tls_ca_cert_file[0] && ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, fc->tls_ca_cert_file)) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server))
		return -1;
	return 0;
}

/* do_bind - as bind_dn, as ourselves over ldapi, or anonymously */
static int
do_bind(const struct sync_feed_cfg *fc, LDAP *ld, bool ldapi, char *why,
    size_t whylen)
{
	char pw[PASSWORD_MAX];
	struct berval cred;
	int rc;

	if (fc->bind_dn[0]) {
		if (read_password(fc->bind_password_file, pw, sizeof(pw), why,
		    whylen) < 0)
			return -1;
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(ld, fc->bind_dn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
		secret_wipe(pw, sizeof(pw));
		if (rc != LDAP_SUCCESS) {
			snprintf(why, whylen, "bind as %s: %s", fc->bind_dn,
			    ldap_err2string(rc));
			return -1;
		}
	} else if (ldapi) {
		/* an empty initial response: "authorize me as who I am" */
		cred.bv_val = (char *)(uintptr_t)"";
		cred.bv_len = 0;
		rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &cred, NULL, NULL,
		    NULL);
		if (rc != LDAP_SUCCESS) {
			snprintf(why, whylen, "SASL EXTERNAL bind: %s",
			    ldap_err2string(rc));
			return -1;
		}
	}
	return 0;
}

/* sync_ldap_connect - one URI: connect, TLS, bind */
LDAP *
sync_ldap_connect(const struct sync_feed_cfg *fc, const char *uri,
    long long timeout_ms, char *why, size_t whylen)
{
	bool ldaps = strncasecmp(uri, "ldaps:", 6) == 0;
	bool ldapi = strncasecmp(uri, "ldapi:", 6) == 0;
	LDAP *ld = NULL;
	int rc;

	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS) {
		snprintf(why, whylen, "%s: %s", uri, ldap_err2string(rc));
		return NULL;
	}
	if (set_options(ld, fc, ldaps || fc->start_tls, timeout_ms) < 0) {
		snprintf(why, whylen, "%s: cannot set the connection's "
		    "options", uri);
		goto fail;
	}
	rc = fc->start_tls ? ldap_start_tls_s(ld, NULL, NULL) :
	    ldap_connect(ld);
	if (rc != LDAP_SUCCESS) {
		char *diag = NULL;

		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
		snprintf(why, whylen, "%s: %s%s%s%s", uri, fc->start_tls ?
		    "StartTLS: " : "", ldap_err2string(rc), diag && *diag ?
		    ": " : "", diag ? diag : "");
		ldap_memfree(diag);
		goto fail;
	}
	if (do_bind(fc, ld, ldapi, why, whylen) < 0)
		goto fail;
	return ld;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/* sync_ldap_socket_for_loop - the connection's socket, fit for the loop: libldap
 * leaves it blocking after the connect, and a TLS read of a record that
 * arrived in part would then wait in read() with the whole loop; over TCP
 * unacknowledged data and a silent peer time out in the kernel too */
int
sync_ldap_socket_for_loop(int fd, unsigned ms)
{
	int fl = fcntl(fd, F_GETFL), on = 1, idle = 60, intvl = 10, cnt = 3;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return 0;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return 0;
}

