/*
 * fuzz_pwfile.c - fuzz harness for the saslauthd-lite password file
 *
 * The input is a pwfile ("user[@realm]:hash[:ignored]" lines), loaded the
 * way pw_open() loads it (sep ':', no key callback, no empty values, the
 * value through pwfile_parse_hash()), once refusing weak hashes and once
 * allowing them; every line is also handed to pwfile_parse_hash() whole.
 * Invariants:
 *   - nothing crashes, leaks or reads outside the input; every parsed
 *     hash is freed once;
 *   - a refused file says "fuzz.pw, line N: " with N a line of the file;
 *   - allowing weak hashes never refuses what the strict load took, and
 *     gives the same entries;
 *   - a parsed value: unlocked, its hash is the value up to the first ':'
 *     and of a scheme pwfile_scheme() knows, weak only when allowed, a
 *     complete crypt(3) string; locked (leading '!' or '*'), its hash is ""
 *     or the value past the markers up to the first ':', of a known scheme;
 *     never both empty and unlocked;
 *   - every entry's key is found by table_lookup(), free of ':'.
 */
#include "sysdep.h"

#include <crypt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "table.h"

const char fuzz_seed_dir[] = "pwfile";

#define ORIGIN	"fuzz.pw"

static long objs_live;

/* check_hash - one parsed value against the text it came from */
static void
check_hash(const struct pw_hash *h, const char *value, bool allow_weak)
{
	const char *v = value;
	size_t n;
	bool weak = false;

	FUZZ_CHECK(h != NULL && h->hash != NULL);
	if (h->locked) {
		FUZZ_CHECK(*v == '!' || *v == '*');
		v += strspn(v, "!*");
		n = strcspn(v, ":");
		if (h->hash[0] != 0) {
			FUZZ_CHECK(strlen(h->hash) == n &&
			    strncmp(h->hash, v, n) == 0);
			FUZZ_CHECK(pwfile_scheme(h->hash, &weak) != NULL);
		}
		return;
	}
	FUZZ_CHECK(*v != '!' && *v != '*');
	n = strcspn(v, ":");
	FUZZ_CHECK(n > 0 && strlen(h->hash) == n &&
	    strncmp(h->hash, v, n) == 0);
	FUZZ_CHECK(pwfile_scheme(h->hash, &weak) != NULL);
	FUZZ_CHECK(!weak || allow_weak);
	FUZZ_CHECK(crypt_checksalt(h->hash) != CRYPT_SALT_INVALID);
}

/* pw_value - as auth_pwfile.c's, counting the objects */
static void *
pw_value(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	bool allow_weak = *(const bool *)arg;
	struct pw_hash *h;

	if ((h = pwfile_parse_hash(value, allow_weak, err, errlen)) != NULL) {
		check_hash(h, value, allow_weak);
		objs_live++;
	} else {
		FUZZ_CHECK(err[0] != 0);
	}
	return h;
}

/* pw_free - as auth_pwfile.c's */
static void
pw_free(void *obj, void *arg)
{
	objs_live--;
	pwfile_hash_free(obj);
}

/* check_entry - key free of the separator and found by lookup */
static int
check_entry(const struct table_entry *te, void *ctx)
{
	const struct table *t = ctx;
	const struct pw_hash *h = te->obj;

	FUZZ_CHECK(te->key[0] != 0 && strchr(te->key, ':') == NULL);
	FUZZ_CHECK(table_lookup(t, te->key, strlen(te->key)) == te);
	FUZZ_CHECK(h != NULL);
	return 0;
}

/* same_entry - the other table has this key with the same hash */
static int
same_entry(const struct table_entry *te, void *ctx)
{
	const struct table_entry *e = table_lookup(ctx, te->key,
	    strlen(te->key));
	const struct pw_hash *a = te->obj, *b;

	FUZZ_CHECK(e != NULL);
	b = e->obj;
	FUZZ_CHECK(a->locked == b->locked && strcmp(a->hash, b->hash) == 0);
	return 0;
}

/* load - the input as pw_open() reads it */
static struct table *
load(const uint8_t *data, size_t len, bool *allow_weak)
{
	struct table_ops ops;
	struct table *t;
	long before = objs_live;

	memset(&ops, 0, sizeof(ops));
	ops.value = pw_value;
	ops.free_value = pw_free;
	ops.arg = allow_weak;
	ops.sep = ':';
	if ((t = fuzz_load_table(data, len, ORIGIN, &ops)) == NULL) {
		FUZZ_CHECK(objs_live == before);
	} else {
		FUZZ_CHECK(objs_live - before == (long)table_count(t));
		FUZZ_CHECK(table_foreach(t, check_entry, t) == 0);
	}
	return t;
}

/* check_line - one line, whole, as a value */
static void
check_line(const char *p, size_t n, bool allow_weak)
{
	char *value = fuzz_cstr(p, n), err[256];
	struct pw_hash *h;

	err[0] = 0;
	if ((h = pwfile_parse_hash(value, allow_weak, err, sizeof(err))) ==
	    NULL) {
		FUZZ_CHECK(err[0] != 0);
	} else {
		check_hash(h, value, allow_weak);
		pwfile_hash_free(h);
	}
	free(value);
}

/* check_line_both - one line refusing, then allowing, weak hashes */
static void
check_line_both(const char *p, size_t n, void *arg)
{
	check_line(p, n, false);
	check_line(p, n, true);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static bool strict = false, weak = true;
	struct table *ts, *tw;

	fuzz_input(data, len);
	ts = load(data, len, &strict);
	tw = load(data, len, &weak);
	if (ts != NULL) {
		FUZZ_CHECK(tw != NULL);
		FUZZ_CHECK(table_count(ts) == table_count(tw));
		FUZZ_CHECK(table_foreach(ts, same_entry, tw) == 0);
	}
	table_unref(ts);
	table_unref(tw);
	FUZZ_CHECK(objs_live == 0);

	fuzz_each_line(data, len, check_line_both, NULL);
	return 0;
}
