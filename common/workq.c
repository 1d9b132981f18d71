/*
 * workq.c - worker threads for blocking work, completions back on the loop
 */
#include "sysdep.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "workq.h"
#include "xalloc.h"

struct workq_job {
	workq_fn *work, *done;
	void	*job;
	struct workq_job *next;
};

struct workq {
	struct ev *ev;
	int	 efd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workq_job *qhead, *qtail;	/* waiting */
	struct workq_job *dhead, *dtail;	/* finished, done() pending */
	unsigned nqueued, nrunning, max_queue, nthreads;
	int	 quit;
	pthread_t *threads;
};

static void *
worker_main(void *arg)
{
	struct workq *wq = arg;

	pthread_mutex_lock(&wq->mu);
	for (;;) {
		struct workq_job *j;
		uint64_t one = 1;

		while (wq->qhead == NULL && !wq->quit)
			pthread_cond_wait(&wq->cv, &wq->mu);
		if (wq->qhead == NULL)
			break;
		j = wq->qhead;
		if ((wq->qhead = j->next) == NULL)
			wq->qtail = NULL;
		wq->nqueued--;
		wq->nrunning++;
		pthread_mutex_unlock(&wq->mu);

		j->work(j->job);

		pthread_mutex_lock(&wq->mu);
		wq->nrunning--;
		j->next = NULL;
		if (wq->dtail)
			wq->dtail->next = j;
		else
			wq->dhead = j;
		wq->dtail = j;
		/* wake the loop; a full counter just means it is already awake */
		(void)write(wq->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&wq->mu);
	return NULL;
}

static void
run_done(struct workq *wq)
{
	struct workq_job *list, *j;

	pthread_mutex_lock(&wq->mu);
	list = wq->dhead;
	wq->dhead = wq->dtail = NULL;
	pthread_mutex_unlock(&wq->mu);
	while ((j = list) != NULL) {
		list = j->next;
		j->done(j->job);
		free(j);
	}
}

static void
efd_ready(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct workq *wq = ctx;
	uint64_t n;

	(void)read(fd, &n, sizeof(n));
	run_done(wq);
}

/* workq_new - start nthreads workers */
struct workq *
workq_new(struct ev *ev, unsigned nthreads, unsigned max_queue)
{
	struct workq *wq = xcalloc(1, sizeof(*wq));
	unsigned i;

	wq->ev = ev;
	wq->max_queue = max_queue;
	wq->nthreads = nthreads ? nthreads : 1;
	if ((wq->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		log_fatal("eventfd: %m");
	pthread_mutex_init(&wq->mu, NULL);
	pthread_cond_init(&wq->cv, NULL);
	if (ev_fd_add(ev, wq->efd, EV_READ, efd_ready, wq) < 0)
		log_fatal("workq: ev_fd_add: %m");
	wq->threads = xcalloc(wq->nthreads, sizeof(*wq->threads));
	for (i = 0; i < wq->nthreads; i++) {
		int e = pthread_create(&wq->threads[i], NULL, worker_main, wq);

		if (e != 0) {
			errno = e;
			log_fatal("pthread_create: %m");
		}
	}
	return wq;
}

/* workq_submit - queue a job, or -1 when the queue is full */
int
workq_submit(struct workq *wq, workq_fn *work, workq_fn *done, void *job)
{
	struct workq_job *j;

	pthread_mutex_lock(&wq->mu);
	if (wq->quit || (wq->max_queue && wq->nqueued >= wq->max_queue)) {
		pthread_mutex_unlock(&wq->mu);
		return -1;
	}
	j = xmalloc(sizeof(*j));
	j->work = work;
	j->done = done;
	j->job = job;
	j->next = NULL;
	if (wq->qtail)
		wq->qtail->next = j;
	else
		wq->qhead = j;
	wq->qtail = j;
	wq->nqueued++;
	pthread_cond_signal(&wq->cv);
	pthread_mutex_unlock(&wq->mu);
	return 0;
}

/* workq_free - finish everything, then stop the threads */
void
workq_free(struct workq *wq)
{
	unsigned i;

	if (wq == NULL)
		return;
	pthread_mutex_lock(&wq->mu);
	wq->quit = 1;
	pthread_cond_broadcast(&wq->cv);
	pthread_mutex_unlock(&wq->mu);
	for (i = 0; i < wq->nthreads; i++)
		pthread_join(wq->threads[i], NULL);
	run_done(wq);
	ev_fd_del(wq->ev, wq->efd);
	close(wq->efd);
	pthread_mutex_destroy(&wq->mu);
	pthread_cond_destroy(&wq->cv);
	free(wq->threads);
	free(wq);
}

/* workq_queued - jobs waiting for a thread */
unsigned
workq_queued(struct workq *wq)
{
	unsigned n;

	pthread_mutex_lock(&wq->mu);
	n = wq->nqueued;
	pthread_mutex_unlock(&wq->mu);
	return n;
}

/* workq_running - jobs on a thread */
unsigned
workq_running(struct workq *wq)
{
	unsigned n;

	pthread_mutex_lock(&wq->mu);
	n = wq->nrunning;
	pthread_mutex_unlock(&wq->mu);
	return n;
}

/* workq_threads - pool size */
unsigned
workq_threads(const struct workq *wq)
{
	return wq->nthreads;
}
