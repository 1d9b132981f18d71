/*
 * fuzz_cfg.c - fuzz harness for the main.cf-style configuration reader
 *
 * The input is a configuration file, optionally followed by NUL-separated
 * -o overrides: "FILE\0name=value\0name=value". The file goes through
 * cfg_load_string(), the overrides through cfg_set(), and the result
 * through cfg_apply() against a small table with every type, bounds, a
 * secret and a default that refers to another parameter.
 *
 * Invariants:
 *   - nothing crashes, leaks or reads outside the input;
 *   - a file error says "fuzz.cf, line N: " with N a line of the file; an
 *     override error starts with "-o "; an apply error carries one of the
 *     two, so the admin always learns where to look;
 *   - an error about the secret parameter quotes nothing (its value is a
 *     password);
 *   - a failed apply leaves the target untouched; a good one obeys every
 *     bound;
 *   - without '$' anywhere (and no LF in an override), the cfg_dump() of
 *     the result reads back (file syntax again) into the very same values.
 */
#include "sysdep.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "fuzz.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "cfg";

#define ORIGIN		"fuzz.cf"
#define MAX_OVERRIDES	4

struct fcfg {
	char	*myname;
	char	*queue_dir;
	char	*state_dir;
	char	*password;
	long long workers;
	long long offset;
	bool	 debug;
	long long timeout;
	long long idle;
	long long max_size;
};

#define O(f)	offsetof(struct fcfg, f)
static const struct cfg_param params[] = {
	{"myname", CFG_STR, "mail.example", O(myname), 0, 0, 0},
	{"queue_dir", CFG_STR, "/var/spool/pfh", O(queue_dir), 0, 0, 0},
	{"state_dir", CFG_STR, "${queue_dir}/state", O(state_dir), 0, 0, 0},
	{"password", CFG_STR, NULL, O(password), 0, 0, CFG_F_SECRET},
	{"workers", CFG_INT, "4", O(workers), 1, 64, 0},
	{"offset", CFG_INT, "-5", O(offset), 0, 0, 0},
	{"debug", CFG_BOOL, "no", O(debug), 0, 0, 0},
	{"timeout", CFG_TIME, "30s", O(timeout), 1000, 3600000, 0},
	{"idle", CFG_TIME, "$timeout", O(idle), 1000, 3600000, 0},
	{"max_size", CFG_SIZE, "64k", O(max_size), 1, 1LL << 30, 0},
	{NULL, 0, NULL, 0, 0, 0, 0},
};

/*
 * where_ok - does err start with "fuzz.cf, line N: " (N in 1..nlines) or,
 * when overrides are allowed, "-o "? Returns the rest after the location,
 * or NULL.
 */
static const char *
where_ok(const char *err, unsigned nlines, int allow_o)
{
	if (allow_o && strncmp(err, "-o ", 3) == 0)
		return err + 3;
	return fuzz_where(err, ORIGIN, nlines);
}

/* check_where - fail, showing the message, unless where_ok() accepts it */
static void
check_where(const char *err, unsigned nlines, int allow_o)
{
	if (where_ok(err, nlines, allow_o) == NULL)
		fprintf(stderr, "error without a location: %s\n", err);
	FUZZ_CHECK(where_ok(err, nlines, allow_o) != NULL);
}

/*
 * check_secret_err - an error about "password" quotes none of its value:
 * the only quoted text it may carry is fixed ("${", "{name}").
 */
static void
check_secret_err(const char *err)
{
	static const char *const fixed[] = {"\"${\"", "\"{name}\""};
	const char *rest = NULL, *p;
	char *copy, *q;
	size_t i;

	if (strncmp(err, "-o password=...: ", 17) == 0)
		rest = err + 17;
	else if ((p = strstr(err, ": password: ")) != NULL &&
	    strncmp(err, ORIGIN ", line ", sizeof(ORIGIN ", line ") - 1) == 0 &&
	    p == err + strcspn(err, ":"))
		rest = p + 12;
	if (rest == NULL)
		return;
	copy = xstrdup(rest);
	for (i = 0; i < nitems(fixed); i++)
		while ((q = strstr(copy, fixed[i])) != NULL)
			memmove(q, q + strlen(fixed[i]),
			    strlen(q + strlen(fixed[i])) + 1);
	if (strchr(copy, '"') != NULL)
		fprintf(stderr, "secret quoted: %s\n", err);
	FUZZ_CHECK(strchr(copy, '"') == NULL);
	free(copy);
}

/* check_bounds - every field of a good apply is within its table bounds */
static void
check_bounds(const struct fcfg *f)
{
	FUZZ_CHECK(f->myname && f->queue_dir && f->state_dir && f->password);
	FUZZ_CHECK(f->workers >= 1 && f->workers <= 64);
	FUZZ_CHECK(f->timeout >= 1000 && f->timeout <= 3600000);
	FUZZ_CHECK(f->idle >= 1000 && f->idle <= 3600000);
	FUZZ_CHECK(f->max_size >= 1 && f->max_size <= 1LL << 30);
}

/* check_dump - the dump of f reads back into the same values */
static void
check_dump(const struct fcfg *f)
{
	struct fcfg g;
	struct buf out;
	struct cfg *c;
	char err[512];

	buf_init(&out, 0);
	FUZZ_CHECK(cfg_dump(params, f, &out) == 0);
	FUZZ_CHECK(strstr(out.data, "\npassword = (hidden)\n") != NULL);
	c = cfg_new();
	FUZZ_CHECK(cfg_load_string(c, out.data, "dump", err, sizeof(err)) == 0);
	memset(&g, 0, sizeof(g));
	FUZZ_CHECK(cfg_apply(c, params, &g, err, sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(g.myname, f->myname) == 0);
	FUZZ_CHECK(strcmp(g.queue_dir, f->queue_dir) == 0);
	FUZZ_CHECK(strcmp(g.state_dir, f->state_dir) == 0);
	FUZZ_CHECK(g.workers == f->workers && g.offset == f->offset);
	FUZZ_CHECK(g.debug == f->debug && g.timeout == f->timeout);
	FUZZ_CHECK(g.idle == f->idle && g.max_size == f->max_size);
	cfg_release(params, &g);
	cfg_free(c);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = fuzz_cstr(data, len), *p, *end = text + len;
	struct fcfg target, saved;
	char err[1024];
	unsigned nlines = fuzz_count_lines(text, strlen(text));
	struct cfg *c = cfg_new();
	int n, plain;

	fuzz_input(data, len);
	/*
	 * The dump writes values as they are after expansion, so it reads
	 * back the same only when nothing was expanded; and a LF can reach a
	 * value only through -o, where the shell put it.
	 */
	plain = memchr(text, '$', len) == NULL &&
	    memchr(text + strlen(text), '\n', len - strlen(text)) == NULL;
	err[0] = 0;
	if (cfg_load_string(c, text, ORIGIN, err, sizeof(err)) < 0) {
		check_where(err, nlines, 0);
		goto out;
	}
	/* What follows the file's NUL: up to MAX_OVERRIDES -o settings. */
	p = text + strlen(text);
	for (n = 0; p < end && n < MAX_OVERRIDES; n++) {
		p++;
		err[0] = 0;
		if (cfg_set(c, p, NULL, err, sizeof(err)) < 0) {
			FUZZ_CHECK(strncmp(err, "-o ", 3) == 0);
			goto out;
		}
		p += strlen(p);
	}

	memset(&target, 0x5a, sizeof(target));
	saved = target;
	err[0] = 0;
	if (cfg_apply(c, params, &target, err, sizeof(err)) < 0) {
		check_where(err, nlines, 1);
		check_secret_err(err);
		FUZZ_CHECK(memcmp(&target, &saved, sizeof(target)) == 0);
		goto out;
	}
	check_bounds(&target);
	if (plain)
		check_dump(&target);
	cfg_release(params, &target);
out:
	cfg_free(c);
	free(text);
	return 0;
}
