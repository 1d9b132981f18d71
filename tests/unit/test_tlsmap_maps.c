/*
 * test_tlsmap_maps.c - tlsmap's named maps: settings, key normalisation,
 * load-time validation with file and line, exact reply bytes, reloads
 *
 * Files are written under a fresh mkdtemp() directory in $TMPDIR (or /tmp).
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
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maps.h"
#include "table.h"
#include "tls_policy.h"

static char dir[256];
static char last_log[1024];

/* capture - remember the last error line (table_source logs there) */
static void
capture(enum log_severity sev, const char *line, void *ctx)
{
	if (sev >= LOG_SEV_WARN)
		snprintf(last_log, sizeof(last_log), "%s", line);
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/tlsmap-unit-XXXXXX",
	    tmp && *tmp && strlen(tmp) < 100 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	log_set_capture(capture, NULL);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* write_file - DIR/name := text, with a distinct mtime each time */
static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	struct timespec ts[2];
	static time_t bump = 1000000;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	/* a distinct mtime, so a same-size rewrite is noticed too */
	ts[0].tv_sec = ts[1].tv_sec = bump++;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	return path;
}

/* norm - normalise a copy; NULL when refused */
static const char *
norm(const char *in)
{
	static char buf[256];
	char err[256];
	size_t len = strlen(in);

	snprintf(buf, sizeof(buf), "%s", in);
	if (map_key_normalise(buf, &len, err, sizeof(err)) < 0)
		return NULL;
	buf[len] = 0;
	return buf;
}

/* test_maps_key_normalise - fold, one trailing dot, brackets kept */
static void
test_maps_key_normalise(void **state)
{
	assert_string_equal(norm("Example.COM"), "example.com");
	assert_string_equal(norm("example.com."), "example.com");
	assert_string_equal(norm("example.com.."), "example.com.");
	assert_string_equal(norm(".Example.Org"), ".example.org");
	assert_string_equal(norm("[MX.example.net]"), "[mx.example.net]");
	assert_string_equal(norm("[mx.example.net]:587"),
	    "[mx.example.net]:587");
	assert_string_equal(norm("[192.0.2.1]:25"), "[192.0.2.1]:25");
	assert_string_equal(norm("example.net:2525"), "example.net:2525");
	assert_null(norm("[mx.example.net"));
	assert_null(norm("[]"));
	assert_null(norm("[mx.example.net]x"));
	assert_null(norm("[mx.example.net]:"));
}

/* test_maps_settings - NAME=TYPE:FILE lists and their errors */
static void
test_maps_settings(void **state)
{
	struct maps *ms;
	char err[512];

	ms = maps_new("a=policy:/x/a, b=persite:/x/b", "b", TLS_POLICY_VERSION(3, 7),
	    err, sizeof(err));
	assert_non_null(ms);
	assert_int_equal(ms->n, 2);
	assert_string_equal(ms->v[0].name, "a");
	assert_int_equal(ms->v[0].kind, MAP_POLICY);
	assert_int_equal(ms->v[0].report_only, 0);
	assert_int_equal(ms->v[1].kind, MAP_PERSITE);
	assert_int_equal(ms->v[1].report_only, 1);
	assert_ptr_equal(maps_find(ms, "b", 1), &ms->v[1]);
	assert_null(maps_find(ms, "c", 1));
	maps_free(ms);

	static const struct {
		const char *spec, *ro, *why;
	} bad[] = {
		{"a=policy", "", "is not NAME=TYPE:FILE"},
		{"a=hash:/x", "", "unknown map type"},
		{"a=policy:x", "", "must be absolute"},
		{"a:b=policy:/x", "", "bad map name"},
		{"a=policy:/x a=persite:/y", "", "defined twice"},
		{"a=policy:/x", "b", "no map named \"b\""},
		{"  ", "", "no maps configured"},
	};
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		err[0] = 0;
		assert_null(maps_new(bad[i].spec, bad[i].ro,
		    TLS_POLICY_VERSION(3, 7), err, sizeof(err)));
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("spec \"%s\": got \"%s\"", bad[i].spec, err);
	}
}

/* wire - the reply bytes of a lookup, or NULL when not found */
static const char *
wire(struct tlsmap_map *m, const char *key)
{
	static char buf[1024];
	const struct table_entry *te = map_lookup(m, key, strlen(key));
	const struct map_answer *a;

	if (te == NULL)
		return NULL;
	a = te->obj;
	snprintf(buf, sizeof(buf), "%.*s", (int)a->wire_len, a->wire);
	return buf;
}

/* ns - the netstring of a payload, for expected values */
static const char *
ns(const char *payload)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%zu:%s,", strlen(payload), payload);
	return buf;
}

/* line_of - the file line an entry came from */
static unsigned
line_of(struct tlsmap_map *m, const char *key)
{
	const struct table_entry *te = map_lookup(m, key, strlen(key));

	return te ? te->line : 0;
}

/* test_maps_policy_lookups - exact bytes, folding, distinct keys */
static void
test_maps_policy_lookups(void **state)
{
	char spec[600], err[512];
	struct maps *ms;
	struct tlsmap_map *m;

	snprintf(spec, sizeof(spec), "p=policy:%s", write_file("policy",
	    "# comment\n"
	    "Example.COM.  secure match=.example.com\n"
	    "[mx.example.net]:587 encrypt\n"
	    "[mx.example.net] may\n"
	    "mx.example.net  verify\n"
	    ".example.org verify\n"
	    "long.example encrypt\n"
	    "   protocols=>=TLSv1.2\n"));
	assert_non_null(ms = maps_new(spec, "", TLS_POLICY_VERSION(3, 7), err,
	    sizeof(err)));
	assert_int_equal(maps_load(ms), 0);
	m = &ms->v[0];
	assert_true(map_loaded(m));
	assert_string_equal(wire(m, "example.com"),
	    ns("OK secure match=.example.com"));
	assert_string_equal(wire(m, "EXAMPLE.com."),
	    ns("OK secure match=.example.com"));
	assert_string_equal(wire(m, "[mx.example.net]:587"), ns("OK encrypt"));
	assert_string_equal(wire(m, "[MX.example.net]"), ns("OK may"));
	assert_string_equal(wire(m, "mx.example.net"), ns("OK verify"));
	assert_null(wire(m, "[mx.example.net]:25"));
	assert_string_equal(wire(m, ".example.org"), ns("OK verify"));
	assert_null(wire(m, "example.org"));
	assert_null(wire(m, ".com"));
	/* a continuation line joins the value, as postmap reads it */
	assert_string_equal(wire(m, "long.example"),
	    ns("OK encrypt   protocols=>=TLSv1.2"));
	assert_int_equal(line_of(m, "long.example"), 7);
	maps_free(ms);
}

/* test_maps_load_errors - file and line, per target version */
static void
test_maps_load_errors(void **state)
{
	static const struct {
		const char *kind, *text;
		unsigned version;
		const char *why;	/* NULL = loads */
	} cases[] = {
		{"policy", "a.example secure\nb.example secure servername="
		    "hostname\n", TLS_POLICY_VERSION(3, 3),
		    "line 2: attribute \"servername\" needs Postfix 3.4"},
		{"policy", "a.example secure\nb.example secure servername="
		    "hostname\n", TLS_POLICY_VERSION(3, 4), NULL},
		{"policy", "# x\n\na.example encrypt match=x.example\n",
		    TLS_POLICY_VERSION(3, 7), "line 3: attribute \"match\" is "
		    "invalid at security level \"encrypt\""},
		{"policy", "a.example may\nA.Example. encrypt\n",
		    TLS_POLICY_VERSION(3, 7), "line 2: duplicate key"},
		{"policy", "[a.example encrypt\n", TLS_POLICY_VERSION(3, 7),
		    "line 1: malformed key"},
		{"policy", "a.example\n", TLS_POLICY_VERSION(3, 7),
		    "line 1: missing value"},
		{"persite", "a.example MUST\nb.example SECURE\n",
		    TLS_POLICY_VERSION(3, 7), "line 2: invalid smtp_tls_per_site"},
		{"persite", "a.example must\n[b.example]:25 none\n",
		    TLS_POLICY_VERSION(3, 7), NULL},
	};
	char spec[600], err[512];
	struct maps *ms;
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		snprintf(spec, sizeof(spec), "m=%s:%s", cases[i].kind,
		    write_file("errs", cases[i].text));
		assert_non_null(ms = maps_new(spec, "", cases[i].version, err,
		    sizeof(err)));
		last_log[0] = 0;
		if (cases[i].why == NULL) {
			assert_int_equal(maps_load(ms), 0);
		} else {
			assert_int_equal(maps_load(ms), 1);
			assert_false(map_loaded(&ms->v[0]));
			if (strstr(ms->v[0].src->last_error, cases[i].why) ==
			    NULL || strstr(ms->v[0].src->last_error, "/errs")
			    == NULL)
				fail_msg("case %zu: got \"%s\"", i,
				    ms->v[0].src->last_error);
			/* and the same text reached the log */
			assert_non_null(strstr(last_log, cases[i].why));
		}
		maps_free(ms);
	}
}

/* test_maps_persite_canonical - served upper case, whatever the file says */
static void
test_maps_persite_canonical(void **state)
{
	char spec[600], err[512];
	const struct table_entry *te;
	struct maps *ms;

	snprintf(spec, sizeof(spec), "l=persite:%s", write_file("persite",
	    "example.com must_nopeermatch\n[relay.example]:25 Must\n"));
	assert_non_null(ms = maps_new(spec, "", TLS_POLICY_VERSION(3, 7), err,
	    sizeof(err)));
	assert_int_equal(maps_load(ms), 0);
	assert_string_equal(wire(&ms->v[0], "Example.com"),
	    ns("OK MUST_NOPEERMATCH"));
	assert_string_equal(wire(&ms->v[0], "[relay.example]:25"),
	    ns("OK MUST"));
	te = map_lookup(&ms->v[0], "example.com", 11);
	assert_int_equal(((const struct map_answer *)te->obj)->level, 2);
	maps_free(ms);
}

/* test_maps_reload - change picked up; a broken file keeps the old table */
static void
test_maps_reload(void **state)
{
	char spec[600], err[512];
	const char *path;
	struct maps *ms;

	path = write_file("reload", "a.example may\n");
	snprintf(spec, sizeof(spec), "r=policy:%s", path);
	assert_non_null(ms = maps_new(spec, "", TLS_POLICY_VERSION(3, 7), err,
	    sizeof(err)));
	assert_int_equal(maps_load(ms), 0);
	assert_string_equal(wire(&ms->v[0], "a.example"), ns("OK may"));
	assert_int_equal(maps_check(ms), 0);	/* unchanged */

	write_file("reload", "a.example encrypt\n");
	assert_int_equal(maps_check(ms), 0);
	assert_string_equal(wire(&ms->v[0], "a.example"), ns("OK encrypt"));

	write_file("reload", "a.example encrypt\nb.example bogus\n");
	assert_int_equal(maps_check(ms), 1);
	assert_true(map_loaded(&ms->v[0]));
	assert_string_equal(wire(&ms->v[0], "a.example"), ns("OK encrypt"));
	assert_non_null(strstr(ms->v[0].src->last_error, "line 2"));
	/* a failed attempt is not retried until the file changes again */
	assert_int_equal(maps_check(ms), 0);

	unlink(path);
	assert_int_equal(maps_check(ms), 1);
	assert_string_equal(wire(&ms->v[0], "a.example"), ns("OK encrypt"));
	maps_free(ms);
}

struct rejected {
	unsigned lines[8];
	unsigned n;
	char	 why[512];
};

/* note_rejected - maps_recheck_fn: remember lines and the last reason */
static void
note_rejected(const struct tlsmap_map *m, const struct table_entry *te,
    const char *why, void *ctx)
{
	struct rejected *rj = ctx;

	if (rj->n < nitems(rj->lines))
		rj->lines[rj->n++] = te->line;
	snprintf(rj->why, sizeof(rj->why), "%s", why);
}

/* test_maps_recheck - loaded policy entries an older Postfix rejects */
static void
test_maps_recheck(void **state)
{
	char spec[1200], err[512];
	struct rejected rj;
	struct maps *ms;
	char *p;

	p = spec + snprintf(spec, sizeof(spec), "new=policy:%s ",
	    write_file("recheck", "a.example secure\n"
	    "b.example secure enable_rpk=yes\n"
	    "c.example encrypt policy_type=sts policy_domain=c.example\n"
	    "d.example encrypt servername=hostname\n"));
	snprintf(p, sizeof(spec) - (size_t)(p - spec), "l=persite:%s",
	    write_file("recheck_ps", "e.example MUST\n"));
	assert_non_null(ms = maps_new(spec, "", TLS_POLICY_VERSION(3, 10), err,
	    sizeof(err)));
	/* nothing loaded yet: nothing to recheck */
	assert_int_equal(maps_recheck(ms, TLS_POLICY_VERSION(3, 3), NULL,
	    NULL), 0);
	assert_int_equal(maps_load(ms), 0);
	assert_int_equal(maps_recheck(ms, TLS_POLICY_VERSION(3, 10), NULL,
	    NULL), 0);
	memset(&rj, 0, sizeof(rj));
	assert_int_equal(maps_recheck(ms, TLS_POLICY_VERSION(3, 9),
	    note_rejected, &rj), 1);
	assert_int_equal(rj.n, 1);
	assert_int_equal(rj.lines[0], 3);
	memset(&rj, 0, sizeof(rj));
	assert_int_equal(maps_recheck(ms, TLS_POLICY_VERSION(3, 3),
	    note_rejected, &rj), 3);
	assert_int_equal(rj.n, 3);
	assert_int_equal(rj.lines[0], 2);
	assert_int_equal(rj.lines[1], 3);
	assert_int_equal(rj.lines[2], 4);
	assert_string_equal(rj.why, "attribute \"servername\" needs Postfix "
	    "3.4 or later (target is 3.3)");
	maps_free(ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_key_normalise),
		cmocka_unit_test(test_maps_settings),
		cmocka_unit_test(test_maps_policy_lookups),
		cmocka_unit_test(test_maps_load_errors),
		cmocka_unit_test(test_maps_persite_canonical),
		cmocka_unit_test(test_maps_reload),
		cmocka_unit_test(test_maps_recheck),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
