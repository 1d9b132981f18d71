/*
 * log.c - Postfix-style logging to syslog or stderr
 */
#include "sysdep.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

int	log_verbose;
int	log_fatal_status = 1;

/*
 * The name is copied: openlog() keeps the pointer it is given, and a
 * caller's string (a config's syslog_name) may be freed by a reload.
 */
static char log_prog_buf[64] = "pfhelpers";
static const char *log_prog = log_prog_buf;
static int log_dest = LOG_TO_STDERR;
/*
 * stderr is systemd's stream to journald, which stamps every line with the
 * unit's identifier and our pid itself: our own "prog[pid]: " would appear
 * twice, in journalctl and in the syslog files it forwards to. Instead a
 * line starts with "<N>", the syslog priority, which journald takes off and
 * records (sd-daemon(3)), so `journalctl -p warning` finds our warnings.
 */
static int log_journal;
static log_capture_fn *log_capture;
static void *log_capture_ctx;
static void (*log_fatal_hook)(void);
/*
 * The pid for stderr lines, cached: getpid() is a system call glibc no
 * longer caches, and a busy daemon logs a line per request. A fork (the
 * daemon's own, or a PAM module's) clears it in the child.
 */
static long log_pid;
static pthread_once_t log_pid_once = PTHREAD_ONCE_INIT;

static void
log_pid_forget(void)
{
	__atomic_store_n(&log_pid, 0, __ATOMIC_RELAXED);
}

static void
log_pid_watch(void)
{
	(void)pthread_atfork(NULL, NULL, log_pid_forget);
}

static long
log_getpid(void)
{
	long pid = __atomic_load_n(&log_pid, __ATOMIC_RELAXED);

	(void)pthread_once(&log_pid_once, log_pid_watch);
	if (pid == 0) {
		pid = (long)getpid();
		__atomic_store_n(&log_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

static const struct {
	const char *name;
	int	facility;
} log_facilities[] = {
	{"mail", LOG_MAIL}, {"auth", LOG_AUTH}, {"authpriv", LOG_AUTHPRIV},
	{"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

static int
facility_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(log_facilities); i++)
		if (strcmp(log_facilities[i].name, name) == 0)
			return log_facilities[i].facility;
	return -1;
}

/* log_facility_valid - known syslog facility name */
int
log_facility_valid(const char *name)
{
	return facility_lookup(name) >= 0;
}

/*
 * stderr_is_journal - is fd 2 the stream systemd connected to journald
 *
 * systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of that stream; a
 * process must compare it with its own stderr, because the variable is
 * inherited by children whose stderr went elsewhere (a test harness run
 * from a unit, a redirect in a unit's shell command).
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char extra;

	if (js == NULL ||
	    sscanf(js, "%llu:%llu%c", &dev, &ino, &extra) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* log_init - choose destinations; returns -1 for an unknown facility */
int
log_init(const char *progname, int dest, const char *facility)
{
	const char *slash = strrchr(progname, '/');
	const char *name = slash ? slash + 1 : progname;
	int fac = facility_lookup(facility ? facility : "mail");
	size_t n = strlen(name);

	if (n >= sizeof(log_prog_buf))
		n = sizeof(log_prog_buf) - 1;
	/* memmove: log_init(log_progname(), ...) passes our own buffer */
	memmove(log_prog_buf, name, n);
	log_prog_buf[n] = 0;
	log_dest = dest;
	/* once here, not per line (server.c calls again after moving fd 2) */
	log_journal = (dest & LOG_TO_STDERR) && stderr_is_journal();
	if (fac < 0)
		return -1;
	if (dest & LOG_TO_SYSLOG)
		openlog(log_prog, LOG_PID | LOG_NDELAY, fac);
	return 0;
}

/* log_progname - the name lines are logged under */
const char *
log_progname(void)
{
	return log_prog;
}

static const char *const sev_word[] = {
	[LOG_SEV_DEBUG] = "", [LOG_SEV_INFO] = "",
	[LOG_SEV_WARN] = "warning: ", [LOG_SEV_ERROR] = "error: ",
	[LOG_SEV_FATAL] = "fatal: ", [LOG_SEV_PANIC] = "panic: ",
};

static const int sev_prio[] = {
	[LOG_SEV_DEBUG] = LOG_DEBUG, [LOG_SEV_INFO] = LOG_INFO,
	[LOG_SEV_WARN] = LOG_WARNING, [LOG_SEV_ERROR] = LOG_ERR,
	[LOG_SEV_FATAL] = LOG_CRIT, [LOG_SEV_PANIC] = LOG_CRIT,
};

/*
 * Sanitizing. A log line is one line of text whatever went into it: a
 * client's user name, a file's bytes, a library's message. Escapes:
 * \t \n \r by name, other C0 controls, DEL and bytes that are not part
 * of valid UTF-8 as \xNN, code points that end or reorder a line in a
 * viewer (C1 controls, U+2028/9, the bidi embeddings, overrides and
 * isolates) as \uNNNN. A backslash stays as it is: the escapes keep a
 * line readable and single, they are not meant to be reversed.
 */

/* utf8_char - length of the valid UTF-8 sequence at s (1-4), 0 if invalid; *cp its code point */
static size_t
utf8_char(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t	len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		if (c == 0xed)
			hi = 0x9f;		/* surrogates */
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		if (c == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
		c &= 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80, hi = 0xbf;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/* log_escaped_cp - a code point the sanitizer writes as \uNNNN */
static int
log_escaped_cp(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* log_clean - log_sanitize, and with `cut` set the marker even if all fits */
static size_t
log_clean(char *dst, size_t len, const char *src, size_t n, int cut)
{
	static const char hex[] = "0123456789abcdef";
	const size_t mlen = sizeof(LOG_TRUNCATED) - 1;
	const unsigned char *s = (const unsigned char *)src;
	size_t	out = 0, room, mark = 0, i = 0, k;
	char	rep[8];
	const char *r;
	size_t	rlen, used;
	unsigned cp;

	if (len == 0)
		return 0;
	room = len - 1;
	while (i < n) {
		used = utf8_char(s + i, n - i, &cp);
		r = rep;
		if (used == 0 || (used == 1 && (cp < 0x20 || cp == 0x7f))) {
			if (used == 0)
				cp = s[i];
			used = 1;
			if (cp == '\t' || cp == '\n' || cp == '\r') {
				rep[0] = '\\';
				rep[1] = cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r';
				rlen = 2;
			} else {
				rep[0] = '\\', rep[1] = 'x';
				rep[2] = hex[cp >> 4], rep[3] = hex[cp & 15];
				rlen = 4;
			}
		} else if (log_escaped_cp(cp)) {
			rep[0] = '\\', rep[1] = 'u';
			for (k = 0; k < 4; k++)
				rep[2 + k] = hex[(cp >> (12 - 4 * k)) & 15];
			rlen = 6;
		} else {
			r = src + i;
			rlen = used;
		}
		if (out + rlen > room) {
			cut = 1;
			break;
		}
		memcpy(dst + out, r, rlen);
		out += rlen;
		i += used;
		/* the last place the marker still fits after */
		if (out + mlen <= room)
			mark = out;
	}
	if (cut) {
		if (out + mlen > room)
			out = mark;
		rlen = mlen < room - out ? mlen : room - out;
		memcpy(dst + out, LOG_TRUNCATED, rlen);
		out += rlen;
	}
	dst[out] = 0;
	return out;
}

/* log_sanitize - src[0..n) as one safe, bounded line of text in dst */
size_t
log_sanitize(char *dst, size_t len, const char *src, size_t n)
{
	return log_clean(dst, len, src, n, 0);
}

/* log_vmsg - format once, sanitize, then send to each destination */
void
log_vmsg(enum log_severity sev, const char *fmt, va_list ap)
{
	int	saved = errno, n;
	char	raw[LOG_LINE_MAX * 2], text[LOG_LINE_MAX];
	size_t	rawlen;

	if (sev == LOG_SEV_DEBUG && log_verbose <= 0)
		return;
	errno = saved;
	/* glibc's vsnprintf expands %m, like syslog(3) does */
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		n = 0;
	rawlen = (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	/* every destination, the capture hook included, sees this text only */
	(void)log_clean(text, sizeof(text), raw, rawlen,
	    (size_t)n >= sizeof(raw));
	if (log_capture)
		log_capture(sev, text, log_capture_ctx);
	if (log_dest & LOG_TO_SYSLOG)
		syslog(sev_prio[sev], "%s%s", sev_word[sev], text);
	if ((log_dest & LOG_TO_STDERR) && log_journal)
		fprintf(stderr, "<%d>%s%s\n", sev_prio[sev], sev_word[sev],
		    text);
	else if (log_dest & LOG_TO_STDERR)
		fprintf(stderr, "%s[%ld]: %s%s\n", log_prog, log_getpid(),
		    sev_word[sev], text);
	errno = saved;
}

#define LOG_FN(name, sev) \
void \
name(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	log_vmsg(sev, fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_debug, LOG_SEV_DEBUG)
LOG_FN(log_info, LOG_SEV_INFO)
LOG_FN(log_warn, LOG_SEV_WARN)
LOG_FN(log_error, LOG_SEV_ERROR)

/* log_fatal - environment or configuration error: log and exit */
void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_SEV_FATAL, fmt, ap);
	va_end(ap);
	if (log_fatal_hook)
		log_fatal_hook();
	exit(log_fatal_status);
}

/* log_panic - broken invariant: log and dump core */
void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_SEV_PANIC, fmt, ap);
	va_end(ap);
	if (log_fatal_hook)
		log_fatal_hook();
	abort();
}

/* log_set_capture - tests see every line */
void
log_set_capture(log_capture_fn *fn, void *ctx)
{
	log_capture = fn;
	log_capture_ctx = ctx;
}

/* log_set_fatal_hook - tests turn fatal/panic into a longjmp */
void
log_set_fatal_hook(void (*fn)(void))
{
	log_fatal_hook = fn;
}
