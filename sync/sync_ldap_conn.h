/*
 * sync_ldap_conn.h - an LDAP feed's connection to one URI
 *
 * Contract:
 *   sync_ldap_connect() - libldap's synchronous connect to uri, each step
 *     bounded by timeout_ms: protocol version 3, no referrals; for
 *     ldaps:// and start_tls a TLS context of the connection's own that
 *     demands a valid server certificate (from tls_ca_cert_file when
 *     set), StartTLS never falling back to clear text; then a simple bind
 *     as bind_dn with the first line of bind_password_file (read at each
 *     call, wiped after; an empty one refused), SASL EXTERNAL over
 *     ldapi:// without bind_dn, else anonymous. The handle, or NULL and
 *     the reason ("URI: ...", never the password).
 *   sync_ldap_socket_for_loop() - the connected socket made non-blocking
 *     (libldap leaves it blocking, and a TLS read of a partial record
 *     would then stall the loop), and for TCP TCP_USER_TIMEOUT = ms and
 *     keepalives, so a silent peer is found by the kernel too. -1 when it
 *     cannot be made non-blocking.
 */
#ifndef PFH_SYNC_LDAP_CONN_H
#define PFH_SYNC_LDAP_CONN_H

#include <ldap.h>
#include <stddef.h>

struct sync_feed_cfg;

LDAP	*sync_ldap_connect(const struct sync_feed_cfg *, const char *uri,
	    long long timeout_ms, char *why, size_t whylen);
int	sync_ldap_socket_for_loop(int fd, unsigned ms);

#endif /* PFH_SYNC_LDAP_CONN_H */
