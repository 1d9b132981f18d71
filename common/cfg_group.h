/*
 * cfg_group.h - parameters per named instance: "feeds = a b", "a_source = ..."
 *
 * A daemon whose config names instances (pfhelpers-sync's feeds) declares
 * one list parameter in its table (a CFG_STR) and a table of per-instance
 * parameters (names without prefix: "source"). Each instance NAME listed
 * gets parameters NAME_source, ... with the same types, defaults, bounds
 * and reload flags; they are applied together with the daemon's table in
 * one cfg_apply(), so $name expansion, "FILE, line N: NAME_source: ..."
 * errors and the unknown-name check (a NAME_x of an instance not listed
 * is an unknown parameter) are those of every other parameter.
 *
 * Contract:
 *   cfg_group_apply() - like cfg_apply() into target (of size bytes, the
 *     daemon's struct), plus a struct cfg_group_set at g->offset in it:
 *     n instances, in list order, each a zeroed struct of g->size filled
 *     from g->params. The list's value is read as written (no $name
 *     expansion: it says which parameters exist); names are 1-32 of
 *     [A-Za-z0-9_], blanks or commas between, each once, at most
 *     CFG_GROUP_MAX. On failure target is untouched, -1 and err.
 *   cfg_group_release() - frees what cfg_group_apply() put into target
 *     (the daemon's strings too: it calls cfg_release(table, target)).
 *   cfg_group_dump() - cfg_dump() of each instance, names prefixed.
 *   cfg_group_list() - the hidden "params" listing of the instance
 *     parameters, as "NAME_param reload|restart" (NAME literal).
 */
#ifndef PFH_CFG_GROUP_H
#define PFH_CFG_GROUP_H

#include <stddef.h>

struct buf;
struct cfg;
struct cfg_param;

#define CFG_GROUP_MAX		64
#define CFG_GROUP_NAME_MAX	32

struct cfg_group {
	const char *list;		/* the parameter naming the instances */
	const struct cfg_param *params;	/* per instance, NULL-terminated */
	size_t	size;			/* of one instance's struct */
	size_t	offset;			/* of the cfg_group_set in the target */
};

struct cfg_group_set {
	size_t	n;
	char	**names;
	void	**items;		/* each of the group's size */
};

int	cfg_group_apply(const struct cfg *, const struct cfg_param *table,
	    size_t size, const struct cfg_group *g, void *target, char *err,
	    size_t errlen);
void	cfg_group_release(const struct cfg_param *table,
	    const struct cfg_group *g, void *target);
int	cfg_group_dump(const struct cfg_group *g, const void *target,
	    struct buf *out);
void	cfg_group_list(const struct cfg_group *g);

#endif /* PFH_CFG_GROUP_H */
