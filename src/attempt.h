/*
 * attempt.h - one attempt at a host: get a session for it (the one the live
 * view kept, a keeper's, or a fresh one, directly or through jump hosts) and
 * run the job on it (the command, with --template and --sudo, or the copy),
 * ending with one outcome.  The pool (pool.c) decides only when and whether.
 */
#ifndef SHOAL_ATTEMPT_H
#define SHOAL_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "connect.h"
#include "exec.h"
#include "host.h"
#include "options.h"
#include "outcome.h"
#include "transfer.h"

/* What every host's attempt does; set up once per run. */
struct attempt_job {
	const struct options *opts;
	struct connect_params cparams;
	struct exec_params eparams;
	const struct transfer_plan *plan; /* --copy, --rcopy; NULL: the command */
	/*
	 * The live view: each host's session, kept after its command for the
	 * next `:` (by host index; only the worker holding the host touches
	 * its slot); NULL without the view.
	 */
	struct conn **kept;
};

/*
 * One attempt at h, begun with host_attempt_begin: out says how it ended
 * (out->started: the command started), and h's history has it.  The
 * output of a command that ran went to h; its session was kept (the view,
 * a keeper) or closed.
 */
void attempt_run(const struct attempt_job *j, struct host *h, struct outcome *out);
/*
 * The run is over: the sessions the view kept go to a keeper (--persist,
 * ControlPersist) unless the run was interrupted, else they are closed.
 */
void attempt_release(struct attempt_job *j, struct host **hosts, size_t n);

#endif
