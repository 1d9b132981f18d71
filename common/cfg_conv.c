/*
 * cfg_conv.c - scalar conversions of configuration values (pure)
 *
 * Numbers are read digit by digit with an overflow check before every
 * step, not with strtoll(), which would skip leading blanks, take a sign
 * where none is meant, and accept "0x" prefixes. The contract is in
 * cfg_conv.h.
 */
#include "sysdep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_conv.h"

#define CFG_CONV_MODE_MAX	0777

/* cfg_conv_bool - yes/no/true/false/on/off/1/0, any case */
int
cfg_conv_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* cfg_conv_int - optionally signed decimal long long */
int
cfg_conv_int(const char *s, long long *out)
{
	char *end;
	long long v;

	/* strtoll would skip leading blanks and accept "0x"; we do not. */
	if (!((*s >= '0' && *s <= '9') ||
	    ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != 0)
		return -1;
	*out = v;
	return 0;
}

/* parse_scaled - digits then a unit from units[]; overflow is an error */
static int
parse_scaled(const char *s, const char *const *units, const long long *mult,
    size_t nunits, long long *out)
{
	unsigned long long n = 0;
	const char *p = s;
	size_t i;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (unsigned long long)(LLONG_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	for (i = 0; i < nunits; i++) {
		if (strcasecmp(p, units[i]) != 0)
			continue;
		if (n > (unsigned long long)(LLONG_MAX / mult[i]))
			return -1;
		*out = (long long)n * mult[i];
		return 0;
	}
	return -1;
}

/* cfg_conv_time - "300" (seconds), "250ms", "300s", "5m", "1h", "1d", "1w" */
int
cfg_conv_time(const char *s, long long *out)
{
	static const char *const units[] = {"", "ms", "s", "m", "h", "d", "w"};
	static const long long mult[] = {1000, 1, 1000, 60000, 3600000,
	    86400000, 604800000};

	return parse_scaled(s, units, mult, nitems(units), out);
}

/* cfg_conv_size - bytes, or k/m/g multiples of 1024 */
int
cfg_conv_size(const char *s, long long *out)
{
	static const char *const units[] = {"", "k", "m", "g"};
	static const long long mult[] = {1, 1024, 1024 * 1024,
	    1024 * 1024 * 1024};

	return parse_scaled(s, units, mult, nitems(units), out);
}

/* cfg_conv_mode - octal permission bits, 0 to 0777 */
int
cfg_conv_mode(const char *s, mode_t *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p == 0)
		return -1;
	/* digit by digit: the bound is checked before it can overflow */
	for (; *p; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		v = v * 8 + (unsigned long)(*p - '0');
		if (v > CFG_CONV_MODE_MAX)
			return -1;
	}
	*out = (mode_t)v;
	return 0;
}

/* fmt_scaled - a value in the largest unit that divides it exactly */
static void
fmt_scaled(char *out, size_t outlen, long long v, const char *const *units,
    const long long *mult, size_t nunits)
{
	size_t i;

	for (i = nunits; i-- > 1;)
		if (v != 0 && v % mult[i] == 0)
			break;
	snprintf(out, outlen, "%lld%s", v / mult[i], units[i]);
}

/* cfg_conv_fmt_time - milliseconds as cfg_conv_time() reads them back */
void
cfg_conv_fmt_time(long long ms, char *out, size_t outlen)
{
	static const char *const units[] = {"ms", "s", "m", "h", "d"};
	static const long long mult[] = {1, 1000, 60000, 3600000, 86400000};

	if (ms == 0) {
		snprintf(out, outlen, "0s");
		return;
	}
	fmt_scaled(out, outlen, ms, units, mult, nitems(units));
}

/* cfg_conv_fmt_size - bytes as cfg_conv_size() reads them back */
void
cfg_conv_fmt_size(long long n, char *out, size_t outlen)
{
	static const char *const units[] = {"", "k", "m", "g"};
	static const long long mult[] = {1, 1024, 1024 * 1024,
	    1024 * 1024 * 1024};

	fmt_scaled(out, outlen, n, units, mult, nitems(units));
}

/* cfg_conv_fmt_mode - permission bits as four octal digits */
void
cfg_conv_fmt_mode(mode_t mode, char *out, size_t outlen)
{
	snprintf(out, outlen, "%04o", (unsigned)mode);
}

/* cfg_conv_list_next - the next item of a list value, NULL at its end */
const char *
cfg_conv_list_next(const char **p, size_t *len)
{
	const char *item = *p + strspn(*p, CFG_LIST_SEPS);

	if (*item == 0)
		return NULL;
	*len = strcspn(item, CFG_LIST_SEPS);
	*p = item + *len;
	return item;
}
