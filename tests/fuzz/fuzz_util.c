/*
 * fuzz_util.c - failure reporting, input copies and the checks several
 * fuzz harnesses share
 *
 * A failed invariant prints what broke and a hex dump of the input, then
 * abort()s: libFuzzer turns that into a crash file, and the stand-alone
 * driver's log shows the bytes (the run is deterministic, so the same
 * command line reproduces it).
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "table.h"
#include "xalloc.h"

static const uint8_t *cur_data;
static size_t cur_len;

/* fuzz_input - remember the input being tested, for fuzz_fail()'s dump */
void
fuzz_input(const uint8_t *data, size_t len)
{
	cur_data = data;
	cur_len = len;
}

/* fuzz_fail - report a broken invariant with the input that broke it */
void
fuzz_fail(const char *file, int line, const char *expr)
{
	size_t i, n = cur_len > 1024 ? 1024 : cur_len;

	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, expr);
	fprintf(stderr, "input (%zu bytes%s):", cur_len,
	    n < cur_len ? ", first 1024 shown" : "");
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", cur_data[i]);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

/* fuzz_copy - exact-size heap copy (never NULL, even for 0 bytes) */
char *
fuzz_copy(const void *p, size_t len)
{
	char *c = xmalloc(len ? len : 1);

	if (len > 0)
		memcpy(c, p, len);
	return c;
}

/* fuzz_cstr - heap copy with a NUL after the last byte */
char *
fuzz_cstr(const void *p, size_t len)
{
	char *c = xmalloc(len + 1);

	if (len > 0)
		memcpy(c, p, len);
	c[len] = 0;
	return c;
}

/* fuzz_prefixes - proper prefix lengths to re-decode, at most max of them */
size_t
fuzz_prefixes(size_t len, size_t *out, size_t max)
{
	size_t i, n = 0, tail;

	if (len <= max) {
		for (i = 0; i < len; i++)
			out[n++] = i;
		return n;
	}
	/* The last bytes are where "almost complete" goes wrong. */
	tail = max / 4;
	for (i = 0; i < max - tail; i++)
		out[n++] = i * (len - tail) / (max - tail);
	for (i = len - tail; i < len; i++)
		out[n++] = i;
	return n;
}

/* fuzz_count_lines - physical lines, the last one counted without its LF */
unsigned
fuzz_count_lines(const void *text, size_t len)
{
	const char *p = text;
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '\n')
			n++;
	return n + (len > 0 && p[len - 1] != '\n');
}

/* fuzz_where - the text after "ORIGIN, line N: ", or NULL */
const char *
fuzz_where(const char *err, const char *origin, unsigned nlines)
{
	size_t olen = strlen(origin);
	unsigned long n;
	char *end;

	if (strncmp(err, origin, olen) != 0 ||
	    strncmp(err + olen, ", line ", 7) != 0)
		return NULL;
	err += olen + 7;
	if (*err < '1' || *err > '9')
		return NULL;
	n = strtoul(err, &end, 10);
	if (n < 1 || n > nlines || strncmp(end, ": ", 2) != 0)
		return NULL;
	return end + 2;
}

/* fuzz_load_table - the input as a table file; a refusal names its line */
struct table *
fuzz_load_table(const uint8_t *data, size_t len, const char *origin,
    const struct table_ops *ops)
{
	char *text = fuzz_copy(data, len), err[512];
	const char *reason;
	struct table *t;

	err[0] = 0;
	t = table_load_string(text, len, origin, ops, err, sizeof(err));
	free(text);
	if (t == NULL) {
		reason = fuzz_where(err, origin, fuzz_count_lines(data, len));
		if (reason == NULL || *reason == 0)
			fprintf(stderr, "error not \"%s, line N: reason\": %s\n",
			    origin, err);
		FUZZ_CHECK(reason != NULL && *reason != 0);
	}
	return t;
}

/* fuzz_each_line - every line of the input, LF not included */
void
fuzz_each_line(const uint8_t *data, size_t len,
    void (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = (const char *)data, *end = p + len, *nl;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		fn(p, (size_t)(nl - p), arg);
	}
}

/* fuzz_fields - the NUL-separated fields of an input */
size_t
fuzz_fields(char *in, size_t len, char **f, size_t max)
{
	char *end = in + len;
	size_t n, i;

	f[0] = in;
	for (n = 1; n < max; n++) {
		f[n] = f[n - 1] + strlen(f[n - 1]) + 1;
		if (f[n] > end)
			break;
	}
	for (i = n; i < max; i++)
		f[i] = NULL;
	return n;
}
