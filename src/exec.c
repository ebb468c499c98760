/*
 * exec.c - the running phase.
 *
 * Both streams are read in one loop: they share the channel's flow-control
 * window, and a stream left unread would stall the other.  Stdin, when given,
 * is written in the same loop as fast as the channel's window takes it, and
 * never with a blocking write, so a command that prints while it reads cannot
 * deadlock us; the loop sleeps only when there is nothing to read and nothing
 * the window lets it send.  Every turn of the loop looks at the cancel flag,
 * the deadline and the host's liveness, busy or not.  The exit status and
 * signal come from the channel callbacks (ssh_channel_get_exit_status cannot
 * tell a signal from a missing status).
 *
 * Killing: on a timeout or a cancel the command is sent the signal KILL and
 * the channel closed.  OpenSSH's sshd delivers a signal request to the whole
 * process group of the session's child (killpg; the child is a process group
 * leader after setsid), so a shell that traps HUP and TERM goes with its
 * children, pty or not; closing the channel also hangs up the pty, for a
 * server that ignores signal requests.
 *
 * Liveness: alive.c watches the session in every wait, the channel setup
 * included; a host that stops answering, or a connection that breaks, is
 * lost.
 *
 * The channel's setup follows ssh's order: a pty (-T, or the host's
 * RequestTTY), the environment (SendEnv, SetEnv), then the command.
 *
 * Under --sudo both streams go through the sudo filter (sudo.c) and stdin is
 * held back (no EOF either) until sudo has let the command start: before
 * that, stdin is sudo's, and gets the password when, and only once, sudo
 * asks for it.
 */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "alive.h"
#include "cancel.h"
#include "escape.h"
#include "exec.h"
#include "log.h"
#include "output.h"
#include "wait.h"
#include "xmalloc.h"

#define READ_CHUNK   65536
#define STDERR_READS 32      /* stderr chunks taken in one round, at most */
#define STDIN_CHUNK  262144  /* at most per write; libssh cuts it into packets */
#define CHAN_LOST    (-1000) /* chan_step: the host stopped answering */
/* Bytes of a server's signal name kept: real ones are a few letters. */
#define SIGNAL_NAME_MAX 64

extern char **environ;

static void
exit_status_cb(ssh_session session, ssh_channel channel, int exit_status, void *userdata)
{
	struct exec_exit *ei = userdata;

	ei->got_status = true;
	ei->status = exit_status;
}

static void
exit_signal_cb(ssh_session session, ssh_channel channel, const char *signal, int core,
        const char *errmsg, const char *lang, void *userdata)
{
	struct exec_exit *ei = userdata;

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

void
exec_exit_watch(ssh_channel ch, struct ssh_channel_callbacks_struct *cb, struct exec_exit *ei)
{
	memset(cb, 0, sizeof *cb);
	cb->userdata = ei;
	cb->channel_exit_status_function = exit_status_cb;
	cb->channel_exit_signal_function = exit_signal_cb;
	ssh_callbacks_init(cb);
	ssh_set_channel_callbacks(ch, cb);
}

/* Repeat a channel request while libssh says AGAIN. */
enum chan_step {
	CHAN_OPEN,
	CHAN_PTY,
	CHAN_ENV,
	CHAN_EXEC,
};

static int
chan_step(ssh_channel ch, enum chan_step step, const char *arg, const char *value, double deadline,
        struct alive *a)
{
	ssh_session s = ssh_channel_get_session(ch);
	int rc, w;

	for (;;) {
		switch (step) {
		case CHAN_OPEN:
			rc = ssh_channel_open_session(ch);
			break;
		case CHAN_PTY:
			rc = ssh_channel_request_pty_size(ch, "xterm", 80, 24);
			break;
		case CHAN_ENV:
			rc = ssh_channel_request_env(ch, arg, value);
			break;
		case CHAN_EXEC:
		default:
			rc = ssh_channel_request_exec(ch, arg);
			break;
		}
		if (rc != SSH_AGAIN)
			return rc;
		if (!alive_check(a, s))
			return CHAN_LOST;
		w = wait_session(s, alive_due(a, deadline));
		if (w < 0 || (w == 0 && wait_now() >= deadline))
			return w == 0 ? SSH_AGAIN : SSH_ERROR;
	}
}

/* Kill the remote command and give the request a moment to leave. */
static void
kill_remote(ssh_channel ch)
{
	ssh_session s = ssh_channel_get_session(ch);

	ssh_channel_request_send_signal(ch, "KILL");
	ssh_channel_close(ch);
	ssh_blocking_flush(s, 1000);
}

/*
 * The connection broke: say so with libssh's reason, which quotes the
 * server's disconnect message when it sent one (outcome_set escapes it).
 */
static void
connection_lost(struct conn *c, struct outcome *out, const char *when)
{
	const char *e = ssh_get_error(c->session);

	if (e != NULL && *e != '\0')
		outcome_set(out, EK_LOST, PHASE_RUN, "connection lost %s: %s", when, e);
	else
		outcome_set(out, EK_LOST, PHASE_RUN, "connection lost %s", when);
}

/*
 * A channel step that did not succeed: refused by the server, cut short
 * by a cancel or by the command's deadline while it waited for the answer,
 * or the host stopped answering.
 */
static void
channel_error(struct conn *c, struct outcome *out, const char *what, double deadline, int rc,
        struct alive *a)
{
	/* It quotes the server (a disconnect's reason): outcome_set escapes it. */
	const char *e = ssh_get_error(c->session);

	if (cancel_requested())
		outcome_set(
		        out, EK_CANCELLED, PHASE_RUN, "interrupted while setting up the command");
	else if (rc == CHAN_LOST)
		outcome_set(
		        out, EK_LOST, PHASE_RUN, "%s while setting up the command", alive_why(a));
	else if (!ssh_is_connected(c->session))
		connection_lost(c, out, "while setting up the command");
	else if (wait_now() >= deadline)
		outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN, "%s: no answer before the deadline",
		        what);
	else
		outcome_set(out, EK_CHANNEL, PHASE_RUN, "%s: %s", what, e && *e ? e : "refused");
}

/*
 * ssh_config's SendEnv (shoal's own environment, which no longer holds the
 * --password-env variable: password.c removed it before any thread
 * started) and SetEnv, one env request each, in ssh's order.  A refusal
 * (sshd accepts only what its AcceptEnv names) fails nothing, as in ssh,
 * which does not even ask for an answer; libssh 0.10 always does, so each
 * costs a round trip.  Returns 0, or -1 with out filled.
 */
static int
send_env(struct conn *c, struct host *h, ssh_channel ch, double deadline, struct alive *a,
        struct outcome *out)
{
	const char **env = NULL;
	size_t n = c->have_cf ? sshconf_env(&c->cf, environ, &env) : 0, i;
	char *name;
	int rc = 0, r;

	for (i = 0; i < n && rc == 0; i++) {
		name = xstrndup(env[i], strcspn(env[i], "="));
		r = chan_step(ch, CHAN_ENV, name, env[i] + strlen(name) + 1, deadline, a);
		if (r == SSH_ERROR && ssh_get_error_code(c->session) == SSH_REQUEST_DENIED &&
		        ssh_channel_is_open(ch) && !cancel_requested()) {
			log_msg(LOG_DEBUG, "%s: the server did not take environment variable %s",
			        h->name, name);
		} else if (r != SSH_OK) {
			channel_error(c, out, "env request failed", deadline, r, a);
			rc = -1;
		}
		free(name);
	}
	free(env);
	return rc;
}

/*
 * Write what the window takes of the rest of stdin, without blocking, and
 * EOF after the last byte.  Returns the bytes written, or -1.
 */
static int
push_stdin(ssh_channel ch, const struct exec_params *p, size_t *off, bool *in_done)
{
	ssh_session s = ssh_channel_get_session(ch);
	int blocking = ssh_is_blocking(s);
	size_t want = p->stdin_len - *off;
	uint32_t win = ssh_channel_window_size(ch);
	int n = 0;

	if (want > STDIN_CHUNK)
		want = STDIN_CHUNK;
	if (want > win)
		want = win;
	/* Blocking, libssh would also wait for the socket to drain after each write. */
	ssh_set_blocking(s, 0);
	if (want > 0)
		n = ssh_channel_write(ch, p->stdin_data + *off, (uint32_t)want);
	if (n > 0)
		*off += (size_t)n;
	if (n >= 0 && *off == p->stdin_len) {
		ssh_channel_send_eof(ch);
		*in_done = true;
	}
	ssh_set_blocking(s, blocking);
	return n < 0 ? -1 : n;
}

/*
 * sudo asked for the password: the first time it is written, with its
 * newline; a second time (refused) sudo gets EOF instead, and exits with its
 * own message.  A pty passes no channel EOF on to its reader: there EOF is
 * the terminal's end-of-file character at the start of a line.  Returns 1
 * when it sent EOF, 0, or -1 when the channel failed.
 */
static int
sudo_feed(ssh_channel ch, struct sudo_filter *f, const char *password, bool tty)
{
	size_t len;

	if (f->prompts > 1 || password == NULL || f->password_sent) {
		if (tty && ssh_channel_write(ch, "\004", 1) != 1)
			return -1;
		return ssh_channel_send_eof(ch) == SSH_OK ? 1 : -1;
	}
	len = strlen(password);
	f->password_sent = true;
	/* A line this short always fits the window at the start of a channel. */
	if ((len > 0 && ssh_channel_write(ch, password, (uint32_t)len) != (int)len) ||
	        ssh_channel_write(ch, "\n", 1) != 1)
		return -1;
	return 0;
}

int
exec_run(struct conn *c, struct host *h, const struct exec_params *p, struct outcome *out)
{
	struct ssh_channel_callbacks_struct cb;
	struct exec_exit ei = {false, -1, NULL};
	struct alive alive;
	ssh_channel ch = NULL;
	double start = wait_now();
	double deadline = p->timeout > 0 ? start + p->timeout : start + 1e9;
	char *buf = xmalloc(READ_CHUNK);
	size_t in_off = 0;
	bool in_done = false; /* no more stdin to send: EOF sent, or the command is gone */
	bool drained = false; /* p->drain's signal sent */
	struct sudo_filter sf;
	unsigned ev;
	long status_wait = 1; /* seconds a blocking wait for the exit status may take */
	double alive_interval;
	int rc = -1, n, i, alive_count;
	/*
	 * -T is ssh's -t, which overrides RequestTTY; else the host's
	 * RequestTTY: yes is force, for shoal never gives a command the local
	 * terminal (ssh's yes looks at its own stdin); auto is no with a command.
	 */
	bool tty = p->tty || (c->have_cf && (c->cf.request_tty == 1 || c->cf.request_tty == 2));

	host_phase(h, PHASE_RUN, start);
	connect_alive(c, &alive_interval, &alive_count);
	alive_start(&alive, c->session, alive_interval, alive_count);
	if (p->sudo != NULL)
		sudo_filter_init(&sf, p->sudo);
	ch = ssh_channel_new(c->session);
	if (ch == NULL) {
		channel_error(c, out, "cannot create a channel", deadline, SSH_ERROR, &alive);
		goto done;
	}
	exec_exit_watch(ch, &cb, &ei);

	if ((n = chan_step(ch, CHAN_OPEN, NULL, NULL, deadline, &alive)) != SSH_OK) {
		channel_error(c, out, "session channel refused", deadline, n, &alive);
		goto done;
	}
	if (tty && (n = chan_step(ch, CHAN_PTY, NULL, NULL, deadline, &alive)) != SSH_OK) {
		channel_error(c, out, "pty request refused", deadline, n, &alive);
		goto done;
	}
	if (send_env(c, h, ch, deadline, &alive, out) < 0)
		goto done;
	if ((n = chan_step(ch, CHAN_EXEC, p->command, NULL, deadline, &alive)) != SSH_OK) {
		channel_error(c, out, "exec request refused", deadline, n, &alive);
		goto done;
	}
	if (p->stdin_data == NULL && p->sudo == NULL) {
		ssh_channel_send_eof(ch);
		in_done = true;
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
		/* then the socket wakes us for the window */
		bool pushing = !in_done && (p->sudo == NULL || sf.accepted);
		double left = deadline - wait_now();
		int wait_ms = left > 0.05 ? 50 : (left > 0 ? (int)(left * 1000) + 1 : 0);

		/*
		 * Wait a little for stdout when there is nothing to send, then
		 * take what stderr has, up to STDERR_READS chunks: every read
		 * lets libssh 0.10 open the window again, so stderr read a chunk
		 * a round piles up in its buffer (30 MB on stderr held 60 MB).
		 */
		for (i = 0; i <= STDERR_READS; i++) {
			n = i == 0 ? ssh_channel_read_timeout(
			                     ch, buf, READ_CHUNK, 0, !pushing ? wait_ms : 0)
			           : ssh_channel_read_nonblocking(ch, buf, READ_CHUNK, 1);
			if (n > 0 && p->sudo != NULL) {
				ev = sudo_filter_data(&sf, h, i > 0, buf, (size_t)n);
				if ((ev & SUDO_EV_PROMPT) != 0 && !in_done) {
					int fed = sudo_feed(ch, &sf, p->sudo_password, tty);

					if (fed < 0) {
						channel_error(c, out,
						        "cannot send the sudo password", deadline,
						        SSH_ERROR, &alive);
						goto done;
					}
					in_done = fed == 1;
				}
				progress = true;
			} else if (n > 0) {
				output_host_data(h, i > 0, buf, (size_t)n);
				progress = true;
			} else if (n == SSH_ERROR) {
				if (ei.got_status)
					goto finished;
				if (ssh_is_connected(c->session))
					outcome_set(out, EK_CHANNEL, PHASE_RUN,
					        "the channel broke while the command ran");
				else
					connection_lost(c, out, "while the command ran");
				goto done;
			} else if (i > 0) {
				break; /* stderr has no more for now */
			}
		}
		if (!in_done && (p->sudo == NULL || sf.accepted)) {
			n = push_stdin(ch, p, &in_off, &in_done);
			if (n < 0 && !ssh_is_connected(c->session)) {
				connection_lost(c, out, "while sending stdin");
				goto done;
			}
			/* A command that ended without reading it all: keep its status, as ssh. */
			if (n < 0)
				in_done = true;
			if (n > 0)
				progress = true;
		}
		/*
		 * Busy or not, a flood of output or stdin must not outlast a
		 * cancel or the deadline; once the command is over only its
		 * output is left to read.
		 */
		if (!ei.got_status || !ssh_channel_is_eof(ch)) {
			if (cancel_requested()) {
				kill_remote(ch);
				outcome_set(out, EK_CANCELLED, PHASE_RUN,
				        "interrupted; remote command killed");
				goto done;
			}
			if (p->drain != NULL && !drained && atomic_load(p->drain)) {
				ssh_channel_request_send_signal(ch, "USR1");
				drained = true;
			}
			if (wait_now() >= deadline) {
				kill_remote(ch);
				outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN,
				        "still running after %.1f s; killed", p->timeout);
				goto done;
			}
			if (!alive_check(&alive, c->session)) {
				outcome_set(out, EK_LOST, PHASE_RUN, "%s while the command ran",
				        alive_why(&alive));
				goto done;
			}
		}
		if (progress)
			continue;
		if (ssh_channel_is_closed(ch) || (ssh_channel_is_eof(ch) && ei.got_status))
			break;
		if (ssh_channel_is_eof(ch)) {
			/* Output is over; wait (briefly, to stay cancellable) for the status. */
			ssh_channel_poll_timeout(ch, wait_ms, 0);
			ssh_channel_get_exit_status(ch);
		} else {
			/*
			 * A quiet command, or stdin waiting for the window: sleep
			 * until the socket stirs, a cancel, the deadline or the
			 * next keepalive rather than waking every wait_ms.  At
			 * most a second, in case libssh holds bytes it has not
			 * processed yet.
			 */
			double until = alive_due(&alive, deadline);

			wait_session(c->session, until < wait_now() + 1 ? until : wait_now() + 1);
		}
	}
finished:
	if (ei.signal != NULL) {
		h->exit_signal = xstrdup(ei.signal);
		outcome_set(out, EK_SIGNAL, PHASE_RUN, "killed by signal %s", ei.signal);
	} else if (!ei.got_status) {
		if (ssh_is_connected(c->session))
			outcome_set(out, EK_CHANNEL, PHASE_RUN,
			        "channel closed without an exit status");
		else
			connection_lost(c, out, "before the exit status came");
		goto done;
	} else {
		h->exit_code = ei.status;
		if (p->sudo != NULL && ei.status != 0 &&
		        sudo_filter_verdict(&sf, p->sudo_password != NULL) != NULL)
			outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN, "%s; exited with status %d",
			        sudo_filter_verdict(&sf, p->sudo_password != NULL), ei.status);
		else if (ei.status != 0)
			outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN, "exited with status %d",
			        ei.status);
	}
	rc = 0;
done:
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
	alive_stop(&alive, c->session);
	if (p->sudo != NULL)
		sudo_filter_end(&sf, h);
	free(ei.signal);
	free(buf);
	return rc;
}
