/*
 * filewatch.c - inotify on the directories of watched files (filewatch.h)
 *
 * A directory, not the file: a file renamed over the name is a new inode,
 * which a watch on the old one would never report. Each watched path is
 * an entry (directory watch descriptor + base name); a symlinked path
 * adds a second entry, for its target, under the same id.
 */
#include "sysdep.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "filewatch.h"
#include "log.h"
#include "xalloc.h"

#define WATCH_MASK	(IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
			 IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR | IN_MASK_ADD)

struct watch_entry {
	unsigned id;
	int	 wd;
	char	*name;		/* base name in the watched directory */
	filewatch_fn *fn;
	void	*ctx;
};

static struct {
	struct ev *ev;
	int	 fd;
	unsigned next_id;
	struct watch_entry *v;
	size_t	 n, cap;
} fw = {.fd = -1};

/* drop_unused_wd - no entry left in that directory: stop watching it */
static void
drop_unused_wd(int wd)
{
	size_t i;

	for (i = 0; i < fw.n; i++)
		if (fw.v[i].wd == wd)
			return;
	(void)inotify_rm_watch(fw.fd, wd);
}

static void
entry_drop(size_t i)
{
	int wd = fw.v[i].wd;

	free(fw.v[i].name);
	fw.v[i] = fw.v[--fw.n];
	drop_unused_wd(wd);
}

static void
notify_all(void)
{
	size_t i;

	/* by id: a callback may remove entries, moving others down */
	for (i = 0; i < fw.n; i++)
		fw.v[i].fn(fw.v[i].ctx, 0);
}

/* dispatch - one event to the entries it names */
static void
dispatch(const struct inotify_event *e)
{
	unsigned done[8];
	size_t i, k, ndone = 0;
	int renamed = (e->mask & IN_MOVED_TO) != 0, seen;

	if (e->mask & IN_Q_OVERFLOW) {
		log_warn("filewatch: inotify queue overflow: every watched "
		    "file is looked at again");
		notify_all();
		return;
	}
	if (e->mask & IN_IGNORED) {
		/* the directory is gone: the periodic check takes over */
		for (i = 0; i < fw.n;)
			if (fw.v[i].wd == e->wd) {
				free(fw.v[i].name);
				fw.v[i] = fw.v[--fw.n];
			} else
				i++;
		return;
	}
	if (e->len == 0)
		return;
	for (i = 0; i < fw.n; i++) {
		if (fw.v[i].wd != e->wd || strcmp(fw.v[i].name, e->name) != 0)
			continue;
		/* a path and its symlink target in one directory: once */
		for (seen = 0, k = 0; k < ndone; k++)
			seen |= done[k] == fw.v[i].id;
		if (seen)
			continue;
		if (ndone < sizeof(done) / sizeof(done[0]))
			done[ndone++] = fw.v[i].id;
		fw.v[i].fn(fw.v[i].ctx, renamed);
	}
}

static void
on_ready(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t n;
	size_t off;

	(void)ev;
	(void)events;
	(void)ctx;
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) < 0) {
			if (errno != EINTR && errno != EAGAIN)
				log_warn("filewatch: read: %m");
			if (errno != EINTR)
				return;
			continue;
		}
		if (n == 0)
			return;
		for (off = 0; off + sizeof(*e) <= (size_t)n;
		    off += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)(buf + off);
			dispatch(e);
		}
	}
}

/* watch_one - an entry for path's directory and base name */
static int
watch_one(unsigned id, const char *path, filewatch_fn *fn, void *ctx)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t dlen;
	int wd;

	if (slash == NULL) {
		strcpy(dir, ".");
		slash = path - 1;
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		if (dlen >= sizeof(dir))
			return -1;
		memcpy(dir, path, dlen);
		dir[dlen] = 0;
	}
	if (slash[1] == 0)
		return -1;
	if ((wd = inotify_add_watch(fw.fd, dir, WATCH_MASK)) < 0) {
		log_warn("filewatch: %s: %m: changes of %s are seen at the "
		    "periodic check only", dir, path);
		return -1;
	}
	if (fw.n == fw.cap) {
		fw.cap = fw.cap ? fw.cap * 2 : 8;
		fw.v = xreallocarray(fw.v, fw.cap, sizeof(*fw.v));
	}
	fw.v[fw.n].id = id;
	fw.v[fw.n].wd = wd;
	fw.v[fw.n].name = xstrdup(slash + 1);
	fw.v[fw.n].fn = fn;
	fw.v[fw.n].ctx = ctx;
	fw.n++;
	return 0;
}

unsigned
filewatch_add(struct ev *ev, const char *path, filewatch_fn *fn, void *ctx)
{
	char real[PATH_MAX];
	struct stat st;
	unsigned id;
	int ok;

	if (fw.ev != NULL && fw.ev != ev)
		log_panic("filewatch: a second event loop");
	if (fw.fd < 0) {
		if ((fw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
			log_warn("filewatch: inotify: %m: file changes are seen "
			    "at the periodic check only");
			return 0;
		}
		if (ev_fd_add(ev, fw.fd, EPOLLIN, on_ready, NULL) < 0) {
			close(fw.fd);
			fw.fd = -1;
			return 0;
		}
		fw.ev = ev;
	}
	id = ++fw.next_id;
	ok = watch_one(id, path, fn, ctx) == 0;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    realpath(path, real) != NULL && strcmp(real, path) != 0)
		ok |= watch_one(id, real, fn, ctx) == 0;
	return ok ? id : 0;
}

void
filewatch_remove(unsigned id)
{
	size_t i;

	if (id == 0)
		return;
	for (i = 0; i < fw.n;)
		if (fw.v[i].id == id)
			entry_drop(i);
		else
			i++;
}
