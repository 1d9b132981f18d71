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
 */
#ifndef PFH_FUZZ_H
#define PFH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

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

#endif /* PFH_FUZZ_H */
