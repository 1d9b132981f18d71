/*
 * main.c - saslauthd-lite: the daemon's parameters, Cyrus's command line,
 * and the server_spec hooks
 *
 * The command line is Cyrus saslauthd's (-a -c -m -n -O -r -s -t -l -d -v
 * -V -h) plus the suite's -C FILE and -o name=value. Each Cyrus flag is
 * translated into a "name=value" override, so flags and -o are one
 * mechanism and both win over the config file (documented in the man page).
 */
#include "sysdep.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth.h"
#include "auth_cache.h"
#include "dovecot_session.h"
#include "endpoint.h"
#include "ldap_conf.h"
#include "log.h"
#include "privs.h"
#include "realm.h"
#include "saslauthd.h"
#include "server.h"
#include "sockaccess.h"
#include "throttle.h"
#include "trustdir.h"
#include "workq.h"
#include "xalloc.h"

static char opt_mechs[256];
static const char *opt_O;
static int opt_l;
/* the Dovecot listener bound at start ("" none): dovecot_listen is
 * restart-only, so later configs do not say which socket is which */
static char dovecot_bound[300];

/* numeric - digits only */
static int
numeric(const char *s)
{
	if (*s == 0 || strlen(s) > 9)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* set - one override; -1 is a usage error */
static int
set(struct server *s, const char *name, const char *value)
{
	char *a = xasprintf("%s=%s", name, value);
	int rc = server_cfg_set(s, a);

	free(a);
	return rc;
}

static int uses_mech(const char *list, const char *name);

/*
 * set_O - Cyrus's -O is the mechanism's option: with -a ldap the
 * Cyrus-format LDAP file (ldap_config), else the pwfile path. -a may come
 * after -O: it calls this again, and the later override wins.
 */
static int
set_O(struct server *s)
{
	if (opt_O == NULL)
		return 0;
	if (uses_mech(opt_mechs, "ldap"))
		return set(s, "ldap_config", opt_O);
	return set(s, "pwfile", opt_O);
}

/* sasl_option - translate a Cyrus flag into a configuration override */
static int
sasl_option(struct server *s, int ch, const char *arg)
{
	char num[32];
	size_t n;

	switch (ch) {
	case 'a':
		/* repeatable, or a comma list: the chain in that order */
		n = strlen(opt_mechs);
		if (n + strlen(arg) + 2 > sizeof(opt_mechs)) {
			fprintf(stderr, "%s: -a: too many mechanisms\n",
			    SASL_PROG);
			return -1;
		}
		snprintf(opt_mechs + n, sizeof(opt_mechs) - n, "%s%s",
		    n ? "," : "", arg);
		if (set(s, "mechanisms", opt_mechs) < 0)
			return -1;
		return set_O(s);
	case 'c':
		return set(s, "cache", "yes");
	case 'l':
		opt_l = 1;	/* no accept lock to turn off: threads, one accept */
		return 0;
	case 'm':
		return set(s, "run_dir", arg);
	case 'n':
		if (!numeric(arg)) {
			fprintf(stderr, "%s: -n wants a number\n", SASL_PROG);
			return -1;
		}
		return set(s, "workers", arg);
	case 'O':
		opt_O = arg;
		return set_O(s);
	case 'r':
		return set(s, "realm_policy", "join");
	case 's':
		/* Cyrus: kilobytes of cache table; ours counts entries */
		if (!numeric(arg)) {
			fprintf(stderr, "%s: -s wants kilobytes\n", SASL_PROG);
			return -1;
		}
		snprintf(num, sizeof(num), "%lld", (atoll(arg) * 1024 +
		    SASL_CACHE_ENTRY_BYTES - 1) / SASL_CACHE_ENTRY_BYTES);
		return set(s, "cache_size", strcmp(num, "0") ? num : "1");
	case 't':
		if (!numeric(arg)) {
			fprintf(stderr, "%s: -t wants seconds\n", SASL_PROG);
			return -1;
		}
		snprintf(num, sizeof(num), "%ss", arg);
		return set(s, "cache_ttl", num);
	case 'v':
		printf("%s (%s) %s\nauthentication mechanisms: %s\n",
		    SASL_PROG, PACKAGE_NAME, PACKAGE_VERSION, auth_mech_names());
		exit(0);
	case 'V':
		log_verbose++;
		return 0;
	}
	return -1;
}

/*
 * make_parents - create the missing directories above path, mode 0755
 *
 * Debian's chrooted smtpd wants the socket in
 * /var/spool/postfix/var/run/saslauthd, and a fresh Postfix has no
 * /var/spool/postfix/var/run: Cyrus's package makes it, so do we. Only
 * what is missing is made; nothing that exists is changed.
 */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char *p = xstrdup(path), *slash;
	struct stat st;
	int rc = 0;

	for (slash = strchr(p + 1, '/'); slash != NULL && slash[1] != 0;
	    slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (stat(p, &st) < 0) {
			if (errno != ENOENT)
				goto fail;
			if (mkdir(p, 0755) == 0) {
				/* ours: past the umask */
				if (chmod(p, 0755) < 0)
					goto fail;
				log_info("created directory %s (mode 0755) for "
				    "run_dir", p);
				*slash = '/';
				continue;
			}
			/*
			 * made by someone else meanwhile: never chmod that
			 * (as root, chmod would follow a symlink); it is
			 * checked like any existing one, here and by trustdir
			 */
			if (errno != EEXIST || stat(p, &st) < 0)
				goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "run_dir %s: %s is not a directory",
			    path, p);
			rc = -1;
			break;
		}
		*slash = '/';
	}
	free(p);
	return rc;
fail:
	snprintf(err, errlen, "run_dir %s: create %s: %m", path, p);
	free(p);
	return -1;
}

/*
 * existing_parent - the nearest directory above a missing path that exists
 */
static void
existing_parent(const char *path, char *out, size_t outlen)
{
	struct stat st;
	char *slash;

	snprintf(out, outlen, "%s", path);
	for (;;) {
		if ((slash = strrchr(out, '/')) == NULL || slash == out) {
			snprintf(out, outlen, "/");
			return;
		}
		*slash = 0;
		if (stat(out, &st) == 0)
			return;
	}
}

/* untrusted - the run_dir error for a directory someone else controls */
static int
untrusted(const struct sasl_cfg *cfg, const char *why, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "run_dir %s: %s: whoever controls it could "
	    "replace the socket and collect passwords (make every directory "
	    "on the way root's or the daemon user's, and writable by them "
	    "only)", cfg->run_dir, why);
	return -1;
}

/*
 * prepare_run_dir - create it 0750 if missing, owned by the user we run as
 * (so it can remove its socket at stop); refuse one that anyone but root
 * and that user controls, itself or through a directory above it or a
 * symbolic link on the way (trustdir.h)
 */
static int
prepare_run_dir(struct server *srv, const struct sasl_cfg *cfg, char *err,
    size_t errlen)
{
	struct trustdir_ids ids;
	struct stat st;
	char why[768], parent[PATH_MAX];
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, run_gid = (gid_t)-1;

	if (*cfg->socket_group &&
	    privs_group_gid(cfg->socket_group, &gid, err, errlen) < 0)
		return -1;
	(void)server_run_ids(srv, &uid, &run_gid);
	trustdir_ids(&ids, uid, run_gid);
	if (stat(cfg->run_dir, &st) < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "run_dir %s: %m", cfg->run_dir);
			return -1;
		}
		/* judge what exists before making anything in it */
		existing_parent(cfg->run_dir, parent, sizeof(parent));
		if (trustdir_check(&ids, parent, TRUSTDIR_PARENT, why,
		    sizeof(why)) < 0)
			return untrusted(cfg, why, err, errlen);
		if (make_parents(cfg->run_dir, err, errlen) < 0)
			return -1;
		if (mkdir(cfg->run_dir, 0750) < 0 ||
		    chmod(cfg->run_dir, 0750) < 0 ||
		    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
		    chown(cfg->run_dir, uid, gid) < 0)) {
			snprintf(err, errlen, "run_dir %s: create: %m",
			    cfg->run_dir);
			return -1;
		}
		log_info("created run_dir %s (mode 0750%s%s%s%s)", cfg->run_dir,
		    uid != (uid_t)-1 ? ", owner " : "",
		    uid != (uid_t)-1 ? cfg->common.user : "",
		    gid != (gid_t)-1 ? ", group " : "", cfg->socket_group);
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "run_dir %s: not a directory",
		    cfg->run_dir);
		return -1;
	} else if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "run_dir %s: mode %04o is world-writable:"
		    " anyone could replace the socket; chmod 0750 (or 0710)",
		    cfg->run_dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (trustdir_check(&ids, cfg->run_dir, 0, why, sizeof(why)) < 0)
		return untrusted(cfg, why, err, errlen);
	return 0;
}

/*
 * dovecot_dir_check - dovecot_listen's unix socket: its directory passes
 * run_dir's trust check (trustdir.h), at start and in "check". The owner
 * Postfix's daemons run as is trusted too: Dovecot's socket, and ours,
 * usually sit in Postfix's private/ (postfix-owned, 0700), and that user
 * runs the smtpd processes that see every password in the clear anyway.
 * The directory is not created: Postfix (or the admin) makes it.
 */
static int
dovecot_dir_check(struct server *srv, const struct sasl_cfg *cfg, char *err,
    size_t errlen)
{
	struct trustdir_ids ids;
	struct passwd *pw;
	char dir[PATH_MAX], why[768], pf[64];
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	char *slash;

	if (strncmp(cfg->dovecot_ep, "unix:", 5) != 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", cfg->dovecot_ep + 5);
	if ((slash = strrchr(dir, '/')) == NULL) {
		snprintf(err, errlen, "dovecot_listen %s: not an absolute path",
		    cfg->dovecot_ep);
		return -1;
	}
	slash[slash == dir ? 1 : 0] = 0;
	(void)server_run_ids(srv, &uid, &gid);
	trustdir_ids(&ids, uid, gid);
	if (sockaccess_postfix_user(pf, sizeof(pf)) == 0 &&
	    (pw = getpwnam(pf)) != NULL)
		trustdir_also(&ids, pw->pw_uid, "Postfix's mail_owner");
	if (trustdir_check(&ids, dir, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "dovecot_listen %s: %s: whoever controls "
		    "it could replace the socket and collect passwords (make "
		    "every directory on the way root's, the daemon user's or "
		    "Postfix's, and writable by them only)", cfg->dovecot_ep,
		    why);
		return -1;
	}
	return 0;
}

/*
 * dovecot_check - dovecot_listen: one endpoint, not the mux socket; the
 * sockets hook then lists both
 */
static int
dovecot_check(struct sasl_cfg *c, char *err, size_t errlen)
{
	struct endpoint ep;

	snprintf(c->listen_eps, sizeof(c->listen_eps), "%s", c->socket_ep);
	c->dovecot_ep[0] = 0;
	if (*c->dovecot_listen == 0)
		return 0;
	if (strpbrk(c->dovecot_listen, ", \t") != NULL ||
	    endpoint_canonical(c->dovecot_listen, strlen(c->dovecot_listen),
	    &ep, c->dovecot_ep, sizeof(c->dovecot_ep)) < 0) {
		snprintf(err, errlen, "dovecot_listen: \"%s\": want one "
		    "endpoint, unix:/path or inet:host:port", c->dovecot_listen);
		return -1;
	}
	if (strcmp(c->dovecot_ep, c->socket_ep) == 0) {
		snprintf(err, errlen, "dovecot_listen: %s is the mux socket",
		    c->dovecot_ep);
		return -1;
	}
	snprintf(c->listen_eps, sizeof(c->listen_eps), "%s, %s", c->socket_ep,
	    c->dovecot_ep);
	return 0;
}

/* sasl_cfg_check - cross-field validation */
static int
sasl_cfg_check(void *vcfg, char *err, size_t errlen)
{
	struct sasl_cfg *c = vcfg;
	enum realm_policy rp;

	if (auth_mechanisms_check(c->mechanisms, err, errlen) < 0)
		return -1;
	if (realm_policy_parse(c->realm_policy, &rp) < 0) {
		snprintf(err, errlen, "realm_policy: \"%s\": want pass, join, "
		    "strip or default", c->realm_policy);
		return -1;
	}
	if (rp == REALM_DEFAULT && *c->default_realm == 0) {
		snprintf(err, errlen, "realm_policy = default needs "
		    "default_realm");
		return -1;
	}
	if (c->run_dir[0] != '/') {
		snprintf(err, errlen, "run_dir: \"%s\" must be an absolute "
		    "directory (the socket is run_dir/mux)", c->run_dir);
		return -1;
	}
	if (strlen(c->run_dir) + sizeof("/" SASL_SOCKET_NAME) > 108) {
		snprintf(err, errlen, "run_dir: too long for a unix socket "
		    "path");
		return -1;
	}
	snprintf(c->socket_ep, sizeof(c->socket_ep), "unix:%s/%s", c->run_dir,
	    SASL_SOCKET_NAME);
	if (c->socket_mode & S_IWOTH) {
		snprintf(err, errlen, "socket_mode %04o: a world-writable "
		    "socket is a password oracle for every local user; use "
		    "0660 and socket_group", (unsigned)c->socket_mode);
		return -1;
	}
	if (dovecot_check(c, err, errlen) < 0)
		return -1;
	if (c->throttle_max_delay < c->throttle_delay) {
		snprintf(err, errlen, "throttle_max_delay is below "
		    "throttle_delay");
		return -1;
	}
	return 0;
}

/* random_u64 - a seed for the hash tables */
static uint64_t
random_u64(void)
{
	uint64_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		log_fatal("RAND_bytes failed");
	return v;
}

/*
 * sasl_warn - what a config may do but should not: a Dovecot endpoint on
 * TCP has no socket_mode or socket_group, and its client says itself
 * where the SMTP client is (rip=) and whether it is under TLS (secured)
 */
static void
sasl_warn(void *vcfg)
{
	const struct sasl_cfg *cfg = vcfg;

	if (strncmp(cfg->dovecot_ep, "inet:", 5) == 0)
		log_warn("dovecot_listen %s: a TCP endpoint has no access "
		    "control: every local user (and whoever can reach the "
		    "address) can check passwords through it, naming the "
		    "rip= the throttle counts and claiming \"secured\"; "
		    "prefer unix:/path", cfg->dovecot_ep);
}

/* sasl_sockets - the socket a config (that passed the check) asks for */
static void
sasl_sockets(void *vcfg, struct server_sockets *ss)
{
	struct sasl_cfg *cfg = vcfg;

	/* dovecot_listen, restart-only, warns by its own name as well */
	ss->listen_param = "run_dir";
	ss->endpoints = cfg->listen_eps;
	ss->mode = cfg->socket_mode;
	ss->group = cfg->socket_group;
}

/* sasl_data_changed - a backend reloaded in the background: flush the cache */
static void
sasl_data_changed(void *vctx)
{
	struct sasl_ctx *ctx = vctx;

	if (ctx->cache) {
		auth_cache_flush(ctx->cache);
		log_info("cache flushed: the password data changed");
	}
}

/* sasl_accept - a client of the mux socket or of the Dovecot socket */
static void
sasl_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	if (*dovecot_bound && strcmp(listener_name(l), dovecot_bound) == 0)
		dovecot_session_accept(l, fd, peer, ctx);
	else
		sasl_session_accept(l, fd, peer, ctx);
}

/* sasl_init - keys, backends, run dir, socket, pool */
static int
sasl_init(struct server *srv, char *err, size_t errlen)
{
	struct sasl_ctx *ctx = xcalloc(1, sizeof(*ctx));
	struct sasl_cfg *cfg = server_cfg(srv);
	unsigned workers;

	ctx->srv = srv;
	ctx->cfg = cfg;
	server_set_ctx(srv, ctx);
	if (opt_l)
		log_debug("-l: there is no accept lock to turn off; ignored");
	if (RAND_bytes(ctx->mac_key, sizeof(ctx->mac_key)) != 1) {
		snprintf(err, errlen, "RAND_bytes: no randomness for the "
		    "cache and throttle keys");
		return -1;
	}
	auth_loop = server_ev(srv);
	auth_data_changed = sasl_data_changed;
	auth_data_changed_ctx = ctx;
	if ((ctx->chain = auth_chain_new(cfg, err, errlen)) == NULL)
		return -1;
	if (prepare_run_dir(srv, cfg, err, errlen) < 0 ||
	    dovecot_dir_check(srv, cfg, err, errlen) < 0)
		return -1;
	snprintf(dovecot_bound, sizeof(dovecot_bound), "%s", cfg->dovecot_ep);
	if (server_listen_config(srv, sasl_accept, ctx, err, errlen) < 0)
		return -1;
	workers = (unsigned)cfg->workers;
	if (workers == 0) {
		log_info("workers = 0 (Cyrus -n 0 forks per connection): "
		    "using 1 worker thread");
		workers = 1;
	}
	ctx->wq = workq_new(server_ev(srv), workers, (unsigned)cfg->max_queue);
	if (cfg->cache)
		ctx->cache = auth_cache_new(ctx->mac_key,
		    (size_t)cfg->cache_size, random_u64(), ctx->cache_gen);
	ctx->th_user = throttle_new((size_t)cfg->throttle_table_size,
	    random_u64());
	ctx->th_ip = throttle_new((size_t)cfg->throttle_table_size,
	    random_u64());
	stats_recent_init(&ctx->st.recent, (unsigned)cfg->recent_size);
	log_info("mechanisms %s, %u workers, cache %s, throttle %s, "
	    "realm_policy %s", cfg->mechanisms, workers,
	    cfg->cache ? "on" : "off", cfg->throttle ? "on" : "off",
	    cfg->realm_policy);
	return 0;
}

/* differs - a string parameter changed */
static int
differs(const char *a, const char *b)
{
	return strcmp(a, b) != 0;
}

/* sasl_reload - adopt a new config; a backend that fails to open refuses it */
static int
sasl_reload(struct server *srv, void *vnew, char *err, size_t errlen)
{
	struct sasl_ctx *ctx = server_ctx(srv);
	struct sasl_cfg *o = ctx->cfg, *n = vnew;
	struct auth_chain *chain = NULL;

	if (differs(o->mechanisms, n->mechanisms) ||
	    differs(o->pwfile, n->pwfile) ||
	    differs(o->pam_confdir, n->pam_confdir) ||
	    differs(o->pam_services, n->pam_services) ||
	    o->pam_acct_mgmt != n->pam_acct_mgmt ||
	    o->pwfile_allow_weak_hashes != n->pwfile_allow_weak_hashes ||
	    o->backend_timeout != n->backend_timeout ||
	    ldap_cfg_changed(o, n)) {
		if ((chain = auth_chain_new(n, err, errlen)) == NULL)
			return -1;
	}
	/* run_dir, socket_*, workers, max_queue, throttle_table_size and
	 * recent_size are CFG_F_RESTART: the server compares them with what
	 * runs and says what needs a restart (server_reload.h) */
	if (chain != NULL) {
		auth_chain_unref(ctx->chain);
		ctx->chain = chain;
		log_info("reload: mechanisms %s", n->mechanisms);
	}
	/* a reload flushes the cache: the admin may have changed passwords */
	/* ...and answers still being checked must not refill it (the
	 * generation, auth_cache.h): a new cache starts past the old one */
	if (ctx->cache && (!n->cache || n->cache_size != o->cache_size)) {
		ctx->cache_gen = auth_cache_generation(ctx->cache) + 1;
		auth_cache_free(ctx->cache);
		ctx->cache = NULL;
	}
	if (ctx->cache)
		auth_cache_flush(ctx->cache);
	else if (n->cache)
		ctx->cache = auth_cache_new(ctx->mac_key,
		    (size_t)n->cache_size, random_u64(), ctx->cache_gen);
	ctx->cfg = n;
	return 0;
}

/* sasl_tick - reload changed password data; a change flushes the cache */
static void
sasl_tick(struct server *srv)
{
	struct sasl_ctx *ctx = server_ctx(srv);

	if (auth_chain_check(ctx->chain) > 0 && ctx->cache) {
		auth_cache_flush(ctx->cache);
		log_info("cache flushed: the password data changed");
	}
}

/* uses_mech - the chain names this mechanism */
static int
uses_mech(const char *list, const char *name)
{
	char mech[32];

	while ((list = auth_list_next(list, mech, sizeof(mech), NULL)) != NULL)
		if (strcasecmp(mech, name) == 0)
			return 1;
	return 0;
}

/* sasl_verify - "check": the password file line by line, then each backend opens */
static unsigned
sasl_verify(struct server *srv, void *vcfg)
{
	struct sasl_cfg *cfg = vcfg;
	struct auth_chain *chain;
	char err[1024];
	unsigned n = 0;

	if (dovecot_dir_check(srv, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		n++;
	}
	if (uses_mech(cfg->mechanisms, "pwfile"))
		n += pwfile_verify(cfg);
	if (n > 0)
		return n;
	if ((chain = auth_chain_new(cfg, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return 1;
	}
	auth_chain_unref(chain);
	fprintf(stderr, "%s: check: mechanisms %s open\n", SASL_PROG,
	    cfg->mechanisms);
	return 0;
}

static const struct server_spec sasl_spec = {
	.name = SASL_PROG,
	.version_extra = "authentication mechanisms: pwfile pam shadow ldap\n",
	.default_config = SASL_DEFAULT_CONFIG,
	.config_flag = 'C',
	.usage =
	    "Cyrus saslauthd flags (they override the config file, like -o):\n"
	    "  -a MECH        mechanism: pwfile, pam, shadow, ldap (repeat or "
	    "comma list for a chain)\n"
	    "  -c             enable the credential cache\n"
	    "  -l             accepted for compatibility (no accept lock)\n"
	    "  -m DIR         run directory; the socket is DIR/mux\n"
	    "  -n N           worker threads (0 is taken as 1)\n"
	    "  -O FILE        mechanism option: with -a ldap the Cyrus-format "
	    "LDAP file\n                 (/etc/saslauthd.conf), else the pwfile "
	    "path\n"
	    "  -r             join login and realm (login@realm)\n"
	    "  -s KB          cache size in kilobytes (128 bytes per entry)\n"
	    "  -t SECONDS     cache entry lifetime\n"
	    "  -v             print version and mechanisms, exit\n"
	    "  -V             verbose logging\n",
	.params = sasl_params,
	.cfg_size = sizeof(struct sasl_cfg),
	.common_defaults = sasl_common_defaults,
	.extra_opts = "a:clm:n:O:rs:t:vV",
	.option = sasl_option,
	.check = sasl_cfg_check,
	.warn = sasl_warn,
	.init = sasl_init,
	.reload = sasl_reload,
	.sockets = sasl_sockets,
	.tick = sasl_tick,
	.status = sasl_status,
	.verify = sasl_verify,
};

/* main - everything else is the common skeleton */
int
main(int argc, char **argv)
{
	return server_main(argc, argv, &sasl_spec);
}
