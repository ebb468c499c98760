/*
 * main.c - shoal: run one command on many hosts over SSH at once.
 *
 * Only wiring: parse the options, build the host list, read the password and
 * stdin once, run the pool, print the summary, exit with SPEC section 4's
 * status.  Each step lives in its own module.
 */
#include "config.h"

#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "buf.h"
#include "event.h"
#include "cancel.h"
#include "escape.h"
#include "connect.h"
#include "groups.h"
#include "host.h"
#include "hostlist.h"
#include "inventory.h"
#include "keeper.h"
#include "keys.h"
#include "knownhosts.h"
#include "log.h"
#include "mux.h"
#include "options.h"
#include "output.h"
#include "password.h"
#include "pool.h"
#include "sshconf.h"
#include "transfer.h"
#include "tree.h"
#include "tui.h"
#include "wait.h"
#include "xmalloc.h"

/*
 * A standard descriptor that came closed is opened on /dev/null: else the
 * first file shoal opens (an -o file) would take its number, and the lines
 * meant for stdout or stderr would land in it.
 */
static bool
std_fds_open(void)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd)
			return false;
	}
	return true;
}

static volatile sig_atomic_t interrupts;
static volatile sig_atomic_t view_on; /* the live view owns the terminal */
static volatile sig_atomic_t serving; /* a gateway: the root, which sent the signal, says it */

static void
on_interrupt(int sig)
{
	static const char msg[] = "\nshoal: interrupted; stopping (again to quit at once)\n";

	(void)sig;
	if (interrupts++ > 0) {
		if (view_on)
			tui_emergency_restore();
		_exit(130);
	}
	cancel_request();
	if (!view_on && !serving && write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
		interrupts++;
}

/* A gateway's root spent the failure budget: start no new host. */
static void
on_drain(int sig)
{
	(void)sig;
	cancel_drain_request();
}

static void
signals_setup(bool serve)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	serving = serve;
	if (serve) {
		sa.sa_handler = on_drain;
		sigaction(SIGUSR1, &sa, NULL);
	}
	/* Sockets and ProxyCommand pipes report EPIPE; stdout handles its own. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Each host in flight holds a few descriptors: take what the hard limit
 * allows (the pool keeps fanout within it).  No higher than 65536: libssh
 * cannot use a socket past that, and a ProxyCommand inherits the limit.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Every -w/-H in order, then -x, then the filters. */
static int
build_hostlist(const struct options *o, struct hostlist *hl)
{
	struct hostlist ex;
	char *err = NULL;
	size_t i;
	int rc = 2;

	hostlist_init(&ex);
	for (i = 0; i < o->nsources; i++) {
		const struct host_source *src = &o->sources[i];
		int r;

		if (src->is_group) {
			/* -g NAME is the item @NAME (a leading '@' is allowed too). */
			char *item = xasprintf("@%s", src->value + (src->value[0] == '@'));

			r = hostlist_add_expr(hl, item, "-g", &err);
			free(item);
		} else if (src->is_file || strcmp(src->value, "-") == 0)
			r = hostlist_add_file(hl, src->value, &err);
		else
			r = hostlist_add_expr(hl, src->value, "-w", &err);
		if (r < 0)
			goto fail;
	}
	/* -x host1 drops every host1: an inventory's user and port would narrow it to one. */
	hostlist_set_vars(NULL);
	for (i = 0; i < o->nexcludes; i++) {
		if (hostlist_add_expr(&ex, o->excludes[i], "-x", &err) < 0)
			goto fail;
	}
	if (o->nexcludes > 0)
		hostlist_exclude(hl, &ex);
	for (i = 0; i < o->nfilters; i++) {
		const struct host_filter *f = &o->filters[i];

		if (hostlist_filter(hl, f->pattern, f->keep, f->keep ? "--filter" : "--filter-out",
		            &err) < 0)
			goto fail;
	}
	if (hl->n == 0) {
		err = xstrdup(o->nsources == 0 ? "no hosts given (use -w, -H or -g)"
		                               : "the host list is empty after -x and filters");
		goto fail;
	}
	/* Before ssh_config's % tokens can hand a name to a shell (Match exec). */
	for (i = 0; i < hl->n; i++) {
		const char *bad = sshconf_bad_name(hl->v[i].user, hl->v[i].alias);
		char *item, *shown;

		if (bad == NULL)
			continue;
		item = host_spec_string(hl->v[i].alias, hl->v[i].user, hl->v[i].port);
		shown = escape_text(item, strlen(item), 200);
		err = xasprintf("host '%s': %s", shown, bad);
		free(item);
		free(shown);
		goto fail;
	}
	rc = 0;
fail:
	if (err != NULL)
		log_msg(LOG_QUIET, "%s", err);
	free(err);
	hostlist_free(&ex);
	return rc;
}

static int
read_stdin(struct buf *b)
{
	char chunk[65536];
	ssize_t r;

	while ((r = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_QUIET, "-I: cannot read stdin: %s", strerror(errno));
			return 2;
		}
		buf_append(b, chunk, (size_t)r);
	}
	return 0;
}

static bool
stdin_wanted_for_hosts(const struct options *o)
{
	size_t i;

	for (i = 0; i < o->nsources; i++) {
		if (strcmp(o->sources[i].value, "-") == 0)
			return true;
	}
	return false;
}

/* --list: one host a line, or (--fold) all in one folded expression. */
static void
list_hosts(const struct hostlist *hl, bool fold)
{
	char **names = xcalloc(hl->n ? hl->n : 1, sizeof *names), *folded;
	size_t i;

	for (i = 0; i < hl->n; i++) {
		names[i] = host_spec_string(hl->v[i].alias, hl->v[i].user, hl->v[i].port);
		if (!fold)
			printf("%s\n", names[i]);
	}
	if (fold) {
		folded = hostlist_fold((const char *const *)names, hl->n);
		printf("%s\n", folded);
		free(folded);
	}
	for (i = 0; i < hl->n; i++)
		free(names[i]);
	free(names);
}

/*
 * Host item i's final settings before the run, as its connection will have
 * them (connect_eval: an inventory's address, user and port too); 2, said,
 * when they cannot be had.
 */
static int
host_config(const struct options *o, size_t i, const struct hostspec *it, struct sshconf_host *cf)
{
	struct host *h = host_from_spec(i, it);
	char *err = NULL;
	int r = connect_eval(h, o, o->jump, cf, &err);

	host_free(h);
	if (r == 0)
		return 0;
	log_msg(LOG_QUIET, "%s: ssh_config: %s", it->alias, err);
	free(err);
	return 2;
}

/* -G: each host's ssh_config as ssh -G prints it; 2 when one cannot be evaluated. */
static int
print_configs(const struct options *o, const struct hostlist *hl)
{
	struct sshconf_host cf;
	size_t i;
	int rc = 0;

	for (i = 0; i < hl->n; i++) {
		if (host_config(o, i, &hl->v[i], &cf) != 0) {
			rc = 2;
			continue;
		}
		sshconf_print(stdout, &cf);
		sshconf_host_free(&cf);
	}
	return rc;
}

/*
 * No command given: as ssh, each host's RemoteCommand runs.  The same one
 * everywhere is the run's command; when they differ (%h...) each host runs
 * its own.  A host without one is an error (ssh would open a shell).
 */
static int
remote_commands(struct options *o, const struct hostlist *hl)
{
	struct sshconf_host cf;
	char *first = NULL;
	bool same = true;
	size_t i;
	int rc = 0;

	for (i = 0; i < hl->n && rc == 0; i++) {
		const struct hostspec *it = &hl->v[i];

		if ((rc = host_config(o, i, it, &cf)) != 0)
			break;
		if (cf.remote_command == NULL) {
			fprintf(stderr,
			        "shoal: no command given, and %s has no RemoteCommand in "
			        "ssh_config\n"
			        "Try 'shoal --help' for more information.\n",
			        it->alias);
			rc = 2;
		} else if (first == NULL) {
			first = xstrdup(cf.remote_command);
		} else if (strcmp(first, cf.remote_command) != 0) {
			same = false;
		}
		sshconf_host_free(&cf);
	}
	if (rc == 0 && hl->n > 0) {
		o->remote_command = !same;
		o->command = same ? first : xstrdup("(each host's RemoteCommand)");
		first = same ? NULL : first;
	} else if (rc == 0) {
		fprintf(stderr,
		        "shoal: no command given\nTry 'shoal --help' for more information.\n");
		rc = 2;
	}
	free(first);
	return rc;
}

/*
 * Run the pool: under the live view when it is wanted and the terminal can
 * show it, else plainly, with a note saying why not when --tui asked.
 * Returns when the run ended.
 */
static double
run(const struct options *o, const struct pool_params *pp)
{
	const char *why;
	struct pool *pool = NULL;
	bool tree = tree_wanted(o);
	double end;

	if (!tui_wanted(o)) {
		tree ? tree_run(pp) : pool_run(pp);
		return wait_now();
	}
	if ((why = tui_open()) != NULL) {
		log_msg(LOG_NORMAL, "live view off (%s): plain output", why);
		tree ? tree_run(pp) : pool_run(pp);
		return wait_now();
	}
	output_set_deferred();
	log_hold(true);
	view_on = 1;
	/* Tree mode: no pool of the targets' (no `r` or `:`); the view just shows them. */
	if (tree)
		tree_start(pp);
	else
		pool = pool_start(pp, true);
	end = tui_run(pp->hosts, pp->n, o, pool);
	tui_close();
	view_on = 0;
	log_hold(false);
	if (tree)
		tree_wait();
	else
		pool_wait(pool);
	return end;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct hostlist hl;
	struct host **hosts = NULL;
	struct buf in;
	struct pool_params pp;
	struct transfer_plan plan;
	struct tree_job job;
	bool serve = tree_serve_wanted(argc, argv);
	char *password = NULL;
	double t0 = wait_now(), end;
	bool done = false;
	size_t i;
	int rc;

	if (!std_fds_open())
		return 2; /* no stderr to say so on */
	raise_fd_limit();
	hostlist_init(&hl);
	buf_init(&in);
	memset(&plan, 0, sizeof plan);
	memset(&job, 0, sizeof job);
	/* A gateway's options, hosts and stdin come in the job (tree mode). */
	if (serve && (rc = tree_job_read(&job, argv)) != 0) {
		options_init(&o);
		goto out;
	}
	rc = serve ? options_parse(&o, job.argc, job.argv, &done)
	           : options_parse(&o, argc, argv, &done);
	if (rc != 0 || done)
		goto out;
	log_set_level(o.verbosity);
	hostlist_set_groups(groups_expand);
	groups_set_timeout(o.group_timeout);
	/* Every inventory read and checked now: its errors stop the run before anything runs. */
	for (i = 0; i < o.ninventories; i++) {
		char *err = NULL;

		if (inventory_load(o.inventories[i], &err) < 0) {
			log_msg(LOG_QUIET, "--inventory: %s", err);
			free(err);
			rc = 2;
			goto out;
		}
	}
	if (o.ninventories > 0)
		hostlist_set_vars(groups_host_vars);
	if (o.list_groups) {
		char *err = NULL;

		if (groups_list(stdout, &err) < 0) {
			log_msg(LOG_QUIET, "%s", err);
			rc = 2;
		}
		free(err);
		goto out;
	}
	if (o.persist == 0 && o.nsources == 0 && o.command == NULL) {
		/* `shoal --persist 0` alone: close every kept session, run nothing. */
		log_msg(LOG_VERBOSE, "--persist 0: told %d keeper(s) to close", mux_stop_all());
		goto out;
	}
	if (serve) {
		hl = job.hosts;
		hostlist_init(&job.hosts);
	} else if ((rc = build_hostlist(&o, &hl)) != 0)
		goto out;
	if (o.list) {
		list_hosts(&hl, o.fold);
		goto out;
	}
	/* ssh_config is checked before anything connects: its errors are usage errors. */
	if ((rc = sshconf_load(o.ssh_config)) != 0)
		goto out;
	if (o.print_config) {
		rc = print_configs(&o, &hl);
		goto out;
	}
	if (o.command == NULL && (rc = remote_commands(&o, &hl)) != 0)
		goto out;
	if (o.send_stdin && stdin_wanted_for_hosts(&o)) {
		log_msg(LOG_QUIET, "-I and -w -: stdin can feed only one of them");
		rc = 2;
		goto out;
	}
	if (o.xfer != XFER_NONE && (rc = transfer_plan_build(&plan, &o)) != 0)
		goto out;
	/* A gateway's --rcopy pulls into its private folder and sends each target's files up. */
	if (serve && o.xfer == XFER_RCOPY)
		event_stream_rcopy(&plan);
	if (tree_wanted(&o) && (rc = tree_plan(&o, &hl)) != 0)
		goto out;
	/* Before a password is asked or stdin read: a bad -o or --failed ends it now. */
	if ((rc = output_init(&o)) != 0)
		goto out;
	if (serve)
		password = tree_job_password(&job);
	else if ((rc = password_get(&o, &password)) != 0)
		goto out;
	if (serve)
		buf_append(&in, job.in.p ? job.in.p : "", job.in.len);
	else if (o.send_stdin && (rc = read_stdin(&in)) != 0)
		goto out;

	hosts = xcalloc(hl.n, sizeof *hosts);
	for (i = 0; i < hl.n; i++) {
		hosts[i] = host_from_spec(i, &hl.v[i]);
		/* A gateway's %i is the operator's index of the host, not its share's. */
		if (serve)
			hosts[i]->list_index = job.list_index[i];
	}
	host_name_all(hosts, hl.n);
	signals_setup(serve);
	log_libssh_thread(NULL);
	ssh_init();
	memset(&pp, 0, sizeof pp);
	pp.hosts = hosts;
	pp.n = hl.n;
	pp.opts = &o;
	pp.password = password;
	pp.stdin_data = o.send_stdin ? (in.p ? in.p : "") : NULL;
	pp.stdin_len = in.len;
	pp.plan = o.xfer != XFER_NONE ? &plan : NULL;
	mux_init(&o);
	/* The summary's time is the run's, not the operator's look at the view after it. */
	end = run(&o, &pp);
	if (serve) {
		rc = event_stream_end();
	} else {
		rc = output_finish(hosts, hl.n, end - t0);
		if (rc == 0 || output_exit_status(hosts, hl.n) > rc)
			rc = output_exit_status(hosts, hl.n);
	}
	keys_free();
	/* The keeper is forked from here: it must hold no password, key file or stdin. */
	password_free(password);
	password = NULL;
	if (in.p != NULL)
		explicit_bzero(in.p, in.len);
	buf_free(&in);
	mux_free();
	kh_free();
	for (i = 0; i < hl.n; i++)
		host_free(hosts[i]);
	free(hosts);
	/* Last, so the keeper starts with little of this run's memory. */
	keeper_start(&o);
	ssh_finalize();
out:
	/* A gateway that stops early still sends what it said (its version, first). */
	if (serve)
		event_stream_end();
	output_free();
	/* --help, --list and the run alike: output that did not reach stdout is an error. */
	if (output_stdout_status() != 0 && (rc == 0 || rc == 1))
		rc = 3;
	password_free(password);
	buf_free(&in);
	transfer_plan_free(&plan);
	sshconf_free();
	groups_free();
	tree_free();
	tree_job_free(&job);
	hostlist_free(&hl);
	options_free(&o);
	return rc;
}
