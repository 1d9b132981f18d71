/*
 * auth.h - authentication backends and the ordered backend chain
 *
 * Every backend answers one of three things (style guide: "three outcomes,
 * not two"):
 *   AUTH_OK        the password is right;
 *   AUTH_FAIL      definitely not: wrong password, unknown user, locked or
 *                  expired account (unknown_user says which case it was);
 *   AUTH_TEMPFAIL  the backend could not tell (error, timeout): never OK.
 * The chain (config `mechanisms`, Cyrus -a) asks the backends in order:
 * the first OK wins; a FAIL ends the walk unless it was "unknown user",
 * which falls through to the next backend; a TEMPFAIL (a backend timeout
 * too) ends the walk with a temporary failure, unless chain_on_tempfail
 * lets it fall through: then if no later backend says OK the answer is
 * still a temporary failure (auth_chain_goes_on()).
 * The session walks the chain one backend call at a time, each on a worker
 * with its own deadline (sasl_session.c); this module only says what each
 * backend does.
 *
 * Threads: open/close/check/prepare/release/status run on the loop.
 * verify() runs on a worker and touches only its struct auth_req and the
 * immutable snapshot prepare() put into req->data. verify() wipes and
 * frees req->password as soon as the backend has answered, on every path.
 */
#ifndef SASL_AUTH_H
#define SASL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cstrings.h"
#include "pwfile_hash.h"
#include "stats.h"

struct sasl_cfg;
struct status_writer;

enum auth_result { AUTH_OK, AUTH_FAIL, AUTH_TEMPFAIL };

#define AUTH_LOGIN_MAX	(2 * SASL_FIELD_MAX + 2)	/* login@realm */
#define AUTH_MAX_CHAIN	4
#define AUTH_MAX_FAIL_DELAY_MS	10000

struct auth_req {
	/* in, set on the loop before the worker sees the request */
	char	 login[AUTH_LOGIN_MAX];	/* after the realm policy */
	char	 realm[SASL_FIELD_MAX + 1];
	char	 service[SASL_FIELD_MAX + 1];
	char	 rhost[SASL_FIELD_MAX + 1];	/* client address, "" unknown */
	char	*password;		/* owned; the worker wipes it */
	size_t	 pwlen;
	void	*data;			/* backend snapshot from prepare() */
	/* out, set by verify() */
	enum auth_result result;
	bool	 unknown_user;
	char	 reason[128];		/* for the log only, never the wire */
	unsigned fail_delay_ms;		/* PAM_FAIL_DELAY the stack asked for */
};

struct auth_mech {
	const char *name;
	unsigned id;			/* index into auth_stats[] */
	/* passwords change outside the daemon, unannounced (pam, shadow):
	 * cached answers live at most cache_ttl_system */
	bool	 system;
	int	(*open)(const struct sasl_cfg *, void **state, char *err,
		    size_t errlen);
	void	(*close)(void *state);
	/* check - notice changed data: 1 changed, 0 same, -1 reload failed */
	int	(*check)(void *state);
	/* ready - 1 when the backend can answer; else 0 and why */
	int	(*ready)(void *state, char *why, size_t whylen);
	/*
	 * identity - the user verify() checks for this login and realm,
	 * exactly as the backend sees it (no case folding): the throttle and
	 * cache key, so a realm the backend ignores cannot reset them
	 */
	int	(*identity)(const char *login, const char *realm, char *out,
		    size_t outlen);
	void	*(*prepare)(void *state);
	void	(*verify)(struct auth_req *);
	void	(*release)(void *data);
	void	(*status)(void *state, struct status_writer *);
};

struct auth_backend {
	const struct auth_mech *mech;
	void	*state;
};

struct auth_chain {
	unsigned refs;			/* the daemon's, plus one per request */
	unsigned n;
	struct auth_backend b[AUTH_MAX_CHAIN];
};

/* Per-mechanism counters; they survive reloads, hence global. */
enum { AUTH_MECH_PWFILE, AUTH_MECH_PAM, AUTH_MECH_SHADOW, AUTH_MECH_LDAP,
    AUTH_NMECH };
struct auth_stats {
	struct stats_counter calls, ok, fail, tempfail, timeouts;
	struct stats_hist latency;
};
extern struct auth_stats auth_stats[AUTH_NMECH];

extern const struct auth_mech auth_mech_pwfile, auth_mech_pam,
    auth_mech_shadow, auth_mech_ldap;

/*
 * Set by the daemon before auth_chain_new() (left NULL for "check"): the
 * event loop, on whose loader thread backends reload their files, and
 * what a backend calls on that loop once a background reload changed its
 * data (the daemon flushes its credential cache).
 */
struct ev;
extern struct ev *auth_loop;
extern void (*auth_data_changed)(void *ctx);
extern void *auth_data_changed_ctx;

/* auth.c */
/*
 * auth_list_next - split `mechanisms` and `pam_services`, list values
 * (cfg_conv_list_next: commas, blanks and newlines between names): copy
 * the next name from p into out (cut to outlen - 1; then *toolong is set,
 * if toolong is not NULL) and return where it ends, or NULL at the end of
 * the list
 */
const char *auth_list_next(const char *p, char *out, size_t outlen,
	    bool *toolong);
const struct auth_mech *auth_mech_find(const char *name);
/* auth_mech_names - "pwfile pam shadow ldap", for -v and errors */
const char *auth_mech_names(void);
/* auth_mechanisms_check - validate a `mechanisms` value */
int	auth_mechanisms_check(const char *list, char *err, size_t errlen);
struct auth_chain *auth_chain_new(const struct sasl_cfg *, char *err,
	    size_t errlen);
/* auth_chain_ref/unref - a request keeps its chain across a reload */
struct auth_chain *auth_chain_ref(struct auth_chain *);
void	auth_chain_unref(struct auth_chain *);
/* auth_chain_check - tick: 1 when some backend's password data changed */
int	auth_chain_check(struct auth_chain *);
int	auth_chain_ready(struct auth_chain *, char *why, size_t whylen);
/* auth_chain_goes_on - after this answer, ask the next backend? */
bool	auth_chain_goes_on(enum auth_result, bool unknown_user,
	    bool on_tempfail);
/* auth_crypt_verify - crypt_rn + constant-time compare; -1 crypt error */
int	auth_crypt_verify(const char *password, const char *hash);
/* auth_crypt_burn - spend one hash of this setting's cost, result unused */
void	auth_crypt_burn(const char *password, const char *setting);
/*
 * auth_crypt_dummy - a yescrypt hash (default cost, random salt) for
 * auth_crypt_burn() when no real hash gives the cost; "" when crypt
 * cannot make one. The caller frees it.
 */
char	*auth_crypt_dummy(void);
/* auth_req_wipe - wipe and free the password copy */
void	auth_req_wipe(struct auth_req *);
/* auth_identity_login - identity(): the login as it is (pam, shadow) */
int	auth_identity_login(const char *login, const char *realm, char *out,
	    size_t outlen);

/* pwfile_verify - "check": log each problem of cfg's pwfile; how many */
unsigned pwfile_verify(const struct sasl_cfg *);
/*
 * pwfile_secrecy - refuse a file others could read or anyone write, or
 * that belongs to someone else than root or us: judged on st, the fstat()
 * of the descriptor the table loader read (table_ops.file_ok)
 */
int	pwfile_secrecy(const char *path, const struct stat *st, char *err,
	    size_t errlen);

#endif /* SASL_AUTH_H */
