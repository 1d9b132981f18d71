/*
 * sasl_request.h - one password check, from the decoded request to the
 * decision, whichever protocol brought it (mux or Dovecot)
 *
 * Contract:
 *   sasl_req_new()   counts the request, notes the cache generation and
 *                    copies login, realm, service, password and client
 *                    address out of the caller's buffers (the caller
 *                    wipes its own copy of the password right after);
 *                    never answers.
 *   sasl_req_run()   the pipeline:
 *     policy  an embedded NUL, an empty login or password, or a login the
 *             realm policy (realm.h) makes too long answers at once, in
 *             Cyrus's words. Each backend says which user it will verify
 *             (auth_mech identity): those names, exactly as the backends
 *             get them, are the throttle's login keys and the cache key.
 *     delay   failure throttling per login and per client address: a
 *             loop timer first, or refused at once, unchecked, "NO
 *             temporary failure", past throttle_max_delay (throttle.h).
 *             In flight from here to the decision (or the cancel).
 *     cache   a cached answer goes back at once (auth_cache.h).
 *     chain   each backend call is a job on the worker pool with its own
 *             deadline (backend_timeout); when it fires first the answer
 *             is a temporary failure and the job is orphaned (its done()
 *             frees it). A full queue answers at once.
 *     decide  throttle and cache bookkeeping, the decision log line
 *             (sasl_log_decision), then any PAM failure delay as a timer.
 *   done()  is called exactly once per run request, on the loop thread,
 *           possibly from inside sasl_req_run(); the request is freed
 *           when done() returns, so the caller forgets it there.
 *           ans->result is OK, a definite no (AUTH_FAIL) or a temporary
 *           failure (AUTH_TEMPFAIL: backend down, timeout, queue full,
 *           throttle refusal); ans->wire is the mux protocol's reply
 *           ("OK", "NO authentication failed", ...), ans->reason the
 *           decision log's reason (NULL for OK); ans->refused marks a
 *           throttle refusal (the Dovecot session holds its answer). Reasons never tell an
 *           unknown user from a wrong password.
 *   sasl_req_cancel() the client went away: no answer, no log line; the
 *           password copy is wiped, the job orphaned, the throttle slots
 *           released. Also for a request never run.
 * ctx->active counts requests from sasl_req_run() to their done() or
 * cancel (the status page's in_progress).
 * The password lives in the request (wiped at the decision) and in each
 * job (wiped by the worker when the backend answers). Never logged.
 */
#ifndef SASL_REQUEST_H
#define SASL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

struct sasl_ctx;
struct sasl_req;

/* What a protocol decoded: lengths, not NUL-terminated, NULs possible. */
struct sasl_req_in {
	const char *login, *realm, *service, *password;
	size_t	 login_len, realm_len, service_len, pwlen;
	const char *client;		/* parsed address, "" unknown */
};

struct sasl_req_answer {
	enum auth_result result;
	const char *wire;		/* the mux reply */
	const char *reason;		/* NULL for OK */
	bool	 refused;		/* a throttle refusal, unchecked */
};

typedef void sasl_req_done_fn(void *arg, const struct sasl_req_answer *);

struct sasl_req *sasl_req_new(struct sasl_ctx *, const struct sasl_req_in *,
	    sasl_req_done_fn *done, void *arg);
void	sasl_req_run(struct sasl_req *);
void	sasl_req_cancel(struct sasl_req *);

#endif /* SASL_REQUEST_H */
