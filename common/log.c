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

static const char *log_prog = "pfhelpers";
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
	int fac = facility_lookup(facility ? facility : "mail");

	log_prog = slash ? slash + 1 : progname;
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

/* log_vmsg - format once, then send to each destination */
void
log_vmsg(enum log_severity sev, const char *fmt, va_list ap)
{
	int saved = errno;
	char text[2048];

	if (sev == LOG_SEV_DEBUG && log_verbose <= 0)
		return;
	errno = saved;
	/* glibc's vsnprintf expands %m, like syslog(3) does */
	vsnprintf(text, sizeof(text), fmt, ap);
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
