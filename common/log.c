/*
 * log.c - Postfix-style logging to syslog or stderr
 */
#include "sysdep.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

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

/*
 * printable_run - how many bytes at s are printable ASCII (0x20-0x7e),
 * eight at a time: a word with none below 0x20 (the borrow test) and none
 * at 0x7f or above (the carry test, or the top bit itself) is all
 * printable. Either test may also flag bytes after a real hit, never miss
 * one; a flagged word is looked at byte by byte.
 */
static size_t
printable_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;
	size_t	i = 0;
	uint64_t x;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		if ((((x - 0x20 * ones) & ~x) | (x + ones) | x) & tops)
			break;
	}
	while (i < n && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	return i;
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
		/*
		 * A run of printable ASCII, most of any line, goes in one
		 * copy: each byte is a whole character that stays as it is,
		 * so the cut and the marker's place come out as they would
		 * byte by byte.
		 */
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			size_t end = i + printable_run(s + i, n - i), fit;

			fit = end - i;
			if (out + fit > room)
				fit = room - out;
			memcpy(dst + out, src + i, fit);
			if (fit > 0 && room >= mlen && out + 1 <= room - mlen)
				mark = out + fit < room - mlen ? out + fit :
				    room - mlen;
			out += fit;
			i += fit;
			if (i < end) {
				cut = 1;
				break;
			}
			continue;
		}
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

/*
 * Held lines (log_info_held). While a thread holds (log_hold(), the event
 * loop around its I/O callbacks), its held lines wait in log_held and go
 * out together, with one write(2), when the hold ends: a busy server then
 * writes its per-request lines once per loop round, not once per request.
 * Any other line, from any thread, writes the held ones first, and so do
 * fork() (no child writes its parent's lines again) and exit(), so the
 * order of the lines on stderr is the order they were logged in.
 */
static pthread_mutex_t log_held_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_held[16384];
static size_t log_held_len;
static __thread unsigned log_hold_depth;
static pthread_once_t log_held_once = PTHREAD_ONCE_INIT;

/* write_all - n bytes to stderr, as far as it takes them */
static void
write_all(const char *p, size_t n)
{
	size_t	k;
	ssize_t	r;

	for (k = 0; k < n; k += (size_t)r) {
		r = write(STDERR_FILENO, p + k, n - k);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r <= 0)
			break;
	}
}

/* held_write - the held lines out; log_held_mu held */
static void
held_write(void)
{
	if (log_held_len == 0)
		return;
	write_all(log_held, log_held_len);
	__atomic_store_n(&log_held_len, 0, __ATOMIC_RELAXED);
}

static void
held_fork_prepare(void)
{
	pthread_mutex_lock(&log_held_mu);
	held_write();
}

static void
held_fork_parent(void)
{
	pthread_mutex_unlock(&log_held_mu);
}

static void
held_fork_child(void)
{
	log_held_len = 0;
	log_hold_depth = 0;
	pthread_mutex_unlock(&log_held_mu);
}

static void
log_held_watch(void)
{
	(void)pthread_atfork(held_fork_prepare, held_fork_parent,
	    held_fork_child);
	(void)atexit(log_flush);
}

/*
 * stderr_line - the stderr form of a line, built by hand (what fprintf()
 * to the unbuffered stderr wrote, without formatting it once more) and
 * written with one write(2), or held (hold, on a holding thread)
 */
static void
stderr_line(enum log_severity sev, const char *text, size_t textlen,
    int hold)
{
	char	line[LOG_LINE_MAX + sizeof(log_prog_buf) + 64];
	struct text t;
	size_t	n;

	/* one byte kept for the newline */
	text_init(&t, line, sizeof(line) - 1);
	if (log_journal) {
		text_lit(&t, "<");
		text_u64(&t, (uint64_t)sev_prio[sev]);
		text_lit(&t, ">");
	} else {
		text_str(&t, log_prog);
		text_lit(&t, "[");
		text_u64(&t, (uint64_t)log_getpid());
		text_lit(&t, "]: ");
	}
	text_str(&t, sev_word[sev]);
	text_add(&t, text, textlen);
	n = t.len;
	line[n++] = '\n';
	if (!hold && __atomic_load_n(&log_held_len, __ATOMIC_RELAXED) == 0) {
		write_all(line, n);	/* nothing held: nothing to keep in order */
		return;
	}
	pthread_mutex_lock(&log_held_mu);
	if (!hold || log_held_len + n > sizeof(log_held))
		held_write();		/* the older lines first */
	if (hold) {
		memcpy(log_held + log_held_len, line, n);
		__atomic_store_n(&log_held_len, log_held_len + n,
		    __ATOMIC_RELAXED);
	} else
		write_all(line, n);
	pthread_mutex_unlock(&log_held_mu);
}

/* log_hold - see log.h */
void
log_hold(int on)
{
	if (on) {
		(void)pthread_once(&log_held_once, log_held_watch);
		log_hold_depth++;
		return;
	}
	if (log_hold_depth > 0 && --log_hold_depth == 0)
		log_flush();
}

/* log_flush - write the held lines now */
void
log_flush(void)
{
	if (__atomic_load_n(&log_held_len, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&log_held_mu);
	held_write();
	pthread_mutex_unlock(&log_held_mu);
}

/* log_emit - format once, sanitize, then send to each destination */
static void
log_emit(enum log_severity sev, int hold, const char *fmt, va_list ap)
{
	int	saved = errno, n;
	char	raw[LOG_LINE_MAX * 2], text[LOG_LINE_MAX];
	const char *src = raw;
	size_t	rawlen, textlen;
	int	cut;

	if (sev == LOG_SEV_DEBUG && log_verbose <= 0)
		return;
	errno = saved;
	if (strcmp(fmt, "%s") == 0) {
		/* a line made by the caller: sanitized from where it is */
		if ((src = va_arg(ap, const char *)) == NULL)
			src = "(null)";		/* as glibc prints it */
		rawlen = strlen(src);
		cut = 0;
	} else {
		/* glibc's vsnprintf expands %m, like syslog(3) does */
		n = vsnprintf(raw, sizeof(raw), fmt, ap);
		if (n < 0)
			n = 0;
		rawlen = (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
		cut = (size_t)n >= sizeof(raw);
	}
	/* every destination, the capture hook included, sees this text only */
	textlen = log_clean(text, sizeof(text), src, rawlen, cut);
	if (log_capture)
		log_capture(sev, text, log_capture_ctx);
	if (log_dest & LOG_TO_SYSLOG)
		syslog(sev_prio[sev], "%s%s", sev_word[sev], text);
	if (log_dest & LOG_TO_STDERR)
		stderr_line(sev, text, textlen, hold && log_hold_depth > 0);
	errno = saved;
}

/* log_vmsg - one line, written at once */
void
log_vmsg(enum log_severity sev, const char *fmt, va_list ap)
{
	log_emit(sev, 0, fmt, ap);
}

/* log_info_held - see log.h */
void
log_info_held(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_SEV_INFO, 1, fmt, ap);
	va_end(ap);
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
