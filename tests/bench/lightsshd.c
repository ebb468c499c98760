/*
 * tests/bench/lightsshd.c - a light SSH target for the benchmarks, built by
 * tests/bench/lib-bench.sh (cc, pkg-config libssh), not by `make`.
 *
 *   lightsshd -k HOSTKEY -a AUTHORIZED_KEYS [-p PORT]
 *
 * sshd spends 25-30 ms of CPU a login here (forks, re-exec, the shell): this
 * server spends a thread.  Key exchange with HOSTKEY; publickey auth only,
 * keys of AUTHORIZED_KEYS (libssh checks the signature; any user name); one
 * session channel and one exec, answered in-process: `true` exits 0, `echo
 * WORD...` prints the words and exits 0, anything else gets "lightsshd: not
 * supported" on stderr and 127; then EOF and close.  pty-req is accepted (no
 * pty made); env, shell and subsystem are refused.  Listens on 127.0.0.1:PORT
 * (0, the default: any free port), says "listening PORT" on stdout once it
 * does; SIGTERM or SIGINT end it (status 0), counting logins on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#define CONN_SECS 30 /* a connection gets this long to ask for its command */
#define BYE_SECS  5  /* and this long to close once it is answered */

static char **allowed; /* authorized keys, base64 of their blobs */
static size_t nallowed;
static atomic_uint n_ok, n_failed;
static volatile sig_atomic_t stop;

struct conn {
	ssh_session s;
	ssh_channel ch;
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
	int authed;
	char *cmd;
};

static void
die(const char *what)
{
	fprintf(stderr, "lightsshd: %s\n", what);
	exit(2);
}

/* AUTHORIZED_KEYS: "[options] TYPE BASE64 [comment]" lines; options are ignored. */
static void
load_keys(const char *path)
{
	char line[16384], *tok, *save, *prev;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[strspn(line, " \t")] == '#')
			continue;
		prev = NULL;
		for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
		        tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (prev != NULL && ssh_key_type_from_name(prev) != SSH_KEYTYPE_UNKNOWN)
				break;
			prev = tok;
		}
		if (tok == NULL)
			continue;
		allowed = realloc(allowed, (nallowed + 1) * sizeof *allowed);
		if (allowed == NULL || (allowed[nallowed] = strdup(tok)) == NULL)
			die("out of memory");
		nallowed++;
	}
	fclose(f);
	if (nallowed == 0) {
		fprintf(stderr, "lightsshd: %s: no keys\n", path);
		exit(2);
	}
}

static int
key_allowed(ssh_key key)
{
	char *b64 = NULL;
	size_t i;
	int yes = 0;

	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return 0;
	for (i = 0; i < nallowed && !yes; i++)
		yes = strcmp(allowed[i], b64) == 0;
	ssh_string_free_char(b64);
	return yes;
}

/* A query (state NONE) for an allowed key gets PK_OK; a verified signature logs in. */
static int
auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *key, char state, void *ud)
{
	struct conn *c = ud;

	(void)s, (void)user;
	if (!key_allowed(key))
		return SSH_AUTH_DENIED;
	if (state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS;
	if (state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	c->authed = 1;
	return SSH_AUTH_SUCCESS;
}

static int
on_exec(ssh_session s, ssh_channel ch, const char *cmd, void *ud)
{
	struct conn *c = ud;

	(void)s, (void)ch;
	if (c->cmd != NULL || (c->cmd = strdup(cmd)) == NULL)
		return 1;
	return 0;
}

static int
on_pty(ssh_session s, ssh_channel ch, const char *term, int w, int h, int pw, int ph, void *ud)
{
	(void)s, (void)ch, (void)term, (void)w, (void)h, (void)pw, (void)ph, (void)ud;
	return 0;
}

static int
on_env(ssh_session s, ssh_channel ch, const char *name, const char *value, void *ud)
{
	(void)s, (void)ch, (void)name, (void)value, (void)ud;
	return 1;
}

static ssh_channel
open_session(ssh_session s, void *ud)
{
	struct conn *c = ud;

	if (!c->authed || c->ch != NULL || (c->ch = ssh_channel_new(s)) == NULL)
		return NULL;
	c->ccb.userdata = c;
	c->ccb.channel_exec_request_function = on_exec;
	c->ccb.channel_pty_request_function = on_pty;
	c->ccb.channel_env_request_function = on_env;
	ssh_callbacks_init(&c->ccb);
	ssh_set_channel_callbacks(c->ch, &c->ccb);
	return c->ch;
}

/* The command, answered here: "true", "echo WORD...", or not supported. */
static int
run(ssh_channel ch, const char *cmd)
{
	char in[4096], out[4096], *w, *save;
	size_t len = 0;

	snprintf(in, sizeof in, "%s", cmd);
	w = strtok_r(in, " \t", &save);
	if (w != NULL && strcmp(w, "true") == 0)
		return ssh_channel_request_send_exit_status(ch, 0);
	if (w == NULL || strcmp(w, "echo") != 0) {
		ssh_channel_write_stderr(ch, "lightsshd: not supported\n", 25);
		return ssh_channel_request_send_exit_status(ch, 127);
	}
	/* The words of in, one space apart, always fit in out. */
	while ((w = strtok_r(NULL, " \t", &save)) != NULL)
		len += (size_t)snprintf(out + len, sizeof out - len, len > 0 ? " %s" : "%s", w);
	out[len++] = '\n';
	if (ssh_channel_write(ch, out, (uint32_t)len) != (int)len)
		return SSH_ERROR;
	return ssh_channel_request_send_exit_status(ch, 0);
}

static int
ended(ssh_session s)
{
	return (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
}

static void *
serve(void *arg)
{
	struct conn *c = arg;
	ssh_event ev = NULL;
	time_t until = time(NULL) + CONN_SECS;
	long secs = CONN_SECS;
	int ok = 0;

	c->scb.userdata = c;
	c->scb.auth_pubkey_function = auth_pubkey;
	c->scb.channel_open_request_session_function = open_session;
	ssh_callbacks_init(&c->scb);
	ssh_set_server_callbacks(c->s, &c->scb);
	ssh_set_auth_methods(c->s, SSH_AUTH_METHOD_PUBLICKEY);
	ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &secs); /* for the key exchange */
	if (ssh_handle_key_exchange(c->s) != SSH_OK || (ev = ssh_event_new()) == NULL ||
	        ssh_event_add_session(ev, c->s) != SSH_OK)
		goto out;
	while (c->cmd == NULL && !ended(c->s) && time(NULL) < until)
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR)
			break;
	if (c->cmd == NULL || run(c->ch, c->cmd) != SSH_OK)
		goto out;
	ok = ssh_channel_send_eof(c->ch) == SSH_OK && ssh_channel_close(c->ch) == SSH_OK;
	/* The client closes its side and disconnects. */
	until = time(NULL) + BYE_SECS;
	while (!ended(c->s) && time(NULL) < until)
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR)
			break;
out:
	atomic_fetch_add(ok ? &n_ok : &n_failed, 1);
	if (ev != NULL) {
		ssh_event_remove_session(ev, c->s);
		ssh_event_free(ev);
	}
	ssh_disconnect(c->s);
	ssh_free(c->s);
	free(c->cmd);
	free(c);
	return NULL;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	const char *hostkey = NULL, *authkeys = NULL;
	char *end;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof sa;
	struct sigaction act = {.sa_handler = on_signal};
	sigset_t block, during;
	pthread_attr_t attr;
	pthread_t tid;
	struct pollfd pfd;
	struct conn *c;
	ssh_bind sb;
	int opt, fd, lfd, one = 1;
	long port = 0;

	while ((opt = getopt(argc, argv, "k:a:p:")) != -1) {
		switch (opt) {
		case 'k':
			hostkey = optarg;
			break;
		case 'a':
			authkeys = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0')
				port = -1;
			break;
		default:
			hostkey = NULL;
			optind = argc;
			break;
		}
	}
	if (hostkey == NULL || authkeys == NULL || optind != argc || port < 0 || port > 65535) {
		fprintf(stderr, "usage: lightsshd -k HOSTKEY -a AUTHORIZED_KEYS [-p PORT]\n");
		return 2;
	}
	load_keys(authkeys);
	/* SIGTERM/SIGINT reach the accept loop only while it waits (ppoll). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (ssh_init() != SSH_OK || (sb = ssh_bind_new()) == NULL)
		die("libssh cannot start");
	errno = 0;
	if (access(hostkey, R_OK) != 0 ||
	        ssh_bind_options_set(sb, SSH_BIND_OPTIONS_HOSTKEY, hostkey) != SSH_OK) {
		fprintf(stderr, "lightsshd: %s: %s\n", hostkey,
		        errno != 0 ? strerror(errno) : "not a private key libssh reads");
		return 2;
	}
	/* Our own socket: libssh's listen backlog (10) drops a burst of 128. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	        bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0 ||
	        getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("lightsshd: 127.0.0.1");
		return 2;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	printf("listening %u\n", ntohs(sa.sin_port));
	fflush(stdout);

	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &during) < 0) {
			if (errno == EINTR)
				continue;
			perror("lightsshd: poll");
			break;
		}
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if ((c = calloc(1, sizeof *c)) == NULL || (c->s = ssh_new()) == NULL ||
		        ssh_bind_accept_fd(sb, c->s, fd) != SSH_OK) {
			fprintf(stderr, "lightsshd: cannot take a connection: %s\n",
			        c != NULL && c->s != NULL ? ssh_get_error(sb) : "out of memory");
			if (c == NULL || c->s == NULL || ssh_get_fd(c->s) != fd)
				close(fd); /* else ssh_free closes it */
			if (c != NULL && c->s != NULL)
				ssh_free(c->s);
			free(c);
			continue;
		}
		if (pthread_create(&tid, &attr, serve, c) != 0) {
			ssh_free(c->s);
			free(c);
		}
	}
	close(lfd);
	ssh_bind_free(sb);
	fprintf(stderr, "lightsshd: %u logins served, %u failed\n", atomic_load(&n_ok),
	        atomic_load(&n_failed));
	return 0;
}
