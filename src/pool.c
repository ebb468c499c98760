/*
 * pool.c - the worker pool.
 *
 * Theory of operation.  min(fanout, hosts) threads share one queue: the hosts
 * not yet started, in order, plus the hosts waiting to retry, each with the
 * time it may go again.  A worker takes a due retry first, else the next new
 * host, else sleeps until the earliest retry is due or the queue changes.  A
 * worker holds one host at a time, so at most fanout hosts are in flight; a
 * host in retry-wait holds no worker.  A worker leaves when there is nothing
 * queued and nothing waiting; a host it may still requeue is its own to take.
 * One mutex guards the queue; a host's fields belong to the worker holding it.
 *
 * Fanout is held within the file descriptors the process may open (main
 * raised the soft limit to the hard one): each host in flight needs a few,
 * and a run that asks for more than the limit allows runs with fewer
 * workers, saying so, rather than failing hosts with EMFILE.
 *
 * Rolling runs (--batch): only the hosts of the current batch may be taken
 * new; when every host of it has finished (retries included) and --pause has
 * passed, the next batch opens.  The failure budget (--max-fail), and a batch
 * in which every host failed, stop the run: the worker that sees the stop
 * first takes every host not yet started, and those waiting to retry, and
 * ends them `skipped`; hosts in flight finish.  Both are counted under the
 * queue's mutex, in pool_done, as hosts finish.
 *
 * The limiter and the jump sessions are the process's, not a pool's: the
 * first pool alive sets them up and the last one to end tears them down
 * (pools_enter, pools_leave), so tree mode's root can run its direct hosts'
 * pool beside its gateways' one.
 *
 * The live view keeps the pool open (pool_start with stay_open): workers then
 * wait for more work after the queue runs dry, because the operator may send
 * failed hosts round again (pool_retry), until pool_close.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "attempt.h"
#include "backoff.h"
#include "cancel.h"
#include "jump.h"
#include "limiter.h"
#include "log.h"
#include "output.h"
#include "pool.h"
#include "sudo.h"
#include "wait.h"
#include "xmalloc.h"

#define WORKER_STACK (512 * 1024)
/*
 * Descriptors one host in flight may hold at once: its socket, the two
 * known_hosts memfds of the handshake, and one for an agent socket, a key
 * or a config file being read; -o adds HOST.out and HOST.err.  The rest of
 * the process (stdio, the cancel pipe, the terminal, libssh) keeps under
 * FDS_RESERVED.
 */
#define FDS_PER_HOST 4
#define FDS_RESERVED 32

struct pool {
	const struct pool_params *params;
	struct attempt_job job;
	struct sudo_markers sudo;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;           /* next host never started */
	struct host **waiting; /* hosts in retry-wait */
	size_t nwaiting;
	bool open;         /* more hosts may come through pool_retry */
	size_t batch_end;  /* hosts before it may start; p->n without --batch */
	unsigned batch;    /* the current batch, from 1; 0 without --batch */
	unsigned nbatches; /* 0 without --batch */
	size_t batch_size; /* hosts of the current batch */
	size_t batch_left; /* hosts of the current batch not finished */
	size_t batch_failed;
	double resume_at; /* the next batch may open then (--pause) */
	size_t nfailed;   /* hosts failed for any reason but a cancel */
	long budget;      /* more failures than this stop the run; -1: no budget */
	char *stopped;    /* why the run stopped, or NULL */
	struct worker *workers;
	size_t nworkers;
	unsigned runs; /* the live view: the number of the latest run */
};

/* Pools alive: the first sets up the limiter, the last tears it and the jump sessions down. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned pools_alive;

static void
pools_enter(int fixed, int max)
{
	pthread_mutex_lock(&pools_lock);
	if (pools_alive++ == 0)
		limiter_init(fixed, max);
	pthread_mutex_unlock(&pools_lock);
}

static void
pools_leave(void)
{
	pthread_mutex_lock(&pools_lock);
	if (--pools_alive == 0) {
		/* No target uses a jump session any more. */
		jump_shutdown();
		limiter_free();
	}
	pthread_mutex_unlock(&pools_lock);
}

struct worker {
	struct pool *pool;
	pthread_t thread;
	uint64_t rng;
};

/* The sizes of --batch: batch k (from 0) of hosts n. */
static size_t
batch_size(const struct options *o, size_t k, size_t n)
{
	const struct amount *a = &o->batch[k < o->nbatch ? k : o->nbatch - 1];
	size_t m = a->pct ? ((size_t)a->n * n + 99) / 100 : (size_t)a->n;

	return m < 1 ? 1 : m;
}

unsigned
pool_plan_batches(const struct pool_params *p)
{
	size_t i = 0, k, m;

	if (p->opts->batch == NULL)
		return 0;
	for (k = 0; i < p->n; k++) {
		m = batch_size(p->opts, k, p->n);
		for (; m > 0 && i < p->n; m--)
			p->hosts[i++]->batch = (unsigned)k + 1;
	}
	return (unsigned)k;
}

/* Open the next batch.  Under pl->lock. */
static void
pool_next_batch(struct pool *pl)
{
	const struct pool_params *p = pl->params;

	pl->batch++;
	pl->batch_size = 0;
	while (pl->batch_end < p->n && p->hosts[pl->batch_end]->batch == pl->batch) {
		pl->batch_end++;
		pl->batch_size++;
	}
	pl->batch_left = pl->batch_size;
	pl->batch_failed = 0;
	log_msg(LOG_VERBOSE, "batch %u of %u: %zu host%s", pl->batch, pl->nbatches, pl->batch_size,
	        pl->batch_size == 1 ? "" : "s");
}

/* End the hosts a stop kept from starting.  No lock held: they are ours. */
static void
pool_skip(struct host **v, size_t n, const char *why)
{
	struct outcome out = OUTCOME_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		out.kind = EK_SKIPPED;
		out.error = xstrdup(why);
		host_finish(v[i], out.kind, out.error, wait_now());
		out.error = NULL;
		output_host_done(v[i]);
	}
}

/*
 * Under pl->lock, after a stop: take every host that has not started and
 * every host waiting to retry, to be skipped; returns how many are in *v.
 */
static size_t
pool_take_rest(struct pool *pl, struct host ***v)
{
	const struct pool_params *p = pl->params;
	size_t m = 0;

	*v = xcalloc(p->n - pl->next + pl->nwaiting + 1, sizeof **v);
	if (pl->nwaiting > 0)
		memcpy(*v, pl->waiting, pl->nwaiting * sizeof **v);
	m = pl->nwaiting;
	pl->nwaiting = 0;
	while (pl->next < p->n)
		(*v)[m++] = p->hosts[pl->next++];
	pl->batch_end = p->n;
	return m;
}

static void pool_stop(struct pool *pl, char *why);

/* The next host to attempt, or NULL when this worker is done. */
static struct host *
pool_take(struct pool *pl)
{
	const struct pool_params *p = pl->params;
	struct host *h = NULL, **rest;
	size_t i, best, m;
	double now, wake;

	pthread_mutex_lock(&pl->lock);
	for (;;) {
		if (cancel_requested())
			break;
		/* A gateway drained by its root: the root said why; its hosts' results say it too.
		 */
		if (pl->stopped == NULL && cancel_drain_requested())
			pl->stopped = xstrdup(
			        "stopped: the root's --max-fail was passed on the gateways");
		/* The tree stopped (and said so): the root's direct hosts start no more. */
		if (pl->stopped == NULL && p->stopped != NULL)
			pl->stopped = p->stopped();
		if (pl->stopped != NULL && (pl->next < p->n || pl->nwaiting > 0)) {
			m = pool_take_rest(pl, &rest);
			pthread_mutex_unlock(&pl->lock);
			pool_skip(rest, m, pl->stopped);
			free(rest);
			pthread_mutex_lock(&pl->lock);
			continue;
		}
		now = wait_now();
		best = pl->nwaiting;
		for (i = 0; i < pl->nwaiting; i++) {
			if (best == pl->nwaiting ||
			        pl->waiting[i]->ready_at < pl->waiting[best]->ready_at)
				best = i;
		}
		if (best < pl->nwaiting && pl->waiting[best]->ready_at <= now) {
			h = pl->waiting[best];
			pl->waiting[best] = pl->waiting[--pl->nwaiting];
			break;
		}
		if (pl->next < pl->batch_end) {
			h = p->hosts[pl->next++];
			break;
		}
		wake = best < pl->nwaiting ? pl->waiting[best]->ready_at : -1;
		if (pl->next < p->n && pl->batch_left == 0) {
			/* The batch is over: the next opens once the pause has passed. */
			if (pl->resume_at <= now) {
				pool_next_batch(pl);
				continue;
			}
			if (wake < 0 || pl->resume_at < wake)
				wake = pl->resume_at;
		}
		if (wake < 0 && pl->next >= p->n && !pl->open)
			break;
		if (wake < 0) {
			/* A batch in flight, or open and idle (the view is up): pool_done,
			 * pool_retry or pool_close wakes us. */
			pthread_cond_wait(&pl->cond, &pl->lock);
			continue;
		}
		wait_cond(&pl->cond, &pl->lock, wake);
	}
	pthread_mutex_unlock(&pl->lock);
	return h;
}

static void
pool_requeue(struct pool *pl, struct host *h)
{
	pthread_mutex_lock(&pl->lock);
	pl->waiting = xreallocarray(pl->waiting, pl->nwaiting + 1, sizeof *pl->waiting);
	pl->waiting[pl->nwaiting++] = h;
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

/* h's final state from out (its error moves to h), and its output. */
static void
pool_finish(struct host *h, struct outcome *out)
{
	host_finish(h, out->kind, out->error, wait_now());
	out->error = NULL;
	output_host_done(h);
	log_thread_level(LOG_RUN); /* h's LogLevel decided h's messages only */
}

/* Stop the run: no new host starts.  Under pl->lock. */
static void
pool_stop(struct pool *pl, char *why)
{
	if (pl->stopped != NULL) {
		free(why);
		return;
	}
	pl->stopped = why;
	log_msg(LOG_NORMAL, "%s", why);
}

bool
pool_failure_counts(enum err_kind kind)
{
	return kind != EK_NONE && kind != EK_CANCELLED && kind != EK_SKIPPED;
}

char *
pool_budget_spent(const struct options *o, size_t nfailed)
{
	return xasprintf("stopped: %zu host%s failed, more than --max-fail %d%s", nfailed,
	        nfailed == 1 ? "" : "s", o->max_fail.n, o->max_fail.pct ? "%" : "");
}

char *
pool_batch_failed(
        const struct options *o, unsigned batch, unsigned nbatches, size_t size, size_t failed)
{
	/* Ansible's rule: a batch that failed whole stops the run. */
	if (failed < size || (o->max_fail.pct && o->max_fail.n == 100))
		return NULL;
	return xasprintf("stopped: every host of batch %u of %u failed", batch, nbatches);
}

long
pool_budget(const struct options *o, size_t n)
{
	if (o->max_fail.n < 0)
		return -1;
	return o->max_fail.pct ? (long)((size_t)o->max_fail.n * n / 100) : o->max_fail.n;
}

/*
 * A host has its final state: count it against the budget and its batch,
 * and wake the workers that wait for a batch to end.
 */
static void
pool_done(struct pool *pl, struct host *h, enum err_kind kind)
{
	const struct options *o = pl->params->opts;
	bool failed = pool_failure_counts(kind);

	pthread_mutex_lock(&pl->lock);
	if (failed)
		pl->nfailed++;
	if (failed && pl->budget >= 0 && pl->nfailed > (size_t)pl->budget)
		pool_stop(pl, pool_budget_spent(o, pl->nfailed));
	if (h->batch != 0 && h->batch == pl->batch && pl->batch_left > 0) {
		pl->batch_left--;
		pl->batch_failed += failed;
		if (pl->batch_left == 0) {
			char *why = pool_batch_failed(
			        o, pl->batch, pl->nbatches, pl->batch_size, pl->batch_failed);

			pl->resume_at = wait_now() + o->pause;
			if (why != NULL && pl->batch_end < pl->params->n)
				pool_stop(pl, why);
			else
				free(why);
		}
	}
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

/* One attempt at h; requeues it for a retry or finishes it. */
static void
pool_attempt(struct worker *w, struct host *h)
{
	struct pool *pl = w->pool;
	const struct options *o = pl->params->opts;
	struct outcome out = OUTCOME_INIT;
	enum err_kind kind;
	double delay;
	char at[HOST_ATTEMPT_TEXT];
	unsigned n;

	n = host_attempt_begin(h, wait_now());
	log_msg(LOG_DEBUG, "%s: attempt %s", h->name,
	        host_attempt_text(h, o->retries, at, sizeof at));
	/* libssh's lines of this attempt (-vvv) name the host. */
	log_libssh_thread(h->name);
	attempt_run(&pl->job, h, &out);
	if (outcome_retried(&out) && n <= (unsigned)o->retries && !cancel_requested()) {
		delay = backoff_delay(
		        o->backoff_base, o->backoff_cap, h->attempts - 1, backoff_random(&w->rng));
		host_retry_wait(h, wait_now() + delay, wait_now());
		output_host_retry(h, delay);
		log_thread_level(LOG_RUN);
		outcome_clear(&out);
		pool_requeue(pl, h);
		return;
	}
	kind = out.kind;
	pool_finish(h, &out);
	if (pl->params->finished != NULL)
		pl->params->finished(h);
	pool_done(pl, h, kind);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct host *h;

	while ((h = pool_take(w->pool)) != NULL)
		pool_attempt(w, h);
	return NULL;
}

/* Hosts the run never finished: interrupted before or between attempts. */
static void
pool_cancel_rest(const struct pool_params *p)
{
	struct outcome out = OUTCOME_INIT;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct host *h = p->hosts[i];

		if (h->state == HOST_OK || h->state == HOST_FAILED || h->state == HOST_SKIPPED)
			continue;
		outcome_set(&out, EK_CANCELLED, PHASE_ANY,
		        h->attempts ? "interrupted while waiting to retry"
		                    : "interrupted before start");
		pool_finish(h, &out);
	}
}

/* How many hosts may be in flight within RLIMIT_NOFILE. */
static size_t
fd_fanout_cap(const struct options *o)
{
	struct rlimit rl;
	rlim_t per = FDS_PER_HOST + (o->output_dir != NULL ? 2 : 0);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	if (rl.rlim_cur < FDS_RESERVED + 2 * per)
		return 1;
	return (size_t)((rl.rlim_cur - FDS_RESERVED) / per);
}

struct pool *
pool_start(const struct pool_params *p, bool stay_open)
{
	struct pool *pl = xcalloc(1, sizeof *pl);
	pthread_attr_t attr;
	size_t nworkers, fanout, cap, i;
	int rc;

	pl->params = p;
	pl->open = stay_open;
	pl->runs = 1;
	if (stay_open && p->plan == NULL)
		pl->job.kept = xcalloc(p->n ? p->n : 1, sizeof *pl->job.kept);
	pl->job.opts = p->opts;
	pl->job.plan = p->plan;
	pl->job.cparams.opts = p->opts;
	pl->job.cparams.password = p->password;
	pl->job.cparams.jump = p->opts->jump;
	pl->job.eparams.command = p->opts->command;
	pl->job.eparams.tty = p->opts->tty;
	pl->job.eparams.stdin_data = p->stdin_data;
	pl->job.eparams.stdin_len = p->stdin_len;
	pl->job.eparams.timeout = p->opts->command_timeout;
	pl->job.eparams.drain = p->drain;
	pl->job.eparams.forward_agent = p->opts->forward_agent;
	if (p->opts->sudo) {
		sudo_markers_make(&pl->sudo);
		pl->job.eparams.sudo = &pl->sudo;
		pl->job.eparams.sudo_password = p->password;
	}
	pl->nbatches = pool_plan_batches(p);
	pl->batch_end = p->n;
	if (pl->nbatches > 0) {
		pl->batch_end = 0;
		pool_next_batch(pl);
	}
	pl->budget = pool_budget(p->opts, p->n);
	pthread_mutex_init(&pl->lock, NULL);
	wait_cond_init(&pl->cond);

	fanout = (size_t)p->opts->fanout;
	cap = fd_fanout_cap(p->opts);
	if (fanout > cap && p->n > cap) {
		log_msg(LOG_NORMAL,
		        "fanout %zu lowered to %zu: the open file limit (ulimit -n) allows only "
		        "that many hosts in flight",
		        fanout, cap);
		fanout = cap;
	}
	pools_enter(p->opts->max_startups, (int)fanout);
	nworkers = fanout < p->n ? fanout : p->n;
	pl->workers = xcalloc(nworkers, sizeof *pl->workers);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	for (i = 0; i < nworkers; i++) {
		pl->workers[i].pool = pl;
		pl->workers[i].rng = backoff_seed(i + 1);
		rc = pthread_create(&pl->workers[i].thread, &attr, worker_main, &pl->workers[i]);
		if (rc != 0) {
			if (pl->nworkers == 0)
				fatal("cannot start a worker thread: %s", strerror(rc));
			log_msg(LOG_NORMAL, "could start only %zu of %zu worker threads: %s",
			        pl->nworkers, nworkers, strerror(rc));
			break;
		}
		pl->nworkers++;
	}
	pthread_attr_destroy(&attr);
	return pl;
}

size_t
pool_retry(struct pool *pl, struct host **hosts, size_t n)
{
	size_t i, m = 0;
	double now = wait_now();

	pthread_mutex_lock(&pl->lock);
	/* A stopped run stays stopped: what it skipped is for -H of the --failed list. */
	for (i = 0; i < n && pl->open && pl->stopped == NULL && !cancel_requested(); i++) {
		struct host *h = hosts[i];

		if (!host_retry_round(h, now))
			continue;
		/* Failed again or not, it counts anew. */
		pl->nfailed--;
		if (h->batch != 0 && h->batch == pl->batch) {
			pl->batch_left++;
			pl->batch_failed--;
		}
		pl->waiting = xreallocarray(pl->waiting, pl->nwaiting + 1, sizeof *pl->waiting);
		pl->waiting[pl->nwaiting++] = h;
		m++;
	}
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
	return m;
}

size_t
pool_command(struct pool *pl, struct host **hosts, size_t n, const char *command)
{
	size_t i, m = 0;
	double now = wait_now();

	pthread_mutex_lock(&pl->lock);
	if (!pl->open || pl->job.kept == NULL || cancel_requested())
		goto out;
	pl->runs++;
	for (i = 0; i < n; i++) {
		struct host *h = hosts[i];
		bool done;

		pthread_mutex_lock(&h->lock);
		done = h->state == HOST_OK || h->state == HOST_FAILED;
		pthread_mutex_unlock(&h->lock);
		if (!done)
			continue;
		host_run_begin(h, pl->runs, command, now);
		h->ready_at = now;
		pl->waiting = xreallocarray(pl->waiting, pl->nwaiting + 1, sizeof *pl->waiting);
		pl->waiting[pl->nwaiting++] = h;
		m++;
	}
	if (m == 0)
		pl->runs--;
	pthread_cond_broadcast(&pl->cond);
out:
	pthread_mutex_unlock(&pl->lock);
	return m;
}

/* No more pool_retry: workers leave once the queue is empty. */
static void
pool_close(struct pool *pl)
{
	pthread_mutex_lock(&pl->lock);
	pl->open = false;
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

void
pool_wait(struct pool *pl)
{
	size_t i;

	pool_close(pl);
	for (i = 0; i < pl->nworkers; i++)
		pthread_join(pl->workers[i].thread, NULL);
	pool_cancel_rest(pl->params);
	attempt_release(&pl->job, pl->params->hosts, pl->params->n);
	pools_leave();
	free(pl->workers);
	free(pl->waiting);
	free(pl->stopped);
	pthread_cond_destroy(&pl->cond);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

void
pool_status(struct pool *pl, struct pool_status *st)
{
	pthread_mutex_lock(&pl->lock);
	st->batch = pl->batch;
	st->nbatches = pl->nbatches;
	st->budget_left = -1;
	if (pl->budget >= 0)
		st->budget_left =
		        pl->nfailed > (size_t)pl->budget ? 0 : pl->budget - (long)pl->nfailed;
	snprintf(st->stopped, sizeof st->stopped, "%s", pl->stopped ? pl->stopped : "");
	pthread_mutex_unlock(&pl->lock);
}

void
pool_run(const struct pool_params *p)
{
	pool_wait(pool_start(p, false));
}
