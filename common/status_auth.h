/*
 * status_auth.h - the status page's users: status_auth_file and Basic auth
 *
 * The file holds "user:crypt-hash" lines (htpasswd's extra :fields after
 * the hash are ignored; "#" comments and blank lines too). It is read
 * through fileread.h once it stopped changing for table_settle_time (the
 * caller passes the value in force, ms); a bad line, a plaintext password
 * in place of a $id$ hash, an empty file or a last line without its
 * newline (a file cut short) refuse the whole file, and a refused file
 * keeps the users loaded before. A world-readable file is warned about.
 *
 * status_auth_check() verifies one request's credentials with crypt_rn()
 * and a constant-time compare; an unknown user costs the same crypt as a
 * known one. A verified credential is remembered for a minute as a keyed
 * SHA-256 digest (never the password; the key is random per process), so
 * a browser refreshing every 5 s does not run yescrypt on the loop each
 * time; uncached checks are limited to 10 and 200 ms of crypt per second
 * (STATUS_AUTH_BUSY beyond), so a password-guessing flood cannot stall
 * the Postfix-facing work. Failures are logged with the client's user
 * name sanitized.
 *
 * status_auth_new - no file: the page is open (status_auth_path() NULL).
 * status_auth_start - the file given at start; -1 + err if it does not load
 *	(within a bounded wait while it is still being written).
 * status_auth_refresh - re-read the file if it changed (a bad new file
 *	is logged and keeps the old users; one still being written is
 *	looked at again on the next call); -1 + err only when the file
 *	cannot be stat'ed, for the caller to warn about (on its budget).
 * status_auth_set - a SIGHUP's status_auth_file, as status_http_set_auth
 *	(status_http.h) describes it; 1 when path is the running file:
 *	nothing done, refresh it instead.
 * Loop thread only. Hashes and the success cache are wiped when freed.
 */
#ifndef PFH_STATUS_AUTH_H
#define PFH_STATUS_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct status_auth;

enum status_auth_result { STATUS_AUTH_OK, STATUS_AUTH_FAIL, STATUS_AUTH_BUSY };

struct status_auth *status_auth_new(void);
void	status_auth_free(struct status_auth *);
int	status_auth_start(struct status_auth *, const char *path,
	    long long settle_ms, char *err, size_t errlen);
int	status_auth_refresh(struct status_auth *, long long settle_ms,
	    char *err, size_t errlen);
int	status_auth_set(struct status_auth *, const char *path,
	    long long settle_ms, char *err, size_t errlen);
/* status_auth_path - the file in use, NULL for none (an open page) */
const char *status_auth_path(const struct status_auth *);
/* status_auth_check - user and password of a request; now is ev_now() ms */
enum status_auth_result status_auth_check(struct status_auth *, uint64_t now,
	    const char *user, const char *pass);

#endif /* PFH_STATUS_AUTH_H */
