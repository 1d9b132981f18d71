/*
 * daemons.h - the pfhelpers daemons the doctor knows, and their settings
 *
 * Contract: daemon_kinds[] names each daemon: its program, the flag that
 *   names its configuration file, its default file, and how it checks
 *   itself (the "check" command or -n). A new daemon is one more row.
 * daemon_conf_init() sets a daemon's config path (NULL: its default) and
 *   the directory of its program (NULL: PFH_SBINDIR).
 * daemon_conf_load() reads the effective settings the daemon itself would
 *   use into d->settings: "PROG -c FILE -n" for the daemons that print
 *   them, saslauthd-lite's own parameter table for saslauthd-lite (it has
 *   no -n). 1 when loaded; 0 when the file does not exist (the daemon is
 *   not set up here: a named file that is missing is -1); -1 with one
 *   sentence in d->err when the configuration cannot be read.
 * daemon_conf_setting() - one setting's value, or "" when unknown.
 * daemon_conf_listens() - is ep (an endpoint text) one of the daemon's
 *   listen endpoints, compared in endpoint.h's canonical form?
 * daemon_conf_free() frees the settings.
 */
#ifndef PFH_DAEMONS_H
#define PFH_DAEMONS_H

#include <stdbool.h>
#include <stddef.h>

#include "kvlist.h"

enum daemon_id { DAEMON_SASL, DAEMON_CCERT, DAEMON_TLSMAP, DAEMON_COUNT };

struct daemon_kind {
	const char *name;		/* program name, as installed */
	const char *config_flag;	/* "-C" or "-c" */
	const char *default_config;
	const char *check_arg;		/* "check", or "-n" */
	const char *doctor_flag;	/* pfhelpers-doctor's option naming the file */
};

extern const struct daemon_kind daemon_kinds[DAEMON_COUNT];

struct daemon_conf {
	const struct daemon_kind *kind;
	const char *config;
	bool	named;			/* given on the command line */
	char	prog[4096];
	bool	loaded;
	struct kvlist settings;
	char	err[1024];
};

void	daemon_conf_init(struct daemon_conf *, enum daemon_id,
	    const char *config, const char *progdir);
int	daemon_conf_load(struct daemon_conf *);
const char *daemon_conf_setting(const struct daemon_conf *, const char *name);
bool	daemon_conf_listens(const struct daemon_conf *, const char *ep);
void	daemon_conf_free(struct daemon_conf *);

#endif /* PFH_DAEMONS_H */
