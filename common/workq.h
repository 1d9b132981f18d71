/*
 * workq.h - worker threads for blocking work (PAM, crypt), results on the loop
 *
 * Contract: workq_submit() queues a job; a worker thread runs
 * work(job); then done(job) runs on the loop thread (woken through an
 * eventfd). Jobs start in submission order. The queue is bounded: when
 * max_queue jobs are waiting (not yet started), workq_submit() returns -1
 * at once and the caller answers a temporary failure. A job belongs to the
 * worker from submit until done() is called; work() must touch only its
 * job (and atomics). workq_free() lets queued and running jobs finish,
 * runs their done() callbacks, then joins the threads.
 * Block SIGHUP/SIGTERM/SIGINT before workq_new() so only the loop thread
 * takes signals (server.c does).
 */
#ifndef PFH_WORKQ_H
#define PFH_WORKQ_H

struct ev;
struct workq;

typedef void workq_fn(void *job);

struct workq *workq_new(struct ev *, unsigned nthreads, unsigned max_queue);
int	workq_submit(struct workq *, workq_fn *work, workq_fn *done, void *job);
void	workq_free(struct workq *);
unsigned workq_queued(struct workq *);	/* waiting to start */
unsigned workq_running(struct workq *);	/* on a thread now */
unsigned workq_threads(const struct workq *);

#endif /* PFH_WORKQ_H */
