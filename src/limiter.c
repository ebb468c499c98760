/*
 * limiter.c - the per-destination handshake limiter of limiter.h.
 *
 * One mutex guards a small hash table of destinations; each destination has
 * its own condition variable so that a release wakes only its own waiters.
 * Destinations are never freed before limiter_free: a run has few of them.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
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

void
limiter_init(int fixed, int max)
{
	limiter_fixed = fixed;
	limiter_max = max > 0 ? max : 1;
	limiter_cancelled = false;
}

void
limiter_free(void)
{
	size_t i;
	struct limiter_dest *d, *next;

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
	pthread_cond_init(&d->cond, NULL);
	d->next = limiter_table[h % LIMITER_BUCKETS];
	limiter_table[h % LIMITER_BUCKETS] = d;
	return d;
}

int
limiter_acquire(const char *dest, struct limiter_slot *slot)
{
	struct limiter_dest *d;

	slot->dest = NULL;
	pthread_mutex_lock(&limiter_mutex);
	d = limiter_lookup(dest);
	while (d->inflight >= d->st.limit && !limiter_cancelled)
		pthread_cond_wait(&d->cond, &limiter_mutex);
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
