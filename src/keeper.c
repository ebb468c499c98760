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
 *
 * Threads: the main thread accepts, expires idle sessions, reads what the
 * servers send to idle sessions and sends keepalives (SSH_MSG_IGNORE every
 * KEEPALIVE seconds), so a session that died is dropped.  Each client
 * connection gets a thread that runs one request: it takes the session
 * (busy) under the keeper lock, opens an exec channel and relays the
 * streams, exit status and signal as frames.  A session serves one channel
 * at a time; a request for a busy session is answered "not held" and that
 * run connects afresh.  Invariant: "not held" is sent only before an exec
 * request went out, so a command never runs twice.
 *
 * The keeper leaves when it holds no session (all expired or died) and no
 * request is in flight, or once told to stop (--persist 0) and its requests
 * are done; it removes its socket first thing when told to stop.
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
#include "escape.h"
#include "exec.h"
#include "keeper.h"
#include "log.h"
#include "mux.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

#define KEEPALIVE   15.0 /* seconds between SSH_MSG_IGNOREs on an idle session */
#define READ_CHUNK  65536
#define STDIN_CHUNK 32768

struct kept {
	char *key;
	ssh_session s;
	char *user;
	int port;
	double idle; /* seconds it may stay idle */
	int busy;    /* 0 idle, 1 the main thread, 2 a request */
	int refs;    /* requests looking at it: not freed while > 0 */
	bool dead;
	double last_used, last_alive, last_poke;
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

bool
keeper_hold(struct conn *c, struct host *h, const struct options *o, double again)
{
	double idle = o->persist >= 0 ? o->persist
	              : again > 0     ? again
	                              : (c->have_cf ? sshconf_persist(&c->cf) : -1);
	struct kept *k;

	/*
	 * Only over TCP: a ProxyCommand is this process's child and a jump
	 * host's relay is one of its threads; neither outlives the run.
	 */
	if (idle <= 0 || c->session == NULL || !c->handed || c->transport != TRANSPORT_TCP ||
	        !ssh_is_connected(c->session))
		return false;
	k = xcalloc(1, sizeof *k);
	k->idle = idle;
	k->key = mux_key(h, o);
	pthread_mutex_lock(&h->lock);
	k->user = xstrdup(h->login_user ? h->login_user : "");
	k->port = h->login_port;
	pthread_mutex_unlock(&h->lock);
	k->s = connect_detach(c);
	pthread_mutex_lock(&lock);
	held = xreallocarray(held, nheld + 1, sizeof *held);
	held[nheld++] = k;
	pthread_mutex_unlock(&lock);
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
}

static void
kept_free(struct kept *k, bool say_bye)
{
	kept_close(k, say_bye);
	free(k->key);
	free(k->user);
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
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_appendv(&b, fmt, ap);
	va_end(ap);
	mux_send(fd, type, b.p ? b.p : "", b.len);
	buf_free(&b);
}

static const char *
ssh_err(ssh_session s)
{
	const char *e = ssh_get_error(s);

	return e && *e ? e : "refused";
}

/* The client went away or asked for a kill. */
static bool
client_stirs(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) > 0;
}

static void
kill_remote(ssh_channel ch, bool tty)
{
	if (!tty)
		ssh_channel_request_send_signal(ch, "KILL");
	ssh_channel_close(ch);
	ssh_blocking_flush(ssh_channel_get_session(ch), 1000);
}

struct request {
	char *key, *command;
	bool tty, has_stdin;
	double timeout, persist;
	struct buf in;
};

/* The command over k's session, relayed to fd; k is ours (busy). */
static void
relay(int fd, struct kept *k, const struct request *rq)
{
	struct ssh_channel_callbacks_struct cb;
	struct exec_exit ei = {false, -1, NULL};
	ssh_session s = k->s;
	ssh_channel ch;
	double deadline = rq->timeout > 0 ? wait_now() + rq->timeout : wait_now() + 1e9;
	char *buf = NULL;
	size_t in_off = 0;
	bool eof_sent = false;
	long wait_s = 10;
	int n, i;

	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &wait_s);
	ssh_set_blocking(s, 1);
	if (!session_alive(s) || (ch = ssh_channel_new(s)) == NULL) {
		k->dead = true;
		send_text(fd, 'N', "%g the kept session was lost", k->idle);
		return;
	}
	exec_exit_watch(ch, &cb, &ei);
	if (ssh_channel_open_session(ch) != SSH_OK) {
		/* No exec went out: the client may connect afresh. */
		if (!session_alive(s))
			k->dead = true;
		/* A session that died is to be replaced: the client keeps its new one. */
		send_text(fd, 'N', "%g no channel on the kept session: %s", k->dead ? k->idle : 0,
		        ssh_err(s));
		goto done;
	}
	if (rq->tty && ssh_channel_request_pty_size(ch, "xterm", 80, 24) != SSH_OK) {
		send_text(fd, 'F', "pty request refused: %s", ssh_err(s));
		goto done;
	}
	if (ssh_channel_request_exec(ch, rq->command) != SSH_OK) {
		send_text(fd, 'F', "exec request refused: %s", ssh_err(s));
		goto done;
	}
	send_text(fd, 'A', "%s\n%d", k->user, k->port);
	if (!rq->has_stdin) {
		ssh_channel_send_eof(ch);
		eof_sent = true;
	}
	wait_s = 1;
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &wait_s);
	buf = xmalloc(READ_CHUNK);
	for (;;) {
		bool progress = false;

		for (i = 0; i < 2; i++) {
			n = i == 0 ? ssh_channel_read_timeout(ch, buf, READ_CHUNK, 0, 50)
			           : ssh_channel_read_nonblocking(ch, buf, READ_CHUNK, 1);
			if (n > 0) {
				if (mux_send(fd, i ? 'e' : 'o', buf, (size_t)n) < 0) {
					kill_remote(ch, rq->tty);
					goto done;
				}
				progress = true;
			} else if (n == SSH_ERROR) {
				if (ei.got_status)
					goto finished;
				send_text(fd, 'F', "connection lost while the command ran: %s",
				        ssh_err(s));
				goto done;
			}
		}
		if (!eof_sent) {
			size_t want = rq->in.len - in_off;
			uint32_t win = ssh_channel_window_size(ch);

			if (want > STDIN_CHUNK)
				want = STDIN_CHUNK;
			if (want > win)
				want = win;
			n = want ? ssh_channel_write(ch, rq->in.p + in_off, (uint32_t)want) : 0;
			if (n == SSH_ERROR) {
				send_text(fd, 'F', "cannot send stdin: %s", ssh_err(s));
				goto done;
			}
			if (n > 0) {
				in_off += (size_t)n;
				progress = true;
			}
			if (in_off == rq->in.len) {
				ssh_channel_send_eof(ch);
				eof_sent = true;
			}
		}
		if (client_stirs(fd)) {
			/* A kill frame or the client's end: either way the command goes. */
			kill_remote(ch, rq->tty);
			goto done;
		}
		if (progress)
			continue;
		if (ssh_channel_is_closed(ch) || (ssh_channel_is_eof(ch) && ei.got_status))
			break;
		if (wait_now() >= deadline) {
			kill_remote(ch, rq->tty);
			send_text(fd, 'T', "still running after %.1f s; killed", rq->timeout);
			goto done;
		}
		if (ssh_channel_is_eof(ch)) {
			ssh_channel_poll_timeout(ch, 50, 0);
			ssh_channel_get_exit_status(ch);
		} else {
			struct pollfd pfd[2] = {{ssh_get_fd(s), POLLIN, 0}, {fd, POLLIN, 0}};

			poll(pfd, 2, 1000);
		}
	}
finished:
	if (ei.signal != NULL)
		send_text(fd, 's', "%s", ei.signal);
	else if (ei.got_status)
		send_text(fd, 'X', "%u", (unsigned)ei.status);
	mux_send(fd, 'd', NULL, 0);
done:
	/*
	 * A channel closed before the server's close stays in the session
	 * after ssh_channel_free, and the main thread's poke may yet read an
	 * exit status or close for it: the callbacks on this stack must go.
	 */
	ssh_remove_channel_callbacks(ch, &cb);
	if (ssh_channel_is_open(ch))
		ssh_channel_close(ch);
	ssh_channel_free(ch);
	free(ei.signal);
	free(buf);
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

static void
list_keys(int fd)
{
	char **keys;
	size_t i, n = 0;

	pthread_mutex_lock(&lock);
	keys = xcalloc(nheld + 1, sizeof *keys);
	/* "K key" for a session held, "R idle key" for one that died, to be replaced. */
	for (i = 0; i < nheld && !stopping; i++) {
		if (!held[i]->dead)
			keys[n++] = xasprintf("K%s", held[i]->key);
		else
			keys[n++] = xasprintf("R%g %s", held[i]->idle, held[i]->key);
	}
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++) {
		mux_send(fd, keys[i][0], keys[i] + 1, strlen(keys[i] + 1));
		free(keys[i]);
	}
	free(keys);
	mux_send(fd, 'E', NULL, 0);
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
		case 'k':
			free(rq.key);
			rq.key = data;
			data = NULL;
			break;
		case 'c':
			free(rq.command);
			rq.command = data;
			data = NULL;
			break;
		case 'p': {
			int tty = 0, in = 0;

			if (sscanf(data, "%d %d %lf %lf", &tty, &in, &rq.timeout, &rq.persist) != 4)
				goto out;
			rq.tty = tty != 0;
			rq.has_stdin = in != 0;
			break;
		}
		case 'i':
			buf_append(&rq.in, data, len);
			break;
		case 'g':
			if (rq.key != NULL && rq.command != NULL)
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
	int null = open("/dev/null", O_RDWR), fd, *keep, nkeep = 0;
	struct dirent *de;
	DIR *d;
	size_t i;

	if (null >= 0) {
		for (fd = 0; fd <= 2; fd++)
			dup2(null, fd);
		if (null > 2)
			close(null);
	}
	keep = xcalloc(nheld + 1, sizeof *keep);
	keep[nkeep++] = lfd;
	for (i = 0; i < nheld; i++)
		keep[nkeep++] = ssh_get_fd(held[i]->s);
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
	for (i = 0; i < nheld; i++)
		held[i]->last_used = held[i]->last_alive = now;
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
			        (stopping || now - k->last_used > k->idle)) {
				gone[ngone++] = k; /* said goodbye to after the unlock */
				held[i] = held[--nheld];
				continue;
			}
			/*
			 * A session that died is closed but remembered until it
			 * would have expired: the next run that finds it so keeps
			 * its new session in its place (mux_run's again).
			 */
			if (k->busy == 0 && k->refs == 0 && k->dead)
				kept_close(k, false);
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
			if (pfd[i].revents == 0 && now - k->last_alive < KEEPALIVE)
				continue;
			pthread_mutex_lock(&lock);
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

void
keeper_start(const struct options *o)
{
	struct sockaddr_un sa;
	const char *why = NULL;
	char *dir = NULL;
	int lfd = -1, st;
	pid_t pid;

	if (nheld == 0)
		return;
	if (cancel_requested() || (dir = mux_dir(true, &why)) == NULL) {
		if (why != NULL)
			log_msg(LOG_NORMAL, "--persist: %s; sessions closed", why);
		goto close_all;
	}
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
	goto out;
close_all:
	if (lfd >= 0)
		close(lfd);
	forget_all(true);
out:
	free(sock_path);
	sock_path = NULL;
	free(dir);
}
