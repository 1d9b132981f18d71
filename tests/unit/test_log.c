/*
 * test_log.c - unit tests for the log line sanitizer (common/log.c)
 *
 * log_sanitize() cases by table: what each control, separator and bad
 * byte becomes, what stays, and where a long text is cut (at a whole
 * character or escape, with the marker). Then the output path: a line
 * with a newline, a C1 control and bad UTF-8 reaches the capture hook
 * and stderr as one clean line, and an over-long one is bounded; held
 * lines keep their order with the others.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define S(s)	(s), (sizeof(s) - 1)

struct clean_case {
	const char *name;
	const char *in;
	size_t	inlen;
	size_t	len;		/* dst size; 0 means a large one */
	const char *want;
};

static const struct clean_case clean_cases[] = {
	{"plain ASCII", S("user \"bob\" from [10.0.0.1]:25 50%"), 0,
	    "user \"bob\" from [10.0.0.1]:25 50%"},
	{"empty", S(""), 0, ""},
	{"backslash stays", S("a\\nb"), 0, "a\\nb"},
	{"LF", S("a\nforged: line"), 0, "a\\nforged: line"},
	{"CR LF", S("a\r\nb"), 0, "a\\r\\nb"},
	{"tab", S("a\tb"), 0, "a\\tb"},
	{"ESC sequence", S("\x1b[2J\x1b[31mred"), 0, "\\x1b[2J\\x1b[31mred"},
	{"other C0", S("\x01\x07\x08\x0b\x0c\x1c\x1f"), 0,
	    "\\x01\\x07\\x08\\x0b\\x0c\\x1c\\x1f"},
	{"DEL", S("a\x7f"), 0, "a\\x7f"},
	{"NUL", S("a\0b"), 0, "a\\x00b"},
	{"C1 NEL (U+0085)", S("a\xc2\x85" "b"), 0, "a\\u0085b"},
	{"C1 CSI (U+009B)", S("\xc2\x9b" "2J"), 0, "\\u009b2J"},
	{"U+00A0 is not C1", S("\xc2\xa0"), 0, "\xc2\xa0"},
	{"line separator", S("a\xe2\x80\xa8" "b"), 0, "a\\u2028b"},
	{"paragraph separator", S("\xe2\x80\xa9"), 0, "\\u2029"},
	{"bidi override", S("\xe2\x80\xae" "gpj.exe"), 0, "\\u202egpj.exe"},
	{"bidi isolate", S("\xe2\x81\xa6x\xe2\x81\xa9"), 0, "\\u2066x\\u2069"},
	{"valid UTF-8 stays", S("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd"),
	    0, "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd"},
	{"raw C1 byte", S("a\x85" "b"), 0, "a\\x85b"},
	{"bad lead bytes", S("\xff\xfe\x80"), 0, "\\xff\\xfe\\x80"},
	{"overlong", S("\xc0\xaf\xe0\x80\xaf"), 0, "\\xc0\\xaf\\xe0\\x80\\xaf"},
	{"surrogate", S("\xed\xa0\x80"), 0, "\\xed\\xa0\\x80"},
	{"past U+10FFFF", S("\xf4\x90\x80\x80"), 0, "\\xf4\\x90\\x80\\x80"},
	{"cut sequence at end", S("ok\xe2\x82"), 0, "ok\\xe2\\x82"},
	{"bad continuation", S("\xe2(x"), 0, "\\xe2(x"},
	/* bounds: room for len - 1 bytes; the marker is 14 */
	{"fits exactly", S("0123456789"), 11, "0123456789"},
	{"one over", S("abcdefghijklmnopqrstuvwxyz"), 26,
	    "abcdefghijk...(truncated)"},
	{"cut with marker", S("abcdefghijklmnopqrstuvwxyz"), 21,
	    "abcdef...(truncated)"},
	{"no split escape", S("abcde\nfghijklmnopqrstuvwxyz"), 21,
	    "abcde...(truncated)"},
	{"no split UTF-8", S("abcd\xe2\x82\xac" "fghijklmnopqrstuvwxyz"), 21,
	    "abcd...(truncated)"},
	{"escape just fits", S("abcd\nfghijklmnopqrstuvwxyz"), 21,
	    "abcd\\n...(truncated)"},
	{"tiny buffer", S("abcdefghij"), 5, "...("},
	{"size one", S("abc"), 1, ""},
};

/* test_sanitize_cases - the table */
static void
test_sanitize_cases(void **state)
{
	char	out[512];
	size_t	i, n, len;

	(void)state;
	for (i = 0; i < nitems(clean_cases); i++) {
		const struct clean_case *c = &clean_cases[i];

		len = c->len ? c->len : sizeof(out);
		memset(out, 'Z', sizeof(out));
		n = log_sanitize(out, len, c->in, c->inlen);
		if (strcmp(out, c->want) != 0 || n != strlen(c->want))
			fail_msg("%s: got \"%s\" (%zu), want \"%s\"", c->name,
			    out, n, c->want);
		/* nothing written past len */
		if (len < sizeof(out) && out[len] != 'Z')
			fail_msg("%s: wrote past %zu bytes", c->name, len);
	}
}

/*
 * test_sanitize_any_offset - one byte to escape at every offset of a long
 * printable text (the sanitizer looks at eight bytes at a time): the ones
 * at the edges of printable (0x1f, 0x7f, 0x80, 0xff) are escaped, 0x20 and
 * 0x7e stay
 */
static void
test_sanitize_any_offset(void **state)
{
	static const struct {
		unsigned char b;
		const char *want;
	} edge[] = {
		{0x1f, "\\x1f"}, {0x7f, "\\x7f"}, {0x80, "\\x80"}, {0xff, "\\xff"},
		{0x00, "\\x00"}, {0x20, " "}, {0x7e, "~"},
	};
	char	in[40], out[128], want[128];
	size_t	pos, k;

	(void)state;
	for (k = 0; k < nitems(edge); k++) {
		for (pos = 0; pos < sizeof(in); pos++) {
			memset(in, 'a', sizeof(in));
			in[pos] = (char)edge[k].b;
			snprintf(want, sizeof(want), "%.*s%s%.*s", (int)pos,
			    in, edge[k].want, (int)(sizeof(in) - pos - 1),
			    in + pos + 1);
			log_sanitize(out, sizeof(out), in, sizeof(in));
			if (strcmp(out, want) != 0)
				fail_msg("0x%02x at %zu: got \"%s\"", edge[k].b,
				    pos, out);
		}
	}
}

/* test_sanitize_zero - a zero-size destination is left alone */
static void
test_sanitize_zero(void **state)
{
	char	out = 'Z';

	(void)state;
	assert_int_equal(log_sanitize(&out, 0, "abc", 3), 0);
	assert_int_equal(out, 'Z');
}

/* test_sanitize_idempotent - clean text comes back unchanged */
static void
test_sanitize_idempotent(void **state)
{
	char	once[256], twice[256];
	unsigned char in[200];
	size_t	i, n;
	uint32_t x = 12345;

	(void)state;
	for (i = 0; i < 200; i++) {
		size_t	k;

		for (k = 0; k < sizeof(in); k++) {
			x = x * 1103515245u + 12345u;
			in[k] = (unsigned char)(x >> 16);
		}
		n = log_sanitize(once, sizeof(once), (char *)in, sizeof(in));
		assert_int_equal(log_sanitize(twice, sizeof(twice), once, n), n);
		assert_string_equal(once, twice);
		assert_null(strchr(once, '\n'));
		assert_true(n < sizeof(once));
	}
}

struct captured {
	int	calls;
	char	last[LOG_LINE_MAX + 64];
};

/* capture - the test's log capture hook */
static void
capture(enum log_severity sev, const char *line, void *ctx)
{
	struct captured *c = ctx;

	(void)sev;
	c->calls++;
	snprintf(c->last, sizeof(c->last), "%s", line);
}

/* read_stderr_file - what went to fd 2 (a temp file) since the test began */
static char *
read_stderr_file(FILE *f)
{
	static char buf[4 * LOG_LINE_MAX];
	size_t	n;

	fflush(stderr);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	return buf;
}

/*
 * stderr_to_tmpfile - fd 2 onto a new temp file (*f), logging to stderr
 * as "test_log"; returns the old fd 2, for dup2() back
 */
static int
stderr_to_tmpfile(FILE **f)
{
	int	saved = dup(STDERR_FILENO);

	*f = tmpfile();
	assert_non_null(*f);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(*f), STDERR_FILENO), STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(log_init("test_log", LOG_TO_STDERR, NULL), 0);
	return saved;
}

/* test_output_path - capture and stderr see one sanitized line */
static void
test_output_path(void **state)
{
	struct captured c = {0};
	FILE	*f;
	int	saved = stderr_to_tmpfile(&f);
	char	*out, *nl;
	char	big[3 * LOG_LINE_MAX];

	(void)state;
	log_set_capture(capture, &c);

	log_warn("user \"%s\" failed", "bob\nfake[1]: forged\xc2\x85\xff");
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.last,
	    "user \"bob\\nfake[1]: forged\\u0085\\xff\" failed");

	/* over-long: bounded, marked, still one line */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	log_info("%s", big);
	assert_int_equal(c.calls, 2);
	assert_int_equal(strlen(c.last), LOG_LINE_MAX - 1);
	assert_non_null(strstr(c.last, "y" LOG_TRUNCATED));
	assert_int_equal(strcmp(c.last + LOG_LINE_MAX - 1 - strlen(LOG_TRUNCATED),
	    LOG_TRUNCATED), 0);

	log_set_capture(NULL, NULL);
	out = read_stderr_file(f);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);

	/* exactly two lines, the first as captured */
	nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = 0;
	assert_non_null(strstr(out, "test_log["));
	assert_non_null(strstr(out, "]: warning: user \"bob\\nfake[1]: forged"
	    "\\u0085\\xff\" failed"));
	out = nl + 1;
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	*nl = 0;
	assert_non_null(strstr(out, LOG_TRUNCATED));
	fclose(f);
}

/*
 * test_held_lines - a held line waits for the hold's end (nested holds:
 * the outer one), goes out before any line written at once, and is not
 * held outside a hold; the capture hook sees every line at once
 */
static void
test_held_lines(void **state)
{
	struct captured c = {0};
	FILE	*f;
	int	saved = stderr_to_tmpfile(&f);
	const char *out, *a, *b;

	(void)state;
	log_set_capture(capture, &c);

	log_hold(1);
	log_hold(1);
	log_info_held("first %d", 1);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.last, "first 1");
	log_hold(0);
	assert_string_equal(read_stderr_file(f), "");	/* still held */
	log_info_held("second");
	log_warn("third");		/* at once: the held ones go first */
	out = read_stderr_file(f);
	a = strstr(out, "]: first 1\n");
	b = strstr(out, "]: second\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(b, "]: warning: third\n"));
	log_info_held("fourth");
	assert_null(strstr(read_stderr_file(f), "fourth"));
	log_hold(0);
	assert_non_null(strstr(read_stderr_file(f), "]: fourth\n"));
	log_info_held("fifth");		/* no hold: written at once */
	assert_non_null(strstr(read_stderr_file(f), "]: fifth\n"));
	assert_int_equal(c.calls, 5);

	log_set_capture(NULL, NULL);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_cases),
		cmocka_unit_test(test_sanitize_any_offset),
		cmocka_unit_test(test_sanitize_zero),
		cmocka_unit_test(test_sanitize_idempotent),
		cmocka_unit_test(test_output_path),
		cmocka_unit_test(test_held_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
