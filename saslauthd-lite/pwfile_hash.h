/*
 * pwfile_hash.h - the password file's hash field, as saslauthd-lite reads it
 *
 * Contract: pwfile_parse_hash() checks one value of a "user:hash" line
 *   (anything after a further ':' is ignored): a crypt(3) string of a
 *   scheme pwfile_scheme() knows and of its full length; a weak scheme
 *   (md5crypt, bcrypt $2a$, DES) only with allow_weak; a leading '!' or '*'
 *   marks the account locked (its hash is then ""). NULL and one sentence
 *   in err when refused; the sentence never quotes the value (it may be a
 *   pasted password). pwfile_hash_ops() fills the table.h callbacks of a
 *   whole password file (sep ':', values through pwfile_parse_hash(), the
 *   user named in an error only where that is safe); allow_weak is read at
 *   every load and must outlive the tables. No file checks: the reader adds
 *   its own (auth_pwfile.c: secrecy of the file). Pure: no I/O, no globals.
 */
#ifndef SASL_PWFILE_HASH_H
#define SASL_PWFILE_HASH_H

#include <stdbool.h>
#include <stddef.h>

struct table_ops;

struct pw_hash {
	char	*hash;		/* crypt(3) string; may be "" when locked */
	bool	 locked;
};

struct pw_hash *pwfile_parse_hash(const char *value, bool allow_weak,
	    char *err, size_t errlen);
void	pwfile_hash_free(struct pw_hash *);
/* pwfile_scheme - "yescrypt", "bcrypt", ... or NULL for an unknown prefix */
const char *pwfile_scheme(const char *hash, bool *weak);
/* pwfile_hash_ops - the table callbacks of a password file */
void	pwfile_hash_ops(struct table_ops *, const bool *allow_weak);

#endif /* SASL_PWFILE_HASH_H */
