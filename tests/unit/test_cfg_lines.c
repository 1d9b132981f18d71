/*
 * test_cfg_lines.c - unit tests for cfg_lines.c: the logical-line reader
 * shared by cfg.c and table.c, and its error formatter
 *
 * Most cases read a text to the end (reading on past errors, as table.c
 * does) and compare a transcript of what came out: "N:line" for a logical
 * line whose first physical line is N ('\r' and '\t' shown as \r and \t),
 * "E:message" for an error, joined by '|'.
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

#include "buf.h"
#include "cfg_lines.h"

/* TEXT - a literal and its length, NUL bytes included */
#define TEXT(s)	s, sizeof(s) - 1

/* transcript - read text to the end; every line and error in order */
static void
transcript(const char *text, size_t len, int flags, struct buf *out)
{
	struct cfg_lines lr;
	char err[256];
	size_t i;
	int rc, n = 0;

	buf_reset(out);
	cfg_lines_init(&lr, text, len, "t", "an entry", flags);
	while ((rc = cfg_lines_next(&lr, err, sizeof(err))) != 0) {
		assert_true(n++ < 100);
		if (out->len > 0)
			assert_int_equal(buf_puts(out, "|"), 0);
		if (rc < 0) {
			assert_int_equal(buf_printf(out, "E:%s", err), 0);
			continue;
		}
		assert_int_equal(rc, 1);
		/* NUL-terminated, and no NUL inside */
		assert_int_equal(lr.line[lr.len], 0);
		assert_int_equal(strlen(lr.line), lr.len);
		assert_int_equal(buf_printf(out, "%u:", lr.lineno), 0);
		for (i = 0; i < lr.len; i++) {
			if (lr.line[i] == '\r')
				assert_int_equal(buf_puts(out, "\\r"), 0);
			else if (lr.line[i] == '\t')
				assert_int_equal(buf_puts(out, "\\t"), 0);
			else
				assert_int_equal(buf_append(out, lr.line + i,
				    1), 0);
		}
	}
	/* the end stays the end */
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 0);
	cfg_lines_free(&lr);
}

static const struct {
	const char *name;
	const char *text;
	size_t	len;
	int	flags;
	const char *want;
} cases[] = {
	{"empty text", TEXT(""), 0, ""},
	{"only comments and blanks", TEXT("# a\n\n   \n\t# b\n"), 0, ""},
	{"simple lines, last without newline", TEXT("a 1\nb 2\nc 3"), 0,
	    "1:a 1|2:b 2|3:c 3"},
	{"comments and blank lines count as lines",
	    TEXT("# head\n\na 1\n  # indented comment\n\nb 2\n"), 0,
	    "3:a 1|6:b 2"},
	{"'#' after text is not a comment", TEXT("a 1 # not a comment\n"), 0,
	    "1:a 1 # not a comment"},
	{"continuation keeps its leading whitespace, not the newline",
	    TEXT("a 1\n  2\n\t3\nb 4\n"), 0, "1:a 1  2\\t3|4:b 4"},
	{"comments and blank lines inside a continued line",
	    TEXT("a 1\n# c\n\n  2\n   \n  3\nb\n"), 0, "1:a 1  2  3|7:b"},
	{"continuation on the last line without a newline",
	    TEXT("a 1\n  2"), 0, "1:a 1  2"},
	{"continuation with nothing above it, and its own continuations",
	    TEXT("  x\n  y\na 1\n"), 0,
	    "E:t, line 1: continuation line without an entry above it|3:a 1"},
	{"after a comment at the top, still nothing above",
	    TEXT("# c\n\tx\n"), 0,
	    "E:t, line 2: continuation line without an entry above it"},
	{"NOCONT: every line is its own, leading blanks kept",
	    TEXT("a:1\n  b:2\n# c\n\tc:3\n"), CFG_LINES_NOCONT,
	    "1:a:1|2:  b:2|4:\\tc:3"},
	{"CRLF: blank and comment lines skipped, '\\r' left for the caller",
	    TEXT("# c\r\n\r\na 1\r\n  2\r\nb 3\r\n"), 0,
	    "3:a 1\\r  2\\r|5:b 3\\r"},
	{"NUL in a line that starts one: the line above comes first",
	    TEXT("a 1\nb\0 2\n  3\nc 4\n"), 0,
	    "1:a 1|E:t, line 2: NUL byte in line|4:c 4"},
	{"NUL in a continuation line drops the line it continues",
	    TEXT("a 1\n  2\0\n  3\nc 4\n"), 0,
	    "E:t, line 2: NUL byte in line|4:c 4"},
	{"NUL in a comment line is still an error",
	    TEXT("# a\0b\na 1\n"), 0, "E:t, line 1: NUL byte in line|2:a 1"},
	{"errors come in file order, one per mistake",
	    TEXT("  x\n  \0y\nb\0\n  z\nc 1\n  d\0\ne 2\n"), 0,
	    "E:t, line 1: continuation line without an entry above it|"
	    "E:t, line 3: NUL byte in line|"
	    "E:t, line 6: NUL byte in line|7:e 2"},
};

static void
test_cases(void **state)
{
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 0);
	for (i = 0; i < nitems(cases); i++) {
		transcript(cases[i].text, cases[i].len, cases[i].flags, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("%s:\n got \"%s\"\nwant \"%s\"", cases[i].name,
			    out.data, cases[i].want);
	}
	buf_free(&out);
}

/* A caller that stops at the first error (cfg.c) sees the first bad line. */
static void
test_stop_at_first(void **state)
{
	struct cfg_lines lr;
	char err[128];

	(void)state;
	cfg_lines_init(&lr, TEXT("a = 1\n  \0\nb = 2\n"), "main.cf",
	    "a parameter", 0);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), -1);
	assert_string_equal(err, "main.cf, line 2: NUL byte in line");
	cfg_lines_free(&lr);

	cfg_lines_init(&lr, TEXT(" a = 1\n"), "main.cf", "a parameter", 0);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), -1);
	assert_string_equal(err, "main.cf, line 1: continuation line without "
	    "a parameter above it");
	cfg_lines_free(&lr);
}

/* The caller may change its line; the next one comes from the text. */
static void
test_line_is_writable(void **state)
{
	static const char text[] = "a 1\n  2\nb 3\n";
	struct cfg_lines lr;
	char err[64];

	(void)state;
	cfg_lines_init(&lr, text, strlen(text), "t", "an entry", 0);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 1);
	assert_string_equal(lr.line, "a 1  2");
	memset(lr.line, 'X', lr.len);
	lr.line[1] = 0;
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 1);
	assert_string_equal(lr.line, "b 3");
	assert_int_equal(lr.lineno, 3);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 0);
	cfg_lines_free(&lr);
	assert_string_equal(text, "a 1\n  2\nb 3\n");
}

/* Lines far longer than any buffer's first size, and many of them. */
static void
test_long_lines(void **state)
{
	const size_t big = 1024 * 1024 + 7, part = 100000;
	struct cfg_lines lr;
	char *text, *p, err[64];
	size_t i, len;

	(void)state;
	/* "k" + big 'v's, then two continuations of part 'w's, then "z 1" */
	len = 1 + big + 1 + 2 * (1 + part + 1) + 4;
	p = text = malloc(len);
	assert_non_null(text);
	*p++ = 'k';
	memset(p, 'v', big);
	p += big;
	*p++ = '\n';
	for (i = 0; i < 2; i++) {
		*p++ = '\t';
		memset(p, 'w', part);
		p += part;
		*p++ = '\n';
	}
	memcpy(p, "z 1\n", 4);
	p += 4;
	assert_int_equal((size_t)(p - text), len);

	cfg_lines_init(&lr, text, len, "t", "an entry", 0);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 1);
	assert_int_equal(lr.lineno, 1);
	assert_int_equal(lr.len, 1 + big + 2 * (1 + part));
	assert_int_equal(lr.line[0], 'k');
	assert_int_equal(lr.line[big], 'v');
	assert_int_equal(lr.line[big + 1], '\t');
	assert_int_equal(lr.line[big + 2], 'w');
	assert_int_equal(lr.line[lr.len - 1], 'w');
	assert_int_equal(lr.line[lr.len], 0);
	assert_int_equal(memchr(lr.line, '\n', lr.len) == NULL, 1);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 1);
	assert_string_equal(lr.line, "z 1");
	assert_int_equal(lr.lineno, 4);
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 0);
	cfg_lines_free(&lr);
	free(text);

	/* 100000 short lines ("a", then a comment): numbers keep counting */
	len = 100000 * 4;
	text = malloc(len);
	assert_non_null(text);
	for (i = 0; i < 100000; i++)
		memcpy(text + 4 * i, i % 2 ? "  b\n" : "a\n# ", 4);
	cfg_lines_init(&lr, text, len, "t", "an entry", 0);
	for (i = 0; i < 50000; i++) {
		assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 1);
		assert_int_equal(lr.lineno, 2 * i + 1);
		assert_string_equal(lr.line, "a");
	}
	assert_int_equal(cfg_lines_next(&lr, err, sizeof(err)), 0);
	cfg_lines_free(&lr);
	free(text);
}

static void
test_err(void **state)
{
	char err[8];

	(void)state;
	cfg_lines_err(NULL, 0, "x %d", 1);
	cfg_lines_err(err, 0, "x %d", 1);
	memset(err, '#', sizeof(err));
	cfg_lines_err(err, sizeof(err), "%s, line %u", "origin", 12u);
	assert_string_equal(err, "origin,");	/* truncated, terminated */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_stop_at_first),
		cmocka_unit_test(test_line_is_writable),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
