/*
 * fuzz_dyn_store.c - fuzz harness for tlsmap's dynamic cache file
 *
 * The input is a cache file (dyn_store.c: the magic line, then one
 * "v1 DOMAIN DANE DANE_EXPIRES STS_CHECKED STS_RECHECK ID FETCHED FAIL_ID
 * FAIL_UNTIL BODY" record a line), written to a file and read the way a
 * restart reads it: by dyn_new(), with no resolver and no fetcher (loading,
 * explaining and saving use neither). The cache file's times are absolute,
 * so a seed would age; the harness therefore writes "~N" and "~-N" (N up
 * to 12 digits) in the input as the decimal of now + N and now - N before
 * the loader sees the file. Invariants:
 *   - nothing crashes, leaks, overflows (UBSan) or reads outside the input;
 *   - the loader says exactly one of: the file is not a tlsmap cache (line
 *     1 is not the magic; then nothing is loaded), it refused line N (N a
 *     record line, 2..lines; the lines before it are counted as read), or
 *     it read every record line;
 *   - lines from the refused one on leave nothing: a domain no accepted
 *     line names has no entry;
 *   - a domain named by one accepted line only (and no eviction) explains
 *     what that line says: its DANE result while unexpired and within the
 *     30-day cap, "not checked" or a TXT check, the held policy's id, the
 *     FAIL_ID back-off while it runs (holding a policy does not clear it);
 *   - round trip: dyn_save() writes a file that a new dyn reads whole, with
 *     no warning; every domain explains the same from it, except entries
 *     that answer nothing and hold no policy (the writer skips them); the
 *     second dyn saves the same lines (in some order) as the first.
 * Everything asserted about times runs within one second of the clock; a
 * run that crosses a second is done again (at most three times).
 */
#include "sysdep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dynamic.h"
#include "ev.h"
#include "fuzz.h"
#include "log.h"
#include "text.h"
#include "tls_policy.h"
#include "xalloc.h"

const char fuzz_seed_dir[] = "dyn_store";

#define MAGIC		"# tlsmap dynamic cache v1\n"
#define TTL_CAP		(30 * 86400)	/* dyn_int.h's DYN_TTL_CAP */
#define CACHE_SIZE	16	/* small, so that eviction happens too */
#define MAX_LINES	64	/* record lines the oracle looks at */
#define EXPLAIN_MAX	4096

static char *cache_path, *cache_tmp, *tmp_dir;
static struct ev *ev;

/* what the loader logged while one dyn_new() ran */
static struct {
	int	 not_cache;
	unsigned refused;	/* the line refused, or 0 */
	int	 warnings;
	long long nread;	/* "N cache entries read", or -1 */
} heard;

static void
capture(enum log_severity sev, const char *line, void *ctx)
{
	const char *p;

	(void)ctx;
	if (sev >= LOG_SEV_WARN)
		heard.warnings++;
	if (strstr(line, "is not a tlsmap cache") != NULL)
		heard.not_cache = 1;
	else if ((p = strstr(line, ", line ")) != NULL &&
	    strstr(line, "the rest of the file is ignored") != NULL) {
		FUZZ_CHECK(heard.refused == 0);
		heard.refused = (unsigned)strtoul(p + 7, NULL, 10);
	} else if ((p = strstr(line, " cache entries read from ")) != NULL)
		FUZZ_CHECK(sscanf(line, "dynamic: %lld ", &heard.nread) == 1);
}

static void
cleanup(void)
{
	(void)unlink(cache_tmp);
	(void)unlink(cache_path);
	(void)rmdir(tmp_dir);
}

/* setup - once: quiet logs with a capture, a scratch directory, a loop */
static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (ev != NULL)
		return;
	(void)log_init("fuzz_dyn_store", 0, NULL);
	log_set_capture(capture, NULL);
	tmp_dir = xasprintf("%s/fuzz_dyn_store.XXXXXX", base);
	if (mkdtemp(tmp_dir) == NULL) {
		perror(tmp_dir);
		abort();
	}
	cache_path = xasprintf("%s/cache", tmp_dir);
	cache_tmp = xasprintf("%s.tmp", cache_path);
	atexit(cleanup);
	if ((ev = ev_new()) == NULL)
		abort();
}

/* expand - the input with "~N" / "~-N" made absolute times; NUL-ended */
static char *
expand(const uint8_t *data, size_t len, time_t now, size_t *outlen)
{
	/* a template is 2 bytes or more for at most 14 ("-" and 13 digits:
	 * |now +- 10^12| < 10^13) */
	size_t cap = len * 7 + 1, i = 0, o = 0, k;
	char *out = xmalloc(cap);

	while (i < len) {
		size_t neg = i + 1 < len && data[i + 1] == '-';
		long long n = 0;

		for (k = i + 1 + neg; k < len && k < i + 1 + neg + 12 &&
		    data[k] >= '0' && data[k] <= '9'; k++)
			n = n * 10 + (data[k] - '0');
		if (data[i] != '~' || k == i + 1 + neg) {
			out[o++] = (char)data[i++];
			continue;
		}
		o += (size_t)snprintf(out + o, cap - o, "%lld",
		    (long long)now + (neg ? -n : n));
		FUZZ_CHECK(o < cap);
		i = k;
	}
	out[o] = 0;
	*outlen = o;
	return out;
}

/* one record line of the expanded file, tokenised as load_line() does */
struct rec {
	unsigned lineno;
	char	*copy;
	char	*f[12];
	size_t	 n;
	char	 dom[256];	/* f[1] as dyn_explain() takes it, or "" */
};

static size_t
split_lines(const char *text, size_t len, struct rec *recs, size_t max,
    int *magic_ok, unsigned *nlines)
{
	size_t off = 0, n = 0;
	unsigned lineno = 0;

	*magic_ok = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
		char *save = NULL, *tok;
		struct rec *r;

		lineno++;
		if (lineno == 1)
			*magic_ok = l == strlen(MAGIC) &&
			    memcmp(text, MAGIC, l) == 0;
		else if (n < max) {
			r = &recs[n++];
			memset(r, 0, sizeof(*r));
			r->lineno = lineno;
			r->copy = fuzz_cstr(text + off, l);
			for (tok = strtok_r(r->copy, " \n", &save);
			    tok != NULL && r->n < 12;
			    tok = strtok_r(NULL, " \n", &save))
				r->f[r->n++] = tok;
			if (r->n < 2 || dyn_key_domain(r->f[1],
			    strlen(r->f[1]), r->dom, sizeof(r->dom)) < 0)
				r->dom[0] = 0;
		}
		off += l;
	}
	*nlines = lineno;
	return n;
}

static char *
explain(struct dyn *d, const char *domain)
{
	char *buf = xmalloc(EXPLAIN_MAX);
	struct text t;

	text_init(&t, buf, EXPLAIN_MAX);
	dyn_explain(d, domain, &t);
	FUZZ_CHECK(!text_truncated(&t));
	return buf;
}

static struct dyn *
load(void)
{
	struct dyn_cfg cfg = {
		.cache_file = cache_path, .timeout_ms = 1000,
		.min_ttl_ms = 60000, .max_entries = CACHE_SIZE,
		.max_resolutions = 4, .version = TLS_POLICY_VERSION(3, 10),
	};
	char err[256];
	struct dyn *d;

	memset(&heard, 0, sizeof(heard));
	heard.nread = -1;
	d = dyn_new(ev, NULL, NULL, &cfg, err, sizeof(err));
	FUZZ_CHECK(d != NULL);
	return d;
}

static void
write_file(const char *text, size_t len)
{
	FILE *f = fopen(cache_path, "w");

	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fwrite(text, 1, len, f) == len || len == 0);
	FUZZ_CHECK(fclose(f) == 0);
}

/* read_sorted - the file's lines, sorted, joined; *nlines set */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
read_sorted(unsigned *nlines)
{
	FILE *f = fopen(cache_path, "r");
	char *line = NULL, **v = NULL, *out;
	size_t cap = 0, n = 0, total = 1, i;

	FUZZ_CHECK(f != NULL);
	while (getline(&line, &cap, f) >= 0) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup(line);
		total += strlen(line);
	}
	free(line);
	fclose(f);
	qsort(v, n, sizeof(*v), cmp_str);
	out = xmalloc(total);
	out[0] = 0;
	for (i = 0; i < n; i++) {
		strcat(out, v[i]);
		free(v[i]);
	}
	free(v);
	*nlines = (unsigned)n;
	return out;
}

static int
is_one_line_of(const struct rec *recs, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (j != i && strcmp(recs[j].dom, recs[i].dom) == 0)
			return 0;
	return 1;
}

static int
has(const char *text, const char *a, const char *b)
{
	char needle[512];

	snprintf(needle, sizeof(needle), "%s%s", a, b ? b : "");
	return strstr(text, needle) != NULL;
}

/* check_line - what one accepted record, alone for its domain, shows */
static void
check_line(const struct rec *r, const char *ex, time_t now)
{
	long long dexp = strtoll(r->f[3], NULL, 10);
	long long fetched = strtoll(r->f[7], NULL, 10);
	long long fail_until = strtoll(r->f[9], NULL, 10);
	int checked = strcmp(r->f[4], "1") == 0;

	FUZZ_CHECK(strcmp(r->dom, r->f[1]) == 0);
	if (strcmp(r->f[2], "-") != 0 && dexp > now && dexp - now <= TTL_CAP)
		FUZZ_CHECK(has(ex, "\ndane: ", r->f[2]) &&
		    has(ex, ", expires in ", NULL));
	else
		FUZZ_CHECK(has(ex, "\ndane: not known", NULL));
	if (!checked) {
		FUZZ_CHECK(has(ex, "\nsts: not checked", NULL));
		return;
	}
	FUZZ_CHECK(has(ex, "\nsts: TXT checked again ", NULL));
	if (strcmp(r->f[10], "-") != 0 && strcmp(r->f[6], "-") != 0 &&
	    fetched <= now)
		FUZZ_CHECK(has(ex, "; policy id ", r->f[6]) &&
		    has(ex, ", fetched ", NULL));
	else
		FUZZ_CHECK(has(ex, "; no policy held", NULL));
	if (strcmp(r->f[8], "-") != 0 && fail_until > now)
		FUZZ_CHECK(has(ex, "; fetches of id ", r->f[8]));
	else
		FUZZ_CHECK(!has(ex, "; fetches of id ", NULL));
}

/* run - one load, explain, save, load, save; 0 when the clock moved */
static int
run(const uint8_t *data, size_t len)
{
	static struct rec recs[MAX_LINES];
	char *ex_a[MAX_LINES], *ex_b[MAX_LINES], *file1, *file2, err[512];
	time_t now = time(NULL);
	size_t tlen, nrec, i, accepted;
	unsigned nlines, last, n1, n2;
	char *text = expand(data, len, now, &tlen);
	struct dyn *a, *b;
	int magic_ok, steady = 0;

	write_file(text, tlen);
	nrec = split_lines(text, tlen, recs, MAX_LINES, &magic_ok, &nlines);
	a = load();
	for (i = 0; i < nrec; i++)
		ex_a[i] = recs[i].dom[0] ? explain(a, recs[i].dom) : NULL;
	if (time(NULL) != now)
		goto out_a;
	/* what the loader said */
	FUZZ_CHECK(heard.nread >= 0);
	FUZZ_CHECK(!(heard.not_cache && heard.refused));
	if (nlines == 0 || heard.not_cache) {
		FUZZ_CHECK(heard.not_cache == (nlines > 0));
		FUZZ_CHECK(nlines == 0 || !magic_ok);
		FUZZ_CHECK(heard.nread == 0 && dyn_entries(a) == 0);
		last = 1;
	} else {
		FUZZ_CHECK(magic_ok);
		if (heard.refused) {
			FUZZ_CHECK(heard.refused >= 2 &&
			    heard.refused <= nlines);
			FUZZ_CHECK(heard.nread == heard.refused - 2);
			last = heard.refused - 1;
		} else {
			FUZZ_CHECK(heard.warnings == 0);
			FUZZ_CHECK(heard.nread == nlines - 1);
			last = nlines;
		}
	}
	/* the oracle looks at the first MAX_LINES records only */
	accepted = 0;
	for (i = 0; i < nrec && recs[i].lineno <= last; i++)
		accepted++;
	if (nrec < MAX_LINES || accepted < nrec) {
		for (i = 0; i < nrec; i++) {
			size_t j;
			int named = 0;

			if (!recs[i].dom[0])
				continue;
			for (j = 0; j < accepted; j++)
				named |= strcmp(recs[j].dom, recs[i].dom) == 0;
			if (!named)
				FUZZ_CHECK(has(ex_a[i], "\ncache: no entry",
				    NULL));
		}
	}
	/* nothing evicted: each lone accepted line is what its domain says */
	if (accepted < CACHE_SIZE && nrec < MAX_LINES)
		for (i = 0; i < accepted; i++)
			if (is_one_line_of(recs, nrec, i))
				check_line(&recs[i], ex_a[i], now);

	/* round trip */
	err[0] = 0;
	if (dyn_save(a, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "dyn_save: %s\n", err);
		FUZZ_CHECK(!"dyn_save failed");
	}
	file1 = read_sorted(&n1);
	b = load();
	for (i = 0; i < nrec; i++)
		ex_b[i] = ex_a[i] ? explain(b, recs[i].dom) : NULL;
	if (time(NULL) != now)
		goto out_b;
	FUZZ_CHECK(heard.warnings == 0 && !heard.not_cache &&
	    heard.refused == 0);
	FUZZ_CHECK(heard.nread == (long long)n1 - 1);
	for (i = 0; i < nrec; i++) {
		if (ex_a[i] == NULL)
			continue;
		if (has(ex_b[i], "\ncache: no entry", NULL))
			FUZZ_CHECK(has(ex_a[i], "\ncache: no entry", NULL) ||
			    has(ex_a[i], "\nanswer: none cached", NULL));
		else if (strcmp(ex_a[i], ex_b[i]) != 0) {
			fprintf(stderr, "explain before saving:\n%s\nafter "
			    "reading it back:\n%s\n", ex_a[i], ex_b[i]);
			FUZZ_CHECK(!"round trip changed an entry");
		}
	}
	FUZZ_CHECK(dyn_save(b, 1, err, sizeof(err)) == 0);
	file2 = read_sorted(&n2);
	if (time(NULL) == now) {
		if (strcmp(file1, file2) != 0) {
			fprintf(stderr, "saved:\n%s\nsaved again:\n%s\n", file1,
			    file2);
			FUZZ_CHECK(!"the second save differs");
		}
		steady = 1;
	}
	free(file2);
out_b:
	free(file1);
	dyn_free(b);
	for (i = 0; i < nrec; i++)
		free(ex_b[i]);
out_a:
	dyn_free(a);
	for (i = 0; i < nrec; i++) {
		free(ex_a[i]);
		free(recs[i].copy);
	}
	free(text);
	return steady;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int tries;

	fuzz_input(data, len);
	setup();
	for (tries = 0; tries < 3 && !run(data, len); tries++)
		;
	return 0;
}
