/*
 * policyd.h - policyd-ccert private interfaces
 *
 * The daemon is split by concern:
 *   main.c            parameters, server_spec hooks, identities (re)loading
 *   policy_session.c  one Postfix connection: decode, decide, reply, log
 *   policyd_status.c  the status page content
 *   policyd_date.c    the local date decisions and the page use (cached)
 *   ccert_decide.c    the decision itself (pure; see ccert_decide.h)
 *   identities.c      the identities file (see identities.h)
 *   fprint.c          fingerprint normalisation (see fprint.h)
 * Everything here runs on the event-loop thread; there are no workers, as a
 * decision is two hash lookups.
 */
#ifndef PFH_POLICYD_H
#define PFH_POLICYD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "ccert_decide.h"
#include "listen.h"
#include "server.h"
#include "stats.h"

struct status_writer;
struct table_source;
struct session;

/* Request limits (the Postfix docs say: log and disconnect, no reply). */
#define POLICYD_MAX_LINE	8192
#define POLICYD_MAX_REQUEST	65536
#define POLICYD_MAX_ATTRS	128

enum policyd_log_mode { POLICYD_LOG_ALL, POLICYD_LOG_CERTS, POLICYD_LOG_NONE };

struct policyd_cfg {
	struct server_common common;	/* must be first */
	struct server_listen_cfg sock;	/* listen, socket_mode, socket_group */
	char	*identities;
	char	*permit_action;
	char	*default_action;
	bool	 default_action_open_relay;	/* confirms a permitting one */
	char	*expired_action;
	char	*sender_mismatch_action;
	bool	 report_only;
	char	*decision_log;
	long long expiry_warning_days;
	/* derived by the check hook */
	enum policyd_log_mode log_mode;
};

/* Metric label sets: fixed, never a name or an address. */
enum policyd_class { PD_C_PERMIT, PD_C_DUNNO, PD_C_REJECT, PD_C_DEFER,
	PD_C_OTHER, PD_C_COUNT };
enum policyd_perr { PD_E_FORMAT, PD_E_SIZE, PD_E_EOF, PD_E_OUTPUT,
	PD_E_COUNT };

struct policyd_stats {
	struct stats_counter decisions[PD_C_COUNT][CCERT_R_COUNT];
	struct stats_counter would[PD_C_COUNT];	/* report_only: not sent */
	struct stats_counter proto_errors[PD_E_COUNT];
	struct stats_counter bad_fprint;
	struct stats_hist latency;
	struct stats_recent recent;
};

struct policyd {
	struct server *srv;
	struct table_source *src;	/* the identities file */
	struct identities *ids;		/* summary of src->table */
	time_t	 today_at;		/* second `today` was computed */
	int	 today;			/* YYYYMMDD, local */
	struct policyd_stats st;
};

extern const char *const policyd_class_names[PD_C_COUNT];
extern const char *const policyd_perr_names[PD_E_COUNT];

/* policy_session.c */
listener_accept_fn session_accept;
enum policyd_class policyd_class_of(const char *action);

/* policyd_date.c */
int	policyd_today(struct policyd *);

/* policyd_status.c */
void	policyd_status(struct server *, struct status_writer *);

#endif /* PFH_POLICYD_H */
