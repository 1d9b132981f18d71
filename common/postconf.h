/*
 * postconf.h - run postconf(1), or a program like it, with a time limit
 *
 * Contract: postconf_find() looks for a program: a name with a '/' is used
 *   as is (it must be an executable regular file); a bare name is looked
 *   for in $PATH (empty entries, meaning ".", are skipped: a daemon has no
 *   business there), then in /usr/sbin and /sbin, where Debian installs
 *   postconf and which a service's PATH often lacks. 0 and the program in
 *   path, or -1 and reason ("X is not an executable file", "X not in PATH,
 *   /usr/sbin or /sbin").
 * postconf_run() runs path with the NULL-terminated args (argv[0] is
 *   path) and no shell: spawned directly, stdin /dev/null, stdout and
 *   stderr read through pipes, in its own process group with an empty
 *   signal mask and default SIGHUP, SIGINT, SIGTERM and SIGPIPE (the
 *   daemons block or ignore those, and a child would inherit that). It is
 *   given timeout_ms to exit; after that its whole process group is killed
 *   (a wrapper script and whatever it started). Either way it is reaped
 *   before this returns. 0 when it exited with status 0: all it printed on
 *   stdout, NUL-terminated, in out (what does not fit in outlen is read
 *   and dropped). -1 otherwise, and reason is one sentence naming the
 *   command: it could not be run, did not finish in time (killed), exited
 *   with a status (with the first line of its stderr) or was killed by a
 *   signal.
 * postconf_first_line() cuts s at its first line break and trims blanks
 *   on both ends, in place; it returns the start of what is left.
 * Blocking: postconf_run() waits up to timeout_ms. Call it at start or
 *   from a command, never from an event-loop callback.
 */
#ifndef PFH_POSTCONF_H
#define PFH_POSTCONF_H

#include <stddef.h>

int	postconf_find(const char *name, char *path, size_t pathlen,
	    char *reason, size_t rlen);
int	postconf_run(const char *path, const char *const *args,
	    long long timeout_ms, char *out, size_t outlen, char *reason,
	    size_t rlen);
char   *postconf_first_line(char *s);

#endif /* PFH_POSTCONF_H */
