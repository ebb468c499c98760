/*
 * exec.c - the running phase.
 *
 * Both streams are read in one loop: they share the channel's flow-control
 * window, and a stream left unread would stall the other.  Stdin, when given,
 * is written in window-sized pieces inside the same loop so a command that
 * prints while it reads cannot deadlock us.  The exit status and signal come
 * from the channel callbacks (ssh_channel_get_exit_status cannot tell a
 * signal from a missing status).  On a timeout or a cancel the remote command
 * is sent SIGKILL and the channel closed, so it does not outlive the run.
 */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "cancel.h"
#include "escape.h"
#include "exec.h"
#include "output.h"
#include "xmalloc.h"

#define READ_CHUNK  65536
#define STDIN_CHUNK 32768
/* Bytes of a server's signal name kept: real ones are a few letters. */
#define SIGNAL_NAME_MAX 64

struct exit_info {
	bool got_status;
	int status;
	char *signal;
};

static void
exit_status_cb(ssh_session session, ssh_channel channel, int exit_status, void *userdata)
{
	struct exit_info *ei = userdata;

	ei->got_status = true;
	ei->status = exit_status;
}

static void
exit_signal_cb(ssh_session session, ssh_channel channel, const char *signal, int core,
        const char *errmsg, const char *lang, void *userdata)
{
	struct exit_info *ei = userdata;

	ei->got_status = true;
	free(ei->signal);
	/*
	 * The name is the server's to choose, known signal or not: kept
	 * escaped and short from here, for the messages, JSON and the view.
	 */
	if (signal != NULL && *signal != '\0')
		ei->signal = escape_text(signal, strlen(signal), SIGNAL_NAME_MAX);
	else
		ei->signal = xstrdup("UNKNOWN");
}

/* Repeat a channel request while libssh says AGAIN. */
enum chan_step {
	CHAN_OPEN,
	CHAN_PTY,
	CHAN_EXEC,
};

static int
chan_step(ssh_channel ch, enum chan_step step, const char *command, double deadline)
{
	int rc, w;

	for (;;) {
		switch (step) {
		case CHAN_OPEN:
			rc = ssh_channel_open_session(ch);
			break;
		case CHAN_PTY:
			rc = ssh_channel_request_pty_size(ch, "xterm", 80, 24);
			break;
		case CHAN_EXEC:
		default:
			rc = ssh_channel_request_exec(ch, command);
			break;
		}
		if (rc != SSH_AGAIN)
			return rc;
		w = connect_wait_session(ssh_channel_get_session(ch), deadline);
		if (w <= 0)
			return w == 0 ? SSH_AGAIN : SSH_ERROR;
	}
}

/* Kill the remote command and give the request a moment to leave. */
static void
kill_remote(ssh_channel ch, bool tty)
{
	ssh_session s = ssh_channel_get_session(ch);

	if (!tty)
		ssh_channel_request_send_signal(ch, "KILL");
	ssh_channel_close(ch);
	ssh_blocking_flush(s, 1000);
}

/*
 * A channel step that did not succeed: refused by the server, or cut short
 * by a cancel or by the command's deadline while it waited for the answer.
 */
static void
channel_error(struct conn *c, struct outcome *out, const char *what, double deadline)
{
	/* It quotes the server (a disconnect's reason): outcome_set escapes it. */
	const char *e = ssh_get_error(c->session);

	if (cancel_requested())
		outcome_set(
		        out, EK_CANCELLED, PHASE_RUN, "interrupted while setting up the command");
	else if (host_now() >= deadline)
		outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN, "%s: no answer before the deadline",
		        what);
	else
		outcome_set(out, EK_CHANNEL, PHASE_RUN, "%s: %s", what, e && *e ? e : "refused");
}

int
exec_run(struct conn *c, struct host *h, const struct exec_params *p, struct outcome *out)
{
	struct ssh_channel_callbacks_struct cb;
	struct exit_info ei = {false, -1, NULL};
	ssh_channel ch = NULL;
	double start = host_now();
	double deadline = p->timeout > 0 ? start + p->timeout : start + 1e9;
	char *buf = xmalloc(READ_CHUNK);
	size_t in_off = 0;
	bool eof_sent = false;
	long status_wait = 1; /* seconds a blocking wait for the exit status may take */
	int rc = -1, n, i;

	host_set_state(h, HOST_RUNNING, PHASE_RUN, start);
	ch = ssh_channel_new(c->session);
	if (ch == NULL) {
		channel_error(c, out, "cannot create a channel", deadline);
		goto done;
	}
	memset(&cb, 0, sizeof cb);
	cb.userdata = &ei;
	cb.channel_exit_status_function = exit_status_cb;
	cb.channel_exit_signal_function = exit_signal_cb;
	ssh_callbacks_init(&cb);
	ssh_set_channel_callbacks(ch, &cb);

	if (chan_step(ch, CHAN_OPEN, NULL, deadline) != SSH_OK) {
		channel_error(c, out, "session channel refused", deadline);
		goto done;
	}
	if (p->tty && chan_step(ch, CHAN_PTY, NULL, deadline) != SSH_OK) {
		channel_error(c, out, "pty request refused", deadline);
		goto done;
	}
	if (chan_step(ch, CHAN_EXEC, p->command, deadline) != SSH_OK) {
		channel_error(c, out, "exec request refused", deadline);
		goto done;
	}
	if (p->stdin_data == NULL) {
		ssh_channel_send_eof(ch);
		eof_sent = true;
	}
	/*
	 * The data phase runs the session in blocking mode with short
	 * timeouts: libssh 0.10's non-blocking reads can leave the last packets
	 * (a window adjust out, or the tail of the output, EOF and exit status
	 * in) unprocessed until more bytes arrive, which never happens.
	 */
	ssh_options_set(c->session, SSH_OPTIONS_TIMEOUT, &status_wait);
	ssh_set_blocking(c->session, 1);
	for (;;) {
		bool progress = false;
		double left = deadline - host_now();
		int wait_ms = left > 0.05 ? 50 : (left > 0 ? (int)(left * 1000) + 1 : 0);

		for (i = 0; i < 2; i++) {
			/* Wait a little for stdout; take whatever stderr has. */
			n = i == 0 ? ssh_channel_read_timeout(ch, buf, READ_CHUNK, 0, wait_ms)
			           : ssh_channel_read_nonblocking(ch, buf, READ_CHUNK, 1);
			if (n > 0) {
				output_host_data(h, i == 1, buf, (size_t)n);
				progress = true;
			} else if (n == SSH_ERROR) {
				if (ei.got_status)
					goto finished;
				channel_error(
				        c, out, "connection lost while the command ran", deadline);
				goto done;
			}
		}
		if (!eof_sent) {
			/* Only what the window takes: a blocked write could deadlock. */
			size_t want = p->stdin_len - in_off;
			uint32_t win = ssh_channel_window_size(ch);

			if (want > STDIN_CHUNK)
				want = STDIN_CHUNK;
			if (want > win)
				want = win;
			n = want ? ssh_channel_write(ch, p->stdin_data + in_off, (uint32_t)want)
			         : 0;
			if (n == SSH_ERROR) {
				channel_error(c, out, "cannot send stdin", deadline);
				goto done;
			}
			if (n > 0) {
				in_off += (size_t)n;
				progress = true;
			}
			if (in_off == p->stdin_len) {
				ssh_channel_send_eof(ch);
				eof_sent = true;
			}
		}
		if (progress)
			continue;
		if (ssh_channel_is_closed(ch) || (ssh_channel_is_eof(ch) && ei.got_status))
			break;
		if (cancel_requested()) {
			kill_remote(ch, p->tty);
			outcome_set(
			        out, EK_CANCELLED, PHASE_RUN, "interrupted; remote command killed");
			goto done;
		}
		if (host_now() >= deadline) {
			kill_remote(ch, p->tty);
			outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN,
			        "still running after %.1f s; killed", p->timeout);
			goto done;
		}
		if (ssh_channel_is_eof(ch)) {
			/* Output is over; wait (briefly, to stay cancellable) for the status. */
			ssh_channel_poll_timeout(ch, wait_ms, 0);
			ssh_channel_get_exit_status(ch);
		} else {
			/*
			 * A quiet command: sleep until the socket stirs, a cancel
			 * or the deadline rather than waking every wait_ms.  At
			 * most a second, in case libssh holds bytes it has not
			 * processed yet.
			 */
			connect_wait_session(
			        c->session, deadline < host_now() + 1 ? deadline : host_now() + 1);
		}
	}
finished:
	if (ei.signal != NULL) {
		h->exit_signal = xstrdup(ei.signal);
		outcome_set(out, EK_SIGNAL, PHASE_RUN, "killed by signal %s", ei.signal);
	} else if (!ei.got_status) {
		outcome_set(out, EK_CHANNEL, PHASE_RUN, "channel closed without an exit status");
		goto done;
	} else {
		h->exit_code = ei.status;
		if (ei.status != 0)
			outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN, "exited with status %d",
			        ei.status);
	}
	rc = 0;
done:
	pthread_mutex_lock(&h->lock); /* the live view reads it */
	h->phase_ms[PHASE_RUN] = (long)((host_now() - start) * 1000 + 0.5);
	pthread_mutex_unlock(&h->lock);
	if (ch != NULL) {
		/*
		 * A channel freed before the server's close stays in the
		 * session, which may live on (the view's `:`, a keeper): its
		 * late packets must not reach callbacks on this stack.
		 */
		ssh_remove_channel_callbacks(ch, &cb);
		if (ssh_channel_is_open(ch))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(ei.signal);
	free(buf);
	return rc;
}
