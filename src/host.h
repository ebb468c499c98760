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
	char *alias; /* as written: what ssh_config and the connection use */
	char *name;  /* what output names it by: see host_name_all */
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
	 * the live view).  With the live view on, appends happen under lock.
	 */
	struct buf out;
	struct buf err;
	bool err_last; /* the latest bytes went to err */
	/* Partial lines waiting for their newline, prefix mode. */
	struct buf line_out;
	struct buf line_err;
	/* File transfer progress (--copy, --rcopy), under lock: bytes moved and to move. */
	uint64_t xfer_done;
	uint64_t xfer_total;

	/* -o DIR files, open while the host runs; -1 once closed or failed. */
	int fd_out;
	int fd_err;
	bool files_opened;
	char *file_error; /* the first -o file that could not be written, and why */
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
