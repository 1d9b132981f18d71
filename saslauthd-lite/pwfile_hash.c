/*
 * pwfile_hash.c - the password file's hash field and its table callbacks
 *
 * Split from auth_pwfile.c so that whatever writes a password file
 * (pfhelpers-sync) checks each line with the very rules saslauthd-lite
 * reads it with. The contract is in pwfile_hash.h. Hashes are checked
 * with libxcrypt's crypt_checksalt() (no hashing here).
 */
#include "sysdep.h"

#include <crypt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwfile_hash.h"
#include "secret.h"
#include "table.h"
#include "xalloc.h"

/* checksum: length of the text after the last '$'; bcrypt: whole length */
static const struct {
	const char *prefix, *name;
	bool	 weak;
	size_t	 checksum, total;
} pw_schemes[] = {
	{"$y$", "yescrypt", false, 43, 0},
	{"$gy$", "gost-yescrypt", false, 43, 0},
	{"$7$", "scrypt", false, 43, 0},
	{"$2b$", "bcrypt", false, 0, 60},
	{"$2y$", "bcrypt", false, 0, 60},
	{"$6$", "sha512crypt", false, 86, 0},
	{"$5$", "sha256crypt", false, 43, 0},
	{"$2a$", "bcrypt-2a", true, 0, 60},
	{"$1$", "md5crypt", true, 22, 0},
};

/*
 * Scheme ids crypt(3) implementations know and we refuse: an error may
 * name them. Never a longer or an unknown id: that would be password text.
 */
static const char *const pw_other_ids[] = {
	"2", "2x", "3", "md5", "sha1", "sm3", "sm3y", "nt",
};

/* Longest user name an error may quote. */
#define PW_ERR_USER	64

/* is_des_char - the DES crypt alphabet */
static int
is_des_char(int c)
{
	return c == '.' || c == '/' || (c >= '0' && c <= '9') ||
	    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* pwfile_scheme - name the scheme of a hash; NULL when unknown */
const char *
pwfile_scheme(const char *hash, bool *weak)
{
	size_t i, n = strlen(hash);

	for (i = 0; i < nitems(pw_schemes); i++) {
		if (strncmp(hash, pw_schemes[i].prefix,
		    strlen(pw_schemes[i].prefix)) == 0) {
			*weak = pw_schemes[i].weak;
			return pw_schemes[i].name;
		}
	}
	if (n == 13) {
		for (i = 0; i < n && is_des_char((unsigned char)hash[i]); i++)
			;
		if (i == n) {
			*weak = true;
			return "des";
		}
	}
	if (n == 20 && hash[0] == '_') {
		*weak = true;
		return "bsdi-des";
	}
	return NULL;
}

/* crypt_prefixed - the field starts with the prefix of a scheme we know */
static int
crypt_prefixed(const char *field)
{
	size_t i;

	for (i = 0; i < nitems(pw_schemes); i++)
		if (strncmp(field, pw_schemes[i].prefix,
		    strlen(pw_schemes[i].prefix)) == 0)
			return 1;
	return 0;
}

/*
 * other_id - the id between the first two '$' when it names a scheme we
 * refuse (pw_other_ids), else NULL; nothing else of the field is read out
 */
static const char *
other_id(const char *field)
{
	const char *end;
	size_t i, n;

	if (field[0] != '$' || (end = strchr(field + 1, '$')) == NULL)
		return NULL;
	n = (size_t)(end - field - 1);
	for (i = 0; i < nitems(pw_other_ids); i++)
		if (strlen(pw_other_ids[i]) == n &&
		    strncmp(field + 1, pw_other_ids[i], n) == 0)
			return pw_other_ids[i];
	return NULL;
}

/*
 * well_formed - a whole hash, not just a setting: crypt_checksalt() takes
 * "$6$" as a valid setting, but such an entry could never match, and an
 * admin who pasted half a hash wants to hear so at load time.
 */
static int
well_formed(const char *hash)
{
	const char *last = strrchr(hash, '$');
	size_t i, n = strlen(hash);

	for (i = 0; i < nitems(pw_schemes); i++) {
		if (strncmp(hash, pw_schemes[i].prefix,
		    strlen(pw_schemes[i].prefix)) != 0)
			continue;
		if (pw_schemes[i].total)
			return n == pw_schemes[i].total;
		if (last == NULL || last < hash + strlen(pw_schemes[i].prefix))
			return 0;
		for (last++; *last; last++)
			if (!is_des_char((unsigned char)*last))
				return 0;
		return strlen(strrchr(hash, '$') + 1) == pw_schemes[i].checksum;
	}
	return 1;		/* DES and friends: pwfile_scheme() checked */
}

#define PW_WANT "want yescrypt ($y$), bcrypt ($2b$), sha512crypt ($6$) " \
	"or sha256crypt ($5$), from saslauthd-lite-passwd"

/* pwfile_parse_hash - validate one value at load time */
struct pw_hash *
pwfile_parse_hash(const char *value, bool allow_weak, char *err,
    size_t errlen)
{
	struct pw_hash *h;
	const char *scheme, *id;
	size_t n = strcspn(value, ":");	/* shadow-style trailing fields */
	bool locked = false, weak = false;
	char *hash;

	if (n > 0 && (value[0] == '!' || value[0] == '*')) {
		locked = true;
		/* "!!", "*LK*" and friends: skip every marker */
		while (n > 0 && (*value == '!' || *value == '*')) {
			value++;
			n--;
		}
	}
	hash = xstrndup(value, n);
	if (!locked) {
		if (n == 0) {
			snprintf(err, errlen, "empty password hash (use '!' "
			    "to lock an account)");
			goto bad;
		}
		/* never quote the field: it may be a pasted password */
		if ((scheme = pwfile_scheme(hash, &weak)) == NULL) {
			if ((id = other_id(hash)) != NULL)
				snprintf(err, errlen, "the password field's "
				    "scheme $%s$ is not supported (" PW_WANT
				    ")", id);
			else
				snprintf(err, errlen, "the password field is "
				    "not a crypt(3) hash (no $id$ prefix of a "
				    "supported scheme; " PW_WANT "): was a "
				    "plaintext password pasted?");
			goto bad;
		}
		if (weak && !allow_weak) {
			snprintf(err, errlen, "weak password hash (%s) "
			    "refused%s; rehash with saslauthd-lite-passwd, or "
			    "set pwfile_allow_weak_hashes = yes", scheme,
			    hash[0] != '$' ? " (or a plaintext password that "
			    "looks like one)" : "");
			goto bad;
		}
		if (!well_formed(hash) ||
		    crypt_checksalt(hash) == CRYPT_SALT_INVALID) {
			snprintf(err, errlen, "malformed %s hash", scheme);
			goto bad;
		}
	} else if (n > 0 && (pwfile_scheme(hash, &weak) == NULL ||
	    crypt_checksalt(hash) == CRYPT_SALT_INVALID)) {
		/* a locked entry is never verified; its text may be anything */
		hash[0] = 0;
	}
	h = xcalloc(1, sizeof(*h));
	h->hash = hash;
	h->locked = locked;
	return h;
bad:
	free(hash);
	return NULL;
}

/* pwfile_hash_free - free a parsed value */
void
pwfile_hash_free(struct pw_hash *h)
{
	if (h == NULL)
		return;
	secret_free_str(h->hash);
	free(h);
}

/*
 * nameable - may an error about this line quote its user name? Only a
 * plain name (no blanks, controls or quotes) in front of a field that
 * starts like a crypt(3) hash (or a locked one): in front of anything
 * else the "user" may be the first part of a pasted password.
 */
static int
nameable(const char *key, const char *value)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > PW_ERR_USER)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._-+@", c) != NULL))
			return 0;
	}
	while (*value == '!' || *value == '*')
		value++;
	return crypt_prefixed(value);
}

/* pw_value - table.h value callback; the user named where it is safe */
static void *
pw_value(const char *key, const char *value, void *arg, char *err,
    size_t errlen)
{
	const bool *allow_weak = arg;
	struct pw_hash *h;
	char why[256];

	why[0] = 0;
	if ((h = pwfile_parse_hash(value, *allow_weak, why,
	    sizeof(why))) != NULL)
		return h;
	if (nameable(key, value))
		snprintf(err, errlen, "user \"%s\": %s", key, why);
	else
		snprintf(err, errlen, "%s", why);
	return NULL;
}

/* pw_free - table.h free callback */
static void
pw_free(void *obj, void *arg)
{
	pwfile_hash_free(obj);
}

/* pwfile_hash_ops - the callbacks of a password file's table */
void
pwfile_hash_ops(struct table_ops *ops, const bool *allow_weak)
{
	memset(ops, 0, sizeof(*ops));
	ops->value = pw_value;
	ops->free_value = pw_free;
	ops->arg = (void *)(uintptr_t)allow_weak;
	ops->sep = ':';
	/* pw_value reports an empty field: table.c would quote the key */
	ops->allow_empty_value = 1;
}
