/*
 * identities.c - the policyd-ccert identities file: pins -> identities
 *
 * The file is a common/table.h table whose key callback is the same
 * fingerprint normaliser the requests go through, and whose value callback
 * turns "NAME attr=value ..." into one struct identity in a single
 * allocation. The summary (distinct names, expiry order) is built once per
 * load, so the status page never walks a million entries.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "htab.h"
#include "identities.h"
#include "table.h"
#include "xalloc.h"

#define IDENT_NAME_MAX	64
#define IDENT_SENDERS_MAX 256

struct identities {
	struct table *table;
	size_t	 names;
	const struct identity **by_expiry;
	size_t	 nexpiry;
};

/* A token of the value text while a line is parsed. */
struct span {
	const char *p;
	size_t	 len;
	int	 quoted;
};

/* ident_key - table key callback: the canonical fingerprint */
static int
ident_key(char *key, size_t *len, void *arg, char *err, size_t errlen)
{
	enum fprint_digest d;

	return fprint_normalise(key, len, &d, err, errlen);
}

/* name_char - characters allowed in an identity NAME (they reach logs) */
static int
name_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@' ||
	    c == '+';
}

/* next_word - the next blank-separated token; a quoted value is one token */
static int
next_word(const char **pp, const char *end, struct span *name,
    struct span *val, char *err, size_t errlen)
{
	const char *p = *pp, *q;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return 0;
	name->p = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '=' && *p != '"')
		p++;
	name->len = (size_t)(p - name->p);
	val->p = NULL;
	val->len = 0;
	val->quoted = 0;
	if (p < end && *p == '"') {
		snprintf(err, errlen, "unexpected '\"' in \"%.*s\"",
		    (int)(p - name->p + 1), name->p);
		return -1;
	}
	if (p < end && *p == '=') {
		p++;
		if (p < end && *p == '"') {
			/* quoted: runs to the first unescaped '"' */
			val->quoted = 1;
			val->p = ++p;
			for (q = p; q < end && *q != '"'; q++)
				if (*q == '\\' && q + 1 < end)
					q++;
			if (q == end) {
				snprintf(err, errlen, "unterminated quoted value "
				    "for \"%.*s\"", (int)name->len, name->p);
				return -1;
			}
			val->len = (size_t)(q - p);
			p = q + 1;
			if (p < end && *p != ' ' && *p != '\t') {
				snprintf(err, errlen, "text after the closing "
				    "quote of \"%.*s\"", (int)name->len, name->p);
				return -1;
			}
		} else {
			val->p = p;
			while (p < end && *p != ' ' && *p != '\t') {
				if (*p == '"') {
					snprintf(err, errlen, "'\"' inside the "
					    "unquoted value of \"%.*s\" (quote "
					    "the whole value)", (int)name->len,
					    name->p);
					return -1;
				}
				p++;
			}
			val->len = (size_t)(p - val->p);
		}
	}
	*pp = p;
	return 1;
}

/* unquote - copy a value, resolving \" and \\ in quoted ones; returns the end */
static char *
unquote(char *dst, const struct span *v)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		if (v->quoted && v->p[i] == '\\' && i + 1 < v->len)
			i++;
		*dst++ = v->p[i];
	}
	*dst++ = 0;
	return dst;
}

/* check_senders - validate a senders= list; count its items */
static int
check_senders(const struct span *v, unsigned *n_r, char *err, size_t errlen)
{
	const char *p = v->p, *end = v->p + v->len, *c, *at;
	unsigned n = 0;
	size_t len;

	if (v->len == 0) {
		snprintf(err, errlen, "empty senders= list (leave it out to "
		    "allow any sender)");
		return -1;
	}
	for (; p <= end; p = c + 1) {
		if ((c = memchr(p, ',', (size_t)(end - p))) == NULL)
			c = end;
		len = (size_t)(c - p);
		if (len == 2 && memcmp(p, "<>", 2) == 0)
			;
		else if (len == 0) {
			snprintf(err, errlen, "empty item in senders= list");
			return -1;
		} else if ((at = memrchr(p, '@', len)) == NULL || at == c - 1 ||
		    /* "@a@b" is no domain: no sender could ever match it */
		    (p[0] == '@' && at != p) ||
		    memchr(p, ' ', len) || memchr(p, '\t', len) ||
		    memchr(p, '<', len) || memchr(p, '>', len)) {
			snprintf(err, errlen, "senders= item \"%.*s\" is not "
			    "@domain, user@domain or <>", (int)len, p);
			return -1;
		}
		if (++n > IDENT_SENDERS_MAX) {
			snprintf(err, errlen, "more than %d senders= items",
			    IDENT_SENDERS_MAX);
			return -1;
		}
	}
	*n_r = n;
	return 0;
}

/* ident_value - table value callback: "NAME attr=value ..." -> identity */
static void *
ident_value(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	const char *p = value, *end = value + strlen(value), *s;
	struct span name, w, v, expires = {0}, senders = {0}, kind = {0},
	    note = {0};
	struct span *slot;
	struct identity *id;
	unsigned nsenders = 0, i;
	size_t keylen = strlen(key), size;
	char *dst, **list;
	int rc, date = 0;

	if ((rc = next_word(&p, end, &name, &v, err, errlen)) < 0)
		return NULL;
	if (rc == 0 || v.p != NULL || name.len == 0) {
		snprintf(err, errlen, "missing identity NAME after the "
		    "fingerprint");
		return NULL;
	}
	if (name.len > IDENT_NAME_MAX) {
		snprintf(err, errlen, "identity NAME longer than %d characters",
		    IDENT_NAME_MAX);
		return NULL;
	}
	for (i = 0; i < name.len; i++) {
		if (!name_char((unsigned char)name.p[i])) {
			snprintf(err, errlen, "identity NAME \"%.*s\" has a "
			    "character outside A-Z a-z 0-9 . _ - @ +",
			    (int)name.len, name.p);
			return NULL;
		}
	}
	while ((rc = next_word(&p, end, &w, &v, err, errlen)) > 0) {
		if (v.p == NULL) {
			snprintf(err, errlen, "\"%.*s\" is not attribute=value",
			    (int)w.len, w.p);
			return NULL;
		}
		if (w.len == 7 && memcmp(w.p, "expires", 7) == 0)
			slot = &expires;
		else if (w.len == 7 && memcmp(w.p, "senders", 7) == 0)
			slot = &senders;
		else if (w.len == 4 && memcmp(w.p, "kind", 4) == 0)
			slot = &kind;
		else if (w.len == 4 && memcmp(w.p, "note", 4) == 0)
			slot = &note;
		else {
			snprintf(err, errlen, "unknown attribute \"%.*s\" (want "
			    "expires, senders, kind or note)", (int)w.len, w.p);
			return NULL;
		}
		if (slot->p != NULL) {
			snprintf(err, errlen, "attribute \"%.*s\" given twice",
			    (int)w.len, w.p);
			return NULL;
		}
		*slot = v;
		if (slot->p == NULL || (slot->len == 0 && !v.quoted))
			slot->p = "";	/* present but empty: caught below */
	}
	if (rc < 0)
		return NULL;

	if (expires.p != NULL &&
	    ident_date_parse(expires.p, expires.len, &date) < 0) {
		snprintf(err, errlen, "expires=%.*s is not a date YYYY-MM-DD",
		    (int)expires.len, expires.p);
		return NULL;
	}
	if (kind.p != NULL && !(kind.len == 6 && strncmp(kind.p, "pubkey", 6) == 0) &&
	    !(kind.len == 4 && strncmp(kind.p, "cert", 4) == 0)) {
		snprintf(err, errlen, "kind=%.*s: want kind=pubkey or kind=cert",
		    (int)kind.len, kind.p);
		return NULL;
	}
	if (senders.p != NULL && check_senders(&senders, &nsenders, err,
	    errlen) < 0)
		return NULL;

	/* One allocation: struct, sender pointers, then the strings. */
	size = sizeof(*id) + (nsenders + 1) * sizeof(char *) + keylen + 1 +
	    name.len + 1 + note.len + 1 + senders.len + 1;
	id = xcalloc(1, size);
	list = (char **)(id + 1);
	dst = (char *)(list + nsenders + 1);
	id->pin = dst;
	memcpy(dst, key, keylen + 1);
	dst += keylen + 1;
	id->name = dst;
	memcpy(dst, name.p, name.len);
	dst[name.len] = 0;
	dst += name.len + 1;
	id->note = dst;
	dst = note.p ? unquote(dst, &note) : dst + 1;
	if (nsenders > 0) {
		/* split the (unquoted) list in place, lower-casing it */
		s = dst;
		(void)unquote(dst, &senders);
		for (i = 0; i < nsenders; i++) {
			char *c;

			list[i] = (char *)s;
			for (c = (char *)s; *c && *c != ','; c++)
				*c = (char)tolower((unsigned char)*c);
			s = *c ? c + 1 : c;
			*c = 0;
		}
	}
	list[nsenders] = NULL;
	id->senders = (const char *const *)list;
	id->nsenders = nsenders;
	id->expires = date;
	id->kind = kind.p == NULL ? IDENT_KIND_ANY :
	    kind.p[0] == 'p' ? IDENT_KIND_PUBKEY : IDENT_KIND_CERT;
	id->digest = fprint_digest_by_len(keylen);
	return id;
}

/* ident_free - table free_value callback */
static void
ident_free(void *obj, void *arg)
{
	free(obj);
}

static const struct table_ops ident_ops = {
	.key = ident_key,
	.value = ident_value,
	.free_value = ident_free,
	.allow_dup_first = 0,
};

/* identities_table_ops - the callbacks for table_load()/table_source_new() */
const struct table_ops *
identities_table_ops(void)
{
	return &ident_ops;
}

/* collect - per entry: record its line, count its name, note its expiry */
static int
collect(const struct table_entry *te, void *ctx)
{
	struct {
		struct identities *ids;
		struct htab *names;
	} *c = ctx;
	struct identity *id = te->obj;

	id->line = te->line;
	(void)htab_enter(c->names, id->name, strlen(id->name), id, NULL);
	if (id->expires)
		c->ids->by_expiry[c->ids->nexpiry++] = id;
	return 0;
}

/* by_expiry_cmp - soonest expiry first; file order breaks ties */
static int
by_expiry_cmp(const void *a, const void *b)
{
	const struct identity *x = *(const struct identity *const *)a;
	const struct identity *y = *(const struct identity *const *)b;

	if (x->expires != y->expires)
		return x->expires < y->expires ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* identities_new - wrap a loaded table and summarise it */
struct identities *
identities_new(struct table *t)
{
	struct identities *ids = xcalloc(1, sizeof(*ids));
	size_t n = table_count(t);
	struct {
		struct identities *ids;
		struct htab *names;
	} c;

	ids->table = table_ref(t);
	ids->by_expiry = xcalloc(n ? n : 1, sizeof(*ids->by_expiry));
	c.ids = ids;
	c.names = htab_new(n);
	(void)table_foreach(t, collect, &c);
	ids->names = htab_count(c.names);
	htab_free(c.names);
	qsort(ids->by_expiry, ids->nexpiry, sizeof(*ids->by_expiry),
	    by_expiry_cmp);
	return ids;
}

/* identities_free - drop the summary and our table reference */
void
identities_free(struct identities *ids)
{
	if (ids == NULL)
		return;
	free(ids->by_expiry);
	table_unref(ids->table);
	free(ids);
}

/* identities_table - the underlying table */
struct table *
identities_table(const struct identities *ids)
{
	return ids->table;
}

/* identities_lookup - O(1); a kind= hint limits which attribute may match */
const struct identity *
identities_lookup(const struct identities *ids, const char *hex, size_t len,
    enum ident_kind as)
{
	const struct table_entry *te;
	const struct identity *id;

	if (ids == NULL || (te = table_lookup(ids->table, hex, len)) == NULL)
		return NULL;
	id = te->obj;
	if (id->kind != IDENT_KIND_ANY && id->kind != as)
		return NULL;
	return id;
}

/* identities_pins - lines (pins) loaded */
size_t
identities_pins(const struct identities *ids)
{
	return ids ? table_count(ids->table) : 0;
}

/* identities_names - distinct identity names */
size_t
identities_names(const struct identities *ids)
{
	return ids ? ids->names : 0;
}

/* identities_expiring - the soonest expiries up to `until`, at most max */
size_t
identities_expiring(const struct identities *ids, int until,
    const struct identity **out, size_t max)
{
	size_t i;

	if (ids == NULL)
		return 0;
	for (i = 0; i < ids->nexpiry && i < max; i++) {
		if (ids->by_expiry[i]->expires > until)
			break;
		out[i] = ids->by_expiry[i];
	}
	return i;
}

/* identities_count_expiring - pins with from <= expires <= until */
size_t
identities_count_expiring(const struct identities *ids, int from, int until)
{
	size_t i, n = 0;

	if (ids == NULL)
		return 0;
	/* by_expiry is sorted: stop at the first one past `until` */
	for (i = 0; i < ids->nexpiry && ids->by_expiry[i]->expires <= until;
	    i++)
		if (ids->by_expiry[i]->expires >= from)
			n++;
	return n;
}

/* carry_one - copy last_seen from the same pin in the old load */
static int
carry_one(const struct table_entry *te, void *ctx)
{
	const struct identities *old = ctx;
	const struct table_entry *ote;
	struct identity *id = te->obj;

	if ((ote = table_lookup(old->table, te->key, strlen(te->key))) != NULL)
		id->last_seen = ((const struct identity *)ote->obj)->last_seen;
	return 0;
}

/* identities_carry - keep "last seen" across reloads */
void
identities_carry(struct identities *ids, const struct identities *old)
{
	if (ids != NULL && old != NULL)
		(void)table_foreach(ids->table, carry_one, (void *)old);
}

/* ident_sender_allowed - match the envelope sender against senders= */
int
ident_sender_allowed(const struct identity *id, const char *sender,
    size_t len)
{
	const char *at, *domain;
	size_t dlen, i;

	if (id->nsenders == 0)
		return 1;
	at = len ? memrchr(sender, '@', len) : NULL;
	domain = at ? at + 1 : NULL;
	dlen = at ? (size_t)(sender + len - domain) : 0;
	for (i = 0; i < id->nsenders; i++) {
		const char *s = id->senders[i];
		size_t slen = strlen(s);

		if (len == 0) {
			if (strcmp(s, "<>") == 0)
				return 1;
		} else if (s[0] == '@') {
			if (domain && dlen == slen - 1 && dlen > 0 &&
			    strncasecmp(domain, s + 1, dlen) == 0)
				return 1;
		} else if (slen == len && strncasecmp(sender, s, len) == 0) {
			return 1;
		}
	}
	return 0;
}

/* ident_kind_name - "any", "pubkey" or "cert" */
const char *
ident_kind_name(enum ident_kind k)
{
	return k == IDENT_KIND_PUBKEY ? "pubkey" : k == IDENT_KIND_CERT ?
	    "cert" : "any";
}

/* days_from_civil - days since 1970-01-01 (proleptic Gregorian) */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* civil_from_days - the inverse, as YYYYMMDD */
static int
civil_from_days(long z)
{
	long era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (int)(y * 10000 + m * 100 + d);
}

/* ident_date_parse - strict YYYY-MM-DD, a real calendar day */
int
ident_date_parse(const char *s, size_t len, int *date_r)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31};
	unsigned y, m, d, i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*date_r = (int)(y * 10000 + m * 100 + d);
	return 0;
}

/* ident_date_today - the local calendar date */
int
ident_date_today(time_t now)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ident_date_add_days - date plus (or minus) days */
int
ident_date_add_days(int date, int days)
{
	return civil_from_days(days_from_civil(date / 10000,
	    (unsigned)(date / 100 % 100), (unsigned)(date % 100)) + days);
}

/* ident_date_diff - b - a in days */
long
ident_date_diff(int a, int b)
{
	return days_from_civil(b / 10000, (unsigned)(b / 100 % 100),
	    (unsigned)(b % 100)) - days_from_civil(a / 10000,
	    (unsigned)(a / 100 % 100), (unsigned)(a % 100));
}
