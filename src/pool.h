/*
 * pool.h - the worker pool: at most --fanout hosts in flight, each attempt
 * on one worker thread, retries queued with their backoff.
 */
#ifndef SHOAL_POOL_H
#define SHOAL_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "host.h"
#include "options.h"
#include "transfer.h"

struct pool_params {
	struct host **hosts;
	size_t n;
	const struct options *opts;
	const char *password;
	const char *stdin_data;
	size_t stdin_len;
	const struct transfer_plan *plan; /* --copy, --rcopy: move files instead of a command */
	const atomic_bool *drain;         /* tree mode: see exec_params */
	/*
	 * Tree mode, the root's direct hosts (tree.c): finished is told each
	 * host's final state, to count it across the gateways; stopped, asked
	 * before a host starts, returns why the run stopped (a new string), or
	 * NULL while it goes on.  Both NULL otherwise.
	 */
	void (*finished)(struct host *h);
	char *(*stopped)(void);
};

/* Give every host of p its batch number (--batch); returns how many batches there are. */
unsigned pool_plan_batches(const struct pool_params *p);
/*
 * Why a run stops after batch (of nbatches) of size hosts, failed of them
 * failed; NULL: it goes on.
 */
char *pool_batch_failed(
        const struct options *o, unsigned batch, unsigned nbatches, size_t size, size_t failed);
/* --max-fail: how many failures a run of n hosts may have; -1: no budget. */
long pool_budget(const struct options *o, size_t n);
/* Whether a host that ended with kind counts against --max-fail. */
bool pool_failure_counts(enum err_kind kind);
/* Why a run stops when nfailed hosts failed, past the budget. */
char *pool_budget_spent(const struct options *o, size_t nfailed);

/*
 * Run every host to a final state (ok, failed, or cancelled when the run is
 * interrupted before it finished).  Returns when all workers have ended.
 */
void pool_run(const struct pool_params *p);

/*
 * The same in steps, for the live view.  Two pools may be alive at once (the
 * tree's root runs its direct hosts beside its gateways): the state they
 * share (the limiter, jump sessions) is set up by the first to start, with
 * its limits, and torn down by the last to end.  pool_start returns at once; with
 * stay_open the workers wait for pool_retry after the queue runs dry.
 * pool_wait closes the pool, joins the workers and frees it.
 */
struct pool;
struct pool *pool_start(const struct pool_params *p, bool stay_open);
/*
 * Queue again those of hosts the operator may send round again (failed
 * before their command started); returns how many.
 */
size_t pool_retry(struct pool *pl, struct host **hosts, size_t n);
/*
 * The live view's `:`: run command next on those of hosts that are done (ok
 * or failed), over the sessions kept open since their last command (a host
 * without one connects); their results so far go to each host's past runs.
 * Returns how many were queued.
 */
size_t pool_command(struct pool *pl, struct host **hosts, size_t n, const char *command);
void pool_wait(struct pool *pl);

/* Where a rolling run stands, for the live view. */
struct pool_status {
	unsigned batch;    /* the current batch, from 1; 0 without --batch */
	unsigned nbatches; /* 0 without --batch */
	long budget_left;  /* failures --max-fail still allows; -1: no budget */
	char stopped[160]; /* why the run stopped; "" while it goes on */
};
void pool_status(struct pool *pl, struct pool_status *st);

#endif
