/*
 * secret.h - handling of passwords and keys in memory
 *
 * Contract: secret_wipe() clears memory in a way the compiler may not
 *   optimise away. ct_memeq() compares two equal-length byte strings in time
 *   that depends only on the length. secret_free() wipes `len` bytes, then
 *   frees; secret_free_str() does the same for a NUL-terminated string.
 */
#ifndef PFH_SECRET_H
#define PFH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

void	secret_wipe(void *, size_t);
void	secret_free(void *, size_t);
void	secret_free_str(char *);
bool	ct_memeq(const void *, const void *, size_t);
/* ct_streq - constant time in max(len) for strings of possibly unequal length */
bool	ct_streq(const char *, size_t, const char *, size_t);

#endif /* PFH_SECRET_H */
