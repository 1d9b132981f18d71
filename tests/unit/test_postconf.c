/*
 * test_postconf.c - unit tests for finding and running postconf-like
 * programs
 *
 * The programs are small /bin/sh scripts written under a fresh mkdtemp()
 * directory in $TMPDIR (or /tmp): one prints, one fails, one hangs with a
 * child of its own, which the timeout must kill with it.
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
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "postconf.h"

static char dir[256];

/* script - DIR/name := "#!/bin/sh" and body, executable; its path */
static const char *
script(const char *name, const char *body)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* gone - pid has exited (no process, or a zombie nobody reaped yet) */
static int
gone(long pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* "pid (comm) S ...": the state follows the last ')' */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return 1;
	return p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void
test_find(void **state)
{
	char path[512], why[256], *saved;
	const char *prog;

	(void)state;
	saved = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	assert_non_null(saved);
	prog = script("fake-postconf", "exit 0\n");
	assert_int_equal(postconf_find(prog, path, sizeof(path), why,
	    sizeof(why)), 0);
	assert_string_equal(path, prog);

	assert_int_equal(postconf_find("/nonexistent/postconf", path,
	    sizeof(path), why, sizeof(why)), -1);
	assert_string_equal(why, "/nonexistent/postconf is not an "
	    "executable file");

	setenv("PATH", dir, 1);
	assert_int_equal(postconf_find("fake-postconf", path, sizeof(path),
	    why, sizeof(why)), 0);
	assert_string_equal(path, prog);
	/* an empty PATH entry is not "." */
	assert_int_equal(chdir(dir), 0);
	setenv("PATH", ":", 1);
	assert_int_equal(postconf_find("fake-postconf", path, sizeof(path),
	    why, sizeof(why)), -1);
	assert_string_equal(why, "fake-postconf not in PATH, /usr/sbin or "
	    "/sbin");
	assert_int_equal(chdir("/"), 0);
	setenv("PATH", saved, 1);
	free(saved);
}

static void
test_run_output(void **state)
{
	static const char *const args[] = {"-h", "x y", NULL};
	char out[64], small[8], why[512];
	const char *prog;

	(void)state;
	/* the arguments arrive unsplit, stdin is /dev/null */
	prog = script("print", "printf '%s|%s|%s\\n' \"$#\" \"$1\" \"$2\"\n"
	    "printf ' second \\n'\ncat\necho noise >&2\n");
	assert_int_equal(postconf_run(prog, args, 5000, out, sizeof(out), why,
	    sizeof(why)), 0);
	assert_string_equal(out, "2|-h|x y\n second \n");
	assert_string_equal(postconf_first_line(out), "2|-h|x y");
	/* more than fits: cut, and still read to the end */
	assert_int_equal(postconf_run(prog, args, 5000, small, sizeof(small),
	    why, sizeof(why)), 0);
	assert_string_equal(small, "2|-h|x ");
}

/* a program that fails, and the reason: its path, then want */
struct fail_case {
	const char *name;
	const char *body;
	const char *want;
};

static const struct fail_case fail_cases[] = {
	{"fail", "echo out\nprintf '  bad thing \\nmore\\n' >&2\nexit 3\n",
	    " -d exited with status 3: bad thing"},
	{"quiet", "exit 1\n", " -d exited with status 1"},
	{"killed", "kill -9 $$\n", " -d was killed by signal 9"},
};

static void
test_run_fails(void **state)
{
	static const char *const args[] = {"-d", NULL};
	char out[64], why[512], want[600];
	const char *prog;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(fail_cases); i++) {
		prog = script(fail_cases[i].name, fail_cases[i].body);
		assert_int_equal(postconf_run(prog, args, 5000, out,
		    sizeof(out), why, sizeof(why)), -1);
		snprintf(want, sizeof(want), "%s%s", prog, fail_cases[i].want);
		assert_string_equal(why, want);
	}
	/* not executable: posix_spawn says so */
	prog = script("noexec", "exit 0\n");
	assert_int_equal(chmod(prog, 0644), 0);
	assert_int_equal(postconf_run(prog, args, 5000, out, sizeof(out), why,
	    sizeof(why)), -1);
	snprintf(want, sizeof(want), "cannot run %s: Permission denied", prog);
	assert_string_equal(why, want);
}

static void
test_run_hangs(void **state)
{
	static const char *const args[] = {"-h", "mail_version", NULL};
	char out[64], why[512], want[600], pidfile[512];
	const char *prog;
	uint64_t t0, took;
	long child = 0;
	FILE *f;
	int i;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", dir);
	/* a child that keeps stdout open, and a parent that never exits */
	snprintf(want, sizeof(want), "sleep 30 &\necho $! >%s\nsleep 30\n",
	    pidfile);
	prog = script("hang", want);
	t0 = ev_monotonic_ms();
	assert_int_equal(postconf_run(prog, args, 300, out, sizeof(out), why,
	    sizeof(why)), -1);
	took = ev_monotonic_ms() - t0;
	assert_true(took >= 300 && took < 5000);
	snprintf(want, sizeof(want), "%s -h mail_version did not finish "
	    "within 300 ms (killed)", prog);
	assert_string_equal(why, want);
	/* the whole process group went, the background child too */
	assert_non_null(f = fopen(pidfile, "r"));
	assert_int_equal(fscanf(f, "%ld", &child), 1);
	fclose(f);
	for (i = 0; i < 100 && !gone(child); i++)
		usleep(10000);
	assert_true(gone(child));
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/postconf-unit-XXXXXX",
	    tmp && *tmp && strlen(tmp) < 100 ? tmp : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_run_output),
		cmocka_unit_test(test_run_fails),
		cmocka_unit_test(test_run_hangs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
