/*
 * sync_ldap_table.c - entries by entryUUID, their rows, the file from them
 */
#include "sysdep.h"

#include <ldap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "htab.h"
#include "secret.h"
#include "sync.h"
#include "sync_cert.h"
#include "sync_ldap_table.h"
#include "xalloc.h"

struct sync_ldap_entry {
	char	*dn;
	char	*error;			/* NULL: the rows are good */
	char	**cols;			/* nrows * ncols strings */
	unsigned nrows, ncols;		/* nrows: 0 after an error */
	unsigned nalloc;		/* rows allocated */
	size_t	 bytes;
	bool	 secret;		/* a password file's: wiped */
	bool	 present;
};

struct sync_ldap_table {
	struct htab *by_uuid;		/* uuid -> entry, NULL once deleted */
	size_t	 live, dead, bytes;
};

/* ---- one entry ---- */

/* entry_error - the entry's first error: "ATTR WHAT" (never a value) */
static void
entry_error(struct sync_ldap_entry *e, const char *attr, const char *what)
{
	if (e->error == NULL)
		e->error = xasprintf("%s %s", attr, what);
}

/* text_value - a value as a C string, or NULL for one holding a NUL */
static char *
text_value(const struct berval *bv)
{
	if (memchr(bv->bv_val, 0, bv->bv_len) != NULL)
		return NULL;
	return xstrndup(bv->bv_val, bv->bv_len);
}

/* crypt_hash - userPassword's "{CRYPT}$6$..." as the crypt(3) string */
static char *
crypt_hash(struct sync_ldap_entry *e, const struct berval *bv,
    const char *attr)
{
	size_t skip = 7;

	/* a value without a {SCHEME} is a clear-text password to LDAP */
	if (bv->bv_len < 7 || strncasecmp(bv->bv_val, "{CRYPT}", 7) != 0) {
		entry_error(e, attr, "is not a {CRYPT} hash: saslauthd-lite "
		    "checks crypt(3) hashes only (and a value without a "
		    "{SCHEME} is a clear-text password)");
		return NULL;
	}
	if (memchr(bv->bv_val, 0, bv->bv_len) != NULL) {
		entry_error(e, attr, "holds a NUL byte");
		return NULL;
	}
	return xstrndup(bv->bv_val + skip, bv->bv_len - skip);
}

/* has_option - does an options text set NAME= already? */
static int
has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = opts; (p = strstr(p, name)) != NULL; p += n)
		if ((p == opts || p[-1] == ' ' || p[-1] == '\t') && p[n] == '=')
			return 1;
	return 0;
}

/* pin_row - a certificate's pin, and its expiry added to the options */
static int
pin_row(struct sync_ldap_entry *e, const struct berval *bv, char **col0,
    char **opts, const char *attr)
{
	char pin[SYNC_CERT_PIN_LEN], day[SYNC_CERT_DAY_LEN], why[160];
	char *o = *opts;
	int rc;

	rc = sync_cert_pin((const unsigned char *)bv->bv_val, bv->bv_len, pin,
	    day, why, sizeof(why));
	if (rc == 0)
		return 0;
	if (rc < 0) {
		entry_error(e, attr, "holds an unreadable certificate");
		return -1;
	}
	*col0 = xstrdup(pin);
	if (!has_option(o, "kind")) {
		*opts = xasprintf("%s%skind=pubkey", o, *o ? " " : "");
		free(o);
		o = *opts;
	}
	if (!has_option(o, "expires")) {
		*opts = xasprintf("%s%sexpires=%s", o, *o ? " " : "", day);
		free(o);
	}
	return 1;
}

/* one_value - a later column: at most one value; NULL after an error */
static char *
one_value(struct sync_ldap_entry *e, struct berval **vals, const char *attr,
    bool is_hash)
{
	char *v;

	if (vals == NULL || vals[0] == NULL)
		return xstrdup("");
	if (vals[1] != NULL) {
		entry_error(e, attr, "has more than one value; want one");
		return NULL;
	}
	if (is_hash)
		return crypt_hash(e, vals[0], attr);
	if ((v = text_value(vals[0])) == NULL)
		entry_error(e, attr, "holds a NUL byte");
	return v;
}

/* entry_rows - the columns of every row: one per value of the first */
static void
entry_rows(struct sync_ldap_entry *e, struct berval **vals[],
    const struct sync_feed_cfg *fc)
{
	static struct berval empty = { 0, (char *)"" };
	static struct berval *none[] = { &empty, NULL };
	struct berval **first = vals[0] && vals[0][0] ? vals[0] : none;
	char *later[SYNC_LDAP_MAX_ATTRS] = { NULL };
	unsigned r, i, n;
	int cert;

	for (n = 0; first[n]; n++)
		;
	/* an identities row always has the options: a pin adds expires= */
	e->ncols = fc->fmt == SYNC_FMT_IDENTITIES ? 3 : fc->nattrs;
	e->nalloc = n;
	e->cols = xcalloc((size_t)n * e->ncols, sizeof(char *));
	for (i = 1; i < e->ncols; i++)
		if ((later[i] = i < fc->nattrs ? one_value(e, vals[i],
		    fc->attr[i], fc->fmt == SYNC_FMT_PWFILE && i == 1) :
		    xstrdup("")) == NULL)
			goto out;
	for (r = 0; r < n; r++) {
		char **row = e->cols + (size_t)r * e->ncols;

		for (i = 1; i < e->ncols; i++)
			row[i] = xstrdup(later[i]);
		cert = fc->fmt == SYNC_FMT_IDENTITIES ? pin_row(e, first[r],
		    &row[0], &row[2], fc->attr[0]) : 0;
		if (cert < 0)
			goto out;
		if (!cert && (row[0] = text_value(first[r])) == NULL) {
			entry_error(e, fc->attr[0], "holds a NUL byte");
			goto out;
		}
		for (i = 0; i < e->ncols; i++)
			e->bytes += strlen(row[i]) + 1;
	}
	e->nrows = n;
out:
	for (i = 1; i < SYNC_LDAP_MAX_ATTRS; i++) {
		if (later[i] && e->secret)
			secret_wipe(later[i], strlen(later[i]));
		free(later[i]);
	}
}

struct sync_ldap_entry *
sync_ldap_entry_new(LDAP *ld, LDAPMessage *msg, const struct sync_feed_cfg *fc)
{
	struct sync_ldap_entry *e = xcalloc(1, sizeof(*e));
	struct berval **vals[SYNC_LDAP_MAX_ATTRS] = { NULL };
	char *dn = ldap_get_dn(ld, msg);
	unsigned i;
	size_t j;

	e->dn = xstrdup(dn ? dn : "(no DN)");
	ldap_memfree(dn);
	e->secret = fc->fmt == SYNC_FMT_PWFILE;
	for (i = 0; i < fc->nattrs; i++)
		vals[i] = ldap_get_values_len(ld, msg, fc->attr[i]);
	entry_rows(e, vals, fc);
	for (i = 0; i < fc->nattrs; i++) {
		/* libldap's copies of a password hash, at least, are wiped
		 * (the message's own BER buffer is beyond reach) */
		if (e->secret && vals[i])
			for (j = 0; vals[i][j]; j++)
				secret_wipe(vals[i][j]->bv_val,
				    vals[i][j]->bv_len);
		ldap_value_free_len(vals[i]);
	}
	e->bytes += strlen(e->dn) + 64;
	return e;
}

void
sync_ldap_entry_free(struct sync_ldap_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < (size_t)e->nalloc * e->ncols; i++) {
		if (e->cols[i] == NULL)
			continue;
		if (e->secret)
			secret_wipe(e->cols[i], strlen(e->cols[i]));
		free(e->cols[i]);
	}
	free(e->cols);
	free(e->error);
	free(e->dn);
	free(e);
}

/* ---- the table ---- */

struct sync_ldap_table *
sync_ldap_table_new(void)
{
	struct sync_ldap_table *t = xcalloc(1, sizeof(*t));

	t->by_uuid = htab_new(0);
	return t;
}

void
sync_ldap_table_clear(struct sync_ldap_table *t)
{
	const struct htab_ent *he;
	size_t i;

	for (i = 0; i < htab_count(t->by_uuid); i++) {
		he = htab_at(t->by_uuid, i);
		sync_ldap_entry_free(he->val);
	}
	htab_free(t->by_uuid);
	t->by_uuid = htab_new(0);
	t->live = t->dead = t->bytes = 0;
}

void
sync_ldap_table_free(struct sync_ldap_table *t)
{
	if (t == NULL)
		return;
	sync_ldap_table_clear(t);
	htab_free(t->by_uuid);
	free(t);
}

/* compact - a table that holds more deleted UUIDs than entries is remade
 * (the hash table has no deletion: a deleted UUID keeps its slot) */
static void
compact(struct sync_ldap_table *t)
{
	struct htab *old = t->by_uuid;
	const struct htab_ent *he;
	size_t i;

	if (t->dead < 1024 || t->dead < t->live)
		return;
	t->by_uuid = htab_new(t->live);
	for (i = 0; i < htab_count(old); i++) {
		he = htab_at(old, i);
		if (he->val)
			(void)htab_enter(t->by_uuid, he->key, he->len, he->val,
			    NULL);
	}
	htab_free(old);
	t->dead = 0;
}

/* slot - the UUID's entry slot, made when absent */
static struct htab_ent *
slot(struct sync_ldap_table *t, const unsigned char uuid[SYNC_UUID_LEN])
{
	struct htab_ent *he;

	if (htab_enter(t->by_uuid, (const char *)uuid, SYNC_UUID_LEN, NULL,
	    &he) == 0 && he->val == NULL)
		t->dead--;		/* a deleted UUID is back */
	return he;
}

void
sync_ldap_table_put(struct sync_ldap_table *t,
    const unsigned char uuid[SYNC_UUID_LEN], struct sync_ldap_entry *e)
{
	struct htab_ent *he = slot(t, uuid);
	struct sync_ldap_entry *old = he->val;

	if (old) {
		t->bytes -= old->bytes;
		sync_ldap_entry_free(old);
	} else {
		t->live++;
	}
	e->present = true;
	he->val = e;
	t->bytes += e->bytes;
}

void
sync_ldap_table_delete(struct sync_ldap_table *t,
    const unsigned char uuid[SYNC_UUID_LEN])
{
	const struct htab_ent *c = htab_lookup(t->by_uuid, (const char *)uuid,
	    SYNC_UUID_LEN);
	struct htab_ent *he;
	struct sync_ldap_entry *e;

	if (c == NULL || c->val == NULL)
		return;
	he = slot(t, uuid);
	e = he->val;
	t->bytes -= e->bytes;
	sync_ldap_entry_free(e);
	he->val = NULL;
	t->live--;
	t->dead++;
	compact(t);
}

void
sync_ldap_table_unmark(struct sync_ldap_table *t)
{
	const struct htab_ent *he;
	size_t i;

	for (i = 0; i < htab_count(t->by_uuid); i++) {
		he = htab_at(t->by_uuid, i);
		if (he->val)
			((struct sync_ldap_entry *)he->val)->present = false;
	}
}

void
sync_ldap_table_mark(struct sync_ldap_table *t,
    const unsigned char uuid[SYNC_UUID_LEN])
{
	struct sync_ldap_entry *e = htab_find(t->by_uuid, (const char *)uuid,
	    SYNC_UUID_LEN);

	if (e)
		e->present = true;
}

size_t
sync_ldap_table_sweep(struct sync_ldap_table *t)
{
	struct sync_ldap_entry *e;
	struct htab_ent *he;
	size_t i, gone = 0;

	for (i = 0; i < htab_count(t->by_uuid); i++) {
		he = (struct htab_ent *)(uintptr_t)htab_at(t->by_uuid, i);
		if ((e = he->val) == NULL || e->present)
			continue;
		t->bytes -= e->bytes;
		sync_ldap_entry_free(e);
		he->val = NULL;
		t->live--;
		t->dead++;
		gone++;
	}
	compact(t);
	return gone;
}

size_t
sync_ldap_table_count(const struct sync_ldap_table *t)
{
	return t->live;
}

size_t
sync_ldap_table_bytes(const struct sync_ldap_table *t)
{
	return t->bytes;
}

/* by_first_column - the file's order: first column, then DN */
static int
by_first_column(const void *a, const void *b)
{
	const struct sync_ldap_entry *x = *(const struct sync_ldap_entry *
	    const *)a, *y = *(const struct sync_ldap_entry *const *)b;
	const char *kx = x->nrows ? x->cols[0] : "", *ky = y->nrows ?
	    y->cols[0] : "";
	int c = strcmp(kx, ky);

	return c ? c : strcmp(x->dn, y->dn);
}

void
sync_ldap_table_each(struct sync_ldap_table *t, sync_ldap_visit_fn *fn,
    void *ctx)
{
	struct sync_ldap_entry **all, *e;
	const struct htab_ent *he;
	size_t i, n = 0;

	all = xcalloc(t->live ? t->live : 1, sizeof(*all));
	for (i = 0; i < htab_count(t->by_uuid); i++) {
		he = htab_at(t->by_uuid, i);
		if (he->val && n < t->live)
			all[n++] = he->val;
	}
	qsort(all, n, sizeof(*all), by_first_column);
	for (i = 0; i < n; i++) {
		e = all[i];
		fn(ctx, e->dn, e->error, (const char *const *)e->cols,
		    e->error ? 0 : e->nrows, e->ncols);
	}
	free(all);
}

/* ---- the snapshot beside the file: entries and cookie across restarts ---- */

#define SNAP_MAGIC	"# pfhelpers-sync LDAP snapshot: the agent rewrites it\n" \
			"version 1\n"

/* put_esc - a field: bytes outside '!'..'~' and '%' as %XX; "" as "%" */
static int
put_esc(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[3];
	size_t i;

	if (len == 0)
		return buf_append(b, "%", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f && c != '%') {
			if (buf_append(b, &s[i], 1) < 0)
				return -1;
			continue;
		}
		tmp[0] = '%';
		tmp[1] = hex[c >> 4];
		tmp[2] = hex[c & 15];
		if (buf_append(b, tmp, 3) < 0)
			return -1;
	}
	return 0;
}

int
sync_ldap_table_save(const struct sync_ldap_table *t, const char *config,
    const struct sync_cookie *cookie, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const struct sync_ldap_entry *e;
	const struct htab_ent *he;
	char uuid[2 * SYNC_UUID_LEN + 1];
	size_t i, j, r, c;

	if (buf_puts(out, SNAP_MAGIC "config ") < 0 ||
	    put_esc(out, config, strlen(config)) < 0 ||
	    buf_puts(out, "\ncookie ") < 0 ||
	    put_esc(out, cookie->data ? cookie->data : "", cookie->len) < 0 ||
	    buf_puts(out, "\n") < 0)
		return -1;
	for (i = 0; i < htab_count(t->by_uuid); i++) {
		he = htab_at(t->by_uuid, i);
		if ((e = he->val) == NULL)
			continue;
		for (j = 0; j < SYNC_UUID_LEN; j++) {
			uuid[2 * j] = hex[(unsigned char)he->key[j] >> 4];
			uuid[2 * j + 1] = hex[(unsigned char)he->key[j] & 15];
		}
		uuid[2 * SYNC_UUID_LEN] = 0;
		if (buf_printf(out, "E %s ", uuid) < 0 ||
		    put_esc(out, e->dn, strlen(e->dn)) < 0 ||
		    buf_puts(out, "\n") < 0)
			return -1;
		if (e->error && (buf_puts(out, "X ") < 0 || put_esc(out,
		    e->error, strlen(e->error)) < 0 || buf_puts(out, "\n") < 0))
			return -1;
		for (r = 0; e->error == NULL && r < e->nrows; r++) {
			if (buf_puts(out, "R") < 0)
				return -1;
			for (c = 0; c < e->ncols; c++) {
				const char *v = e->cols[r * e->ncols + c];

				if (buf_puts(out, " ") < 0 ||
				    put_esc(out, v, strlen(v)) < 0)
					return -1;
			}
			if (buf_puts(out, "\n") < 0)
				return -1;
		}
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* get_esc - one field back, as a malloc'd C string; NULL when malformed
 * or when it would hold a NUL byte */
static char *
get_esc(const char *s, size_t len, size_t *out_len)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if (len == 0)
		return NULL;
	if (len == 1 && s[0] == '%') {
		*out_len = 0;
		return xstrdup("");
	}
	o = out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			/* only what _save writes raw: '!'..'~' */
			if ((unsigned char)s[i] <= 0x20 ||
			    (unsigned char)s[i] >= 0x7f) {
				free(out);
				return NULL;
			}
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = 0;
	*out_len = (size_t)(o - out);
	return out;
}

/* field - the next blank-separated field of a line, decoded */
static char *
field(const char **p, const char *end, size_t *len)
{
	const char *q;

	if (*p < end && **p == ' ')
		(*p)++;
	for (q = *p; q < end && *q != ' '; q++)
		;
	if (q == *p)
		return NULL;
	{
		char *v = get_esc(*p, (size_t)(q - *p), len);

		*p = q;
		return v;
	}
}

/* header_field - "NAME VALUE\n" at *p: the value, *p past the line */
static char *
header_field(const char **p, const char *end, const char *name)
{
	size_t nlen = strlen(name), n;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p)), *q;
	char *v;

	if (nl == NULL || (size_t)(nl - *p) <= nlen ||
	    memcmp(*p, name, nlen) != 0)
		return NULL;
	q = *p + nlen - 1;		/* at the blank: field() skips it */
	if ((v = field(&q, nl, &n)) == NULL)
		return NULL;
	if (q != nl || strlen(v) != n) {
		free(v);
		return NULL;
	}
	*p = nl + 1;
	return v;
}

/* load_line - one line into the entry being read (or a new one) */
static int
load_line(struct sync_ldap_table *t, struct sync_ldap_entry **cur,
    const char *p, const char *end, unsigned ncols, bool secret,
    size_t *rows_alloc)
{
	unsigned char uuid[SYNC_UUID_LEN];
	struct sync_ldap_entry *e = *cur;
	char *v;
	size_t n, i;
	int hi, lo;

	if (end - p > 2 && p[0] == 'E' && p[1] == ' ') {
		p += 2;
		if (end - p < 2 * SYNC_UUID_LEN + 2 || p[2 * SYNC_UUID_LEN] != ' ')
			return -1;
		for (i = 0; i < SYNC_UUID_LEN; i++) {
			if ((hi = hexval(p[2 * i])) < 0 ||
			    (lo = hexval(p[2 * i + 1])) < 0)
				return -1;
			uuid[i] = (unsigned char)(hi << 4 | lo);
		}
		p += 2 * SYNC_UUID_LEN;
		if ((v = field(&p, end, &n)) == NULL || p != end) {
			free(v);
			return -1;
		}
		if (htab_find(t->by_uuid, (const char *)uuid, SYNC_UUID_LEN)) {
			free(v);
			return -1;		/* a UUID twice */
		}
		e = xcalloc(1, sizeof(*e));
		e->dn = v;
		e->secret = secret;
		e->ncols = ncols;
		e->bytes = n + 64;
		sync_ldap_table_put(t, uuid, e);
		*cur = e;
		*rows_alloc = 0;
		return 0;
	}
	if (e == NULL)
		return -1;
	if (end - p > 2 && p[0] == 'X' && p[1] == ' ') {
		p += 2;
		if (e->error || e->nrows || (v = field(&p, end, &n)) == NULL)
			return -1;
		e->error = v;
		return p == end ? 0 : -1;
	}
	if (end - p > 1 && p[0] == 'R' && p[1] == ' ' && e->error == NULL) {
		p += 1;
		if (e->nrows == *rows_alloc) {
			*rows_alloc = *rows_alloc ? 2 * *rows_alloc : 1;
			e->cols = xreallocarray(e->cols, *rows_alloc * ncols,
			    sizeof(char *));
			memset(e->cols + (size_t)e->nrows * ncols, 0,
			    (*rows_alloc - e->nrows) * ncols * sizeof(char *));
			e->nalloc = (unsigned)*rows_alloc;
		}
		for (i = 0; i < ncols; i++) {
			if ((v = field(&p, end, &n)) == NULL)
				return -1;
			e->cols[(size_t)e->nrows * ncols + i] = v;
			e->bytes += n + 1;
			t->bytes += n + 1;
		}
		if (p != end)
			return -1;
		e->nrows++;
		return 0;
	}
	return -1;
}

int
sync_ldap_table_load(struct sync_ldap_table *t, const char *text, size_t len,
    const char *config, unsigned ncols, bool secret, struct sync_cookie *cookie,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	struct sync_ldap_entry *cur = NULL;
	size_t magic = strlen(SNAP_MAGIC), lineno = 2, rows_alloc = 0;
	char *v;

	sync_ldap_table_clear(t);
	memset(cookie, 0, sizeof(*cookie));
	if (len < magic || memcmp(text, SNAP_MAGIC, magic) != 0) {
		snprintf(err, errlen, "not a snapshot of this version");
		return -1;
	}
	p += magic;
	/* config and cookie, then the entries */
	if ((v = header_field(&p, end, "config ")) == NULL) {
		snprintf(err, errlen, "line 3: want \"config ...\"");
		goto fail;
	}
	if (strcmp(v, config) != 0) {
		free(v);
		snprintf(err, errlen, "the feed's search changed since it was "
		    "written");
		goto fail;
	}
	free(v);
	if ((v = header_field(&p, end, "cookie ")) == NULL) {
		snprintf(err, errlen, "line 4: want \"cookie ...\"");
		goto fail;
	}
	cookie->data = v;
	cookie->len = strlen(v);
	lineno = 4;
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    load_line(t, &cur, p, nl, ncols, secret, &rows_alloc) < 0) {
			snprintf(err, errlen, "line %zu: malformed", lineno);
			goto fail;
		}
	}
	if (cookie->len == 0) {
		snprintf(err, errlen, "no cookie");
		goto fail;
	}
	return 0;
fail:
	free(cookie->data);
	memset(cookie, 0, sizeof(*cookie));
	sync_ldap_table_clear(t);
	return -1;
}
