/*
 * host.h - one host's whole state: who it is, where it is in its life
 * (SPEC section 3), every attempt with its error, and the command's result.
 *
 * A host is owned by the worker that is processing it; between attempts it is
 * owned by the pool's queue.  The state fields that others read while a run is
 * going (the live view, the summary at interrupt) are guarded by `lock`.
 */
#ifndef SHOAL_HOST_H
#define SHOAL_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errkind.h"
#include "outcome.h"
#include "hostlist.h"
#include "spool.h"

enum host_state {
	HOST_QUEUED,
	HOST_CONNECTING, /* phase says connect, banner, kex or auth */
	HOST_RUNNING,
	HOST_RETRY_WAIT,
	HOST_OK,
	HOST_FAILED,
	HOST_SKIPPED, /* kind EK_SKIPPED: the run stopped before it */
};

struct attempt {
	enum err_kind kind;
	enum phase phase;
	char *error;    /* the detail, printable (already escaped) */
	double elapsed; /* seconds the attempt took */
	bool started;   /* the command started (or the transfer): never run again */
};

/* An earlier command's result (the live view's `:` runs another). */
struct host_run {
	unsigned run;  /* 1: the command line's command, then 2, 3... */
	char *command; /* NULL: the command line's */
	enum err_kind kind;
	char *error;
	long long exit_code;
	char *exit_signal;
	struct spool out, err;
	double elapsed;
	/* Its attempts were history[base .. attempts-1]; its times. */
	unsigned base, attempts;
	long phase_ms[PHASE__COUNT];
	double started, finished;
};

struct host {
	size_t index;
	/* --template's %i: index, but on a gateway the operator's index of the host */
	size_t list_index;
	char *alias;    /* as written: what ssh_config and the connection use */
	char *name;     /* what output names it by: see host_name_all */
	char *spec;     /* [user@]alias[:port]: what folded lists name it by, to paste back */
	char *addr;     /* an inventory's address for it (ansible_host): ssh is given this name
	                   instead of alias, as Ansible gives it to ssh; NULL: alias */
	char *user;     /* from user@ or -l; NULL lets ssh_config decide */
	int port;       /* from :port or -p; 0 lets ssh_config decide */
	unsigned batch; /* --batch: its batch, from 1; 0 without */

	/* Filled in once the session has read ssh_config. */
	char *login_user;
	int login_port;
	char *via; /* the jump hosts it goes through, "b1,b2" as ProxyJump; NULL: none */

	pthread_mutex_t lock;
	enum host_state state;
	enum phase phase;
	double phase_started;   /* monotonic seconds */
	unsigned attempts;      /* attempts begun */
	unsigned round_base;    /* attempts before the operator's last retry (live view) */
	double attempt_started; /* monotonic seconds the latest attempt began */
	struct attempt *history;
	double ready_at; /* retry-wait: monotonic time to try again */

	enum err_kind kind; /* final */
	char *error;
	long long exit_code; /* -1 until known; else 0 to 4294967295, as sent */
	char *exit_signal;   /* "TERM" etc. as the server named it, escaped; or NULL */
	long phase_ms[PHASE__COUNT];
	double started;  /* monotonic seconds of the first attempt */
	double finished; /* monotonic seconds */

	/*
	 * Output kept for modes that need it at the end (JSON, gather, inline,
	 * the live view): in memory up to a bound, then in a temporary file.
	 * With the live view on, appends and reads happen under lock.
	 */
	struct spool out;
	struct spool err;
	bool err_last; /* the latest bytes went to err */
	/* File transfer progress (--copy, --rcopy), under lock: bytes moved and to move. */
	uint64_t xfer_done;
	uint64_t xfer_total;
	double xfer_sent; /* on a gateway, when the progress last went up (its worker's) */

	/*
	 * The live view's `:`: which run the result above is of (1: the
	 * command line's; 0 before any), its command (NULL: the command
	 * line's), and the earlier runs' results, oldest first.  Under lock.
	 */
	unsigned run;
	unsigned run_base; /* attempts before this run began */
	char *run_command;
	struct host_run *past;
	size_t npast;

	char *file_error; /* the first -o file that could not be written, and why */

	/* Tree mode, on the root: h is a gateway and its stdout is events (event.c). */
	struct event_reader *events;
};

struct host *host_new(size_t index, const char *alias, const char *user, int port);
/* A host as the host list names it: alias, user, port, an inventory's address. */
struct host *host_from_spec(size_t index, const struct hostspec *spec);
void host_free(struct host *h);
/*
 * The host's life (SPEC section 3), in the order its worker calls these; each
 * takes h->lock for what others read, so callers hold no lock:
 *
 *   queued or retry-wait --host_attempt_begin--> connecting (phase connect)
 *   connecting --host_phase--> connecting (banner, kex, auth) or running
 *   connecting or running --host_attempt_end--> the attempt is in the history
 *   then --host_retry_wait--> retry-wait, or --host_finish--> ok or failed
 *
 * host_retry_round sends a failed host round again (the operator's `r`);
 * host_finish also ends a host a cancel kept from any attempt.
 */
/* Count a new attempt; returns how many this round has had with it. */
unsigned host_attempt_begin(struct host *h, double now);
/* Close the current phase's time into phase_ms and open phase (PHASE_RUN: running). */
void host_phase(struct host *h, enum phase phase, double now);
/*
 * Close the open phase's time into phase_ms and record the attempt's end
 * (out: kind EK_NONE when it succeeded, and whether the command started) in
 * the history.
 */
void host_attempt_end(struct host *h, const struct outcome *out, double now);
/* Whether the latest attempt started the command.  The caller holds h->lock or owns h. */
bool host_started(const struct host *h);
/* Wait in retry-wait until ready_at (monotonic seconds). */
void host_retry_wait(struct host *h, double ready_at, double now);
/*
 * --copy, --rcopy: add to the bytes moved and the bytes to move (its
 * worker's calls); on a gateway the root's live view gets them too.
 */
void host_xfer_add(struct host *h, uint64_t done, uint64_t total);
/* Set them: a new attempt's zero, or a gateway's figures for its target (sent up at once). */
void host_xfer_set(struct host *h, uint64_t done, uint64_t total);
/*
 * A note about h that is not its result ("--rcopy: skipped FIFO x", an
 * insecure policy's warning): said on stderr as "shoal: NAME: text", or,
 * on a gateway, sent up for the root to say under its own name for h.
 */
void host_note(const struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The final state from kind; error (malloc'd or NULL) becomes the host's. */
void host_finish(struct host *h, enum err_kind kind, char *error, double now);
/*
 * If h failed before its command started (the attempt's recorded fact) and
 * not by a cancel, clear its
 * result and make it due again now, with a fresh count of attempts; returns
 * whether it did.
 */
bool host_retry_round(struct host *h, double now);
/*
 * Begin run number run (command, for the view's `:`): the current result
 * goes to h->past, h is queued again with a fresh result and counts attempts
 * and phase times anew.  Only for a host that is ok or failed.
 */
void host_run_begin(struct host *h, unsigned run, const char *command, double now);
/*
 * The attempt count as every place shows it, into buf: "n/N" (N = retries +
 * 1) while another attempt may still come, or when a retried failure used
 * them all; just "n" once no retry can follow (the command started, the host
 * is done, its failure is never retried, or a cancel ended it); "" before the
 * first attempt.  n counts from the operator's last retry.  The caller holds
 * h->lock or owns h.  Returns buf.
 */
#define HOST_ATTEMPT_TEXT 24
const char *host_attempt_text(const struct host *h, int retries, char *buf, size_t len);
/* "[user@]alias[:port]" as it would be written in a host file. */
char *host_spec_string(const char *alias, const char *user, int port);
/*
 * Give every host of the final list its name: the alias, unless another host
 * of the list has the same alias (hosts that differ by user or port), then
 * "[user@]alias[:port]" as written.  The list holds no two equal specs, so
 * names are distinct.  Call once, before any thread starts.
 */
void host_name_all(struct host **hosts, size_t n);
/*
 * The name as one file name (-o files, --rcopy folders): '%' and '/' become
 * %25 and %2F, "." and ".." become %2E and %2E%2E (and "" becomes %), so that
 * distinct names give distinct files and none leaves its directory.
 */
char *host_file_name(const char *name);

#endif
