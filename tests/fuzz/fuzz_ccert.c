/*
 * fuzz_ccert.c - fuzz harness for the policyd-ccert identities file
 *
 * The input is an identities file (admin input; see identities.h), loaded
 * with identities_table_ops() and wrapped by identities_new(); each of its
 * lines also goes through fprint_normalise() on its own, as a request's
 * ccert_fingerprint would. Invariants:
 *   - nothing crashes, leaks or reads outside the input;
 *   - a refused file says "fuzz.ids, line N: " with N a line of the file;
 *   - every loaded pin is canonical (upper-case hex, 32/40/64/128 digits,
 *     the digest of its length), its NAME 1-64 characters of
 *     [A-Za-z0-9._@+-], its note free of LF, its expiry 0 or a real
 *     YYYYMMDD date, its senders lower-case "<>" or "x@domain"/"@domain"
 *     items that ident_sender_allowed() lets through; identities_lookup()
 *     finds it as the kinds it allows and only those;
 *   - the summary agrees with the entries: pins, names, and the expiring
 *     list in expiry order;
 *   - fprint_normalise(): a pass gives upper-case hex only, of the length
 *     its digest says, no longer than the input and NUL-terminated there;
 *     normalising that again changes nothing; the lower-cased input gets
 *     the same answer.
 */
#include "sysdep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fprint.h"
#include "fuzz.h"
#include "identities.h"
#include "table.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "ccert";

#define ORIGIN	"fuzz.ids"

/* hexlen_of - the hex digits each digest has */
static size_t
hexlen_of(enum fprint_digest d)
{
	switch (d) {
	case FPRINT_MD5:
		return 32;
	case FPRINT_SHA1:
		return 40;
	case FPRINT_SHA256:
		return 64;
	case FPRINT_SHA512:
		return 128;
	default:
		return 0;
	}
}

/* check_canonical - upper-case hex of its digest's length */
static void
check_canonical(const char *s, size_t len, enum fprint_digest d)
{
	size_t i;

	FUZZ_CHECK(hexlen_of(d) == len && strlen(s) == len);
	FUZZ_CHECK(fprint_digest_by_len(len) == d);
	for (i = 0; i < len; i++)
		FUZZ_CHECK(isdigit((unsigned char)s[i]) ||
		    (s[i] >= 'A' && s[i] <= 'F'));
}

/* check_fprint - one line as a request's fingerprint (fuzz_each_line) */
static void
check_fprint(const char *line, size_t n, void *arg)
{
	char *s = fuzz_cstr(line, n), *again, *lower, err[256];
	enum fprint_digest d, d2, d3;
	size_t len = n, len2, len3, i;
	int rc;

	lower = fuzz_cstr(line, n);
	for (i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	len3 = n;
	err[0] = 0;
	rc = fprint_normalise(s, &len, &d, err, sizeof(err));
	FUZZ_CHECK((fprint_normalise(lower, &len3, &d3, err, sizeof(err)) ==
	    0) == (rc == 0));
	if (rc < 0) {
		FUZZ_CHECK(err[0] != 0);
		goto out;
	}
	FUZZ_CHECK(len <= n);
	check_canonical(s, len, d);
	FUZZ_CHECK(len3 == len && d3 == d && memcmp(s, lower, len) == 0);
	again = fuzz_cstr(s, len);
	len2 = len;
	FUZZ_CHECK(fprint_normalise(again, &len2, &d2, err, sizeof(err)) == 0);
	FUZZ_CHECK(len2 == len && d2 == d && memcmp(again, s, len) == 0);
	free(again);
out:
	free(lower);
	free(s);
}

struct walk {
	const struct identities *ids;
	unsigned nlines;
	size_t	 n, nexpiring;
};

/* check_sender - one senders= item is well-formed and lets itself in */
static void
check_sender(const struct identity *id, const char *s)
{
	size_t n = strlen(s), i;
	const char *at;

	if (strcmp(s, "<>") == 0) {
		FUZZ_CHECK(ident_sender_allowed(id, "", 0) == 1);
		return;
	}
	FUZZ_CHECK(n > 0 && strchr(s, ',') == NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(!isupper((unsigned char)s[i]) && s[i] != ' ' &&
		    s[i] != '\t' && s[i] != '<' && s[i] != '>');
	FUZZ_CHECK((at = strrchr(s, '@')) != NULL && at[1] != 0);
	if (s[0] == '@') {
		char *addr = xasprintf("X%s", s);

		FUZZ_CHECK(ident_sender_allowed(id, addr, strlen(addr)) == 1);
		free(addr);
	} else {
		FUZZ_CHECK(ident_sender_allowed(id, s, n) == 1);
	}
}

/* check_identity - one loaded pin */
static int
check_identity(const struct table_entry *te, void *ctx)
{
	struct walk *w = ctx;
	const struct identity *id = te->obj;
	size_t n, i;
	int date;
	char ds[16];

	FUZZ_CHECK(id != NULL && id->pin != NULL && id->name != NULL &&
	    id->note != NULL && id->senders != NULL);
	FUZZ_CHECK(strcmp(id->pin, te->key) == 0);
	check_canonical(id->pin, strlen(id->pin), id->digest);
	FUZZ_CHECK(id->line == te->line && id->line >= 1 &&
	    id->line <= w->nlines);
	n = strlen(id->name);
	FUZZ_CHECK(n >= 1 && n <= 64);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(isalnum((unsigned char)id->name[i]) ||
		    strchr("._@+-", id->name[i]) != NULL);
	FUZZ_CHECK(strchr(id->note, '\n') == NULL);
	if (id->expires != 0) {
		snprintf(ds, sizeof(ds), "%04d-%02d-%02d", id->expires / 10000,
		    id->expires / 100 % 100, id->expires % 100);
		FUZZ_CHECK(ident_date_parse(ds, strlen(ds), &date) == 0);
		FUZZ_CHECK(date == id->expires);
		w->nexpiring++;
	}
	FUZZ_CHECK(id->nsenders <= 256);
	for (i = 0; i < id->nsenders; i++)
		check_sender(id, id->senders[i]);
	FUZZ_CHECK(id->senders[id->nsenders] == NULL);
	if (id->nsenders == 0)
		FUZZ_CHECK(ident_sender_allowed(id, "", 0) == 1);

	n = strlen(id->pin);
	FUZZ_CHECK((identities_lookup(w->ids, id->pin, n, IDENT_KIND_PUBKEY) ==
	    id) == (id->kind != IDENT_KIND_CERT));
	FUZZ_CHECK((identities_lookup(w->ids, id->pin, n, IDENT_KIND_CERT) ==
	    id) == (id->kind != IDENT_KIND_PUBKEY));
	w->n++;
	return 0;
}

/* check_file - the input as an identities file */
static void
check_file(const uint8_t *data, size_t len)
{
	const struct identity **exp;
	struct identities *ids;
	struct table *t;
	struct walk w;
	size_t i, n;

	if ((t = fuzz_load_table(data, len, ORIGIN,
	    identities_table_ops())) == NULL)
		return;
	ids = identities_new(t);
	memset(&w, 0, sizeof(w));
	w.ids = ids;
	w.nlines = fuzz_count_lines(data, len);
	FUZZ_CHECK(table_foreach(t, check_identity, &w) == 0);
	FUZZ_CHECK(w.n == identities_pins(ids) && w.n == table_count(t));
	FUZZ_CHECK(identities_names(ids) <= w.n);
	FUZZ_CHECK((identities_names(ids) == 0) == (w.n == 0));

	exp = xcalloc(w.n + 1, sizeof(*exp));
	n = identities_expiring(ids, 99991231, exp, w.n + 1);
	FUZZ_CHECK(n == w.nexpiring);
	FUZZ_CHECK(identities_count_expiring(ids, 0, 99991231) == n);
	for (i = 1; i < n; i++)
		FUZZ_CHECK(exp[i - 1]->expires < exp[i]->expires ||
		    (exp[i - 1]->expires == exp[i]->expires &&
		    exp[i - 1]->line < exp[i]->line));
	free(exp);

	identities_free(ids);
	table_unref(t);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	check_file(data, len);
	fuzz_each_line(data, len, check_fprint, NULL);
	return 0;
}
