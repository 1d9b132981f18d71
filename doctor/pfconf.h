/*
 * pfconf.h - the Postfix configuration as postconf(1) shows it
 *
 * Contract: pfconf_load() runs "postconf [-c DIR] -x" (every parameter,
 *   defaults included, $name expanded) and "postconf [-c DIR] -M" (every
 *   master.cf service, with its -o overrides) through postconf.h, each
 *   within DOCTOR_COMMAND_MS; -1 and one sentence in err when either
 *   fails. dir NULL means the system's configuration.
 * pfconf_get() - a main.cf parameter's value ("" for an empty one), NULL
 *   when postconf does not know it.
 * pfconf_service_get() - a parameter as that service sees it: its -o
 *   override, else main.cf's. pfconf_service_overrides() - whether the
 *   service sets name with -o.
 * pf_service.chroot: master.cf column 5, "-" being Postfix's default for
 *   the installed version (n since Postfix 3.0, y before).
 * pfconf_smtpd_path() - the file a service's process opens for path, as a
 *   path on this host: a relative path is relative to queue_directory
 *   (every Postfix daemon runs there); an absolute one is inside
 *   queue_directory when the service is chrooted.
 * pfconf_is_smtpd() - the service runs smtpd(8).
 * pfconf_free() frees everything.
 */
#ifndef PFH_PFCONF_H
#define PFH_PFCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "kvlist.h"

struct pf_service {
	char	*name;		/* "smtp", "submission", "127.0.0.1:2525" */
	char	*type;		/* "inet", "unix", ... */
	char	*command;	/* "smtpd", "smtp", ... */
	bool	 chroot;
	struct kvlist overrides;	/* -o name=value */
};

struct pfconf {
	const char *dir;	/* -c DIR, or NULL */
	char	postconf[4096];
	struct kvlist params;
	struct pf_service *svc;
	size_t	nsvc;
	int	major, minor;	/* mail_version */
};

int	pfconf_load(struct pfconf *, const char *dir, char *err, size_t errlen);
const char *pfconf_get(const struct pfconf *, const char *name);
const char *pfconf_service_get(const struct pfconf *,
	    const struct pf_service *, const char *name);
bool	pfconf_service_overrides(const struct pf_service *, const char *name);
bool	pfconf_is_smtpd(const struct pf_service *);
void	pfconf_smtpd_path(const struct pfconf *, const struct pf_service *,
	    const char *path, char *out, size_t outlen);
void	pfconf_free(struct pfconf *);

#endif /* PFH_PFCONF_H */
