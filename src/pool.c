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
 * The live view keeps the pool open (pool_start with stay_open): workers then
 * wait for more work after the queue runs dry, because the operator may send
 * failed hosts round again (pool_retry), until pool_close.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "backoff.h"
#include "cancel.h"
#include "connect.h"
#include "exec.h"
#include "keeper.h"
#include "limiter.h"
#include "log.h"
#include "mux.h"
#include "output.h"
#include "pool.h"
#include "transfer.h"
#include "xmalloc.h"

#define WORKER_STACK (512 * 1024)

struct pool {
	const struct pool_params *params;
	struct connect_params cparams;
	struct exec_params eparams;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;           /* next host never started */
	struct host **waiting; /* hosts in retry-wait */
	size_t nwaiting;
	bool open; /* more hosts may come through pool_retry */
	struct worker *workers;
	size_t nworkers;
	/*
	 * The live view: each host's session, kept after its command for the
	 * next `:` (by host index; only the worker holding the host touches its
	 * slot), and the number of the latest run.
	 */
	struct conn **kept;
	unsigned runs;
};

struct worker {
	struct pool *pool;
	pthread_t thread;
	uint64_t rng;
};

static void
abs_deadline(struct timespec *ts, double mono_deadline)
{
	double left = mono_deadline - host_now();

	if (left < 0)
		left = 0;
	if (left > 0.1)
		left = 0.1; /* look at the cancel flag now and then */
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)left;
	ts->tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The next host to attempt, or NULL when this worker is done. */
static struct host *
pool_take(struct pool *pl)
{
	const struct pool_params *p = pl->params;
	struct host *h = NULL;
	struct timespec ts;
	size_t i, best;
	double now;

	pthread_mutex_lock(&pl->lock);
	for (;;) {
		if (cancel_requested())
			break;
		now = host_now();
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
		if (pl->next < p->n) {
			h = p->hosts[pl->next++];
			break;
		}
		if (pl->nwaiting == 0 && !pl->open)
			break;
		if (pl->nwaiting == 0) {
			/* Open and idle (the view is up): pool_retry or pool_close wakes us. */
			pthread_cond_wait(&pl->cond, &pl->lock);
			continue;
		}
		abs_deadline(&ts, pl->waiting[best]->ready_at);
		pthread_cond_timedwait(&pl->cond, &pl->lock, &ts);
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
	host_finish(h, out->kind, out->error, host_now());
	out->error = NULL;
	output_host_done(h);
}

/*
 * After a command ran: with the view up the session waits for its next `:`
 * (true), else a keeper may take it (--persist).  Else the caller closes it.
 */
static bool
pool_keep(struct pool *pl, struct conn *c, struct host *h, double again)
{
	struct conn *kc;

	if (pl->kept == NULL)
		return keeper_hold(c, h, pl->params->opts, again);
	kc = xmalloc(sizeof *kc);
	*kc = *c;
	/* libssh holds a pointer to the callbacks: to the copy that stays. */
	ssh_set_callbacks(kc->session, &kc->callbacks);
	pl->kept[h->index] = kc;
	return true;
}

/*
 * Whether the server closed a kept session (its socket reads EOF): nothing
 * is started on it then, and the host connects afresh.  Data waiting (a
 * keepalive, a late close) is no sign either way: it counts as open.
 */
static bool
kept_closed(struct conn *kc)
{
	int fd = ssh_get_fd(kc->session);
	char b;

	return !ssh_is_connected(kc->session) || fd < 0 ||
	       recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* The next `:` command on the session h kept. */
static void
pool_rerun(struct pool *pl, struct host *h, struct conn *kc, const struct exec_params *ep)
{
	struct outcome out = {EK_NONE, PHASE_ANY, NULL};

	pl->kept[h->index] = NULL;
	output_host_start(h);
	if (exec_run(kc, h, ep, &out) != 0 || !pool_keep(pl, kc, h, 0))
		connect_close(kc);
	free(kc);
	host_attempt_end(h, out.kind, out.phase, out.error, host_now());
	pool_finish(h, &out);
}

/* One attempt at h; requeues it for a retry or finishes it. */
static void
pool_attempt(struct worker *w, struct host *h)
{
	struct pool *pl = w->pool;
	const struct options *o = pl->params->opts;
	struct outcome out = {EK_NONE, PHASE_ANY, NULL};
	const struct exec_params *ep = &pl->eparams;
	struct exec_params rp;
	struct conn c;
	double delay, again = 0;
	char at[HOST_ATTEMPT_TEXT];
	unsigned n;

	n = host_attempt_begin(h, host_now());
	log_msg(LOG_DEBUG, "%s: attempt %s", h->name,
	        host_attempt_text(h, o->retries, at, sizeof at));
	/* libssh's lines of this attempt (-vvv) name the host. */
	log_libssh_thread(h->name);
	if (h->run_command != NULL) {
		/* A `:` command of the view: no stdin (it went to the first). */
		rp = pl->eparams;
		rp.command = h->run_command;
		rp.stdin_data = NULL;
		rp.stdin_len = 0;
		ep = &rp;
	}
	if (pl->kept != NULL && pl->kept[h->index] != NULL) {
		if (!kept_closed(pl->kept[h->index])) {
			pool_rerun(pl, h, pl->kept[h->index], ep);
			return;
		}
		log_msg(LOG_VERBOSE, "%s: the server closed the session kept open; connecting",
		        h->name);
		connect_close(pl->kept[h->index]);
		free(pl->kept[h->index]);
		pl->kept[h->index] = NULL;
	}

	/* Warm runs: a keeper's session first; nothing started there means connect afresh. */
	if (pl->params->plan == NULL && mux_run(h, o, ep, &out, &again) != MUX_NOT_HELD) {
		host_attempt_end(h, out.kind, out.phase, out.error, host_now());
		pool_finish(h, &out);
		return;
	}
	if (connect_host(&c, h, &pl->cparams, &out) == 0) {
		int rc;

		output_host_start(h);
		if (pl->params->plan != NULL)
			rc = transfer_run(&c, h, pl->params->plan, &out);
		else
			rc = exec_run(&c, h, ep, &out);
		if (rc != 0 || !pool_keep(pl, &c, h, again))
			connect_close(&c);
		host_attempt_end(h, out.kind, out.phase, out.error, host_now());
		pool_finish(h, &out);
		return;
	}
	host_attempt_end(h, out.kind, out.phase, out.error, host_now());
	if (errkind_info(out.kind)->retried && n <= (unsigned)o->retries && !cancel_requested()) {
		delay = backoff_delay(
		        o->backoff_base, o->backoff_cap, h->attempts - 1, backoff_random(&w->rng));
		host_retry_wait(h, host_now() + delay, host_now());
		output_host_retry(h, delay);
		outcome_clear(&out);
		pool_requeue(pl, h);
		return;
	}
	pool_finish(h, &out);
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
	struct outcome out = {EK_NONE, PHASE_ANY, NULL};
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct host *h = p->hosts[i];

		if (h->state == HOST_OK || h->state == HOST_FAILED)
			continue;
		outcome_set(&out, EK_CANCELLED, PHASE_ANY,
		        h->attempts ? "interrupted while waiting to retry"
		                    : "interrupted before start");
		pool_finish(h, &out);
	}
}

struct pool *
pool_start(const struct pool_params *p, bool stay_open)
{
	struct pool *pl = xcalloc(1, sizeof *pl);
	pthread_attr_t attr;
	pthread_condattr_t cattr;
	size_t nworkers, i;
	int rc;

	pl->params = p;
	pl->open = stay_open;
	pl->runs = 1;
	if (stay_open && p->plan == NULL)
		pl->kept = xcalloc(p->n ? p->n : 1, sizeof *pl->kept);
	pl->cparams.opts = p->opts;
	pl->cparams.password = p->password;
	pl->eparams.command = p->opts->command;
	pl->eparams.tty = p->opts->tty;
	pl->eparams.stdin_data = p->stdin_data;
	pl->eparams.stdin_len = p->stdin_len;
	pl->eparams.timeout = p->opts->command_timeout;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&pl->cond, &cattr);
	pthread_condattr_destroy(&cattr);

	limiter_init(p->opts->max_startups, p->opts->fanout);
	nworkers = (size_t)p->opts->fanout < p->n ? (size_t)p->opts->fanout : p->n;
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
	double now = host_now();

	pthread_mutex_lock(&pl->lock);
	for (i = 0; i < n && pl->open && !cancel_requested(); i++) {
		struct host *h = hosts[i];

		if (!host_retry_round(h, now))
			continue;
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
	double now = host_now();

	pthread_mutex_lock(&pl->lock);
	if (!pl->open || pl->kept == NULL || cancel_requested())
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
	for (i = 0; pl->kept != NULL && i < pl->params->n; i++) {
		struct conn *kc = pl->kept[i];

		if (kc != NULL && (cancel_requested() || !keeper_hold(kc, pl->params->hosts[i],
		                                                 pl->params->opts, 0)))
			connect_close(kc);
		free(kc);
	}
	free(pl->kept);
	limiter_free();
	free(pl->workers);
	free(pl->waiting);
	pthread_cond_destroy(&pl->cond);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

void
pool_run(const struct pool_params *p)
{
	pool_wait(pool_start(p, false));
}
