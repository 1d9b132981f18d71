/*
 * test_workq.c - worker pool: every job runs once on a worker thread, its
 * done() runs on the loop thread, the queue bound refuses overflow.
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "workq.h"

struct job {
	int	 input, output;
	pthread_t ran_on;
	int	 done_on_loop;
	atomic_int *gate;	/* workers wait while *gate == 0 */
	int	*ndone;
};

static pthread_t loop_thread;

static void
work(void *p)
{
	struct job *j = p;

	while (j->gate && atomic_load(j->gate) == 0)
		usleep(1000);
	j->ran_on = pthread_self();
	j->output = j->input * 2;
}

static void
done(void *p)
{
	struct job *j = p;

	j->done_on_loop = pthread_equal(pthread_self(), loop_thread);
	(*j->ndone)++;
}

static void
test_jobs_complete_on_loop(void **state)
{
	struct ev *ev = ev_new();
	struct workq *wq = workq_new(ev, 3, 0);
	struct job jobs[50];
	int i, ndone = 0;

	(void)state;
	loop_thread = pthread_self();
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 50; i++) {
		jobs[i].input = i;
		jobs[i].ndone = &ndone;
		assert_int_equal(workq_submit(wq, work, done, &jobs[i]), 0);
	}
	while (ndone < 50)
		ev_run_once(ev, 100);
	for (i = 0; i < 50; i++) {
		assert_int_equal(jobs[i].output, 2 * i);
		assert_true(jobs[i].done_on_loop);
		assert_false(pthread_equal(jobs[i].ran_on, loop_thread));
	}
	workq_free(wq);
	ev_free(ev);
}

static void
test_queue_bound(void **state)
{
	struct ev *ev = ev_new();
	struct workq *wq = workq_new(ev, 1, 2);
	atomic_int gate = 0;
	struct job jobs[4];
	int i, ndone = 0;

	(void)state;
	loop_thread = pthread_self();
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 4; i++) {
		jobs[i].gate = &gate;
		jobs[i].ndone = &ndone;
	}
	/* one running (blocked on the gate), two queued, the fourth refused */
	assert_int_equal(workq_submit(wq, work, done, &jobs[0]), 0);
	while (workq_running(wq) == 0)
		usleep(1000);
	assert_int_equal(workq_submit(wq, work, done, &jobs[1]), 0);
	assert_int_equal(workq_submit(wq, work, done, &jobs[2]), 0);
	assert_int_equal(workq_queued(wq), 2);
	assert_int_equal(workq_submit(wq, work, done, &jobs[3]), -1);
	atomic_store(&gate, 1);
	while (ndone < 3)
		ev_run_once(ev, 100);
	assert_int_equal(workq_queued(wq), 0);
	/* room again */
	assert_int_equal(workq_submit(wq, work, done, &jobs[3]), 0);
	workq_free(wq);			/* finishes the last job and runs its done() */
	assert_int_equal(ndone, 4);
	ev_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs_complete_on_loop),
		cmocka_unit_test(test_queue_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
