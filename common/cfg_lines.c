/*
 * cfg_lines.c - logical lines of Postfix-style configuration text
 *
 * A logical line ends only when the next line that starts one is seen (or
 * the text ends), so that line is "held": remembered as a pointer into the
 * text and copied into the buffer on the next call, after the caller is
 * done with the line it was given. The buffer is reused for every logical
 * line; it grows to the longest one and is wiped when freed.
 *
 * Errors come in file order, so a caller that reads on past one (table.c
 * reports every bad line) and one that stops (cfg.c) both name the first
 * bad line first: a line with a NUL byte ends the logical line above it,
 * which is handed out before the error, unless it is a continuation line,
 * which spoils that logical line (it is dropped). After a reported line,
 * the continuation lines that belong to it are skipped without a report of
 * their own: one mistake, one message. Unlike Postfix, a continuation with
 * nothing above it is an error, not a warning: both callers reject the
 * whole file for any bad line.
 */
#include "sysdep.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cfg_lines.h"
#include "log.h"

/* cfg_lines_err - format an error, tolerating a NULL or empty buffer */
void
cfg_lines_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* is_blank - whitespace within a line */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* add - append to the logical line; the buffer has no cap to refuse */
static void
add(struct cfg_lines *lr, const char *p, size_t n)
{
	if (buf_append(&lr->buf, p, n) < 0)
		log_panic("cfg_lines: uncapped buffer refused");
}

/* cfg_lines_init - a reader over text; nothing is read yet */
void
cfg_lines_init(struct cfg_lines *lr, const char *text, size_t len,
    const char *origin, const char *what, int flags)
{
	memset(lr, 0, sizeof(*lr));
	lr->p = text;
	lr->end = text + len;
	lr->origin = origin;
	lr->what = what;
	lr->flags = flags;
	buf_init(&lr->buf, 0);
	buf_set_secret(&lr->buf);
}

/*
 * begin - a line that starts a logical line (or holds a NUL). -1 for the
 * NUL: that line and the continuation lines after it are skipped.
 */
static int
begin(struct cfg_lines *lr, const char *p, size_t n, unsigned no, int nul,
    char *err, size_t errlen)
{
	lr->skipping = 0;
	if (nul) {
		cfg_lines_err(err, errlen, "%s, line %u: NUL byte in line",
		    lr->origin, no);
		lr->skipping = 1;
		return -1;
	}
	buf_reset(&lr->buf);
	add(lr, p, n);
	lr->pending = no;
	return 0;
}

/* cfg_lines_next - the next logical line (1), end (0) or a bad line (-1) */
int
cfg_lines_next(struct cfg_lines *lr, char *err, size_t errlen)
{
	const char *p, *nl, *q;
	int nul, cont;
	size_t n;

	/* The caller is done with the last line: start on the held one. */
	if (lr->held != NULL) {
		p = lr->held;
		lr->held = NULL;
		if (begin(lr, p, lr->heldlen, lr->heldno, lr->heldnul, err,
		    errlen) < 0)
			return -1;
	}
	while (lr->p < lr->end) {
		p = lr->p;
		if ((nl = memchr(p, '\n', (size_t)(lr->end - p))) == NULL)
			nl = lr->end;
		n = (size_t)(nl - p);
		lr->p = nl < lr->end ? nl + 1 : lr->end;
		if (lr->phys == UINT_MAX) {
			cfg_lines_err(err, errlen, "%s: too many lines",
			    lr->origin);
			lr->p = lr->end;
			lr->pending = 0;
			return -1;
		}
		lr->phys++;
		nul = memchr(p, 0, n) != NULL;
		for (q = p; q < nl && is_blank(*q); q++)
			;
		if (!nul && (q == nl || *q == '#'))
			continue;	/* blank or comment line */
		cont = q != p && !(lr->flags & CFG_LINES_NOCONT);
		if (cont && lr->skipping)
			continue;	/* part of a line already reported */
		if (cont && lr->pending == 0) {
			cfg_lines_err(err, errlen, "%s, line %u: continuation "
			    "line without %s above it", lr->origin, lr->phys,
			    lr->what);
			lr->skipping = 1;
			return -1;
		}
		if (cont && !nul) {
			add(lr, p, n);
			continue;
		}
		if (cont) {
			/* A NUL spoils the logical line it continues. */
			lr->pending = 0;
			return begin(lr, p, n, lr->phys, nul, err, errlen);
		}
		if (lr->pending != 0) {
			/* This line starts the next one: the open one is done. */
			lr->held = p;
			lr->heldlen = n;
			lr->heldno = lr->phys;
			lr->heldnul = nul;
			break;
		}
		if (begin(lr, p, n, lr->phys, nul, err, errlen) < 0)
			return -1;
	}
	if (lr->pending == 0)
		return 0;
	lr->line = lr->buf.data;
	lr->len = lr->buf.len;
	lr->lineno = lr->pending;
	lr->pending = 0;
	return 1;
}

/* cfg_lines_free - wipe and release the copy */
void
cfg_lines_free(struct cfg_lines *lr)
{
	buf_free(&lr->buf);
	memset(lr, 0, sizeof(*lr));
}
