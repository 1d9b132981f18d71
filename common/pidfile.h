/*
 * pidfile.h - the pid file
 *
 * pidfile_create() writes our pid to path, holding an exclusive lock on it
 * for the life of the process; if another live process holds the lock it
 * fails with a clear reason. pidfile_remove() unlinks it at exit.
 */
#ifndef PFH_PIDFILE_H
#define PFH_PIDFILE_H

#include <stddef.h>

int	pidfile_create(const char *path, char *err, size_t errlen);
void	pidfile_remove(const char *path);

#endif /* PFH_PIDFILE_H */
