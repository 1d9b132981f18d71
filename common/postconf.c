/*
 * postconf.c - run postconf(1), or a program like it, with a time limit
 *
 * Why posix_spawn and our own path search: no shell (the program is one
 * name, not a command line), and the daemons run with SIGHUP, SIGTERM and
 * SIGINT blocked and SIGPIPE ignored, which a child would otherwise
 * inherit. Its own process group lets a timeout kill a wrapper script and
 * whatever it started.
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
#include <unistd.h>

#include "ev.h"
#include "postconf.h"
#include "xalloc.h"

extern char **environ;

/* Searched after $PATH: where Debian and most systems install postconf. */
static const char *const extra_dirs[] = {"/usr/sbin", "/sbin"};

#define ERR_MAX	512		/* of stderr, for the reason */

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

	/*
	 * an empty $PATH entry means ".", a relative one is relative to the
	 * working directory: a daemon (still root here) has no business there
	 */
	if (dlen == 0 || dir[0] != '/')
		return 0;
	n = snprintf(path, len, "%.*s/%s", (int)dlen, dir, name);
	return n > 0 && (size_t)n < len && is_program(path);
}

/* postconf_find - name as is, or in $PATH, then the sbin directories */
int
postconf_find(const char *name, char *path, size_t pathlen, char *reason,
    size_t rlen)
{
	const char *p = getenv("PATH"), *colon;
	size_t i;

	if (strchr(name, '/') != NULL) {
		if (!is_program(name)) {
			snprintf(reason, rlen, "%s is not an executable file",
			    name);
			return -1;
		}
		snprintf(path, pathlen, "%s", name);
		return 0;
	}
	for (; p != NULL && *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		if (try_dir(p, (size_t)(colon - p), name, path, pathlen))
			return 0;
	}
	for (i = 0; i < nitems(extra_dirs); i++)
		if (try_dir(extra_dirs[i], strlen(extra_dirs[i]), name, path,
		    pathlen))
			return 0;
	path[0] = 0;
	snprintf(reason, rlen, "%s not in PATH, /usr/sbin or /sbin", name);
	return -1;
}

/* spawn - start argv with stdout and stderr on pipes; -1 + errno */
static pid_t
spawn(char *const argv[], int *out_r, int *err_r)
{
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
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
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

/* command_line - path and args, space-separated, for messages */
static void
command_line(const char *path, const char *const *args, char *cmd,
    size_t len)
{
	size_t n;

	snprintf(cmd, len, "%s", path);
	for (; *args != NULL; args++) {
		n = strlen(cmd);
		snprintf(cmd + n, len - n, " %s", *args);
	}
}

/*
 * collect - read stdout and stderr until both close, then reap pid, all
 * by the deadline; 0 and the wait status, or -1 with reason (pid killed
 * and reaped)
 */
static int
collect(pid_t pid, int fds[2], uint64_t deadline, char *out, size_t outlen,
    char *errout, int *status_r, const char *cmd, long long timeout_ms,
    char *reason, size_t rlen)
{
	size_t olen = 0, elen = 0;
	struct pollfd pf[2];
	int open_fds = 2, i, timed_out = 0;
	uint64_t now;
	pid_t w;

	while (open_fds > 0) {
		if ((now = ev_monotonic_ms()) >= deadline) {
			timed_out = 1;
			break;
		}
		for (i = 0; i < 2; i++) {
			pf[i].fd = fds[i];
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, 2, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			timed_out = 1;	/* cannot wait: treat as a hang */
			break;
		}
		for (i = 0; i < 2; i++) {
			if (fds[i] < 0 || pf[i].revents == 0)
				continue;
			if (!drain(fds[i], i == 0 ? out : errout,
			    i == 0 ? &olen : &elen, i == 0 ? outlen :
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
			return 0;
		if (w < 0 && errno != EINTR) {
			snprintf(reason, rlen, "waitpid %s: %s", cmd,
			    strerror(errno));
			kill(-pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			return -1;
		}
		if (ev_monotonic_ms() >= deadline)
			timed_out = 1;
		else
			(void)poll(NULL, 0, 10);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	snprintf(reason, rlen, "%s did not finish within %lld ms (killed)",
	    cmd, timeout_ms);
	return -1;
}

/* postconf_run - run path with args, its stdout within timeout_ms */
int
postconf_run(const char *path, const char *const *args, long long timeout_ms,
    char *out, size_t outlen, char *reason, size_t rlen)
{
	char errout[ERR_MAX], cmd[768], **argv, *line;
	size_t n, i;
	int fds[2], status, rc;
	pid_t pid;

	out[0] = errout[0] = 0;
	command_line(path, args, cmd, sizeof(cmd));
	for (n = 0; args[n] != NULL; n++)
		;
	argv = xcalloc(n + 2, sizeof(*argv));
	argv[0] = (char *)path;
	for (i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	pid = spawn(argv, &fds[0], &fds[1]);
	free(argv);
	if (pid < 0) {
		snprintf(reason, rlen, "cannot run %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;
	rc = collect(pid, fds, ev_monotonic_ms() + (uint64_t)timeout_ms, out,
	    outlen, errout, &status, cmd, timeout_ms, reason, rlen);
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	line = postconf_first_line(errout);
	if (WIFEXITED(status))
		snprintf(reason, rlen, "%s exited with status %d%s%.300s", cmd,
		    WEXITSTATUS(status), *line ? ": " : "", line);
	else
		snprintf(reason, rlen, "%s was killed by signal %d", cmd,
		    WTERMSIG(status));
	return -1;
}

/* postconf_first_line - cut at the first line break, trim */
char *
postconf_first_line(char *s)
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
