/*
 * server.c - the daemon skeleton every pfhelpers program runs on
 *
 * The contract is in server.h; what a SIGHUP cannot apply is worked out
 * in server_reload.c, which shares the private state in server_int.h.
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "cfg_conv.h"
#include "cfg_group.h"
#include "conn.h"
#include "endpoint.h"
#include "ev.h"
#include "fdlimit.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
#include "privs.h"
#include "server.h"
#include "server_config.h"
#include "server_int.h"
#include "server_reload.h"
#include "sockaccess.h"
#include "status.h"
#include "status_http.h"
#include "status_server.h"
#include "xalloc.h"



static void PFH_NORETURN
usage(struct server *s, const char *why)
{
	const struct server_spec *spec = s->spec;

	const char *extra = spec->extra_opts ? spec->extra_opts : "";

	if (why)
		fprintf(stderr, "%s: %s\n", spec->name, why);
	fprintf(stderr,
	    "usage: %s [-%c config_file] [-o name=value ...] [-d] [options]\n"
	    "  -%c FILE        configuration file (default %s)\n"
	    "  -o name=value  override a configuration parameter (repeatable)\n"
	    "  -d             stay in the foreground and log to stderr\n",
	    spec->name, spec->config_flag, spec->config_flag,
	    spec->default_config);
	/* letters the daemon took over (saslauthd's -n, -v, -V) are its own */
	if (strchr(extra, 'v') == NULL)
		fprintf(stderr, "  -v             more verbose logging (repeatable)\n");
	if (strchr(extra, 'n') == NULL)
		fprintf(stderr, "  -n             check the configuration, print the effective settings, exit\n");
	if (strchr(extra, 'V') == NULL)
		fprintf(stderr, "  -V             print the version and exit\n");
	fprintf(stderr, "  check          (the last word) validate the configuration and every\n"
	    "                 data file it names, report each problem, exit non-zero on any\n");
	fputs(spec->usage ? spec->usage : "", stderr);
	exit(EX_USAGE);
}

static void
print_version(const struct server_spec *spec)
{
	printf("%s (%s) %s\n%s", spec->name, PACKAGE_NAME, PACKAGE_VERSION,
	    spec->version_extra ? spec->version_extra : "");
}

/* load_config - file + overrides into a fresh struct, or NULL with err */
static void *
load_config(struct server *s, char *err, size_t errlen)
{
	return server_config_load(s->spec, s->table, s->config_path,
	    s->config_named, s->overrides, s->noverrides, &s->config_missing,
	    err, errlen);
}

static void
free_config(struct server *s, void *cfg)
{
	server_config_free(s->spec, s->table, cfg);
}

/* server_cfg_set - record an override (daemon-specific flags use this) */
int
server_cfg_set(struct server *s, const char *assignment)
{
	if (strchr(assignment, '=') == NULL)
		return -1;
	s->overrides = xreallocarray(s->overrides, s->noverrides + 1, sizeof(char *));
	s->overrides[s->noverrides++] = xstrdup(assignment);
	return 0;
}

static void
parse_args(struct server *s, int argc, char **argv)
{
	const struct server_spec *spec = s->spec;
	const char *extra = spec->extra_opts ? spec->extra_opts : "";
	static const char common[] = "o:dvnVh";
	char opts[128];
	size_t n = 0, i;
	int ch;

	/* the daemon's own letters win over the common ones (saslauthd's -n, -v) */
	opts[n++] = spec->config_flag;
	opts[n++] = ':';
	for (i = 0; common[i]; i++) {
		if (common[i] == ':')
			continue;
		if (strchr(extra, common[i]) != NULL)
			continue;
		opts[n++] = common[i];
		if (common[i + 1] == ':')
			opts[n++] = ':';
	}
	for (i = 0; extra[i] && n < sizeof(opts) - 1; i++)
		opts[n++] = extra[i];
	opts[n] = 0;

	opterr = 0;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		if (ch == spec->config_flag) {
			s->config_path = optarg;
			s->config_named = 1;
		} else if (strchr(extra, ch) != NULL && ch != ':') {
			if (spec->option == NULL || spec->option(s, ch, optarg) < 0)
				usage(s, NULL);
		} else if (ch == 'o') {
			if (server_cfg_set(s, optarg) < 0)
				usage(s, "-o wants name=value");
		} else if (ch == 'd') {
			s->foreground = 1;
		} else if (ch == 'v') {
			log_verbose++;
		} else if (ch == 'n') {
			s->check_only = 1;
		} else if (ch == 'V') {
			print_version(spec);
			exit(0);
		} else if (ch == 'h') {
			usage(s, NULL);
		} else {
			char why[64];

			snprintf(why, sizeof(why), "unknown option -%c", optopt);
			usage(s, ch == '?' ? why : NULL);
		}
	}
	if (optind == argc - 1 && strcmp(argv[optind], "check") == 0)
		s->check_verb = 1;
	else if (optind == argc - 1 && strcmp(argv[optind], "params") == 0)
		s->list_params = 1;	/* hidden: for the man page test */
	else if (optind < argc)
		usage(s, "unexpected arguments");
}

/* warn_config_missing - say the default file was not there, if so */
static void
warn_config_missing(struct server *s)
{
	if (s->config_missing)
		server_config_warn_missing(s->spec, s->config_path,
		    s->noverrides);
}

static void
check_config_sockets(struct server *);

/* check_only - -n: print effective settings */
static void PFH_NORETURN
check_only(struct server *s)
{
	struct buf out;

	buf_init(&out, 0);
	(void)cfg_dump(s->table, s->cfg, &out);
	if (s->spec->group)
		(void)cfg_group_dump(s->spec->group, s->cfg, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	fflush(stdout);
	warn_config_missing(s);
	check_config_sockets(s);
	if (s->spec->warn)
		s->spec->warn(s->cfg);
	fprintf(stderr, "%s: configuration %s is valid\n", s->spec->name,
	    s->config_missing ? "(built-in defaults)" : s->config_path);
	exit(0);
}

/*
 * check_verb - "check": the configuration, then every data file the daemon
 * would load (spec->verify reports each problem as "FILE, line N: ..."),
 * without binding anything. Exit 0 only when all of it is good.
 */
static void PFH_NORETURN
check_verb(struct server *s)
{
	const char *what = s->config_missing ? "(built-in defaults)" :
	    s->config_path;
	unsigned problems = 0;

	warn_config_missing(s);
	if (s->spec->warn)
		s->spec->warn(s->cfg);
	if (s->spec->verify)
		problems = s->spec->verify(s, s->cfg);
	if (problems) {
		fprintf(stderr, "%s: check: %u problem%s in the data files of "
		    "configuration %s\n", s->spec->name, problems,
		    problems == 1 ? "" : "s", what);
		exit(s->spec->check_exit ? s->spec->check_exit : EX_DATAERR);
	}
	fprintf(stderr, "%s: check: configuration %s and its data files are "
	    "valid\n", s->spec->name, what);
	exit(0);
}

/* daemonize - fork; the parent exits when the child is ready (or with its error) */
static void
daemonize(struct server *s)
{
	int p[2];
	pid_t pid;
	char c;
	int fd;

	if (pipe2(p, O_CLOEXEC) < 0)
		log_fatal("pipe: %m");
	if ((pid = fork()) < 0)
		log_fatal("fork: %m");
	if (pid > 0) {
		int status;

		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(EX_SOFTWARE);
	}
	close(p[0]);
	s->ready_fd = p[1];
	if (setsid() < 0)
		log_fatal("setsid: %m");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	/* stderr stays until READY so startup errors reach the admin */
}

static void
detach_stderr(struct server *s)
{
	int fd;

	if (s->ready_fd < 0)
		return;
	(void)write(s->ready_fd, "r", 1);
	close(s->ready_fd);
	s->ready_fd = -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_init(log_progname(), LOG_TO_SYSLOG,
	    ((struct server_common *)s->cfg)->syslog_facility);
}

static void
start_logging(struct server *s, int dest)
{
	struct server_common *sc = s->cfg;
	const char *name = sc && *sc->syslog_name ? sc->syslog_name : s->spec->name;

	log_init(name, dest, sc ? sc->syslog_facility : "mail");
}

static void
arm_tick(struct server *s);

static void
tick_fire(struct ev *ev, void *ctx)
{
	struct server *s = ctx;

	s->tick_timer = NULL;
	if (s->stopping)
		return;
	if (s->spec->tick)
		s->spec->tick(s);
	arm_tick(s);
}

static void
arm_tick(struct server *s)
{
	struct server_common *sc = s->cfg;

	ev_timer_cancel(s->ev, s->tick_timer);
	s->tick_timer = ev_timer_add(s->ev, (uint64_t)sc->reload_check_interval,
	    tick_fire, s);
}

static void
do_reload(struct server *s)
{
	char err[1024];
	void *ncfg;

	notify_send("RELOADING=1");
	log_info("reload: reading %s", s->config_path);
	ncfg = load_config(s, err, sizeof(err));
	warn_config_missing(s);
	if (ncfg == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
	} else if (s->spec->reload && s->spec->reload(s, ncfg, err, sizeof(err)) < 0) {
		log_error("reload: %s; keeping the running configuration", err);
		free_config(s, ncfg);
	} else {
		void *old = s->cfg;

		s->cfg = ncfg;
		server_reload_apply(s, old, ncfg);
		server_reload_report(s, old, ncfg);
		free_config(s, old);
		arm_tick(s);
		log_info("reload: configuration reloaded");
	}
	/* data files are checked whether or not the config changed */
	if (s->spec->tick)
		s->spec->tick(s);
	/* refused or not, the config in force is warned about again */
	if (s->spec->warn)
		s->spec->warn(s->cfg);
	notify_send("READY=1");
}

static void
stop_poll(struct ev *ev, void *ctx)
{
	struct server *s = ctx;
	unsigned busy = conn_set_count(s->clients);

	s->stop_timer = NULL;
	if (busy == 0 || ev_now(ev) >= s->stop_deadline) {
		if (busy)
			log_warn("stop: %u connection%s still answering after stop_timeout; exiting",
			    busy, busy == 1 ? "" : "s");
		ev_stop(ev);
		return;
	}
	s->stop_timer = ev_timer_add(ev, 50, stop_poll, s);
}

static void
begin_stop(struct server *s, int sig)
{
	struct server_common *sc = s->cfg;
	unsigned i;

	if (s->stopping)
		return;
	s->stopping = 1;
	notify_send("STOPPING=1");
	log_info("stopping on %s", strsignal(sig));
	for (i = 0; i < s->nlisteners; i++)
		listener_stop(s->listeners[i]);
	status_http_stop(s->status);
	s->status = NULL;
	ev_timer_cancel(s->ev, s->tick_timer);
	s->tick_timer = NULL;
	/* idle clients close now, the others once they have their answer */
	conn_set_drain(s->clients);
	s->stop_deadline = ev_now(s->ev) + (uint64_t)sc->stop_timeout;
	stop_poll(s->ev, s);
}

static void
signal_ready(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct server *s = ctx;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (!s->stopping)
				do_reload(s);
			break;
		case SIGTERM:
		case SIGINT:
			begin_stop(s, (int)si.ssi_signo);
			break;
		}
	}
}

static void
setup_signals(struct server *s)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* blocked before any thread starts, so workers inherit the mask */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		log_fatal("pthread_sigmask: %m");
	if ((s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		log_fatal("signalfd: %m");
	if (ev_fd_add(s->ev, s->sigfd, EV_READ, signal_ready, s) < 0)
		log_fatal("ev_fd_add signalfd: %m");
}

static void
check_unlink(struct server *, const char *, const char *, const struct stat *);

/* status_collect - the status page's record: our section, the daemon's */
static void
status_collect(void *ctx, struct status_writer *w)
{
	struct server *s = ctx;
	struct status_server_info si;

	si.program = s->spec->name;
	si.started = s->started;
	si.listeners = s->listeners;
	si.nlisteners = s->nlisteners;
	status_server_section(w, &si);
	if (s->spec->status)
		s->spec->status(s, w);
	if (s->stopping)
		status_ready(w, 0, "stopping");
}

/* status_settle_time - the table_settle_time in force, for the auth file */
static long long
status_settle_time(void *ctx)
{
	struct server *s = ctx;

	return ((struct server_common *)s->cfg)->table_settle_time;
}

static void
start_status(struct server *s)
{
	struct server_common *sc = s->cfg;
	struct status_http_opts o;
	char err[512];

	if (*sc->status_listen == 0)
		return;
	memset(&o, 0, sizeof(o));
	o.endpoint = sc->status_listen;
	o.auth_file = sc->status_auth_file;
	o.uid = (uid_t)-1;
	o.gid = (gid_t)-1;
	/* a unix socket made as root belongs to the user we run as */
	(void)server_run_ids(s, &o.uid, &o.gid);
	o.collect = status_collect;
	o.settle_time = status_settle_time;
	o.ctx = s;
	s->status = status_http_start(s->ev, &o, err, sizeof(err));
	if (s->status == NULL) {
		log_error("status page %s: %s", sc->status_listen, err);
		exit(EX_UNAVAILABLE);
	}
	server_status_bound_name(sc->status_listen, s->status_name,
	    sizeof(s->status_name));
	if (strncmp(s->status_name, "unix:", 5) == 0)
		check_unlink(s, s->status_name, s->status_name + 5, NULL);
	log_info("status page on %s", sc->status_listen);
}

/* server_main - run a daemon */
int
server_main(int argc, char **argv, const struct server_spec *spec)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct server_common *sc;
	char err[1024];

	s->spec = spec;
	s->ready_fd = -1;
	s->config_path = spec->default_config;
	s->table = server_config_table(spec);
	log_init(spec->name, LOG_TO_STDERR, "mail");
	parse_args(s, argc, argv);
	if (s->list_params) {
		server_reload_list(s->table);
		if (spec->group) {
			cfg_group_list(spec->group);
			fflush(stdout);
		}
		exit(0);
	}

	if ((s->cfg = load_config(s, err, sizeof(err))) == NULL) {
		log_error("%s%s", s->check_verb ? "check: " : "", err);
		exit(EX_CONFIG);
	}
	if (s->check_only)
		check_only(s);
	if (s->check_verb)
		check_verb(s);
	sc = s->cfg;
	/* until daemonized, errors go to stderr as well as syslog */
	start_logging(s, s->foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG | LOG_TO_STDERR);
	warn_config_missing(s);
	log_fatal_status = EX_UNAVAILABLE;

	if (!s->foreground)
		daemonize(s);
	s->started = time(NULL);
	s->ev = ev_new();
	s->clients = conn_set_new();
	setup_signals(s);

	if (spec->init && spec->init(s, err, sizeof(err)) < 0) {
		log_error("%s", err);
		exit(EX_UNAVAILABLE);
	}
	if (spec->warn)
		spec->warn(s->cfg);
	start_status(s);
	/* descriptors for max_connections, or fewer connections (fdlimit.h) */
	fdlimit_fit(s->listeners, s->nlisteners, (unsigned)sc->max_connections,
	    s->status != NULL ? STATUS_MAX_FDS : 0);
	if (*sc->pid_file) {
		uid_t ruid = (uid_t)-1;
		gid_t rgid = (gid_t)-1;

		(void)server_run_ids(s, &ruid, &rgid);
		if (pidfile_create(sc->pid_file, ruid, rgid, err,
		    sizeof(err)) < 0) {
			log_error("%s", err);
			exit(EX_UNAVAILABLE);
		}
		s->pid_file = xstrdup(sc->pid_file);
	}
	if (geteuid() == 0 && *sc->user) {
		struct privs p;

		if (privs_lookup(sc->user, sc->group, &p, err, sizeof(err)) < 0) {
			log_error("user: %s", err);
			exit(EX_CONFIG);
		}
		privs_drop(&p);
		log_debug("running as %s", sc->user);
	} else if (geteuid() == 0) {
		log_warn("running as root: set \"user\" to drop privileges");
	}
	/* what runs now is what a SIGHUP compares restart parameters with */
	server_reload_started(s);
	if (spec->ready)
		spec->ready(s);
	arm_tick(s);
	log_info("daemon started -- version %s", PACKAGE_VERSION);
	notify_send("READY=1");
	detach_stderr(s);

	if (ev_run(s->ev) < 0)
		exit(EX_OSERR);
	if (spec->stopped)
		spec->stopped(s);

	{
		unsigned i;

		for (i = 0; i < s->nlisteners; i++)
			listener_free(s->listeners[i]);
	}
	if (s->pid_file)
		pidfile_remove();
	log_info("stopped");
	exit(0);
}

struct ev *
server_ev(struct server *s)
{
	return s->ev;
}

void *
server_cfg(struct server *s)
{
	return s->cfg;
}

void *
server_ctx(struct server *s)
{
	return s->ctx;
}

void
server_set_ctx(struct server *s, void *ctx)
{
	s->ctx = ctx;
}

int
server_foreground(struct server *s)
{
	return s->foreground;
}

const char *
server_config_path(struct server *s)
{
	return s->config_path;
}

time_t
server_started(struct server *s)
{
	return s->started;
}

int
server_stopping(struct server *s)
{
	return s->stopping;
}

const struct server_spec *
server_spec(struct server *s)
{
	return s->spec;
}

/* server_listen_all - bind every endpoint a server_sockets names */
int
server_listen_all(struct server *s, const struct server_sockets *ss,
    listener_accept_fn *fn, void *ctx, char *err, size_t errlen)
{
	const char *p = ss->endpoints, *item;
	struct listener *l;
	char *ep;
	size_t n;

	while ((item = cfg_conv_list_next(&p, &n)) != NULL) {
		ep = xstrndup(item, n);
		l = server_listen(s, ep, ss->mode, NULL, ss->group, fn, ctx,
		    err, errlen);
		free(ep);
		if (l == NULL)
			return -1;
	}
	return 0;
}

/*
 * server_run_ids - the uid and gid the daemon runs as after the drop: 1 if
 * it starts as root with `user` set (looked up once, here, before the
 * drop), 0 if it keeps its ids (or the user is unknown: the drop itself
 * reports that)
 */
int
server_run_ids(struct server *s, uid_t *uid, gid_t *gid)
{
	struct server_common *sc = s->cfg;
	char err[256];

	if (s->run_state == 0)
		s->run_state = geteuid() == 0 && *sc->user &&
		    privs_lookup(sc->user, sc->group, &s->run, err,
		    sizeof(err)) == 0 ? 1 : -1;
	if (s->run_state < 0)
		return 0;
	*uid = s->run.uid;
	*gid = s->run.gid;
	return 1;
}

/*
 * check_unlink - once the daemon runs as `user`, can it remove the socket
 * at stop? If not, say so now, once: the file stays after stop (harmless:
 * the next start replaces a stale socket), and the admin should know why
 */
static void
check_unlink(struct server *s, const char *name, const char *path,
    const struct stat *st)
{
	struct sockaccess_user u;
	uid_t uid;
	gid_t gid;
	char why[1024];

	if (!server_run_ids(s, &uid, &gid))
		return;
	/* privs_drop() keeps the primary group only */
	sockaccess_user_ids(&u, s->run.user, uid, gid);
	if (sockaccess_unlink(&u, path, st, why, sizeof(why)) == 0)
		log_warn("%s: running as %s the daemon cannot remove the socket "
		    "at stop: %s; it stays behind after stop and the next "
		    "start replaces it (to have it removed, let %s write to "
		    "that directory)", name, u.name, why, u.name);
	sockaccess_user_free(&u);
}

/*
 * check_postfix - can the user Postfix's daemons run as connect to this
 * unix socket (st: as it is, or as it will be)? Warn with the fix if not.
 */
static void
check_postfix(struct server *s, const char *name, const char *path,
    const struct stat *st)
{
	char why[1024], desc[160], err[256];
	const char *who;
	int r;

	if (s->pf_state == 0) {
		char user[64];

		s->pf_state = sockaccess_postfix_user(user, sizeof(user)) == 0 &&
		    sockaccess_user_lookup(user, &s->pf, err, sizeof(err)) == 0 ?
		    1 : -1;
		if (s->pf_state < 0)
			log_debug("no Postfix user (postconf -h mail_owner, "
			    "\"postfix\"): socket access not checked");
	}
	if (s->pf_state < 0)
		return;
	r = sockaccess_connect(&s->pf, path, st, why, sizeof(why));
	who = s->pf.name;
	if (r < 0)
		log_info("%s: cannot check yet whether Postfix (user %s) can "
		    "connect: %s", name, who, why);
	else if (r == 0 && strncmp(why, "no search", 9) == 0)
		log_warn("%s: Postfix (user %s) cannot connect: %s (the "
		    "socket: %s); fix: give %s search permission there (e.g. "
		    "chgrp it to a group %s is in and chmod g+x), then "
		    "\"postfix reload\"", name, who, why,
		    sockaccess_describe(st, desc, sizeof(desc)), who, who);
	else if (r == 0)
		log_warn("%s: Postfix (user %s) cannot connect: %s; fix: "
		    "a socket_group %s is in, e.g. \"socket_group = postfix\", "
		    "or \"socket_group = sasl\" and \"adduser %s sasl\", then "
		    "\"postfix reload\" so running smtpd processes pick up the "
		    "group", name, who, why, who, who);
}

/* check_config_sockets - -n: could Postfix reach the sockets of this config */
static void
check_config_sockets(struct server *s)
{
	struct server_sockets ss;
	struct endpoint ep;
	struct stat st;
	const char *p, *next;
	char name[300], err[256];
	size_t n;

	if (!server_config_sockets(s->spec, s->cfg, &ss))
		return;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFSOCK | server_want_mode(ss.mode);
	st.st_uid = geteuid();
	st.st_gid = getegid();
	(void)server_run_ids(s, &st.st_uid, &st.st_gid);
	if (*ss.group && privs_group_gid(ss.group, &st.st_gid, err,
	    sizeof(err)) < 0) {
		log_warn("socket_group: %s", err);
		return;
	}
	for (p = ss.endpoints; (next = cfg_conv_list_next(&p, &n)) != NULL;) {
		if (endpoint_canonical(next, n, &ep, name, sizeof(name)) < 0 ||
		    ep.kind != ENDPOINT_UNIX)
			continue;
		check_postfix(s, name, ep.path, &st);
	}
}

/* server_listen - bind an endpoint and accept on it */
struct listener *
server_listen(struct server *s, const char *endpoint, mode_t mode,
    const char *owner, const char *group, listener_accept_fn *fn, void *ctx,
    char *err, size_t errlen)
{
	struct server_common *sc = s->cfg;
	struct listener_opts o;
	struct endpoint ep;
	struct listener *l;
	struct stat st;
	int drops;

	memset(&o, 0, sizeof(o));
	o.mode = mode;
	o.uid = (uid_t)-1;
	o.gid = (gid_t)-1;
	o.max_conns = (unsigned)sc->max_connections;
	o.max_new_per_peer = (unsigned)sc->max_new_per_peer;
	o.first_request_ms = (uint64_t)sc->first_request_timeout;
	/* a socket made as root belongs to the user the daemon runs as */
	drops = server_run_ids(s, &o.uid, &o.gid);
	if (endpoint_parse(endpoint, &ep, err, errlen) < 0)
		return NULL;
	if (owner && *owner && privs_user_uid(owner, &o.uid, err, errlen) < 0)
		return NULL;
	if (group && *group && privs_group_gid(group, &o.gid, err, errlen) < 0)
		return NULL;
	if (!s->have_sock_gid) {
		/* what socket_group "" gives: the run group, or ours */
		s->sock_gid = drops ? s->run.gid : getegid();
		s->have_sock_gid = 1;
	}
	if ((l = listener_open(&ep, &o, err, errlen)) == NULL)
		return NULL;
	if (listener_start(l, s->ev, fn, ctx) < 0) {
		snprintf(err, errlen, "%s: %s", listener_name(l), strerror(errno));
		listener_free(l);
		return NULL;
	}
	s->listeners = xreallocarray(s->listeners, s->nlisteners + 1, sizeof(*s->listeners));
	s->listeners[s->nlisteners++] = l;
	log_info("listening on %s", listener_name(l));
	if (listener_unix_stat(l, &st) == 0) {
		if (listener_created(l))
			check_unlink(s, listener_name(l), ep.path, &st);
		/* a socket only its owner may use is an admin's, not Postfix's */
		if ((mode & 077) != 0)
			check_postfix(s, listener_name(l), ep.path, &st);
	}
	return l;
}

/* server_conn - a conn for an accepted client */
struct conn *
server_conn(struct server *s, struct listener *l, int fd, const char *peer,
    size_t max_in, size_t max_out, conn_fn *fn, void *ctx)
{
	struct server_common *sc = s->cfg;
	struct conn_limits lim;
	struct conn *c;

	lim.max_in = max_in;
	lim.max_out = max_out;
	lim.idle_ms = (uint64_t)sc->idle_timeout;
	/* the per-connection limits a reload changed apply from here on
	 * (a connection made without a listener, as in unit tests, has none) */
	if (l != NULL)
		listener_set_limits(l, listener_max_conns(l),
		    (unsigned)sc->max_new_per_peer,
		    (uint64_t)sc->first_request_timeout);
	c = conn_new(s->ev, fd, &lim, fn, ctx);
	conn_set_peer(c, peer);
	conn_set_listener(c, l);
	if (s->clients != NULL)
		conn_set_add(s->clients, c);
	return c;
}

unsigned
server_listener_count(struct server *s)
{
	return s->nlisteners;
}

struct listener *
server_listener(struct server *s, unsigned i)
{
	return i < s->nlisteners ? s->listeners[i] : NULL;
}
