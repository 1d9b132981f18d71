/*
 * dovecot_proto.c - the lines of Dovecot's auth client protocol
 * (contract in dovecot_proto.h)
 */
#include "sysdep.h"

#include <stdio.h>
#include <string.h>

#include "clientaddr.h"
#include "dovecot_proto.h"

int
dovecot_split(char *line, size_t len, char **words, unsigned *nwords)
{
	size_t i, start = 0;
	unsigned n = 0;

	*nwords = 0;
	if (len == 0 || memchr(line, 0, len) != NULL ||
	    memchr(line, '\r', len) != NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == DOVECOT_MAX_WORDS)
			return -1;
		words[n++] = line + start;
		if (i < len)
			line[i] = 0;
		start = i + 1;
	}
	/* the caller's line need not be NUL-terminated: its LF is */
	line[len] = 0;
	*nwords = n;
	return 0;
}

/* decimal - digits only, no sign, no leading zero, at most max */
static int
decimal(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;

	if (*s == 0 || (s[0] == '0' && s[1] != 0))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*v = n;
	return 0;
}

/* address - rip= / lip=: an IP address, canonical, or -1 */
static int
address(const char *in, char *out, size_t outlen)
{
	char why[96];

	if (*in == 0 || strchr(in, ';') != NULL)
		return -1;
	return clientaddr_parse(out, outlen, in, strlen(in), why, sizeof(why));
}

/* parse_id - a request id: 1 .. 2^32-1 */
static int
parse_id(const char *w, unsigned long *id, char *err, size_t errlen)
{
	if (decimal(w, 4294967295UL, id) < 0 || *id == 0) {
		snprintf(err, errlen, "bad request id");
		return -1;
	}
	return 0;
}

/* parse_auth - AUTH <id> <mech> [name[=value]]... */
static int
parse_auth(char **w, unsigned n, struct dovecot_line *l, char *err,
    size_t errlen)
{
	unsigned i;

	if (n < 3) {
		snprintf(err, errlen, "AUTH without id or mechanism");
		return -1;
	}
	if (parse_id(w[1], &l->id, err, errlen) < 0)
		return -1;
	l->mech = w[2];
	if (*l->mech == 0) {
		snprintf(err, errlen, "AUTH with an empty mechanism");
		return -1;
	}
	for (i = 3; i < n; i++) {
		const char *a = w[i];

		if (l->resp != NULL) {
			snprintf(err, errlen, "AUTH parameters after resp=");
			return -1;
		}
		if (strncmp(a, "service=", 8) == 0)
			l->service = a + 8;
		else if (strcmp(a, "secured") == 0)
			l->secured = true;
		/* an address that does not parse is none (as Dovecot) */
		else if (strncmp(a, "rip=", 4) == 0)
			l->rip = address(a + 4, l->rip_buf,
			    sizeof(l->rip_buf)) == 0 ? l->rip_buf : "";
		else if (strncmp(a, "lip=", 4) == 0)
			l->lip = address(a + 4, l->lip_buf,
			    sizeof(l->lip_buf)) == 0 ? l->lip_buf : "";
		else if (strncmp(a, "resp=", 5) == 0)
			l->resp = a + 5;
		/* anything else (nologin, session=, ...) is not ours */
	}
	if (l->service == NULL || *l->service == 0) {
		snprintf(err, errlen, "AUTH without service=");
		return -1;
	}
	return 0;
}

int
dovecot_parse(char **w, unsigned n, struct dovecot_line *l, char *err,
    size_t errlen)
{
	unsigned long v;

	memset(l, 0, sizeof(*l));
	l->rip = l->lip = "";
	if (n == 0) {
		snprintf(err, errlen, "empty line");
		return -1;
	}
	if (strcmp(w[0], "VERSION") == 0) {
		l->cmd = DC_VERSION;
		if (n != 3 || decimal(w[1], 65535, &v) < 0) {
			snprintf(err, errlen, "malformed VERSION");
			return -1;
		}
		l->major = (unsigned)v;
		if (decimal(w[2], 65535, &v) < 0) {
			snprintf(err, errlen, "malformed VERSION");
			return -1;
		}
		l->minor = (unsigned)v;
		return 0;
	}
	if (strcmp(w[0], "CPID") == 0) {
		l->cmd = DC_CPID;
		if (n != 2 || decimal(w[1], 4294967295UL, &l->id) < 0 ||
		    l->id == 0) {
			snprintf(err, errlen, "malformed CPID");
			return -1;
		}
		return 0;
	}
	if (strcmp(w[0], "AUTH") == 0) {
		l->cmd = DC_AUTH;
		return parse_auth(w, n, l, err, errlen);
	}
	if (strcmp(w[0], "CONT") == 0) {
		l->cmd = DC_CONT;
		if (n != 3) {
			snprintf(err, errlen, "malformed CONT");
			return -1;
		}
		l->resp = w[2];
		return parse_id(w[1], &l->id, err, errlen);
	}
	if (strcmp(w[0], "CANCEL") == 0) {
		l->cmd = DC_CANCEL;
		if (n != 2) {
			snprintf(err, errlen, "malformed CANCEL");
			return -1;
		}
		return parse_id(w[1], &l->id, err, errlen);
	}
	snprintf(err, errlen, "unknown command");
	return -1;
}

int
dovecot_plain_split(const unsigned char *data, size_t len,
    struct dovecot_plain *p)
{
	const unsigned char *a, *b;

	memset(p, 0, sizeof(*p));
	if ((a = memchr(data, 0, len)) == NULL ||
	    (b = memchr(a + 1, 0, len - (size_t)(a + 1 - data))) == NULL ||
	    memchr(b + 1, 0, len - (size_t)(b + 1 - data)) != NULL)
		return -1;
	p->authzid = (const char *)data;
	p->authzid_len = (size_t)(a - data);
	p->authcid = (const char *)a + 1;
	p->authcid_len = (size_t)(b - a - 1);
	p->password = (const char *)b + 1;
	p->password_len = len - (size_t)(b + 1 - data);
	return 0;
}
