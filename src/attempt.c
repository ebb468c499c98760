/*
 * attempt.c - one attempt at a host, from getting a session to the job's
 * outcome.
 *
 * A session comes, in this order, from the live view (the one kept since
 * the host's last command, for a `:` command), from a keeper (a warm run:
 * mux.c; the keeper runs the command with exec.c's runner and its frames
 * come back into the host's sink, as a cold run's events do), or fresh
 * (connect.c, jump.c).  A keeper's "not held" means nothing was started,
 * and the attempt connects afresh.  The job's request is built once, from
 * the host's evaluated ssh_config, whichever session runs it, so a warm
 * run sends the same pty, environment, keepalives and deadline as a cold
 * one.
 *
 * After the job a fresh session may be kept: by the view for its next
 * `:`, else by a keeper (keeper_hold).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attempt.h"
#include "cancel.h"
#include "keeper.h"
#include "log.h"
#include "mux.h"
#include "output.h"
#include "sudo.h"
#include "template.h"
#include "wait.h"
#include "xmalloc.h"

/*
 * The command for h: --template's tokens replaced (HostName as ssh_config
 * gives it), then wrapped for --sudo.  malloc'd.
 */
static char *
job_command(const struct attempt_job *j, const struct conn *c, struct host *h, const char *command)
{
	char *s = NULL, *line;

	/* No command given: this host's RemoteCommand, as ssh runs it (not a `:` one). */
	if (j->opts->remote_command && h->run_command == NULL && c->have_cf &&
	        c->cf.remote_command != NULL)
		command = c->cf.remote_command;
	if (j->opts->template)
		command = s = template_expand(command, h, c->have_cf ? c->cf.hostname : NULL);
	if (j->eparams.sudo != NULL) {
		line = sudo_command(j->eparams.sudo, command);
		free(s);
		return line;
	}
	return s != NULL ? s : xstrdup(command);
}

/*
 * The copy over l (a session's channel or a keeper's relay): --template's
 * tokens in DEST (--copy) or SRC (--rcopy), HostName as ssh_config gives it.
 */
static int
job_transfer(const struct attempt_job *j, const struct sftpc_link *l, struct host *h,
        const char *hostname, struct outcome *out)
{
	struct transfer_plan plan = *j->plan;
	char *s = NULL;
	int rc;

	if (j->opts->template) {
		s = template_expand(plan.mode == XFER_COPY ? plan.dest : plan.rsrc, h, hostname);
		if (plan.mode == XFER_COPY)
			plan.dest = s;
		else
			plan.rsrc = s;
	}
	rc = transfer_run(l, h, &plan, out);
	free(s);
	return rc;
}

/* The running phase on an authenticated session: the command or the transfer. */
static int
job_run(const struct attempt_job *j, struct conn *c, struct host *h, const struct exec_params *e,
        struct outcome *out)
{
	struct exec_params ep = *e;
	struct sftpc_link l = {c->session, 0, 0, -1};
	char *command;
	int rc;

	if (j->plan != NULL) {
		connect_alive(c, &l.alive_interval, &l.alive_count);
		return job_transfer(j, &l, h, c->have_cf ? c->cf.hostname : NULL, out);
	}
	ep.command = command = job_command(j, c, h, ep.command);
	rc = exec_run(c, h, &ep, out);
	free(command);
	return rc;
}

/*
 * After a command ran: with the view up the session waits for its next `:`
 * (true), else a keeper may take it (--persist).  Else the caller closes it.
 */
static bool
keep_session(const struct attempt_job *j, struct conn *c, struct host *h, double again)
{
	struct conn *kc;

	if (j->kept == NULL)
		return keeper_hold(c, h, j->opts, again);
	kc = xmalloc(sizeof *kc);
	*kc = *c;
	/* libssh holds a pointer to the callbacks: to the copy that stays. */
	ssh_set_callbacks(kc->session, &kc->callbacks);
	j->kept[h->index] = kc;
	return true;
}

/*
 * Whether the server closed a kept session (its socket reads EOF): nothing
 * is started on it then, and the host connects afresh.  Data waiting (a
 * keepalive, a late close) is no sign either way: it counts as open.
 */
static bool
kept_closed(struct conn *kc)
{
	int fd = ssh_get_fd(kc->session);
	char b;

	return !ssh_is_connected(kc->session) || fd < 0 ||
	       recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* The job on a session, which is then kept or closed. */
static void
job_on(const struct attempt_job *j, struct conn *c, struct host *h, const struct exec_params *ep,
        double again, struct outcome *out)
{
	int rc;

	output_host_start(h);
	rc = job_run(j, c, h, ep, out);
	connect_note_via(c, out);
	if (rc != 0 || !keep_session(j, c, h, again))
		connect_close(c);
}

/* Who a kept session logs in as is what h's ssh_config says: --template's %u and %p. */
static void
login_from_config(struct host *h, const struct sshconf_host *cf)
{
	pthread_mutex_lock(&h->lock);
	free(h->login_user);
	h->login_user = cf->user ? xstrdup(cf->user) : NULL;
	h->login_port = cf->port;
	pthread_mutex_unlock(&h->lock);
}

/*
 * The copy over an SFTP channel a keeper opens on its session and relays:
 * transfer.c runs here as on a fresh session.  MUX_NOT_HELD as mux_sftp says.
 */
static int
warm_transfer(const struct attempt_job *j, const struct conn *cf, struct host *h,
        struct outcome *out, double *again)
{
	struct sftpc_link l = {NULL, 0, 0, -1};
	struct run_request rq;
	int rc;

	memset(&rq, 0, sizeof rq);
	rq.name = h->name;
	rq.timeout = j->plan->timeout;
	connect_alive(cf, &rq.alive_interval, &rq.alive_count);
	if ((l.relay_fd = mux_sftp(h, j->opts, &cf->cf, &rq, again)) < 0)
		return MUX_NOT_HELD;
	output_host_start(h);
	rc = job_transfer(j, &l, h, cf->cf.hostname, out);
	close(l.relay_fd);
	return rc;
}

/*
 * The job over a keeper's session.  MUX_NOT_HELD when none holds h or the
 * keeper started nothing (*again as mux_run says); else the run's result.
 */
static int
job_warm(const struct attempt_job *j, struct host *h, const struct exec_params *ep,
        struct outcome *out, double *again)
{
	struct conn cf;
	struct run_request rq;
	struct run_sink sk;
	struct exec_params wp = *ep;
	char *command;
	int rc;

	/* A password (sudo's) is never handed to a keeper, which outlives the run. */
	if ((ep->sudo != NULL && ep->sudo_password != NULL) || !mux_any())
		return MUX_NOT_HELD;
	memset(&cf, 0, sizeof cf);
	if (connect_config(&cf, h, j->opts, j->opts->jump, out) < 0) {
		outcome_clear(out);
		return MUX_NOT_HELD; /* the fresh connection says why */
	}
	login_from_config(h, &cf.cf);
	if (j->plan != NULL) {
		rc = warm_transfer(j, &cf, h, out, again);
		connect_config_free(&cf);
		return rc;
	}
	wp.command = command = job_command(j, &cf, h, ep->command);
	exec_request(&cf, h->name, &wp, &rq);
	exec_host_sink(h, &sk);
	/*
	 * A forwarded agent is this process's socket: a keeper cannot offer
	 * it, so such a run connects afresh and gets it, as a cold run does.
	 */
	rc = rq.agent_sock != NULL ? MUX_NOT_HELD
	                           : mux_run(h, j->opts, &cf.cf, &rq, &sk, out, again);
	exec_request_free(&rq);
	free(command);
	connect_config_free(&cf);
	return rc;
}

void
attempt_run(const struct attempt_job *j, struct host *h, struct outcome *out)
{
	const struct exec_params *ep = &j->eparams;
	struct exec_params rp;
	struct conn c, *kc;
	double again = 0;

	if (h->run_command != NULL) {
		/* A `:` command of the view: no stdin (it went to the first). */
		rp = j->eparams;
		rp.command = h->run_command;
		rp.stdin_data = NULL;
		rp.stdin_len = 0;
		ep = &rp;
	}
	if (j->kept != NULL && (kc = j->kept[h->index]) != NULL) {
		j->kept[h->index] = NULL;
		if (!kept_closed(kc)) {
			job_on(j, kc, h, ep, 0, out);
			free(kc);
			goto end;
		}
		log_msg(LOG_VERBOSE, "%s: the server closed the session kept open; connecting",
		        h->name);
		connect_close(kc);
		free(kc);
	}
	/* A keeper's session first; nothing started there means connect afresh. */
	if (job_warm(j, h, ep, out, &again) != MUX_NOT_HELD)
		goto end;
	if (connect_host(&c, h, &j->cparams, out) == 0)
		job_on(j, &c, h, ep, again, out);
end:
	host_attempt_end(h, out, wait_now());
}

void
attempt_release(struct attempt_job *j, struct host **hosts, size_t n)
{
	size_t i;

	for (i = 0; j->kept != NULL && i < n; i++) {
		struct conn *kc = j->kept[i];

		if (kc != NULL && (cancel_requested() || !keeper_hold(kc, hosts[i], j->opts, 0)))
			connect_close(kc);
		free(kc);
	}
	free(j->kept);
	j->kept = NULL;
}
