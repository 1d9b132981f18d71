/*
 * log.h - Postfix-style logging to syslog or stderr
 *
 * Lines look like Postfix's: "program[pid]: severity: text", with no
 * severity word for info. When stderr is systemd's stream to journald
 * (JOURNAL_STREAM names it, checked by log_init()), stderr lines leave out
 * "program[pid]: ": journald adds the unit's identifier and the pid. Severities: warning, error, fatal (exits with
 * log_fatal_status, default 1: the environment or config is wrong) and panic
 * (abort(): an internal invariant broke). %m works as in syslog(3).
 * log_debug() prints only when log_verbose > 0 (each -v adds one).
 * Thread-safe: workers may log.
 *
 * Every line is one line: whatever text went in (a client's user name, a
 * file's bytes, a library's message), log_vmsg() formats it and passes it
 * through log_sanitize() before any destination (syslog, stderr, the
 * journald "<N>" form, the capture hook) sees it. Tabs, newlines and CRs
 * come out as \t \n \r, other C0 controls, DEL and bytes that are not
 * valid UTF-8 as \xNN, C1 controls, U+2028/U+2029 and the bidi controls
 * (U+202A-U+202E, U+2066-U+2069) as \uNNNN; valid UTF-8 stays. A line's
 * text is at most LOG_LINE_MAX - 1 bytes; a longer one is cut at a
 * character (never inside an escape) and ends in LOG_TRUNCATED.
 *
 * Tests install a capture hook that sees every formatted line; with
 * log_set_fatal_hook() a fatal calls the hook (which may longjmp) instead
 * of exiting.
 */
#ifndef PFH_LOG_H
#define PFH_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_severity {
	LOG_SEV_DEBUG,
	LOG_SEV_INFO,
	LOG_SEV_WARN,
	LOG_SEV_ERROR,
	LOG_SEV_FATAL,
	LOG_SEV_PANIC,
};

#define LOG_TO_SYSLOG	1
#define LOG_TO_STDERR	2

#define LOG_LINE_MAX	2048		/* bytes of a line's text, with its NUL */
#define LOG_TRUNCATED	"...(truncated)"

extern int log_verbose;
extern int log_fatal_status;

/* log_init - program name, LOG_TO_* mask, syslog facility name ("mail") */
int	log_init(const char *progname, int dest, const char *facility);
const char *log_progname(void);
/* log_facility_valid - is this a syslog facility name we know */
int	log_facility_valid(const char *);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	log_panic(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	log_vmsg(enum log_severity, const char *, va_list) __attribute__((format(printf, 2, 0)));

/*
 * Held lines: the per-request line of a busy server without a write(2)
 * per request. log_info_held() is log_info(), except that on a thread
 * inside log_hold(1) ... log_hold(0) its stderr line waits and goes out
 * with the others held there, in one write, when the hold ends (the
 * capture hook and syslog get it at once). ev_run_once() holds around
 * the I/O callbacks of a round and ends the hold before the replies
 * queued in them are written (conn.h), so a request's line is on stderr
 * before its reply is on the wire, as when it was written at once. Any
 * other line, from any thread, fork() and exit() write the held lines
 * first: the order of the lines never changes. Holds nest.
 * log_flush() writes what is held now.
 */
void	log_info_held(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_hold(int on);
void	log_flush(void);

/*
 * log_sanitize - src[0..n) (NUL bytes included) escaped as above into dst,
 * at most len - 1 bytes and a NUL; text that does not fit is cut and ends
 * in LOG_TRUNCATED (as much of it as fits when len is tiny). Returns the
 * bytes written, the NUL not counted. For callers bounding a field of
 * their own; log lines get it anyway.
 */
size_t	log_sanitize(char *dst, size_t len, const char *src, size_t n);

typedef void log_capture_fn(enum log_severity, const char *line, void *ctx);
void	log_set_capture(log_capture_fn *, void *ctx);
/* the hook runs instead of exit()/abort(); it should not return */
void	log_set_fatal_hook(void (*)(void));

#endif /* PFH_LOG_H */
