/*
 * exec.h - the running phase, written once: one command over an exec channel
 * of an authenticated session, its streams, stdin, exit status, deadline and
 * keepalives.  Cold runs, the live view's `:` and the keeper (for warm runs)
 * all go through exec_channel; what differs is the sink its events go to.
 */
#ifndef SHOAL_EXEC_H
#define SHOAL_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <libssh/libssh.h>

#include "connect.h"
#include "host.h"
#include "outcome.h"
#include "sudo.h"

/* The job's command as the options give it, before a host's settings apply. */
struct exec_params {
	const char *command;
	bool tty;               /* -T: a pty on every host; else ssh_config's RequestTTY decides */
	const char *stdin_data; /* NULL: the command gets EOF at once */
	size_t stdin_len;
	double timeout; /* 0: none */
	/* --sudo: command is sudo_command's line; the password is written when sudo asks. */
	const struct sudo_markers *sudo;
	const char *sudo_password; /* NULL: none to give */
	/* Once it is set, the command is sent SIGUSR1 (a gateway: start no new host). */
	const atomic_bool *drain;
	bool forward_agent; /* -A: forward the agent, whatever ssh_config's ForwardAgent says */
};

/*
 * One run, with every per-host setting already decided: nothing in it is
 * looked up again, so a keeper runs exactly what the client decided.
 */
struct run_request {
	const char *name; /* the host, for messages */
	const char *command;
	bool tty;
	const char **env; /* NAME=VALUE, sent in this order before the command */
	size_t nenv;
	const char *stdin_data; /* NULL: EOF at once */
	size_t stdin_len;
	double timeout; /* 0: none */
	double alive_interval;
	int alive_count;
	const struct sudo_markers *sudo; /* NULL: no --sudo */
	const char *sudo_password;
	/* Once it is set, the command is sent SIGUSR1 (a gateway: start no new host). */
	const atomic_bool *drain;
	const char *agent_sock; /* the agent to forward to the server (ssh -A); NULL: none */
};

/* A command's end as the channel reports it. */
struct run_exit {
	bool got_status; /* an exit status or an exit signal came */
	int status;
	char *signal; /* the signal's name, escaped and short, or NULL */
};

/*
 * Where a run's events go.  Each is a plain value (no session, no host
 * pointer), so a sink may write them to a socket: the keeper's does.
 */
struct run_sink {
	void *ctx;
	/* The server accepted the exec request: the command started. */
	void (*started)(void *ctx);
	void (*data)(void *ctx, bool is_stderr, const char *p, size_t n);
	/* Whether whoever reads the events left or asked for a kill; NULL: never. */
	bool (*stop)(void *ctx);
	/* The end, once: out says how, ex the status or signal when one came. */
	void (*done)(void *ctx, const struct outcome *out, const struct run_exit *ex);
};

/*
 * The request for p on a host whose ssh_config c holds: the pty (-T, else
 * RequestTTY), the environment (SendEnv, SetEnv), the keepalives
 * (ServerAlive*) and the agent to forward (-A, else ForwardAgent).  Free it with exec_request_free.
 */
void exec_request(const struct conn *c, const char *name, const struct exec_params *p,
        struct run_request *rq);
void exec_request_free(struct run_request *rq);

/*
 * Run rq once on s, telling sk.  Returns 0 when the command ran to an exit
 * status or signal (out says exit_nonzero or signal when it was not a clean
 * 0), -1 when it could not start, timed out, was stopped or the host was
 * lost (out says why).  out->started says whether the exec request was
 * accepted.  sk->done is called last, in every case.
 */
int exec_channel(ssh_session s, const struct run_request *rq, const struct run_sink *sk,
        struct outcome *out);

/* The sink that puts a run's events on h: its output, exit code and signal. */
void exec_host_sink(struct host *h, struct run_sink *sk);

/* p's command on h over c's session: exec_channel with h's sink. */
int exec_run(struct conn *c, struct host *h, const struct exec_params *p, struct outcome *out);

#endif
