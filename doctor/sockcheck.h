/*
 * sockcheck.h - can Postfix's processes open this unix socket
 *
 * Contract: sockcheck_postfix() looks at path (a path on this host, the
 *   chroot already resolved by pfconf_smtpd_path()) for a client named
 *   who ("smtpd (service smtp/inet)") that finds it through setting
 *   ("saslauthd_path in /etc/postfix/sasl/smtpd.conf"): it must exist, be
 *   a socket, and the user Postfix runs as (mail_owner, with its groups)
 *   must be allowed to connect (sockaccess.h). Each failure is an error
 *   finding that says what to change; fix_missing is the fix text for a
 *   socket that does not exist (NULL: a general one). true when the
 *   socket is usable.
 */
#ifndef PFH_SOCKCHECK_H
#define PFH_SOCKCHECK_H

#include <stdbool.h>

struct doctor;

bool	sockcheck_postfix(struct doctor *, const char *who,
	    const char *setting, const char *path, const char *fix_missing);

#endif /* PFH_SOCKCHECK_H */
