/*
 * load_proto.c - pfh-load's protocol layer: specs to requests, replies to answers
 *
 * Contract: a spec line is whitespace-separated fields; "-" stands for an
 *   empty field; '#' starts a comment line. Per protocol:
 *     sasl       USER PASSWORD SERVICE REALM [EXPECTED...]
 *     policy     FINGERPRINT [SENDER] [EXPECTED...]
 *     socketmap  MAPNAME KEY [EXPECTED...]
 *     dovecot    USER PASSWORD SERVICE RIP [EXPECTED]
 *   EXPECTED is the rest of the line and is a prefix of the answer: the
 *   saslauthd reply text ("OK", "NO"), the policy action value ("DUNNO",
 *   "OK", compared case-insensitively like Postfix does), or the socketmap
 *   reply payload ("NOTFOUND", "OK secure match=..."). A dovecot answer
 *   is its reply line; EXPECTED is its first word ("OK", "FAIL"), and the
 *   line's id must be the request's, whether an expectation is given or
 *   not. A dovecot request is the AUTH line Postfix's smtpd writes for a
 *   PLAIN login with an initial response (xsasl_dovecot_server.c): id,
 *   PLAIN, service=, nologin, lip=, rip= (none for "-"), secured, resp=;
 *   its id is the spec's number, so one connection's requests never
 *   share an id while one is in flight.
 *   Every request is encoded once, here, so the engine only copies bytes:
 *   the load generator must cost as little per request as possible.
 * Replies are decoded with the common codecs (netstring_decode,
 *   attrs_decode); the saslauthd reply is one counted string, decoded here
 *   because the common codec only decodes requests.
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "attrs.h"
#include "base64.h"
#include "buf.h"
#include "cstrings.h"
#include "netstring.h"
#include "secret.h"
#include "xalloc.h"

#include "load.h"

#define SPEC_MAX_FIELDS		4	/* fields before the expectation */
#define SOCKETMAP_REPLY_MAX	100000	/* Postfix's socketmap_max_reply_size */
#define POLICY_MAX_ATTRS	128
#define DOVECOT_LINE_MAX	16384	/* Dovecot 2.3's line cap, LF included */
#define DOVECOT_HANDSHAKE_MAX	65536

static const struct attr_limits policy_reply_limits = {
	8192, 65536, POLICY_MAX_ATTRS
};

/* load_proto_name - protocol name for reports */
const char *
load_proto_name(enum load_proto p)
{
	switch (p) {
	case LOAD_SASL:
		return "sasl";
	case LOAD_POLICY:
		return "policy";
	case LOAD_SOCKETMAP:
		return "socketmap";
	case LOAD_DOVECOT:
		return "dovecot";
	}
	return "unknown";
}

/* load_proto_parse - "sasl", "policy" or "socketmap"; -1 otherwise */
int
load_proto_parse(const char *s, enum load_proto *p)
{
	if (strcmp(s, "sasl") == 0 || strcmp(s, "saslauthd") == 0)
		*p = LOAD_SASL;
	else if (strcmp(s, "policy") == 0)
		*p = LOAD_POLICY;
	else if (strcmp(s, "socketmap") == 0 || strcmp(s, "sockmap") == 0)
		*p = LOAD_SOCKETMAP;
	else if (strcmp(s, "dovecot") == 0)
		*p = LOAD_DOVECOT;
	else
		return -1;
	return 0;
}

/* load_specs_init - an empty list */
void
load_specs_init(struct load_specs *s)
{
	memset(s, 0, sizeof(*s));
}

/* load_specs_free - free every spec; requests may hold test passwords */
void
load_specs_free(struct load_specs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		secret_free(s->v[i].req, s->v[i].req_len);
		free(s->v[i].expect);
		free(s->v[i].label);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * split_fields - up to `max` fields, then the rest of the line
 *
 * The fields are NUL-terminated in place; *rest_r is the trimmed remainder
 * (NULL when empty). Returns the number of fields found.
 */
static int
split_fields(char *line, char **f, int max, char **rest_r)
{
	char *p = line, *end;
	int n = 0;

	*rest_r = NULL;
	while (n < max) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return n;
		end = p + strcspn(p, " \t");
		f[n++] = p;
		if (*end == '\0')
			return n;
		*end = '\0';
		p = end + 1;
	}
	p += strspn(p, " \t");
	if (*p != '\0') {
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		*rest_r = p;
	}
	return n;
}

/* field - the value of a spec field: "-" means empty */
static const char *
field(const char *f)
{
	return strcmp(f, "-") == 0 ? "" : f;
}

/* sasl_build - four (or five) counted strings, as libsasl2 writes them */
static int
sasl_build(struct buf *out, char **f, const struct load_build *b,
    char *err, size_t errlen)
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *v = field(f[i]);

		if (strlen(v) > SASL_FIELD_MAX) {
			snprintf(err, errlen, "field %d longer than %d bytes",
			    i + 1, SASL_FIELD_MAX);
			return -1;
		}
		if (sasl_cstring_encode(out, v, strlen(v)) < 0)
			goto nomem;
	}
	if (b->sasl_client_addr != NULL &&
	    sasl_cstring_encode(out, b->sasl_client_addr,
	    strlen(b->sasl_client_addr)) < 0)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "request too large");
	return -1;
}

/*
 * pubkey_stand_in - a pubkey fingerprint of the same shape that is not listed
 *
 * Postfix sends both fingerprints when a client presents a certificate.
 * The spec names one; the other is the same string read backwards, so a
 * server that looks both up does both lookups, as it would in production.
 */
static void
pubkey_stand_in(const char *fp, char *out, size_t outlen)
{
	size_t n = strlen(fp), i;

	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = fp[n - 1 - i];
	out[n] = '\0';
}

/*
 * policy_build - a Postfix 3.7 RCPT-stage request, attribute for attribute
 *
 * The order and the set of attributes are those of smtpd_check.c at 3.7
 * (protocols.md 2.2); the client varies with the spec's index so a server
 * that keys anything on the client sees many of them.
 */
static int
policy_build(struct buf *out, size_t idx, char **f, int nf, char *err,
    size_t errlen)
{
	const char *fp = field(f[0]);
	const char *sender = nf > 1 ? field(f[1]) : "app@example.net";
	char pk[256];
	unsigned h = (unsigned)(idx % 254) + 1;

	if (strchr(fp, '=') != NULL || strlen(fp) >= sizeof(pk)) {
		snprintf(err, errlen, "bad fingerprint");
		return -1;
	}
	pubkey_stand_in(fp, pk, sizeof(pk));
	if (buf_printf(out,
	    "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "client_address=198.51.100.%u\n"
	    "client_name=host%u.example.net\n"
	    "client_port=%u\n"
	    "reverse_client_name=host%u.example.net\n"
	    "server_address=192.0.2.25\n"
	    "server_port=25\n"
	    "helo_name=host%u.example.net\n"
	    "sender=%s\n"
	    "recipient=user@example.com\n"
	    "recipient_count=0\n"
	    "queue_id=\n"
	    "instance=%zx.6553a0b1.8e1f2.0\n"
	    "size=0\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "sasl_method=\n"
	    "sasl_username=\n"
	    "sasl_sender=\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=%s\n"
	    "ccert_pubkey_fingerprint=%s\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "policy_context=\n"
	    "\n",
	    h, h, 40000 + (unsigned)(idx % 20000), h, h, sender, idx + 1,
	    fp, *fp ? pk : "") < 0) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	return 0;
}

/* socketmap_build - one netstring "MAPNAME KEY" */
static int
socketmap_build(struct buf *out, char **f, char *err, size_t errlen)
{
	char *q = xasprintf("%s %s", field(f[0]), field(f[1]));
	int r = netstring_encode(out, q, strlen(q));

	free(q);
	if (r < 0)
		snprintf(err, errlen, "request too large");
	return r;
}

/* dovecot_build - one AUTH line, PLAIN with the initial response */
static int
dovecot_build(struct buf *out, unsigned long id, char **f, char *err,
    size_t errlen)
{
	const char *user = field(f[0]), *pw = field(f[1]);
	const char *service = field(f[2]), *rip = field(f[3]);
	size_t ul = strlen(user), pl = strlen(pw), rl = ul + pl + 2;
	char raw[2 * SASL_FIELD_MAX + 2], b64[BASE64_ENCODED_LEN(sizeof(raw)) + 1];
	int r;

	if (ul > SASL_FIELD_MAX || pl > SASL_FIELD_MAX || !*service ||
	    strpbrk(service, "\t\n") != NULL || strlen(service) > SASL_FIELD_MAX ||
	    strlen(rip) > 64) {
		snprintf(err, errlen, "bad user, password, service or address");
		return -1;
	}
	/* authzid empty, as mail clients send it */
	raw[0] = 0;
	memcpy(raw + 1, user, ul);
	raw[1 + ul] = 0;
	memcpy(raw + 2 + ul, pw, pl);
	(void)base64_encode(raw, rl, b64, sizeof(b64));
	r = buf_printf(out, "AUTH\t%lu\tPLAIN\tservice=%s\tnologin"
	    "\tlip=192.0.2.25%s%s\tsecured\tresp=%s\n", id, service,
	    *rip ? "\trip=" : "", rip, b64);
	secret_wipe(raw, sizeof(raw));
	secret_wipe(b64, sizeof(b64));
	if (r < 0) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	return 0;
}

/* make_label - the spec as printed in error reports, password masked */
static char *
make_label(enum load_proto p, char **f, int nf)
{
	switch (p) {
	case LOAD_SASL:
	case LOAD_DOVECOT:
		return xasprintf("%s *** %s %s", f[0], f[2], f[3]);
	case LOAD_POLICY:
		return xasprintf("%s %s", f[0], nf > 1 ? f[1] : "");
	case LOAD_SOCKETMAP:
		return xasprintf("%s %s", f[0], f[1]);
	}
	return xstrdup("?");
}

/* load_spec_add - parse one spec line and append its request */
int
load_spec_add(struct load_specs *s, enum load_proto p,
    const struct load_build *b, const char *text, char *err, size_t errlen)
{
	static const int need[] = { [LOAD_SASL] = 4, [LOAD_POLICY] = 1,
	    [LOAD_SOCKETMAP] = 2, [LOAD_DOVECOT] = 4 };
	char *line = xstrdup(text), *f[SPEC_MAX_FIELDS], *rest;
	struct load_spec sp;
	struct buf out;
	int nf, max, r = -1;

	/* policy: the 2nd field is the sender; the rest is the expectation */
	max = p == LOAD_SASL || p == LOAD_DOVECOT ? 4 : 2;
	nf = split_fields(line, f, max, &rest);
	if (nf < need[p]) {
		snprintf(err, errlen, "%s spec needs %s", load_proto_name(p),
		    p == LOAD_SASL ? "USER PASSWORD SERVICE REALM [EXPECTED]" :
		    p == LOAD_DOVECOT ? "USER PASSWORD SERVICE RIP [EXPECTED]" :
		    p == LOAD_POLICY ? "FINGERPRINT [SENDER] [EXPECTED]" :
		    "MAPNAME KEY [EXPECTED]");
		goto out;
	}
	buf_init(&out, 1 << 20);
	switch (p) {
	case LOAD_SASL:
		buf_set_secret(&out);
		r = sasl_build(&out, f, b, err, errlen);
		break;
	case LOAD_POLICY:
		r = policy_build(&out, s->n, f, nf, err, errlen);
		break;
	case LOAD_SOCKETMAP:
		r = socketmap_build(&out, f, err, errlen);
		break;
	case LOAD_DOVECOT:
		buf_set_secret(&out);
		r = dovecot_build(&out, s->n + 1, f, err, errlen);
		break;
	}
	if (r < 0) {
		buf_free(&out);
		goto out;
	}
	memset(&sp, 0, sizeof(sp));
	sp.req = xmalloc(out.len);
	memcpy(sp.req, out.data, out.len);
	sp.req_len = out.len;
	buf_free(&out);
	if (rest != NULL) {
		sp.expect = xstrdup(rest);
		sp.expect_len = strlen(rest);
	}
	sp.label = make_label(p, f, nf);
	sp.id = s->n + 1;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = sp;
	r = 0;
out:
	secret_wipe(line, strlen(text));
	free(line);
	return r;
}

/* load_specs_read - every spec line of a file */
int
load_specs_read(struct load_specs *s, enum load_proto p,
    const struct load_build *b, const char *path, char *err, size_t errlen)
{
	char *line = NULL, why[200];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *fp;
	int r = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		char *t = line;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		t += strspn(t, " \t");
		if (*t == '\0' || *t == '#')
			continue;
		if (load_spec_add(s, p, b, t, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			r = -1;
			break;
		}
	}
	if (r == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		r = -1;
	}
	if (r == 0 && s->n == 0) {
		snprintf(err, errlen, "%s: no request specs", path);
		r = -1;
	}
	if (line != NULL)
		secret_wipe(line, cap);
	free(line);
	fclose(fp);
	return r;
}

/* sasl_reply_decode - one counted string; libsasl2 calls < 2 bytes an error */
static enum codec_result
sasl_reply_decode(const char *in, size_t len, const char **ans, size_t *alen,
    size_t *consumed)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t n;

	if (len < 2)
		return CODEC_NEED_MORE;
	n = (size_t)u[0] << 8 | u[1];
	if (n < 2)
		return CODEC_ERR_FORMAT;
	if (len - 2 < n)
		return CODEC_NEED_MORE;
	*ans = in + 2;
	*alen = n;
	*consumed = 2 + n;
	return CODEC_DONE;
}

/* policy_reply_decode - one attribute block; its action= value is the answer */
static enum codec_result
policy_reply_decode(const char *in, size_t len, const char **ans,
    size_t *alen, size_t *consumed)
{
	struct attr a[POLICY_MAX_ATTRS];
	const struct attr *act;
	enum codec_result r;
	unsigned n;

	r = attrs_decode(in, len, &policy_reply_limits, a, &n, consumed);
	if (r != CODEC_DONE)
		return r;
	/* Postfix treats a reply without action= as a failed try. */
	if ((act = attrs_find(a, n, "action")) == NULL)
		return CODEC_ERR_FORMAT;
	*ans = act->value;
	*alen = act->value_len;
	return CODEC_DONE;
}

/* dovecot_reply_decode - one line; the answer is the line without its LF */
static enum codec_result
dovecot_reply_decode(const char *in, size_t len, const char **ans,
    size_t *alen, size_t *consumed)
{
	const char *nl = memchr(in, '\n', len < DOVECOT_LINE_MAX ? len :
	    DOVECOT_LINE_MAX);

	if (nl == NULL)
		return len < DOVECOT_LINE_MAX ? CODEC_NEED_MORE : CODEC_ERR_SIZE;
	*ans = in;
	*alen = (size_t)(nl - in);
	*consumed = *alen + 1;
	return CODEC_DONE;
}

/* load_reply_decode - one reply from the front of in */
enum codec_result
load_reply_decode(enum load_proto p, const char *in, size_t len,
    const char **answer_r, size_t *answer_len_r, size_t *consumed_r)
{
	switch (p) {
	case LOAD_SASL:
		return sasl_reply_decode(in, len, answer_r, answer_len_r,
		    consumed_r);
	case LOAD_POLICY:
		return policy_reply_decode(in, len, answer_r, answer_len_r,
		    consumed_r);
	case LOAD_SOCKETMAP:
		return netstring_decode(in, len, SOCKETMAP_REPLY_MAX,
		    consumed_r, answer_r, answer_len_r);
	case LOAD_DOVECOT:
		return dovecot_reply_decode(in, len, answer_r, answer_len_r,
		    consumed_r);
	}
	return CODEC_ERR_FORMAT;
}

/* dovecot_matches - "WORD TAB id [TAB ...]": the request's id, the word */
static int
dovecot_matches(const struct load_spec *sp, const char *ans, size_t len)
{
	const char *tab = memchr(ans, '\t', len), *p, *end = ans + len;
	unsigned long id = 0;

	if (tab == NULL)
		return 0;
	if (sp->expect != NULL && ((size_t)(tab - ans) != sp->expect_len ||
	    memcmp(ans, sp->expect, sp->expect_len) != 0))
		return 0;
	for (p = tab + 1; p < end && *p >= '0' && *p <= '9'; p++)
		id = id * 10 + (unsigned long)(*p - '0');
	return p > tab + 1 && (p == end || *p == '\t') && id == sp->id;
}

/* load_dovecot_hello - what Postfix writes first, before reading anything */
const char *
load_dovecot_hello(void)
{
	static char hello[64];

	if (hello[0] == 0)
		snprintf(hello, sizeof(hello), "VERSION\t1\t2\nCPID\t%ld\n",
		    (long)getpid());
	return hello;
}

/* load_dovecot_handshake - VERSION 1 first, a MECH PLAIN, up to DONE */
enum codec_result
load_dovecot_handshake(const char *in, size_t len, size_t *consumed_r)
{
	const char *p = in, *end = in + len, *nl;
	int plain = 0;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t n = (size_t)(nl - p);

		if (p == in && (n < 10 || memcmp(p, "VERSION\t1\t", 10) != 0))
			return CODEC_ERR_FORMAT;
		if (n >= 10 && memcmp(p, "MECH\tPLAIN", 10) == 0 &&
		    (n == 10 || p[10] == '\t'))
			plain = 1;
		if (n == 4 && memcmp(p, "DONE", 4) == 0) {
			*consumed_r = (size_t)(nl + 1 - in);
			return plain ? CODEC_DONE : CODEC_ERR_FORMAT;
		}
		p = nl + 1;
	}
	return len < DOVECOT_HANDSHAKE_MAX ? CODEC_NEED_MORE : CODEC_ERR_SIZE;
}

/* load_reply_matches - the answer starts with the expectation */
int
load_reply_matches(enum load_proto p, const struct load_spec *sp,
    const char *ans, size_t len)
{
	if (p == LOAD_DOVECOT)
		return dovecot_matches(sp, ans, len);
	if (sp->expect == NULL)
		return 1;
	if (len < sp->expect_len)
		return 0;
	/* Postfix compares the action word case-insensitively. */
	if (p == LOAD_POLICY)
		return strncasecmp(ans, sp->expect, sp->expect_len) == 0;
	return memcmp(ans, sp->expect, sp->expect_len) == 0;
}
