/*
 * connect.c - one attempt to reach a host, phase by phase.
 *
 * Theory of operation.  libssh's blocking ssh_connect has one deadline over
 * TCP, banner and key exchange, and reads any close before the banner as a
 * vague socket error.  So the attempt is split:
 *   connect  we resolve and connect the socket ourselves, non-blocking, every
 *            address in turn, under --connect-timeout;
 *   banner   we wait for the server's first line with poll + recv(MSG_PEEK),
 *            which sees "SSH-...", "Exceeded MaxStartups", an HTTP answer or
 *            a bare close without consuming a byte, under --banner-timeout;
 *   kex      the socket goes to libssh (SSH_OPTIONS_FD) and ssh_connect is
 *            driven non-blocking under --kex-timeout; then the host key is
 *            checked against known_hosts by our policy, not libssh's;
 *   auth     auth.c: the methods and keys in ssh's order, non-blocking
 *            under --auth-timeout.
 * With a ProxyCommand libssh owns the transport; banner and kex are then one
 * phase driven by ssh_connect.
 *
 * Threads: any worker may run an attempt; a session never changes thread.
 * Appends to known_hosts are serialised by known_hosts_mutex.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "authconf.h"
#include "buf.h"
#include "cancel.h"
#include "connect.h"
#include "escape.h"
#include "knownhosts.h"
#include "limiter.h"
#include "log.h"
#include "sshconf.h"
#include "xmalloc.h"

#define BANNER_PEEK_MAX 8192

static pthread_mutex_t known_hosts_mutex = PTHREAD_MUTEX_INITIALIZER;

void
outcome_clear(struct outcome *out)
{
	free(out->error);
	out->error = NULL;
	out->kind = EK_NONE;
	out->phase = PHASE_ANY;
}

void
outcome_set(struct outcome *out, enum err_kind kind, enum phase phase, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0 || msg == NULL)
		fatal("out of memory formatting a message");
	va_end(ap);
	free(out->error);
	out->error = msg;
	out->kind = kind;
	out->phase = phase;
}

/* Text from the network, made safe to print: escaped, and cut at max bytes. */
static char *
printable(const char *data, size_t n, size_t max)
{
	struct buf b;

	buf_init(&b);
	escape_terminal(&b, data, n < max ? n : max);
	if (n > max)
		buf_appends(&b, "...");
	return buf_steal(&b);
}

/*
 * Poll fd for events until ready, the deadline or a cancel.  The cancel fd
 * wakes the poll at once, so it sleeps to the deadline; without one it wakes
 * every 100 ms to look at the flag.  With a session, first push out what
 * libssh has queued (it sends only from inside its own poll, which channel
 * reads skip while data is buffered) and wait for room if it did not all fit.
 */
static int
wait_ready(int fd, short events, ssh_session s, double deadline)
{
	struct pollfd pfd[2];
	int wake = cancel_fd();
	double left, nap = wake >= 0 ? 3600 : 0.1;
	int ms, r;

	for (;;) {
		if (cancel_requested())
			return -1;
		left = deadline - host_now();
		if (left <= 0)
			return 0;
		ms = left > nap ? (int)(nap * 1000) : (int)(left * 1000) + 1;
		pfd[0].fd = fd;
		pfd[0].events = events;
		if (s != NULL && ssh_blocking_flush(s, 0) == SSH_AGAIN)
			pfd[0].events |= POLLOUT;
		pfd[0].revents = 0;
		pfd[1].fd = wake;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		r = poll(pfd, wake >= 0 ? 2 : 1, ms);
		if (r > 0 && pfd[0].revents != 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* let the caller's read see the error */
	}
}

int
connect_wait_fd(int fd, short events, double deadline)
{
	return wait_ready(fd, events, NULL, deadline);
}

int
connect_wait_session(ssh_session s, double deadline)
{
	return wait_ready(ssh_get_fd(s), POLLIN, s, deadline);
}

static void
phase_begin(struct host *h, enum phase phase)
{
	host_set_state(h, HOST_CONNECTING, phase, host_now());
}

/* Close the phase: add its time to h->phase_ms. */
static void
phase_end(struct host *h)
{
	double now = host_now();

	pthread_mutex_lock(&h->lock);
	h->phase_ms[h->phase] += (long)((now - h->phase_started) * 1000 + 0.5);
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
}

static int
auth_passphrase_cb(const char *prompt, char *buf, size_t len, int echo, int verify, void *userdata)
{
	/* Never let an encrypted key prompt on the operator's terminal. */
	return -1;
}

static bool
session_has_user(ssh_session s)
{
	char *user = NULL;
	bool has = ssh_options_get(s, SSH_OPTIONS_USER, &user) == SSH_OK && user != NULL;

	ssh_string_free_char(user);
	return has;
}

static int
session_setup(struct conn *c, struct host *h, const struct options *o)
{
	ssh_session s = ssh_new();
	int on = 1, off = 0, verbosity;
	const char *user = h->user ? h->user : o->user;
	int port = h->port ? h->port : o->port;
	size_t i;

	if (s == NULL)
		fatal("out of memory creating an SSH session");
	c->session = s;
	if (o->verbosity >= 3) {
		verbosity = o->verbosity >= 4 ? SSH_LOG_FUNCTIONS : SSH_LOG_PROTOCOL;
		ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	}
	if (ssh_options_set(s, SSH_OPTIONS_HOST, h->alias) < 0)
		return -1;
	/*
	 * ~/.ssh as libssh would find it, looked up once per run: else libssh
	 * reads the passwd database again for every session.
	 */
	if (sshconf_ssh_dir() != NULL &&
	        ssh_options_set(s, SSH_OPTIONS_SSH_DIR, sshconf_ssh_dir()) < 0)
		return -1;
	/* ssh_config first: the command line must win over what it says. */
	if (o->ssh_config == NULL || strcmp(o->ssh_config, "none") != 0) {
		if (sshconf_apply(s, o->ssh_config, h->alias) < 0)
			return -1;
	}
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &off);
	if (user != NULL && ssh_options_set(s, SSH_OPTIONS_USER, user) < 0)
		return -1;
	/*
	 * Named nowhere: libssh would pick the local login user only inside
	 * ssh_connect; pick it now (NULL means that) so every report names
	 * the user, as ssh would, even for a host never reached.
	 */
	if (user == NULL && !session_has_user(s) &&
	        ssh_options_set(s, SSH_OPTIONS_USER, sshconf_login()) < 0)
		return -1;
	if (port > 0 && ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0)
		return -1;
	for (i = 0; i < o->nidentities; i++) {
		if (ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, o->identities[i]) < 0)
			return -1;
	}
	if (o->known_hosts != NULL &&
	        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0)
		return -1;
	/* libssh's own check would wave a changed key through when off. */
	ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &on);
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &on);

	memset(&c->callbacks, 0, sizeof c->callbacks);
	c->callbacks.auth_function = auth_passphrase_cb;
	ssh_callbacks_init(&c->callbacks);
	ssh_set_callbacks(s, &c->callbacks);
	return 0;
}

/* Record who we log in as, for JSON and the live view. */
static void
record_login(struct host *h, ssh_session s)
{
	char *user = NULL;
	unsigned int port = 22;

	ssh_options_get(s, SSH_OPTIONS_USER, &user);
	ssh_options_get_port(s, &port);
	pthread_mutex_lock(&h->lock);
	free(h->login_user);
	h->login_user = user ? xstrdup(user) : NULL;
	h->login_port = (int)port;
	pthread_mutex_unlock(&h->lock);
	ssh_string_free_char(user);
}

/* TCP to every address of hostname in turn, until one answers. */
static int
tcp_connect(struct conn *c, const char *hostname, int port, double timeout, struct outcome *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], addr[NI_MAXHOST], dest[NI_MAXHOST + 24];
	double deadline = host_now() + timeout;
	int rc, fd = -1, err = 0, timed_out = 0, w;
	socklen_t elen;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof portstr, "%d", port);
	rc = getaddrinfo(hostname, portstr, &hints, &res);
	if (rc != 0) {
		outcome_set(out, EK_RESOLVE, PHASE_CONNECT, "cannot resolve '%s': %s", hostname,
		        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	if (getnameinfo(
	            res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(addr, sizeof addr, "%s", hostname);
	snprintf(dest, sizeof dest, "%s:%d", addr, port);
	if (limiter_acquire(dest, &c->limit) < 0) {
		freeaddrinfo(res);
		outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		        ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			err = errno;
			goto next;
		}
		w = connect_wait_fd(fd, POLLOUT, deadline);
		if (w < 0) {
			close(fd);
			freeaddrinfo(res);
			outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
			return -1;
		}
		if (w == 0) {
			timed_out = 1;
			goto next;
		}
		elen = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err == 0)
			break;
	next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (timed_out)
			outcome_set(out, EK_CONNECT_TIMEOUT, PHASE_CONNECT,
			        "no TCP connection to %s within %.1f s", dest, timeout);
		else if (err == ECONNRESET)
			/* Accepted, then reset at once: sshd dropping past MaxStartups. */
			outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER,
			        "%s: connection reset as soon as it was accepted", dest);
		else
			outcome_set(out, EK_REFUSED, PHASE_CONNECT, "%s: %s", dest,
			        strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	if (fd >= 65536) {
		close(fd);
		outcome_set(
		        out, EK_REFUSED, PHASE_CONNECT, "socket number %d too high for libssh", fd);
		return -1;
	}
	rc = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &rc, sizeof rc);
	c->fd = fd;
	return 0;
}

static bool
looks_throttled(const char *data, size_t n)
{
	static const char *const words[] = {
	        "maxstartups", "too many", "full", "try again", "overload", "busy"};
	char low[512];
	size_t i, len = n < sizeof low - 1 ? n : sizeof low - 1;

	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)data[i]);
	low[len] = '\0';
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strstr(low, words[i]) != NULL)
			return true;
	}
	return false;
}

static bool
has_binary(const char *data, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t')
			return true;
	}
	return false;
}

/* The first line of data, for messages. */
static char *
first_line(const char *data, size_t n)
{
	size_t len = 0;

	while (len < n && data[len] != '\n' && data[len] != '\r')
		len++;
	return printable(data, len, 120);
}

/*
 * Wait for the SSH identification line without consuming it.  Other lines
 * may come first (RFC 4253 4.2); libssh skips them later.
 */
static int
wait_banner(int fd, double timeout, struct outcome *out)
{
	char *peek = xmalloc(BANNER_PEEK_MAX);
	double deadline = host_now() + timeout;
	ssize_t n = 0, last = -1;
	struct pollfd pfd;
	char *line;
	size_t start, i;
	int rc = -1;

	for (;;) {
		int w = connect_wait_fd(fd, POLLIN | POLLRDHUP, deadline);
		bool closed;

		if (w < 0) {
			outcome_set(out, EK_CANCELLED, PHASE_BANNER, "interrupted");
			goto done;
		}
		if (w == 0) {
			if (n > 0) {
				line = first_line(peek, (size_t)n);
				outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
				        "no SSH banner within %.1f s; server sent \"%s\"", timeout,
				        line);
				free(line);
			} else {
				outcome_set(out, EK_BANNER_TIMEOUT, PHASE_BANNER,
				        "no SSH banner within %.1f s", timeout);
			}
			goto done;
		}
		n = recv(fd, peek, BANNER_PEEK_MAX, MSG_PEEK);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER, "%s before the SSH banner",
			        errno == ECONNRESET ? "connection reset" : strerror(errno));
			goto done;
		}
		if (n == 0) {
			outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER,
			        "connection closed before the SSH banner");
			goto done;
		}
		/* Look for a complete "SSH-" line. */
		for (start = 0, i = 0; i < (size_t)n; i++) {
			if (peek[i] != '\n')
				continue;
			if (i - start >= 4 && memcmp(peek + start, "SSH-", 4) == 0) {
				if (i - start >= 6 && memcmp(peek + start, "SSH-1.", 6) == 0 &&
				        !(i - start >= 8 &&
				                memcmp(peek + start, "SSH-1.99", 8) == 0)) {
					line = first_line(peek + start, i - start);
					outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
					        "server speaks only SSH protocol 1: \"%s\"", line);
					free(line);
					goto done;
				}
				rc = 0;
				goto done;
			}
			start = i + 1;
		}
		if ((n >= 5 && memcmp(peek, "HTTP/", 5) == 0) || has_binary(peek, (size_t)n) ||
		        n == BANNER_PEEK_MAX) {
			line = first_line(peek, (size_t)n);
			outcome_set(out, EK_NOT_SSH, PHASE_BANNER, "server answered \"%s\"", line);
			free(line);
			goto done;
		}
		/* Data but no banner yet: has the server hung up after it? */
		pfd.fd = fd;
		pfd.events = POLLRDHUP;
		pfd.revents = 0;
		closed = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
		if (closed) {
			line = first_line(peek, (size_t)n);
			if (looks_throttled(peek, (size_t)n))
				outcome_set(out, EK_THROTTLED, PHASE_BANNER,
				        "server is full: \"%s\"", line);
			else
				outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
				        "server answered \"%s\" and closed", line);
			free(line);
			goto done;
		}
		if (n == last) {
			/* Nothing new: MSG_PEEK leaves POLLIN set, so nap instead. */
			poll(NULL, 0, 20);
		}
		last = n;
	}
done:
	free(peek);
	return rc;
}

static const char *
ssh_err(struct conn *c)
{
	const char *e = ssh_get_error(c->session);

	return e && *e ? e : "unknown error";
}

/* Drive ssh_connect until the keys are exchanged. */
static int
key_exchange(struct conn *c, double timeout, bool via_proxy, struct outcome *out)
{
	double deadline = host_now() + timeout;
	enum phase ph = via_proxy ? PHASE_BANNER : PHASE_KEX;
	char *msg;
	int rc, w;

	ssh_set_blocking(c->session, 0);
	for (;;) {
		rc = ssh_connect(c->session);
		if (rc == SSH_OK)
			return 0;
		if (rc == SSH_ERROR)
			break;
		w = connect_wait_session(c->session, deadline);
		if (w < 0) {
			outcome_set(out, EK_CANCELLED, ph, "interrupted");
			return -1;
		}
		if (w == 0) {
			if (via_proxy && ssh_get_serverbanner(c->session) == NULL)
				outcome_set(out, EK_BANNER_TIMEOUT, PHASE_BANNER,
				        "no SSH banner through ProxyCommand within %.1f s",
				        timeout);
			else
				outcome_set(out, EK_KEX_TIMEOUT, PHASE_KEX,
				        "key exchange did not finish within %.1f s", timeout);
			return -1;
		}
	}
	msg = printable(ssh_err(c), strlen(ssh_err(c)), 300);
	if (via_proxy && ssh_get_serverbanner(c->session) == NULL)
		outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER, "%s", msg);
	else if (strstr(msg, "disconnected") != NULL || strstr(msg, "reset") != NULL)
		outcome_set(out, EK_KEX_FAILED, PHASE_KEX,
		        "connection closed during key exchange (%s)", msg);
	else
		outcome_set(out, EK_KEX_FAILED, PHASE_KEX, "%s", msg);
	free(msg);
	return -1;
}

static char *
key_fingerprint(ssh_session s)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, *res;

	if (ssh_get_server_publickey(s, &key) < 0)
		return xstrdup("(no key)");
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	res = xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp ? fp : "?");
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return res;
}

static const enum ssh_options_e kh_option[2] = {
        SSH_OPTIONS_KNOWNHOSTS, SSH_OPTIONS_GLOBAL_KNOWNHOSTS};

/*
 * Hand libssh only the known_hosts lines that can name this host
 * (knownhosts.c): with a big hashed file it would spend far more on them
 * than on the handshake.  Files it cannot reduce stay as they are.
 */
static void
known_hosts_reduce(struct conn *c, const char *hostname, unsigned int port)
{
	static const char *const dflt[2] = {"%d/known_hosts", "/etc/ssh/ssh_known_hosts"};
	char *path, fdpath[64];
	int i, fd;

	for (i = 0; i < 2; i++) {
		path = NULL;
		if (ssh_options_get(c->session, kh_option[i], &path) != SSH_OK)
			path = NULL;
		fd = kh_filtered(path ? path : dflt[i], hostname, port, &c->kh_real[i]);
		ssh_string_free_char(path);
		if (fd < 0)
			continue;
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
		if (ssh_options_set(c->session, kh_option[i], fdpath) < 0) {
			close(fd);
			free(c->kh_real[i]);
			c->kh_real[i] = NULL;
			continue;
		}
		c->kh_fd[i] = fd;
	}
}

/* Point libssh at the real files again: a second look, or an append. */
static bool
known_hosts_restore(struct conn *c)
{
	bool any = false;
	int i;

	for (i = 0; i < 2; i++) {
		if (c->kh_fd[i] < 0)
			continue;
		ssh_options_set(c->session, kh_option[i], c->kh_real[i]);
		close(c->kh_fd[i]);
		c->kh_fd[i] = -1;
		any = true;
	}
	return any;
}

/* Our host-key policy, applied to what known_hosts says. */
static int
check_host_key(struct conn *c, struct host *h, enum hostkey_policy policy, struct outcome *out)
{
	enum ssh_known_hosts_e st;
	char *fp;
	int rc = -1;

	pthread_mutex_lock(&known_hosts_mutex);
	st = ssh_session_is_known_server(c->session);
	/*
	 * Unknown in the reduced files: look again in the real ones, under the
	 * lock, where another alias of this host may have recorded it since.
	 */
	if ((st == SSH_KNOWN_HOSTS_UNKNOWN || st == SSH_KNOWN_HOSTS_NOT_FOUND) &&
	        known_hosts_restore(c))
		st = ssh_session_is_known_server(c->session);
	fp = key_fingerprint(c->session);
	switch (st) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		if (policy == HOSTKEY_POLICY_INSECURE) {
			log_msg(LOG_NORMAL,
			        "%s: WARNING: host key CHANGED (now %s); accepted because the "
			        "policy is insecure",
			        h->alias, fp);
			rc = 0;
			break;
		}
		outcome_set(out, EK_HOSTKEY_CHANGED, PHASE_KEX,
		        "HOST KEY CHANGED: known_hosts holds another key; server offers %s "
		        "(possible man-in-the-middle; remove the old entry if the change is "
		        "expected)",
		        fp);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (policy == HOSTKEY_POLICY_INSECURE) {
			rc = 0;
		} else if (policy == HOSTKEY_POLICY_ACCEPT_NEW) {
			if (ssh_session_update_known_hosts(c->session) == SSH_OK) {
				log_msg(LOG_VERBOSE, "%s: added host key %s to known_hosts",
				        h->alias, fp);
				rc = 0;
			} else {
				outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
				        "cannot record host key %s: %s", fp, ssh_err(c));
			}
		} else {
			outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
			        "host key %s is not in known_hosts (policy strict; use "
			        "--host-key-policy accept-new to record it)",
			        fp);
		}
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX, "cannot check host key %s: %s", fp,
		        ssh_err(c));
		break;
	}
	pthread_mutex_unlock(&known_hosts_mutex);
	known_hosts_restore(c); /* the memfds are done with */
	free(fp);
	return rc;
}

/*
 * What authentication is to use, from the command line and ssh_config.  The
 * ssh_config part comes from authconf.c for now (libssh keeps IdentitiesOnly,
 * CertificateFile and the *Authentication switches to itself, or ignores
 * them); shoal's own ssh_config evaluator is to fill it instead.
 */
static int
authenticate(struct conn *c, const char *alias, const struct connect_params *p, struct outcome *out)
{
	const struct options *o = p->opts;
	struct auth_config ac;
	struct auth_identity *ids;
	struct authconf cf;
	const char *agent = getenv("SSH_AUTH_SOCK");
	struct authconf_tokens tok = {NULL, NULL, 22};
	char *host = NULL, *user = NULL;
	size_t i, n = 0;
	int rc;

	ssh_options_get(c->session, SSH_OPTIONS_HOST, &host);
	ssh_options_get(c->session, SSH_OPTIONS_USER, &user);
	ssh_options_get_port(c->session, &tok.port);
	tok.host = host;
	tok.user = user;
	authconf_get(o->ssh_config, alias, &tok, &cf);
	ssh_string_free_char(host);
	ssh_string_free_char(user);
	ids = xcalloc(o->nidentities + cf.nidentity_files + 1, sizeof *ids);
	for (i = 0; i < o->nidentities; i++, n++) {
		ids[n].path = o->identities[i];
		ids[n].user_given = true;
	}
	for (i = 0; i < cf.nidentity_files; i++, n++) {
		ids[n].path = cf.identity_files[i];
		ids[n].user_given = true;
	}
	memset(&ac, 0, sizeof ac);
	ac.identities = ids;
	ac.nidentities = n;
	ac.ssh_dir = sshconf_ssh_dir();
	ac.certificates = (const char *const *)cf.certificate_files;
	ac.ncertificates = cf.ncertificate_files;
	ac.identities_only = cf.identities_only == 1;
	if (cf.identity_agent != NULL && strcmp(cf.identity_agent, "SSH_AUTH_SOCK") != 0)
		agent = strcasecmp(cf.identity_agent, "none") == 0 ? NULL
		        : cf.identity_agent[0] == '$'              ? getenv(cf.identity_agent + 1)
		                                                   : cf.identity_agent;
	ac.agent = agent != NULL && *agent != '\0' ? agent : NULL;
	ac.pubkey = cf.pubkey != 0;
	ac.kbdint = cf.kbdint != 0;
	ac.password = cf.password != 0;
	ac.preferred = cf.preferred;
	ac.secret = p->password;
	ac.timeout = o->auth_timeout;
	rc = auth_login(c->session, alias, &ac, out);
	free(ids);
	authconf_clear(&cf);
	return rc;
}

int
connect_host(struct conn *c, struct host *h, const struct connect_params *p, struct outcome *out)
{
	const struct options *o = p->opts;
	enum limiter_outcome lim = LIMITER_OTHER;
	char *hostname = NULL, *proxy = NULL, *msg;
	unsigned int port = 22;
	bool via_proxy;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->kh_fd[0] = c->kh_fd[1] = -1;
	phase_begin(h, PHASE_CONNECT);
	if (session_setup(c, h, o) < 0) {
		msg = printable(ssh_err(c), strlen(ssh_err(c)), 300);
		outcome_set(out, EK_RESOLVE, PHASE_CONNECT, "ssh_config: %s", msg);
		free(msg);
		goto fail;
	}
	record_login(h, c->session);
	ssh_options_get(c->session, SSH_OPTIONS_HOST, &hostname);
	ssh_options_get_port(c->session, &port);
	via_proxy = ssh_options_get(c->session, SSH_OPTIONS_PROXYCOMMAND, &proxy) == SSH_OK &&
	            proxy != NULL && *proxy != '\0' && strcasecmp(proxy, "none") != 0;
	known_hosts_reduce(c, hostname ? hostname : h->alias, port);

	if (!via_proxy) {
		if (tcp_connect(c, hostname ? hostname : h->alias, (int)port, o->connect_timeout,
		            out) < 0)
			goto fail;
		phase_end(h);
		phase_begin(h, PHASE_BANNER);
		if (wait_banner(c->fd, o->banner_timeout, out) < 0)
			goto fail;
		phase_end(h);
		phase_begin(h, PHASE_KEX);
		if (ssh_options_set(c->session, SSH_OPTIONS_FD, &c->fd) < 0)
			fatal("libssh refused a socket");
		c->handed = true;
	} else {
		/* libssh runs the proxy; count the whole handshake against one limit. */
		if (limiter_acquire(proxy, &c->limit) < 0) {
			outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
			goto fail;
		}
		phase_end(h);
		phase_begin(h, PHASE_BANNER);
	}
	if (key_exchange(c,
	            via_proxy ? o->connect_timeout + o->banner_timeout + o->kex_timeout
	                      : o->kex_timeout,
	            via_proxy, out) < 0)
		goto fail;
	if (check_host_key(c, h,
	            o->hostkey_policy != HOSTKEY_POLICY_UNSET ? o->hostkey_policy
	                                                      : sshconf_policy(h->alias),
	            out) < 0)
		goto fail;
	phase_end(h);
	phase_begin(h, PHASE_AUTH);
	if (authenticate(c, h->alias, p, out) < 0)
		goto fail;
	phase_end(h);
	limiter_release(&c->limit, LIMITER_DONE);
	ssh_string_free_char(hostname);
	ssh_string_free_char(proxy);
	return 0;
fail:
	phase_end(h);
	if (out->kind == EK_BANNER_CLOSED || out->kind == EK_THROTTLED)
		lim = LIMITER_THROTTLED;
	limiter_release(&c->limit, lim);
	ssh_string_free_char(hostname);
	ssh_string_free_char(proxy);
	connect_close(c);
	return -1;
}

void
connect_close(struct conn *c)
{
	int fd, i;

	if (c->session == NULL) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return;
	}
	if (c->handed) {
		/*
		 * libssh closes a socket given by SSH_OPTIONS_FD only on its own
		 * errors (then ssh_get_fd is -1); ssh_disconnect forgets it
		 * without closing, so the close is ours.
		 */
		fd = ssh_get_fd(c->session);
		ssh_disconnect(c->session);
		if (fd >= 0)
			close(fd);
	} else {
		if (c->fd >= 0)
			close(c->fd);
		ssh_disconnect(c->session);
	}
	c->fd = -1;
	known_hosts_restore(c);
	for (i = 0; i < 2; i++) {
		free(c->kh_real[i]);
		c->kh_real[i] = NULL;
	}
	ssh_free(c->session);
	c->session = NULL;
}
