/*
 * server_reload.c - what a SIGHUP puts in effect, and what needs a restart
 *
 * The contract is in server_reload.h. The listener comparison (bound
 * endpoints, socket file mode and group, status page) came from server.c;
 * the other restart parameters are compared as text, cfg_value_text(),
 * with a copy taken at start.
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "cfg_conv.h"
#include "endpoint.h"
#include "listen.h"
#include "log.h"
#include "privs.h"
#include "server.h"
#include "server_config.h"
#include "server_int.h"
#include "server_reload.h"
#include "status_http.h"
#include "xalloc.h"

#define VALUE_LEN	1024

struct server_reload {
	char	**running;	/* per table row: restart value at start, or NULL */
	size_t	 n;
	char	*log_names[2];	/* syslog_name in use and the one before */
};

/* server_status_bound_name - canonical form of a status_listen value ("" = none) */
void
server_status_bound_name(const char *value, char *out, size_t outlen)
{
	(void)endpoint_canonical(value, strlen(value), NULL, out, outlen);
}

/* Listener settings SIGHUP cannot apply, as bits of listen_pending() */
#define PEND_LISTEN	1
#define PEND_MODE	2
#define PEND_GROUP	4
#define PEND_STATUS	8

/* bound_text - the bound endpoints, "a, b" */
static void
bound_text(struct server *s, char *out, size_t outlen)
{
	size_t len = 0;
	unsigned i;

	*out = 0;
	for (i = 0; i < s->nlisteners && len < outlen; i++)
		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    i ? ", " : "", listener_name(s->listeners[i]));
}

/* bound_listener - is this canonical endpoint bound */
static int
bound_listener(struct server *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->nlisteners; i++)
		if (strcmp(listener_name(s->listeners[i]), name) == 0)
			return 1;
	return 0;
}

/*
 * endpoints_bound - does a list name exactly the bound endpoints (in any
 * order; "inet:10030" and "inet:127.0.0.1:10030" are the same); its
 * canonical text goes to want
 */
static int
endpoints_bound(struct server *s, const char *list, char *want,
    size_t wantlen)
{
	const char *p = list, *next;
	char name[300];
	size_t n, len = 0;
	unsigned count = 0;
	int same = 1;

	*want = 0;
	while ((next = cfg_conv_list_next(&p, &n)) != NULL) {
		(void)endpoint_canonical(next, n, NULL, name, sizeof(name));
		if (!bound_listener(s, name))
			same = 0;
		count++;
		if (len < wantlen)
			len += (size_t)snprintf(want + len, wantlen - len,
			    "%s%s", count > 1 ? ", " : "", name);
	}
	return same && count == s->nlisteners;
}

/* bound_unix - a unix socket file we created: how it was set up */
static int
bound_unix(struct server *s, struct stat *st)
{
	unsigned i;

	for (i = 0; i < s->nlisteners; i++)
		if (listener_created(s->listeners[i]) &&
		    listener_unix_stat(s->listeners[i], st) == 0)
			return 1;
	return 0;
}

/*
 * listen_pending - which listener settings of cfg differ from the bound
 * listeners (not from the config loaded last: after a change and its
 * revert nothing is pending); with warn, log each one
 */
static unsigned
listen_pending(struct server *s, void *cfg, int warn)
{
	struct server_common *sc = cfg;
	struct server_sockets ss;
	struct stat st;
	char want[1024], bound[1024], err[256];
	unsigned pend = 0;
	gid_t gid;

	if (server_config_sockets(s->spec, cfg, &ss)) {
		if (!endpoints_bound(s, ss.endpoints, want, sizeof(want))) {
			pend |= PEND_LISTEN;
			bound_text(s, bound, sizeof(bound));
			if (warn)
				log_warn("reload: %s changed from %s to %s: "
				    "this needs a restart; still listening "
				    "on %s", ss.listen_param, bound, want,
				    bound);
		}
		if (bound_unix(s, &st)) {
			mode_t bmode = st.st_mode & 07777;

			if (server_want_mode(ss.mode) != bmode) {
				pend |= PEND_MODE;
				if (warn)
					log_warn("reload: socket_mode changed "
					    "from %04o to %04o: this needs a "
					    "restart; the socket keeps %04o",
					    (unsigned)bmode,
					    (unsigned)server_want_mode(ss.mode),
					    (unsigned)bmode);
			}
			if (*ss.group == 0)
				gid = s->have_sock_gid ? s->sock_gid : st.st_gid;
			else if (privs_group_gid(ss.group, &gid, err,
			    sizeof(err)) < 0)
				gid = (gid_t)-1;
			if (gid != st.st_gid) {
				pend |= PEND_GROUP;
				privs_group_text(st.st_gid, PRIVS_TEXT_NAME, bound,
				    sizeof(bound));
				if (warn)
					log_warn("reload: socket_group changed "
					    "from %s to %s: this needs a "
					    "restart; the socket keeps group "
					    "%s", bound, *ss.group ? ss.group :
					    "\"\" (the default)", bound);
			}
		}
	}
	server_status_bound_name(sc->status_listen, want, sizeof(want));
	if (strcmp(want, s->status_name) != 0) {
		pend |= PEND_STATUS;
		if (warn)
			log_warn("reload: status_listen changed from %s to %s: "
			    "this needs a restart; the status page stays %s%s",
			    *s->status_name ? s->status_name : "\"\"",
			    *want ? want : "\"\"",
			    *s->status_name ? "on " : "off",
			    s->status_name);
	}
	return pend;
}

/* report_listen_changes - SIGHUP adopted ncfg: which listeners need a restart */
static void
report_listen_changes(struct server *s, void *ocfg, void *ncfg)
{
	unsigned was = listen_pending(s, ocfg, 0);
	unsigned now = listen_pending(s, ncfg, 1);
	unsigned back = was & ~now;
	struct server_sockets ss;
	struct stat st;
	char text[1024];

	if (back & PEND_LISTEN) {
		(void)server_config_sockets(s->spec, ncfg, &ss);
		bound_text(s, text, sizeof(text));
		log_info("reload: %s is back to the running %s; no restart "
		    "pending for it", ss.listen_param, text);
	}
	if ((back & (PEND_MODE | PEND_GROUP)) && bound_unix(s, &st)) {
		privs_group_text(st.st_gid, PRIVS_TEXT_NAME, text,
		    sizeof(text));
		if (back & PEND_MODE)
			log_info("reload: socket_mode is back to the running "
			    "%04o; no restart pending for it",
			    (unsigned)(st.st_mode & 07777));
		if (back & PEND_GROUP)
			log_info("reload: socket_group is back to the running "
			    "%s; no restart pending for it", text);
	}
	if (back & PEND_STATUS)
		log_info("reload: status_listen is back to the running %s; no "
		    "restart pending for it", *s->status_name ?
		    s->status_name : "\"\" (off)");
}


/* server_reload_table - every parameter says reload or restart, not both */
void
server_reload_table(const struct cfg_param *table, const char *prog)
{
	const struct cfg_param *p;
	int f;

	for (p = table; p->name != NULL; p++) {
		f = p->flags & (CFG_F_RELOAD | CFG_F_RESTART);
		if (f != CFG_F_RELOAD && f != CFG_F_RESTART)
			log_panic("%s: parameter %s: its table entry must say "
			    "CFG_F_RELOAD or CFG_F_RESTART", prog, p->name);
	}
}

/* server_reload_list - the hidden "params": each parameter and its kind */
void
server_reload_list(const struct cfg_param *table)
{
	const struct cfg_param *p;

	for (p = table; p->name != NULL; p++)
		printf("%s %s\n", p->name,
		    (p->flags & CFG_F_RESTART) ? "restart" : "reload");
	fflush(stdout);
}

/* server_reload_started - the restart values the daemon runs with */
void
server_reload_started(struct server *s)
{
	struct server_reload *r = xcalloc(1, sizeof(*r));
	char text[VALUE_LEN];
	size_t i;

	while (s->table[r->n].name != NULL)
		r->n++;
	r->running = xcalloc(r->n + 1, sizeof(*r->running));
	for (i = 0; i < r->n; i++) {
		if (!(s->table[i].flags & CFG_F_RESTART))
			continue;
		cfg_value_text(&s->table[i], s->cfg, text, sizeof(text));
		r->running[i] = xstrdup(text);
	}
	s->reload = r;
}

/* listener_param - compared with what is bound (listen_pending), not here */
static int
listener_param(struct server *s, void *cfg, const char *name)
{
	struct server_sockets ss;

	if (strcmp(name, "status_listen") == 0)
		return 1;
	if (!server_config_sockets(s->spec, cfg, &ss))
		return 0;
	return strcmp(name, ss.listen_param) == 0 ||
	    strcmp(name, "socket_mode") == 0 ||
	    strcmp(name, "socket_group") == 0;
}

/* shown - a value for a log line: "" quoted, a secret hidden */
static const char *
shown(const struct cfg_param *p, const char *text)
{
	if (p->flags & CFG_F_SECRET)
		return "(hidden)";
	return *text ? text : "\"\"";
}

/* set_logging - syslog_name and syslog_facility of cfg in effect */
static void
set_logging(struct server *s, struct server_common *sc)
{
	struct server_reload *r = s->reload;
	const char *name = *sc->syslog_name ? sc->syslog_name : s->spec->name;

	/*
	 * log.c and openlog() keep the pointer, and a worker may be logging
	 * right now: the name stays allocated until the change after next.
	 */
	xfree(r->log_names[1]);
	r->log_names[1] = r->log_names[0];
	r->log_names[0] = xstrdup(name);
	(void)log_init(r->log_names[0],
	    s->foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, sc->syslog_facility);
}

/* set_status_auth - the running page follows status_auth_file, never opening */
static void
set_status_auth(struct server *s, struct server_common *oc,
    struct server_common *nc)
{
	const char *want = nc->status_auth_file;
	char err[1024], *before;
	const char *now;

	if (s->status == NULL)
		return;		/* no page: it starts with the file it is given */
	before = xstrdup(status_http_auth_file(s->status));
	if (status_http_set_auth(s->status, want, err, sizeof(err)) == 0) {
		if (strcmp(before, want) != 0)
			log_info("reload: status_auth_file changed from %s to "
			    "%s: the status page asks for its users",
			    *before ? before : "\"\" (none)", want);
		else if (strcmp(oc->status_auth_file, want) != 0)
			log_info("reload: status_auth_file is back to the "
			    "running %s; no restart pending for it", want);
	} else if (*want == 0) {
		log_warn("reload: status_auth_file changed from %s to \"\": "
		    "needs a restart; still running with %s (a reload never "
		    "opens the status page)", before, before);
	} else if (strcmp(now = status_http_auth_file(s->status), want) == 0) {
		log_error("reload: %s; the status page now denies every "
		    "request until %s loads (it is read again when it "
		    "changes)", err, want);
	} else {
		log_error("reload: %s; still running with status_auth_file "
		    "%s and its users", err, now);
	}
	xfree(before);
}

/* server_reload_apply - what the skeleton itself puts in effect */
void
server_reload_apply(struct server *s, void *ocfg, void *ncfg)
{
	struct server_common *oc = ocfg, *nc = ncfg;

	if (strcmp(oc->syslog_name, nc->syslog_name) != 0 ||
	    strcmp(oc->syslog_facility, nc->syslog_facility) != 0)
		set_logging(s, nc);
	set_status_auth(s, oc, nc);
}

/* restart_extra - what else a warning about this parameter must say */
static const char *
restart_extra(const char *name)
{
	if (strcmp(name, "user") == 0 || strcmp(name, "group") == 0)
		return " (a reload never changes the user or group the "
		    "daemon runs as: its privileges stay those it started "
		    "with)";
	return "";
}

/* server_reload_report - what took effect, what needs a restart */
void
server_reload_report(struct server *s, void *ocfg, void *ncfg)
{
	struct server_reload *r = s->reload;
	const struct cfg_param *p;
	char was[VALUE_LEN], now[VALUE_LEN];
	size_t i;

	report_listen_changes(s, ocfg, ncfg);
	for (i = 0; i < r->n; i++) {
		p = &s->table[i];
		cfg_value_text(p, ocfg, was, sizeof(was));
		cfg_value_text(p, ncfg, now, sizeof(now));
		if (p->flags & CFG_F_RELOAD) {
			if (strcmp(p->name, "status_auth_file") == 0 ||
			    strcmp(was, now) == 0)
				continue;
			log_info("reload: %s changed from %s to %s",
			    p->name, shown(p, was), shown(p, now));
			continue;
		}
		if (listener_param(s, ncfg, p->name))
			continue;
		if (strcmp(now, r->running[i]) != 0)
			log_warn("reload: %s changed from %s to %s: needs a "
			    "restart; still running with %s%s", p->name,
			    shown(p, r->running[i]), shown(p, now),
			    shown(p, r->running[i]), restart_extra(p->name));
		else if (strcmp(was, r->running[i]) != 0)
			log_info("reload: %s is back to the running %s; no "
			    "restart pending for it", p->name,
			    shown(p, r->running[i]));
	}
}
