/*
 * test_endpoint.c - endpoint strings, and listeners built from them:
 * stale unix socket replaced, live one refused, socket mode applied.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoint.h"
#include "listen.h"

struct ep_case {
	const char *in;
	int	ok;
	enum endpoint_kind kind;
	const char *host_or_path;
	unsigned port;
	const char *canon;
};

static const struct ep_case cases[] = {
	{"unix:/run/x.sock", 1, ENDPOINT_UNIX, "/run/x.sock", 0, "unix:/run/x.sock"},
	{"local:/run/y", 1, ENDPOINT_UNIX, "/run/y", 0, "unix:/run/y"},
	{"/run/z", 1, ENDPOINT_UNIX, "/run/z", 0, "unix:/run/z"},
	{"inet:127.0.0.1:10031", 1, ENDPOINT_INET, "127.0.0.1", 10031, "inet:127.0.0.1:10031"},
	{"inet:[::1]:8461", 1, ENDPOINT_INET, "::1", 8461, "inet:[::1]:8461"},
	{"inet:10030", 1, ENDPOINT_INET, "127.0.0.1", 10030, "inet:127.0.0.1:10030"},
	{"localhost:25", 1, ENDPOINT_INET, "localhost", 25, "inet:localhost:25"},
	{"unix:relative/path", 0, 0, NULL, 0, NULL},
	{"inet:127.0.0.1:0", 0, 0, NULL, 0, NULL},
	{"inet:127.0.0.1:65536", 0, 0, NULL, 0, NULL},
	{"inet:127.0.0.1:12x", 0, 0, NULL, 0, NULL},
	{"inet:::1:25", 0, 0, NULL, 0, NULL},
	{"inet:[::1]25", 0, 0, NULL, 0, NULL},
	{"", 0, 0, NULL, 0, NULL},
	{"bogus", 0, 0, NULL, 0, NULL},
};

static void
test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		struct endpoint ep;
		char err[256] = "", canon[300];
		int r = endpoint_parse(cases[i].in, &ep, err, sizeof(err));

		if (!cases[i].ok) {
			if (r != -1)
				fail_msg("accepted bad endpoint \"%s\"", cases[i].in);
			assert_true(err[0] != 0);
			continue;
		}
		if (r != 0)
			fail_msg("rejected \"%s\": %s", cases[i].in, err);
		assert_int_equal(ep.kind, cases[i].kind);
		if (ep.kind == ENDPOINT_UNIX) {
			assert_string_equal(ep.path, cases[i].host_or_path);
		} else {
			assert_string_equal(ep.host, cases[i].host_or_path);
			assert_int_equal(ep.port, cases[i].port);
		}
		assert_string_equal(endpoint_str(&ep, canon, sizeof(canon)), cases[i].canon);
	}
}

/*
 * test_canonical - every case by the name the daemons give it: the
 * canonical form, or the text itself when it does not parse; the text
 * ends at len, not at a NUL (a list item), and one longer than any
 * endpoint is never cut short into one
 */
static void
test_canonical(void **state)
{
	char text[700], out[300];
	struct endpoint ep;
	size_t i, n;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		n = strlen(cases[i].in);
		snprintf(text, sizeof(text), "%s,inet:25", cases[i].in);
		memset(&ep, 0, sizeof(ep));
		if (!cases[i].ok) {
			assert_int_equal(endpoint_canonical(text, n, &ep, out,
			    sizeof(out)), -1);
			assert_int_equal(strlen(out), n);
			assert_memory_equal(out, cases[i].in, n);
			continue;
		}
		assert_int_equal(endpoint_canonical(text, n, &ep, out,
		    sizeof(out)), 0);
		assert_string_equal(out, cases[i].canon);
		assert_int_equal(ep.kind, cases[i].kind);
		assert_int_equal(endpoint_canonical(text, n, NULL, out,
		    sizeof(out)), 0);
		assert_string_equal(out, cases[i].canon);
	}
	memset(text, 'a', sizeof(text));
	memcpy(text, "unix:/", 6);
	assert_int_equal(endpoint_canonical(text, sizeof(text), NULL, out,
	    sizeof(out)), -1);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, text, sizeof(out) - 1);
}

static void
test_unix_listener_stale_live_mode(void **state)
{
	char dir[] = "/tmp/pfh-ep-XXXXXX", path[128], err[256];
	struct endpoint ep;
	struct listener_opts o = {0640, (uid_t)-1, (gid_t)-1, 0, 0, 0, 0};
	struct listener *l, *l2;
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "unix:%s/sock", dir);
	assert_int_equal(endpoint_parse(path, &ep, err, sizeof(err)), 0);

	/* a stale socket file: bound, never listened, closed */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ep.path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	l = listener_open(&ep, &o, err, sizeof(err));
	if (l == NULL)
		fail_msg("stale socket not replaced: %s", err);
	assert_int_equal(stat(ep.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	/* a live one refuses a second listener */
	l2 = listener_open(&ep, &o, err, sizeof(err));
	assert_null(l2);
	assert_non_null(strstr(err, "in use"));

	listener_free(l);
	assert_int_equal(access(ep.path, F_OK), -1);	/* removed on free */

	/* a non-socket at the path is refused */
	fd = creat(ep.path, 0600);
	close(fd);
	assert_null(listener_open(&ep, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	unlink(ep.path);
	rmdir(dir);
}

static void
test_inet_listener_port(void **state)
{
	struct endpoint ep;
	struct listener_opts o = {0, (uid_t)-1, (gid_t)-1, 0, 0, 0, 0};
	struct listener *l;
	char err[256];

	(void)state;
	assert_int_equal(endpoint_parse("inet:127.0.0.1:1", &ep, err, sizeof(err)), 0);
	ep.port = 0;		/* any free port */
	l = listener_open(&ep, &o, err, sizeof(err));
	if (l == NULL)
		fail_msg("%s", err);
	assert_true(listener_bound_port(l) > 0);
	listener_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_unix_listener_stale_live_mode),
		cmocka_unit_test(test_inet_listener_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
