/*
 * status_escape.h - the status page's response bodies: appends and escaping
 *
 * Every byte of a rendered page goes into a struct buf (buf.h, created
 * with the page's size cap) through status_put(), status_putn() or
 * status_putf(). The buf refuses to grow past its cap; these remember the
 * refusal, so the HTTP side answers an error rather than a body with holes
 * in it: status_put_begin() clears the mark before a render,
 * status_put_overflowed() reads it after.
 *
 * Text from a daemon is escaped for the output it lands in:
 *   status_esc()        HTML text or a JSON string body; invalid UTF-8
 *                       becomes U+FFFD (so the JSON always parses),
 *                       controls other than tab and newline too in HTML
 *   status_json_str()   a quoted JSON string
 *   status_prom_esc()   a Prometheus label value (quote 1: \\ \" \n) or
 *                       HELP text (quote 0: \\ \n)
 *   status_prom_label() `name="value"`, the value escaped as above
 *   status_double()     a float for JSON (null for NaN and Inf) or
 *                       Prometheus (NaN, +Inf, -Inf)
 * Loop thread only (the overflow mark is one per process).
 */
#ifndef PFH_STATUS_ESCAPE_H
#define PFH_STATUS_ESCAPE_H

#include <stddef.h>

struct buf;

enum status_esc { STATUS_ESC_HTML, STATUS_ESC_JSON };

void	status_put(struct buf *, const char *);
void	status_putn(struct buf *, const void *, size_t);
void	status_putf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	status_put_begin(void);
int	status_put_overflowed(void);

void	status_esc(struct buf *, const char *, enum status_esc);
void	status_json_str(struct buf *, const char *);
void	status_prom_esc(struct buf *, const char *, int quote);
void	status_prom_label(struct buf *, const char *name, const char *value);
void	status_double(struct buf *, double, int json);

#endif /* PFH_STATUS_ESCAPE_H */
