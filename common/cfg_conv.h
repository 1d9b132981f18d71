/*
 * cfg_conv.h - scalar conversions of configuration values (pure)
 *
 * The text forms cfg.h's parameter types take, and back, in one place, as
 * Postfix keeps conv_time() apart from mail_conf: cfg_apply() parses with
 * these, cfg_dump() and error messages format with them, and what a
 * formatter writes its parser reads back to the same value.
 *
 * Contract:
 *   cfg_conv_bool() - yes/no/true/false/on/off/1/0, any case.
 *   cfg_conv_int() - optionally signed decimal; no blanks, no "0x".
 *   cfg_conv_time() - milliseconds from a number with an optional unit:
 *     "" (seconds), "ms", "s", "m", "h", "d", "w", any case.
 *   cfg_conv_size() - bytes from a number with an optional unit:
 *     "" (bytes), "k", "m", "g" (multiples of 1024), any case.
 *   cfg_conv_mode() - permission bits from octal digits only (leading
 *     zeros allowed), 0 to 0777.
 *   cfg_conv_fmt_time(), cfg_conv_fmt_size() - the largest unit that
 *     divides the value exactly ("5m", "64k"; 0 ms is "0s").
 *   cfg_conv_fmt_mode() - four octal digits ("0660").
 *   cfg_conv_list_next() - walks a list value ("listen = unix:/a,
 *     inet:10030", "maps = ...", "mechanisms = pwfile pam"): its items are
 *     separated by blanks, newlines and commas (CFG_LIST_SEPS), any number
 *     of them. From *p it skips separators and returns the next item, not
 *     NUL-terminated, its length in *len, with *p moved past it; NULL at
 *     the end of the list. It does not look inside the item.
 * Errors: parsers return 0, or -1 for bad syntax or overflow and then
 *   leave *out untouched. Formatters truncate to outlen like snprintf.
 */
#ifndef PFH_CFG_CONV_H
#define PFH_CFG_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int	cfg_conv_bool(const char *text, bool *out);
int	cfg_conv_int(const char *text, long long *out);
int	cfg_conv_time(const char *text, long long *ms_out);
int	cfg_conv_size(const char *text, long long *bytes_out);
int	cfg_conv_mode(const char *text, mode_t *mode_out);

void	cfg_conv_fmt_time(long long ms, char *out, size_t outlen);
void	cfg_conv_fmt_size(long long bytes, char *out, size_t outlen);
void	cfg_conv_fmt_mode(mode_t mode, char *out, size_t outlen);

#define CFG_LIST_SEPS	" \t\r\n,"

const char *cfg_conv_list_next(const char **p, size_t *len);

#endif /* PFH_CFG_CONV_H */
