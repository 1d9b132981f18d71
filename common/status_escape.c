/*
 * status_escape.c - the status page's response bodies: appends and escaping
 *
 * Contract: see status_escape.h.
 */
#include "sysdep.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "status_escape.h"

/*
 * Set when a rendered body hit its cap (loop thread only). Every append
 * to a body goes through status_put, status_putn or status_putf, which
 * remember a refusal, so the handler can answer an error instead of a
 * body with holes in it.
 */
static int render_overflow;

/* status_put - append a string to a response body */
void
status_put(struct buf *b, const char *s)
{
	if (buf_puts(b, s) < 0)
		render_overflow = 1;
}

/* status_putn - append n bytes to a response body */
void
status_putn(struct buf *b, const void *s, size_t n)
{
	if (buf_append(b, s, n) < 0)
		render_overflow = 1;
}

/* status_putf - append printf-formatted text to a response body */
void
status_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(b, fmt, ap) < 0)
		render_overflow = 1;
	va_end(ap);
}

/* utf8_len - length of a valid UTF-8 sequence at s, 0 if invalid */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned c = s[0], need, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
	} else
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need + 1;
}

/* status_esc - append text escaped for HTML or a JSON string body */
void
status_esc(struct buf *b, const char *str, enum status_esc mode)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t	n;

	while (*s) {
		if ((n = utf8_len(s)) == 0) {
			status_put(b, mode == STATUS_ESC_JSON ? "\\ufffd" :
			    "\xef\xbf\xbd");
			s++;
			continue;
		}
		if (n > 1) {
			status_putn(b, s, n);
			s += n;
			continue;
		}
		if (mode == STATUS_ESC_HTML) {
			switch (*s) {
			case '&': status_put(b, "&amp;"); break;
			case '<': status_put(b, "&lt;"); break;
			case '>': status_put(b, "&gt;"); break;
			case '"': status_put(b, "&quot;"); break;
			case '\'': status_put(b, "&#39;"); break;
			default:
				if (*s < 0x20 && *s != '\t' && *s != '\n')
					status_put(b, "\xef\xbf\xbd");
				else
					status_putn(b, s, 1);
			}
		} else {
			switch (*s) {
			case '"': status_put(b, "\\\""); break;
			case '\\': status_put(b, "\\\\"); break;
			case '\n': status_put(b, "\\n"); break;
			case '\t': status_put(b, "\\t"); break;
			case '\r': status_put(b, "\\r"); break;
			default:
				if (*s < 0x20 || *s == 0x7f)
					status_putf(b, "\\u%04x", *s);
				else
					status_putn(b, s, 1);
			}
		}
		s++;
	}
}

/* status_json_str - a quoted JSON string */
void
status_json_str(struct buf *b, const char *s)
{
	status_put(b, "\"");
	status_esc(b, s, STATUS_ESC_JSON);
	status_put(b, "\"");
}

/* status_double - a float for JSON (null for NaN/Inf) or Prometheus */
void
status_double(struct buf *b, double d, int json)
{
	if (isnan(d))
		status_put(b, json ? "null" : "NaN");
	else if (isinf(d))
		status_put(b, json ? "null" : d > 0 ? "+Inf" : "-Inf");
	else if (d == floor(d) && fabs(d) < 1e15)
		status_putf(b, "%.0f", d);
	else
		status_putf(b, "%.9g", d);
}

/* status_prom_esc - label value (\\ \" \n) or HELP text (\\ \n) escaping */
void
status_prom_esc(struct buf *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			status_put(b, "\\\\");
		else if (*s == '\n')
			status_put(b, "\\n");
		else if (*s == '"' && quote)
			status_put(b, "\\\"");
		else
			status_putn(b, s, 1);
	}
}

/* status_prom_label - `name="value"`, the value escaped for /metrics */
void
status_prom_label(struct buf *b, const char *name, const char *value)
{
	status_put(b, name);
	status_put(b, "=\"");
	status_prom_esc(b, value, 1);
	status_put(b, "\"");
}

/* status_put_begin - a render starts: no refusal yet */
void
status_put_begin(void)
{
	render_overflow = 0;
}

/* status_put_overflowed - did an append since status_put_begin() hit the cap */
int
status_put_overflowed(void)
{
	return render_overflow;
}
