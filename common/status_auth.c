/*
 * status_auth.c - the status page's users: status_auth_file and Basic auth
 *
 * Contract: see status_auth.h.
 */
#include "sysdep.h"

#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fileread.h"
#include "log.h"
#include "secret.h"
#include "stats.h"
#include "status_auth.h"
#include "xalloc.h"

#define AUTH_CACHE_SLOTS	8
#define AUTH_CACHE_MS		60000
#define AUTH_CHECKS_PER_SEC	10
#define AUTH_CRYPT_US_PER_SEC	200000	/* at most 20% of the loop in crypt */

struct auth_user {
	char	*name;
	char	*hash;
};

struct auth_cached {
	unsigned char digest[32];
	uint64_t expires;	/* ev_now() ms; 0 = empty slot */
};

struct status_auth {
	char	*path;		/* NULL: no file, the page is open */
	struct auth_user *users;
	unsigned nusers;
	struct stat st;
	struct crypt_data *cd;
	unsigned char cache_key[32];
	struct auth_cached cache[AUTH_CACHE_SLOTS];
	unsigned cache_next;
	uint64_t check_window;	/* second (ms / 1000) of the check budget */
	unsigned checks;
	uint64_t crypt_us;	/* spent in crypt in this second */
};

/* auth_free_users - wipe and free the user list */
static void
auth_free_users(struct auth_user *u, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		xfree(u[i].name);
		secret_free_str(u[i].hash);
	}
	xfree(u);
}

/*
 * auth_load - read "user:hash" lines; -1 + err on any bad line, an empty
 * file or a last line without its newline (a file cut short), 1 when the
 * file is still changing (nothing changed; look again later). The file is
 * read by fileread.h once it stopped changing for settle ms (the
 * table_settle_time in force); wait (at start) sleeps until it has. It
 * is a few lines: parsed here.
 */
static int
auth_load(struct status_auth *a, long long settle, int wait, char *err,
    size_t errlen)
{
	char	line[1024], *text, *lp, *next, *end;
	struct auth_user *u = NULL;
	unsigned n = 0, lineno = 0, cut;
	struct stat st;
	size_t	len, llen;
	int	rc, have_st;

	if (wait)
		rc = fileread_wait(a->path, settle, settle * 3 + 500, &text,
		    &len, &st, &have_st, err, errlen);
	else
		rc = fileread_stable(a->path, settle, &text, &len, &st,
		    &have_st, err, errlen);
	if (rc == FILEREAD_CHANGING && !wait)
		return 1;
	if (rc != FILEREAD_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "status_auth_file %s: %s", a->path, why);
		return -1;
	}
	if ((cut = fileread_unterminated(text, len)) > 0) {
		snprintf(err, errlen, "%s:%u: no newline at end of file: the "
		    "file may be cut short; if it is complete, end its last "
		    "line with a newline", a->path, cut);
		secret_free(text, len);
		return -1;
	}
	for (lp = text, end = text + len; lp < end; lp = next) {
		char	*colon, *f2;

		lineno++;
		next = memchr(lp, '\n', (size_t)(end - lp));
		next = next ? next + 1 : end;
		llen = (size_t)(next - lp);
		if (llen >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line too long", a->path,
			    lineno);
			goto bad;
		}
		memcpy(line, lp, llen);
		line[llen] = 0;
		while (llen && (line[llen - 1] == '\n' || line[llen - 1] == '\r' ||
		    line[llen - 1] == ' ' || line[llen - 1] == '\t'))
			line[--llen] = 0;
		if (llen == 0 || line[0] == '#')
			continue;
		if ((colon = strchr(line, ':')) == NULL || colon == line ||
		    colon[1] == 0) {
			snprintf(err, errlen, "%s:%u: expected user:crypt-hash",
			    a->path, lineno);
			goto bad;
		}
		*colon = 0;
		/* htpasswd files may carry extra :fields after the hash */
		if ((f2 = strchr(colon + 1, ':')) != NULL)
			*f2 = 0;
		/*
		 * Neither the field nor the "user" is quoted: the field may be
		 * a pasted password, and so may the user when the line is one
		 * ("Summer:2024"). The line number finds it.
		 */
		if (colon[1] != '$') {
			snprintf(err, errlen, "%s:%u: the password field is not a "
			    "modern crypt hash (no $id$ prefix) - was a plaintext "
			    "password pasted? (use mkpasswd -m yescrypt or "
			    "openssl passwd -6)", a->path, lineno);
			goto bad;
		}
		u = xreallocarray(u, n + 1, sizeof(*u));
		u[n].name = xstrdup(line);
		u[n].hash = xstrdup(colon + 1);
		n++;
	}
	secret_wipe(line, sizeof(line));
	secret_free(text, len);
	if (n == 0) {
		snprintf(err, errlen, "status_auth_file %s: no users", a->path);
		return -1;
	}
	if (st.st_mode & S_IROTH)
		log_warn("status_auth_file %s is world-readable; chmod o-r it",
		    a->path);
	auth_free_users(a->users, a->nusers);
	a->users = u;
	a->nusers = n;
	a->st = st;
	/* credentials may have changed: forget what was verified */
	memset(a->cache, 0, sizeof(a->cache));
	return 0;
bad:
	secret_wipe(line, sizeof(line));
	secret_free(text, len);
	auth_free_users(u, n);
	return -1;
}

/*
 * status_auth_refresh - re-read the file when it changed; a bad new file
 * keeps the old users. -1 + err: it cannot be stat'ed (warn about it).
 */
int
status_auth_refresh(struct status_auth *a, long long settle, char *why,
    size_t whylen)
{
	struct stat st;
	char	err[512];
	int	rc;

	if (stat(a->path, &st) < 0) {
		snprintf(why, whylen, "status_auth_file %s: %s (keeping the "
		    "loaded users)", a->path, strerror(errno));
		return -1;
	}
	if (st.st_ino == a->st.st_ino && st.st_dev == a->st.st_dev &&
	    st.st_size == a->st.st_size &&
	    st.st_mtim.tv_sec == a->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->st.st_mtim.tv_nsec)
		return 0;
	if ((rc = auth_load(a, settle, 0, err, sizeof(err))) < 0) {
		log_warn("%s (keeping the loaded users)", err);
		a->st = st;	/* do not retry on every request */
	} else if (rc == 0)
		log_info("status_auth_file %s reloaded: %u users", a->path,
		    a->nusers);
	/* rc 1: still being written; the next request looks again */
	return 0;
}

/* status_auth_path - the file the page asks credentials from, or NULL */
const char *
status_auth_path(const struct status_auth *a)
{
	return a->path;
}

/*
 * status_auth_set - a SIGHUP's status_auth_file: never opens the page
 *
 * "" is refused (-1, nothing changes) on a page with a file: an open page
 * needs a restart ("" on a page without one changes nothing, 0). For
 * the running file, 1: the caller refreshes it. A new file that loads replaces
 * the users (0). One that does not (-1 + err): a page with users keeps
 * them and its file; a page that had none now asks for credentials nobody
 * has, and loads the file as soon as it changes and is good.
 */
int
status_auth_set(struct status_auth *a, const char *path, long long settle,
    char *err, size_t errlen)
{
	char	*old_path = a->path;
	struct stat old_st = a->st;

	if (*path == 0 && old_path == NULL)
		return 0;	/* open, and it stays so */
	if (*path == 0) {
		snprintf(err, errlen, "status_auth_file removed: the status "
		    "page stays behind authentication until a restart");
		return -1;
	}
	if (old_path != NULL && strcmp(old_path, path) == 0)
		return 1;	/* the running file: status_auth_refresh() */
	if (a->cd == NULL) {
		a->cd = xcalloc(1, sizeof(*a->cd));
		/* the success cache's key, as status_auth_start makes it */
		if (RAND_bytes(a->cache_key, sizeof(a->cache_key)) != 1) {
			snprintf(err, errlen, "RAND_bytes failed");
			a->path = xstrdup(path);
			goto closed;
		}
	}
	a->path = xstrdup(path);
	if (auth_load(a, settle, 1, err, errlen) == 0) {
		xfree(old_path);
		return 0;
	}
	if (a->nusers == 0)
		goto closed;
	if (old_path != NULL) {
		xfree(a->path);
		a->path = old_path;
		a->st = old_st;
		return -1;
	}
closed:
	/* it was open: closed now, with nobody let in until the file loads */
	xfree(old_path);
	memset(&a->st, 0, sizeof(a->st));
	return -1;
}

/* auth_digest - keyed SHA-256 of user and password, for the success cache */
static void
auth_digest(struct status_auth *a, const char *user, const char *pass,
    unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	if (ctx == NULL)
		log_fatal("EVP_MD_CTX_new: out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a->cache_key, sizeof(a->cache_key)) != 1 ||
	    EVP_DigestUpdate(ctx, user, strlen(user) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, pass, strlen(pass)) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1)
		log_fatal("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
}

/* status_auth_check - verify the basic-auth credentials of a request */
enum status_auth_result
status_auth_check(struct status_auth *a, uint64_t now, const char *user,
    const char *pass)
{
	unsigned char dig[32];
	enum status_auth_result res = STATUS_AUTH_FAIL;
	const char *hash, *out;
	struct timespec t0;
	unsigned i;
	int	known = 0;

	auth_digest(a, user, pass, dig);
	for (i = 0; i < AUTH_CACHE_SLOTS; i++)
		if (a->cache[i].expires > now &&
		    ct_memeq(a->cache[i].digest, dig, sizeof(dig))) {
			res = STATUS_AUTH_OK;
			goto done;
		}
	/* crypt is slow by design and runs on the loop: budget it */
	if (now / 1000 != a->check_window) {
		a->check_window = now / 1000;
		a->checks = 0;
		a->crypt_us = 0;
	}
	if (a->checks >= AUTH_CHECKS_PER_SEC ||
	    a->crypt_us >= AUTH_CRYPT_US_PER_SEC) {
		res = STATUS_AUTH_BUSY;
		goto done;
	}
	a->checks++;
	/* a page closed by a status_auth_file that did not load lets nobody in */
	if (a->nusers == 0)
		goto done;
	/* an unknown user costs the same crypt as a known one */
	hash = a->users[0].hash;
	for (i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, user) == 0) {
			hash = a->users[i].hash;
			known = 1;
			break;
		}
	memset(a->cd, 0, sizeof(*a->cd));
	stats_clock(&t0);
#ifdef HAVE_CRYPT_RN
	out = crypt_rn(pass, hash, a->cd, (int)sizeof(*a->cd));
#else
	out = crypt_r(pass, hash, a->cd);
#endif
	a->crypt_us += stats_usec_since(&t0);
	if (out != NULL && out[0] != '*' && known &&
	    ct_streq(out, strlen(out), hash, strlen(hash))) {
		res = STATUS_AUTH_OK;
		memcpy(a->cache[a->cache_next].digest, dig, sizeof(dig));
		a->cache[a->cache_next].expires = now + AUTH_CACHE_MS;
		a->cache_next = (a->cache_next + 1) % AUTH_CACHE_SLOTS;
	}
	secret_wipe(a->cd, sizeof(*a->cd));
	if (res == STATUS_AUTH_FAIL) {
		char	raw[257], name[64 + sizeof(LOG_TRUNCATED)];
		size_t	k;

		/*
		 * The name is the client's: no quotes inside the quotes, and
		 * log_sanitize() escapes controls and bounds it (with a
		 * visible marker) so a 10 kB name is not a 10 kB line.
		 */
		for (k = 0; user[k] && k < sizeof(raw) - 1; k++)
			raw[k] = user[k] == '"' || user[k] == '\\' ? '?' : user[k];
		(void)log_sanitize(name, sizeof(name), raw, k);
		log_warn("status page: authentication failed for user \"%s\"",
		    name);
	}
done:
	secret_wipe(dig, sizeof(dig));
	return res;
}

/* status_auth_new - no file yet: an open page */
struct status_auth *
status_auth_new(void)
{
	return xcalloc(1, sizeof(struct status_auth));
}

/* status_auth_start - the file given at start, and the success cache's key */
int
status_auth_start(struct status_auth *a, const char *path, long long settle,
    char *err, size_t errlen)
{
	a->path = xstrdup(path);
	if (auth_load(a, settle, 1, err, errlen) != 0)
		return -1;
	a->cd = xcalloc(1, sizeof(*a->cd));
	if (RAND_bytes(a->cache_key, sizeof(a->cache_key)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		return -1;
	}
	return 0;
}

/* status_auth_free - wipe and free it all (NULL is fine) */
void
status_auth_free(struct status_auth *a)
{
	if (a == NULL)
		return;
	auth_free_users(a->users, a->nusers);
	if (a->cd) {
		secret_wipe(a->cd, sizeof(*a->cd));
		xfree(a->cd);
	}
	secret_wipe(a->cache_key, sizeof(a->cache_key));
	secret_wipe(a->cache, sizeof(a->cache));
	xfree(a->path);
	xfree(a);
}

