/*
 * ldap_filter.c - %-expansion of the LDAP templates, with RFC 4515 and
 * RFC 4514 escaping of every value put in (contract in ldap_filter.h)
 *
 * The escaping is the whole defence against a login that is itself a
 * filter ("*", ")(uid=*"): nothing the client sent reaches the directory
 * unescaped, and a result that does not fit is refused, never cut.
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "ldap_filter.h"
#include "text.h"

static const char hex[] = "0123456789abcdef";

/* token_ok - the tokens ldap_expand() knows */
static bool
token_ok(char c)
{
	return c != 0 && strchr("%uUdrRs", c) != NULL;
}

/* ldap_template_check - every '%' starts a known token */
int
ldap_template_check(const char *tmpl, char *err, size_t errlen)
{
	const char *p;

	for (p = tmpl; *p; p++) {
		if (*p != '%')
			continue;
		if (!token_ok(p[1])) {
			snprintf(err, errlen, "\"%%%.1s\" is not a known token "
			    "(known: %%%% %%u %%U %%d %%r %%R %%s)",
			    p[1] ? p + 1 : "");
			return -1;
		}
		p++;
	}
	return 0;
}

/* hexdigit - one hex digit */
static bool
hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* ldap_filter_check - tokens known, parentheses balanced, no "()" */
int
ldap_filter_check(const char *filter, char *err, size_t errlen)
{
	const char *p;
	long depth = 0;

	if (ldap_template_check(filter, err, errlen) < 0)
		return -1;
	if (*filter == 0) {
		snprintf(err, errlen, "empty filter");
		return -1;
	}
	for (p = filter; *p; p++) {
		if (*p == '\\') {
			if (!hexdigit(p[1]) || !hexdigit(p[2])) {
				snprintf(err, errlen, "a backslash must start "
				    "a \\XX hex escape (RFC 4515)");
				return -1;
			}
			p += 2;
		} else if (*p == '(') {
			if (p[1] == ')') {
				snprintf(err, errlen, "empty \"()\"");
				return -1;
			}
			depth++;
		} else if (*p == ')' && --depth < 0) {
			snprintf(err, errlen, "unbalanced parentheses: a ')' "
			    "closes nothing");
			return -1;
		}
	}
	if (depth != 0) {
		snprintf(err, errlen, "unbalanced parentheses: %ld '(' left "
		    "open", depth);
		return -1;
	}
	return 0;
}

/* ldap_template_uses_realm - %r, %R, or %d (the realm without an '@') */
bool
ldap_template_uses_realm(const char *tmpl)
{
	const char *p;

	for (p = tmpl; *p; p++) {
		if (*p != '%' || p[1] == 0)
			continue;
		if (p[1] == 'r' || p[1] == 'R' || p[1] == 'd')
			return true;
		p++;
	}
	return false;
}

/* add_hex - "\XX" for one byte */
static void
add_hex(struct text *t, unsigned char c)
{
	char e[3] = {'\\', hex[c >> 4], hex[c & 15]};

	text_add(t, e, sizeof(e));
}

/* add_value - n bytes of an untrusted value, escaped for where it goes */
static void
add_value(struct text *t, enum ldap_escape esc, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool special;

		if (esc == LDAP_ESC_FILTER)
			special = c == '*' || c == '(' || c == ')' ||
			    c == '\\' || c == 0;
		else
			special = c == 0 || strchr(",+\"\\<>;=", c) != NULL ||
			    (i == 0 && (c == '#' || c == ' ')) ||
			    (i == n - 1 && c == ' ');
		if (special)
			add_hex(t, c);
		else
			text_add(t, (const char *)&v[i], 1);
	}
}

/* ldap_expand - the template with every token's value escaped */
int
ldap_expand(const char *tmpl, enum ldap_escape esc,
    const struct ldap_vars *v, char *out, size_t outlen)
{
	const char *login = v->login ? v->login : "";
	const char *realm = v->realm ? v->realm : "";
	const char *service = v->service ? v->service : "";
	const char *at = strrchr(login, '@'), *p;
	struct text t;

	if (outlen == 0)
		return -1;
	text_init(&t, out, outlen);
	for (p = tmpl; *p; p++) {
		if (*p != '%' || !token_ok(p[1])) {
			text_add(&t, p, 1);
			continue;
		}
		switch (*++p) {
		case '%':
			text_lit(&t, "%");
			break;
		case 'u':
			add_value(&t, esc, login, strlen(login));
			break;
		case 'U':
			add_value(&t, esc, login, at ? (size_t)(at - login) :
			    strlen(login));
			break;
		case 'd':
			if (at)
				add_value(&t, esc, at + 1, strlen(at + 1));
			else
				add_value(&t, esc, realm, strlen(realm));
			break;
		case 'r':
			add_value(&t, esc, realm, strlen(realm));
			break;
		case 'R':
			if (*realm) {
				text_lit(&t, "@");
				add_value(&t, esc, realm, strlen(realm));
			}
			break;
		case 's':
			add_value(&t, esc, service, strlen(service));
			break;
		}
	}
	if (text_truncated(&t)) {
		out[0] = 0;
		return -1;
	}
	return 0;
}
