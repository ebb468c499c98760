/*
 * faultproxy - a fault-injecting TCP front for a real sshd, for shoal's tests.
 *
 * It reproduces what parallel SSH clients meet in the wild, on demand and
 * per connection: a server that closes or resets before its banner (sshd
 * past MaxStartups), says it is full, stalls, is not SSH at all, is slow, or
 * stops in the middle of the key exchange.
 *
 *   faultproxy [-v] [-p PIDFILE] -L SPEC [-L SPEC ...]
 *   SPEC = LISTENPORT:TARGETHOST:TARGETPORT:PLAN
 *   PLAN = MODE[,MODE...]
 *
 * Connection k (counted from 1 per listener) gets the k-th MODE of the plan;
 * the last MODE repeats.  LISTENPORT 0 picks a free port.  Listens on
 * 127.0.0.1 only.  Once every listener is up it prints "listening
 * 127.0.0.1:PORT" per listener, in order, then "ready", and runs until
 * SIGTERM or SIGINT.  SIGUSR1 sets off freeze and cut, for the connections
 * open then and every later one.
 *
 * MODES
 *   relay          relay both ways, half-closes passed on
 *   close          close before any byte (FIN)
 *   reset          close before any byte with a TCP RST
 *   stall          accept, read and discard, never answer
 *   throttle       send "Exceeded MaxStartups" and close
 *   http           answer "HTTP/1.1 400 Bad Request" and close
 *   garbage        send 64 bytes of binary with an ESC sequence and close
 *   text:STRING    send STRING and CRLF first, then relay (lines before the
 *                  banner, RFC 4253 4.2); %XX in STRING is a byte (%20 space)
 *   delay:SECS     relay, holding the server's bytes for SECS seconds
 *   drip:MS        relay, the server's bytes one every MS milliseconds
 *   lag:MS         relay both ways, each chunk read from either side held
 *                  MS milliseconds before it goes on (one-way latency: a
 *                  round trip through the proxy costs 2 x MS); order kept,
 *                  half-closes passed on once the held bytes are through
 *   kexstall       relay the server's banner line, then nothing more
 *   kexdrop        relay the banner and the next server packet, then close
 *   kexdelay:SECS  relay the banner, then hold the rest for SECS seconds
 *   authstall      relay the key exchange, up to and including the server's
 *                  NEWKEYS, then nothing more from the server: the client
 *                  is left waiting in authentication (auth_timeout)
 *   freeze         relay both ways until the proxy gets SIGUSR1, then neither
 *                  read nor send another byte, the connection left open: a
 *                  host that vanished in the middle of a session
 *   cut            relay both ways until SIGUSR1, then reset both sides
 *                  (a connection that broke in the middle of a session)
 *   blackhole      (the whole plan) never accept: the listen queue is held
 *                  full by one connection of our own, so the kernel drops
 *                  every later SYN and a client's TCP connect hangs until
 *                  its own deadline (needs tcp_abort_on_overflow 0)
 *
 * One thread, one poll loop; buffers are bounded (a side is not read while
 * the other side's buffer is full, or, in lag, while LAGQ chunks are held).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ     65536
#define MAXLISTEN 64
#define LAGQ      256 /* lag: chunks held per direction at most */

enum mode {
	M_RELAY,
	M_CLOSE,
	M_RESET,
	M_STALL,
	M_THROTTLE,
	M_HTTP,
	M_GARBAGE,
	M_TEXT,
	M_DELAY,
	M_DRIP,
	M_LAG,
	M_KEXSTALL,
	M_KEXDROP,
	M_KEXDELAY,
	M_AUTHSTALL,
	M_FREEZE,
	M_CUT,
	M_BLACKHOLE,
};

struct step {
	enum mode mode;
	double arg;
	char *text;
	size_t textlen;
};

struct listener {
	int fd;
	int port;
	char *target_host;
	char *target_port;
	struct step *plan;
	size_t nplan;
	unsigned long count;
	int filler; /* blackhole: our own connection that fills the queue */
};

/* lag: a chunk read at one time, the bytes of buf before end that are its. */
struct held {
	size_t end;
	double at; /* when it may go on */
};

struct side {
	char buf[BUFSZ];
	size_t len;
	struct held held[LAGQ]; /* lag: the chunks in buf, oldest first */
	size_t nheld;
};

struct conn {
	struct conn *next;
	int cfd, sfd;
	bool connecting;
	struct step *step;
	struct side c2s, s2c;
	bool c_eof, s_eof;      /* read side reached EOF */
	bool c_shut, s_shut;    /* we half-closed the write side */
	bool close_after_flush; /* canned answer: close once s2c is sent */
	double hold_until;      /* server bytes not before this */
	double next_drip;
	bool banner_done;
	bool drop_server; /* kexstall: discard the server's bytes */
	/* authstall: where the scan of the server's plaintext packets is */
	bool scan_banner_done;
	unsigned char scan_hdr[6]; /* packet_length, padding_length, type */
	size_t scan_hdr_n;
	size_t scan_left;     /* bytes of the current packet still to pass */
	bool drop_after_next; /* kexdrop: close after the next server data */
	bool frozen;          /* freeze, after SIGUSR1: nothing moves any more */
	unsigned long id;
	struct listener *l;
};

static volatile sig_atomic_t stop, triggered;
static bool verbose;
static struct conn *conns;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_trigger(int sig)
{
	(void)sig;
	triggered = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: faultproxy [-v] [-p PIDFILE] -L LISTENPORT:TARGETHOST:TARGETPORT:PLAN ...\n"
	        "PLAN = MODE[,MODE...]: connection k gets the k-th mode, the last repeats.\n"
	        "MODES: relay close reset stall throttle http garbage text:STRING delay:SECS\n"
	        "       drip:MS lag:MS kexstall kexdrop kexdelay:SECS authstall freeze cut\n"
	        "       blackhole (SIGUSR1 sets off freeze and cut)\n");
}

static char *
unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 3), *p = out;

	if (out == NULL)
		exit(1);
	while (*s) {
		if (s[0] == '%' && s[1] && s[2]) {
			char hex[3] = {s[1], s[2], 0};

			*p++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else {
			*p++ = *s++;
		}
	}
	*p++ = '\r';
	*p++ = '\n';
	*len = (size_t)(p - out);
	return out;
}

static int
parse_step(const char *word, struct step *st)
{
	static const struct {
		const char *name;
		enum mode mode;
		bool arg;
	} modes[] = {{"relay", M_RELAY, false}, {"close", M_CLOSE, false},
	        {"reset", M_RESET, false}, {"stall", M_STALL, false},
	        {"throttle", M_THROTTLE, false}, {"http", M_HTTP, false},
	        {"garbage", M_GARBAGE, false}, {"text", M_TEXT, true}, {"delay", M_DELAY, true},
	        {"drip", M_DRIP, true}, {"lag", M_LAG, true}, {"kexstall", M_KEXSTALL, false},
	        {"kexdrop", M_KEXDROP, false}, {"kexdelay", M_KEXDELAY, true},
	        {"authstall", M_AUTHSTALL, false}, {"freeze", M_FREEZE, false},
	        {"cut", M_CUT, false}, {"blackhole", M_BLACKHOLE, false}};
	const char *colon = strchr(word, ':');
	size_t nlen = colon ? (size_t)(colon - word) : strlen(word), i;
	char *end;

	memset(st, 0, sizeof *st);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (strlen(modes[i].name) != nlen || strncmp(word, modes[i].name, nlen) != 0)
			continue;
		st->mode = modes[i].mode;
		if (modes[i].arg != (colon != NULL))
			return -1;
		if (st->mode == M_TEXT) {
			st->text = unescape(colon + 1, &st->textlen);
		} else if (colon != NULL) {
			st->arg = strtod(colon + 1, &end);
			if (end == colon + 1 || *end != '\0' || st->arg < 0)
				return -1;
		}
		return 0;
	}
	return -1;
}

static int
parse_spec(const char *spec, struct listener *l)
{
	char *copy = strdup(spec), *f[4], *p = copy, *w, *save = NULL;
	int i;

	if (copy == NULL)
		exit(1);
	memset(l, 0, sizeof *l);
	for (i = 0; i < 3; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (p == NULL)
			goto bad;
		*p++ = '\0';
	}
	f[3] = p;
	l->port = atoi(f[0]);
	l->target_host = strdup(f[1]);
	l->target_port = strdup(f[2]);
	if (l->port < 0 || l->port > 65535 || atoi(f[2]) <= 0 || *f[3] == '\0')
		goto bad;
	for (w = strtok_r(f[3], ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		l->plan = realloc(l->plan, (l->nplan + 1) * sizeof *l->plan);
		if (l->plan == NULL)
			exit(1);
		if (parse_step(w, &l->plan[l->nplan]) < 0) {
			fprintf(stderr, "faultproxy: bad mode '%s' in '%s'\n", w, spec);
			free(copy);
			return -1;
		}
		l->nplan++;
		if (l->plan[l->nplan - 1].mode == M_BLACKHOLE && l->nplan > 1)
			goto alone;
	}
	if (l->plan[0].mode == M_BLACKHOLE && l->nplan > 1)
		goto alone;
	free(copy);
	return 0;
alone:
	fprintf(stderr, "faultproxy: blackhole must be the whole plan in '%s'\n", spec);
	free(copy);
	return -1;
bad:
	fprintf(stderr, "faultproxy: bad spec '%s' (LISTENPORT:TARGETHOST:TARGETPORT:PLAN)\n",
	        spec);
	free(copy);
	return -1;
}

static void
set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static bool
is_blackhole(const struct listener *l)
{
	return l->plan[0].mode == M_BLACKHOLE;
}

/*
 * With a backlog of 0 the accept queue is full once it holds one connection
 * (Linux drops a SYN while the queue holds more than the backlog): connect
 * once ourselves and never accept.
 */
static int
fill_queue(struct listener *l, const struct sockaddr_in *sa)
{
	struct pollfd pfd;
	int err = 0;
	socklen_t el = sizeof err;

	l->filler = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->filler < 0)
		return -1;
	if (connect(l->filler, (const struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS)
		return -1;
	pfd.fd = l->filler;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 5000) != 1 ||
	        getsockopt(l->filler, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
		errno = err ? err : ETIMEDOUT;
		return -1;
	}
	return 0;
}

static int
open_listener(struct listener *l)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int on = 1;

	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)l->port);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	        listen(l->fd, is_blackhole(l) ? 0 : 1024) < 0)
		return -1;
	getsockname(l->fd, (struct sockaddr *)&sa, &len);
	l->port = ntohs(sa.sin_port);
	set_nonblock(l->fd);
	l->filler = -1;
	return is_blackhole(l) ? fill_queue(l, &sa) : 0;
}

static int
connect_target(struct listener *l)
{
	struct addrinfo hints, *res = NULL;
	int fd;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(l->target_host, l->target_port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void
conn_free(struct conn *c, const char *why)
{
	struct conn **pp;

	if (verbose)
		fprintf(stderr, "faultproxy: :%d #%lu done (%s)\n", c->l->port, c->id, why);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->sfd >= 0)
		close(c->sfd);
	for (pp = &conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

static void
canned(struct conn *c, const char *data, size_t n)
{
	memcpy(c->s2c.buf, data, n);
	c->s2c.len = n;
	c->close_after_flush = true;
}

static void
accept_one(struct listener *l)
{
	static const char garbage[64] =
	        "\x00\x01\x02\xff\xfe\x1b[2J\x1b[31mNOT SSH\x07\x08\x7f\x80\x9b"
	        "\x90\x9c\r\r\n\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c";
	static const char http[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
	                           "Connection: close\r\n\r\n400 Bad Request\r\n";
	static const char full[] = "Exceeded MaxStartups\r\n";
	struct linger lg = {1, 0};
	struct conn *c;
	struct step *st;
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), on = 1;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	l->count++;
	st = &l->plan[l->count <= l->nplan ? l->count - 1 : l->nplan - 1];
	if (verbose)
		fprintf(stderr, "faultproxy: :%d #%lu mode %d\n", l->port, l->count, st->mode);
	if (st->mode == M_CLOSE) {
		close(fd);
		return;
	}
	if (st->mode == M_RESET) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd);
		return;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		exit(1);
	c->cfd = fd;
	c->sfd = -1;
	c->step = st;
	c->l = l;
	c->id = l->count;
	switch (st->mode) {
	case M_STALL:
		break;
	case M_THROTTLE:
		canned(c, full, sizeof full - 1);
		break;
	case M_HTTP:
		canned(c, http, sizeof http - 1);
		break;
	case M_GARBAGE:
		canned(c, garbage, sizeof garbage);
		break;
	default:
		if (st->mode == M_TEXT) {
			memcpy(c->s2c.buf, st->text, st->textlen);
			c->s2c.len = st->textlen;
		}
		if (st->mode == M_DELAY)
			c->hold_until = now() + st->arg;
		c->sfd = connect_target(l);
		c->connecting = true;
		if (c->sfd < 0) {
			close(fd);
			free(c);
			return;
		}
		break;
	}
	c->next = conns;
	conns = c;
}

/* Whether a read into s has room: in its buffer, and in lag for one more chunk. */
static bool
has_room(const struct side *s)
{
	return s->len < BUFSZ && s->nheld < LAGQ;
}

/* lag: the chunk of n bytes just read into s may go on at 'at'. */
static void
hold(struct side *s, size_t n, double at)
{
	s->held[s->nheld].end = s->len + n;
	s->held[s->nheld].at = at;
	s->nheld++;
}

/* lag: the bytes of s whose time has come (chunks go in order, oldest first). */
static size_t
released(const struct side *s, double t)
{
	size_t i, k = 0;

	for (i = 0; i < s->nheld && s->held[i].at <= t; i++)
		k = s->held[i].end;
	return k;
}

/* How many of the c2s bytes may go to the server now. */
static size_t
c2s_sendable(struct conn *c, double t)
{
	if (c->sfd < 0 || c->connecting || c->c2s.len == 0)
		return 0;
	if (c->step->mode == M_LAG)
		return released(&c->c2s, t);
	return c->c2s.len;
}

/* How many of the s2c bytes may go to the client now. */
static size_t
s2c_sendable(struct conn *c, double t)
{
	char *nl;

	if (c->s2c.len == 0 || t < c->hold_until)
		return 0;
	if (c->step->mode == M_LAG)
		return released(&c->s2c, t);
	if (c->step->mode == M_DRIP)
		return t >= c->next_drip ? 1 : 0;
	if (!c->banner_done && (c->step->mode == M_KEXSTALL || c->step->mode == M_KEXDROP ||
	                               c->step->mode == M_KEXDELAY)) {
		nl = memchr(c->s2c.buf, '\n', c->s2c.len);
		return nl ? (size_t)(nl - c->s2c.buf) + 1 : 0;
	}
	return c->s2c.len;
}

static void
consume(struct side *s, size_t n)
{
	size_t i, gone = 0;

	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	/* lag: chunks sent whole are done; the rest move down with the bytes. */
	for (i = 0; i < s->nheld; i++) {
		if (s->held[i].end <= n)
			gone++;
		else
			s->held[i].end -= n;
	}
	memmove(s->held, s->held + gone, (s->nheld - gone) * sizeof s->held[0]);
	s->nheld -= gone;
}

/* After n bytes went to the client: the kex modes act once the banner is through. */
static bool
after_send(struct conn *c, double t)
{
	if (c->step->mode == M_DRIP)
		c->next_drip = t + c->step->arg / 1000.0;
	if (c->banner_done) {
		if (c->drop_after_next)
			return false;
		return true;
	}
	if (c->step->mode != M_KEXSTALL && c->step->mode != M_KEXDROP &&
	        c->step->mode != M_KEXDELAY)
		return true;
	c->banner_done = true;
	if (c->step->mode == M_KEXSTALL) {
		c->drop_server = true;
		c->s2c.len = 0;
	} else if (c->step->mode == M_KEXDELAY) {
		c->hold_until = t + c->step->arg;
	} else {
		c->drop_after_next = true;
	}
	return true;
}

/*
 * authstall: scan the server's bytes from 'from' on (its banner line, then
 * unencrypted binary packets, RFC 4253 6) and return the offset just past
 * its NEWKEYS packet (message 21), or 0 while it has not come.
 */
static size_t
scan_newkeys(struct conn *c, size_t from)
{
	const unsigned char *p = (const unsigned char *)c->s2c.buf;
	size_t i = from, k;
	unsigned long plen;

	while (i < c->s2c.len) {
		if (!c->scan_banner_done) {
			c->scan_banner_done = p[i++] == '\n';
			continue;
		}
		if (c->scan_left > 0) {
			k = c->s2c.len - i < c->scan_left ? c->s2c.len - i : c->scan_left;
			i += k;
			c->scan_left -= k;
			if (c->scan_left == 0 && c->scan_hdr[5] == 21)
				return i;
			continue;
		}
		c->scan_hdr[c->scan_hdr_n++] = p[i++];
		if (c->scan_hdr_n < sizeof c->scan_hdr)
			continue;
		c->scan_hdr_n = 0;
		plen = (unsigned long)c->scan_hdr[0] << 24 | (unsigned long)c->scan_hdr[1] << 16 |
		       (unsigned long)c->scan_hdr[2] << 8 | c->scan_hdr[3];
		/* packet_length counts padding_length and the type, read already. */
		c->scan_left = plen >= 2 ? plen - 2 : 0;
		if (c->scan_left == 0 && c->scan_hdr[5] == 21)
			return i;
	}
	return 0;
}

static void
service(struct conn *c, short crev, short srev)
{
	double t = now();
	ssize_t n;
	size_t k;

	if (c->frozen)
		return;
	if (c->connecting && c->sfd >= 0 && (srev & (POLLOUT | POLLERR | POLLHUP))) {
		int err = 0;
		socklen_t el = sizeof err;

		getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0) {
			conn_free(c, "target refused");
			return;
		}
		c->connecting = false;
	}
	if ((crev & (POLLIN | POLLHUP | POLLERR)) && !c->c_eof && has_room(&c->c2s)) {
		n = read(c->cfd, c->c2s.buf + c->c2s.len, BUFSZ - c->c2s.len);
		if (n > 0) {
			if (c->sfd < 0) {
				c->c2s.len = 0; /* stall and canned answers discard */
			} else {
				if (c->step->mode == M_LAG)
					hold(&c->c2s, (size_t)n, t + c->step->arg / 1000.0);
				c->c2s.len += (size_t)n;
			}
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->c_eof = true;
			if (c->sfd < 0 && !c->close_after_flush) {
				conn_free(c, "client left");
				return;
			}
		}
	}
	if (c->sfd >= 0 && !c->connecting && (srev & (POLLIN | POLLHUP | POLLERR)) && !c->s_eof &&
	        has_room(&c->s2c)) {
		n = read(c->sfd, c->s2c.buf + c->s2c.len, BUFSZ - c->s2c.len);
		if (n > 0) {
			size_t from = c->s2c.len, end;

			if (c->drop_server)
				n = 0;
			if (c->step->mode == M_LAG)
				hold(&c->s2c, (size_t)n, t + c->step->arg / 1000.0);
			c->s2c.len += (size_t)n;
			if (c->step->mode == M_AUTHSTALL && !c->drop_server &&
			        (end = scan_newkeys(c, from)) > 0) {
				c->s2c.len = end;
				c->drop_server = true;
			}
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->s_eof = true;
		}
	}
	k = c2s_sendable(c, t);
	if (k > 0) {
		n = write(c->sfd, c->c2s.buf, k);
		if (n > 0)
			consume(&c->c2s, (size_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_free(c, "target write failed");
			return;
		}
	}
	k = s2c_sendable(c, t);
	if (k > 0) {
		n = write(c->cfd, c->s2c.buf, k);
		if (n > 0) {
			consume(&c->s2c, (size_t)n);
			if (!after_send(c, t)) {
				conn_free(c, "dropped mid-kex");
				return;
			}
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_free(c, "client write failed");
			return;
		}
	}
	if (c->close_after_flush && c->s2c.len == 0) {
		conn_free(c, "answered");
		return;
	}
	/* Pass half-closes on once the buffers are drained. */
	if (c->c_eof && c->c2s.len == 0 && c->sfd >= 0 && !c->connecting && !c->s_shut) {
		shutdown(c->sfd, SHUT_WR);
		c->s_shut = true;
	}
	if (c->s_eof && c->s2c.len == 0 && !c->c_shut && !c->drop_server) {
		shutdown(c->cfd, SHUT_WR);
		c->c_shut = true;
	}
	if (c->c_eof && c->s_eof && c->c2s.len == 0 && (c->s2c.len == 0 || c->drop_server))
		conn_free(c, "both closed");
}

/* After SIGUSR1: freeze connections stop where they are, cut ones are reset. */
static void
set_off(void)
{
	struct linger lg = {1, 0};
	struct conn *c, *next;

	for (c = conns; c != NULL; c = next) {
		next = c->next;
		if (c->step->mode == M_FREEZE && !c->frozen) {
			c->frozen = true;
			if (verbose)
				fprintf(stderr, "faultproxy: :%d #%lu frozen\n", c->l->port, c->id);
		} else if (c->step->mode == M_CUT) {
			setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			if (c->sfd >= 0)
				setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			conn_free(c, "cut");
		}
	}
}

int
main(int argc, char **argv)
{
	struct listener ls[MAXLISTEN];
	size_t nl = 0, i, nfds;
	struct pollfd *pfd = NULL;
	struct conn *c, *next;
	const char *pidfile = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "vp:L:h")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'L':
			if (nl == MAXLISTEN || parse_spec(optarg, &ls[nl]) < 0)
				return 2;
			nl++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nl == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_trigger);
	for (i = 0; i < nl; i++) {
		if (open_listener(&ls[i]) < 0) {
			fprintf(stderr, "faultproxy: cannot listen on 127.0.0.1:%d: %s\n",
			        ls[i].port, strerror(errno));
			return 1;
		}
		printf("listening 127.0.0.1:%d\n", ls[i].port);
	}
	if (pidfile != NULL) {
		FILE *fp = fopen(pidfile, "w");

		if (fp != NULL) {
			fprintf(fp, "%d\n", (int)getpid());
			fclose(fp);
		}
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		double t = now(), wake = t + 1.0;
		size_t n = 0;
		int ms;

		if (triggered)
			set_off(); /* before the poll set is built: it may free connections */
		nfds = nl;
		for (c = conns; c != NULL; c = c->next)
			nfds += 2;
		pfd = realloc(pfd, nfds * sizeof *pfd);
		if (pfd == NULL)
			return 1;
		for (i = 0; i < nl; i++) {
			/* A blackhole never accepts: poll ignores a negative fd. */
			pfd[n].fd = is_blackhole(&ls[i]) ? -1 : ls[i].fd;
			pfd[n].revents = 0;
			pfd[n++].events = POLLIN;
		}
		for (c = conns; c != NULL; c = c->next) {
			short ce = 0, se = 0;

			if (!c->c_eof && has_room(&c->c2s))
				ce |= POLLIN;
			if (s2c_sendable(c, t) > 0)
				ce |= POLLOUT;
			else if (c->s2c.len > 0) {
				double when = c->hold_until;

				if (c->step->mode == M_DRIP)
					when = c->next_drip;
				else if (c->step->mode == M_LAG && c->s2c.nheld > 0)
					when = c->s2c.held[0].at;
				if (when > t && when < wake)
					wake = when;
			}
			if (c->connecting)
				se |= POLLOUT;
			else if (c->sfd >= 0) {
				if (!c->s_eof && has_room(&c->s2c))
					se |= POLLIN;
				if (c2s_sendable(c, t) > 0)
					se |= POLLOUT;
				else if (c->c2s.nheld > 0 && c->c2s.held[0].at < wake)
					wake = c->c2s.held[0].at;
			}
			/*
			 * A socket polled for nothing is left out: a hangup it has
			 * (peer gone while its bytes wait, held) would wake us at
			 * once, again and again; service() only acts on what was
			 * asked for, and its timers run anyway.
			 */
			if (c->frozen)
				ce = se = 0;
			pfd[n].fd = ce ? c->cfd : -1;
			pfd[n++].events = ce;
			pfd[n].fd = se ? c->sfd : -1;
			pfd[n++].events = se;
		}
		ms = (int)((wake - t) * 1000) + 1;
		if (poll(pfd, n, ms) < 0 && errno != EINTR)
			break;
		for (i = 0; i < nl; i++) {
			if (pfd[i].revents & POLLIN) {
				for (int k = 0; k < 64; k++)
					accept_one(&ls[i]);
			}
		}
		/* New connections went to the front: walk only those polled. */
		n = nl;
		{
			struct conn **list;
			size_t m = 0, j;

			for (c = conns; c != NULL; c = c->next)
				m++;
			list = calloc(m ? m : 1, sizeof *list);
			m = 0;
			for (c = conns; c != NULL; c = c->next)
				list[m++] = c;
			/*
			 * The polled ones are the last (nfds - nl) / 2 of the list;
			 * each is serviced even without events, for its timers.
			 */
			j = m - (nfds - nl) / 2;
			for (; j < m; j++, n += 2) {
				c = list[j];
				service(c, pfd[n].revents, pfd[n + 1].revents);
			}
			free(list);
		}
	}
	for (c = conns; c != NULL; c = next) {
		next = c->next;
		conn_free(c, "shutdown");
	}
	if (pidfile != NULL)
		unlink(pidfile);
	free(pfd);
	return 0;
}
