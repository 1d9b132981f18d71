/*
 * tlsmap_ctl.c - the tlsmap subcommands: check, explain, migrate
 *
 *   tlsmap [-c FILE] [-o name=value] check
 *	the skeleton's check (server.h) with tlsmap_verify() as the spec's
 *	verify hook: load every map as the daemon would; print every error
 *	of every map, "FILE, line N: reason", not only the first (like
 *	postmap); exit 1 if any map fails (like "postfix check";
 *	spec->check_exit), EX_CONFIG for a bad config. Then compare
 *	postfix_version with the installed Postfix (postconf;
 *	postfix_probe.h): a target newer than it is an error, and every
 *	entry it would reject is listed the same way.
 *   tlsmap [-c FILE] [-o name=value] explain KEY [MAP]
 *	the answer for KEY in each map (or MAP), the file and line it comes
 *	from, and the keys smtp(8) itself would try for that destination.
 *	Exit 0 if KEY itself is found in a map, 1 if not (like postmap -q).
 *   tlsmap migrate [-m MXHOST ...] FILE
 *	print smtp_tls_policy_maps entries equivalent to a smtp_tls_per_site
 *	file. Exit 0 if every entry was translated, 1 if some were not.
 *
 * They live in the daemon binary so that they share its parser, its
 * validation and its config file (server_config.h, given the daemon's
 * spec): what "check" accepts is exactly what the daemon will serve.
 */
#include "sysdep.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "maps.h"
#include "per_site.h"
#include "postfix_probe.h"
#include "server.h"
#include "server_config.h"
#include "table.h"
#include "tls_policy.h"
#include "tlsmap.h"
#include "xalloc.h"

struct ctl {
	const struct server_spec *spec;	/* the daemon's, for its config */
	const char *config;
	int	 named;
	char	**ovr;
	size_t	 novr;
	struct cfg_param *table;
	struct tlsmap_cfg *cfg;
	struct maps *maps;
};

/* load_config - the same file and overrides, read as the daemon reads them */
static void
load_config(struct ctl *c)
{
	char err[1024];
	int missing;

	c->table = server_config_table(c->spec);
	c->cfg = server_config_load(c->spec, c->table, c->config, c->named,
	    c->ovr, c->novr, &missing, err, sizeof(err));
	if (missing)
		server_config_warn_missing(c->spec, c->config, c->novr);
	if (c->cfg == NULL)
		goto bad;
	c->maps = maps_new(c->cfg->maps, c->cfg->report_only_maps,
	    tlsmap_version(c->cfg), err, sizeof(err));
	if (c->maps == NULL)
		goto bad;
	return;
bad:
	log_error("%s", err);
	exit(EX_CONFIG);
}

/* ctl_free - tidy up, so sanitizer builds stay quiet */
static void
ctl_free(struct ctl *c)
{
	maps_free(c->maps);
	server_config_free(c->spec, c->table, c->cfg);
	free(c->table);
	free(c->ovr);
}

/* check_report - one error of a map's file, as the daemon would log it */
static void
check_report(const char *msg, void *ctx)
{
	(void)ctx;
	log_error("%s", msg);
}

struct newer {
	const char *installed;
};

/* newer_report - one entry the installed Postfix would defer mail on */
static void
newer_report(const struct tlsmap_map *m, const struct table_entry *te,
    const char *why, void *ctx)
{
	struct newer *nw = ctx;

	log_error("%s, line %u: installed Postfix %s rejects the policy for "
	    "\"%s\"%s: %s", m->src->path, te->line, nw->installed, te->key,
	    m->report_only ? " (report-only map)" : "", why);
}

/*
 * check_installed - compare the target with the installed Postfix; 0 if
 * the maps are good for it (or there is none), -1 if not. summary gets
 * what the last line may say about it.
 */
static int
check_installed(const struct tlsmap_cfg *cfg, struct maps *ms, char *summary,
    size_t slen)
{
	const char *target = cfg->postfix_version;
	struct postfix_probe pr;
	struct newer nw;
	char msg[2048];
	unsigned n;

	postfix_probe(cfg->postconf_command, cfg->postconf_timeout, &pr);
	switch (pr.status) {
	case PROBE_OFF:
		printf("postconf_command is empty: checked against "
		    "postfix_version = %s only\n", target);
		snprintf(summary, slen, "not compared with an installed "
		    "Postfix");
		return 0;
	case PROBE_NONE:
		printf("no installed Postfix found (%s): checked against "
		    "postfix_version = %s only\n", pr.reason, target);
		snprintf(summary, slen, "no installed Postfix to compare with");
		return 0;
	case PROBE_FAILED:
		/*
		 * A postconf that is there but does not answer leaves the
		 * one question check exists for open: fail, and say how to
		 * skip the comparison when this host's Postfix is not the
		 * one tlsmap serves.
		 */
		log_error("cannot tell the installed Postfix version: %s "
		    "(postconf_command = \"\" skips the comparison, e.g. when "
		    "tlsmap serves Postfix on another host)", pr.reason);
		snprintf(summary, slen, "not compared with the installed "
		    "Postfix");
		return -1;
	case PROBE_FOUND:
		break;
	}
	if (tlsmap_version(cfg) <= pr.version) {
		printf("installed Postfix %s (%s): not older than the target "
		    "postfix_version = %s\n", pr.mail_version, pr.path,
		    target);
		snprintf(summary, slen, "compared with the installed Postfix "
		    "%s", pr.mail_version);
		return 0;
	}
	memset(&nw, 0, sizeof(nw));
	nw.installed = pr.mail_version;
	n = maps_recheck(ms, pr.version, newer_report, &nw);
	printf("installed Postfix %s (%s) is older than the target "
	    "postfix_version = %s: %u entr%s it would reject\n",
	    pr.mail_version, pr.path, target, n, n == 1 ? "y" : "ies");
	postfix_probe_newer(&pr, target, 0, n, msg, sizeof(msg));
	log_error("%s", msg);
	snprintf(summary, slen, "the installed Postfix is %s, older than the "
	    "target", pr.mail_version);
	return -1;
}

/*
 * tlsmap_verify - spec->verify for "check": load every map, compare with
 * the installed Postfix, report; the number of problems found
 */
unsigned
tlsmap_verify(struct server *srv, void *vcfg)
{
	struct tlsmap_cfg *cfg = vcfg;
	struct maps *ms;
	unsigned bad = 0;
	char vs[16], summary[256], err[1024];
	size_t i;

	(void)srv;
	/* the config check built the same map set: this cannot fail */
	if ((ms = maps_new(cfg->maps, cfg->report_only_maps,
	    tlsmap_version(cfg), err, sizeof(err))) == NULL)
		log_panic("maps passed the config check: %s", err);
	bad += tlsmap_dyn_verify(cfg, ms);
	for (i = 0; i < ms->n; i++) {
		struct tlsmap_map *m = &ms->v[i];

		if (m->kind == MAP_DYNAMIC)
			continue;	/* tlsmap_dyn_verify() said it */
		/*
		 * Every error, where the daemon would log only the first
		 * and a count: an admin fixing a file wants the whole list.
		 */
		table_source_report(m->src, check_report, NULL);
		if (table_source_load(m->src) < 0) {
			printf("map %s: %s:%s: %u error%s\n", m->name,
			    map_kind_name(m->kind), m->src->path,
			    m->src->last_errors,
			    m->src->last_errors == 1 ? "" : "s");
			bad++;
			continue;
		}
		printf("map %s: %s:%s: %zu entries ok%s\n", m->name,
		    map_kind_name(m->kind), m->src->path,
		    table_count(m->src->table),
		    m->report_only ? " (report-only)" : "");
	}
	/* after the maps, so that their entries can be checked again */
	if (check_installed(cfg, ms, summary, sizeof(summary)) < 0)
		bad++;
	printf("target Postfix version %s: %s (%s)\n",
	    tls_policy_version_str(tlsmap_version(cfg), vs, sizeof(vs)),
	    bad ? "errors found" : "all maps valid", summary);
	fflush(stdout);
	maps_free(ms);
	return bad;
}

/* is_walkable - smtp(8) walks parent domains only for plain host names */
static int
is_walkable(const char *key)
{
	return *key != '[' && *key != '.' && strchr(key, ':') == NULL &&
	    strchr(key, '.') != NULL;
}

/* explain_map - one map's view of key */
static int
explain_map(struct ctl *c, struct tlsmap_map *m, const char *key)
{
	const struct table_entry *te, *hit = NULL;
	const char *k, *hitkey = NULL;
	char *norm = xstrdup(key), err[256];
	size_t nlen = strlen(norm);
	int found = 0;

	if (m->kind == MAP_DYNAMIC) {
		/* the cache lives in the daemon: ask it */
		printf("map %s (%s, cache %s): resolved live by the daemon\n",
		    m->name, m->tlsrpt ? "dynamic-tlsrpt" : "dynamic", m->path);
		fflush(stdout);
		free(norm);
		found = tlsmap_control_ask(c->cfg->control_listen, "explain",
		    key) == 0;
		printf("\n");
		return found;
	}
	printf("map %s (%s, %s)\n", m->name, map_kind_name(m->kind),
	    m->src->path);
	if (table_source_load(m->src) < 0) {
		printf("  not loaded: %s\n  tlsmap answers: TEMP\n\n",
		    m->src->last_error);
		free(norm);
		return 0;
	}
	if (map_key_normalise(norm, &nlen, err, sizeof(err)) < 0) {
		printf("  %s: matches nothing\n\n", err);
		free(norm);
		return 0;
	}
	norm[nlen] = 0;
	if (strcmp(norm, key) != 0)
		printf("  key \"%s\" is looked up as \"%s\"\n", key, norm);
	if ((te = map_lookup(m, norm, nlen)) != NULL) {
		found = 1;
		printf("  answer: OK %s\n  from: %s, line %u\n", te->value,
		    m->src->path, te->line);
		if (m->report_only)
			printf("  report-only map: tlsmap answers NOTFOUND and "
			    "logs this answer\n");
	} else {
		printf("  answer: NOTFOUND\n");
	}
	if (m->kind == MAP_PERSITE) {
		printf("  smtp_tls_per_site: smtp(8) looks up the next-hop "
		    "and the MX host name, with no parent-domain walk\n");
		if (te != NULL)
			printf("  policy equivalent for the next-hop role: "
			    "%s\n", per_site_policy(
			    ((const struct map_answer *)te->obj)->level));
		printf("\n");
		free(norm);
		return found;
	}
	if (!is_walkable(norm)) {
		printf("  smtp(8) looks up \"%s\" exactly once (explicit "
		    "next-hop or not a plain domain)\n\n", norm);
		free(norm);
		return found;
	}
	printf("  smtp(8) tries, for destination %s (first match wins):\n",
	    norm);
	for (k = norm; k != NULL; k = strchr(k + 1, '.')) {
		te = map_lookup(m, k, strlen(k));
		printf("    %-32s %s", k, te ? "OK " : "NOTFOUND");
		if (te)
			printf("%s (line %u)", te->value, te->line);
		if (te && hit == NULL) {
			hit = te;
			hitkey = k;
			printf("  <- used");
		}
		printf("\n");
	}
	if (hit)
		printf("  => policy for %s comes from key \"%s\"%s\n\n", norm,
		    hitkey, m->report_only ? " (report-only: not served)" : "");
	else
		printf("  => no entry: smtp_tls_security_level applies\n\n");
	free(norm);
	return found;
}

/* cmd_explain - KEY [MAP] */
static int
cmd_explain(struct ctl *c, int argc, char **argv)
{
	struct tlsmap_map *m;
	int found = 0;
	size_t i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: tlsmap [-c config] explain KEY [MAP]\n");
		return EX_USAGE;
	}
	load_config(c);
	if (argc == 3) {
		if ((m = maps_find(c->maps, argv[2], strlen(argv[2]))) == NULL) {
			log_error("explain: no map named \"%s\"", argv[2]);
			return EX_USAGE;
		}
		found = explain_map(c, m, argv[1]);
	} else {
		for (i = 0; i < c->maps->n; i++)
			found |= explain_map(c, &c->maps->v[i], argv[1]);
	}
	return found ? 0 : 1;
}

/* cmd_control - refresh DOMAIN, purge DOMAIN|all: the daemon does it */
static int
cmd_control(struct ctl *c, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tlsmap [-c config] %s %s\n", argv[0],
		    strcmp(argv[0], "purge") == 0 ? "DOMAIN|all" : "DOMAIN");
		return EX_USAGE;
	}
	load_config(c);
	return tlsmap_control_ask(c->cfg->control_listen, argv[0], argv[1]);
}

struct migrate {
	const char *path;
	char	**mx;
	int	 nmx;
	unsigned translated, skipped, bare, may;
};

/* is_mx - did the admin say this key is an MX host name */
static int
is_mx(const struct migrate *mg, const char *key)
{
	int i;

	for (i = 0; i < mg->nmx; i++) {
		size_t n = strlen(mg->mx[i]);

		if (n > 1 && mg->mx[i][n - 1] == '.')
			n--;
		if (strncasecmp(mg->mx[i], key, n) == 0 &&
		    (key[n] == 0 || (key[n] == '.' && key[n + 1] == 0)))
			return 1;
	}
	return 0;
}

/* untranslated - warning on stderr, the entry as a comment on stdout */
static void
untranslated(struct migrate *mg, const struct table_entry *te,
    const char *why)
{
	log_warn("%s, line %u: %s: %s", mg->path, te->line, te->key, why);
	printf("# %s, line %u: not translated: %s\n# %s %s\n", mg->path,
	    te->line, why, te->key, te->value);
	mg->skipped++;
}

/* migrate_entry - table_foreach callback, in file order */
static int
migrate_entry(const struct table_entry *te, void *ctx)
{
	struct migrate *mg = ctx;
	enum per_site_level lev;
	char err[256];

	if (per_site_parse(te->value, &lev, err, sizeof(err)) < 0) {
		untranslated(mg, te, "invalid value: smtp(8) defers mail for "
		    "this destination (4.7.5)");
		return 0;
	}
	if (is_mx(mg, te->key)) {
		untranslated(mg, te, "MX host name: smtp_tls_policy_maps is "
		    "never looked up by MX host name; keep serving it from a "
		    "persite map, or write \"DOMAIN <level> match=HOST\" for "
		    "the domains it serves");
		return 0;
	}
	if (te->key[0] != '[' && strchr(te->key, ':') == NULL)
		mg->bare++;
	if (lev == PER_SITE_MAY)
		mg->may++;
	printf("%s %s\n", te->key, per_site_policy(lev));
	mg->translated++;
	return 0;
}

/* cmd_migrate - [-m MXHOST ...] FILE */
static int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct table_ops ops;
	struct migrate mg;
	struct table *t;
	char err[1024];
	int ch;

	memset(&mg, 0, sizeof(mg));
	mg.mx = xcalloc((size_t)argc, sizeof(char *));
	optind = 1;
	while ((ch = getopt(argc, argv, "+m:")) != -1) {
		if (ch != 'm') {
			free(mg.mx);
			goto usage;
		}
		mg.mx[mg.nmx++] = optarg;
	}
	if (optind != argc - 1) {
		free(mg.mx);
		goto usage;
	}
	mg.path = argv[optind];
	memset(&ops, 0, sizeof(ops));
	/* keep every line: bad values become warnings, not a refusal */
	ops.allow_dup_first = 1;
	ops.allow_empty_value = 1;
	if ((t = table_load(mg.path, &ops, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		free(mg.mx);
		return EX_DATAERR;
	}
	printf("# smtp_tls_policy_maps entries translated from "
	    "smtp_tls_per_site file %s\n# by tlsmap migrate: NONE none, MAY "
	    "may, MUST_NOPEERMATCH encrypt, MUST verify\n", mg.path);
	(void)table_foreach(t, migrate_entry, &mg);
	if (mg.bare > 0 && mg.nmx == 0)
		log_warn("%u entries keyed by a plain name were translated as "
		    "next-hop destinations; smtp_tls_per_site also matched them "
		    "against MX host names, smtp_tls_policy_maps never does: "
		    "name the MX host keys with -m to have them reported",
		    mg.bare);
	if (mg.may > 0)
		log_warn("%u MAY entries: a per-site MAY never weakened a "
		    "stronger global smtp_tls_security_level, a policy \"may\" "
		    "replaces it", mg.may);
	fprintf(stderr, "tlsmap: migrate: %u entries translated, %u not "
	    "translated\n", mg.translated, mg.skipped);
	table_unref(t);
	free(mg.mx);
	return mg.skipped ? 1 : 0;
usage:
	fprintf(stderr, "usage: tlsmap migrate [-m mx_host ...] "
	    "PER_SITE_FILE\n");
	return EX_USAGE;
}

/* tlsmap_ctl - run a subcommand if argv names one */
int
tlsmap_ctl(const struct server_spec *spec, int argc, char **argv,
    int *handled_r)
{
	static const struct {
		const char *name;
		int	(*fn)(struct ctl *, int, char **);
	} cmds[] = {
		{"explain", cmd_explain},
		{"migrate", cmd_migrate},
		{"refresh", cmd_control},
		{"purge", cmd_control},
	};
	struct ctl c;
	size_t i;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.config = spec->default_config;
	c.ovr = xcalloc((size_t)argc + 1, sizeof(char *));
	*handled_r = 0;
	opterr = 0;
	/* "+": stop at the first word, which may be a subcommand */
	while ((ch = getopt(argc, argv, "+c:o:dvnVh")) != -1) {
		if (ch == 'c') {
			c.config = optarg;
			c.named = 1;
		} else if (ch == 'o') {
			c.ovr[c.novr++] = optarg;
		} else if (ch == 'v') {
			log_verbose++;
		}
	}
	for (i = 0; optind < argc && i < nitems(cmds); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			break;
	if (optind >= argc || i == nitems(cmds)) {
		/* the daemon: server_main parses argv again from scratch */
		free(c.ovr);
		log_verbose = 0;
		optind = 0;
		opterr = 1;
		return 0;
	}
	*handled_r = 1;
	log_init("tlsmap", LOG_TO_STDERR, "mail");
	rc = cmds[i].fn(&c, argc - optind, argv + optind);
	ctl_free(&c);
	return rc;
}
