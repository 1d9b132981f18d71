/*
 * driver.c - stand-alone runner for the fuzz harnesses (plain builds)
 *
 * Contract: links with one harness in place of libFuzzer, so a build
 *   without clang still exercises every harness in `make check`.
 *     fuzz_X                  every seed, then 5000 mutations of them
 *     fuzz_X [-n N] [-s S] PATH...  the given files (or directories'
 *                             files) and N mutations seeded with S
 *   Without PATH the seeds come from $PFH_SRCDIR/tests/unit/vectors/ plus
 *   the harness's fuzz_seed_dir. Exit 0 when every input passed, 99 when
 *   there are no seeds to read (a broken test setup, not a pass); a broken
 *   invariant abort()s in the harness.
 *
 * The mutations are deterministic (splitmix64 from a fixed seed), so a
 * failure in CI reproduces with the same command line. They are the
 * cheap ones that matter to these decoders: flipped and replaced bytes,
 * bytes that carry syntax (digits, ':', ',', '=', LF, NUL, '$', '#', blanks),
 * inserted and deleted runs, a duplicated run (pipelining, continuation
 * lines), truncation, splices of two seeds and big-endian length pairs.
 */
#include "sysdep.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "xalloc.h"

#define DEFAULT_MUTATIONS	5000
#define FUZZ_MAX_INPUT		16384	/* keeps quadratic checks cheap */

struct corpus {
	uint8_t **data;
	size_t	*len;
	size_t	 n, cap;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* rng - splitmix64: small, fast and identical everywhere */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* below - uniform-enough number in [0, n); n > 0 */
static size_t
below(size_t n)
{
	return (size_t)(rng() % n);
}

/* corpus_add - keep a copy of one input */
static void
corpus_add(struct corpus *c, const uint8_t *p, size_t len)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->data = xreallocarray(c->data, c->cap, sizeof(*c->data));
		c->len = xreallocarray(c->len, c->cap, sizeof(*c->len));
	}
	c->data[c->n] = (uint8_t *)fuzz_copy(p, len);
	c->len[c->n] = len;
	c->n++;
}

/* read_file - whole file into the corpus; -1 with a message on error */
static int
read_file(struct corpus *c, const char *path)
{
	uint8_t buf[FUZZ_MAX_INPUT];
	size_t len;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fuzz driver: open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	len = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		fprintf(stderr, "fuzz driver: read %s: %s\n", path,
		    strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	corpus_add(c, buf, len);
	return 0;
}

/* read_path - a file, or every regular file of a directory in name order */
static int
read_path(struct corpus *c, const char *path)
{
	struct dirent **names;
	struct stat st;
	char *sub;
	int i, n, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return read_file(c, path);
	/* Sorted, so the mutation sequence does not depend on the disk. */
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		sub = xasprintf("%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(sub, &st) == 0 &&
		    S_ISREG(st.st_mode) && read_file(c, sub) < 0)
			rc = -1;
		free(sub);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* run_one - hand one exact-size copy to the harness */
static void
run_one(const uint8_t *p, size_t len)
{
	uint8_t *copy = (uint8_t *)fuzz_copy(p, len);

	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

/* mutate - apply one random edit to buf[0..*len) (capacity FUZZ_MAX_INPUT) */
static void
mutate(uint8_t *buf, size_t *len, const struct corpus *c)
{
	static const uint8_t syntax[] = "0123456789:,=\n\r\t #$${}\\!-_.;";
	const uint8_t *o;
	size_t n = *len, at, k, olen;

	switch (below(9)) {
	case 0:					/* flip a bit */
		if (n > 0)
			buf[below(n)] ^= (uint8_t)(1u << below(8));
		break;
	case 1:					/* any byte, or NUL/0xff */
		if (n > 0)
			buf[below(n)] = below(4) == 0 ?
			    (uint8_t)(below(2) ? 0xff : 0) : (uint8_t)rng();
		break;
	case 2:					/* a syntax byte */
		if (n > 0)
			buf[below(n)] = syntax[below(sizeof(syntax) - 1)];
		else
			buf[(*len)++] = syntax[below(sizeof(syntax) - 1)];
		break;
	case 3:					/* insert a syntax byte */
		if (n < FUZZ_MAX_INPUT) {
			at = below(n + 1);
			memmove(buf + at + 1, buf + at, n - at);
			buf[at] = syntax[below(sizeof(syntax) - 1)];
			(*len)++;
		}
		break;
	case 4:					/* delete a run */
		if (n > 0) {
			at = below(n);
			k = 1 + below(n - at < 16 ? n - at : 16);
			memmove(buf + at, buf + at + k, n - at - k);
			*len -= k;
		}
		break;
	case 5:					/* duplicate a run */
		if (n > 0) {
			at = below(n);
			k = 1 + below(n - at);
			if (n + k <= FUZZ_MAX_INPUT) {
				memmove(buf + at + k, buf + at, n - at);
				*len += k;
			}
		}
		break;
	case 6:					/* truncate */
		*len = below(n + 1);
		break;
	case 7:					/* append a tail of a seed */
		k = below(c->n);
		o = c->data[k];
		olen = c->len[k];
		at = below(olen + 1);		/* a tail of that seed */
		k = olen - at;
		if (k > 0 && n + k <= FUZZ_MAX_INPUT) {
			memcpy(buf + n, o + at, k);
			*len += k;
		}
		break;
	default:				/* a 2-byte length (cstrings) */
		if (n + 2 <= FUZZ_MAX_INPUT) {
			k = below(4) ? below(300) : (size_t)rng() & 0xffff;
			at = below(n + 1);
			memmove(buf + at + 2, buf + at, n - at);
			buf[at] = (uint8_t)(k >> 8);
			buf[at + 1] = (uint8_t)k;
			*len += 2;
		}
		break;
	}
}

/* usage - say how to call us and fail */
static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n mutations] [-s seed] [file|dir]...\n",
	    prog);
	exit(2);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
	struct corpus c = {NULL, NULL, 0, 0};
	unsigned long nmut = DEFAULT_MUTATIONS, i;
	const char *src;
	char *dir, *end;
	size_t len, j, edits;
	int ch, nflag = 0;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			nmut = strtoul(optarg, &end, 10);
			if (*optarg == 0 || *end != 0)
				usage(argv[0]);
			nflag = 1;
			break;
		case 's':
			rng_state = strtoull(optarg, &end, 0);
			if (*optarg == 0 || *end != 0)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind < argc) {
		/* Reproducing given inputs: mutate only when asked to. */
		if (!nflag)
			nmut = 0;
		for (; optind < argc; optind++)
			if (read_path(&c, argv[optind]) < 0)
				return 99;
	} else {
		if ((src = getenv("PFH_SRCDIR")) == NULL)
			src = ".";
		dir = xasprintf("%s/tests/unit/vectors/%s", src, fuzz_seed_dir);
		if (read_path(&c, dir) < 0)
			return 99;
		free(dir);
	}
	if (c.n == 0) {
		fprintf(stderr, "%s: no seed inputs\n", argv[0]);
		return 99;
	}

	/* The empty input first: every decoder's first call sees it. */
	run_one(buf, 0);
	for (j = 0; j < c.n; j++)
		run_one(c.data[j], c.len[j]);
	for (i = 0; i < nmut; i++) {
		j = below(c.n);
		len = c.len[j];
		memcpy(buf, c.data[j], len);
		for (edits = 1 + below(4); edits > 0; edits--)
			mutate(buf, &len, &c);
		run_one(buf, len);
	}
	printf("%s: %zu seed inputs and %lu mutations passed\n", argv[0], c.n,
	    nmut);
	for (j = 0; j < c.n; j++)
		free(c.data[j]);
	free(c.data);
	free(c.len);
	return 0;
}
