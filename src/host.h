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
#include "spool.h"

enum host_state {
	HOST_QUEUED,
	HOST_CONNECTING, /* phase says connect, banner, kex or auth */
	HOST_RUNNING,
	HOST_RETRY_WAIT,
	HOST_OK,
	HOST_FAILED,
};

struct attempt {
	enum err_kind kind;
	enum phase phase;
	char *error;    /* the detail, printable (already escaped) */
	double elapsed; /* seconds the attempt took */
};

struct host {
	size_t index;
	char *alias; /* as written: what output names it by */
	char *user;  /* from user@ or -l; NULL lets ssh_config decide */
	int port;    /* from :port or -p; 0 lets ssh_config decide */

	/* Filled in once the session has read ssh_config. */
	char *login_user;
	int login_port;

	pthread_mutex_t lock;
	enum host_state state;
	enum phase phase;
	double phase_started; /* monotonic seconds */
	unsigned attempts;    /* attempts begun */
	unsigned round_base;  /* attempts before the operator's last retry (live view) */
	struct attempt *history;
	double ready_at; /* retry-wait: monotonic time to try again */

	enum err_kind kind; /* final */
	char *error;
	int exit_code;     /* -1 until known */
	char *exit_signal; /* "TERM" etc., or NULL */
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
	/* Partial lines waiting for their newline, prefix mode (bounded). */
	struct buf line_out;
	struct buf line_err;
	/* File transfer progress (--copy, --rcopy), under lock: bytes moved and to move. */
	uint64_t xfer_done;
	uint64_t xfer_total;

	/* -o DIR files, open while the host runs. */
	int fd_out;
	int fd_err;
};

struct host *host_new(size_t index, const char *alias, const char *user, int port);
void host_free(struct host *h);
/* Record the end of an attempt in the history. */
void host_add_attempt(
        struct host *h, enum err_kind kind, enum phase phase, const char *error, double elapsed);
void host_set_state(struct host *h, enum host_state state, enum phase phase, double now);
/* A monotonic clock in seconds. */
double host_now(void);
/* "[user@]alias[:port]" as it would be written in a host file. */
char *host_spec_string(const char *alias, const char *user, int port);

#endif
