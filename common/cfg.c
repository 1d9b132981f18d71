/*
 * cfg.c - main.cf-style configuration with typed parameter tables
 *
 * Two stages, as in Postfix: reading collects raw "name = value" text
 * (struct cfg), applying checks it against one daemon's table and fills
 * that daemon's struct. Keeping them apart lets -o overrides arrive before
 * or after the file and still win, and lets a reload apply into a fresh
 * struct that is swapped in only when everything in it is valid.
 *
 * Reading follows Postfix readlline(3) through cfg_lines (shared with
 * table.c): '#' lines and blank lines are skipped, a line starting with
 * whitespace continues the logical line above it (even across skipped
 * lines), and the logical line remembers its first physical line so errors
 * cite where the entry began. Unlike Postfix, a continuation with nothing
 * above it is an error, not a warning.
 *
 * Applying walks the raw settings in the order they were read (file lines,
 * then -o, then the defaults nobody set), so the error reported is the
 * first bad line, not the first bad table entry. Values are expanded
 * ($name, ${name}, $$: cfg_expand.h) before they are parsed by type
 * (cfg_conv.h), so a time or size may come from another parameter too;
 * this file only says where a fault is ("FILE, line N: name: ...").
 */
#include "sysdep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "cfg_conv.h"
#include "cfg_expand.h"
#include "cfg_lines.h"
#include "fileread.h"
#include "log.h"
#include "secret.h"
#include "xalloc.h"

#define CFG_MAX_FILE	(16 * 1024 * 1024)

struct cfg_setting {
	char	*name;
	char	*value;
	char	*origin;	/* file name, or "-o" */
	unsigned line;		/* first line of the logical line; 0 for -o */
};

struct cfg_list {
	struct cfg_setting *v;
	size_t	n, cap;
};

struct cfg {
	struct cfg_list file;	/* in the order read; a name appears once */
	struct cfg_list over;	/* -o, same */
};

/* Per-parameter state during one cfg_apply(). */
struct cfg_work {
	const struct cfg_setting *set;	/* effective setting, NULL = default */
	union {
		long long ll;
		bool	b;
		mode_t	m;
	} v;
};

struct cfg_apply_ctx {
	const struct cfg_param *table;
	struct cfg_work *w;
	size_t	n;
	struct cfg_expand *ex;	/* $name expansion of the n values */
	char	*err;
	size_t	errlen;
};

/* is_blank - whitespace within a line (the same set cfg_lines uses) */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* is_name_char - characters of a parameter name */
static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* trim - strip blanks from both ends of [*s, *e) */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* list_free - release every setting of a list, wiping values */
static void
list_free(struct cfg_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		/* Values may be passwords; they never linger in freed memory. */
		secret_free_str(l->v[i].value);
		free(l->v[i].origin);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* list_put - add a setting, replacing (and moving to the end) an older one */
static void
list_put(struct cfg_list *l, struct cfg_setting *s)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, s->name) != 0)
			continue;
		free(l->v[i].name);
		secret_free_str(l->v[i].value);
		free(l->v[i].origin);
		memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
		l->n--;
		break;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *s;
}

/* cfg_new - empty set of raw settings */
struct cfg *
cfg_new(void)
{
	return xcalloc(1, sizeof(struct cfg));
}

/* cfg_free - release raw settings; NULL is a no-op */
void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	list_free(&c->file);
	list_free(&c->over);
	free(c);
}

/*
 * split_assignment - "name = value" into a new setting. On error, -1 and a
 * reason (without location) in why.
 */
static int
split_assignment(const char *s, const char *end, struct cfg_setting *out,
    char *why, size_t whylen)
{
	const char *eq, *ns = s, *ne, *vs, *ve = end, *p;

	if ((eq = memchr(s, '=', (size_t)(end - s))) == NULL) {
		cfg_lines_err(why, whylen, "missing '=' after parameter name");
		return -1;
	}
	ne = eq;
	trim(&ns, &ne);
	if (ns == ne) {
		cfg_lines_err(why, whylen, "missing parameter name before '='");
		return -1;
	}
	for (p = ns; p < ne; p++) {
		if (!is_name_char((unsigned char)*p)) {
			cfg_lines_err(why, whylen, "bad parameter name "
			    "\"%.*s\"", (int)(ne - ns > 64 ? 64 : ne - ns), ns);
			return -1;
		}
	}
	vs = eq + 1;
	trim(&vs, &ve);
	out->name = xstrndup(ns, (size_t)(ne - ns));
	out->value = xstrndup(vs, (size_t)(ve - vs));
	return 0;
}

/* parse_text - logical lines of text into a list; -1 with "ORIGIN, line N: ..." */
static int
parse_text(const char *text, size_t len, const char *origin,
    struct cfg_list *out, char *err, size_t errlen)
{
	struct cfg_lines lr;
	struct cfg_setting s;
	char why[256];
	int rc;

	/* The text may carry secrets; the reader wipes its copy of it. */
	cfg_lines_init(&lr, text, len, origin, "a parameter", 0);
	while ((rc = cfg_lines_next(&lr, err, errlen)) > 0) {
		memset(&s, 0, sizeof(s));
		if (split_assignment(lr.line, lr.line + lr.len, &s, why,
		    sizeof(why)) < 0) {
			cfg_lines_err(err, errlen, "%s, line %u: %s", origin,
			    lr.lineno, why);
			rc = -1;
			break;
		}
		s.origin = xstrdup(origin);
		s.line = lr.lineno;
		list_put(out, &s);
	}
	cfg_lines_free(&lr);
	return rc;
}

/* merge - move a parsed list into c->file; later settings win */
static void
merge(struct cfg_list *dst, struct cfg_list *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		list_put(dst, &src->v[i]);
	free(src->v);
	memset(src, 0, sizeof(*src));
}

/* cfg_load_string - parse text as if it were a file called origin */
int
cfg_load_string(struct cfg *c, const char *text, const char *origin,
    char *err, size_t errlen)
{
	struct cfg_list tmp = {NULL, 0, 0};

	/* Parse aside and merge only on success: no half-read files. */
	if (parse_text(text, strlen(text), origin, &tmp, err, errlen) < 0) {
		list_free(&tmp);
		return -1;
	}
	merge(&c->file, &tmp);
	return 0;
}

/*
 * cfg_load_file - read a main.cf-style file
 *
 * Read through fileread.h like every data file: only as it stood unchanged
 * from open to end (an editor saving in place, a copy in progress), and
 * never a file whose last line has no newline (cut short by a full disk or
 * a killed copy): a configuration that lost its last lines would run on
 * defaults for them, silently. The text may hold secrets: it is wiped.
 */
int
cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
	struct cfg_list tmp = {NULL, 0, 0};
	struct stat st;
	char *text = NULL, why[512];
	size_t len = 0;
	unsigned cut;
	int have_st, rc;

	rc = fileread_wait(path, 0, 2000, &text, &len, &st, &have_st, why,
	    sizeof(why));
	if (rc != FILEREAD_OK) {
		cfg_lines_err(err, errlen, "%s%s", why, rc == FILEREAD_CHANGING ?
		    " (the file kept changing while it was read)" : "");
		free(text);
		return -1;
	}
	if (len > CFG_MAX_FILE) {
		cfg_lines_err(err, errlen, "%s: file larger than %d bytes", path,
		    CFG_MAX_FILE);
		rc = -1;
	} else if ((cut = fileread_unterminated(text, len)) > 0) {
		cfg_lines_err(err, errlen, "%s, line %u: no newline at end of "
		    "file: the file may be cut short (a full disk, a copy in "
		    "progress); not used", path, cut);
		rc = -1;
	} else if ((rc = parse_text(text, len, path, &tmp, err, errlen)) == 0)
		merge(&c->file, &tmp);
	list_free(&tmp);
	secret_wipe(text, len);
	free(text);
	return rc;
}

/* cfg_set - one -o name=value override */
int
cfg_set(struct cfg *c, const char *assignment, const char *origin, char *err,
    size_t errlen)
{
	struct cfg_setting s;
	char why[256];

	if (origin == NULL)
		origin = "-o";
	memset(&s, 0, sizeof(s));
	if (split_assignment(assignment, assignment + strlen(assignment), &s,
	    why, sizeof(why)) < 0) {
		/* Echo only the name part: the value may be a password. */
		cfg_lines_err(err, errlen, "%s %.*s: %s", origin,
		    (int)strcspn(assignment, "="), assignment, why);
		return -1;
	}
	s.origin = xstrdup(origin);
	s.line = 0;
	list_put(&c->over, &s);
	return 0;
}

/* fmt_value - one parameter's value as text for errors and cfg_dump() */
static void
fmt_value(char *out, size_t outlen, enum cfg_type type, long long v)
{
	switch (type) {
	case CFG_TIME:
		cfg_conv_fmt_time(v, out, outlen);
		break;
	case CFG_SIZE:
		cfg_conv_fmt_size(v, out, outlen);
		break;
	default:
		snprintf(out, outlen, "%lld", v);
		break;
	}
}

/*
 * where - prefix for an error about parameter i: "FILE, line N: name",
 * "-o name=..." (the value is not echoed: it may be a password) or
 * "default value of name" (a bug in the daemon's table).
 */
static void
where(const struct cfg_apply_ctx *ac, size_t i, char *out, size_t outlen)
{
	const struct cfg_setting *s = ac->w[i].set;
	const char *name = ac->table[i].name;

	if (s == NULL)
		snprintf(out, outlen, "default value of %s", name);
	else if (s->line == 0)
		snprintf(out, outlen, "%s %s=...", s->origin, name);
	else
		snprintf(out, outlen, "%s, line %u: %s", s->origin, s->line,
		    name);
}

/* apply_err - "WHERE: reason" for parameter i */
static void PFH_PRINTF(3, 4)
apply_err(struct cfg_apply_ctx *ac, size_t i, const char *fmt, ...)
{
	char loc[512], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	where(ac, i, loc, sizeof(loc));
	cfg_lines_err(ac->err, ac->errlen, "%s: %s", loc, why);
}

/* expand_error - cfg_expand_error_fn: "WHERE: reason" for parameter i */
static void
expand_error(size_t i, const char *why, void *ctx)
{
	apply_err(ctx, i, "%s", why);
}

/* type_check - parse parameter i's expansion by type, check its bounds */
static int
type_check(struct cfg_apply_ctx *ac, size_t i)
{
	const struct cfg_param *p = ac->table + i;
	struct cfg_work *w = ac->w + i;
	const char *exp = cfg_expand_value(ac->ex, i);
	const char *shown = (p->flags & CFG_F_SECRET) ? "(hidden)" : exp;
	const char *what = NULL;
	char lo[64], hi[64];
	int rc = 0;

	switch (p->type) {
	case CFG_STR:
		return 0;
	case CFG_BOOL:
		rc = cfg_conv_bool(exp, &w->v.b);
		what = "a boolean (yes, no, true, false, on, off, 1 or 0)";
		break;
	case CFG_MODE:
		rc = cfg_conv_mode(exp, &w->v.m);
		what = "an octal mode (0 to 0777, e.g. 0660)";
		break;
	case CFG_INT:
		rc = cfg_conv_int(exp, &w->v.ll);
		what = "an integer";
		break;
	case CFG_TIME:
		rc = cfg_conv_time(exp, &w->v.ll);
		what = "a time (a number with an optional unit ms, s, m, h, d "
		    "or w; seconds by default)";
		break;
	case CFG_SIZE:
		rc = cfg_conv_size(exp, &w->v.ll);
		what = "a size (a number of bytes with an optional unit k, m "
		    "or g)";
		break;
	default:
		log_panic("cfg: parameter %s has unknown type %d", p->name,
		    (int)p->type);
	}
	if (rc < 0) {
		apply_err(ac, i, "not %s: \"%.64s\"", what, shown);
		return -1;
	}
	/* booleans and modes have fixed ranges; min/max bound the rest */
	if (p->type == CFG_BOOL || p->type == CFG_MODE)
		return 0;
	if ((p->min != 0 || p->max != 0) &&
	    (w->v.ll < p->min || w->v.ll > p->max)) {
		fmt_value(lo, sizeof(lo), p->type, p->min);
		fmt_value(hi, sizeof(hi), p->type, p->max);
		apply_err(ac, i, "\"%.64s\" is out of range %s..%s", shown, lo,
		    hi);
		return -1;
	}
	return 0;
}

/* check_table - catch daemon bugs in the table itself */
static size_t
check_table(const struct cfg_param *table)
{
	size_t n, j;

	for (n = 0; table[n].name != NULL; n++)
		for (j = 0; j < n; j++)
			if (strcmp(table[j].name, table[n].name) == 0)
				log_panic("cfg: parameter %s declared twice",
				    table[n].name);
	return n;
}

/* apply_one - expand and type-check parameter i unless done already */
static int
apply_one(struct cfg_apply_ctx *ac, size_t i)
{
	if (cfg_expand_one(ac->ex, i) < 0)
		return -1;
	return type_check(ac, i);
}

/* secret_flag - CFG_EXPAND_SECRET for a CFG_F_SECRET parameter */
static int
secret_flag(const struct cfg_param *p)
{
	return (p->flags & CFG_F_SECRET) ? CFG_EXPAND_SECRET : 0;
}

/* unknown_name - error for a setting that names no parameter */
static int
unknown_name(const struct cfg_apply_ctx *ac, const struct cfg_setting *s)
{
	if (cfg_expand_find(ac->ex, s->name, strlen(s->name)) >= 0)
		return 0;
	if (s->line == 0)
		cfg_lines_err(ac->err, ac->errlen, "%s %s=...: unknown "
		    "parameter \"%s\"", s->origin, s->name, s->name);
	else
		cfg_lines_err(ac->err, ac->errlen, "%s, line %u: unknown "
		    "parameter \"%s\"", s->origin, s->line, s->name);
	return -1;
}

/* cfg_apply - validate, expand and fill target, or leave it untouched */
int
cfg_apply(const struct cfg *c, const struct cfg_param *table, void *target,
    char *err, size_t errlen)
{
	struct cfg_apply_ctx ac;
	const struct cfg_setting *s;
	size_t i, k;
	long j;
	int rc = -1;

	memset(&ac, 0, sizeof(ac));
	ac.table = table;
	ac.n = check_table(table);
	ac.w = xcalloc(ac.n ? ac.n : 1, sizeof(*ac.w));
	ac.err = err;
	ac.errlen = errlen;
	ac.ex = cfg_expand_new(ac.n, expand_error, &ac);
	for (i = 0; i < ac.n; i++)
		cfg_expand_var(ac.ex, i, table[i].name, table[i].def ?
		    table[i].def : "", secret_flag(&table[i]));
	/* Later lists win: -o over the file. */
	for (k = 0; k < c->file.n + c->over.n; k++) {
		s = k < c->file.n ? &c->file.v[k] : &c->over.v[k - c->file.n];
		if ((j = cfg_expand_find(ac.ex, s->name, strlen(s->name))) < 0)
			continue;
		ac.w[j].set = s;
		cfg_expand_var(ac.ex, (size_t)j, table[j].name, s->value,
		    CFG_EXPAND_SET | secret_flag(&table[j]));
	}

	/*
	 * Check in reading order: file lines, -o, then untouched defaults.
	 * A file line that -o overrides is checked for its name only; its
	 * value is never used.
	 */
	for (k = 0; k < c->file.n + c->over.n; k++) {
		s = k < c->file.n ? &c->file.v[k] : &c->over.v[k - c->file.n];
		if (unknown_name(&ac, s) < 0)
			goto out;
		j = cfg_expand_find(ac.ex, s->name, strlen(s->name));
		if (ac.w[j].set == s && apply_one(&ac, (size_t)j) < 0)
			goto out;
	}
	for (i = 0; i < ac.n; i++)
		if (ac.w[i].set == NULL && apply_one(&ac, i) < 0)
			goto out;

	/* Everything is valid: only now touch the target. */
	for (i = 0; i < ac.n; i++) {
		char *field = (char *)target + table[i].offset;

		switch (table[i].type) {
		case CFG_STR:
			*(char **)(void *)field = cfg_expand_take(ac.ex, i);
			break;
		case CFG_BOOL:
			*(bool *)(void *)field = ac.w[i].v.b;
			break;
		case CFG_MODE:
			*(mode_t *)(void *)field = ac.w[i].v.m;
			break;
		default:
			*(long long *)(void *)field = ac.w[i].v.ll;
			break;
		}
	}
	rc = 0;
out:
	cfg_expand_free(ac.ex);
	free(ac.w);
	return rc;
}

/* cfg_release - free the strings cfg_apply() stored in target */
void
cfg_release(const struct cfg_param *table, void *target)
{
	const struct cfg_param *p;
	char **sp;

	for (p = table; p->name != NULL; p++) {
		if (p->type != CFG_STR)
			continue;
		sp = (char **)(void *)((char *)target + p->offset);
		if (p->flags & CFG_F_SECRET)
			secret_free_str(*sp);
		else
			free(*sp);
		*sp = NULL;
	}
}

/* cfg_value_text - one parameter's value as text, as cfg_dump() shows it */
void
cfg_value_text(const struct cfg_param *p, const void *target, char *out,
    size_t outlen)
{
	const char *field = (const char *)target + p->offset;
	const char *text;

	switch (p->type) {
	case CFG_STR:
		text = *(char *const *)(const void *)field;
		snprintf(out, outlen, "%s", text ? text : "");
		break;
	case CFG_BOOL:
		snprintf(out, outlen, "%s",
		    *(const bool *)(const void *)field ? "yes" : "no");
		break;
	case CFG_MODE:
		cfg_conv_fmt_mode(*(const mode_t *)(const void *)field, out,
		    outlen);
		break;
	default:
		fmt_value(out, outlen, p->type,
		    *(const long long *)(const void *)field);
		break;
	}
}

/* list_find - the setting of that name in a list, or NULL */
static const struct cfg_setting *
list_find(const struct cfg_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* cfg_raw - the unexpanded text of a setting: -o wins over the file */
const char *
cfg_raw(const struct cfg *c, const char *name, const char **origin,
    unsigned *line)
{
	const struct cfg_setting *s;

	if ((s = list_find(&c->over, name)) == NULL &&
	    (s = list_find(&c->file, name)) == NULL)
		return NULL;
	if (origin)
		*origin = s->origin;
	if (line)
		*line = s->line;
	return s->value;
}

/* cfg_table_join - first + second, with overridden defaults for first */
struct cfg_param *
cfg_table_join(const struct cfg_param *first, const struct cfg_param *second,
    const char *const *defaults)
{
	size_t nf = 0, ns = 0, i, j;
	struct cfg_param *t;

	while (first && first[nf].name)
		nf++;
	while (second && second[ns].name)
		ns++;
	/* the zeroed last entry is the terminator */
	t = xcalloc(nf + ns + 1, sizeof(*t));
	if (nf)
		memcpy(t, first, nf * sizeof(*t));
	if (ns)
		memcpy(t + nf, second, ns * sizeof(*t));
	for (i = 0; defaults && defaults[i]; i += 2)
		for (j = 0; j < nf; j++)
			if (strcmp(t[j].name, defaults[i]) == 0)
				t[j].def = defaults[i + 1];
	return t;
}

/* cfg_dump - "name = value" per parameter, secrets hidden */
int
cfg_dump(const struct cfg_param *table, const void *target, struct buf *out)
{
	const struct cfg_param *p;
	char num[64], *line;
	const char *text;
	int rc = 0;

	for (p = table; p->name != NULL; p++) {
		if (p->type == CFG_STR) {
			text = *(char *const *)(const void *)((const char *)
			    target + p->offset);
			if (text == NULL)
				text = "";
		} else {
			cfg_value_text(p, target, num, sizeof(num));
			text = num;
		}
		if (p->flags & CFG_F_SECRET)
			text = "(hidden)";
		/*
		 * Whole lines through buf_append(), which checks the cap
		 * before writing: a capped dump ends at a line boundary.
		 */
		line = xasprintf("%s =%s%s\n", p->name, *text ? " " : "", text);
		if (rc == 0 && buf_puts(out, line) < 0)
			rc = -1;
		free(line);
	}
	return rc;
}
