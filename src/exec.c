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
 * server that ignores signal requests.  A gateway's shoal (tree mode) is
 * sent TERM first and read to its end, so that it kills its own hosts'
 * commands: KILL comes only after GATEWAY_STOP_S.
 *
 * Liveness: alive.c watches the session in every wait, the channel setup
 * included; a host that stops answering, or a connection that breaks, is
 * lost.
 *
 * The channel's setup follows ssh's order: agent forwarding (-A, or the
 * host's ForwardAgent; agent.c relays the channels the server then opens
 * back), a pty (-T, or the host's RequestTTY), the environment (SendEnv,
 * SetEnv), then the command.
 *
 * The runner knows no host and no options: a run request holds every
 * per-host decision (exec_request makes it from the host's ssh_config) and
 * its events go to a sink.  The host's sink writes the output and result;
 * a keeper's writes frames to the client of a warm run, which feeds them to
 * the host's sink, so a warm run and a cold one end the same way.
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

#include "agent.h"
#include "alive.h"
#include "cancel.h"
#include "escape.h"
#include "exec.h"
#include "log.h"
#include "output.h"
#include "prompt.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

#define READ_CHUNK   65536
#define STDERR_READS 32      /* stderr chunks taken in one round, at most */
#define STDIN_CHUNK  262144  /* at most per write; libssh cuts it into packets */
#define CHAN_LOST    (-1000) /* chan_step: the host stopped answering */
/* Bytes of a server's signal name kept: real ones are a few letters. */
#define SIGNAL_NAME_MAX 64
/* A gateway told TERM has this long to stop its hosts and end before it is sent KILL. */
#define GATEWAY_STOP_S 5.0

extern char **environ;

static void
exit_status_cb(ssh_session session, ssh_channel channel, int exit_status, void *userdata)
{
	struct run_exit *ei = userdata;

	ei->got_status = true;
	ei->status = exit_status;
}

static void
exit_signal_cb(ssh_session session, ssh_channel channel, const char *signal, int core,
        const char *errmsg, const char *lang, void *userdata)
{
	struct run_exit *ei = userdata;

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

static void
exit_watch(ssh_channel ch, struct ssh_channel_callbacks_struct *cb, struct run_exit *ei)
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
	CHAN_AGENT,
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
		case CHAN_AGENT:
			rc = ssh_channel_request_auth_agent(ch);
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
connection_lost(ssh_session s, struct outcome *out, const char *when)
{
	const char *e = ssh_get_error(s);

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
channel_error(ssh_session s, struct outcome *out, const char *what, double deadline, int rc,
        struct alive *a, bool stopped)
{
	/* It quotes the server (a disconnect's reason): outcome_set escapes it. */
	const char *e = ssh_get_error(s);

	if (stopped)
		outcome_set(
		        out, EK_CANCELLED, PHASE_RUN, "interrupted while setting up the command");
	else if (rc == CHAN_LOST)
		outcome_set(
		        out, EK_LOST, PHASE_RUN, "%s while setting up the command", alive_why(a));
	else if (!ssh_is_connected(s))
		connection_lost(s, out, "while setting up the command");
	else if (wait_now() >= deadline)
		outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN, "%s: no answer before the deadline",
		        what);
	else
		outcome_set(out, EK_CHANNEL, PHASE_RUN, "%s: %s", what, e && *e ? e : "refused");
}

/* Whether the run is to end now: a cancel, or the sink's reader said so. */
static bool
run_stopped(const struct run_sink *sk)
{
	return cancel_requested() || (sk->stop != NULL && sk->stop(sk->ctx));
}

/*
 * The request's environment (ssh_config's SendEnv and SetEnv, in ssh's
 * order), one env request each.  A refusal (sshd accepts only what its
 * AcceptEnv names) fails nothing, as in ssh, which does not even ask for an
 * answer; libssh 0.10 always does, so each costs a round trip.  Returns 0,
 * or -1 with out filled.
 */
static int
send_env(ssh_session s, const struct run_request *rq, const struct run_sink *sk, ssh_channel ch,
        double deadline, struct alive *a, struct outcome *out)
{
	const char *eq;
	char *name;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < rq->nenv && rc == 0; i++) {
		eq = strchr(rq->env[i], '=');
		if (eq == NULL)
			continue;
		name = xstrndup(rq->env[i], (size_t)(eq - rq->env[i]));
		r = chan_step(ch, CHAN_ENV, name, eq + 1, deadline, a);
		if (r == SSH_ERROR && ssh_get_error_code(s) == SSH_REQUEST_DENIED &&
		        ssh_channel_is_open(ch) && !run_stopped(sk)) {
			log_msg(LOG_DEBUG, "%s: the server did not take environment variable %s",
			        rq->name, name);
		} else if (r != SSH_OK) {
			channel_error(
			        s, out, "env request failed", deadline, r, a, run_stopped(sk));
			rc = -1;
		}
		free(name);
	}
	return rc;
}

/*
 * Write what the window takes of the rest of stdin, without blocking, and
 * EOF after the last byte.  Returns the bytes written, or -1.
 */
static int
push_stdin(ssh_channel ch, const struct run_request *rq, size_t *off, bool *in_done)
{
	ssh_session s = ssh_channel_get_session(ch);
	int blocking = ssh_is_blocking(s);
	size_t want = rq->stdin_len - *off;
	uint32_t win = ssh_channel_window_size(ch);
	int n = 0;

	if (want > STDIN_CHUNK)
		want = STDIN_CHUNK;
	if (want > win)
		want = win;
	/* Blocking, libssh would also wait for the socket to drain after each write. */
	ssh_set_blocking(s, 0);
	if (want > 0)
		n = ssh_channel_write(ch, rq->stdin_data + *off, (uint32_t)want);
	if (n > 0)
		*off += (size_t)n;
	if (n >= 0 && *off == rq->stdin_len) {
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

/* The state of one run, shared by its steps. */
struct run {
	ssh_session s;
	ssh_channel ch;
	const struct run_request *rq;
	const struct run_sink *sk;
	struct sudo_filter sf;
	bool in_done; /* no more stdin to send: EOF sent, or the command is gone */
	double deadline;
	struct alive alive;
	struct prompt_watch pw;    /* the last line, for a prompt nothing will answer */
	struct agent_forward *fwd; /* rq->agent_sock's relay, NULL: none */
};

/*
 * Bytes of one stream from the channel, on their way to the sink: the one
 * place every byte of a command's output passes.  Returns 0, or -1 with out
 * set when the channel failed.
 */
static int
run_data(struct run *r, bool is_stderr, const char *p, size_t n, struct outcome *out)
{
	unsigned ev;
	int fed;

	prompt_watch_feed(&r->pw, p, n, wait_now());
	if (r->rq->sudo == NULL) {
		r->sk->data(r->sk->ctx, is_stderr, p, n);
		return 0;
	}
	ev = sudo_filter_data(&r->sf, is_stderr, p, n);
	if ((ev & SUDO_EV_PROMPT) != 0 && !r->in_done) {
		fed = sudo_feed(r->ch, &r->sf, r->rq->sudo_password, r->rq->tty);
		if (fed < 0) {
			channel_error(r->s, out, "cannot send the sudo password", r->deadline,
			        SSH_ERROR, &r->alive, run_stopped(r->sk));
			return -1;
		}
		r->in_done = fed == 1;
	}
	return 0;
}

/* The channel, its pty, environment and the exec request.  Returns 0, or -1 with out set. */
static int
run_setup(struct run *r, struct outcome *out)
{
	int n;

	if ((n = chan_step(r->ch, CHAN_OPEN, NULL, NULL, r->deadline, &r->alive)) != SSH_OK) {
		channel_error(r->s, out, "session channel refused", r->deadline, n, &r->alive,
		        run_stopped(r->sk));
		return -1;
	}
	if (r->rq->agent_sock != NULL) {
		r->fwd = agent_forward_start(r->s, r->rq->agent_sock);
		if ((n = chan_step(r->ch, CHAN_AGENT, NULL, NULL, r->deadline, &r->alive)) !=
		        SSH_OK) {
			channel_error(r->s, out, "agent forwarding request failed", r->deadline, n,
			        &r->alive, run_stopped(r->sk));
			return -1;
		}
	}
	if (r->rq->tty &&
	        (n = chan_step(r->ch, CHAN_PTY, NULL, NULL, r->deadline, &r->alive)) != SSH_OK) {
		channel_error(r->s, out, "pty request refused", r->deadline, n, &r->alive,
		        run_stopped(r->sk));
		return -1;
	}
	if (send_env(r->s, r->rq, r->sk, r->ch, r->deadline, &r->alive, out) < 0)
		return -1;
	if ((n = chan_step(r->ch, CHAN_EXEC, r->rq->command, NULL, r->deadline, &r->alive)) !=
	        SSH_OK) {
		channel_error(r->s, out, "exec request refused", r->deadline, n, &r->alive,
		        run_stopped(r->sk));
		/*
		 * The request left: unless the server said no, the command may
		 * be running though its answer never came (lost, the deadline, a
		 * cancel), and it must not be run again.
		 */
		out->started = !(n == SSH_ERROR && ssh_get_error_code(r->s) == SSH_REQUEST_DENIED &&
		                 ssh_is_connected(r->s));
		return -1;
	}
	out->started = true;
	if (r->sk->started != NULL)
		r->sk->started(r->sk->ctx);
	return 0;
}

int
exec_channel(
        ssh_session s, const struct run_request *rq, const struct run_sink *sk, struct outcome *out)
{
	struct ssh_channel_callbacks_struct cb;
	struct run_exit ei = {false, -1, NULL};
	struct run r;
	double start = wait_now();
	char *buf = xmalloc(READ_CHUNK);
	size_t in_off = 0;
	char *asked;
	bool drained = false; /* rq->drain's signal sent */
	double stop_by = 0;   /* a gateway told TERM: KILL it if it has not ended by then */
	long status_wait = 1; /* seconds a blocking wait for the exit status may take */
	int rc = -1, n, i;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.rq = rq;
	r.sk = sk;
	r.deadline = rq->timeout > 0 ? start + rq->timeout : start + 1e9;
	out->started = false;
	prompt_watch_init(&r.pw, start);
	/* The setup waits as the handshake did: a kept session may have been left blocking. */
	ssh_set_blocking(s, 0);
	alive_start(&r.alive, s, rq->alive_interval, rq->alive_count);
	if (rq->sudo != NULL)
		sudo_filter_init(&r.sf, rq->sudo, sk->data, sk->ctx);
	r.ch = ssh_channel_new(s);
	if (r.ch == NULL) {
		channel_error(s, out, "cannot create a channel", r.deadline, SSH_ERROR, &r.alive,
		        run_stopped(sk));
		goto done;
	}
	exit_watch(r.ch, &cb, &ei);
	if (run_setup(&r, out) < 0)
		goto done;
	if (rq->stdin_data == NULL && rq->sudo == NULL) {
		ssh_channel_send_eof(r.ch);
		r.in_done = true;
	}
	/*
	 * The data phase runs the session in blocking mode with short
	 * timeouts: libssh 0.10's non-blocking reads can leave the last packets
	 * (a window adjust out, or the tail of the output, EOF and exit status
	 * in) unprocessed until more bytes arrive, which never happens.
	 */
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &status_wait);
	ssh_set_blocking(s, 1);
	for (;;) {
		bool progress = false;
		/* then the socket wakes us for the window */
		bool pushing = !r.in_done && (rq->sudo == NULL || r.sf.accepted);
		double left = r.deadline - wait_now();
		int wait_ms = left > 0.05 ? 50 : (left > 0 ? (int)(left * 1000) + 1 : 0);

		/*
		 * Wait a little for stdout when there is nothing to send, then
		 * take what stderr has, up to STDERR_READS chunks: every read
		 * lets libssh 0.10 open the window again, so stderr read a chunk
		 * a round piles up in its buffer (30 MB on stderr held 60 MB).
		 */
		for (i = 0; i <= STDERR_READS; i++) {
			n = i == 0 ? ssh_channel_read_timeout(
			                     r.ch, buf, READ_CHUNK, 0, !pushing ? wait_ms : 0)
			           : ssh_channel_read_nonblocking(r.ch, buf, READ_CHUNK, 1);
			if (n > 0) {
				if (run_data(&r, i > 0, buf, (size_t)n, out) < 0)
					goto done;
				progress = true;
			} else if (n == SSH_ERROR) {
				if (ei.got_status)
					goto finished;
				if (ssh_is_connected(s))
					outcome_set(out, EK_CHANNEL, PHASE_RUN,
					        "the channel broke while the command ran");
				else
					connection_lost(s, out, "while the command ran");
				goto done;
			} else if (i > 0) {
				break; /* stderr has no more for now */
			}
		}
		if (!r.in_done && (rq->sudo == NULL || r.sf.accepted)) {
			n = push_stdin(r.ch, rq, &in_off, &r.in_done);
			if (n < 0 && !ssh_is_connected(s)) {
				connection_lost(s, out, "while sending stdin");
				goto done;
			}
			/* A command that ended without reading it all: keep its status, as ssh. */
			if (n < 0)
				r.in_done = true;
			if (n > 0)
				progress = true;
		}
		/*
		 * Busy or not, a flood of output or stdin must not outlast a
		 * cancel or the deadline; once the command is over only its
		 * output is left to read.
		 */
		if (!ei.got_status || !ssh_channel_is_eof(r.ch)) {
			/*
			 * A gateway's shoal (rq->drain: tree mode) is told TERM, so
			 * that it kills its own hosts' commands, and those of the
			 * gateways below it, and says so; KILL would leave them
			 * running.  KILL only when it has not ended in time.
			 */
			if (run_stopped(sk) && rq->drain != NULL && stop_by == 0) {
				ssh_channel_request_send_signal(r.ch, "TERM");
				stop_by = wait_now() + GATEWAY_STOP_S;
			} else if (run_stopped(sk) &&
			           (rq->drain == NULL || wait_now() >= stop_by)) {
				kill_remote(r.ch);
				outcome_set(out, EK_CANCELLED, PHASE_RUN,
				        "interrupted; remote command killed");
				goto done;
			}
			/* A gateway told to drain by its root tells the gateways below it. */
			if (rq->drain != NULL && !drained &&
			        (atomic_load(rq->drain) || cancel_drain_requested())) {
				ssh_channel_request_send_signal(r.ch, "USR1");
				drained = true;
			}
			if (wait_now() >= r.deadline) {
				kill_remote(r.ch);
				outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN,
				        "still running after %.1f s; killed", rq->timeout);
				goto done;
			}
			/* A prompt with stdin ended or held back (--sudo) waits for ever. */
			if ((r.in_done || (rq->sudo != NULL && !r.sf.accepted)) &&
			        (asked = prompt_waiting(&r.pw, wait_now(), rq->sudo != NULL)) !=
			                NULL) {
				kill_remote(r.ch);
				outcome_set(out, EK_PROMPT, PHASE_RUN, "%s", asked);
				free(asked);
				goto done;
			}
			if (!alive_check(&r.alive, s)) {
				outcome_set(out, EK_LOST, PHASE_RUN, "%s while the command ran",
				        alive_why(&r.alive));
				goto done;
			}
		}
		if (progress)
			continue;
		if (ssh_channel_is_closed(r.ch) || (ssh_channel_is_eof(r.ch) && ei.got_status))
			break;
		if (ssh_channel_is_eof(r.ch)) {
			/* Output is over; wait (briefly, to stay cancellable) for the status. */
			ssh_channel_poll_timeout(r.ch, wait_ms, 0);
			ssh_channel_get_exit_status(r.ch);
		} else {
			/*
			 * A quiet command, or stdin waiting for the window: sleep
			 * until the socket stirs, a cancel, the deadline or the
			 * next keepalive rather than waking every wait_ms.  At
			 * most a second, in case libssh holds bytes it has not
			 * processed yet.
			 */
			double until = alive_due(&r.alive,
			        stop_by > 0 && stop_by < r.deadline ? stop_by : r.deadline);
			/*
			 * A gateway's channel looks at the drain every 100 ms (no fd
			 * wakes it): its hosts must not start after the root stopped.
			 */
			double most = wait_now() + (rq->drain != NULL && !drained ? 0.1 : 1);

			wait_session(s, until < most ? until : most);
		}
	}
finished:
	if (ei.signal != NULL) {
		outcome_set(out, EK_SIGNAL, PHASE_RUN, "killed by signal %s", ei.signal);
	} else if (!ei.got_status) {
		if (ssh_is_connected(s))
			outcome_set(out, EK_CHANNEL, PHASE_RUN,
			        "channel closed without an exit status");
		else
			connection_lost(s, out, "before the exit status came");
		goto done;
	} else {
		/* The status is a uint32 on the wire; libssh hands it over as an int. */
		if (rq->sudo != NULL && ei.status != 0 &&
		        sudo_filter_verdict(&r.sf, rq->sudo_password != NULL) != NULL)
			outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN, "%s; exited with status %u",
			        sudo_filter_verdict(&r.sf, rq->sudo_password != NULL),
			        (unsigned)ei.status);
		else if (ei.status != 0)
			outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN, "exited with status %u",
			        (unsigned)ei.status);
	}
	rc = 0;
done:
	if (r.ch != NULL) {
		/*
		 * A channel freed before the server's close stays in the
		 * session, which may live on (the view's `:`, a keeper): its
		 * late packets must not reach callbacks on this stack.
		 */
		ssh_remove_channel_callbacks(r.ch, &cb);
		if (ssh_channel_is_open(r.ch))
			ssh_channel_close(r.ch);
		ssh_channel_free(r.ch);
	}
	agent_forward_stop(r.fwd);
	alive_stop(&r.alive, s);
	if (rq->sudo != NULL)
		sudo_filter_end(&r.sf);
	if (rc != 0) {
		/* A status that came while the command was being killed is not its end. */
		free(ei.signal);
		ei.signal = NULL;
		ei.got_status = false;
	}
	if (sk->done != NULL)
		sk->done(sk->ctx, out, &ei);
	free(ei.signal);
	free(buf);
	return rc;
}

/*
 * The agent to forward, as ssh decides it: -A, else ForwardAgent (yes: the
 * one in SSH_AUTH_SOCK; a path, or $VAR naming one); NULL: none, or no
 * agent to forward (ssh forwards nothing then either).
 */
static const char *
agent_to_forward(const struct conn *c, const struct exec_params *p)
{
	const char *path;

	if (!p->forward_agent && !(c->have_cf && c->cf.forward_agent == 1))
		return NULL;
	path = p->forward_agent ? NULL : c->cf.forward_agent_path;
	if (path == NULL)
		path = getenv("SSH_AUTH_SOCK");
	else if (path[0] == '$')
		path = getenv(path + 1);
	return path != NULL && *path != '\0' ? path : NULL;
}

void
exec_request(
        const struct conn *c, const char *name, const struct exec_params *p, struct run_request *rq)
{
	const char **env = NULL;

	memset(rq, 0, sizeof *rq);
	rq->name = name;
	rq->command = p->command;
	/* -T against RequestTTY was settled with the host's settings (sshconf_resolve). */
	rq->tty = c->have_cf ? c->cf.tty : p->tty;
	/*
	 * SendEnv picks from shoal's own environment, which no longer holds
	 * the --password-env variable: password.c removed it before any
	 * thread started.
	 */
	rq->nenv = c->have_cf ? sshconf_env(&c->cf, environ, &env) : 0;
	rq->env = env;
	rq->stdin_data = p->stdin_data;
	rq->stdin_len = p->stdin_len;
	rq->timeout = p->timeout;
	rq->drain = p->drain;
	connect_alive(c, &rq->alive_interval, &rq->alive_count);
	rq->sudo = p->sudo;
	rq->sudo_password = p->sudo_password;
	rq->agent_sock = agent_to_forward(c, p);
}

void
exec_request_free(struct run_request *rq)
{
	free(rq->env);
	rq->env = NULL;
	rq->nenv = 0;
}

static void
host_sink_started(void *ctx)
{
	struct host *h = ctx;

	log_msg(LOG_DEBUG, "%s: the command started", h->name);
}

static void
host_data(void *ctx, bool is_stderr, const char *p, size_t n)
{
	output_host_data(ctx, is_stderr, p, n);
}

static void
host_done(void *ctx, const struct outcome *out, const struct run_exit *ex)
{
	struct host *h = ctx;

	(void)out;
	if (ex->signal != NULL)
		h->exit_signal = xstrdup(ex->signal);
	else if (ex->got_status)
		h->exit_code = (unsigned)ex->status;
}

void
exec_host_sink(struct host *h, struct run_sink *sk)
{
	memset(sk, 0, sizeof *sk);
	sk->ctx = h;
	sk->started = host_sink_started;
	sk->data = host_data;
	sk->done = host_done;
}

int
exec_run(struct conn *c, struct host *h, const struct exec_params *p, struct outcome *out)
{
	struct run_request rq;
	struct run_sink sk;
	int rc;

	host_phase(h, PHASE_RUN, wait_now());
	exec_request(c, h->name, p, &rq);
	exec_host_sink(h, &sk);
	rc = exec_channel(c->session, &rq, &sk, out);
	exec_request_free(&rq);
	return rc;
}
