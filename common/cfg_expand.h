/*
 * cfg_expand.h - $name and ${name} expansion over a set of parameters
 *
 * The part of Postfix's mac_expand(3) a main.cf-style file needs: in a
 * value, "$name" and "${name}" stand for another parameter's value after
 * its own expansion, and "$$" for a literal '$'. A name is letters,
 * digits and '_'.
 *
 * Contract:
 *   cfg_expand_new() - a set of n parameters, all to be declared with
 *     cfg_expand_var() (index, name, raw text, flags) before any
 *     cfg_expand_one().
 *     Declaring an index again replaces its text and flags.
 *   cfg_expand_find() - the index of a declared name (len bytes, not
 *     necessarily NUL-terminated), or -1.
 *   cfg_expand_one() - expands parameter i, and every one it refers to,
 *     once: results are memoised for the life of the set.
 *   cfg_expand_value() - the expansion of a parameter cfg_expand_one()
 *     succeeded on; cfg_expand_take() hands it over.
 *   CFG_EXPAND_SECRET: the value's text (its names after '$' included) is
 *     never echoed in an error. CFG_EXPAND_SET: the admin set the value
 *     (not a default); a loop is blamed on its innermost such member.
 * Errors: cfg_expand_one() returns -1 after one call of the error
 *   function with the index of the parameter at fault and a reason without
 *   location ("unknown parameter \"$x\" in value", "parameter expansion
 *   loop: $a -> $b -> $a", nesting deeper than CFG_EXPAND_MAX_DEPTH, a
 *   result over CFG_EXPAND_MAX_VALUE bytes, bad syntax after '$'). A
 *   reference to a name the set does not have is an error, not "" as in
 *   Postfix: a stray '$' (in a crypt hash, say) is likelier than a
 *   deliberate empty reference.
 * Ownership: names and raw texts are borrowed and must outlive the set.
 *   Values are the caller's after cfg_expand_take(); the set wipes every
 *   value it still holds when freed (values may be passwords), and the
 *   caller should free taken ones with secret_free_str().
 */
#ifndef PFH_CFG_EXPAND_H
#define PFH_CFG_EXPAND_H

#include <stddef.h>

#define CFG_EXPAND_MAX_DEPTH	16		/* $name nesting */
#define CFG_EXPAND_MAX_VALUE	(1024 * 1024)	/* stops $a$a$a... blowup */

#define CFG_EXPAND_SECRET	0x1
#define CFG_EXPAND_SET		0x2

struct cfg_expand;

/* cfg_expand_error_fn - parameter i is at fault, for the reason why */
typedef void cfg_expand_error_fn(size_t i, const char *why, void *ctx);

struct cfg_expand *cfg_expand_new(size_t n, cfg_expand_error_fn *fn,
	    void *ctx);
void	cfg_expand_free(struct cfg_expand *);
void	cfg_expand_var(struct cfg_expand *, size_t i, const char *name,
	    const char *raw, int flags);
long	cfg_expand_find(const struct cfg_expand *, const char *name,
	    size_t len);
const char *cfg_expand_value(const struct cfg_expand *, size_t i);
char	*cfg_expand_take(struct cfg_expand *, size_t i);
int	cfg_expand_one(struct cfg_expand *, size_t i);

#endif /* PFH_CFG_EXPAND_H */
