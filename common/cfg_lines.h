/*
 * cfg_lines.h - logical lines of Postfix-style configuration text
 *
 * The one reader behind main.cf-style files (cfg.c) and "key value" table
 * sources (table.c), after Postfix readlline(3):
 *   - physical lines end at '\n' (the last one may lack it);
 *   - a line whose first non-blank character is '#' is a comment, and an
 *     all-blank line is ignored; neither ends a logical line, so a later
 *     line starting with whitespace still continues the one above them;
 *   - a line starting with whitespace continues the logical line above it:
 *     it is appended without the newline but with its leading whitespace;
 *   - with CFG_LINES_NOCONT every non-comment line is a logical line of its
 *     own (leading whitespace included: the caller trims it).
 * "Blank" is ' ', '\t', '\r', '\f' and '\v', so a CRLF file's blank and
 * comment lines are skipped; the '\r' before '\n' otherwise stays in the
 * line, for the caller's trimming of trailing blanks to remove.
 *
 * Contract:
 *   cfg_lines_init() - a reader over [text, text + len); nothing is copied,
 *     so text must outlive the reader. origin names the text in errors;
 *     what ("a parameter", "an entry") completes the message for a
 *     continuation with nothing above it.
 *   cfg_lines_next() - 1: the next logical line is in line/len (always
 *     NUL-terminated; the caller may change bytes in [line, line + len]
 *     until the next call), lineno is its first physical line (from 1).
 *     0: end of text. -1: a bad physical line, with the reason in err:
 *       "ORIGIN, line N: NUL byte in line",
 *       "ORIGIN, line N: continuation line without WHAT above it",
 *       "ORIGIN: too many lines" (more than UINT_MAX; the text ends there).
 *     A caller may stop at the first -1 or go on calling to hear of every
 *     bad line, in file order, once: the bad line and the continuation
 *     lines after it are skipped. A NUL in a line that starts a logical
 *     line comes after the logical line above it; a NUL in a continuation
 *     line drops the logical line it would have continued.
 *   cfg_lines_free() - releases the reader's copy, wiped first: the text
 *     may hold secrets (passwords in a config, hashes in a password file).
 *   cfg_lines_err() - formats an error into (err, errlen), the convention
 *     cfg and table share; a NULL or empty buffer is tolerated.
 * Logical lines have no length limit of their own: callers cap the input.
 */
#ifndef PFH_CFG_LINES_H
#define PFH_CFG_LINES_H

#include <stddef.h>

#include "buf.h"

#define CFG_LINES_NOCONT	0x1	/* no continuation lines */

struct cfg_lines {
	/* the current logical line, after cfg_lines_next() returned 1 */
	char	*line;
	size_t	 len;
	unsigned lineno;
	/* private */
	const char *p, *end;
	const char *origin, *what;
	int	 flags;
	unsigned phys;		/* physical lines read so far */
	unsigned pending;	/* first line of the one in buf; 0 = none */
	int	 skipping;	/* continuations of a reported line */
	const char *held;	/* a line that starts the next logical line */
	size_t	 heldlen;
	unsigned heldno;
	int	 heldnul;
	struct buf buf;
};

void	cfg_lines_init(struct cfg_lines *, const char *text, size_t len,
	    const char *origin, const char *what, int flags);
int	cfg_lines_next(struct cfg_lines *, char *err, size_t errlen);
void	cfg_lines_free(struct cfg_lines *);
void	cfg_lines_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* PFH_CFG_LINES_H */
