/*
 * status-testd - a tiny daemon on the real server skeleton, for the status
 * page tests (tests/proto/test_status.py, tests/integration/it_status_browser.sh)
 *
 * Contract: one listener (`listen`, default inet:127.0.0.1:10099) speaking a
 * line protocol, one reply line per request line:
 *   ping          -> "pong"   (result="ok"; latency measured)
 *   lat N         -> "ok"     (result="ok"; N microseconds recorded, so the
 *                              tests know exactly which bucket moved)
 *   fail          -> "error"  (result="error")
 *   note TEXT     -> "noted"  (TEXT goes into the recent ring and a kv row
 *                              verbatim: the escaping tests use it)
 *   ready / unready -> "ok"   (flip what status_ready() says)
 *   bulk N LEN    -> "ok"     (from now on a "bulk" section of N gauges
 *                              named LEN characters long: a status that
 *                              outgrows the page's size cap; "bulk 0 0" ends it)
 *   pad K         -> "ok"     (a K-byte fact, K < 1024, in that section:
 *                              moves the size of a response byte by byte)
 *   anything else -> "unknown" (protocol_errors)
 * Its spec->status callback uses every writer call, so the tests see each
 * of them rendered as HTML, JSON and Prometheus text.
 */
#include "sysdep.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "stats.h"
#include "status.h"
#include "xalloc.h"

struct testd_cfg {
	struct server_common common;
	char	*listen;
};

static const struct cfg_param testd_params[] = {
	/* bound once, at init */
	{"listen", CFG_STR, "inet:127.0.0.1:10099", offsetof(struct testd_cfg, listen), 0, 0,
	    CFG_F_RESTART},
	{NULL, 0, NULL, 0, 0, 0, 0},
};

enum { CMD_PING, CMD_LAT, CMD_FAIL, CMD_NOTE, CMD_READY, CMD_UNKNOWN, CMD_N };

static const char *const cmd_names[CMD_N] = {
	"ping", "lat", "fail", "note", "ready", "unknown",
};

#define BULK_MAX_N	4000
#define BULK_MAX_LEN	16384

static struct {
	struct server *server;
	struct stats_counter ok, error, proto_errors, cmds[CMD_N];
	struct stats_hist latency;
	struct stats_recent recent;
	unsigned open_conns;
	int	unready;
	char	last_note[240];
	unsigned bulk_n, bulk_len, pad_len;
} T;

/* answer - handle one request line, return the reply */
static const char *
answer(const char *line, const char *peer)
{
	struct timespec t0;
	unsigned long long n;
	char	*end;

	stats_clock(&t0);
	if (strcmp(line, "ping") == 0) {
		stats_inc(&T.cmds[CMD_PING]);
		stats_inc(&T.ok);
		stats_hist_record(&T.latency, stats_usec_since(&t0));
		stats_recent_add(&T.recent, "ping from %s: ok", peer);
		return "pong";
	}
	if (strncmp(line, "lat ", 4) == 0) {
		n = strtoull(line + 4, &end, 10);
		if (end == line + 4 || *end != 0)
			goto unknown;
		stats_inc(&T.cmds[CMD_LAT]);
		stats_inc(&T.ok);
		stats_hist_record(&T.latency, n);
		stats_recent_add(&T.recent, "lat %llu us from %s: ok", n, peer);
		return "ok";
	}
	if (strcmp(line, "fail") == 0) {
		stats_inc(&T.cmds[CMD_FAIL]);
		stats_inc(&T.error);
		stats_recent_add(&T.recent, "fail from %s: error", peer);
		return "error";
	}
	if (strncmp(line, "note ", 5) == 0) {
		stats_inc(&T.cmds[CMD_NOTE]);
		snprintf(T.last_note, sizeof(T.last_note), "%s", line + 5);
		stats_recent_add(&T.recent, "%s", line + 5);
		return "noted";
	}
	if (strcmp(line, "ready") == 0 || strcmp(line, "unready") == 0) {
		stats_inc(&T.cmds[CMD_READY]);
		T.unready = line[0] == 'u';
		return "ok";
	}
	if (strncmp(line, "bulk ", 5) == 0) {
		unsigned long long len;

		n = strtoull(line + 5, &end, 10);
		if (end == line + 5 || *end != ' ' || n > BULK_MAX_N)
			goto unknown;
		len = strtoull(end + 1, &end, 10);
		if (*end != 0 || len > BULK_MAX_LEN || (n && len < 32))
			goto unknown;
		T.bulk_n = (unsigned)n;
		T.bulk_len = (unsigned)len;
		return "ok";
	}
	if (strncmp(line, "pad ", 4) == 0) {
		n = strtoull(line + 4, &end, 10);
		if (end == line + 4 || *end != 0 || n >= 1024)
			goto unknown;
		T.pad_len = (unsigned)n;
		return "ok";
	}
unknown:
	stats_inc(&T.cmds[CMD_UNKNOWN]);
	stats_inc(&T.proto_errors);
	return "unknown";
}

/* client - read lines, answer each */
static void
client(struct conn *c, enum conn_event ev, void *ctx)
{
	struct buf *in;
	char	*nl;

	switch (ev) {
	case CONN_CLOSED:
		T.open_conns--;
		return;
	case CONN_FLUSHED:
		return;
	case CONN_READ:
		break;
	}
	in = conn_in(c);
	while ((nl = memchr(in->data, '\n', in->len)) != NULL) {
		size_t	len = (size_t)(nl - in->data);
		char	*line = xstrndup(in->data, len);
		const char *reply;

		if (len && line[len - 1] == '\r')
			line[len - 1] = 0;
		reply = answer(line, conn_peer(c));
		xfree(line);
		buf_consume(in, len + 1);
		if (conn_write(c, reply, strlen(reply)) < 0 || conn_write(c, "\n", 1) < 0)
			return;
	}
	if (conn_peer_eof(c))
		conn_close_after_flush(c);
}

/* accept_one - a new client */
static void
accept_one(struct listener *l, int fd, const char *peer, void *ctx)
{
	(void)server_conn(T.server, l, fd, peer, 4096, 65536, client, NULL);
	T.open_conns++;
}

/* testd_init - listen */
static int
testd_init(struct server *s, char *err, size_t errlen)
{
	struct testd_cfg *cfg = server_cfg(s);

	T.server = s;
	stats_recent_init(&T.recent, 20);
	if (server_listen(s, cfg->listen, 0660, NULL, NULL, accept_one, NULL,
	    err, errlen) == NULL)
		return -1;
	return 0;
}

/* testd_bulk - the "bulk" section: the pad fact, then the bulk gauges */
static void
testd_bulk(struct status_writer *w)
{
	char	pad[1024], *name;
	unsigned i;

	status_section(w, "bulk", "Bulk");
	if (T.pad_len) {
		memset(pad, 'p', T.pad_len);
		pad[T.pad_len] = 0;
		status_kv(w, "pad", "%s", pad);
	}
	if (T.bulk_n == 0)
		return;
	name = xmalloc(T.bulk_len + 1);
	memset(name, 'x', T.bulk_len);
	name[T.bulk_len] = 0;
	for (i = 0; i < T.bulk_n; i++) {
		char	num[32];

		/* a fixed-width number keeps every name LEN long */
		snprintf(num, sizeof(num), "testd_bulk_%05u_", i);
		memcpy(name, num, strlen(num));
		status_gauge(w, name, "Bulk", NULL, (double)i);
	}
	xfree(name);
}

/* testd_status - every writer call, so the tests see each rendered */
static void
testd_status(struct server *s, struct status_writer *w)
{
	static const char *const cols[] = {"command", "count"};
	uint64_t ok = stats_get(&T.ok), bad = stats_get(&T.error);
	unsigned i;

	status_section(w, "requests", "Requests");
	status_kv(w, "answered", "%llu", (unsigned long long)(ok + bad));
	status_kv(w, "last note", "%s", T.last_note[0] ? T.last_note : "(none)");
	/* the naming rules make this status_testd_requests_total */
	status_counter(w, "requests", "Requests answered, by result",
	    "result=\"ok\"", ok);
	status_gauge(w, "status_testd_open_connections",
	    "Open client connections", NULL, (double)T.open_conns);
	/* the same family again after another metric: still one HELP/TYPE */
	status_counter(w, "status_testd_requests_total",
	    "Requests answered, by result", "result=\"error\"", bad);
	status_counter(w, "status_testd_protocol_errors", "Unknown commands",
	    NULL, stats_get(&T.proto_errors));
	status_hist(w, "status_testd_request_duration", "Request latency", NULL,
	    &T.latency);

	status_section(w, "activity", "Activity");
	status_table(w, "commands", "Commands", cols, 2);
	for (i = 0; i < CMD_N; i++) {
		char	num[32];
		const char *cells[2];

		snprintf(num, sizeof(num), "%llu", (unsigned long long)stats_get(&T.cmds[i]));
		cells[0] = cmd_names[i];
		cells[1] = num;
		status_row(w, cells);
	}
	status_recent(w, "Recent requests", &T.recent);
	status_ready(w, !T.unready, T.unready ? "told to be unready" : NULL);
	if (T.bulk_n || T.pad_len)
		testd_bulk(w);
}

static const struct server_spec testd_spec = {
	.name = "status-testd",
	.default_config = "/nonexistent/status-testd.conf",
	.config_flag = 'c',
	.params = testd_params,
	.cfg_size = sizeof(struct testd_cfg),
	.init = testd_init,
	.status = testd_status,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &testd_spec);
}
