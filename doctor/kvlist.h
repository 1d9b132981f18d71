/*
 * kvlist.h - "name = value" settings as postconf(1) and the daemons' -n print
 *
 * Contract: kvlist_parse() appends every "name = value" line of text (one
 *   per line; blanks around '=' and at the ends trimmed; lines without
 *   " = " skipped) to l; a name seen twice keeps its last value.
 *   kvlist_set() adds or replaces one. kvlist_get() is the value or NULL.
 *   kvlist_free() frees every copy. All strings are copies owned by l.
 */
#ifndef PFH_KVLIST_H
#define PFH_KVLIST_H

#include <stddef.h>

struct kv {
	char	*name;
	char	*value;
};

struct kvlist {
	struct kv *v;
	size_t	n, cap;
};

void	kvlist_parse(struct kvlist *, const char *text);
void	kvlist_set(struct kvlist *, const char *name, size_t nlen,
	    const char *value, size_t vlen);
const char *kvlist_get(const struct kvlist *, const char *name);
void	kvlist_free(struct kvlist *);

#endif /* PFH_KVLIST_H */
