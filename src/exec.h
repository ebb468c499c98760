/*
 * exec.h - run the command over an exec channel of an authenticated session,
 * streaming both output streams to the output sinks as they arrive.
 */
#ifndef SHOAL_EXEC_H
#define SHOAL_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "connect.h"
#include "host.h"
#include "sudo.h"

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
};

/*
 * Run the command once.  Returns 0 when it ran to an exit status or signal
 * (out says exit_nonzero or signal when it was not a clean 0), -1 when it
 * could not start, timed out, was cancelled or the host was lost (out says
 * why).  The exit code
 * and signal go to h.
 */
int exec_run(struct conn *c, struct host *h, const struct exec_params *p, struct outcome *out);

/* A command's end as the channel callbacks report it. */
struct exec_exit {
	bool got_status; /* an exit status or an exit signal came */
	int status;
	char *signal; /* the signal's name, escaped and short; free it */
};
/*
 * Watch ch's exit status and signal into ei, through cb (which must live
 * as long as the channel's callbacks may run).  Also the keeper's relay.
 */
void exec_exit_watch(ssh_channel ch, struct ssh_channel_callbacks_struct *cb, struct exec_exit *ei);

#endif
