/*
 * tlsmap_control.c - the admin socket of the dynamic maps, both ends
 *
 * control_listen is a unix socket of mode 0600 (the daemon's user, root),
 * never the socket Postfix talks to: what it offers (forgetting a domain,
 * resolving it again) is for the admin only. One request a connection, a
 * line "VERB ARGUMENT":
 *   explain DOMAIN  what each cache holds for DOMAIN and what it answers
 *   refresh DOMAIN  forget DOMAIN and resolve it now; the reply comes when
 *                   the answer is there (or at dns_timeout)
 *   purge DOMAIN    forget DOMAIN; "purge all" forgets every domain
 * The reply is text lines, then the daemon closes. A reply whose first
 * line starts with "error:" failed; the client (tlsmap explain, refresh,
 * purge) exits 1 then.
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conn.h"
#include "dynamic.h"
#include "log.h"
#include "server.h"
#include "text.h"
#include "tlsmap.h"
#include "xalloc.h"

#define CONTROL_MAX_IN	1024
#define CONTROL_MAX_OUT	65536
#define CONTROL_TEXT	16384

struct control {
	struct tlsmap *tm;
	struct conn *conn;
	struct dyn_wait *wait;
	char	 domain[256];
};

static void
say(struct control *c, const char *s)
{
	(void)conn_write(c->conn, s, strlen(s));
}

static void
explain_all(struct control *c, const char *domain)
{
	static char out[CONTROL_TEXT];
	struct text t;
	size_t i;

	for (i = 0; i < c->tm->ndyns; i++) {
		text_init(&t, out, sizeof(out));
		text_str(&t, "cache: ");
		text_str(&t, dyn_cache_file(c->tm->dyns[i]));
		text_str(&t, "\n");
		dyn_explain(c->tm->dyns[i], domain, &t);
		say(c, out);
	}
}

static void
refreshed(const struct dyn_answer *a, void *vc)
{
	struct control *c = vc;

	c->wait = NULL;
	say(c, "refreshed: ");
	say(c, a->text);
	say(c, "\n");
	explain_all(c, c->domain);
	conn_close_after_flush(c->conn);
}

/* request - one line */
static void
request(struct control *c, const char *line)
{
	struct tlsmap *tm = c->tm;
	char verb[16], arg[256], msg[512];
	size_t i, n = 0;

	if (sscanf(line, "%15s %255s", verb, arg) != 2) {
		say(c, "error: expected \"explain|refresh|purge DOMAIN\"\n");
		conn_close_after_flush(c->conn);
		return;
	}
	if (tm->ndyns == 0) {
		say(c, "error: no dynamic map is configured\n");
		conn_close_after_flush(c->conn);
		return;
	}
	log_info("control: %s %s", verb, arg);
	if (strcmp(verb, "explain") == 0) {
		explain_all(c, arg);
	} else if (strcmp(verb, "purge") == 0) {
		for (i = 0; i < tm->ndyns; i++)
			n += dyn_purge(tm->dyns[i], strcmp(arg, "all") == 0 ?
			    NULL : arg);
		snprintf(msg, sizeof(msg), "purged: %zu entr%s\n", n,
		    n == 1 ? "y" : "ies");
		say(c, msg);
	} else if (strcmp(verb, "refresh") == 0) {
		snprintf(c->domain, sizeof(c->domain), "%s", arg);
		for (i = 1; i < tm->ndyns; i++)
			(void)dyn_purge(tm->dyns[i], arg);
		/* refreshed() replies, now or when the answer is there */
		(void)dyn_refresh(tm->dyns[0], arg, refreshed, c, &c->wait);
		return;
	} else {
		say(c, "error: unknown command (explain, refresh, purge)\n");
	}
	conn_close_after_flush(c->conn);
}

static void
control_event(struct conn *conn, enum conn_event ev, void *vc)
{
	struct control *c = vc;
	struct buf *in;
	char *nl, line[CONTROL_MAX_IN + 1];

	switch (ev) {
	case CONN_READ:
		in = conn_in(conn);
		if (c->wait != NULL)
			return;
		if ((nl = memchr(in->data, '\n', in->len)) == NULL) {
			if (conn_peer_eof(conn) || in->len >= CONTROL_MAX_IN)
				conn_close(conn);
			return;
		}
		memcpy(line, in->data, (size_t)(nl - in->data));
		line[nl - in->data] = 0;
		buf_consume(in, in->len);
		conn_pause(conn);
		request(c, line);
		break;
	case CONN_FLUSHED:
		break;
	case CONN_CLOSED:
		dyn_wait_cancel(c->wait);
		free(c);
		break;
	}
}

static void
control_accept(struct listener *l, int fd, const char *peer, void *ctx)
{
	struct tlsmap *tm = ctx;
	struct control *c = xcalloc(1, sizeof(*c));

	c->tm = tm;
	c->conn = server_conn(tm->srv, l, fd, "control", CONTROL_MAX_IN,
	    CONTROL_MAX_OUT, control_event, c);
}

int
tlsmap_control_listen(struct tlsmap *tm, const struct tlsmap_cfg *cfg,
    char *err, size_t errlen)
{
	if (cfg->control_listen[0] == 0)
		return 0;
	/* 0600 and the daemon's own user: the admin, not Postfix */
	return server_listen(tm->srv, cfg->control_listen, 0600, NULL, NULL,
	    control_accept, tm, err, errlen) == NULL ? -1 : 0;
}

int
tlsmap_control_ask(const char *endpoint, const char *verb, const char *arg)
{
	struct sockaddr_un sun;
	char buf[4096], first[8] = "";
	size_t nfirst = 0;
	ssize_t n;
	int fd, failed = 0;

	if (endpoint == NULL || endpoint[0] == 0) {
		log_error("%s: control_listen is not set in the configuration: "
		    "the daemon has no admin socket to ask", verb);
		return EX_CONFIG;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strncmp(endpoint, "unix:", 5) != 0 ||
	    strlen(endpoint + 5) >= sizeof(sun.sun_path)) {
		log_error("%s: control_listen \"%s\" is not unix:PATH", verb,
		    endpoint);
		return EX_CONFIG;
	}
	memcpy(sun.sun_path, endpoint + 5, strlen(endpoint + 5));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_error("%s: cannot reach the daemon at %s: %s (is tlsmap "
		    "running, with this control_listen?)", verb, endpoint + 5,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_UNAVAILABLE;
	}
	snprintf(buf, sizeof(buf), "%s %s\n", verb, arg);
	if (write(fd, buf, strlen(buf)) < 0) {
		log_error("%s: %s: %s", verb, endpoint + 5, strerror(errno));
		close(fd);
		return EX_UNAVAILABLE;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (nfirst < 6) {
			size_t k = (size_t)n < 6 - nfirst ? (size_t)n :
			    6 - nfirst;

			memcpy(first + nfirst, buf, k);
			nfirst += k;
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	fflush(stdout);
	close(fd);
	if (strncmp(first, "error:", 6) == 0)
		failed = 1;
	return failed;
}
