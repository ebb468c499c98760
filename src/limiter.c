/*
 * limiter.c - the per-destination handshake limiter of limiter.h.
 *
 * One mutex guards a small hash table of destinations; each destination has
 * its own condition variable so that a release wakes only its own waiters.
 * Destinations are never freed before limiter_free: a run has few of them.
 *
 * A cancel must wake every waiter at once, but the signal handler that
 * raises it cannot take the mutex.  So limiter_init starts a watcher thread
 * that sleeps in poll on cancel_fd() (and on a pipe of its own that
 * limiter_free writes to end it) and calls limiter_cancel.  Waiters also look
 * at the cancel flag itself whenever they wake: a worker that saw the cancel
 * first and released its slot must not hand that slot to a waiter before the
 * watcher ran.  Without a watcher (no pipe or thread could be made) waits
 * wake every 100 ms to look at the flag.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "limiter.h"
#include "log.h"
#include "wait.h"
#include "xmalloc.h"

#define LIMITER_START   10
#define LIMITER_BUCKETS 256

struct limiter_dest {
	struct limiter_dest *next;
	char *key;
	struct limiter_state st;
	unsigned epoch;
	int inflight;
	pthread_cond_t cond;
};

static pthread_mutex_t limiter_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct limiter_dest *limiter_table[LIMITER_BUCKETS];
static int limiter_fixed;
static int limiter_max;
static bool limiter_cancelled;
static pthread_t limiter_watcher;
static bool limiter_watching;
static int limiter_stop[2] = {-1, -1}; /* limiter_free ends the watcher through it */

void
limiter_state_init(struct limiter_state *st, int start, int max)
{
	st->limit = start < max ? start : max;
	st->threshold = max;
	st->ceiling = max + 1;
	st->credit = 0;
}

void
limiter_state_update(struct limiter_state *st, enum limiter_outcome outcome, int max)
{
	int need;

	switch (outcome) {
	case LIMITER_DONE:
		if (st->limit >= max)
			return;
		/* Probing the limit that failed last costs a long run of successes. */
		if (st->limit < st->threshold)
			need = 1;
		else if (st->limit + 1 >= st->ceiling)
			need = 4 * st->limit;
		else
			need = st->limit;
		if (++st->credit < need)
			return;
		st->credit = 0;
		st->limit++;
		if (st->limit >= st->ceiling)
			st->ceiling = st->limit + 1;
		return;
	case LIMITER_THROTTLED:
		st->ceiling = st->limit;
		st->limit = st->limit > 1 ? st->limit / 2 : 1;
		st->threshold = st->limit;
		st->credit = 0;
		return;
	case LIMITER_OTHER:
		return;
	}
}

static void *
limiter_watch(void *arg)
{
	struct pollfd pfd[2];

	(void)arg;
	pfd[0].fd = cancel_fd();
	pfd[0].events = POLLIN;
	pfd[1].fd = limiter_stop[0];
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break; /* cannot happen with valid fds; waits then stay untimed */
		if (pfd[0].revents != 0) {
			limiter_cancel();
			break;
		}
		if (pfd[1].revents != 0)
			break;
	}
	return NULL;
}

static void
limiter_watch_start(void)
{
	int rc;

	if (cancel_fd() < 0 || pipe2(limiter_stop, O_CLOEXEC) < 0) {
		log_msg(LOG_VERBOSE, "limiter: no cancel watcher (%s): waits look every 100 ms",
		        strerror(errno));
		return;
	}
	rc = pthread_create(&limiter_watcher, NULL, limiter_watch, NULL);
	if (rc != 0) {
		log_msg(LOG_VERBOSE, "limiter: no cancel watcher (%s): waits look every 100 ms",
		        strerror(rc));
		close(limiter_stop[0]);
		close(limiter_stop[1]);
		limiter_stop[0] = limiter_stop[1] = -1;
		return;
	}
	limiter_watching = true;
}

void
limiter_init(int fixed, int max)
{
	limiter_fixed = fixed;
	limiter_max = max > 0 ? max : 1;
	limiter_cancelled = false;
	limiter_watch_start();
}

void
limiter_free(void)
{
	size_t i;
	struct limiter_dest *d, *next;

	if (limiter_watching) {
		if (write(limiter_stop[1], "x", 1) != 1)
			fatal("limiter: cannot stop the cancel watcher: %s", strerror(errno));
		pthread_join(limiter_watcher, NULL);
		close(limiter_stop[0]);
		close(limiter_stop[1]);
		limiter_stop[0] = limiter_stop[1] = -1;
		limiter_watching = false;
	}
	for (i = 0; i < LIMITER_BUCKETS; i++) {
		for (d = limiter_table[i]; d != NULL; d = next) {
			next = d->next;
			pthread_cond_destroy(&d->cond);
			free(d->key);
			free(d);
		}
		limiter_table[i] = NULL;
	}
}

static struct limiter_dest *
limiter_lookup(const char *key)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	struct limiter_dest *d;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (d = limiter_table[h % LIMITER_BUCKETS]; d != NULL; d = d->next) {
		if (strcmp(d->key, key) == 0)
			return d;
	}
	d = xcalloc(1, sizeof *d);
	d->key = xstrdup(key);
	limiter_state_init(&d->st, limiter_fixed > 0 ? limiter_fixed : LIMITER_START,
	        limiter_fixed > 0 ? limiter_fixed : limiter_max);
	wait_cond_init(&d->cond);
	d->next = limiter_table[h % LIMITER_BUCKETS];
	limiter_table[h % LIMITER_BUCKETS] = d;
	return d;
}

/* Under limiter_mutex. */
static bool
limiter_stopped(void)
{
	if (cancel_requested())
		limiter_cancelled = true;
	return limiter_cancelled;
}

/* One wait for a release or a cancel, under limiter_mutex. */
static void
limiter_wait(struct limiter_dest *d)
{
	if (limiter_watching)
		pthread_cond_wait(&d->cond, &limiter_mutex);
	else
		wait_cond(&d->cond, &limiter_mutex, wait_now() + 0.1);
}

int
limiter_acquire(const char *dest, struct limiter_slot *slot)
{
	struct limiter_dest *d;

	slot->dest = NULL;
	pthread_mutex_lock(&limiter_mutex);
	d = limiter_lookup(dest);
	while (!limiter_stopped() && d->inflight >= d->st.limit)
		limiter_wait(d);
	if (!limiter_cancelled) {
		d->inflight++;
		slot->dest = d;
		slot->epoch = d->epoch;
	}
	pthread_mutex_unlock(&limiter_mutex);
	return slot->dest ? 0 : -1;
}

void
limiter_release(struct limiter_slot *slot, enum limiter_outcome outcome)
{
	struct limiter_dest *d = slot->dest;

	if (d == NULL)
		return;
	pthread_mutex_lock(&limiter_mutex);
	d->inflight--;
	if (limiter_fixed == 0) {
		/* Drops of handshakes begun under an older limit are already counted. */
		if (outcome != LIMITER_THROTTLED || slot->epoch == d->epoch) {
			if (outcome == LIMITER_THROTTLED)
				d->epoch++;
			limiter_state_update(&d->st, outcome, limiter_max);
		}
	}
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&limiter_mutex);
	slot->dest = NULL;
}

void
limiter_cancel(void)
{
	size_t i;
	struct limiter_dest *d;

	pthread_mutex_lock(&limiter_mutex);
	limiter_cancelled = true;
	for (i = 0; i < LIMITER_BUCKETS; i++) {
		for (d = limiter_table[i]; d != NULL; d = d->next)
			pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&limiter_mutex);
}
