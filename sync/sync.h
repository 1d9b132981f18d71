/*
 * sync.h - pfhelpers-sync's private header: config, feeds, store links
 *
 * The daemon keeps local table files in step with a store (PostgreSQL or
 * LDAP): each feed reads one table's rows and writes them, atomically, in
 * a format another pfhelpers daemon reloads (sync_format.h). Feeds of the
 * same store share one connection (a struct sync_link, sync_link.h):
 * PostgreSQL LISTENs and reads a snapshot per feed on connect and after
 * each (debounced) notification (sync_pg.c); LDAP runs one RFC 4533
 * refreshAndPersist search per feed (sync_ldap.c). Jittered exponential
 * backoff after a failure. A refused update (bad row, mass delete, write
 * error) keeps the last good file. Everything runs on the loop thread.
 */
#ifndef PFH_SYNC_H
#define PFH_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "cfg_group.h"
#include "server.h"
#include "sync_format.h"
#include "sync_state.h"

#define SYNC_PROG	"pfhelpers-sync"

enum sync_source_kind { SYNC_SRC_PGSQL, SYNC_SRC_LDAP };

#define SYNC_LDAP_MAX_ATTRS	3

/* one feed's parameters (sync_feed_params; "NAME_" in the file) */
struct sync_feed_cfg {
	char	*source;		/* "pgsql:CONNINFO" or "ldap:URI ..." */
	char	*format;		/* pwfile | identities | policy */
	char	*output;		/* absolute path */
	char	*query;
	char	*notify_channel;
	mode_t	 output_mode;		/* 0: the format's default */
	char	*output_group;		/* "": the daemon's group */
	/* LDAP */
	char	*search_base;
	char	*filter;
	char	*scope;
	char	*attributes;
	char	*bind_dn;
	char	*bind_password_file;
	bool	 start_tls;
	char	*tls_ca_cert_file;
	/* derived by the check */
	enum sync_format fmt;
	enum sync_source_kind kind;
	const char *conninfo;		/* into source, past "pgsql:" */
	const char *uris;		/* into source, past "ldap:" */
	int	 scope_v;		/* LDAP_SCOPE_* */
	unsigned nattrs;
	char	 attr[SYNC_LDAP_MAX_ATTRS][128];
};

struct sync_cfg {
	struct server_common common;
	char	*feeds;
	char	*max_delete_fraction;
	char	*postfix_version;
	long long debounce;		/* ms */
	long long connect_timeout;	/* ms */
	long long retry_min, retry_max;	/* ms */
	long long heartbeat_interval;	/* ms */
	long long max_table_size;	/* bytes of one output file */
	struct cfg_group_set feed_set;
	/* derived by the check */
	double	 max_delete_fraction_v;
	unsigned version;		/* tls_policy.h encoding */
};

extern const struct cfg_group sync_feed_group;
extern const struct cfg_param sync_params[];
int	sync_check_cfg(void *cfg, char *err, size_t errlen);
/* sync_warn_cfg - spec->warn: a store over TCP without verify-full */
void	sync_warn_cfg(void *cfg);

enum sync_feed_phase {
	FEED_WAITING,		/* not synced since the link came up */
	FEED_SYNCED,
	FEED_REFUSED,		/* the last update was refused */
};

struct sync_link;

struct sync_feed {
	char	*name;
	struct sync_feed_cfg *cfg;	/* in the config in force */
	const struct sync_cfg *gcfg;	/* that config (feeds are remade
					 * at every reload) */
	bool	 notified;		/* a notification, debounce running */
	bool	 read_failed;		/* retried at the next heartbeat */
	struct sync_link *link;
	struct sync_daemon *sd;
	enum sync_feed_phase phase;
	bool	 dirty;			/* a read is wanted */
	bool	 have_file;		/* a last good file exists */
	size_t	 base_rows;		/* rows of the last good file */
	struct sync_state state;	/* of the last good sync */
	uint64_t synced_mono;		/* ev_now() of it; 0 = not this run */
	char	 last_error[512];
	unsigned long syncs, unchanged;
	unsigned long refused_rows, refused_delete, refused_write;
	/* the read in progress */
	size_t	 last_len;		/* the last read's text: the next
					 * one's buffer is reserved so */
	struct buf text;
	size_t	 rows;
	bool	 row_bad;
	char	 row_error[512];
};

struct sync_daemon {
	struct server *srv;
	struct sync_feed **feeds;
	size_t	 nfeeds;
	struct sync_link **links;
	size_t	 nlinks;
};

/* sync_feed.c: a feed's reads and writes */
struct sync_feed *sync_feed_new(struct sync_daemon *,
	    const struct sync_cfg *, const char *name, struct sync_feed_cfg *);
void	sync_feed_free(struct sync_feed *);
void	sync_feed_begin(struct sync_feed *);
void	sync_feed_row(struct sync_feed *, const char *const *cols,
	    unsigned ncols);
void	sync_feed_end(struct sync_feed *, const char *generation,
	    const char *source);
/* sync_feed_row_of - a row whose error names who (an LDAP entry's DN) */
void	sync_feed_row_of(struct sync_feed *, const char *who,
	    const char *const *cols, unsigned ncols);
/* sync_feed_row_error - a row that cannot be written: the update is refused */
void	sync_feed_row_error(struct sync_feed *, const char *why);
void	sync_feed_failed(struct sync_feed *, const char *why);
/* sync_feed_write_beside - OUTPUT.SUFFIX atomically, the output's mode and group; -1 logged */
int	sync_feed_write_beside(struct sync_feed *, const char *suffix,
	    const char *data, size_t len);

/* sync_link.c: one connection per store (sync_link.h) */
struct sync_link *sync_link_new(struct sync_daemon *,
	    const struct sync_feed_cfg *);
int	sync_link_serves(const struct sync_link *,
	    const struct sync_feed_cfg *);
void	sync_link_add_feed(struct sync_link *, struct sync_feed *);
void	sync_link_start(struct sync_link *);
void	sync_link_free(struct sync_link *);
const char *sync_link_state(const struct sync_link *);
int	sync_link_connected(const struct sync_link *);
const char *sync_link_error(const struct sync_link *);
/* sync_link_describe - "pgsql host=... port=... dbname=..." or "ldap URI" of the live connection */
void	sync_link_describe(const struct sync_link *, char *out, size_t len);

/* sync_status.c */
void	sync_status(struct server *, struct status_writer *);

#endif /* PFH_SYNC_H */
