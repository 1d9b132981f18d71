/*
 * test_sts_fetch.c - the MTA-STS policy fetcher against a real HTTPS server
 * (tests/lib/https_testd.py, one scenario per mta-sts.<name>.test Host) on
 * a real ev loop: statuses, content types, the 64 KiB cap, redirects never
 * followed, timeouts, certificate failures, refused connections, many
 * fetches at once, cancel and free from inside callbacks and with fetches
 * in flight. No name is ever resolved: every host is under .test and only
 * the address literal given to sts_fetch_start() is connected to.
 *
 * Needs python3 and openssl: without them it skips (77), or fails under
 * PFH_REQUIRE_TOOLS=1.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ev.h"
#include "sts_fetch.h"

#define UA	"tlsmap-test/1"

static const char policy[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.ok.test\r\n"
    "mx: *.backup.ok.test\r\nmax_age: 86400\r\n";

static char	 dir[256];
static char	 ca_path[300];
static pid_t	 server_pid = -1;
static int	 server_stdin = -1;
static unsigned	 port4, port6;

static struct ev *ev;
static struct sts_fetcher *fetcher;

/* ---- the server ---------------------------------------------------- */

static int
have_tool(const char *name)
{
	const char *path = getenv("PATH");
	char buf[1024];

	while (path != NULL && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static int
server_start(void)
{
	const char *src = getenv("PFH_SRCDIR");
	const char *tmp = getenv("TMPDIR");
	char script[512], line[128];
	int in[2], out[2];
	size_t got = 0;

	if (src == NULL)
		src = ".";
	snprintf(script, sizeof(script), "%s/tests/lib/https_testd.py", src);
	snprintf(dir, sizeof(dir), "%s/stsfetch.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || pipe(in) < 0 || pipe(out) < 0)
		return -1;
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		execlp("python3", "python3", script, dir, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	server_stdin = in[1];
	/* READY <port4> <port6>, within 30 s (key generation included) */
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		struct pollfd p = { out[0], POLLIN, 0 };
		ssize_t n;

		line[got] = '\0';
		if (poll(&p, 1, 30000) <= 0)
			break;
		n = read(out[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	close(out[0]);
	if (sscanf(line, "READY %u %u", &port4, &port6) != 2) {
		fprintf(stderr, "https_testd.py did not start: \"%s\"\n", line);
		return -1;
	}
	return 0;
}

static void
server_stop(void)
{
	DIR *d;
	struct dirent *e;
	int i;

	if (server_stdin >= 0)
		close(server_stdin);	/* the server exits at EOF */
	for (i = 0; server_pid > 0 && i < 50; i++) {
		if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
			server_pid = -1;
			break;
		}
		usleep(100000);
	}
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	if (dir[0] && (d = opendir(dir)) != NULL) {
		char p[600];

		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
		rmdir(dir);
	}
}

/* server_count - how many lines of requests.log contain needle */
static int
server_count(const char *needle)
{
	char p[600], line[1024];
	FILE *f;
	int n = 0;

	snprintf(p, sizeof(p), "%s/requests.log", dir);
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static int
server_saw(const char *needle)
{
	return server_count(needle) > 0;
}

/* ---- fetch helpers ------------------------------------------------- */

struct outcome {
	int	 calls;
	enum sts_fetch_status status;
	long	 http_status;
	char	*content_type;
	char	*body;		/* NULL when the result had none */
	size_t	 body_len;
	char	*error;
	uint64_t at;		/* ev_monotonic_ms() of the callback */
};

static void
record(const struct sts_fetch_result *r, void *ctx)
{
	struct outcome *o = ctx;

	o->calls++;
	o->status = r->status;
	o->http_status = r->http_status;
	o->content_type = r->content_type ? strdup(r->content_type) : NULL;
	if (r->body != NULL) {
		o->body = malloc(r->body_len + 1);
		memcpy(o->body, r->body, r->body_len + 1);
		assert_int_equal(r->body[r->body_len], '\0');
	}
	o->body_len = r->body_len;
	o->error = strdup(r->error);
	o->at = ev_monotonic_ms();
}

static void
outcome_clear(struct outcome *o)
{
	free(o->content_type);
	free(o->body);
	free(o->error);
	memset(o, 0, sizeof(*o));
}

static struct sts_fetcher *
new_fetcher(long timeout_ms)
{
	struct sts_fetch_cfg cfg = { ca_path, timeout_ms, 2000, UA };
	struct sts_fetcher *f = sts_fetcher_new(ev, &cfg);

	assert_non_null(f);
	return f;
}

/* run_until_idle - loop until the fetcher has nothing left, or limit_ms */
static void
run_until_idle(struct sts_fetcher *f, uint64_t limit_ms)
{
	uint64_t end = ev_monotonic_ms() + limit_ms;

	while (sts_fetcher_active(f) > 0 && ev_monotonic_ms() < end)
		ev_run_once(ev, 50);
	assert_int_equal(sts_fetcher_active(f), 0);
}

static void
run_for(uint64_t ms)
{
	uint64_t end = ev_monotonic_ms() + ms;

	while (ev_monotonic_ms() < end)
		ev_run_once(ev, 20);
}

/* fetch - one fetch of mta-sts.<scenario>.test from 127.0.0.1:port4 */
static void
fetch(const char *scenario, struct outcome *o)
{
	char host[128];

	snprintf(host, sizeof(host), "mta-sts.%s.test", scenario);
	memset(o, 0, sizeof(*o));
	assert_non_null(sts_fetch_start(fetcher, host, "127.0.0.1", port4, record, o));
	assert_int_equal(sts_fetcher_active(fetcher), 1);
	run_until_idle(fetcher, 10000);
	assert_int_equal(o->calls, 1);
}

static int
setup(void **state)
{
	(void)state;
	ev = ev_new();
	fetcher = new_fetcher(3000);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sts_fetcher_free(fetcher);
	fetcher = NULL;
	ev_free(ev);
	return 0;
}

/* ---- cases --------------------------------------------------------- */

static void
test_ok_body_byte_exact(void **state)
{
	struct outcome o;

	(void)state;
	fetch("ok", &o);
	assert_int_equal(o.status, STS_FETCH_OK);
	assert_int_equal(o.http_status, 200);
	assert_string_equal(o.content_type, "text/plain");
	assert_int_equal(o.body_len, sizeof(policy) - 1);
	assert_memory_equal(o.body, policy, sizeof(policy) - 1);
	assert_string_equal(o.error, "");
	/* Host was the policy host; no Accept-Encoding; our User-Agent. */
	assert_true(server_saw("mta-sts.ok.test /.well-known/mta-sts.txt ae=- ua=" UA "\n"));
	outcome_clear(&o);
}

static void
test_text_plain_with_params(void **state)
{
	struct outcome o;

	(void)state;
	fetch("charset", &o);
	assert_int_equal(o.status, STS_FETCH_OK);
	assert_string_equal(o.content_type, "text/plain; charset=utf-8");
	assert_memory_equal(o.body, policy, sizeof(policy) - 1);
	outcome_clear(&o);
	fetch("upper", &o);		/* "Text/PLAIN ;charset=UTF-8" */
	assert_int_equal(o.status, STS_FETCH_OK);
	outcome_clear(&o);
}

static void
test_wrong_or_no_content_type(void **state)
{
	struct outcome o;

	(void)state;
	fetch("html", &o);
	assert_int_equal(o.status, STS_FETCH_CONTENT_TYPE);
	assert_int_equal(o.http_status, 200);
	assert_string_equal(o.content_type, "text/html");
	assert_null(o.body);
	assert_string_equal(sts_fetch_status_name(o.status), "content-type");
	outcome_clear(&o);
	fetch("notype", &o);
	assert_int_equal(o.status, STS_FETCH_CONTENT_TYPE);
	assert_null(o.content_type);
	outcome_clear(&o);
}

static void
test_http_status(void **state)
{
	struct outcome o;

	(void)state;
	fetch("notfound", &o);
	assert_int_equal(o.status, STS_FETCH_HTTP_STATUS);
	assert_int_equal(o.http_status, 404);
	assert_null(o.body);
	assert_string_equal(o.error, "HTTP status 404");
	outcome_clear(&o);
	fetch("error", &o);
	assert_int_equal(o.status, STS_FETCH_HTTP_STATUS);
	assert_int_equal(o.http_status, 500);
	outcome_clear(&o);
}

static void
test_redirect_not_followed(void **state)
{
	struct outcome o;

	(void)state;
	fetch("redirect", &o);
	assert_int_equal(o.status, STS_FETCH_HTTP_STATUS);
	assert_int_equal(o.http_status, 301);
	assert_null(o.body);
	run_for(300);
	assert_true(server_saw("mta-sts.redirect.test "));
	assert_false(server_saw("mta-sts.target.test"));
	outcome_clear(&o);
}

static void
test_body_cap(void **state)
{
	struct outcome o;
	size_t i;

	(void)state;
	fetch("max", &o);		/* exactly 65536 bytes */
	assert_int_equal(o.status, STS_FETCH_OK);
	assert_int_equal(o.body_len, STS_FETCH_BODY_MAX);
	for (i = 0; i < o.body_len; i++)
		assert_int_equal(o.body[i], 'x');
	outcome_clear(&o);
	fetch("over", &o);		/* 65537 with Content-Length */
	assert_int_equal(o.status, STS_FETCH_TOO_BIG);
	assert_null(o.body);
	assert_string_equal(o.error, "policy body over 65536 bytes");
	assert_string_equal(sts_fetch_status_name(o.status), "too-big");
	outcome_clear(&o);
	fetch("chunked", &o);		/* 80 KiB chunked, no length */
	assert_int_equal(o.status, STS_FETCH_TOO_BIG);
	assert_int_equal(o.http_status, 200);
	assert_null(o.body);
	outcome_clear(&o);
}

static void
test_slow_body_times_out(void **state)
{
	struct sts_fetcher *f = new_fetcher(1000);
	struct outcome o = {0};
	uint64_t t0 = ev_monotonic_ms();

	(void)state;
	assert_non_null(sts_fetch_start(f, "mta-sts.slow.test", "127.0.0.1",
	    port4, record, &o));
	run_until_idle(f, 10000);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STS_FETCH_TIMEOUT);
	assert_int_equal(strncmp(o.error, "timeout: ", 9), 0);
	assert_null(o.body);
	assert_true(o.at - t0 >= 900);
	assert_true(o.at - t0 < 2000);
	outcome_clear(&o);
	sts_fetcher_free(f);
}

static void
test_certificate_refused(void **state)
{
	struct outcome o;

	(void)state;
	fetch("untrusted", &o);		/* leaf from a CA not in ca.pem */
	assert_int_equal(o.status, STS_FETCH_TLS);
	assert_int_equal(o.http_status, 0);
	assert_int_equal(strncmp(o.error, "TLS: ", 5), 0);
	assert_string_equal(sts_fetch_status_name(o.status), "tls-error");
	outcome_clear(&o);
	fetch("wrongname", &o);		/* trusted CA, SAN other.test only */
	assert_int_equal(o.status, STS_FETCH_TLS);
	outcome_clear(&o);
	assert_false(server_saw("mta-sts.untrusted.test"));
	assert_false(server_saw("mta-sts.wrongname.test"));
}

static void
test_connection_refused(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct outcome o = {0};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	unsigned closed_port;

	(void)state;
	/* A port just bound and released: nobody listens there. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	closed_port = ntohs(sin.sin_port);
	close(s);
	assert_non_null(sts_fetch_start(fetcher, "mta-sts.ok.test", "127.0.0.1",
	    closed_port, record, &o));
	run_until_idle(fetcher, 10000);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STS_FETCH_CONNECT);
	assert_int_equal(strncmp(o.error, "connect: ", 9), 0);
	assert_string_equal(sts_fetch_status_name(o.status), "connect-error");
	outcome_clear(&o);
}

static void
test_ipv6_literal(void **state)
{
	struct outcome o = {0};

	(void)state;
	if (port6 == 0)
		skip();
	assert_non_null(sts_fetch_start(fetcher, "mta-sts.ok.test", "::1", port6,
	    record, &o));
	run_until_idle(fetcher, 10000);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STS_FETCH_OK);
	assert_memory_equal(o.body, policy, sizeof(policy) - 1);
	outcome_clear(&o);
}

static void
test_bad_arguments_refused(void **state)
{
	static const struct {
		const char *host, *addr;
		unsigned port;
	} bad[] = {
		{ "mta-sts.ok.test:1", "127.0.0.1", 443 },
		{ "mta-sts.ok.test/x", "127.0.0.1", 443 },
		{ "", "127.0.0.1", 443 },
		{ "mta-sts.ok.test", "localhost", 443 },	/* a name */
		{ "mta-sts.ok.test", "[::1]", 443 },		/* brackets are ours */
		{ "mta-sts.ok.test", "127.0.0.1", 0 },
		{ "mta-sts.ok.test", "127.0.0.1", 65536 },
	};
	struct outcome o = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(sts_fetch_start(fetcher, bad[i].host, bad[i].addr,
		    bad[i].port, record, &o));
	assert_int_equal(sts_fetcher_active(fetcher), 0);
	run_for(100);
	assert_int_equal(o.calls, 0);
}

#define MANY	50

static void
test_many_concurrent(void **state)
{
	static struct outcome o[MANY];
	int i;

	(void)state;
	memset(o, 0, sizeof(o));
	for (i = 0; i < MANY; i++)
		assert_non_null(sts_fetch_start(fetcher, i % 2 ? "mta-sts.ok.test" :
		    "mta-sts.charset.test", "127.0.0.1", port4, record, &o[i]));
	assert_int_equal(sts_fetcher_active(fetcher), MANY);
	run_until_idle(fetcher, 20000);
	for (i = 0; i < MANY; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].status, STS_FETCH_OK);
		assert_memory_equal(o[i].body, policy, sizeof(policy) - 1);
		outcome_clear(&o[i]);
	}
}

struct juggler {
	struct outcome own;
	struct sts_fetch *victim;	/* cancelled from the callback */
	struct outcome *started;	/* a fetch started from the callback */
};

static void
juggle(const struct sts_fetch_result *r, void *ctx)
{
	struct juggler *j = ctx;

	record(r, &j->own);
	sts_fetch_cancel(j->victim);
	assert_non_null(sts_fetch_start(fetcher, "mta-sts.charset.test",
	    "127.0.0.1", port4, record, j->started));
}

static void
test_cancel_and_start_from_callback(void **state)
{
	struct outcome slow = {0}, later = {0};
	struct juggler j = { .started = &later };

	(void)state;
	j.victim = sts_fetch_start(fetcher, "mta-sts.slow.test", "127.0.0.1",
	    port4, record, &slow);
	assert_non_null(j.victim);
	assert_non_null(sts_fetch_start(fetcher, "mta-sts.ok.test", "127.0.0.1",
	    port4, juggle, &j));
	run_until_idle(fetcher, 10000);
	assert_int_equal(j.own.calls, 1);
	assert_int_equal(j.own.status, STS_FETCH_OK);
	assert_int_equal(slow.calls, 0);
	assert_int_equal(later.calls, 1);
	assert_int_equal(later.status, STS_FETCH_OK);
	run_for(300);
	assert_int_equal(slow.calls, 0);
	outcome_clear(&j.own);
	outcome_clear(&later);
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_free_with_fetches_in_flight(void **state)
{
	struct outcome o[6];
	struct sts_fetcher *f;
	int before, seen, i;

	(void)state;
	memset(o, 0, sizeof(o));
	before = open_fds();
	seen = server_count("mta-sts.slow.test");
	f = new_fetcher(5000);
	for (i = 0; i < 5; i++)
		assert_non_null(sts_fetch_start(f, "mta-sts.slow.test", "127.0.0.1",
		    port4, record, &o[i]));
	/* until the slow ones are mid-body (the log has earlier tests' too) */
	for (i = 0; i < 500 && server_count("mta-sts.slow.test") < seen + 5; i++)
		ev_run_once(ev, 20);
	assert_int_equal(server_count("mta-sts.slow.test"), seen + 5);
	run_for(100);
	assert_true(open_fds() > before);
	/* and one the loop never drove: only in the multi, timer armed */
	assert_non_null(sts_fetch_start(f, "mta-sts.ok.test", "127.0.0.1", port4,
	    record, &o[5]));
	assert_int_equal(sts_fetcher_active(f), 6);
	sts_fetcher_free(f);
	assert_int_equal(open_fds(), before);
	run_for(300);			/* no stale fd or timer of the fetcher fires */
	for (i = 0; i < 6; i++)
		assert_int_equal(o[i].calls, 0);
}

struct freer {
	struct sts_fetcher *f;
	struct outcome own;
};

static void
free_fetcher_cb(const struct sts_fetch_result *r, void *ctx)
{
	struct freer *fr = ctx;

	record(r, &fr->own);
	sts_fetcher_free(fr->f);
}

static void
test_free_from_callback(void **state)
{
	struct outcome slow = {0};
	struct freer fr = {0};
	int before, i;

	(void)state;
	before = open_fds();
	fr.f = new_fetcher(5000);
	assert_non_null(sts_fetch_start(fr.f, "mta-sts.slow.test", "127.0.0.1",
	    port4, record, &slow));
	/* the first callback frees: the others, done or not, are dropped */
	for (i = 0; i < 3; i++)
		assert_non_null(sts_fetch_start(fr.f, "mta-sts.ok.test", "127.0.0.1",
		    port4, free_fetcher_cb, &fr));
	for (i = 0; i < 200 && fr.own.calls == 0; i++)
		ev_run_once(ev, 50);
	assert_int_equal(fr.own.calls, 1);
	run_for(500);
	assert_int_equal(fr.own.calls, 1);
	assert_int_equal(slow.calls, 0);
	assert_int_equal(open_fds(), before);
	outcome_clear(&fr.own);
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(sts_fetch_status_name(STS_FETCH_OK), "ok");
	assert_string_equal(sts_fetch_status_name(STS_FETCH_HTTP_STATUS), "http-status");
	assert_string_equal(sts_fetch_status_name(STS_FETCH_TIMEOUT), "timeout");
	assert_string_equal(sts_fetch_status_name(STS_FETCH_ERROR), "fetch-error");
	assert_string_equal(sts_fetch_status_name((enum sts_fetch_status)99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_body_byte_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_plain_with_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_or_no_content_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_body_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificate_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_literal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_start_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_fetches_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_from_callback, setup, teardown),
		cmocka_unit_test(test_status_names),
	};
	const char *tools[] = { "python3", "openssl" };
	const char *req = getenv("PFH_REQUIRE_TOOLS");
	size_t i;
	int rc;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (have_tool(tools[i]))
			continue;
		if (req != NULL && strcmp(req, "1") == 0) {
			printf("FAIL: missing tool %s -- apt-get install %s "
			    "(scripts/install-deps installs it)\n", tools[i], tools[i]);
			return 1;
		}
		printf("SKIP: %s missing (Debian package %s)\n", tools[i], tools[i]);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	if (server_start() < 0) {
		server_stop();
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	server_stop();
	return rc;
}
