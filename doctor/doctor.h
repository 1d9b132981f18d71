/*
 * doctor.h - pfhelpers-doctor's shared state, findings and check table
 *
 * pfhelpers-doctor reads the Postfix configuration (pfconf.h) and each
 * daemon's own configuration (daemons.h), runs every check of the table in
 * checks.c in order, and prints one line per finding:
 *   SEVERITY: WHAT; why: WHY; fix: FIX
 * (no "; fix:" part when there is nothing to change). The exit status is
 * the worst severity: 0 none or info only, 1 a warning, 2 an error.
 *
 * Contract: doctor_finding() records and prints one finding (nothing is
 *   printed with quiet set); what, why and fix are one line each, fix may
 *   be NULL. doctor_fix_param() writes the command that sets one main.cf
 *   parameter ("postconf [-c DIR] -e 'name = value'"), or, when service
 *   sets it with -o in master.cf, the master.cf line to change.
 * A check is a function of struct doctor; it finds what it can and never
 *   stops the others. Add one by writing it in a check_*.c file and
 *   listing it in checks.c.
 */
#ifndef PFH_DOCTOR_H
#define PFH_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "daemons.h"
#include "pfconf.h"

enum doctor_sev { DOC_OK, DOC_INFO, DOC_WARNING, DOC_ERROR };

/* Milliseconds a probe or a daemon's own check may take. */
#define DOCTOR_PROBE_MS		3000
#define DOCTOR_COMMAND_MS	10000
/* Dovecot delays a failed login (auth_failure_delay, 2 s by default). */
#define DOCTOR_DOVECOT_PROBE_MS	5000

struct doctor {
	struct pfconf pf;
	struct daemon_conf daemon[DAEMON_COUNT];
	const char *sasl_search;	/* where libsasl2 looks for smtpd.conf */
	bool	quiet;
	enum doctor_sev worst;
	unsigned nfindings;
};

struct doctor_check {
	const char *name;
	void	(*run)(struct doctor *);
};

extern const struct doctor_check doctor_checks[];

void	doctor_finding(struct doctor *, enum doctor_sev, const char *what,
	    const char *why, const char *fix);
void	doctor_fix_param(const struct doctor *, const struct pf_service *,
	    const char *name, const char *value, char *out, size_t outlen);

/* The checks (check_*.c). */
void	check_sasl_cyrus(struct doctor *);
void	check_sasl_dovecot(struct doctor *);
void	check_relay_order(struct doctor *);
void	check_ccert(struct doctor *);
/* ccert_check_pins - the identities' pins against svc's fingerprint digest */
void	ccert_check_pins(struct doctor *, const struct pf_service *);
void	check_tls_maps(struct doctor *);
void	check_tlsmap_idle(struct doctor *);
void	check_tlsmap_version(struct doctor *);
void	check_daemon_own(struct doctor *);

#endif /* PFH_DOCTOR_H */
