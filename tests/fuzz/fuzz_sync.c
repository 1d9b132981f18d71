/*
 * fuzz_sync.c - fuzz harness for pfhelpers-sync's parsers
 *
 * The first byte picks what the rest is:
 *   even  a state file, through sync_state_parse();
 *   odd   rows of a feed (byte 0 / 2 % 3 picks the format): one row per
 *         line, columns separated by TAB, a column "\x01" alone is NULL;
 *         each through sync_format_row(), then the text of the accepted
 *         ones through sync_format_check() (the readers' own parsers).
 * Invariants:
 *   - nothing crashes, leaks or reads outside the input;
 *   - a parsed state formats and parses back to the same state; a refused
 *     one says why in one line;
 *   - every accepted row adds exactly one line, and a refused one adds
 *     nothing; a text the readers accept has one entry per accepted row;
 *     an error of the check names "rows, line N" with N a row;
 *   - no error quotes a hash column of a password file.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "sync_format.h"
#include "sync_state.h"
#include "tls_policy.h"

const char fuzz_seed_dir[] = "sync";

/* fuzz_state - parse, and a good parse round-trips */
static void
fuzz_state(const uint8_t *data, size_t len)
{
	struct sync_state st, again;
	char *text = fuzz_copy(data, len), err[256];
	struct buf b;

	err[0] = 0;
	if (sync_state_parse(text, len, &st, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != 0 && strchr(err, '\n') == NULL);
		free(text);
		return;
	}
	buf_init(&b, 0);
	FUZZ_CHECK(sync_state_format(&st, &b) == 0);
	FUZZ_CHECK(sync_state_parse(b.data, b.len, &again, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(st.source, again.source) == 0);
	FUZZ_CHECK(strcmp(st.generation, again.generation) == 0);
	FUZZ_CHECK(st.rows == again.rows && st.synced_at == again.synced_at);
	buf_free(&b);
	free(text);
}

struct rows {
	enum sync_format fmt;
	struct buf out;
	unsigned accepted;
};

/* one_row - a line of the input as one row */
static void
one_row(const char *line, size_t n, void *arg)
{
	struct rows *r = arg;
	char *copy = fuzz_cstr(line, n), *cols[4], *p, err[512];
	const char *ccols[4];
	unsigned nc = 0, i;
	size_t before = r->out.len, k, lines = 0;

	for (p = copy; nc < 4; ) {
		cols[nc++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = 0;
	}
	for (i = 0; i < nc; i++)
		ccols[i] = strcmp(cols[i], "\x01") == 0 ? NULL : cols[i];
	err[0] = 0;
	if (sync_format_row(r->fmt, ccols, nc, &r->out, err,
	    sizeof(err)) < 0) {
		FUZZ_CHECK(r->out.len == before && err[0] != 0);
		if (r->fmt == SYNC_FMT_PWFILE && nc >= 2 && ccols[1] &&
		    strlen(ccols[1]) >= 6)
			FUZZ_CHECK(strstr(err, ccols[1]) == NULL);
	} else {
		for (k = before; k < r->out.len; k++)
			lines += r->out.data[k] == '\n';
		FUZZ_CHECK(lines == 1 && r->out.data[r->out.len - 1] == '\n');
		r->accepted++;
	}
	free(copy);
}

/* fuzz_rows - rows to a table, checked by the reader */
static void
fuzz_rows(enum sync_format fmt, const uint8_t *data, size_t len)
{
	struct rows r;
	char err[768];
	size_t n;

	memset(&r, 0, sizeof(r));
	r.fmt = fmt;
	buf_init(&r.out, 1 << 20);
	fuzz_each_line(data, len, one_row, &r);
	err[0] = 0;
	if (sync_format_check(fmt, TLS_POLICY_VERSION(3, 7), r.out.data ?
	    r.out.data : "", r.out.len, "rows", &n, err, sizeof(err)) == 0)
		FUZZ_CHECK(n == r.accepted);
	else
		FUZZ_CHECK(fuzz_where(err, "rows", r.accepted) != NULL);
	buf_free(&r.out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_input(data, len);
	if (len == 0)
		return 0;
	if ((data[0] & 1) == 0)
		fuzz_state(data + 1, len - 1);
	else
		fuzz_rows((enum sync_format)((data[0] >> 1) % 3), data + 1,
		    len - 1);
	return 0;
}
