/*
 * jump.c - native ProxyJump.
 *
 * Theory of operation.  A hop is one route to a jump host: its spec as
 * written ("user@bastion:2222") and the hops before it (a chain's earlier
 * hops, as ssh's -J gives them to the next one; none for the first hop,
 * whose own ssh_config then decides how it is reached).  A hop owns a few
 * sessions, each an authenticated connection made by connect_host exactly
 * as for any host (phases, host key, limiter, ssh_config), with the same
 * retries and backoff, by the first target that needs it while the others
 * wait.  A session carries up to JUMP_CHANNELS_PER_SESSION targets; past
 * that another session is opened, so one sshd process on the bastion (and
 * one relay thread here) does not carry the whole fleet.
 *
 * Each session has a relay thread, the only thread that touches its libssh
 * session once connected (libssh sessions are not thread-safe).  A target
 * asks for a channel by queueing a link (under the module lock) and waking
 * the relay, which opens a direct-tcpip channel and moves bytes between it
 * and the relay's end of the target's socketpair: from the channel only as
 * fast as the socket takes them (libssh grows the window as it is read),
 * to the channel no more than its window.  The target's end of the
 * socketpair then goes through the banner wait and SSH_OPTIONS_FD like a
 * TCP socket.  The relay sends keepalives on its session (the hop's
 * ServerAlive settings); a session that dies closes every socketpair, so
 * targets see their connection end (lost when running, retried before).
 *
 * A hop that cannot be connected after its retries fails every target
 * waiting for it with its kind, "via HOP: ...", not retried again by each
 * target; a new request tries again once the backoff cap has passed.
 *
 * Locks: one module mutex guards the hop list, each hop's session list and
 * counts, and each link's state and pending queue.  A relay never holds it
 * while calling libssh.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/ssh2.h>
#include <openssl/evp.h>

#include "alive.h"
#include "backoff.h"
#include "cancel.h"
#include "jump.h"
#include "log.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

#define RELAY_CHUNK 32768

enum link_state { LINK_PENDING, LINK_OPEN, LINK_FAILED };

struct sess;

struct jump_link {
	struct sess *s;
	int refs;   /* the target's and the relay's, under jlock */
	int fd;     /* the relay's end of the socketpair; relay only after queueing */
	char *host; /* the target as the last hop resolves it */
	int port;
	enum link_state state; /* under jlock */
	struct outcome out;    /* LINK_FAILED: why, under jlock */
	bool released;         /* the target let go: under jlock */
	bool kept;             /* its target's session goes to the keeper: under jlock */
	char *dead;            /* the session's death, under jlock */
	struct jump_link *next_pending;
	/* The relay's own. */
	ssh_channel ch;
	char *to_fd; /* read from the channel, not yet written to fd */
	size_t to_len, to_off;
	char *to_ch; /* read from fd, not yet taken by the channel */
	size_t ch_len, ch_off;
	bool fd_eof, ch_eof, opened, open_failed;
	struct jump_link *next;
};

struct hop;

struct sess {
	struct hop *hop;
	struct conn conn;
	pthread_t thread;
	int wake[2];
	int nlinks;                /* links counted against its capacity, under jlock */
	bool dead;                 /* under jlock */
	bool stop;                 /* under jlock */
	bool parked;               /* stopped with its kept links, for the keeper */
	bool in_keeper;            /* the keeper's: ends with its last link */
	bool joined;               /* its relay joined (jump_shutdown's own) */
	char *key_type, *key_b64;  /* the hop's host key, judged again at each reuse */
	char *cert64;              /* the host certificate judged with it (base64), or NULL */
	char *why;                 /* its death, under jlock */
	struct jump_link *pending; /* under jlock */
	struct jump_link *links;   /* the relay's */
	struct sess *next;         /* the hop's */
	struct sess *all_next;     /* every session, newest first */
};

struct hop {
	char *key;    /* prefix ">" spec */
	char *name;   /* the spec as written */
	char *prefix; /* the hops before it, or NULL */
	struct host *h;
	struct sess *sessions;
	bool connecting;
	int waiting;
	struct outcome fail;
	double fail_until;
	struct hop *next;
};

/* The hops this thread is connecting, innermost last: a route through itself is a loop. */
#define JUMP_DEPTH_MAX 8
static __thread struct hop *connecting[JUMP_DEPTH_MAX];
static __thread int nconnecting;

static pthread_mutex_t jlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jcond;
static struct hop *hops;
static struct sess *all_sessions;

static void
wake(struct sess *s)
{
	char c = 1;
	ssize_t n = write(s->wake[1], &c, 1);

	(void)n; /* full pipe: the relay is already due to look */
}

/* jcond is on wait_now's clock, for wait_cond: made before any thread. */
static void __attribute__((constructor)) jcond_init(void)
{
	wait_cond_init(&jcond);
}

/* Wait on jcond up to 100 ms (cancel is checked by the callers). */
static void
jwait(void)
{
	wait_cond(&jcond, &jlock, wait_now() + 0.1);
}

/* The host a hop's spec names (user@host:port, or an alias), named by the spec. */
static struct host *
hop_host(const char *spec)
{
	char *user = NULL, *host = NULL;
	int port = -1;
	struct host *h;

	/* The chain was checked (sshconf_jump_ok) before it got here. */
	if (!sshconf_jump_hop(spec, &user, &host, &port))
		host = xstrdup(spec);
	h = host_new(0, host, user, port > 0 ? port : 0);
	free(h->name);
	h->name = xstrdup(spec);
	free(user);
	free(host);
	return h;
}

static struct hop *
hop_get(const char *prefix, const char *spec)
{
	char *key = xasprintf("%s>%s", prefix ? prefix : "", spec);
	struct hop *hp;

	for (hp = hops; hp != NULL; hp = hp->next) {
		if (strcmp(hp->key, key) == 0) {
			free(key);
			return hp;
		}
	}
	hp = xcalloc(1, sizeof *hp);
	hp->key = key;
	hp->name = xstrdup(spec);
	hp->prefix = prefix ? xstrdup(prefix) : NULL;
	hp->h = hop_host(spec);
	hp->next = hops;
	hops = hp;
	return hp;
}

static void
link_unref(struct jump_link *l)
{
	if (--l->refs > 0)
		return;
	free(l->host);
	free(l->dead);
	free(l->to_fd);
	free(l->to_ch);
	outcome_clear(&l->out);
	free(l);
}

/* Fail a link the relay has not opened (under jlock): "via HOP: what". */
static void
link_fail(struct jump_link *l, enum err_kind kind, enum outcome_retry retry, const char *hop,
        const char *what)
{
	outcome_set(&l->out, kind, PHASE_CONNECT, "via %s: %s", hop, what);
	l->out.retry = retry;
	l->state = LINK_FAILED;
}

/* ---- the relay -------------------------------------------------------------- */

/* The reason a channel open failed, from libssh's text "... error (N) description". */
static void
open_failed(struct sess *s, struct jump_link *l)
{
	const char *e = ssh_get_error(s->conn.session);
	const char *p = e ? strstr(e, "error (") : NULL;
	long code = p ? strtol(p + 7, NULL, 10) : 0;
	const char *desc = p && strchr(p, ')') ? strchr(p, ')') + 1 : (e ? e : "");
	char *d, *w;

	while (*desc == ' ')
		desc++;
	d = xasprintf("%s:%d%s%s", l->host, l->port, *desc ? ": " : "", desc);
	pthread_mutex_lock(&jlock);
	/* SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (RFC 4254 5.1): asking again will not help. */
	if (code == SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED)
		w = xasprintf("administratively prohibited: no forwarding to %s", d);
	else if (code == SSH2_OPEN_CONNECT_FAILED)
		w = xasprintf("connect failed: %s", d);
	else
		w = xasprintf("channel refused: %s", d);
	link_fail(l, EK_REFUSED,
	        code == SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED ? RETRY_NEVER : RETRY_AS_KIND,
	        s->hop->name, w);
	free(w);
	pthread_cond_broadcast(&jcond);
	pthread_mutex_unlock(&jlock);
	free(d);
}

/* Whether a hop's session is gone (its relay then ends every link through it). */
static bool
session_broken(ssh_session ss)
{
	return !ssh_is_connected(ss) || (ssh_get_status(ss) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* Channel to fd: what is pending, then more when all of it went. Returns false when done. */
static void
pump_to_fd(struct jump_link *l)
{
	ssize_t n;
	int r;

	for (;;) {
		if (l->to_off < l->to_len) {
			n = send(l->fd, l->to_fd + l->to_off, l->to_len - l->to_off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n < 0) {
				/* The target's end is gone: nothing more to deliver. */
				l->to_off = l->to_len = 0;
				l->ch_eof = true;
				return;
			}
			l->to_off += (size_t)n;
			continue;
		}
		l->to_off = l->to_len = 0;
		if (l->ch_eof)
			return;
		r = ssh_channel_read_nonblocking(l->ch, l->to_fd, RELAY_CHUNK, 0);
		if (r > 0) {
			l->to_len = (size_t)r;
			continue;
		}
		if (r < 0 || ssh_channel_is_eof(l->ch) || ssh_channel_is_closed(l->ch)) {
			/*
			 * A channel that fails because the hop's session broke is
			 * relay_die's to end, after it recorded the hop's death:
			 * else the target sees its end first and cannot say "via".
			 */
			if (session_broken(l->s->conn.session))
				return;
			l->ch_eof = true;
			shutdown(l->fd, SHUT_WR);
		}
		return;
	}
}

/* fd to channel, within the channel's window. */
static void
pump_to_ch(struct jump_link *l)
{
	uint32_t win;
	ssize_t n;
	int w;

	for (;;) {
		if (l->ch_off < l->ch_len) {
			win = ssh_channel_window_size(l->ch);
			if (win == 0)
				return;
			n = l->ch_len - l->ch_off;
			if ((size_t)n > win)
				n = (ssize_t)win;
			w = ssh_channel_write(l->ch, l->to_ch + l->ch_off, (uint32_t)n);
			if (w < 0) {
				l->fd_eof = true;
				l->ch_off = l->ch_len = 0;
				return;
			}
			l->ch_off += (size_t)w;
			if (w < n)
				return;
			continue;
		}
		l->ch_off = l->ch_len = 0;
		if (l->fd_eof)
			return;
		n = read(l->fd, l->to_ch, RELAY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			l->fd_eof = true;
			if (!ssh_channel_is_closed(l->ch))
				ssh_channel_send_eof(l->ch);
			return;
		}
		l->ch_len = (size_t)n;
	}
}

static void
relay_drop(struct sess *s, struct jump_link *l)
{
	if (l->ch != NULL) {
		if (!ssh_channel_is_closed(l->ch))
			ssh_channel_close(l->ch);
		ssh_channel_free(l->ch);
		l->ch = NULL;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	pthread_mutex_lock(&jlock);
	s->nlinks--;
	link_unref(l);
	pthread_cond_broadcast(&jcond);
	pthread_mutex_unlock(&jlock);
}

/* The session is gone: every target through it sees its connection end. */
static void
relay_die(struct sess *s, const char *why)
{
	struct jump_link *l, *next;

	log_msg(LOG_VERBOSE, "%s: jump session lost: %s", s->hop->name, why);
	pthread_mutex_lock(&jlock);
	s->dead = true;
	s->why = xasprintf("%s: %s", s->hop->name, why);
	for (l = s->links; l != NULL; l = l->next) {
		free(l->dead);
		l->dead = xstrdup(s->why);
		if (l->state == LINK_PENDING)
			link_fail(l, EK_LOST, RETRY_ALWAYS, s->hop->name, why);
	}
	for (l = s->pending; l != NULL; l = l->next_pending) {
		link_fail(l, EK_LOST, RETRY_ALWAYS, s->hop->name, why);
		l->next = s->links;
		s->links = l;
	}
	s->pending = NULL;
	pthread_cond_broadcast(&jcond);
	pthread_mutex_unlock(&jlock);
	for (l = s->links; l != NULL; l = next) {
		next = l->next;
		relay_drop(s, l);
	}
	s->links = NULL;
}

static void *
relay_main(void *arg)
{
	struct sess *s = arg;
	ssh_session ss = s->conn.session;
	struct jump_link *l, **pp, *got;
	struct pollfd *pfd = NULL;
	struct alive al;
	size_t npfd = 0, cap = 0, i;
	double interval;
	int count, rc, ms;
	bool stop, released;
	char buf[64];

	ssh_event ev = ssh_event_new();

	/* The event reads the session's packets even when no channel is read. */
	if (ev == NULL || ssh_event_add_session(ev, ss) != SSH_OK)
		fatal("libssh: cannot watch a jump session");
	ssh_set_blocking(ss, 0);
	connect_alive(&s->conn, &interval, &count);
	alive_start(&al, ss, interval, count);
	for (;;) {
		pthread_mutex_lock(&jlock);
		stop = s->stop;
		got = s->pending;
		s->pending = NULL;
		pthread_mutex_unlock(&jlock);
		for (; got != NULL; got = l) {
			l = got->next_pending;
			got->next = s->links;
			s->links = got;
		}
		if (stop)
			break;
		/* In the keeper a hop lives as long as a kept session goes through it. */
		if (s->in_keeper && s->links == NULL)
			break;
		/* Open, move, and drop what the targets let go. */
		for (pp = &s->links; (l = *pp) != NULL;) {
			pthread_mutex_lock(&jlock);
			released = l->released;
			pthread_mutex_unlock(&jlock);
			/*
			 * A channel asked for is settled before it goes, even when its
			 * target gave up waiting: freed half open, the jump host would
			 * keep its end until the session closes.
			 */
			if (!l->opened && !l->open_failed && (!released || l->ch != NULL)) {
				if (l->ch == NULL && (l->ch = ssh_channel_new(ss)) == NULL)
					fatal("out of memory opening a channel");
				rc = ssh_channel_open_forward(
				        l->ch, l->host, l->port, "127.0.0.1", 0);
				if (rc == SSH_OK) {
					l->opened = true;
					pthread_mutex_lock(&jlock);
					if (l->state == LINK_PENDING)
						l->state = LINK_OPEN;
					pthread_cond_broadcast(&jcond);
					pthread_mutex_unlock(&jlock);
				} else if (rc == SSH_ERROR) {
					l->open_failed = true;
					open_failed(s, l);
					released = true;
				} else if (released) {
					pp = &l->next;
					continue;
				}
			}
			if (!released && l->opened) {
				pump_to_fd(l);
				pump_to_ch(l);
				released = l->fd_eof && l->ch_eof && l->to_len == 0;
			}
			if (released) {
				*pp = l->next;
				relay_drop(s, l);
				continue;
			}
			pp = &l->next;
		}
		ssh_blocking_flush(ss, 0);
		if (session_broken(ss)) {
			const char *e = ssh_get_error(ss);

			relay_die(s, e && *e ? e : "connection closed");
			break;
		}
		if (!alive_check(&al, ss)) {
			relay_die(s, alive_why(&al));
			break;
		}
		/* Wait for the session, the sockets, a new link or the next keepalive. */
		npfd = 2;
		for (l = s->links; l != NULL; l = l->next)
			npfd++;
		if (npfd > cap) {
			cap = npfd * 2;
			pfd = xreallocarray(pfd, cap, sizeof *pfd);
		}
		pfd[0].fd = s->wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = ssh_get_fd(ss);
		pfd[1].events = POLLIN;
		if (ssh_blocking_flush(ss, 0) == SSH_AGAIN)
			pfd[1].events |= POLLOUT;
		ms = (int)((alive_due(&al, wait_now() + 1.0) - wait_now()) * 1000) + 1;
		for (i = 2, l = s->links; l != NULL; l = l->next, i++) {
			pfd[i].fd = l->fd;
			pfd[i].events = 0;
			if (!l->opened) {
				ms = ms > 50 ? 50 : ms; /* ssh_channel_open_forward wants calling
				                           again */
				continue;
			}
			if (l->to_off < l->to_len)
				pfd[i].events |= POLLOUT;
			if (!l->fd_eof && l->ch_len == 0 && ssh_channel_window_size(l->ch) > 0)
				pfd[i].events |= POLLIN;
			/* Data libssh already holds, or a window that reopened: go round at once.
			 */
			if ((l->to_len == 0 && !l->ch_eof && ssh_channel_poll(l->ch, 0) != 0) ||
			        (l->ch_len > 0 && ssh_channel_window_size(l->ch) > 0))
				ms = 0;
		}
		if (ms < 0)
			ms = 0;
		rc = poll(pfd, npfd, ms);
		if (rc > 0 && (pfd[0].revents & POLLIN)) {
			while (read(s->wake[0], buf, sizeof buf) > 0)
				;
		}
		if (rc > 0 && pfd[1].revents != 0)
			ssh_event_dopoll(ev, 0);
	}
	alive_stop(&al, ss);
	ssh_event_remove_session(ev, ss);
	ssh_event_free(ev);
	free(pfd);
	/*
	 * Stopped at the run's end with sessions for the keeper: those links
	 * and the session stay as they are, and keeper_start's fork takes them
	 * (jump_resume starts a relay there); the rest go.
	 */
	pthread_mutex_lock(&jlock);
	for (l = s->links; l != NULL && !s->dead; l = l->next)
		s->parked |= l->kept && !l->released;
	pthread_mutex_unlock(&jlock);
	for (pp = &s->links; (l = *pp) != NULL;) {
		pthread_mutex_lock(&jlock);
		released = !s->parked || !l->kept || l->released;
		if (released && l->state == LINK_PENDING)
			link_fail(l, EK_CANCELLED, RETRY_NEVER, s->hop->name, "interrupted");
		pthread_mutex_unlock(&jlock);
		if (!released) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		relay_drop(s, l);
	}
	if (!s->parked)
		connect_close(&s->conn);
	return NULL;
}

/* ---- the hop's sessions ----------------------------------------------------- */

/* Connect a session to hop, with the retries and backoff of any host. */
static int
hop_connect(struct hop *hp, const struct connect_params *p, struct conn *c, struct outcome *out)
{
	const struct options *o = p->opts;
	struct connect_params hpp = *p;
	uint64_t rng = backoff_seed((uint64_t)(uintptr_t)hp);
	struct pollfd pfd;
	unsigned n;
	double delay;
	int rc;

	hpp.jump = hp->prefix;
	for (;;) {
		n = host_attempt_begin(hp->h, wait_now());
		connecting[nconnecting++] = hp;
		rc = connect_host(c, hp->h, &hpp, out);
		nconnecting--;
		if (rc == 0) {
			struct outcome up = OUTCOME_INIT;

			up.phase = PHASE_RUN;
			host_attempt_end(hp->h, &up, wait_now());
			host_phase(hp->h, PHASE_RUN, wait_now());
			return 0;
		}
		host_attempt_end(hp->h, out, wait_now());
		log_msg(LOG_VERBOSE, "%s: jump host: %s: %s", hp->name, errkind_name(out->kind),
		        out->error);
		if (!outcome_retried(out) || n > (unsigned)o->retries || cancel_requested())
			break;
		delay = backoff_delay(o->backoff_base, o->backoff_cap, n - 1, backoff_random(&rng));
		host_retry_wait(hp->h, wait_now() + delay, wait_now());
		pfd.fd = cancel_fd();
		pfd.events = POLLIN;
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, (int)(delay * 1000));
		outcome_clear(out);
	}
	host_finish(hp->h, out->kind, NULL, wait_now());
	return -1;
}

/* The hop's host key, while the connecting worker still owns the session. */
static void
hop_key(struct sess *s)
{
	ssh_key hk = NULL;
	char *b64 = NULL;

	if (ssh_get_server_publickey(s->conn.session, &hk) == 0 &&
	        ssh_pki_export_pubkey_base64(hk, &b64) == 0) {
		s->key_type = xstrdup(ssh_key_type_to_char(ssh_key_type(hk)));
		s->key_b64 = xstrdup(b64);
	}
	if (s->conn.hostcert != NULL && s->conn.hostcert_len <= INT_MAX / 2) {
		s->cert64 = xmalloc(4 * ((s->conn.hostcert_len + 2) / 3) + 1);
		EVP_EncodeBlock(
		        (unsigned char *)s->cert64, s->conn.hostcert, (int)s->conn.hostcert_len);
	}
	ssh_string_free_char(b64);
	ssh_key_free(hk);
}

/* A session of hp with room for one more link (counted), connecting one if need be. */
static struct sess *
sess_get(struct hop *hp, const struct connect_params *p, struct outcome *out)
{
	struct outcome hout = OUTCOME_INIT;
	struct sess *s;
	int rc, i;

	for (i = 0; i < nconnecting; i++) {
		if (connecting[i] == hp) {
			outcome_set(out, EK_RESOLVE, PHASE_CONNECT,
			        "ProxyJump loop: %s is reached through itself (give it ProxyJump "
			        "none "
			        "in ssh_config)",
			        hp->name);
			out->retry = RETRY_NEVER;
			return NULL;
		}
	}
	if (nconnecting >= JUMP_DEPTH_MAX) {
		outcome_set(out, EK_RESOLVE, PHASE_CONNECT,
		        "ProxyJump: more than %d jump hosts in a row to reach %s", JUMP_DEPTH_MAX,
		        hp->name);
		out->retry = RETRY_NEVER;
		return NULL;
	}
	pthread_mutex_lock(&jlock);
	for (;;) {
		if (cancel_requested()) {
			pthread_mutex_unlock(&jlock);
			outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
			return NULL;
		}
		if (hp->fail.kind != EK_NONE && wait_now() < hp->fail_until) {
			outcome_set(out, hp->fail.kind, hp->fail.phase, "via %s: %s: %s", hp->name,
			        errkind_name(hp->fail.kind), hp->fail.error);
			out->retry = RETRY_NEVER;
			pthread_mutex_unlock(&jlock);
			return NULL;
		}
		for (s = hp->sessions; s != NULL; s = s->next) {
			/* a parked one waits for the keeper: no relay moves its bytes now */
			if (!s->dead && !s->parked && s->nlinks < JUMP_CHANNELS_PER_SESSION) {
				s->nlinks++;
				pthread_mutex_unlock(&jlock);
				return s;
			}
		}
		if (!hp->connecting)
			break;
		hp->waiting++;
		jwait();
		hp->waiting--;
	}
	hp->connecting = true;
	pthread_mutex_unlock(&jlock);

	s = xcalloc(1, sizeof *s);
	s->hop = hp;
	rc = hop_connect(hp, p, &s->conn, &hout);

	pthread_mutex_lock(&jlock);
	hp->connecting = false;
	if (rc < 0) {
		outcome_clear(&hp->fail);
		hp->fail = hout;
		hp->fail_until = wait_now() + p->opts->backoff_cap;
		outcome_set(out, hout.kind, hout.phase, "via %s: %s: %s", hp->name,
		        errkind_name(hout.kind), hout.error);
		out->retry = hout.kind == EK_CANCELLED ? RETRY_AS_KIND : RETRY_NEVER;
		pthread_cond_broadcast(&jcond);
		pthread_mutex_unlock(&jlock);
		free(s);
		return NULL;
	}
	outcome_clear(&hp->fail);
	hop_key(s);
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		fatal("cannot make a pipe for a jump session: %s", strerror(errno));
	s->nlinks = 1;
	s->next = hp->sessions;
	hp->sessions = s;
	s->all_next = all_sessions;
	all_sessions = s;
	if ((rc = pthread_create(&s->thread, NULL, relay_main, s)) != 0)
		fatal("cannot start a jump relay thread: %s", strerror(rc));
	log_msg(LOG_VERBOSE, "%s: jump session up", hp->name);
	pthread_cond_broadcast(&jcond);
	pthread_mutex_unlock(&jlock);
	return s;
}

int
jump_open(const char *chain, const char *host, int port, const struct connect_params *p,
        double timeout, int *fd, struct jump_link **link, struct outcome *out)
{
	const char *comma = strrchr(chain, ',');
	char *prefix = comma ? xstrndup(chain, (size_t)(comma - chain)) : NULL;
	const char *spec = comma ? comma + 1 : chain;
	double deadline;
	struct hop *hp;
	struct sess *s;
	struct jump_link *l;
	int sv[2];

	*fd = -1;
	*link = NULL;
	pthread_mutex_lock(&jlock);
	hp = hop_get(prefix, spec);
	pthread_mutex_unlock(&jlock);
	free(prefix);
	if ((s = sess_get(hp, p, out)) == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		outcome_set(out, EK_LOCAL, PHASE_CONNECT, "local: %s: no socketpair for a channel",
		        strerror(errno));
		pthread_mutex_lock(&jlock);
		s->nlinks--;
		pthread_mutex_unlock(&jlock);
		return -1;
	}
	l = xcalloc(1, sizeof *l);
	l->s = s;
	l->refs = 2;
	l->fd = sv[1];
	l->host = xstrdup(host);
	l->port = port;
	l->to_fd = xmalloc(RELAY_CHUNK);
	l->to_ch = xmalloc(RELAY_CHUNK);
	deadline = wait_now() + timeout;
	pthread_mutex_lock(&jlock);
	if (s->dead) {
		link_fail(l, EK_LOST, RETRY_ALWAYS, hp->name, s->why);
		l->refs = 1;
		s->nlinks--;
		close(sv[1]);
		l->fd = -1;
	} else {
		l->next_pending = s->pending;
		s->pending = l;
		wake(s);
	}
	while (l->state == LINK_PENDING && !cancel_requested() && wait_now() < deadline)
		jwait();
	if (l->state == LINK_OPEN) {
		pthread_mutex_unlock(&jlock);
		*fd = sv[0];
		*link = l;
		return 0;
	}
	if (l->state == LINK_FAILED) {
		outcome_set(out, l->out.kind, l->out.phase, "%s", l->out.error);
		out->retry = l->out.retry;
	} else if (cancel_requested()) {
		outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
	} else {
		outcome_set(out, EK_CONNECT_TIMEOUT, PHASE_CONNECT,
		        "via %s: no channel to %s:%d within %.1f s", hp->name, host, port, timeout);
	}
	l->released = true;
	if (l->refs > 1)
		wake(s);
	link_unref(l);
	pthread_mutex_unlock(&jlock);
	close(sv[0]);
	return -1;
}

void
jump_close(struct jump_link *l)
{
	struct sess *s;

	if (l == NULL)
		return;
	pthread_mutex_lock(&jlock);
	s = l->s;
	l->released = true;
	if (l->refs > 1)
		wake(s);
	link_unref(l);
	pthread_mutex_unlock(&jlock);
}

const char *
jump_link_dead(struct jump_link *l)
{
	const char *d;

	if (l == NULL)
		return NULL;
	pthread_mutex_lock(&jlock);
	d = l->dead;
	pthread_mutex_unlock(&jlock);
	return d;
}

void
jump_status(struct buf *b)
{
	struct hop *hp;
	struct sess *s;
	int nsess, nlinks;

	pthread_mutex_lock(&jlock);
	for (hp = hops; hp != NULL; hp = hp->next) {
		nsess = nlinks = 0;
		for (s = hp->sessions; s != NULL; s = s->next) {
			if (s->dead)
				continue;
			nsess++;
			nlinks += s->nlinks;
		}
		if (b->len > 0)
			buf_appends(b, " · ");
		buf_appendf(b, "via %s: ", hp->name);
		if (hp->connecting) {
			enum phase ph;

			pthread_mutex_lock(&hp->h->lock);
			ph = hp->h->phase;
			pthread_mutex_unlock(&hp->h->lock);
			buf_appendf(b, "connecting (%s)", errkind_phase_name(ph));
		} else if (nsess > 0)
			buf_appendf(b, "up, %d session%s, %d channel%s", nsess,
			        nsess == 1 ? "" : "s", nlinks, nlinks == 1 ? "" : "s");
		else if (hp->fail.kind != EK_NONE)
			buf_appendf(b, "failed (%s)", errkind_name(hp->fail.kind));
		else
			buf_appends(b, "down");
		if (hp->waiting > 0)
			buf_appendf(b, ", %d waiting", hp->waiting);
	}
	pthread_mutex_unlock(&jlock);
}

static void
sess_free(struct sess *s)
{
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->why);
	free(s->key_type);
	free(s->key_b64);
	free(s->cert64);
	free(s);
}

static void
hop_free(struct hop *hp)
{
	free(hp->key);
	free(hp->name);
	free(hp->prefix);
	host_free(hp->h);
	outcome_clear(&hp->fail);
	free(hp);
}

void
jump_shutdown(void)
{
	struct sess *s, **sp;
	struct hop *hp, **hpp;
	bool used;

	pthread_mutex_lock(&jlock);
	for (s = all_sessions; s != NULL; s = s->all_next) {
		s->stop = true;
		wake(s);
	}
	pthread_mutex_unlock(&jlock);
	/*
	 * Newest first: a later hop of a chain lets go of its channel through an
	 * earlier one.  A session parked by an earlier call has no thread.
	 */
	for (sp = &all_sessions; (s = *sp) != NULL;) {
		if (!s->joined)
			pthread_join(s->thread, NULL);
		s->joined = true;
		if (s->parked) {
			sp = &s->all_next;
			continue;
		}
		*sp = s->all_next;
		sess_free(s);
	}
	/* A hop with a parked session stays, for jump_resume or jump_forget. */
	for (hpp = &hops; (hp = *hpp) != NULL;) {
		for (used = false, s = all_sessions; s != NULL; s = s->all_next)
			used |= s->hop == hp;
		if (used) {
			hpp = &hp->next;
			continue;
		}
		*hpp = hp->next;
		hop_free(hp);
	}
}

/* Mark l, and the links under the hop sessions it goes through, for the keeper. */
void
jump_keep(struct jump_link *l)
{
	pthread_mutex_lock(&jlock);
	for (; l != NULL; l = l->s->conn.link)
		l->kept = true;
	pthread_mutex_unlock(&jlock);
}

char *
jump_link_hops(struct jump_link *l)
{
	struct buf b;
	struct sess *s;

	buf_init(&b);
	pthread_mutex_lock(&jlock);
	for (; l != NULL; l = s->conn.link) {
		s = l->s;
		buf_appendf(&b, "%s %s %s %s\n", s->key_type ? s->key_type : "-",
		        s->key_b64 ? s->key_b64 : "-", s->cert64 ? s->cert64 : "-", s->hop->key);
	}
	pthread_mutex_unlock(&jlock);
	return buf_steal(&b);
}

size_t
jump_parked_fds(int **fds)
{
	struct sess *s;
	struct jump_link *l;
	size_t n = 0;

	*fds = NULL;
	for (s = all_sessions; s != NULL; s = s->all_next) {
		*fds = xreallocarray(*fds, n + 3, sizeof **fds);
		(*fds)[n++] = ssh_get_fd(s->conn.session);
		(*fds)[n++] = s->wake[0];
		(*fds)[n++] = s->wake[1];
		for (l = s->links; l != NULL; l = l->next) {
			*fds = xreallocarray(*fds, n + 1, sizeof **fds);
			(*fds)[n++] = l->fd;
		}
	}
	return n;
}

void
jump_resume(void)
{
	pthread_attr_t attr;
	struct sess *s;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* as the keeper's request threads: the relay's buffers are on the heap */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (s = all_sessions; s != NULL; s = s->all_next) {
		s->parked = false;
		s->joined = false;
		s->stop = false;
		s->in_keeper = true;
		if ((rc = pthread_create(&s->thread, &attr, relay_main, s)) != 0) {
			/* no relay: its targets see their connection end, as when the hop dies */
			struct jump_link *l;

			for (l = s->links; l != NULL; l = l->next)
				shutdown(l->fd, SHUT_RDWR);
		}
	}
	pthread_attr_destroy(&attr);
	/* The keeper's relays own them now: the list is not walked again. */
	all_sessions = NULL;
}

void
jump_forget(bool say_bye)
{
	struct sess *s, *next;
	struct jump_link *l, *lnext;
	struct hop *hp, *hnext;
	int null, fd;

	/* the keeper talks on them now: not one byte from here, a channel's close included */
	for (s = all_sessions; s != NULL && !say_bye; s = s->all_next) {
		fd = ssh_get_fd(s->conn.session);
		if (fd >= 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
			dup2(null, fd);
			close(null);
		}
	}
	for (s = all_sessions; s != NULL; s = next) {
		next = s->all_next;
		for (l = s->links; l != NULL; l = lnext) {
			lnext = l->next;
			if (l->ch != NULL)
				ssh_channel_free(l->ch);
			if (l->fd >= 0)
				close(l->fd);
			link_unref(l);
		}
		connect_close(&s->conn);
		sess_free(s);
	}
	all_sessions = NULL;
	for (hp = hops; hp != NULL; hp = hnext) {
		hnext = hp->next;
		hop_free(hp);
	}
	hops = NULL;
}

int
jump_trust_kept(const char *hop_key, const struct options *o, const char *key_type,
        const char *key_b64, const char *cert64, struct outcome *out)
{
	const char *gt = strchr(hop_key, '>');
	char *prefix, *err = NULL;
	unsigned char *cert = NULL;
	size_t clen = 0, n = strlen(cert64);
	struct sshconf_host cf;
	struct host *h;
	int rc, got;

	if (gt == NULL || strcmp(key_b64, "-") == 0) {
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX, "jump host %s: no host key kept",
		        hop_key);
		return -1;
	}
	if (strcmp(cert64, "-") != 0 && n % 4 == 0 && n <= INT_MAX) {
		cert = xmalloc(n / 4 * 3 + 1);
		got = EVP_DecodeBlock(cert, (const unsigned char *)cert64, (int)n);
		/* EVP_DecodeBlock counts the padding's zero bytes */
		clen = got < 0 ? 0
		               : (size_t)got - (n > 0 && cert64[n - 1] == '=') -
		                         (n > 1 && cert64[n - 2] == '=');
	}
	prefix = gt > hop_key ? xstrndup(hop_key, (size_t)(gt - hop_key)) : NULL;
	/* the hop as hop_get makes it, judged under its own settings now */
	h = hop_host(gt + 1);
	if (connect_eval(h, o, prefix, &cf, &err) < 0) {
		outcome_set(out, EK_RESOLVE, PHASE_CONNECT, "jump host %s: %s", gt + 1, err);
		rc = -1;
	} else {
		rc = connect_trust_kept(
		        h, o, &cf, key_type, key_b64, clen ? cert : NULL, clen, out);
		sshconf_host_free(&cf);
	}
	free(err);
	free(prefix);
	free(cert);
	host_free(h);
	return rc;
}

void
jump_print_chain(FILE *fp, const char *chain, const struct options *o)
{
	const char *spec = chain, *comma;
	char *prefix, *one, *err = NULL;
	struct sshconf_host cf;
	struct host *h;

	for (; spec != NULL; spec = comma ? comma + 1 : NULL) {
		comma = strchr(spec, ',');
		prefix = spec > chain ? xstrndup(chain, (size_t)(spec - 1 - chain)) : NULL;
		one = comma ? xstrndup(spec, (size_t)(comma - spec)) : xstrdup(spec);
		h = hop_host(one);
		/* each hop as hop_connect resolves it: the hops before it as its -J */
		fprintf(fp, "hop %s\n", one);
		if (connect_eval(h, o, prefix, &cf, &err) < 0) {
			fprintf(fp, "error %s\n", err);
			free(err);
			err = NULL;
		} else {
			sshconf_print(fp, &cf);
			sshconf_host_free(&cf);
		}
		host_free(h);
		free(one);
		free(prefix);
	}
}
