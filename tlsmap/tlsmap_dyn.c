/*
 * tlsmap_dyn.c - the dynamic maps' shared parts in the daemon
 *
 * One resolver and one HTTPS fetcher serve every dynamic map; each cache
 * file has one dyn (two maps naming the same file, say a plain and a
 * TLSRPT one, share their cache). They are made when a map set first has
 * a dynamic map, and a SIGHUP that changes the map set keeps the dyn of
 * every cache file still named, with its cache.
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns_resolver.h"
#include "dynamic.h"
#include "ev.h"
#include "log.h"
#include "maps.h"
#include "server.h"
#include "sockaccess.h"
#include "sts_fetch.h"
#include "tlsmap.h"
#include "xalloc.h"

void
tlsmap_dyn_cfg(const struct tlsmap_cfg *cfg, const char *cache_file,
    struct dyn_cfg *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->cache_file = cache_file;
	dc->timeout_ms = cfg->dns_timeout;
	dc->min_ttl_ms = cfg->cache_min_ttl;
	dc->max_entries = cfg->cache_size;
	dc->max_resolutions = cfg->max_resolutions;
	dc->version = tlsmap_version(cfg);
}

static void
dns_cfg_of(const struct tlsmap_cfg *cfg, struct dns_cfg *dc)
{
	dc->forwarders = cfg->dns_forwarders;
	dc->stub_zones = cfg->dns_stub_zones;
	dc->anchor_files = cfg->dns_trust_anchor_file;
}

/* shared - the resolver and the fetcher, made the first time */
static int
shared(struct tlsmap *tm, const struct tlsmap_cfg *cfg, char *err,
    size_t errlen)
{
	struct sts_fetch_cfg fc;
	struct dns_cfg dc;

	if (tm->dns != NULL)
		return 0;
	dns_cfg_of(cfg, &dc);
	if ((tm->dns = dns_resolver_new(server_ev(tm->srv), &dc, err,
	    errlen)) == NULL)
		return -1;
	memset(&fc, 0, sizeof(fc));
	fc.ca_file = cfg->sts_ca_file;
	fc.timeout_ms = (long)cfg->sts_timeout;
	fc.connect_timeout_ms = (long)cfg->sts_timeout;
	fc.user_agent = "tlsmap/" PACKAGE_VERSION;
	if ((tm->fetcher = sts_fetcher_new(server_ev(tm->srv), &fc)) == NULL) {
		snprintf(err, errlen, "libcurl: cannot make the policy fetcher");
		return -1;
	}
	return 0;
}

int
tlsmap_dyn_attach(struct tlsmap *tm, struct maps *ms,
    const struct tlsmap_cfg *cfg, char *err, size_t errlen)
{
	struct dyn **keep = NULL, *d;
	struct dyn_cfg dcfg;
	size_t i, k, nkeep = 0;
	char serr[512];

	for (i = 0; i < ms->n; i++) {
		struct tlsmap_map *m = &ms->v[i];

		if (m->kind != MAP_DYNAMIC)
			continue;
		if (shared(tm, cfg, err, errlen) < 0) {
			free(keep);
			return -1;
		}
		tlsmap_dyn_cfg(cfg, m->path, &dcfg);
		d = NULL;
		for (k = 0; k < nkeep && d == NULL; k++)
			if (strcmp(dyn_cache_file(keep[k]), m->path) == 0)
				d = keep[k];
		for (k = 0; k < tm->ndyns && d == NULL; k++)
			if (tm->dyns[k] != NULL &&
			    strcmp(dyn_cache_file(tm->dyns[k]), m->path) == 0) {
				d = tm->dyns[k];
				tm->dyns[k] = NULL;
				keep = xreallocarray(keep, nkeep + 1,
				    sizeof(*keep));
				keep[nkeep++] = d;
			}
		if (d == NULL) {
			d = dyn_new(server_ev(tm->srv), tm->dns, tm->fetcher,
			    &dcfg, err, errlen);
			if (d == NULL) {
				free(keep);
				return -1;
			}
			keep = xreallocarray(keep, nkeep + 1, sizeof(*keep));
			keep[nkeep++] = d;
		}
		dyn_set_cfg(d, &dcfg);
		m->dyn = d;
	}
	/* caches no map names any more: written out, then gone */
	for (k = 0; k < tm->ndyns; k++) {
		if (tm->dyns[k] == NULL)
			continue;
		if (dyn_save(tm->dyns[k], 0, serr, sizeof(serr)) < 0)
			log_warn("dynamic: %s", serr);
		dyn_free(tm->dyns[k]);
	}
	free(tm->dyns);
	tm->dyns = keep;
	tm->ndyns = nkeep;
	return 0;
}

void
tlsmap_dyn_tick(struct tlsmap *tm)
{
	size_t i;

	for (i = 0; i < tm->ndyns; i++)
		dyn_tick(tm->dyns[i]);
}

void
tlsmap_dyn_stop(struct tlsmap *tm)
{
	char err[512];
	size_t i;

	for (i = 0; i < tm->ndyns; i++)
		if (dyn_save(tm->dyns[i], 1, err, sizeof(err)) < 0)
			log_warn("dynamic: %s", err);
		else
			log_info("dynamic: cache saved to %s",
			    dyn_cache_file(tm->dyns[i]));
}

/* dir_writable - can the daemon write the cache file's directory */
/*
 * cache_writable - can the daemon, as the user it will run as, make the
 * cache file's temp file and rename it in: started as root with `user`
 * set, that user's permissions judge (sockaccess: search on every
 * directory, write on the last one, the sticky bit), else access()
 */
static int
cache_writable(const struct tlsmap_cfg *cfg, const char *path, char *why,
    size_t whylen)
{
	const char *user = cfg->common.user;
	char *dir, *slash;
	struct sockaccess_user u;
	struct stat st;
	int ok;

	if (geteuid() == 0 && user != NULL && *user != 0) {
		if (sockaccess_user_lookup(user, &u, why, whylen) < 0)
			return 0;
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFREG | 0640;	/* as dyn_save makes it */
		st.st_uid = u.uid;
		st.st_gid = u.gid;
		ok = sockaccess_unlink(&u, path, &st, why, whylen) == 1;
		sockaccess_user_free(&u);
		return ok;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
	free(dir);
	return ok;
}

unsigned
tlsmap_dyn_verify(const struct tlsmap_cfg *cfg, const struct maps *ms)
{
	struct dns_resolver *r;
	struct dns_cfg dc;
	struct ev *ev = NULL;
	char err[1024];
	unsigned bad = 0;
	size_t i;
	int any = 0;

	for (i = 0; i < ms->n; i++) {
		const struct tlsmap_map *m = &ms->v[i];

		if (m->kind != MAP_DYNAMIC)
			continue;
		any = 1;
		printf("map %s: %s:%s: resolved live (DANE, then MTA-STS%s)\n",
		    m->name, m->tlsrpt ? "dynamic-tlsrpt" : "dynamic", m->path,
		    m->tlsrpt ? ", with TLSRPT attributes" : "");
		if (!cache_writable(cfg, m->path, err, sizeof(err))) {
			int as = geteuid() == 0 && cfg->common.user != NULL &&
			    *cfg->common.user != 0;

			log_error("map %s: cache file %s: the daemon%s%s%s "
			    "cannot write it (%s): the cache cannot be saved",
			    m->name, m->path, as ? ", as " : "",
			    as ? cfg->common.user : "", as ? "," : "", err);
			bad++;
		}
	}
	if (!any)
		return bad;
	/* the trust anchors are read now: a bad one fails here, not later */
	dns_cfg_of(cfg, &dc);
	if ((ev = ev_new()) == NULL || (r = dns_resolver_new(ev, &dc, err,
	    sizeof(err))) == NULL) {
		log_error("%s", ev ? err : "no event loop");
		bad++;
	} else
		dns_resolver_free(r);
	ev_free(ev);
	return bad;
}
