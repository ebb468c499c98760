/*
 * agent.c - the ssh-agent protocol (draft-miller-ssh-agent), the two
 * requests shoal needs: REQUEST_IDENTITIES and SIGN_REQUEST.
 *
 * Why speak it ourselves: libssh 0.10's only public way to use an agent is
 * ssh_userauth_agent, which offers every key the agent holds, in the agent's
 * order, one failed attempt each; sshd's MaxAuthTries then ends the login
 * before the key ssh would have offered first.  Its agent functions that
 * list keys are not exported.  So shoal lists the keys itself and, for each
 * agent key it chooses to offer, shows libssh a stand-in agent (a socketpair
 * set with ssh_set_agent_socket) holding that one key: ssh_userauth_agent
 * then offers exactly it, and the stand-in passes the signature request on
 * to the real agent.  libssh talks to an agent with blocking reads, so the
 * stand-in is served by a thread of its own for the life of the login.
 *
 * It also relays a forwarded agent (ssh -A, ForwardAgent) for a session
 * whose server asks: see agent_forward_start.
 *
 * Threads: a proxy's thread owns its socket end and its real-agent
 * connection; the shown key is shared with the session's thread under the
 * proxy's mutex.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "agent.h"
#include "wait.h"
#include "xmalloc.h"

#define AGENT_FAILURE           5
#define AGENT_REQUEST_IDS       11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENT_SIGN_REQUEST      13
#define AGENT_MSG_MAX           (256 * 1024)
#define AGENT_SIGN_TIMEOUT      30.0 /* a confirm-before-use agent may ask its user */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
read_all(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = send(fd, p, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One message (length prefix stripped) into *msg (malloc'd); -1 on error. */
static int
msg_read(int fd, unsigned char **msg, size_t *len)
{
	unsigned char hdr[4];
	uint32_t n;

	if (read_all(fd, hdr, 4) < 0)
		return -1;
	n = get32(hdr);
	if (n == 0 || n > AGENT_MSG_MAX) {
		errno = EPROTO;
		return -1;
	}
	*msg = xmalloc(n);
	if (read_all(fd, *msg, n) < 0) {
		free(*msg);
		*msg = NULL;
		return -1;
	}
	*len = n;
	return 0;
}

static int
msg_write(int fd, const unsigned char *msg, size_t len)
{
	unsigned char hdr[4];

	put32(hdr, (uint32_t)len);
	if (write_all(fd, hdr, 4) < 0)
		return -1;
	return write_all(fd, msg, len);
}

static void
set_timeout(int fd, double secs)
{
	struct timeval tv;

	if (secs < 0.05)
		secs = 0.05;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int
agent_connect(const char *sock, double secs)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(sock) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_timeout(fd, secs);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static char *
b64_encode(const unsigned char *p, size_t n)
{
	static const char digits[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = digits[p[i] >> 2];
		*o++ = digits[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = digits[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = digits[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = digits[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = digits[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = digits[(p[i + 1] & 15) << 2];
		} else {
			*o++ = digits[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* An SSH string at *off of msg; NULL past its end. */
static const unsigned char *
get_string(const unsigned char *msg, size_t len, size_t *off, uint32_t *n)
{
	const unsigned char *s;

	if (len - *off < 4)
		return NULL;
	*n = get32(msg + *off);
	if (len - *off - 4 < *n)
		return NULL;
	s = msg + *off + 4;
	*off += 4 + *n;
	return s;
}

void
agent_keys_free(struct agent_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(keys[i].blob64);
		free(keys[i].type);
		free(keys[i].comment);
		free(keys[i].sign_blob64);
	}
	free(keys);
}

int
agent_list(const char *sock, double deadline, struct agent_key **keys, size_t *n)
{
	unsigned char req = AGENT_REQUEST_IDS, *msg = NULL;
	const unsigned char *blob, *comment, *type;
	struct agent_key *v = NULL;
	size_t len, off, boff, i = 0, count = 0;
	uint32_t blen, clen, tlen;
	int fd, rc = -1;

	*keys = NULL;
	*n = 0;
	fd = agent_connect(sock, deadline - wait_now());
	if (fd < 0)
		return -1;
	if (msg_write(fd, &req, 1) < 0 || msg_read(fd, &msg, &len) < 0)
		goto done;
	if (len < 5 || msg[0] != AGENT_IDENTITIES_ANSWER) {
		errno = EPROTO;
		goto done;
	}
	count = get32(msg + 1);
	if (count > AGENT_MSG_MAX / 8) {
		errno = EPROTO;
		goto done;
	}
	v = xcalloc(count ? count : 1, sizeof *v);
	for (off = 5, i = 0; i < count; i++) {
		blob = get_string(msg, len, &off, &blen);
		comment = blob ? get_string(msg, len, &off, &clen) : NULL;
		if (comment == NULL) {
			errno = EPROTO;
			goto done;
		}
		boff = 0;
		if ((type = get_string(blob, blen, &boff, &tlen)) == NULL) {
			errno = EPROTO;
			goto done;
		}
		v[i].blob64 = b64_encode(blob, blen);
		v[i].type = xstrndup((const char *)type, tlen);
		v[i].comment = xstrndup((const char *)comment, clen);
	}
	*keys = v;
	*n = count;
	v = NULL;
	rc = 0;
done:
	if (v != NULL)
		agent_keys_free(v, i);
	free(msg);
	close(fd);
	return rc;
}

struct agent_proxy {
	pthread_t thread;
	int fd; /* our end; libssh has the other */
	char *sock;
	pthread_mutex_t lock;
	unsigned char *blob; /* the key shown, raw */
	size_t bloblen;
	char *comment;
	unsigned char *sign; /* the agent's key to sign with for it, or NULL */
	size_t signlen;
};

static long
b64_decode(const char *s, unsigned char **out)
{
	static const char digits[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = 0;
	unsigned char *p = xmalloc(strlen(s) / 4 * 3 + 3);
	uint32_t acc = 0;
	const char *d;
	int bits = 0;

	for (; *s != '\0' && *s != '='; s++) {
		if ((d = strchr(digits, *s)) == NULL) {
			free(p);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)(d - digits);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[len++] = (unsigned char)(acc >> bits);
		}
	}
	*out = p;
	return (long)len;
}

/* The identities answer: the shown key alone, or none. */
struct reply {
	unsigned char *p;
	size_t n;
};

static void
answer_ids(struct agent_proxy *p, struct reply *out)
{
	size_t clen;

	pthread_mutex_lock(&p->lock);
	clen = p->comment ? strlen(p->comment) : 0;
	out->n = p->blob ? 1 + 4 + 4 + p->bloblen + 4 + clen : 5;
	out->p = xmalloc(out->n);
	out->p[0] = AGENT_IDENTITIES_ANSWER;
	put32(out->p + 1, p->blob ? 1 : 0);
	if (p->blob) {
		put32(out->p + 5, (uint32_t)p->bloblen);
		memcpy(out->p + 9, p->blob, p->bloblen);
		put32(out->p + 9 + p->bloblen, (uint32_t)clen);
		memcpy(out->p + 13 + p->bloblen, p->comment, clen);
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * A certificate shown in place of the agent's plain key: the agent knows
 * only the key, and the signature is the key's, so ask it to sign with that.
 * A sign request is: type, string key blob, string data, uint32 flags.
 */
static void
sign_as(struct agent_proxy *p, unsigned char **msg, size_t *len)
{
	size_t off = 1, rest, n;
	uint32_t klen;
	unsigned char *m;

	pthread_mutex_lock(&p->lock);
	if (p->sign != NULL && get_string(*msg, *len, &off, &klen) != NULL) {
		rest = *len - off;
		n = 1 + 4 + p->signlen + rest;
		m = xmalloc(n);
		m[0] = AGENT_SIGN_REQUEST;
		put32(m + 1, (uint32_t)p->signlen);
		memcpy(m + 5, p->sign, p->signlen);
		memcpy(m + 5 + p->signlen, *msg + off, rest);
		free(*msg);
		*msg = m;
		*len = n;
	}
	pthread_mutex_unlock(&p->lock);
}

static void *
proxy_main(void *arg)
{
	struct agent_proxy *p = arg;
	struct reply reply;
	unsigned char *msg = NULL, fail = AGENT_FAILURE;
	size_t len;
	int real = -1, w;

	while (msg_read(p->fd, &msg, &len) == 0) {
		reply.p = NULL;
		reply.n = 0;
		if (msg[0] == AGENT_REQUEST_IDS) {
			answer_ids(p, &reply);
		} else if (msg[0] == AGENT_SIGN_REQUEST) {
			sign_as(p, &msg, &len);
			if (real < 0)
				real = agent_connect(p->sock, AGENT_SIGN_TIMEOUT);
			if (real < 0 || msg_write(real, msg, len) < 0 ||
			        msg_read(real, &reply.p, &reply.n) < 0) {
				if (real >= 0)
					close(real);
				real = -1;
				reply.p = NULL;
			}
		}
		free(msg);
		msg = NULL;
		w = reply.p ? msg_write(p->fd, reply.p, reply.n) : msg_write(p->fd, &fail, 1);
		free(reply.p);
		if (w < 0)
			break;
	}
	if (real >= 0)
		close(real);
	return NULL;
}

struct agent_proxy *
agent_proxy_start(ssh_session s, const char *sock)
{
	struct agent_proxy *p;
	pthread_attr_t attr;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->fd = sv[1];
	p->sock = xstrdup(sock);
	pthread_mutex_init(&p->lock, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	rc = pthread_create(&p->thread, &attr, proxy_main, p);
	pthread_attr_destroy(&attr);
	if (rc != 0 || ssh_set_agent_socket(s, sv[0]) != SSH_OK) {
		if (rc == 0) {
			shutdown(sv[1], SHUT_RDWR);
			pthread_join(p->thread, NULL);
		}
		close(sv[0]);
		close(sv[1]);
		pthread_mutex_destroy(&p->lock);
		free(p->sock);
		free(p);
		errno = rc ? rc : EINVAL;
		return NULL;
	}
	return p;
}

void
agent_proxy_show(struct agent_proxy *p, const struct agent_key *k)
{
	unsigned char *blob = NULL, *sign = NULL;
	long n = b64_decode(k->blob64, &blob), sn = -1;

	if (k->sign_blob64 != NULL)
		sn = b64_decode(k->sign_blob64, &sign);
	pthread_mutex_lock(&p->lock);
	free(p->blob);
	free(p->comment);
	free(p->sign);
	p->blob = n > 0 ? blob : NULL;
	p->bloblen = n > 0 ? (size_t)n : 0;
	p->comment = n > 0 ? xstrdup(k->comment) : NULL;
	p->sign = sn > 0 ? sign : NULL;
	p->signlen = sn > 0 ? (size_t)sn : 0;
	pthread_mutex_unlock(&p->lock);
	if (n <= 0)
		free(blob);
	if (sn <= 0)
		free(sign);
}

void
agent_proxy_stop(struct agent_proxy *p)
{
	if (p == NULL)
		return;
	shutdown(p->fd, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->fd);
	pthread_mutex_destroy(&p->lock);
	free(p->blob);
	free(p->comment);
	free(p->sign);
	free(p->sock);
	free(p);
}

/*
 * Forwarding (ssh -A): the server opens an auth-agent@openssh.com channel
 * back to us for each agent connection made on its side; each channel is
 * relayed, a whole message at a time, to a connection of its own to the
 * operator's agent.  The relay runs inside libssh's packet handling (the
 * channel's data callback), so an answer leaves as soon as the agent gives
 * it, whatever the session's thread was waiting for.  Only the session's
 * thread touches a forward.
 */
#define FWD_MAX 1024 /* agent channels open at once on one session */

struct fwd_chan {
	struct agent_forward *f;
	ssh_channel ch;
	int fd; /* to the agent, -1 until the first request */
	unsigned char *in;
	size_t len;
	bool gone; /* closed by either side: freed at the next reap */
	struct ssh_channel_callbacks_struct cb;
};

struct agent_forward {
	ssh_session s;
	char *sock;
	struct ssh_callbacks_struct cb;
	struct fwd_chan **chans;
	size_t n;
};

/* The agent's answer to one request; SSH_AGENT_FAILURE when it cannot be asked. */
static void
fwd_answer(struct fwd_chan *fc, const unsigned char *req, size_t n)
{
	static const unsigned char failure[] = {0, 0, 0, 1, AGENT_FAILURE};
	unsigned char *resp = NULL, hdr[4];
	size_t rlen = 0;

	if (fc->fd < 0)
		fc->fd = agent_connect(fc->f->sock, AGENT_SIGN_TIMEOUT);
	if (fc->fd < 0 || msg_write(fc->fd, req, n) < 0 || msg_read(fc->fd, &resp, &rlen) < 0) {
		if (fc->fd >= 0)
			close(fc->fd);
		fc->fd = -1;
		ssh_channel_write(fc->ch, failure, sizeof failure);
		return;
	}
	put32(hdr, (uint32_t)rlen);
	if (ssh_channel_write(fc->ch, hdr, 4) != 4 ||
	        ssh_channel_write(fc->ch, resp, (uint32_t)rlen) != (int)rlen)
		fc->gone = true;
	free(resp);
}

static int
fwd_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *userdata)
{
	struct fwd_chan *fc = userdata;
	uint32_t n;

	(void)s;
	(void)ch;
	(void)is_stderr;
	if (fc->gone)
		return (int)len;
	fc->in = xrealloc(fc->in, fc->len + len);
	memcpy(fc->in + fc->len, data, len);
	fc->len += len;
	while (fc->len >= 4 && !fc->gone) {
		n = get32(fc->in);
		if (n == 0 || n > AGENT_MSG_MAX) {
			/* Not the agent protocol: the channel ends, the agent never sees it. */
			fc->gone = true;
			break;
		}
		if (fc->len < 4 + (size_t)n)
			break;
		fwd_answer(fc, fc->in + 4, n);
		memmove(fc->in, fc->in + 4 + n, fc->len - 4 - n);
		fc->len -= 4 + (size_t)n;
	}
	return (int)len;
}

static void
fwd_gone(ssh_session s, ssh_channel ch, void *userdata)
{
	struct fwd_chan *fc = userdata;

	(void)s;
	(void)ch;
	fc->gone = true;
}

static void
fwd_free(struct fwd_chan *fc)
{
	/* A channel freed before the server's close stays in the session: no callback of ours. */
	ssh_remove_channel_callbacks(fc->ch, &fc->cb);
	if (ssh_channel_is_open(fc->ch))
		ssh_channel_close(fc->ch);
	ssh_channel_free(fc->ch);
	if (fc->fd >= 0)
		close(fc->fd);
	free(fc->in);
	free(fc);
}

static void
fwd_reap(struct agent_forward *f, bool all)
{
	size_t i, k = 0;

	for (i = 0; i < f->n; i++) {
		if (all || f->chans[i]->gone)
			fwd_free(f->chans[i]);
		else
			f->chans[k++] = f->chans[i];
	}
	f->n = k;
}

static ssh_channel
fwd_open(ssh_session s, void *userdata)
{
	struct agent_forward *f = userdata;
	struct fwd_chan *fc;

	fwd_reap(f, false);
	if (f->n >= FWD_MAX)
		return NULL; /* refused: the server's side sees its agent connection fail */
	fc = xcalloc(1, sizeof *fc);
	fc->f = f;
	fc->fd = -1;
	fc->ch = ssh_channel_new(s);
	if (fc->ch == NULL) {
		free(fc);
		return NULL;
	}
	fc->cb.userdata = fc;
	fc->cb.channel_data_function = fwd_data;
	fc->cb.channel_eof_function = fwd_gone;
	fc->cb.channel_close_function = fwd_gone;
	ssh_callbacks_init(&fc->cb);
	ssh_set_channel_callbacks(fc->ch, &fc->cb);
	f->chans = xrealloc(f->chans, (f->n + 1) * sizeof *f->chans);
	f->chans[f->n++] = fc;
	return fc->ch;
}

struct agent_forward *
agent_forward_start(ssh_session s, const char *sock)
{
	struct agent_forward *f = xcalloc(1, sizeof *f);

	f->s = s;
	f->sock = xstrdup(sock);
	f->cb.userdata = f;
	f->cb.channel_open_request_auth_agent_function = fwd_open;
	ssh_callbacks_init(&f->cb);
	ssh_set_callbacks(s, &f->cb);
	return f;
}

void
agent_forward_stop(struct agent_forward *f)
{
	/* The session's callbacks were the login's; after it, none are wanted. */
	static struct ssh_callbacks_struct none = {.size = sizeof none};

	if (f == NULL)
		return;
	ssh_set_callbacks(f->s, &none);
	fwd_reap(f, true);
	free(f->chans);
	free(f->sock);
	free(f);
}
