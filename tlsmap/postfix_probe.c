/*
 * postfix_probe.c - the version of the Postfix installed on this host
 *
 * Why ask postconf rather than trust postfix_version: the target is what
 * tlsmap validates against, but smtp(8) is what parses the answer, and a
 * target newer than it lets through attributes it defers mail on
 * ("invalid attribute name", 4.7.5). postconf is the one program every
 * Postfix install has that prints its version without a running system.
 *
 * Why posix_spawn and our own path search: no shell (postconf_command is
 * one program, not a command line), and the daemon runs with SIGHUP,
 * SIGTERM and SIGINT blocked and SIGPIPE ignored, which a child would
 * otherwise inherit. Its own process group lets a timeout kill a wrapper
 * script and whatever it started.
 */
#include "sysdep.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "postfix_probe.h"
#include "tls_policy.h"

extern char **environ;

/* Searched after $PATH: where Debian and most systems install postconf. */
static const char *const extra_dirs[] = {"/usr/sbin", "/sbin"};

#define OUT_MAX	256		/* mail_version is a few bytes */
#define ERR_MAX	512

/* is_program - a regular file we may execute */
static int
is_program(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* try_dir - dir/name into path if it is a program */
static int
try_dir(const char *dir, size_t dlen, const char *name, char *path,
    size_t len)
{
	int n;

	/* an empty $PATH entry means "."; a daemon has no business there */
	if (dlen == 0)
		return 0;
	n = snprintf(path, len, "%.*s/%s", (int)dlen, dir, name);
	return n > 0 && (size_t)n < len && is_program(path);
}

/* find_program - $PATH, then the sbin directories; 0 found, -1 not */
static int
find_program(const char *name, char *path, size_t len)
{
	const char *p = getenv("PATH"), *colon;
	size_t i;

	for (; p != NULL && *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		if (try_dir(p, (size_t)(colon - p), name, path, len))
			return 0;
	}
	for (i = 0; i < nitems(extra_dirs); i++)
		if (try_dir(extra_dirs[i], strlen(extra_dirs[i]), name, path,
		    len))
			return 0;
	return -1;
}

/* now_ms - monotonic clock */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* spawn - start path with stdout and stderr on pipes; -1 + errno */
static pid_t
spawn(const char *path, int *out_r, int *err_r)
{
	char *const argv[] = {(char *)path, (char *)"-d", (char *)"-h",
	    (char *)"mail_version", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, deflt;
	int out[2], errp[2], rc;
	pid_t pid = -1;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		rc = errno;
		close(out[0]);
		close(out[1]);
		errno = rc;
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &deflt);
	rc = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	close(errp[1]);
	if (rc != 0) {
		close(out[0]);
		close(errp[0]);
		errno = rc;
		return -1;
	}
	*out_r = out[0];
	*err_r = errp[0];
	return pid;
}

/* drain - read what is there into b (excess discarded); 0 at EOF */
static int
drain(int fd, char *b, size_t *len, size_t max)
{
	char tmp[512];
	ssize_t n;
	size_t room;

	n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	room = max - 1 - *len;
	if ((size_t)n < room)
		room = (size_t)n;
	memcpy(b + *len, tmp, room);
	*len += room;
	b[*len] = 0;
	return 1;
}

/*
 * run - spawn path, collect stdout and stderr, reap it within timeout_ms.
 * 0 and the wait status, or -1 with reason (could not run, or timed out).
 */
static int
run(const char *path, long long timeout_ms, char *out, char *errout,
    int *status_r, char *reason, size_t rlen)
{
	long long deadline = now_ms() + timeout_ms, left;
	size_t olen = 0, elen = 0;
	struct pollfd pf[2];
	int fds[2], open_fds = 2, i, timed_out = 0;
	pid_t pid, w;

	out[0] = errout[0] = 0;
	if ((pid = spawn(path, &fds[0], &fds[1])) < 0) {
		snprintf(reason, rlen, "cannot run %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (open_fds > 0) {
		if ((left = deadline - now_ms()) <= 0) {
			timed_out = 1;
			break;
		}
		for (i = 0; i < 2; i++) {
			pf[i].fd = fds[i];
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			timed_out = 1;	/* cannot wait: treat as a hang */
			break;
		}
		for (i = 0; i < 2; i++) {
			if (fds[i] < 0 || pf[i].revents == 0)
				continue;
			if (!drain(fds[i], i == 0 ? out : errout,
			    i == 0 ? &olen : &elen, i == 0 ? OUT_MAX :
			    ERR_MAX)) {
				close(fds[i]);
				fds[i] = -1;	/* poll() ignores it */
				open_fds--;
			}
		}
	}
	/* both pipes closed: the program is exiting, or it closed them */
	while (!timed_out) {
		if ((w = waitpid(pid, status_r, WNOHANG)) == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(reason, rlen, "waitpid %s: %s", path,
			    strerror(errno));
			kill(-pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			goto fail;
		}
		if (now_ms() >= deadline)
			timed_out = 1;
		else
			(void)poll(NULL, 0, 10);
	}
	if (timed_out) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(reason, rlen, "%s -d -h mail_version did not finish "
		    "within %lld ms (killed)", path, timeout_ms);
		goto fail;
	}
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
fail:
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return -1;
}

/* first_line - cut at the first newline, trim; for messages */
static char *
first_line(char *s)
{
	size_t n;

	s[strcspn(s, "\r\n")] = 0;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* parse_version - "3.7.11", "3.11-20250620", "3.10.0-RC1" -> version */
static int
parse_version(const char *text, unsigned *version_r)
{
	char num[32];
	size_t n = 0;
	int dots = 0;

	/* digits and at most two dots; the rest is a snapshot or RC tag */
	while (n < sizeof(num) - 1 && (isdigit((unsigned char)text[n]) ||
	    (text[n] == '.' && dots < 2 && n > 0 &&
	    isdigit((unsigned char)text[n + 1])))) {
		if (text[n] == '.')
			dots++;
		num[n] = text[n];
		n++;
	}
	num[n] = 0;
	if (text[n] != 0 && text[n] != '-' && text[n] != '.')
		return -1;
	return tls_policy_version_parse(num, version_r);
}

/* postfix_probe - find and run postconf; the outcome in *res */
void
postfix_probe(const char *command, long long timeout_ms,
    struct postfix_probe *res)
{
	char out[OUT_MAX], errout[ERR_MAX], *line;
	int status;

	memset(res, 0, sizeof(*res));
	if (*command == 0) {
		res->status = PROBE_OFF;
		snprintf(res->reason, sizeof(res->reason),
		    "postconf_command is empty");
		return;
	}
	if (strchr(command, '/') != NULL) {
		if (!is_program(command)) {
			res->status = PROBE_NONE;
			snprintf(res->reason, sizeof(res->reason),
			    "%s is not an executable file", command);
			return;
		}
		snprintf(res->path, sizeof(res->path), "%s", command);
	} else if (find_program(command, res->path, sizeof(res->path)) < 0) {
		res->status = PROBE_NONE;
		snprintf(res->reason, sizeof(res->reason),
		    "%s not in PATH, /usr/sbin or /sbin", command);
		res->path[0] = 0;
		return;
	}
	res->status = PROBE_FAILED;
	if (run(res->path, timeout_ms, out, errout, &status, res->reason,
	    sizeof(res->reason)) < 0)
		return;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		line = first_line(errout);
		if (WIFEXITED(status))
			snprintf(res->reason, sizeof(res->reason), "%s -d -h "
			    "mail_version exited with status %d%s%.300s",
			    res->path, WEXITSTATUS(status), *line ? ": " : "",
			    line);
		else
			snprintf(res->reason, sizeof(res->reason), "%s -d -h "
			    "mail_version was killed by signal %d", res->path,
			    WTERMSIG(status));
		return;
	}
	line = first_line(out);
	if (parse_version(line, &res->version) < 0) {
		snprintf(res->reason, sizeof(res->reason), "%s -d -h "
		    "mail_version printed \"%.64s\", not a Postfix version",
		    res->path, line);
		return;
	}
	snprintf(res->mail_version, sizeof(res->mail_version), "%s", line);
	res->status = PROBE_FOUND;
}
