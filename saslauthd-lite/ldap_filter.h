/*
 * ldap_filter.h - the LDAP backend's templates: %-expansion with escaping
 *
 * Contract (pure, any thread): a template is ldap_filter's text (a search
 * filter, or for fastbind the user's DN). Its tokens, as in Cyrus
 * saslauthd's LDAP_SASLAUTHD:
 *   %%  a '%'            %u  the login (after the realm policy)
 *   %U  the login up to its last '@' (all of it without one)
 *   %d  the login after its last '@', else the realm
 *   %r  the realm        %R  "@" and the realm, or "" without one
 *   %s  the service
 * Any other '%' sequence is refused by ldap_template_check(). Each value
 * put in is escaped for where it lands, never the template itself:
 *   LDAP_ESC_FILTER  RFC 4515: '*' '(' ')' '\' and NUL become \2a \28 \29
 *                    \5c \00, so a login like "*" or ")(uid=*" is one
 *                    literal value and cannot match someone else;
 *   LDAP_ESC_DN      RFC 4514: ',' '+' '"' '\' '<' '>' ';' '=' NUL, a
 *                    leading '#' or blank and a trailing blank as \XX.
 * ldap_expand() returns 0, or -1 when the result does not fit outlen
 * (out is then "": never a cut-off filter).
 * ldap_filter_check() also wants the parentheses of a filter balanced
 * (a "\XX" escape in the template is skipped) and no empty "()".
 */
#ifndef SASL_LDAP_FILTER_H
#define SASL_LDAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

enum ldap_escape { LDAP_ESC_FILTER, LDAP_ESC_DN };

struct ldap_vars {
	const char *login, *realm, *service;
};

int	ldap_template_check(const char *tmpl, char *err, size_t errlen);
int	ldap_filter_check(const char *filter, char *err, size_t errlen);
/* ldap_template_uses_realm - the expansion can depend on the realm */
bool	ldap_template_uses_realm(const char *tmpl);
int	ldap_expand(const char *tmpl, enum ldap_escape, const struct ldap_vars *,
	    char *out, size_t outlen);

#endif /* SASL_LDAP_FILTER_H */
