/*
 * cfg.h - main.cf-style configuration with typed parameter tables
 *
 * File syntax (Postfix main.cf): "name = value" logical lines (cfg_lines.h);
 * '#' starts a comment line; a line that starts with whitespace continues
 * the previous one; blank lines are ignored; $name and ${name} expand to
 * another parameter's value and "$$" is a literal '$' (cfg_expand.h: loops,
 * depth > 16 and unknown names are errors). The text forms of the typed
 * values are cfg_conv.h's.
 *
 * Each daemon declares one NULL-terminated table of struct cfg_param: name,
 * type, default *as text*, offset into the daemon's config struct, bounds.
 * Defaults, the file and -o overrides all go through the same parser.
 *
 * Contract:
 *   cfg_new() - empty set of raw settings.
 *   cfg_load_file() - reads the file into raw settings (later lines win).
 *     Syntax errors: -1 and "FILE, line N: reason" in err.
 *   cfg_set() - a -o name=value override (origin e.g. "-o"); wins over the
 *     file whatever the order of calls.
 *   cfg_apply() - validates every raw setting against the table (unknown
 *     names, bad values, out of range: -1 and "FILE, line N: ..." in err, or
 *     "-o name=...: ..." for overrides), expands $name, and fills `target`.
 *     On failure `target` is left untouched, so a reload can keep the old one.
 *   cfg_release() - frees the strings cfg_apply() put into `target`.
 *   cfg_dump() - appends "name = value" lines of the effective config
 *     (params with CFG_F_SECRET show as "(hidden)").
 *   cfg_value_text() - one parameter's value in `target` as cfg_dump()
 *     writes it, secret or not (the caller hides it); "" for an empty
 *     string. Two values are the same setting when their texts are equal.
 *   cfg_table_join() - one table from two (common parameters, then a
 *     program's own), with some defaults of the first replaced by
 *     name/value pairs: the one way a program's table is built.
 * Storage by type: CFG_STR char * (owned; "" for empty), CFG_INT long long,
 *   CFG_BOOL bool (yes/no/true/false/on/off/1/0), CFG_TIME long long
 *   milliseconds ("300", "300s", "5m", "1h", "1d", "250ms"; bare = seconds),
 *   CFG_SIZE long long bytes ("64k", "10m", bare = bytes), CFG_MODE
 *   mode_t permission bits (octal digits, 0 to 0777; shown as "0660").
 *   min/max bound INT, TIME (in ms) and SIZE; both 0 means unbounded.
 *   A mode's bounds are always 0..0777 (min/max are not used).
 */
#ifndef PFH_CFG_H
#define PFH_CFG_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct cfg;

enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL, CFG_TIME, CFG_SIZE, CFG_MODE };

#define CFG_F_SECRET	0x1	/* never shown by cfg_dump() */
/*
 * What a SIGHUP does with a new value (server_reload.h): every parameter of
 * a daemon's table has exactly one of these, or the skeleton refuses to run.
 */
#define CFG_F_RELOAD	0x2	/* a SIGHUP puts the new value in effect */
#define CFG_F_RESTART	0x4	/* only a restart does; a SIGHUP warns */

struct cfg_param {
	const char *name;
	enum cfg_type type;
	const char *def;	/* default as text; NULL = "" */
	size_t	offset;		/* offsetof(daemon config struct, field) */
	long long min, max;
	int	flags;
};

struct cfg *cfg_new(void);
void	cfg_free(struct cfg *);
int	cfg_load_file(struct cfg *, const char *path, char *err, size_t errlen);
/* cfg_load_string - same as a file, for tests and embedded configs */
int	cfg_load_string(struct cfg *, const char *text, const char *origin,
	    char *err, size_t errlen);
/* cfg_set - "name=value" (one string) from -o */
int	cfg_set(struct cfg *, const char *assignment, const char *origin,
	    char *err, size_t errlen);
int	cfg_apply(const struct cfg *, const struct cfg_param *table,
	    void *target, char *err, size_t errlen);
void	cfg_release(const struct cfg_param *table, void *target);
int	cfg_dump(const struct cfg_param *table, const void *target,
	    struct buf *out);
void	cfg_value_text(const struct cfg_param *, const void *target,
	    char *out, size_t outlen);
/*
 * cfg_raw - the text a name was set to, before expansion: the -o
 * override, else the file's line; NULL when neither sets it. origin and
 * line (may be NULL) say where (line 0 for -o). For cfg_group.h.
 */
const char *cfg_raw(const struct cfg *, const char *name,
	    const char **origin, unsigned *line);
/*
 * cfg_table_join - `first` then `second` (NULL: none), and for each
 * name/value pair of `defaults` (NULL-terminated, or NULL) the entry of
 * `first` of that name gets that default. Names and texts are borrowed;
 * the caller frees the table with free().
 */
struct cfg_param *cfg_table_join(const struct cfg_param *first,
	    const struct cfg_param *second, const char *const *defaults);

#endif /* PFH_CFG_H */
