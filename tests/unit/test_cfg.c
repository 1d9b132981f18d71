/*
 * test_cfg.c - unit tests for cfg.c: syntax, expansion, types, errors
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "cfg_conv.h"
#include "xalloc.h"

struct tconf {
	char	*myname;
	char	*base_dir;
	char	*state_file;
	char	*password;
	long long max_conns;
	bool	 debug;
	long long idle_timeout;
	long long max_size;
	long long offset;
	long long pin;
};

#define OFF(f)	offsetof(struct tconf, f)

static const struct cfg_param tparams[] = {
	{"myname", CFG_STR, "tlsmap", OFF(myname), 0, 0, 0},
	{"base_dir", CFG_STR, "/var/lib/${myname}", OFF(base_dir), 0, 0, 0},
	{"state_file", CFG_STR, "$base_dir/state", OFF(state_file), 0, 0, 0},
	{"password", CFG_STR, NULL, OFF(password), 0, 0, CFG_F_SECRET},
	{"max_conns", CFG_INT, "100", OFF(max_conns), 1, 1000, 0},
	{"debug", CFG_BOOL, "no", OFF(debug), 0, 0, 0},
	{"idle_timeout", CFG_TIME, "5m", OFF(idle_timeout), 1000, 3600000, 0},
	{"max_size", CFG_SIZE, "64k", OFF(max_size), 1, 10 * 1024 * 1024, 0},
	{"offset", CFG_INT, "-5", OFF(offset), 0, 0, 0},
	{"pin", CFG_INT, "1234", OFF(pin), 0, 0, CFG_F_SECRET},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

static const char default_dump[] =
    "myname = tlsmap\n"
    "base_dir = /var/lib/tlsmap\n"
    "state_file = /var/lib/tlsmap/state\n"
    "password = (hidden)\n"
    "max_conns = 100\n"
    "debug = no\n"
    "idle_timeout = 5m\n"
    "max_size = 64k\n"
    "offset = -5\n"
    "pin = (hidden)\n";

static char tmpdir[256];

/* run - load text (origin "a.cf"), apply overrides, then apply into conf */
static int
run(const char *text, const char *const *overrides, struct tconf *conf,
    char *err, size_t errlen)
{
	struct cfg *c = cfg_new();
	int rc = 0;

	err[0] = 0;
	if (text != NULL && cfg_load_string(c, text, "a.cf", err, errlen) < 0)
		rc = -1;
	for (; rc == 0 && overrides && *overrides; overrides++)
		if (cfg_set(c, *overrides, "-o", err, errlen) < 0)
			rc = -1;
	if (rc == 0)
		rc = cfg_apply(c, tparams, conf, err, errlen);
	cfg_free(c);
	return rc;
}

/* dump - cfg_dump() into a fresh string */
static char *
dump(const struct tconf *conf)
{
	struct buf b;
	char *s;

	buf_init(&b, 0);
	assert_int_equal(cfg_dump(tparams, conf, &b), 0);
	s = xstrdup(b.data);
	buf_free(&b);
	return s;
}

static void
test_defaults_and_dump(void **state)
{
	struct tconf conf;
	char err[512];
	char *d;

	(void)state;
	assert_int_equal(run("", NULL, &conf, err, sizeof(err)), 0);
	d = dump(&conf);
	assert_string_equal(d, default_dump);
	free(d);
	assert_string_equal(conf.password, "");
	assert_int_equal(conf.max_conns, 100);
	assert_false(conf.debug);
	assert_int_equal(conf.idle_timeout, 300000);
	assert_int_equal(conf.max_size, 65536);
	assert_int_equal(conf.offset, -5);
	cfg_release(tparams, &conf);
	assert_null(conf.myname);
	assert_null(conf.password);
}

/* Successful inputs: every listed "name = value" line must be in the dump. */
static const struct ok_case {
	const char *name;
	const char *text;
	const char *over[4];
	const char *expect[6];
} ok_cases[] = {
	{"comments and blank lines",
	    "# comment\n\n   \n\t# indented comment\nmax_conns = 7\n# end",
	    {NULL}, {"max_conns = 7\n"}},
	{"no newline at end", "max_conns = 8", {NULL}, {"max_conns = 8\n"}},
	{"CRLF line ends", "max_conns = 9\r\nmyname = x\r\n", {NULL},
	    {"max_conns = 9\n", "myname = x\n"}},
	{"continuation joined with its leading whitespace",
	    "myname = foo\n   bar\n# inside\n\n\tbaz\nmax_conns = 3\n",
	    {NULL}, {"myname = foo   bar\tbaz\n", "max_conns = 3\n"}},
	{"value on continuation line", "max_conns =\n  42\n", {NULL},
	    {"max_conns = 42\n"}},
	{"empty string value", "myname =\n", {NULL},
	    {"myname =\n", "base_dir = /var/lib/\n"}},
	{"later lines win", "max_conns = 5\nmax_conns = 6\n", {NULL},
	    {"max_conns = 6\n"}},
	{"$name and ${name} in defaults follow the file", "myname = smtp\n",
	    {NULL}, {"base_dir = /var/lib/smtp\n",
	    "state_file = /var/lib/smtp/state\n"}},
	{"reference to a later line", "state_file = ${myname}.$base_dir\n"
	    "myname = m\nbase_dir = /b\n", {NULL},
	    {"state_file = m./b\n"}},
	{"$$ is a literal dollar", "myname = a$$b$$$$c$${myname}\n", {NULL},
	    {"myname = a$b$$c${myname}\n"}},
	{"expansion feeds typed params",
	    "myname = 2\nmax_conns = ${myname}0\nidle_timeout = ${myname}m\n",
	    {NULL}, {"max_conns = 20\n", "idle_timeout = 2m\n"}},
	{"-o wins over the file", "max_conns = 5\n", {"max_conns=50"},
	    {"max_conns = 50\n"}},
	{"-o trims and expands", NULL, {" myname = o ", "max_conns = 60"},
	    {"myname = o\n", "base_dir = /var/lib/o\n", "max_conns = 60\n"}},
	{"later -o wins", NULL, {"max_conns=1", "max_conns=2"},
	    {"max_conns = 2\n"}},
	{"-o value with '='", NULL, {"myname=a=b"}, {"myname = a=b\n"}},
	{"secret shown hidden", "password = s3cret\npin = 99\n", {NULL},
	    {"password = (hidden)\n", "pin = (hidden)\n"}},
	{"bool words", "debug = On\n", {NULL}, {"debug = yes\n"}},
	{"bool 0", "debug = 0\n", {NULL}, {"debug = no\n"}},
	{"time bounds inclusive low", "idle_timeout = 1s\n", {NULL},
	    {"idle_timeout = 1s\n"}},
	{"time bounds inclusive high, bare seconds", "idle_timeout = 3600\n",
	    {NULL}, {"idle_timeout = 1h\n"}},
	{"time ms shown in ms", "idle_timeout = 1500ms\n", {NULL},
	    {"idle_timeout = 1500ms\n"}},
	{"size bytes", "max_size = 1000\n", {NULL}, {"max_size = 1000\n"}},
	{"size max", "max_size = 10m\n", {NULL}, {"max_size = 10m\n"}},
	{"unbounded int takes negatives", "offset = -123456789012\n", {NULL},
	    {"offset = -123456789012\n"}},
};

static void
test_ok_cases(void **state)
{
	struct tconf conf;
	char err[512];
	size_t i, j;
	char *d;

	(void)state;
	for (i = 0; i < nitems(ok_cases); i++) {
		const struct ok_case *tc = ok_cases + i;

		if (run(tc->text, tc->over, &conf, err, sizeof(err)) != 0)
			fail_msg("%s: unexpected error: %s", tc->name, err);
		d = dump(&conf);
		for (j = 0; j < nitems(tc->expect) && tc->expect[j]; j++)
			if (strstr(d, tc->expect[j]) == NULL)
				fail_msg("%s: want \"%s\" in dump:\n%s", tc->name,
				    tc->expect[j], d);
		free(d);
		cfg_release(tparams, &conf);
	}
}

static void
test_whitespace_and_secret_values(void **state)
{
	struct tconf conf;
	char err[512];

	(void)state;
	assert_int_equal(run("  \n max_conns = 1\n", NULL, &conf, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "a.cf, line 2: continuation line without a "
	    "parameter above it");
	assert_int_equal(run("max_conns\t=\t 10 \t\npassword = a b \n", NULL,
	    &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.max_conns, 10);
	assert_string_equal(conf.password, "a b");
	assert_int_equal(conf.pin, 1234);
	cfg_release(tparams, &conf);
}

/* Failing inputs and the exact error text. */
static const struct err_case {
	const char *name;
	const char *text;
	const char *over[3];
	const char *err;
} err_cases[] = {
	{"unknown parameter", "max_conns = 5\n\nbogus = 1\n", {NULL},
	    "a.cf, line 3: unknown parameter \"bogus\""},
	{"first bad line wins", "# c\nmax_conns = x\nbogus = 1\n", {NULL},
	    "a.cf, line 2: max_conns: not an integer: \"x\""},
	{"continued line cites its first line",
	    "myname = a\nmax_conns =\n  1\n# c\n\n  x\n", {NULL},
	    "a.cf, line 2: max_conns: not an integer: \"1  x\""},
	{"syntax error on continued line cites first line",
	    "myname = a\nmax_conns\n  5\n", {NULL},
	    "a.cf, line 2: missing '=' after parameter name"},
	{"line after a continued entry", "myname = a\n  b\nmax_conns 5\n",
	    {NULL}, "a.cf, line 3: missing '=' after parameter name"},
	{"missing name", "myname = a\n= 5\n", {NULL},
	    "a.cf, line 2: missing parameter name before '='"},
	{"missing name at line start", "= 5\n", {NULL},
	    "a.cf, line 1: missing parameter name before '='"},
	{"bad name", "max conns = 5\n", {NULL},
	    "a.cf, line 1: bad parameter name \"max conns\""},
	{"leading continuation", "\tmax_conns = 5\n", {NULL},
	    "a.cf, line 1: continuation line without a parameter above it"},
	{"int above max", "max_conns = 1001\n", {NULL},
	    "a.cf, line 1: max_conns: \"1001\" is out of range 1..1000"},
	{"int below min", "max_conns = 0\n", {NULL},
	    "a.cf, line 1: max_conns: \"0\" is out of range 1..1000"},
	{"int hex", "max_conns = 0x10\n", {NULL},
	    "a.cf, line 1: max_conns: not an integer: \"0x10\""},
	{"int empty", "max_conns =\n", {NULL},
	    "a.cf, line 1: max_conns: not an integer: \"\""},
	{"int overflow", "offset = 9223372036854775808\n", {NULL},
	    "a.cf, line 1: offset: not an integer: \"9223372036854775808\""},
	{"bool", "debug = maybe\n", {NULL},
	    "a.cf, line 1: debug: not a boolean (yes, no, true, false, on, "
	    "off, 1 or 0): \"maybe\""},
	{"time unit", "idle_timeout = 5x\n", {NULL},
	    "a.cf, line 1: idle_timeout: not a time (a number with an "
	    "optional unit ms, s, m, h, d or w; seconds by default): \"5x\""},
	{"time range high", "idle_timeout = 2h\n", {NULL},
	    "a.cf, line 1: idle_timeout: \"2h\" is out of range 1s..1h"},
	{"time range low", "idle_timeout = 999ms\n", {NULL},
	    "a.cf, line 1: idle_timeout: \"999ms\" is out of range 1s..1h"},
	{"time bare seconds range", "idle_timeout = 3601\n", {NULL},
	    "a.cf, line 1: idle_timeout: \"3601\" is out of range 1s..1h"},
	{"size unit", "max_size = 10q\n", {NULL},
	    "a.cf, line 1: max_size: not a size (a number of bytes with an "
	    "optional unit k, m or g): \"10q\""},
	{"size range", "max_size = 10241k\n", {NULL},
	    "a.cf, line 1: max_size: \"10241k\" is out of range 1..10m"},
	{"secret value not echoed", "pin = abc\n", {NULL},
	    "a.cf, line 1: pin: not an integer: \"(hidden)\""},
	{"unknown reference", "myname = x\nbase_dir = /x/$nope/y\n", {NULL},
	    "a.cf, line 2: base_dir: unknown parameter \"$nope\" in value"},
	{"unknown reference in braces", "myname = ${nope}\n", {NULL},
	    "a.cf, line 1: myname: unknown parameter \"$nope\" in value"},
	{"error in a referenced value cites that line",
	    "state_file = $myname\nmyname = $bad\n", {NULL},
	    "a.cf, line 2: myname: unknown parameter \"$bad\" in value"},
	{"loop", "myname = $base_dir\nbase_dir = ${myname}\n", {NULL},
	    "a.cf, line 2: base_dir: parameter expansion loop: $myname -> "
	    "$base_dir -> $myname"},
	{"loop through a default cites the line that closed it",
	    "myname = $state_file\n", {NULL},
	    "a.cf, line 1: myname: parameter expansion loop: $myname "
	    "-> $state_file -> $base_dir -> $myname"},
	{"a secret's bad reference is not echoed",
	    "password = pa$sw0rd\n", {NULL},
	    "a.cf, line 1: password: unknown parameter after '$' in value"},
	{"a secret's bad ${} is not echoed",
	    "password = pa${s w}\n", {NULL},
	    "a.cf, line 1: password: bad parameter name after \"${\""},
	{"self reference", "myname = x$myname\n", {NULL},
	    "a.cf, line 1: myname: parameter expansion loop: $myname -> "
	    "$myname"},
	{"lone dollar", "myname = a$ b\n", {NULL},
	    "a.cf, line 1: myname: '$' must be followed by a name, \"{name}\" "
	    "or another '$'"},
	{"trailing dollar", "myname = a$\n", {NULL},
	    "a.cf, line 1: myname: '$' must be followed by a name, \"{name}\" "
	    "or another '$'"},
	{"unclosed brace", "myname = ${base_dir\n", {NULL},
	    "a.cf, line 1: myname: missing '}' after \"${\""},
	{"empty braces", "myname = ${}\n", {NULL},
	    "a.cf, line 1: myname: bad parameter name in \"${}\""},
	{"bad name in braces", "myname = ${a b}\n", {NULL},
	    "a.cf, line 1: myname: bad parameter name in \"${a b}\""},
	{"-o bad value", "max_conns = 5\n", {"max_conns=abc"},
	    "-o max_conns=...: not an integer: \"abc\""},
	{"-o out of range", NULL, {"idle_timeout=0"},
	    "-o idle_timeout=...: \"0\" is out of range 1s..1h"},
	{"-o unknown", NULL, {"bogus=1"},
	    "-o bogus=...: unknown parameter \"bogus\""},
	{"-o without =", NULL, {"max_conns"},
	    "-o max_conns: missing '=' after parameter name"},
	{"-o bad name", NULL, {"a b=1"},
	    "-o a b: bad parameter name \"a b\""},
	{"-o secret not echoed", NULL, {"pin=xyzzy"},
	    "-o pin=...: not an integer: \"(hidden)\""},
	{"file line shadowed by -o is still name-checked",
	    "bogus = 1\n", {"max_conns=5"},
	    "a.cf, line 1: unknown parameter \"bogus\""},
};

static void
test_err_cases(void **state)
{
	struct tconf conf;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(err_cases); i++) {
		const struct err_case *tc = err_cases + i;

		memset(&conf, 0, sizeof(conf));
		if (run(tc->text, tc->over, &conf, err, sizeof(err)) != -1)
			fail_msg("%s: unexpected success", tc->name);
		if (strcmp(err, tc->err) != 0)
			fail_msg("%s:\n got \"%s\"\nwant \"%s\"", tc->name, err,
			    tc->err);
		assert_null(conf.myname);	/* untouched */
	}
}

/* -o wins whether it is given before or after the file is read. */
static void
test_override_order(void **state)
{
	struct tconf conf;
	struct cfg *c;
	char err[256];

	(void)state;
	c = cfg_new();
	assert_int_equal(cfg_set(c, "max_conns=11", "-o", err, sizeof(err)), 0);
	assert_int_equal(cfg_load_string(c, "max_conns = 5\nmyname = f\n",
	    "a.cf", err, sizeof(err)), 0);
	assert_int_equal(cfg_load_string(c, "max_conns = 6\n", "b.cf", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.max_conns, 11);
	assert_string_equal(conf.myname, "f");
	cfg_release(tparams, &conf);
	/* a second -o after the files, with a NULL origin */
	assert_int_equal(cfg_set(c, "max_conns=12", NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.max_conns, 12);
	cfg_release(tparams, &conf);
	cfg_free(c);
}

/* A failed apply leaves every byte of the target as it was. */
static void
test_failure_leaves_target(void **state)
{
	struct tconf conf, copy;
	struct cfg *c = cfg_new();
	char err[256];

	(void)state;
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	memcpy(&copy, &conf, sizeof(conf));
	/* valid early params, bad late one: nothing may be written */
	assert_int_equal(cfg_load_string(c, "myname = new\nmax_conns = 2\n"
	    "debug = yes\npin = 1\nmax_size = huge\n", "a.cf", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "a.cf, line 5: max_size: not a size (a number "
	    "of bytes with an optional unit k, m or g): \"huge\"");
	assert_memory_equal(&conf, &copy, sizeof(conf));
	assert_string_equal(conf.myname, "tlsmap");
	cfg_release(tparams, &conf);
	cfg_free(c);
}

/* A load with a syntax error adds nothing, even from lines before it. */
static void
test_failed_load_adds_nothing(void **state)
{
	struct tconf conf;
	struct cfg *c = cfg_new();
	char err[256];

	(void)state;
	assert_int_equal(cfg_load_string(c, "max_conns = 5\n", "a.cf", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_load_string(c, "max_conns = 6\nmyname = x\n"
	    "oops\n", "b.cf", err, sizeof(err)), -1);
	assert_string_equal(err, "b.cf, line 3: missing '=' after parameter "
	    "name");
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.max_conns, 5);
	assert_string_equal(conf.myname, "tlsmap");
	cfg_release(tparams, &conf);
	cfg_free(c);
}

static const struct {
	const char *in;
	int	rc;
	long long ms;
} time_cases[] = {
	{"300", 0, 300000}, {"300s", 0, 300000}, {"5m", 0, 300000},
	{"1h", 0, 3600000}, {"1d", 0, 86400000}, {"250ms", 0, 250},
	{"2w", 0, 1209600000}, {"0", 0, 0}, {"5M", 0, 300000},
	{"10MS", 0, 10}, {"007s", 0, 7000},
	{"", -1, 0}, {"s", -1, 0}, {"5 m", -1, 0}, {" 5", -1, 0},
	{"-1", -1, 0}, {"+1", -1, 0}, {"1.5h", -1, 0}, {"5mm", -1, 0},
	{"5sec", -1, 0}, {"1y", -1, 0},
	{"9223372036854775", 0, 9223372036854775000LL},
	{"9223372036854776", -1, 0},		/* * 1000 overflows */
	{"9223372036854775807ms", 0, 9223372036854775807LL},
	{"9223372036854775808ms", -1, 0},
	{"99999999999999999999999", -1, 0},
};

static void
test_parse_time(void **state)
{
	long long v;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(time_cases); i++) {
		v = -42;
		if (cfg_conv_time(time_cases[i].in, &v) != time_cases[i].rc)
			fail_msg("time \"%s\": rc", time_cases[i].in);
		if (time_cases[i].rc == 0 && v != time_cases[i].ms)
			fail_msg("time \"%s\": %lld", time_cases[i].in, v);
		if (time_cases[i].rc != 0 && v != -42)
			fail_msg("time \"%s\": output touched", time_cases[i].in);
	}
}

static const struct {
	const char *in;
	int	rc;
	long long n;
} size_cases[] = {
	{"0", 0, 0}, {"123", 0, 123}, {"64k", 0, 65536}, {"64K", 0, 65536},
	{"10m", 0, 10485760}, {"2g", 0, 2147483648LL},
	{"", -1, 0}, {"k", -1, 0}, {"1t", -1, 0}, {"-1", -1, 0},
	{"1.5k", -1, 0}, {"1kb", -1, 0}, {"1 k", -1, 0},
	{"9223372036854775807", 0, 9223372036854775807LL},
	{"9223372036854775807k", -1, 0},
};

static void
test_parse_size(void **state)
{
	long long v;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(size_cases); i++) {
		v = -42;
		if (cfg_conv_size(size_cases[i].in, &v) != size_cases[i].rc)
			fail_msg("size \"%s\": rc", size_cases[i].in);
		if (size_cases[i].rc == 0 && v != size_cases[i].n)
			fail_msg("size \"%s\": %lld", size_cases[i].in, v);
		if (size_cases[i].rc != 0 && v != -42)
			fail_msg("size \"%s\": output touched", size_cases[i].in);
	}
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = {"yes", "YES", "true", "True", "on",
	    "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "off",
	    "0"};
	static const char *const bad[] = {"", "y", "n", "2", "yes ", "enable"};
	size_t i;
	bool b;

	(void)state;
	for (i = 0; i < nitems(yes); i++) {
		b = false;
		assert_int_equal(cfg_conv_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < nitems(no); i++) {
		b = true;
		assert_int_equal(cfg_conv_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < nitems(bad); i++) {
		b = true;
		assert_int_equal(cfg_conv_bool(bad[i], &b), -1);
		assert_true(b);
	}
}

static const struct {
	const char *in;
	int	rc;
	mode_t	mode;
} mode_cases[] = {
	{"0660", 0, 0660}, {"660", 0, 0660}, {"0", 0, 0}, {"0777", 0, 0777},
	{"0000000000000000000000600", 0, 0600}, {"7", 0, 07},
	{"", -1, 0}, {"999", -1, 0}, {"0778", -1, 0}, {"1000", -1, 0},
	{"01000", -1, 0}, {"-1", -1, 0}, {"+660", -1, 0}, {" 660", -1, 0},
	{"660 ", -1, 0}, {"0x1ff", -1, 0}, {"0o660", -1, 0}, {"u=rw", -1, 0},
	{"77777777777777777777777777", -1, 0},
};

static void
test_parse_mode(void **state)
{
	char text[16];
	mode_t m;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(mode_cases); i++) {
		m = 01234;
		if (cfg_conv_mode(mode_cases[i].in, &m) != mode_cases[i].rc)
			fail_msg("mode \"%s\": rc", mode_cases[i].in);
		if (mode_cases[i].rc == 0 && m != mode_cases[i].mode)
			fail_msg("mode \"%s\": %o", mode_cases[i].in, (unsigned)m);
		if (mode_cases[i].rc != 0 && m != 01234)
			fail_msg("mode \"%s\": output touched", mode_cases[i].in);
	}
	cfg_conv_fmt_mode(0660, text, sizeof(text));
	assert_string_equal(text, "0660");
	cfg_conv_fmt_mode(0, text, sizeof(text));
	assert_string_equal(text, "0000");
}

/* CFG_MODE: parsed once by cfg_apply(), shown in four digits, errors cited */
struct mconf {
	mode_t	 mode;
	char	*name;
};

static void
test_mode_param(void **state)
{
	static const struct cfg_param tab[] = {
		{"socket_mode", CFG_MODE, "0660", offsetof(struct mconf, mode),
		    0, 0, 0},
		{"name", CFG_STR, "x", offsetof(struct mconf, name), 0, 0, 0},
		{NULL, CFG_STR, NULL, 0, 0, 0, 0},
	};
	struct mconf mc;
	struct cfg *c = cfg_new();
	char err[256], text[16];
	struct buf b;

	(void)state;
	assert_int_equal(cfg_apply(c, tab, &mc, err, sizeof(err)), 0);
	assert_int_equal(mc.mode, 0660);
	buf_init(&b, 0);
	assert_int_equal(cfg_dump(tab, &mc, &b), 0);
	assert_string_equal(b.data, "socket_mode = 0660\nname = x\n");
	buf_free(&b);
	cfg_release(tab, &mc);
	/* the same setting whatever the spelling */
	assert_int_equal(cfg_load_string(c, "name = 600\nsocket_mode = $name\n",
	    "m.cf", err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tab, &mc, err, sizeof(err)), 0);
	assert_int_equal(mc.mode, 0600);
	cfg_value_text(&tab[0], &mc, text, sizeof(text));
	assert_string_equal(text, "0600");
	cfg_release(tab, &mc);
	/* a bad one leaves the target alone and says where and why */
	mc.mode = 0123;
	mc.name = NULL;
	assert_int_equal(cfg_load_string(c, "socket_mode = 999\n", "m.cf", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tab, &mc, err, sizeof(err)), -1);
	assert_string_equal(err, "m.cf, line 1: socket_mode: not an octal mode "
	    "(0 to 0777, e.g. 0660): \"999\"");
	assert_int_equal(mc.mode, 0123);
	assert_int_equal(cfg_set(c, "socket_mode=0666x", "-o", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tab, &mc, err, sizeof(err)), -1);
	assert_string_equal(err, "-o socket_mode=...: not an octal mode "
	    "(0 to 0777, e.g. 0660): \"0666x\"");
	assert_null(mc.name);
	cfg_free(c);
}

/* cfg_table_join: common entries first, then the program's, defaults replaced */
static void
test_table_join(void **state)
{
	static const struct cfg_param common[] = {
		{"idle_timeout", CFG_TIME, "600s", 0, 0, 0, 0},
		{"user", CFG_STR, "", 8, 0, 0, 0},
		{NULL, CFG_STR, NULL, 0, 0, 0, 0},
	};
	static const struct cfg_param own[] = {
		{"listen", CFG_STR, "inet:x", 16, 0, 0, 0},
		{NULL, CFG_STR, NULL, 0, 0, 0, 0},
	};
	static const char *const defs[] = {"idle_timeout", "10s",
	    "listen", "not a common one", NULL};
	struct cfg_param *t;

	(void)state;
	t = cfg_table_join(common, own, defs);
	assert_string_equal(t[0].name, "idle_timeout");
	assert_string_equal(t[0].def, "10s");
	assert_string_equal(t[1].def, "");
	assert_string_equal(t[2].name, "listen");
	assert_string_equal(t[2].def, "inet:x");	/* only common ones */
	assert_int_equal(t[2].offset, 16);
	assert_null(t[3].name);
	assert_string_equal(common[0].def, "600s");	/* the input untouched */
	free(t);
	t = cfg_table_join(common, NULL, NULL);
	assert_string_equal(t[0].def, "600s");
	assert_null(t[2].name);
	free(t);
}

/* Nesting: 16 references deep is fine, 17 is an error. */
#define NCHAIN	18
struct chain {
	char	*p[NCHAIN];
};

static void
test_depth_limit(void **state)
{
	struct cfg_param tab[NCHAIN + 1];
	char names[NCHAIN][8], defs[NCHAIN][8], err[256];
	struct chain ch;
	struct cfg *c = cfg_new();
	size_t i;

	(void)state;
	memset(tab, 0, sizeof(tab));
	for (i = 0; i < NCHAIN; i++) {
		snprintf(names[i], sizeof(names[i]), "p%zu", i);
		snprintf(defs[i], sizeof(defs[i]), "$p%zu", i + 1);
		tab[i].name = names[i];
		tab[i].type = CFG_STR;
		tab[i].def = i + 1 < NCHAIN ? defs[i] : "end";
		tab[i].offset = offsetof(struct chain, p) + i * sizeof(char *);
	}
	/* p0 -> ... -> p17: 17 references */
	assert_int_equal(cfg_apply(c, tab, &ch, err, sizeof(err)), -1);
	assert_string_equal(err, "default value of p16: parameter expansion "
	    "nested more than 16 deep at \"$p17\"");
	/* Cut the chain at p16: p0 -> ... -> p16 is 16 references. */
	assert_int_equal(cfg_set(c, "p16=end", "-o", err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tab, &ch, err, sizeof(err)), 0);
	for (i = 0; i < NCHAIN; i++)
		assert_string_equal(ch.p[i], "end");
	cfg_release(tab, &ch);
	cfg_free(c);
}

/* A bad default is the daemon's bug; it is reported, not fatal. */
static void
test_bad_default(void **state)
{
	static const struct cfg_param tab[] = {
		{"n", CFG_INT, "zz", 0, 0, 0, 0},
		{NULL, CFG_STR, NULL, 0, 0, 0, 0},
	};
	long long n = 7;
	struct cfg *c = cfg_new();
	char err[256];

	(void)state;
	assert_int_equal(cfg_apply(c, tab, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "default value of n: not an integer: \"zz\"");
	assert_int_equal(n, 7);
	/* the file can fix it */
	assert_int_equal(cfg_load_string(c, "n = 3", "x", err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tab, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	/* NULL or empty error buffers are tolerated */
	assert_int_equal(cfg_load_string(c, "bad", "x", NULL, 0), -1);
	assert_int_equal(cfg_set(c, "n=q", NULL, NULL, 0), 0);
	assert_int_equal(cfg_apply(c, tab, &n, NULL, 0), -1);
	cfg_free(c);
}

/* cfg_dump respects the buffer cap. */
static void
test_dump_cap(void **state)
{
	struct tconf conf;
	char err[256];
	struct buf b;

	(void)state;
	assert_int_equal(run(NULL, NULL, &conf, err, sizeof(err)), 0);
	buf_init(&b, 60);
	assert_int_equal(cfg_dump(tparams, &conf, &b), -1);
	/* whole lines only, up to the cap */
	assert_string_equal(b.data, "myname = tlsmap\n"
	    "base_dir = /var/lib/tlsmap\n");
	buf_free(&b);
	cfg_release(tparams, &conf);
}

/* write_file - create path under tmpdir with the given bytes */
static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_files(void **state)
{
	static const char good[] = "# main.cf\nmyname = filed\n"
	    "max_conns =\n\t77\n";
	static const char nul[] = "myname = a\nmax_conns = 1\0\n";
	char path[512], want[600], err[600];
	struct tconf conf;
	struct cfg *c = cfg_new();

	(void)state;
	snprintf(path, sizeof(path), "%s/good.cf", tmpdir);
	write_file(path, good, sizeof(good) - 1);
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(cfg_load_string(c, "bogus = 1\n", "x", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "x, line 1: unknown parameter \"bogus\"");
	cfg_free(c);

	c = cfg_new();
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(cfg_load_string(c, "max_conns = x\n", "x", err,
	    sizeof(err)), 0);
	/* the error cites the file where the winning line was */
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "x, line 1: max_conns: not an integer: \"x\"");
	cfg_free(c);

	c = cfg_new();
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	assert_string_equal(conf.myname, "filed");
	assert_int_equal(conf.max_conns, 77);
	cfg_release(tparams, &conf);
	cfg_free(c);

	c = cfg_new();
	assert_int_equal(cfg_load_string(c, "max_conns = 0\n", "x", err,
	    sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/good.cf", tmpdir);
	/* a later file overrides an earlier string */
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), 0);
	assert_int_equal(cfg_apply(c, tparams, &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.max_conns, 77);
	cfg_release(tparams, &conf);

	snprintf(path, sizeof(path), "%s/nul.cf", tmpdir);
	write_file(path, nul, sizeof(nul) - 1);
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s, line 2: NUL byte in line", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/missing.cf", tmpdir);
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "open %s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/bad.cf", tmpdir);
	write_file(path, "a = 1\n  2\nb c\n", 14);
	assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s, line 3: missing '=' after parameter "
	    "name", path);
	assert_string_equal(err, want);
	cfg_free(c);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cfg.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const files[] = {"good.cf", "nul.cf", "bad.cf"};
	char path[512];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

/* list_cases - a list value and its items, "|" between them */
static const struct list_case {
	const char *list;
	const char *items;
} list_cases[] = {
	{"", ""},
	{" ,\t\r\n, ", ""},
	{"unix:/a", "unix:/a"},
	{"unix:/a, inet:10030", "unix:/a|inet:10030"},
	{",unix:/a,,inet:10030,", "unix:/a|inet:10030"},
	{"  unix:/a\n\tinet:[::1]:25  bogus ", "unix:/a|inet:[::1]:25|bogus"},
};

static void
test_list_next(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < nitems(list_cases); i++) {
		const char *p = list_cases[i].list, *item;
		char got[256];
		size_t len = 0;

		got[0] = 0;
		while ((item = cfg_conv_list_next(&p, &n)) != NULL) {
			assert_true(n > 0);
			len += (size_t)snprintf(got + len, sizeof(got) - len,
			    "%s%.*s", len ? "|" : "", (int)n, item);
		}
		assert_string_equal(got, list_cases[i].items);
		/* at the end it stays at the end */
		assert_null(cfg_conv_list_next(&p, &n));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_dump),
		cmocka_unit_test(test_ok_cases),
		cmocka_unit_test(test_whitespace_and_secret_values),
		cmocka_unit_test(test_err_cases),
		cmocka_unit_test(test_override_order),
		cmocka_unit_test(test_failure_leaves_target),
		cmocka_unit_test(test_failed_load_adds_nothing),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_list_next),
		cmocka_unit_test(test_mode_param),
		cmocka_unit_test(test_table_join),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_bad_default),
		cmocka_unit_test(test_dump_cap),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
