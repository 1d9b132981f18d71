/*
 * main.c - pfhelpers-sync: keeps local table files in step with a store
 *
 * The server_spec hooks. init makes the feeds (each reads its last good
 * file for the mass-delete baseline) and one link per store;
 * ready (after the privilege drop, so the files belong to the user the
 * daemon runs as) starts connecting. A SIGHUP remakes feeds and links
 * from the new config: every link reconnects and every feed is read
 * again; the files stay as they are until a read replaces them. There are
 * no listeners: the status page shows the feeds. "check" reads each
 * feed's present output with its reader's rules.
 */
#include "sysdep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "sync.h"
#include "xalloc.h"

/* build - feeds and links for cfg */
static void
build(struct sync_daemon *sd, const struct sync_cfg *cfg)
{
	const struct cfg_group_set *set = &cfg->feed_set;
	struct sync_feed_cfg *fc;
	struct sync_feed *f;
	struct sync_link *l;
	size_t i, j;

	sd->feeds = xcalloc(set->n, sizeof(*sd->feeds));
	sd->links = xcalloc(set->n, sizeof(*sd->links));
	for (i = 0; i < set->n; i++) {
		fc = set->items[i];
		f = sync_feed_new(sd, cfg, set->names[i], fc);
		sd->feeds[sd->nfeeds++] = f;
		/* one connection per store, however many feeds use it */
		for (j = 0; j < sd->nlinks; j++)
			if (sync_link_serves(sd->links[j], fc))
				break;
		if (j == sd->nlinks)
			sd->links[sd->nlinks++] = sync_link_new(sd, fc);
		l = sd->links[j];
		sync_link_add_feed(l, f);
	}
}

/* teardown - close the links, forget the feeds; files stay */
static void
teardown(struct sync_daemon *sd)
{
	size_t i;

	for (i = 0; i < sd->nlinks; i++)
		sync_link_free(sd->links[i]);
	for (i = 0; i < sd->nfeeds; i++)
		sync_feed_free(sd->feeds[i]);
	free(sd->links);
	free(sd->feeds);
	sd->links = NULL;
	sd->feeds = NULL;
	sd->nlinks = sd->nfeeds = 0;
}

/* start - every link's first attempt */
static void
start(struct sync_daemon *sd)
{
	size_t i;

	for (i = 0; i < sd->nlinks; i++)
		sync_link_start(sd->links[i]);
}

static int
sync_init(struct server *srv, char *err, size_t errlen)
{
	struct sync_daemon *sd = xcalloc(1, sizeof(*sd));

	(void)err;
	(void)errlen;
	sd->srv = srv;
	server_set_ctx(srv, sd);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	build(sd, server_cfg(srv));
	log_info("%zu feeds over %zu store connections", sd->nfeeds,
	    sd->nlinks);
	return 0;
}

static void
sync_ready(struct server *srv)
{
	start(server_ctx(srv));
}

static int
sync_reload(struct server *srv, void *vnew, char *err, size_t errlen)
{
	struct sync_daemon *sd = server_ctx(srv);

	(void)err;
	(void)errlen;
	teardown(sd);
	build(sd, vnew);
	start(sd);
	return 0;
}

static void
sync_stopped(struct server *srv)
{
	struct sync_daemon *sd = server_ctx(srv);

	if (sd == NULL)
		return;
	teardown(sd);
	free(sd);
	server_set_ctx(srv, NULL);
}

/* check_password_file - an LDAP feed's bind password: there, and private */
static unsigned
check_password_file(const char *name, const struct sync_feed_cfg *fc)
{
	struct stat st;

	if (stat(fc->bind_password_file, &st) < 0) {
		log_error("check: %s_bind_password_file: %s: %s", name,
		    fc->bind_password_file, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0007)) {
		log_error("check: %s_bind_password_file: %s: %s", name,
		    fc->bind_password_file, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "others may read it; chmod 0600");
		return 1;
	}
	return 0;
}

/* sync_verify - "check": each present output, read as its reader reads it */
static unsigned
sync_verify(struct server *srv, void *vcfg)
{
	const struct sync_cfg *cfg = vcfg;
	const struct cfg_group_set *set = &cfg->feed_set;
	const struct sync_feed_cfg *fc;
	char err[512], *dir, *slash;
	unsigned problems = 0;
	size_t i, n;
	int rc;

	(void)srv;
	for (i = 0; i < set->n; i++) {
		fc = set->items[i];
		dir = xstrdup(fc->output);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = 0;
		else
			*slash = 0;
		if (access(dir, W_OK) < 0) {
			log_error("check: %s_output: %s: the directory %s is "
			    "missing or not writable", set->names[i],
			    fc->output, dir);
			problems++;
		}
		free(dir);
		if (fc->kind == SYNC_SRC_LDAP && fc->bind_password_file[0])
			problems += check_password_file(set->names[i], fc);
		rc = sync_format_count_file(fc->fmt, cfg->version, fc->output,
		    &n, err, sizeof(err));
		if (rc < 0) {
			log_error("check: %s", err);
			problems++;
		} else if (rc == 0) {
			fprintf(stderr, "%s: check: feed %s: %s: not written "
			    "yet\n", SYNC_PROG, set->names[i], fc->output);
		} else {
			fprintf(stderr, "%s: check: feed %s: %s: %zu rows\n",
			    SYNC_PROG, set->names[i], fc->output, n);
		}
	}
	return problems;
}

static const struct server_spec sync_spec = {
	.name = SYNC_PROG,
	.default_config = PFH_SYSCONFDIR "/pfhelpers-sync.conf",
	.config_flag = 'c',
	.params = sync_params,
	.cfg_size = sizeof(struct sync_cfg),
	.check = sync_check_cfg,
	.warn = sync_warn_cfg,
	.init = sync_init,
	.ready = sync_ready,
	.reload = sync_reload,
	.stopped = sync_stopped,
	.status = sync_status,
	.verify = sync_verify,
	.group = &sync_feed_group,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &sync_spec);
}
