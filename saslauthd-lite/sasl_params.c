/*
 * sasl_params.c - saslauthd-lite's configuration parameters
 *
 * One table for the daemon and for saslauthd-lite-test (which reads the
 * same config file to find the socket). Defaults are Cyrus's where Cyrus
 * has one (run dir, 5 workers, 8 h cache TTL) and safe ones elsewhere.
 */
#include "sysdep.h"

#include "cfg.h"
#include "saslauthd.h"

#define P(f)	offsetof(struct sasl_cfg, f)
/* what a SIGHUP does with a new value (server_reload.h) */
#define RL	CFG_F_RELOAD
#define RS	CFG_F_RESTART

const struct cfg_param sasl_params[] = {
	{"mechanisms", CFG_STR, "pwfile", P(mechanisms), 0, 0, RL},
	{"pwfile", CFG_STR, SASL_DEFAULT_PWFILE, P(pwfile), 0, 0, RL},
	{"pwfile_allow_weak_hashes", CFG_BOOL, "no",
	    P(pwfile_allow_weak_hashes), 0, 0, RL},
	{"pam_confdir", CFG_STR, "", P(pam_confdir), 0, 0, RL},
	{"pam_services", CFG_STR, "smtp", P(pam_services), 0, 0, RL},
	{"pam_acct_mgmt", CFG_BOOL, "yes", P(pam_acct_mgmt), 0, 0, RL},
	{"run_dir", CFG_STR, SASL_DEFAULT_RUN_DIR, P(run_dir), 0, 0, RS},
	{"socket_mode", CFG_MODE, "0660", P(socket_mode), 0, 0, RS},
	{"socket_group", CFG_STR, "", P(socket_group), 0, 0, RS},
	{"workers", CFG_INT, "5", P(workers), 0, 1024, RS},
	{"max_queue", CFG_INT, "256", P(max_queue), 1, 1000000, RS},
	{"backend_timeout", CFG_TIME, "5s", P(backend_timeout), 10, 600000, RL},
	{"chain_on_tempfail", CFG_BOOL, "no", P(chain_on_tempfail), 0, 0, RL},
	{"fifth_field_grace", CFG_TIME, "100ms", P(fifth_field_grace), 1, 10000, RL},
	{"cache", CFG_BOOL, "no", P(cache), 0, 0, RL},
	{"cache_ttl", CFG_TIME, "28800s", P(cache_ttl), 1000, 2592000000LL, RL},
	{"cache_negative_ttl", CFG_TIME, "0", P(cache_negative_ttl), 0, 86400000, RL},
	{"cache_ttl_system", CFG_TIME, "300s", P(cache_ttl_system), 1000,
	    2592000000LL, RL},
	{"cache_size", CFG_INT, "10000", P(cache_size), 1, 10000000, RL},
	{"realm_policy", CFG_STR, "pass", P(realm_policy), 0, 0, RL},
	{"default_realm", CFG_STR, "", P(default_realm), 0, 0, RL},
	{"throttle", CFG_BOOL, "yes", P(throttle), 0, 0, RL},
	{"throttle_after", CFG_INT, "3", P(throttle_after), 1, 1000, RL},
	{"throttle_delay", CFG_TIME, "1s", P(throttle_delay), 1, 600000, RL},
	{"throttle_max_delay", CFG_TIME, "15s", P(throttle_max_delay), 1, 600000, RL},
	{"throttle_quiet", CFG_TIME, "600s", P(throttle_quiet), 100, 86400000, RL},
	{"throttle_table_size", CFG_INT, "10000", P(throttle_table_size), 16, 10000000, RS},
	{"recent_size", CFG_INT, "50", P(recent_size), 1, 10000, RS},
	{"ldap_config", CFG_STR, "", P(ldap_config), 0, 0, RL},
	{"ldap_servers", CFG_STR, "ldap://localhost/", P(ldap_servers), 0, 0, RL},
	{"ldap_search_base", CFG_STR, "", P(ldap_search_base), 0, 0, RL},
	{"ldap_filter", CFG_STR, "(uid=%u)", P(ldap_filter), 0, 0, RL},
	{"ldap_bind_dn", CFG_STR, "", P(ldap_bind_dn), 0, 0, RL},
	{"ldap_password", CFG_STR, "", P(ldap_password), 0, 0,
	    RL | CFG_F_SECRET},
	{"ldap_auth_method", CFG_STR, "bind", P(ldap_auth_method), 0, 0, RL},
	{"ldap_start_tls", CFG_BOOL, "no", P(ldap_start_tls), 0, 0, RL},
	{"ldap_tls_cacert_file", CFG_STR, "", P(ldap_tls_cacert_file), 0, 0, RL},
	{"ldap_timeout", CFG_TIME, "5s", P(ldap_timeout), 10, 600000, RL},
	{"ldap_scope", CFG_STR, "sub", P(ldap_scope), 0, 0, RL},
	{NULL, CFG_STR, NULL, 0, 0, 0, 0},
};

/* The request deadline, not Postfix's idle time, bounds a mux client. */
const char *const sasl_common_defaults[] = {
	"idle_timeout", "10s",
	"syslog_facility", "auth",
	NULL,
};
