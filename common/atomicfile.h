/*
 * atomicfile.h - replace a file so that readers see the old or the new one
 *
 * Contract: atomicfile_write() writes data to a new temporary file in the
 *   same directory (PATH.tmpXXXXXX, so the rename stays on one file
 *   system), gives it mode and, when gid is not (gid_t)-1, that group;
 *   fsyncs it, renames it over path and fsyncs the directory, so that
 *   after a crash the file is whole, old or new, and the rename survives.
 *   Any failed step (a full disk, a missing directory, a group we may not
 *   give) leaves path as it was, removes the temporary file, and returns
 *   -1 with "PATH: step: strerror" in err. Blocking I/O: for files small
 *   enough to write on the loop.
 */
#ifndef PFH_ATOMICFILE_H
#define PFH_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

int	atomicfile_write(const char *path, const void *data, size_t len,
	    mode_t mode, gid_t gid, char *err, size_t errlen);

#endif /* PFH_ATOMICFILE_H */
