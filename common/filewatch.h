/*
 * filewatch.h - tell the loop at once when a watched file is replaced
 *
 * Contract: filewatch_add() watches one path through inotify on its
 * directory (and, when the path is a symlink, on its target's directory
 * too), so an atomic replacement (a new file renamed over the name, as a
 * sync agent, postmap-style tools and `mv` do it) is seen the moment it
 * happens, not at the next periodic check. fn(ctx, renamed) runs on the
 * loop thread: renamed is 1 when a complete file was renamed in (it can
 * be loaded now), 0 for any other change of the name (written and closed,
 * chmod/chown, removed), which the caller treats as its periodic check
 * would (an in-place edit still waits for the file to settle). Watch
 * events the kernel dropped (queue overflow) call every fn with 0.
 * A file is still only a file: this never replaces the periodic check,
 * which catches what inotify cannot see (a file on NFS, a symlink
 * re-pointed in a directory not watched, a watch the kernel refused).
 *
 * One inotify descriptor per loop, made on the first filewatch_add();
 * directories are watched once however many paths they hold. Everything
 * runs on the loop thread. filewatch_remove() may be called from fn.
 */
#ifndef PFH_FILEWATCH_H
#define PFH_FILEWATCH_H

struct ev;

typedef void filewatch_fn(void *ctx, int renamed);

/* filewatch_add - watch path; an id > 0, or 0 when inotify refused it */
unsigned filewatch_add(struct ev *, const char *path, filewatch_fn *,
	    void *ctx);
/* filewatch_remove - stop calling fn for this id (0 is ignored) */
void	filewatch_remove(unsigned id);

#endif /* PFH_FILEWATCH_H */
