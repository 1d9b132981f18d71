/*
 * ldap_conf.h - the LDAP backend's settings: saslauthd-lite's ldap_*
 * parameters, then the Cyrus-format file named by ldap_config (-O) on top
 *
 * Contract (loop thread, or "check"): ldap_conf_build() fills a struct
 * ldap_conf from cfg, reads cfg->ldap_config when it is set (its keys win
 * over the parameters: it is the file the admin named on the command
 * line, like every other Cyrus flag), and validates the result: every
 * URL of ldap_servers parses and is ldap://, ldaps:// or ldapi://, the
 * filter's tokens are known and (bind, custom) its parentheses balance,
 * ldap_tls_cacert_file is readable, auth method and scope are known,
 * bind and custom have a search base. An error names where the value came
 * from: "FILE, line N: key: reason" for the Cyrus file, "ldap_filter:
 * reason" for a parameter. Cyrus keys whose meaning we do not implement
 * and that would widen who gets in (group checks, SASL binds, a password
 * attribute of another name) are errors, never silently ignored; those
 * that only tune (ldap_version 3, ldap_referrals, ldap_tls_check_peer,
 * ldap_time_limit...) are logged and ignored.
 * The password is a secret: ldap_conf_free() wipes it; it is never put
 * into an error text or a log line.
 * ldap_cfg_changed() says whether a reload must rebuild the backend
 * (an ldap_* parameter differs, or a Cyrus file is named: it is reread).
 */
#ifndef SASL_LDAP_CONF_H
#define SASL_LDAP_CONF_H

#include <stdbool.h>
#include <stddef.h>

struct sasl_cfg;

#define LDAP_MAX_SERVERS	8

enum ldap_method { LDAP_METHOD_BIND, LDAP_METHOD_FASTBIND, LDAP_METHOD_CUSTOM };

struct ldap_conf {
	char	*servers[LDAP_MAX_SERVERS];
	unsigned nservers;
	char	*search_base;
	char	*filter;
	char	*bind_dn;		/* "" anonymous */
	char	*password;		/* secret */
	enum ldap_method method;
	int	 scope;			/* LDAP_SCOPE_* */
	bool	 start_tls;
	char	*cacert_file;		/* "" the system's (ldap.conf) */
	long long timeout_ms;		/* per LDAP operation */
	char	*source;		/* the Cyrus file read, or NULL */
};

int	ldap_conf_build(const struct sasl_cfg *, struct ldap_conf *, char *err,
	    size_t errlen);
void	ldap_conf_free(struct ldap_conf *);
bool	ldap_cfg_changed(const struct sasl_cfg *old, const struct sasl_cfg *n);
const char *ldap_method_name(enum ldap_method);

#endif /* SASL_LDAP_CONF_H */
