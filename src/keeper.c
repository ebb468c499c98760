/*
 * keeper.c - the keeper: a daemon that holds a run's authenticated sessions
 * open and runs later runs' commands over them.
 *
 * Theory of operation.  libssh's session state (keys, sequence numbers)
 * cannot move between processes, so the process that authenticated must
 * keep it: at the end of a run with --persist, with the workers joined and
 * the password wiped, shoal forks (twice, setsid: a daemon) and the child
 * keeps the sessions the run held; the parent forgets its copies without a
 * byte to the servers (their sockets are pointed at /dev/null first).  The
 * keeper listens on DIR/k-PID.sock (DIR from mux_dir: 0700, the user's), and
 * checks every peer's uid with SO_PEERCRED.  Each run that persists forks
 * its own keeper for the sessions it made; a client asks every keeper which
 * keys it holds (mux.c), so no session is ever handed between processes.
 * Keepers start one at a time (DIR/start.lock) and first close what another
 * keeper already holds alive, so runs side by side keep one session per
 * key.  Each session's host key is kept and listed with its key: the
 * client judges it again before every use, and says 'U' (untrusted) when it fails.
 *
 * Threads: the main thread accepts, expires idle sessions, reads what the
 * servers send to idle sessions and sends keepalives (SSH_MSG_IGNORE every
 * KEEPALIVE seconds), so a session that died is dropped.  Each client
 * connection gets a thread that runs one request: it takes the session
 * (busy) under the keeper lock and runs the request with exec.c's runner,
 * whose sink (relay_*) writes its events as frames.  A session serves one channel
 * at a time; a request for a busy session is answered "not held" and that
 * run connects afresh.  Invariant: "not held" is sent only before an exec
 * request went out, so a command never runs twice.
 *
 * The keeper leaves when it holds no session (all expired, or died and
 * remembered TOMBSTONE seconds) and no request is in flight, or once told to stop (--persist 0) and
 * its requests are done; it removes its socket first thing when told to stop.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "buf.h"
#include "cancel.h"
#include "alive.h"
#include "exec.h"
#include "jump.h"
#include "keeper.h"
#include "log.h"
#include "mux.h"
#include "sftpc.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

#define KEEPALIVE   15.0  /* seconds between SSH_MSG_IGNOREs on an idle session */
#define TOMBSTONE   30.0  /* seconds a session that died is remembered, to be replaced */
#define RELAY_CHUNK 65536 /* bytes of a relayed SFTP channel read at a time */

struct kept {
	char *key;
	ssh_session s;
	char *user;
	int port;
	char *key_type, *key_b64; /* the server's host key, judged again at each reuse */
	unsigned char *cert;      /* the host certificate judged with it, or NULL */
	size_t clen;
	double idle; /* seconds it may stay idle */
	int busy;    /* 0 idle, 1 the main thread, 2 a request */
	int refs;    /* requests looking at it: not freed while > 0 */
	bool dead;
	double last_used, last_alive, last_poke;
	double died;            /* when the keeper closed it, dead */
	struct jump_link *link; /* through jump hosts: its channel (jump.c relays it), or NULL */
	char *hops;             /* their host keys (jump_link_hops), or NULL */
};

/* The run's sessions until keeper_start, then the keeper's. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct kept **held;
static size_t nheld;

/* The keeper's own state, under lock. */
static int active; /* request threads */
static bool stopping;
static char *sock_path;
static volatile sig_atomic_t term_asked;

static void kept_free(struct kept *k, bool say_bye);

/* The kept session for KEY, or NULL; under lock. */
static struct kept *
kept_find(const char *key)
{
	size_t i;

	for (i = 0; i < nheld; i++)
		if (strcmp(held[i]->key, key) == 0)
			return held[i];
	return NULL;
}

bool
keeper_hold(struct conn *c, struct host *h, const struct options *o, double again)
{
	/* a session that replaces a dead kept one keeps its time, unless --persist says */
	double idle = !c->have_cf ? -1 : c->cf.persist_given || again <= 0 ? c->cf.persist : again;
	struct kept *k;
	ssh_key hk = NULL;
	char *b64 = NULL, *key;
	bool dup;

	/*
	 * Over TCP or jump hosts (jump.c parks their sessions for the keeper,
	 * which relays them again); a ProxyCommand is this process's child.
	 */
	if (idle <= 0 || c->session == NULL || !c->handed || c->transport == TRANSPORT_PROXY ||
	        !c->have_cf || !ssh_is_connected(c->session))
		return false;
	if (ssh_get_server_publickey(c->session, &hk) < 0 ||
	        ssh_pki_export_pubkey_base64(hk, &b64) < 0) {
		ssh_key_free(hk);
		return false;
	}
	key = mux_key(&c->cf, o);
	pthread_mutex_lock(&lock);
	dup = kept_find(key) != NULL;
	pthread_mutex_unlock(&lock);
	if (dup) {
		/* Two hosts of this run with one evaluated config: one session is kept. */
		ssh_string_free_char(b64);
		ssh_key_free(hk);
		free(key);
		return false;
	}
	k = xcalloc(1, sizeof *k);
	k->idle = idle;
	k->key = key;
	k->key_type = xstrdup(ssh_key_type_to_char(ssh_key_type(hk)));
	k->key_b64 = xstrdup(b64);
	ssh_string_free_char(b64);
	ssh_key_free(hk);
	k->cert = c->hostcert;
	k->clen = c->hostcert_len;
	c->hostcert = NULL;
	pthread_mutex_lock(&h->lock);
	k->user = xstrdup(h->login_user ? h->login_user : "");
	k->port = h->login_port;
	pthread_mutex_unlock(&h->lock);
	k->s = connect_detach(c);
	if (c->link != NULL) {
		k->link = c->link;
		c->link = NULL;
		jump_keep(k->link);
		k->hops = jump_link_hops(k->link);
	}
	/* Another worker may have kept a session for the same key meanwhile: the first one stays.
	 */
	pthread_mutex_lock(&lock);
	dup = kept_find(k->key) != NULL;
	if (!dup) {
		held = xreallocarray(held, nheld + 1, sizeof *held);
		held[nheld++] = k;
	}
	pthread_mutex_unlock(&lock);
	if (dup)
		kept_free(k, true);
	return true;
}

/* Close k's session; k stays, as the tombstone of a session that died. */
static void
kept_close(struct kept *k, bool say_bye)
{
	int fd, null;

	if (k->s == NULL)
		return;
	fd = ssh_get_fd(k->s);
	if (say_bye) {
		ssh_disconnect(k->s);
	} else if (fd >= 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		/* The other process keeps talking on it: not one byte from here. */
		dup2(null, fd);
		close(null);
	}
	if (fd >= 0)
		close(fd); /* libssh does not close a socket given by SSH_OPTIONS_FD */
	ssh_free(k->s);
	k->s = NULL;
	/* its channel through the jump hosts goes: a hop with none left ends (jump.c) */
	jump_close(k->link);
	k->link = NULL;
}

static void
kept_free(struct kept *k, bool say_bye)
{
	kept_close(k, say_bye);
	free(k->key);
	free(k->user);
	free(k->key_type);
	free(k->key_b64);
	free(k->cert);
	free(k->hops);
	free(k);
}

static void
forget_all(bool say_bye)
{
	size_t i;

	for (i = 0; i < nheld; i++)
		kept_free(held[i], say_bye);
	free(held);
	held = NULL;
	nheld = 0;
}

static bool
session_alive(ssh_session s)
{
	return ssh_is_connected(s) && !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* Read what the server sent an idle session; a keepalive when due.  Main thread. */
static void
poke(struct kept *k, double now)
{
	ssh_event ev = ssh_event_new();

	ssh_set_blocking(k->s, 0);
	if (now - k->last_alive >= KEEPALIVE) {
		ssh_send_ignore(k->s, "");
		k->last_alive = now;
	}
	if (ev != NULL && ssh_event_add_session(ev, k->s) == SSH_OK) {
		ssh_event_dopoll(ev, 0);
		ssh_event_remove_session(ev, k->s);
	}
	if (ev != NULL)
		ssh_event_free(ev);
	k->last_poke = now;
	if (!session_alive(k->s))
		k->dead = true;
}

/*
 * poke k unless a request thread has it: called and returning with lock
 * held, which is let go while poke talks to the server.
 */
static void
poke_free(struct kept *k, double now)
{
	if (k->busy != 0)
		return;
	k->busy = 1;
	pthread_mutex_unlock(&lock);
	poke(k, now);
	pthread_mutex_lock(&lock);
	k->busy = 0;
	pthread_cond_broadcast(&cond);
}

static void send_text(int fd, char type, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
send_text(int fd, char type, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	mux_send(fd, type, text, strlen(text));
	free(text);
}

/* The client went away or asked for a kill. */
static bool
client_stirs(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) > 0;
}

struct request {
	char *key, *command, *name;
	bool tty, has_stdin;
	double timeout, persist, alive_interval;
	int alive_count;
	char **env;
	size_t nenv;
	struct buf in;
	bool has_sudo; /* --sudo without a password: sudo's markers */
	struct sudo_markers sudo;
	bool sftp; /* no command: an SFTP channel relayed (--copy, --rcopy) */
};

/* The run's events as frames to the client (mux_run reads them). */
struct relay {
	int fd;
	struct kept *k;
	bool gone;        /* a frame could not be written: the client left */
	double last_sent; /* the last frame's time: 'h' after MUX_HEARTBEAT_S of quiet */
};

static void
relay_started(void *ctx)
{
	struct relay *r = ctx;

	send_text(r->fd, 'A', "%s\n%d", r->k->user, r->k->port);
	r->last_sent = wait_now();
}

static void
relay_data(void *ctx, bool is_stderr, const char *p, size_t n)
{
	struct relay *r = ctx;

	if (!r->gone && mux_send(r->fd, is_stderr ? 'e' : 'o', p, n) < 0)
		r->gone = true;
	r->last_sent = wait_now();
}

static bool
relay_stop(void *ctx)
{
	struct relay *r = ctx;

	/* A silent command still shows the client this keeper is alive. */
	if (!r->gone && wait_now() - r->last_sent >= MUX_HEARTBEAT_S) {
		if (mux_send(r->fd, 'h', NULL, 0) < 0)
			r->gone = true;
		r->last_sent = wait_now();
	}
	/* A kill frame or the client's end: either way the command goes. */
	return r->gone || client_stirs(r->fd);
}

/*
 * Nothing started and the kept session is to blame (it died, or did not
 * answer, or refused the channel): "not held", so the client connects
 * afresh and the fresh session decides the result.  A command deadline
 * spent waiting, or a stop, is the run's own end.
 */
static void
relay_done(void *ctx, const struct outcome *out, const struct run_exit *ex)
{
	struct relay *r = ctx;

	if (!out->started && out->kind != EK_COMMAND_TIMEOUT && out->kind != EK_CANCELLED) {
		if (!session_alive(r->k->s) || out->kind == EK_LOST)
			r->k->dead = true;
		/* A session that died is to be replaced: the client keeps its new one. */
		send_text(r->fd, 'N', "%g the kept session: %s", r->k->dead ? r->k->idle : 0,
		        out->error ? out->error : errkind_name(out->kind));
		return;
	}
	mux_send_done(r->fd, out, ex);
}

/* The relayed SFTP channel's end: its kind and the detail, as sftpc.c words a cold one. */
static void
sftp_end(struct mux_stream *m, enum err_kind kind, const char *detail)
{
	struct outcome out = OUTCOME_INIT;
	struct run_exit ex = {false, -1, NULL};
	char *text;

	outcome_set(&out, kind, PHASE_RUN, "%s", detail != NULL ? detail : "");
	out.started = true;
	text = mux_done_text(&out, &ex);
	mux_stream_put(m, 'D', text, strlen(text));
	free(text);
	outcome_clear(&out);
}

/*
 * An SFTP channel on k's session, its bytes relayed as frames until the
 * client leaves ('x' or the socket's end) or the channel ends: the client
 * runs the transfer (transfer.c, sftpc.c) as over its own channel.  The
 * host's liveness is watched here with the client's keepalive settings;
 * the client watches ours by the 'h' frames.  Never blocks on a socket
 * or the window: another request's session is another thread's.
 */
static void
relay_sftp(int fd, struct kept *k, const struct request *rq)
{
	double open_by = wait_now() + (rq->timeout > 0 && rq->timeout < 10 ? rq->timeout : 10);
	struct mux_stream m;
	struct alive a;
	struct buf tochan;
	ssh_channel ch;
	const char *why, *data;
	char *buf, type;
	double last_sent;
	size_t len;
	int n, rc;

	if ((ch = sftpc_channel_open(k->s, open_by, &why)) == NULL) {
		if (!session_alive(k->s))
			k->dead = true;
		send_text(fd, 'N', "%g the kept session: %s", k->dead ? k->idle : 0, why);
		return;
	}
	send_text(fd, 'A', "%s\n%d", k->user, k->port);
	mux_stream_init(&m, fd);
	buf_init(&tochan);
	buf = xmalloc(RELAY_CHUNK);
	alive_start(&a, k->s, rq->alive_interval, rq->alive_count);
	last_sent = wait_now();
	for (;;) {
		bool moved = false, reading;

		while ((rc = mux_stream_take(&m, &type, &data, &len)) == 1 && type == 'i')
			buf_append(&tochan, data, len);
		if (rc != 0 || m.closed)
			break; /* the client left, or said 'x' */
		if (tochan.len > 0) {
			uint32_t win = ssh_channel_window_size(ch);
			size_t want = tochan.len < win ? tochan.len : win;

			if (want > 0 && (n = ssh_channel_write(ch, tochan.p, (uint32_t)want)) > 0) {
				buf_consume(&tochan, (size_t)n);
				moved = true;
			}
		}
		/* What the client has not taken yet holds the channel back (its window). */
		reading = m.out.len < 4 * RELAY_CHUNK;
		n = reading ? ssh_channel_read_nonblocking(ch, buf, RELAY_CHUNK, 0) : 0;
		if (n > 0) {
			mux_stream_put(&m, 'o', buf, (size_t)n);
			last_sent = wait_now();
			moved = true;
		}
		while (ssh_channel_read_nonblocking(ch, buf, RELAY_CHUNK, 1) > 0)
			; /* the server's stderr shares the window */
		if (!alive_check(&a, k->s)) {
			sftp_end(&m, EK_LOST, alive_why(&a));
			break;
		}
		if (n == SSH_ERROR || !ssh_is_connected(k->s)) {
			sftp_end(&m, ssh_is_connected(k->s) ? EK_TRANSFER : EK_LOST,
			        ssh_get_error(k->s));
			break;
		}
		if (reading && n == 0 && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))) {
			sftp_end(&m, EK_TRANSFER, "the SFTP server closed the channel");
			break;
		}
		if (wait_now() - last_sent >= MUX_HEARTBEAT_S) {
			mux_stream_put(&m, 'h', NULL, 0);
			last_sent = wait_now();
		}
		/* Idle: until either socket stirs (not long: libssh may hold bytes unread). */
		if (mux_stream_pump(&m, moved ? -1 : ssh_get_fd(k->s), moved ? 0 : 20) < 0)
			break;
	}
	mux_stream_flush(&m, wait_now() + 2);
	alive_stop(&a, k->s);
	sftpc_channel_close(ch);
	mux_stream_free(&m);
	buf_free(&tochan);
	free(buf);
}

/* The command over k's session, relayed to fd; k is ours (busy). */
static void
relay(int fd, struct kept *k, const struct request *rq)
{
	struct outcome out = OUTCOME_INIT;
	struct relay r = {fd, k, false, wait_now()};
	struct run_sink sk = {&r, relay_started, relay_data, relay_stop, relay_done};
	struct run_request run;
	size_t i;

	if (!session_alive(k->s)) {
		k->dead = true;
		send_text(fd, 'N', "%g the kept session was lost", k->idle);
		return;
	}
	if (rq->sftp) {
		relay_sftp(fd, k, rq);
		return;
	}
	memset(&run, 0, sizeof run);
	run.name = rq->name ? rq->name : k->key;
	run.command = rq->command;
	run.tty = rq->tty;
	run.env = xcalloc(rq->nenv + 1, sizeof *run.env);
	for (i = 0; i < rq->nenv; i++)
		run.env[i] = rq->env[i];
	run.nenv = rq->nenv;
	run.stdin_data = rq->has_stdin ? (rq->in.p ? rq->in.p : "") : NULL;
	run.stdin_len = rq->in.len;
	run.timeout = rq->timeout;
	run.alive_interval = rq->alive_interval;
	run.alive_count = rq->alive_count;
	run.sudo = rq->has_sudo ? &rq->sudo : NULL;
	exec_channel(k->s, &run, &sk, &out);
	exec_request_free(&run);
	outcome_clear(&out);
}

static struct kept *
find_key(const char *key)
{
	size_t i;

	for (i = 0; i < nheld; i++) {
		if (!held[i]->dead && strcmp(held[i]->key, key) == 0)
			return held[i];
	}
	return NULL;
}

/* Under lock: the session of key, unless a request has it, is closed at the next turn. */
static void
drop_key(const char *key)
{
	struct kept *k = find_key(key);

	if (k != NULL && k->busy == 0)
		k->dead = true;
}

static void
run_request(int fd, struct request *rq)
{
	struct kept *k;

	pthread_mutex_lock(&lock);
	k = stopping ? NULL : find_key(rq->key);
	if (k != NULL) {
		k->refs++;
		while (k->busy == 1)
			pthread_cond_wait(&cond, &lock);
		k->refs--;
		if (k->busy != 0 || k->dead)
			k = NULL;
		else
			k->busy = 2;
	}
	if (k != NULL && rq->persist > 0)
		k->idle = rq->persist;
	pthread_mutex_unlock(&lock);
	if (k == NULL) {
		send_text(fd, 'N', "0 the keeper holds no idle session for it");
		return;
	}
	relay(fd, k, rq);
	pthread_mutex_lock(&lock);
	k->busy = 0;
	k->last_used = k->last_alive = wait_now();
	if (!session_alive(k->s))
		k->dead = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/*
 * "K key idle type base64" (then "C" and the host certificate, when one was
 * judged) for a session held, "R idle key" for one that died, to be
 * replaced.
 */
/*
 * "K key idle type base64" (then "C" and the host certificate, when one was
 * judged) for a session held, "R idle key" for one that died, to be
 * replaced.
 */
static void
list_keys(int fd)
{
	struct frame {
		char type;
		char *p;
		size_t len;
	} * f;
	size_t i, n = 0;

	pthread_mutex_lock(&lock);
	f = xcalloc(3 * nheld + 1, sizeof *f);
	/* Copied under the lock, sent after it. */
	for (i = 0; i < nheld && !stopping; i++) {
		struct kept *k = held[i];

		if (k->dead) {
			f[n].type = 'R';
			f[n].p = xasprintf("%g %s", k->idle, k->key);
			f[n].len = strlen(f[n].p);
			n++;
			continue;
		}
		f[n].type = 'K';
		f[n].p = xasprintf("%s %g %s %s", k->key, k->idle, k->key_type, k->key_b64);
		f[n].len = strlen(f[n].p);
		n++;
		if (k->cert != NULL) {
			f[n].type = 'C';
			f[n].p = xmalloc(k->clen);
			memcpy(f[n].p, k->cert, k->clen);
			f[n].len = k->clen;
			n++;
		}
		if (k->hops != NULL) {
			f[n].type = 'H';
			f[n].p = xstrdup(k->hops);
			f[n].len = strlen(f[n].p);
			n++;
		}
	}
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++) {
		mux_send(fd, f[i].type, f[i].p, f[i].len);
		free(f[i].p);
	}
	free(f);
	mux_send(fd, 'E', NULL, 0);
}

/* A frame's text becomes a field of the request, replacing an earlier one. */
static void
take_text(char **field, char **data)
{
	free(*field);
	*field = *data;
	*data = NULL;
}

static void *
serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct request rq;
	char type, *data = NULL;
	size_t len;

	memset(&rq, 0, sizeof rq);
	buf_init(&rq.in);
	while (mux_recv(fd, &type, &data, &len) == 0) {
		switch (type) {
		case 'L':
			list_keys(fd);
			goto out;
		case 'S':
			pthread_mutex_lock(&lock);
			if (!stopping)
				unlink(sock_path);
			stopping = true;
			pthread_mutex_unlock(&lock);
			mux_send(fd, 'E', NULL, 0);
			goto out;
		case 'U':
			/* A client judged its host key untrusted now: it serves no more. */
			pthread_mutex_lock(&lock);
			drop_key(data);
			pthread_mutex_unlock(&lock);
			goto out;
		case 'k':
			take_text(&rq.key, &data);
			break;
		case 'c':
			take_text(&rq.command, &data);
			break;
		case 'F':
			rq.sftp = true;
			break;
		case 'p': {
			int tty = 0, in = 0;

			if (sscanf(data, "%d %d %lf %lf %lf %d", &tty, &in, &rq.timeout,
			            &rq.persist, &rq.alive_interval, &rq.alive_count) != 6)
				goto out;
			rq.tty = tty != 0;
			rq.has_stdin = in != 0;
			break;
		}
		case 'n':
			take_text(&rq.name, &data);
			break;
		case 'P':
			if (len != 2 * SUDO_MARKER_LEN + 1 || data[SUDO_MARKER_LEN] != ' ')
				goto out;
			memcpy(rq.sudo.prompt, data, SUDO_MARKER_LEN);
			memcpy(rq.sudo.ok, data + SUDO_MARKER_LEN + 1, SUDO_MARKER_LEN);
			rq.sudo.prompt[SUDO_MARKER_LEN] = rq.sudo.ok[SUDO_MARKER_LEN] = '\0';
			rq.has_sudo = true;
			break;
		case 'v':
			rq.env = xreallocarray(rq.env, rq.nenv + 1, sizeof *rq.env);
			rq.env[rq.nenv++] = data;
			data = NULL;
			break;
		case 'i':
			buf_append(&rq.in, data, len);
			break;
		case 'g':
			if (rq.key != NULL && (rq.command != NULL || rq.sftp))
				run_request(fd, &rq);
			goto out;
		default:
			goto out;
		}
		free(data);
		data = NULL;
	}
out:
	free(data);
	free(rq.key);
	free(rq.command);
	free(rq.name);
	while (rq.nenv > 0)
		free(rq.env[--rq.nenv]);
	free(rq.env);
	buf_free(&rq.in);
	close(fd);
	pthread_mutex_lock(&lock);
	active--;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void
on_term(int sig)
{
	(void)sig;
	term_asked = 1;
}

/* Only the listener and the sessions stay open; stdio goes to /dev/null. */
static void
keeper_fds(int lfd)
{
	int null = open("/dev/null", O_RDWR), fd, *keep, *jfds, nkeep = 0;
	struct dirent *de;
	DIR *d;
	size_t i, njfds;

	if (null >= 0) {
		for (fd = 0; fd <= 2; fd++)
			dup2(null, fd);
		if (null > 2)
			close(null);
	}
	njfds = jump_parked_fds(&jfds);
	keep = xcalloc(nheld + njfds + 1, sizeof *keep);
	keep[nkeep++] = lfd;
	for (i = 0; i < nheld; i++)
		keep[nkeep++] = ssh_get_fd(held[i]->s);
	for (i = 0; i < njfds; i++)
		keep[nkeep++] = jfds[i];
	free(jfds);
	d = opendir("/proc/self/fd");
	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		int j, skip = 0;

		fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		for (j = 0; j < nkeep; j++)
			skip |= keep[j] == fd;
		if (!skip)
			close(fd);
	}
	closedir(d);
out:
	free(keep);
}

static void
keeper_accept(int lfd)
{
	pthread_attr_t attr;
	pthread_t t;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!mux_peer_is_me(fd)) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&lock);
	active++;
	pthread_mutex_unlock(&lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
		close(fd);
		pthread_mutex_lock(&lock);
		active--;
		pthread_mutex_unlock(&lock);
	}
	pthread_attr_destroy(&attr);
}

/* Sessions expired under the lock, closed (a disconnect message each) without it. */
static void
gone_free(struct kept **gone, size_t *ngone)
{
	size_t i;

	for (i = 0; i < *ngone; i++)
		kept_free(gone[i], !gone[i]->dead);
	*ngone = 0;
}

/* Never returns: the keeper's life, in the forked process. */
static void __attribute__((noreturn)) keeper_main(int lfd)
{
	struct sigaction sa;
	struct pollfd *pfd = xcalloc(nheld + 1, sizeof *pfd);
	struct kept **who = xcalloc(nheld + 1, sizeof *who);
	struct kept **gone = xcalloc(nheld + 1, sizeof *gone);
	size_t i, np, ngone = 0;
	bool quit;
	double now;

	keeper_fds(lfd);
	jump_resume();
	malloc_trim(0);                     /* what the run freed need not stay resident here */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* it holds session keys */
	if (chdir("/") < 0)
		_exit(1);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	log_set_level(LOG_QUIET);
	now = wait_now();
	for (i = 0; i < nheld; i++) {
		/*
		 * A server gone silent (its host down, the network cut) fails
		 * the keepalives' TCP sends within this, not the kernel's
		 * quarter of an hour: the session is dropped as dead.
		 */
		unsigned int ms = (unsigned int)(3 * KEEPALIVE * 1000);

		setsockopt(ssh_get_fd(held[i]->s), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
		held[i]->last_used = held[i]->last_alive = now;
	}
	for (;;) {
		now = wait_now();
		pthread_mutex_lock(&lock);
		if (term_asked && !stopping) {
			unlink(sock_path);
			stopping = true;
		}
		for (i = 0; i < nheld;) {
			struct kept *k = held[i];

			if (k->busy == 0 && k->refs == 0 &&
			        (stopping || now - k->last_used > k->idle ||
			                (k->dead && k->s == NULL && now - k->died > TOMBSTONE))) {
				gone[ngone++] = k; /* said goodbye to after the unlock */
				held[i] = held[--nheld];
				continue;
			}
			/*
			 * A session that died is closed at once but remembered a
			 * little while (not its whole idle time: a keeper of dead
			 * sessions only leaves): the next run that finds it so
			 * keeps its new session in its place (mux_run's again).
			 */
			if (k->busy == 0 && k->refs == 0 && k->dead && k->s != NULL) {
				kept_close(k, false);
				k->died = now;
			}
			i++;
		}
		quit = (nheld == 0 || stopping) && active == 0;
		if (quit) {
			pthread_mutex_unlock(&lock);
			gone_free(gone, &ngone);
			break;
		}
		np = 0;
		if (!stopping) {
			pfd[np].fd = lfd;
			pfd[np].events = POLLIN;
			who[np++] = NULL;
		}
		for (i = 0; i < nheld; i++) {
			struct kept *k = held[i];

			if (k->busy != 0 || k->dead || now - k->last_poke < 1.0)
				continue;
			pfd[np].fd = ssh_get_fd(k->s);
			pfd[np].events = POLLIN;
			who[np++] = k;
		}
		pthread_mutex_unlock(&lock);
		gone_free(gone, &ngone);
		if (poll(pfd, np, 500) <= 0)
			np = 0;
		now = wait_now();
		for (i = 0; i < np; i++) {
			struct kept *k = who[i];

			if (k == NULL) {
				if (pfd[i].revents != 0)
					keeper_accept(lfd);
				continue;
			}
			/* last_alive is a request thread's too: read under the lock. */
			pthread_mutex_lock(&lock);
			if (pfd[i].revents != 0 || now - k->last_alive >= KEEPALIVE)
				poke_free(k, now);
			pthread_mutex_unlock(&lock);
		}
		/* Sessions with keepalives due but no event still need their turn. */
		pthread_mutex_lock(&lock);
		for (i = 0; i < nheld; i++) {
			struct kept *k = held[i];

			if (!k->dead && now - k->last_alive >= KEEPALIVE)
				poke_free(k, now);
		}
		pthread_mutex_unlock(&lock);
	}
	if (!stopping)
		unlink(sock_path);
	_exit(0);
}

/*
 * Keepers start one at a time (a lock file in dir, waited for a short
 * while), each after asking the others what they hold: so of runs side by
 * side that each connected the same host, one session is kept.  Returns
 * the lock's descriptor, or -1.
 */
static int
start_lock(const char *dir)
{
	char *path = xasprintf("%s/start.lock", dir);
	double deadline = wait_now() + 2 * MUX_ANSWER_S;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	while (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || wait_now() >= deadline || cancel_requested()) {
			log_msg(LOG_VERBOSE, "--persist: %s is held by another run; not waited for",
			        path);
			close(fd);
			fd = -1;
			break;
		}
		poll(NULL, 0, 20);
	}
	free(path);
	return fd;
}

/* Close the sessions another keeper already holds alive (mux_list). */
static void
drop_duplicates(void)
{
	size_t i, n = 0;

	mux_list();
	for (i = 0; i < nheld; i++) {
		if (mux_held_alive(held[i]->key))
			kept_free(held[i], true);
		else
			held[n++] = held[i];
	}
	if (n < nheld)
		log_msg(LOG_VERBOSE,
		        "--persist: %zu session%s already kept by another keeper; closed",
		        nheld - n, nheld - n == 1 ? "" : "s");
	nheld = n;
	mux_free();
}

void
keeper_start(const struct options *o)
{
	struct sockaddr_un sa;
	char *why = NULL;
	char *dir = NULL;
	int lfd = -1, st, lockfd = -1;
	pid_t pid;

	if (nheld == 0)
		goto out;
	if (cancel_requested() || (dir = mux_dir(true, &why)) == NULL) {
		if (why != NULL)
			log_msg(LOG_NORMAL, "--persist: %s; sessions closed", why);
		free(why);
		goto close_all;
	}
	lockfd = start_lock(dir);
	drop_duplicates();
	if (nheld == 0)
		goto out;
	sock_path = xasprintf("%s/k-%ld.sock", dir, (long)getpid());
	if (strlen(sock_path) >= sizeof sa.sun_path) {
		log_msg(LOG_NORMAL, "--persist: socket path %s too long; sessions closed",
		        sock_path);
		goto close_all;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 256) < 0) {
		log_msg(LOG_NORMAL, "--persist: cannot listen on %s: %s; sessions closed",
		        sock_path, strerror(errno));
		goto close_all;
	}
	chmod(sock_path, 0600);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		keeper_main(lfd);
	}
	if (pid < 0) {
		log_msg(LOG_NORMAL, "--persist: cannot start the keeper: %s; sessions closed",
		        strerror(errno));
		unlink(sock_path);
		goto close_all;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	log_msg(LOG_VERBOSE, "--persist: %zu session%s kept (%s)", nheld, nheld == 1 ? "" : "s",
	        sock_path);
	close(lfd);
	forget_all(false);
	jump_forget(false);
	goto out;
close_all:
	if (lfd >= 0)
		close(lfd);
	forget_all(true);
out:
	/* jump sessions parked for sessions that did not go to a keeper */
	jump_forget(true);
	/* The keeper listens (its answers wait in the backlog): the next may start. */
	if (lockfd >= 0)
		close(lockfd);
	free(sock_path);
	sock_path = NULL;
	free(dir);
}
