/*
 * dovecot_session.h - one connection on the Dovecot auth socket
 * (dovecot_listen), served as Postfix's smtpd speaks the protocol
 * (smtpd_sasl_type = dovecot; lines in dovecot_proto.h)
 *
 * Contract:
 *   handshake  on accept we send VERSION 1 2, MECH PLAIN and MECH LOGIN
 *              (each flagged plaintext: nothing else works with hashed
 *              passwords), SPID, CUID, COOKIE (32 random hex digits) and
 *              DONE. The client's first line must be VERSION with major
 *              1, then CPID; anything else before that disconnects.
 *              Until both are in, the connection counts as requestless
 *              (conn_served_explicitly()): first_request_timeout closes a
 *              client that stays silent, and max_new_connections_per_peer
 *              and a full listener may close it to make room.
 *   requests   AUTH <id> PLAIN|LOGIN with service=, optional resp=, and
 *              rip=/lip=/secured; CONT <id> <base64>; CANCEL <id> (a
 *              check in flight is dropped, unanswered). Many
 *              per connection, several in flight, each by its id; the
 *              connection persists once handshaken (no idle timeout:
 *              Postfix keeps one per smtpd process, as with Dovecot, and
 *              reconnects only when its write of an AUTH fails, so our
 *              close racing its next AUTH would fail that SMTP AUTH).
 *   mechanisms PLAIN: "authzid NUL authcid NUL password", authzid empty or
 *              equal to authcid; an empty PLAIN answer gets CONT <id> with
 *              an empty challenge. LOGIN: CONT with "Username:" then
 *              "Password:" (an initial response is the user name).
 *   policy     without `secured`, PLAIN and LOGIN are refused unless rip=
 *              is a loopback address or dovecot_allow_unsecured = yes.
 *              rip= is the client for the throttle, PAM_RHOST and the
 *              decision log; service= is the PAM service. The check is
 *              the mux's (sasl_request.h): same backends, cache, throttle.
 *   answers    OK <id> user=<name>; FAIL <id> [user=<name>] [temp]
 *              [reason=...]; temp for a temporary failure (backend down,
 *              timeout, throttle refusal). A throttle refusal's FAIL is
 *              held for throttle_delay (reading stays paused meanwhile),
 *              as Dovecot's auth penalty holds a failure; the mux answers
 *              its refusals at once.
 *   bad input  FAIL <id> with a reason for what concerns one request
 *              (invalid base64, a malformed PLAIN answer, an authzid of
 *              someone else, a control character in the user name, a CONT
 *              for an unknown id); a log line and a disconnect for a
 *              broken protocol (unknown command or mechanism, malformed
 *              line, a line over DOVECOT_MAX_LINE, a duplicate id, a NUL
 *              byte in a line, a service= over 256 bytes), as Dovecot
 *              does. Never OK without a
 *              backend's OK. A refusal that keeps the connection is
 *              logged at most 16 times a minute per connection; the rest
 *              are counted, the count logged with the next line after the
 *              minute or at the close (one write must not flood syslog).
 *   reading    pauses while checks are in flight (requests that arrived
 *              together run together; a later line waits for them), so a
 *              SIGTERM drain lets every answer go out before the close.
 * Passwords pass through the connection's input buffer (each line wiped
 * once handled) and the decoded responses (wiped); never logged.
 */
#ifndef DOVECOT_SESSION_H
#define DOVECOT_SESSION_H

struct listener;

void	dovecot_session_accept(struct listener *, int fd, const char *peer,
	    void *ctx);

#endif /* DOVECOT_SESSION_H */
