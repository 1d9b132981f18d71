/*
 * ev.h - single-threaded epoll event loop with timers
 *
 * Contract:
 *   - One loop per daemon; only the loop thread calls these functions.
 *   - ev_fd_add() registers a (callback, context) pair for a file
 *     descriptor; ev_fd_mod() changes the interest set (EV_READ|EV_WRITE,
 *     0 = paused); ev_fd_del() unregisters it. A callback may delete any
 *     fd, its own included: events already fetched for a deleted fd are
 *     dropped, even if the fd number is reused in the same round.
 *   - ev_fd_close() is ev_fd_del() and close() in one system call, for a
 *     descriptor nobody else holds (no dup(), no fork() child yet to exec):
 *     while another reference lives, the kernel keeps the registration and
 *     reports its events, which the generation check then drops.
 *   - Timers fire once, in deadline order, on or after their deadline.
 *     ev_timer_cancel() may be called on any pending timer, also from
 *     inside another timer's callback; a timer's handle is dead once its
 *     callback has started (cancelling it there is a harmless no-op).
 *   - ev_defer() runs a callback after the current round of events (a
 *     0 ms timer): the way to free objects whose callbacks are on the stack.
 *   - ev_in_io() is true while ev_run_once() calls the I/O callbacks of a
 *     round; around them the thread holds its log_info_held() lines
 *     (log.h), written as one when the last callback returned, before the
 *     timers and ev_defer() callbacks run (where conn.c writes the
 *     replies queued in the callbacks).
 *   - ev_now() is the loop's cached monotonic clock in milliseconds,
 *     refreshed after every epoll_wait(). ev_set_clock() lets a test
 *     supply that clock (a fake it advances by hand): ev_now() and every
 *     timer deadline then follow it, read at the same points; epoll_wait()
 *     still waits in real time, so a test passes a timeout of 0 (or a
 *     short one while it waits for a worker thread) to ev_run_once().
 */
#ifndef PFH_EV_H
#define PFH_EV_H

#include <stdint.h>
#include <sys/epoll.h>

#define EV_READ		EPOLLIN
#define EV_WRITE	EPOLLOUT

struct ev;
struct ev_timer;

typedef void ev_fd_fn(struct ev *, int fd, uint32_t events, void *ctx);
typedef void ev_timer_fn(struct ev *, void *ctx);
typedef uint64_t ev_clock_fn(void *ctx);

struct ev *ev_new(void);
void	ev_free(struct ev *);
int	ev_fd_add(struct ev *, int fd, uint32_t events, ev_fd_fn *, void *ctx);
int	ev_fd_mod(struct ev *, int fd, uint32_t events);
void	ev_fd_del(struct ev *, int fd);
int	ev_fd_close(struct ev *, int fd);
struct ev_timer *ev_timer_add(struct ev *, uint64_t delay_ms, ev_timer_fn *, void *ctx);
void	ev_timer_cancel(struct ev *, struct ev_timer *);
/* ev_timer_deadline - when the timer fires, on the ev_now() clock */
uint64_t ev_timer_deadline(const struct ev_timer *);
void	ev_defer(struct ev *, ev_timer_fn *, void *ctx);
int	ev_in_io(const struct ev *);
uint64_t ev_now(struct ev *);
/* ev_run - dispatch until ev_stop(); 0, or -1 if epoll_wait failed */
int	ev_run(struct ev *);
/* ev_run_once - one round, waiting at most timeout_ms (-1 = until an event or timer) */
int	ev_run_once(struct ev *, int timeout_ms);
void	ev_stop(struct ev *);
/* ev_set_clock - ev_now() reads fn(ctx) from now on; NULL: the real clock */
void	ev_set_clock(struct ev *, ev_clock_fn *, void *ctx);
/* ev_monotonic_ms - the clock ev_now() caches */
uint64_t ev_monotonic_ms(void);

#endif /* PFH_EV_H */
