/*
 * sync_format.h - the table files pfhelpers-sync writes, checked as read
 *
 * Contract:
 *   sync_format_parse() - "pwfile", "identities", "policy" to the enum;
 *     -1 for anything else.
 *   sync_format_row() - appends one row (the query's columns, in order) as
 *     one line of the format to out: pwfile "LOGIN:HASH", identities
 *     "FINGERPRINT NAME[ OPTIONS]", policy "KEY POLICY". A column that
 *     cannot be written so that the reader reads it back the same (NULL
 *     where a value is needed, a line break or control character, a key
 *     that is empty, starts with a blank or '#', or holds the separator;
 *     too few or too many columns) is refused: -1 and a reason that never
 *     quotes a value (a hash may be a pasted password).
 *   sync_format_check() - parses the whole text with the reader's own
 *     table callbacks (saslauthd-lite's pwfile_hash.h, policyd-ccert's
 *     identities.h, tlsmap's tls_policy.h for `version`): 0 and the number
 *     of entries, or -1 and the reader's first error ("ORIGIN, line N:"
 *     with N the row). Duplicate keys are errors, as in the readers.
 *   sync_format_count_file() - the entries of an existing file of the
 *     format (the mass-delete baseline): 1 and *n, 0 when there is no
 *     file, -1 + err when it does not parse.
 *   sync_format_mode() - the default mode of a format's file: 0600 for a
 *     password file, 0644 for the others.
 * Pure apart from sync_format_count_file's read.
 */
#ifndef PFH_SYNC_FORMAT_H
#define PFH_SYNC_FORMAT_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

enum sync_format { SYNC_FMT_PWFILE, SYNC_FMT_IDENTITIES, SYNC_FMT_POLICY };

int	sync_format_parse(const char *name, enum sync_format *fmt_r);
const char *sync_format_name(enum sync_format);
mode_t	sync_format_mode(enum sync_format);
int	sync_format_row(enum sync_format, const char *const *cols,
	    unsigned ncols, struct buf *out, char *err, size_t errlen);
int	sync_format_check(enum sync_format, unsigned version, const char *text,
	    size_t len, const char *origin, size_t *n_r, char *err,
	    size_t errlen);
int	sync_format_count_file(enum sync_format, unsigned version,
	    const char *path, size_t *n_r, char *err, size_t errlen);

#endif /* PFH_SYNC_FORMAT_H */
