/*
 * pidfile.h - the pid file
 *
 * pidfile_create() writes our pid to path, holding an exclusive lock on it
 * for the life of the process; if another live process holds the lock it
 * fails with a clear reason. It runs as root, so it trusts nothing at the
 * path: the directory must pass trustdir_check() (owned by root, us or the
 * run user run_uid/run_gid, -1 when none; writable by nobody else); the
 * file is opened without following a symbolic link and without truncating,
 * and must be a regular file we own with no other hard link before it is
 * locked and only then truncated. Any of these failing refuses the start
 * with the reason; nothing that was there is changed.
 * pidfile_remove() unlinks it at exit, through the directory opened at
 * create time and only while the name still refers to the file we wrote:
 * a file or link put in its place is left alone.
 */
#ifndef PFH_PIDFILE_H
#define PFH_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

int	pidfile_create(const char *path, uid_t run_uid, gid_t run_gid,
	    char *err, size_t errlen);
void	pidfile_remove(void);

#endif /* PFH_PIDFILE_H */
