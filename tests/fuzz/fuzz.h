/*
 * fuzz.h - shared pieces of the tests/fuzz harnesses
 *
 * Contract: every harness defines LLVMFuzzerTestOneInput(), which must
 *   accept any bytes, never crash, leak or read outside them, and abort()
 *   through FUZZ_CHECK() when a decoder breaks one of its invariants. The
 *   same object links either with libFuzzer (configure --enable-fuzzing) or
 *   with driver.c, a deterministic stand-alone runner for plain builds; a
 *   harness names its seed directory (under tests/unit/vectors/) in
 *   fuzz_seed_dir for that runner.
 *   fuzz_copy() returns an exact-size heap copy, so ASan sees any read
 *   one byte past the input; fuzz_cstr() the same plus a terminating NUL.
 *   The helpers below them are what several harnesses check alike: the
 *   "ORIGIN, line N: " an admin's file error starts with, a table file
 *   loaded from the input, the input taken line by line.
 */
#ifndef PFH_FUZZ_H
#define PFH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct table;
struct table_ops;

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Seed directory of this harness, relative to tests/unit/vectors. */
extern const char fuzz_seed_dir[];

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

void	fuzz_fail(const char *, int, const char *) __attribute__((noreturn));
/* fuzz_input - remember the input under test (harnesses call it first) */
void	fuzz_input(const uint8_t *, size_t);
char	*fuzz_copy(const void *, size_t);
char	*fuzz_cstr(const void *, size_t);
/*
 * fuzz_prefixes - the proper prefix lengths (0..len-1) worth re-decoding:
 * all of them when there are at most `max`, else `max` spread evenly with
 * the last few always included. Returns how many it stored in out.
 */
size_t	fuzz_prefixes(size_t len, size_t *out, size_t max);
/*
 * fuzz_count_lines - physical lines of text[0..len), as the cfg and table
 * readers number them: a last line without its LF counts too.
 */
unsigned fuzz_count_lines(const void *text, size_t len);
/*
 * fuzz_where - does err start with "ORIGIN, line N: " (origin given, N in
 * 1..nlines, no leading zero)? The text after it, or NULL.
 */
const char *fuzz_where(const char *err, const char *origin, unsigned nlines);
/*
 * fuzz_load_table - data[0..len) as a table file named origin, loaded
 * from an exact-size copy with table_load_string(). A refused file must
 * say "ORIGIN, line N: reason" (FUZZ_CHECK); it returns NULL then.
 */
struct table *fuzz_load_table(const uint8_t *data, size_t len,
	    const char *origin, const struct table_ops *ops);
/*
 * fuzz_fields - split in (fuzz_cstr()'s copy of len bytes) at its NULs
 * into at most max fields: f[0..n) point into it, f[n..max) are NULL (the
 * input held fewer fields). Returns n, at least 1.
 */
size_t	fuzz_fields(char *in, size_t len, char **f, size_t max);
/* fuzz_each_line - fn(line, length without the LF, arg) for each line */
void	fuzz_each_line(const uint8_t *data, size_t len,
	    void (*fn)(const char *, size_t, void *), void *arg);

#endif /* PFH_FUZZ_H */
