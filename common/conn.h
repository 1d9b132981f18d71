/*
 * conn.h - one client connection on the event loop
 *
 * A conn owns a non-blocking socket, an input buffer and an output buffer,
 * both capped, and an idle timer. The owner gets three events:
 *   CONN_READ    new bytes are in conn_in(), or the peer shut down its side
 *                (conn_peer_eof()); the owner decodes and buf_consume()s.
 *   CONN_FLUSHED the output buffer became empty after a partial write.
 *   CONN_CLOSED  always the last event, delivered once, on the next loop
 *                round after the close (conn_close() by the owner, peer
 *                EOF with nothing to say, I/O error, idle timeout, input
 *                cap hit); conn_close_reason() says why. The owner frees its
 *                own state here; the conn is freed after the callback.
 * After conn_close() the owner must not use the conn except to compare it.
 *
 * Reading stops by itself while the output buffer holds more than half its
 * cap (a client that pipelines without reading replies cannot grow our
 * memory), and while the owner has paused it (conn_pause(): one request at
 * a time, e.g. while a worker thread has it). An input buffer that reaches
 * its cap without the owner consuming it closes the connection
 * (CONN_R_OVERSIZE) — codecs normally catch limits earlier.
 *
 * A conn counts as having served a request from the first time its owner
 * consumes input, queues output, pauses or finishes it (or, after
 * conn_served_explicitly(), calls conn_served()); the listener it belongs
 * to (conn_set_listener()) learns it then.
 *
 * conn_finish() implements the saslauthd close: flush the reply, shut down
 * our side, read and discard until the peer's EOF (libsasl2 wants that),
 * then close.
 *
 * Stopping: conn_drain() ends a connection as soon as it holds no request:
 * at once when nothing is buffered either way and the owner has not paused
 * it; otherwise right after the owner has answered what it holds (the
 * input consumed, nothing paused, the replies flushed). A conn in
 * conn_close_after_flush() already ends by itself; one in conn_finish()
 * closes once its reply is written, without waiting for the peer's EOF
 * (what the peer sent meanwhile is discarded first). A
 * conn_set is the list an owner drains: the daemon skeleton puts every
 * client in one (server_conn()), counts it, and drains it on SIGTERM.
 *
 * Sending: conn_flush(), conn_write() and conn_finish() called from the
 * loop's I/O callbacks (ev_in_io()) queue up to 16 KiB of output and write
 * it when the round's callbacks are done, after the log lines held in them
 * (log.h), before the round's timers; elsewhere, and for more output, they
 * write at once. So a request's log line still precedes its reply, and a
 * round answering several clients writes its log lines with one write. A
 * conn_close() in the same round drops what was queued, as it drops any
 * unsent output.
 */
#ifndef PFH_CONN_H
#define PFH_CONN_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct ev;
struct conn;
struct listener;

enum conn_event { CONN_READ, CONN_FLUSHED, CONN_CLOSED };

enum conn_close_reason {
	CONN_R_NONE,		/* still open */
	CONN_R_LOCAL,		/* conn_close() by the owner */
	CONN_R_EOF,		/* peer closed */
	CONN_R_TIMEOUT,		/* idle timeout */
	CONN_R_ERROR,		/* read or write error */
	CONN_R_OVERSIZE,	/* input cap reached */
	CONN_R_OUTPUT,		/* output cap reached */
	CONN_R_EVICTED,		/* requestless, closed to make room (admit.h) */
};

typedef void conn_fn(struct conn *, enum conn_event, void *ctx);

struct conn_limits {
	size_t	max_in;		/* input buffer cap */
	size_t	max_out;	/* output buffer cap */
	uint64_t idle_ms;	/* 0 = no idle timeout */
};

struct conn *conn_new(struct ev *, int fd, const struct conn_limits *,
	    conn_fn *, void *ctx);
struct buf *conn_in(struct conn *);
int	conn_peer_eof(const struct conn *);
/* conn_write - queue bytes and try to send now; -1 (and close) over the cap */
int	conn_write(struct conn *, const void *, size_t);
/* conn_out - the output buffer, for encoders; call conn_flush() after */
struct buf *conn_out(struct conn *);
void	conn_flush(struct conn *);
size_t	conn_out_pending(const struct conn *);
void	conn_pause(struct conn *);
void	conn_resume(struct conn *);
void	conn_close(struct conn *);
/* conn_close_after_flush - stop reading, close when the output is written */
void	conn_close_after_flush(struct conn *);
void	conn_finish(struct conn *);
int	conn_is_closed(const struct conn *);
enum conn_close_reason conn_close_reason(const struct conn *);
const char *conn_close_reason_str(enum conn_close_reason);
void	conn_set_idle(struct conn *, uint64_t idle_ms);
int	conn_fd(const struct conn *);
/* conn_peer - "unix" or "ADDR:PORT", for logs */
const char *conn_peer(const struct conn *);
void	conn_set_peer(struct conn *, const char *);
void	conn_set_ctx(struct conn *, conn_fn *, void *ctx);
/*
 * conn_set_listener - from the accept callback: count this conn against
 * the listener (listener_adopt()), which is told when it serves its first
 * request and when it is freed, and may close it while it has served none
 * (CONN_R_TIMEOUT at first_request_timeout, CONN_R_EVICTED to make room).
 */
void	conn_set_listener(struct conn *, struct listener *);
/* conn_served - say a request was taken, when the conn cannot tell */
void	conn_served(struct conn *);
/*
 * conn_served_explicitly - from the accept callback, for a protocol whose
 * server speaks first and whose client owes a handshake before its first
 * request (Dovecot's auth protocol): from now on only conn_served() ends
 * the requestless time, so neither the greeting queued nor a handshake
 * line consumed lets a silent client past first_request_timeout.
 */
void	conn_served_explicitly(struct conn *);
/* conn_count - connections currently alive in this process */
unsigned long conn_count(void);
/* conn_drain - close once no request is in hand (see above) */
void	conn_drain(struct conn *);

/*
 * A set of conns, each in at most one. A conn leaves its set when it is
 * freed (after its CLOSED event), so conn_set_count() counts the ones not
 * yet gone. Loop thread only.
 */
struct conn_set;
struct conn_set *conn_set_new(void);
/* conn_set_free - the set must be empty (its conns gone) or they leave it */
void	conn_set_free(struct conn_set *);
void	conn_set_add(struct conn_set *, struct conn *);
unsigned conn_set_count(const struct conn_set *);
/* conn_set_drain - conn_drain() every member */
void	conn_set_drain(struct conn_set *);

#endif /* PFH_CONN_H */
