/*
 * sasl_fake.h - drive saslauthd-lite's session state machine in a unit
 * test: a fake clock, fake backends, and the daemon pieces the session
 * calls (server_ev, server_conn, the decision log)
 *
 * Contract:
 *   - fake_cfg() is the configuration the session will read; a test sets
 *     what it needs between fake_setup() (the daemon's defaults, throttle
 *     off, no cache) and fake_start().
 *   - fake_start(n) builds a struct sasl_ctx on a real event loop whose
 *     clock is fake (ev_set_clock(): FAKE_T0 at the start, moved only by
 *     fake_advance()), a real worker pool (workers, max_queue) and real
 *     throttle tables, and a chain of n fake backends, "fake1"...
 *   - Each backend call (verify() on a worker) is recorded in start order.
 *     In FAKE_AUTO mode a backend answers at once, by the password:
 *     "ok..." OK, "temp..." a temporary failure, "unknown..." no (unknown
 *     user), anything else no (wrong password), the no answers with the
 *     backend's fail_delay_ms. In FAKE_HOLD mode the worker waits until
 *     fake_answer() says what call i answers, or forever: fake_stop()
 *     answers every held call with a temporary failure before it joins
 *     the workers, and frees everything.
 *   - fake_advance(ms) moves the clock and runs the loop: timers due by
 *     then fire. Real time only bounds the waits for worker threads
 *     (FAKE_REAL_WAIT_MS): a wait that runs out fails the test, saying
 *     what it waited for and where the fake clock stood.
 *   - Clients: fake_connect() hands one end of a socketpair to
 *     sasl_session_accept(); fake_reply() says whether a reply has come
 *     (NULL not yet), fake_wait_reply() waits for it. Every client is
 *     closed by fake_stop().
 *   - Every decision the session logs is recorded (sasl_log_decision()).
 * One fake daemon at a time; loop thread (the test's) only, except
 * verify(), which runs on the workers.
 */
#ifndef SASL_FAKE_H
#define SASL_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "saslauthd.h"

#define FAKE_T0			1000000	/* ms, where the fake clock starts */
#define FAKE_REAL_WAIT_MS	5000	/* bound on waiting for a worker */
#define FAKE_MAX_CALLS		64
#define FAKE_MAX_CLIENTS	64

enum fake_mode { FAKE_AUTO, FAKE_HOLD };

struct fake_call {
	unsigned backend;		/* 0 = fake1 */
	char	 login[AUTH_LOGIN_MAX];
	char	 realm[SASL_FIELD_MAX + 1];
	char	 service[SASL_FIELD_MAX + 1];
	char	 rhost[SASL_FIELD_MAX + 1];
	uint64_t at;			/* fake clock when it started */
};

struct fake_decision {
	char	 result[8];		/* "OK" or "NO" */
	char	 user[AUTH_LOGIN_MAX];
	char	 backend[32];
	char	 reason[192];
	bool	 cached;
	uint64_t throttled_ms;
	uint64_t at;			/* fake clock when it was logged */
};

struct fake_client;

void	fake_setup(void);
struct sasl_cfg *fake_cfg(void);
void	fake_start(unsigned nbackends);
void	fake_stop(void);
struct sasl_ctx *fake_ctx(void);

/* fake_backend - mode and failure delay of backend i (0 = fake1) */
void	fake_backend(unsigned i, enum fake_mode, unsigned fail_delay_ms);
/* fake_calls - backend calls started so far */
unsigned fake_calls(void);
const struct fake_call *fake_call(unsigned i);
/* fake_wait_calls - wait until n calls have started */
void	fake_wait_calls(unsigned n);
/* fake_answer - held call i answers this */
void	fake_answer(unsigned i, enum auth_result, bool unknown_user,
	    unsigned fail_delay_ms);

/* fake_now - the fake clock */
uint64_t fake_now(void);
/* fake_elapsed - ms since FAKE_T0 */
uint64_t fake_elapsed(void);
/* fake_advance - move the clock by ms, fire what is due */
void	fake_advance(uint64_t ms);
/* fake_pump - a few loop rounds without moving the clock */
void	fake_pump(void);

struct fake_client *fake_connect(void);
/* fake_write - bytes of a request, as sent */
void	fake_write(struct fake_client *, const void *, size_t);
/* fake_request - encode a 4-field (client NULL) or 5-field request */
size_t	fake_request(char *out, size_t outlen, const char *login,
	    const char *password, const char *service, const char *realm,
	    const char *client);
/* fake_send - connect and send a whole request */
struct fake_client *fake_send(const char *login, const char *password,
	    const char *service, const char *realm, const char *client);
const char *fake_reply(struct fake_client *);
const char *fake_wait_reply(struct fake_client *);

/* fake_wait_idle - until the pool has nothing queued or running */
void	fake_wait_idle(void);

unsigned fake_ndecisions(void);
/* fake_wait_decisions - until n decisions are logged */
void	fake_wait_decisions(unsigned n);
const struct fake_decision *fake_decision(unsigned i);
/* fake_last_decision - the last one for this user (must exist) */
const struct fake_decision *fake_last_decision(const char *user);

#endif /* SASL_FAKE_H */
