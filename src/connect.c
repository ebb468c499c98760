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
 * The connect step is a transport that yields an fd: the TCP socket; or a
 * socketpair end whose other end is a ProxyCommand's stdin and stdout
 * (proxycmd.c); or one whose other end the jump relay moves through a
 * direct-tcpip channel of a jump host's session (jump.c).  The banner wait
 * and the key exchange are the same for all three.
 *
 * Threads: any worker may run an attempt; a session never changes thread.
 * Appends to known_hosts are serialised inside knownhosts.c.
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

#include "alive.h"
#include "auth.h"
#include "buf.h"
#include "cancel.h"
#include "connect.h"
#include "escape.h"
#include "host.h"
#include "hostcert.h"
#include "jump.h"
#include "keys.h"
#include "knownhosts.h"
#include "limiter.h"
#include "log.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

/* OpenSSH's client limits on text before the banner: SSH_MAX_BANNER_LEN, SSH_MAX_PRE_BANNER_LINES.
 */
#define BANNER_LINE_MAX  8192
#define BANNER_LINES_MAX 1024
#define BANNER_PEEK_MAX  (BANNER_LINE_MAX + 2)

static int
auth_passphrase_cb(const char *prompt, char *buf, size_t len, int echo, int verify, void *userdata)
{
	/* Never let an encrypted key prompt on the operator's terminal. */
	return -1;
}

static const char *
ssh_err(struct conn *c)
{
	const char *e = ssh_get_error(c->session);

	return e && *e ? e : "unknown error";
}

/* s with every % doubled: libssh expands % again in the paths and commands it is given. */
static char *
pct_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == '%')
			buf_appendc(&b, '%');
		buf_appendc(&b, *s);
	}
	return b.p ? buf_steal(&b) : xstrdup("");
}

static int
set_escaped(ssh_session s, enum ssh_options_e opt, const char *value)
{
	char *v = pct_escape(value);
	int rc = ssh_options_set(s, opt, v);

	free(v);
	return rc;
}

static const enum ssh_options_e algo_option[] = {SSH_OPTIONS_KEY_EXCHANGE, SSH_OPTIONS_CIPHERS_C_S,
        SSH_OPTIONS_CIPHERS_S_C, SSH_OPTIONS_HMAC_C_S, SSH_OPTIONS_HMAC_S_C, SSH_OPTIONS_HOSTKEYS,
        SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES};
/* Which list of struct sshconf_host's algos_configured each option takes. */
static const unsigned algo_list[] = {0, 1, 1, 2, 2, 3, 4};

/*
 * libssh 0.10.6 takes as a host name only an address or letters, digits,
 * '-' and '.' (ssh itself takes '_'), and leaves no error text when it
 * refuses one: say what it refused.
 */
static void
host_name_refused(struct outcome *out, const char *name)
{
	char *msg = escape_text(name, strlen(name), 300);

	outcome_set(out, EK_RESOLVE, PHASE_CONNECT,
	        "libssh refuses '%s' as a host name (letters, digits, '-' and '.' only): give "
	        "the alias a HostName in ssh_config",
	        msg);
	free(msg);
}

int
connect_config(struct conn *c, const struct host *h, const struct options *o, const char *jump,
        struct outcome *out)
{
	char *err = NULL, *msg;

	if (connect_eval(h, o, jump, &c->cf, &err) < 0) {
		msg = escape_text(err, strlen(err), 300);
		outcome_set(out, EK_RESOLVE, PHASE_CONNECT, "ssh_config: %s", msg);
		free(msg);
		free(err);
		return -1;
	}
	c->have_cf = true;
	log_thread_level(sshconf_log_level(&c->cf)); /* this host's messages, unless -q or -v */
	return 0;
}

void
connect_config_free(struct conn *c)
{
	if (c->have_cf)
		sshconf_host_free(&c->cf);
	c->have_cf = false;
}

int
connect_eval(const struct host *h, const struct options *o, const char *jump,
        struct sshconf_host *cf, char **err)
{
	return sshconf_resolve(h->addr ? h->addr : h->alias, h->user, h->port, o, jump, cf, err);
}

/*
 * The session gets explicit options only, from shoal's own evaluation of
 * ssh_config (sshconf.c): libssh never reads a config file.
 */
static int
session_setup(struct conn *c, struct host *h, const struct connect_params *p, struct outcome *out)
{
	const struct options *o = p->opts;
	struct sshconf_host *cf = &c->cf;
	ssh_session s;
	int on = 1, off = 0, verbosity, v;
	char *msg;
	const char *algos[7];
	size_t i;

	if (connect_config(c, h, o, p->jump, out) < 0)
		return -1;
	if ((s = ssh_new()) == NULL)
		fatal("out of memory creating an SSH session");
	c->session = s;
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &off);
	if (o->verbosity >= 3) {
		verbosity = o->verbosity >= 4 ? SSH_LOG_FUNCTIONS : SSH_LOG_PROTOCOL;
		ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	}
	if (ssh_options_set(s, SSH_OPTIONS_HOST, cf->hostname) < 0) {
		host_name_refused(out, cf->hostname);
		return -1;
	}
	/* ~/.ssh looked up once per run: else libssh reads passwd again per session. */
	if (sshconf_ssh_dir() != NULL &&
	        ssh_options_set(s, SSH_OPTIONS_SSH_DIR, sshconf_ssh_dir()) < 0)
		goto libssh_error;
	if (ssh_options_set(s, SSH_OPTIONS_USER, cf->user) < 0 ||
	        ssh_options_set(s, SSH_OPTIONS_PORT, &cf->port) < 0)
		goto libssh_error;
	/*
	 * libssh keeps its own default identities after those given; it puts
	 * each one given first, so they go in reverse to keep ssh's order.
	 */
	if (!cf->identity_files_default) {
		for (i = cf->identity_paths.n; i-- > 0;) {
			if (set_escaped(s, SSH_OPTIONS_IDENTITY, cf->identity_paths.v[i]) < 0)
				goto libssh_error;
		}
	}
	v = cf->pubkey_auth != 0;
	ssh_options_set(s, SSH_OPTIONS_PUBKEY_AUTH, &v);
	ssh_options_set(s, SSH_OPTIONS_PASSWORD_AUTH, &cf->password_auth);
	ssh_options_set(s, SSH_OPTIONS_KBDINT_AUTH, &cf->kbdint_auth);
	ssh_options_set(s, SSH_OPTIONS_GSSAPI_AUTH, &off);
	if (cf->identity_agent != NULL && strcmp(cf->identity_agent, "SSH_AUTH_SOCK") != 0 &&
	        ssh_options_set(s, SSH_OPTIONS_IDENTITY_AGENT,
	                strcmp(cf->identity_agent, "none") == 0 ? "/dev/null"
	                                                        : cf->identity_agent) < 0)
		goto libssh_error;
	algos[0] = cf->kex_algorithms;
	algos[1] = algos[2] = cf->ciphers;
	algos[3] = algos[4] = cf->macs;
	algos[5] = cf->host_key_algorithms;
	algos[6] = cf->pubkey_accepted_algorithms;
	for (i = 0; i < 7; i++) {
		/* Only lists ssh_config set: libssh's own default orders host keys by known_hosts.
		 */
		if ((cf->algos_configured & (1u << algo_list[i])) &&
		        ssh_options_set(s, algo_option[i], algos[i]) < 0)
			goto libssh_error;
	}
	/* libssh's own check would wave a changed key through when off. */
	ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &on);
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &on);

	memset(&c->callbacks, 0, sizeof c->callbacks);
	c->callbacks.auth_function = auth_passphrase_cb;
	ssh_callbacks_init(&c->callbacks);
	ssh_set_callbacks(s, &c->callbacks);
	return 0;
libssh_error:
	msg = escape_text(ssh_err(c), strlen(ssh_err(c)), 300);
	outcome_set(out, EK_RESOLVE, PHASE_CONNECT, "ssh_config: %s", msg);
	free(msg);
	return -1;
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

/* A failure of this machine, not of the host: out of descriptors or memory. */
static bool
local_shortage(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* ssh_config's TCPKeepAlive and BindAddress on a socket about to connect. */
static int
socket_prepare(int fd, int family, const struct sshconf_host *cf)
{
	struct addrinfo hints, *res = NULL;
	int on = 1, rc;

	if (cf->tcp_keepalive && setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0)
		return -1;
	if (cf->bind_address == NULL)
		return 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(cf->bind_address, NULL, &hints, &res) != 0) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	rc = bind(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return rc;
}

/* TCP to every address of hostname in turn, until one answers. */
static int
tcp_connect(struct conn *c, const char *hostname, int port, double timeout, struct outcome *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], addr[NI_MAXHOST], dest[NI_MAXHOST + 24];
	double deadline;
	int rc, fd = -1, err = 0, timed_out = 0, w;
	socklen_t elen;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = c->cf.address_family == SSHCONF_AF_INET    ? AF_INET
	                  : c->cf.address_family == SSHCONF_AF_INET6 ? AF_INET6
	                                                             : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof portstr, "%d", port);
	errno = 0;
	rc = getaddrinfo(hostname, portstr, &hints, &res);
	if (rc == EAI_MEMORY || (rc == EAI_SYSTEM && local_shortage(errno))) {
		/* Not the name's fault: worth another try once something is freed. */
		outcome_set(out, EK_LOCAL, PHASE_CONNECT, "local: %s while resolving '%s'",
		        rc == EAI_MEMORY ? "out of memory" : strerror(errno), hostname);
		return -1;
	}
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
	/* The wait for a slot is not the network's: the deadline starts with the connect. */
	deadline = wait_now() + timeout;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		        ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			if (local_shortage(err))
				break;
			continue;
		}
		if (socket_prepare(fd, ai->ai_family, &c->cf) < 0) {
			err = errno;
			goto next;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			err = errno;
			goto next;
		}
		w = wait_fd(fd, POLLOUT, deadline);
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
		if (local_shortage(err))
			outcome_set(out, EK_LOCAL, PHASE_CONNECT, "local: %s: no socket for %s",
			        strerror(err), dest);
		else if (timed_out)
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
		outcome_set(out, EK_LOCAL, PHASE_CONNECT,
		        "local: socket number %d too high for libssh", fd);
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

/* The first line of data, for messages. */
static char *
first_line(const char *data, size_t n)
{
	size_t len = 0;

	while (len < n && data[len] != '\n' && data[len] != '\r')
		len++;
	return escape_text(data, len, 120);
}

/*
 * Closed after data and no banner: a server that said it is full, or
 * something that is not SSH.
 */
void
connect_banner_closed(
        const struct connect_banner_seen *bs, const char *data, size_t n, struct outcome *out)
{
	const char *t = bs->lines > 0 ? bs->first : data;
	size_t tn = bs->lines > 0 ? bs->first_len : n;
	char *line = first_line(t, tn);

	if (looks_throttled(t, tn))
		outcome_set(out, EK_THROTTLED, PHASE_BANNER, "server is full: \"%s\"", line);
	else
		outcome_set(
		        out, EK_NOT_SSH, PHASE_BANNER, "server answered \"%s\" and closed", line);
	free(line);
}

/*
 * Look at the complete lines of peek: 1 when an SSH- line starts at some
 * offset (*skip: the bytes of other lines before it), 0 when more is needed
 * (*skip: the complete other lines, to consume), -1 with out set when the
 * server is not SSH.  OpenSSH's client (kex_exchange_identification) takes
 * up to 1024 lines before the banner, each up to 8192 bytes, none with a
 * NUL or a CR not before the LF; so does this, and past that the server
 * is not_ssh.  An HTTP status line is not_ssh at once.
 */
int
connect_banner_scan(const char *peek, size_t n, struct connect_banner_seen *bs, size_t *skip,
        struct outcome *out)
{
	size_t start = 0, i, len;
	char *line;

	for (i = 0; i < n; i++) {
		if (peek[i] == '\0' || (peek[i] == '\r' && i + 1 < n && peek[i + 1] != '\n')) {
			line = first_line(peek + start, n - start);
			outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
			        "server answered \"%s\" (a NUL or a stray CR before the SSH "
			        "banner)",
			        line);
			free(line);
			return -1;
		}
		if (peek[i] != '\n')
			continue;
		len = i - start;
		if (len >= 4 && memcmp(peek + start, "SSH-", 4) == 0) {
			if (len >= 6 && memcmp(peek + start, "SSH-1.", 6) == 0 &&
			        !(len >= 8 && memcmp(peek + start, "SSH-1.99", 8) == 0)) {
				line = first_line(peek + start, len);
				outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
				        "server speaks only SSH protocol 1: \"%s\"", line);
				free(line);
				return -1;
			}
			*skip = start;
			return 1;
		}
		if ((bs->lines == 0 && len >= 5 && memcmp(peek + start, "HTTP/", 5) == 0) ||
		        len > BANNER_LINE_MAX + 1 || bs->lines >= BANNER_LINES_MAX) {
			line = first_line(bs->lines > 0 ? bs->first : peek + start,
			        bs->lines > 0 ? bs->first_len : len);
			outcome_set(out, EK_NOT_SSH, PHASE_BANNER, "server answered \"%s\"%s", line,
			        len > BANNER_LINE_MAX + 1
			                ? " (a line over 8192 bytes before the SSH banner)"
			        : bs->lines >= BANNER_LINES_MAX
			                ? " (more than 1024 lines before the SSH banner)"
			                : "");
			free(line);
			return -1;
		}
		if (bs->lines++ == 0) {
			bs->first_len = len < sizeof bs->first ? len : sizeof bs->first;
			memcpy(bs->first, peek + start, bs->first_len);
		}
		start = i + 1;
	}
	if (n - start > BANNER_LINE_MAX + 1) {
		line = first_line(peek + start, n - start);
		outcome_set(out, EK_NOT_SSH, PHASE_BANNER,
		        "server answered \"%s\" (a line over 8192 bytes before the SSH banner)",
		        line);
		free(line);
		return -1;
	}
	*skip = start;
	return 0;
}

/*
 * Wait for the SSH identification line without consuming it; the lines
 * before it (RFC 4253 4.2) are consumed here, so libssh, whose own limits
 * are narrower than OpenSSH's, sees the banner first.
 */
static int
wait_banner(int fd, double timeout, struct outcome *out)
{
	char *peek = xmalloc(BANNER_PEEK_MAX);
	double deadline = wait_now() + timeout;
	ssize_t n = 0, last = -1;
	struct connect_banner_seen bs;
	struct pollfd pfd;
	char *line;
	size_t skip = 0;
	int rc = -1, r;

	memset(&bs, 0, sizeof bs);
	for (;;) {
		int w = wait_fd(fd, POLLIN | POLLRDHUP, deadline);
		bool closed;

		if (w < 0) {
			outcome_set(out, EK_CANCELLED, PHASE_BANNER, "interrupted");
			goto done;
		}
		if (w == 0) {
			if (n > 0 || bs.lines > 0) {
				line = bs.lines > 0 ? first_line(bs.first, bs.first_len)
				                    : first_line(peek, (size_t)n);
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
			if (bs.lines > 0)
				connect_banner_closed(&bs, NULL, 0, out);
			else
				outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER,
				        "connection closed before the SSH banner");
			goto done;
		}
		r = connect_banner_scan(peek, (size_t)n, &bs, &skip, out);
		if (r < 0)
			goto done;
		if (skip > 0) {
			/* The lines before the banner go; they are in the socket already. */
			if (recv(fd, peek, skip, 0) != (ssize_t)skip) {
				outcome_set(out, EK_BANNER_CLOSED, PHASE_BANNER,
				        "connection broke before the SSH banner");
				goto done;
			}
			last = -1;
			if (r == 0)
				continue;
		}
		if (r > 0) {
			rc = 0;
			goto done;
		}
		/* Data but no banner yet: has the server hung up after it? */
		pfd.fd = fd;
		pfd.events = POLLRDHUP;
		pfd.revents = 0;
		closed = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
		if (closed) {
			connect_banner_closed(&bs, peek, (size_t)n, out);
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

static int
connect_step(void *arg)
{
	return ssh_connect(arg);
}

/* Drive ssh_connect until the keys are exchanged. */
static int
key_exchange(struct conn *c, double timeout, struct outcome *out)
{
	char *msg;
	int rc;

	ssh_set_blocking(c->session, 0);
	rc = wait_again(c->session, wait_now() + timeout, SSH_AGAIN, connect_step, c->session);
	if (rc == SSH_OK)
		return 0;
	if (rc == WAIT_CANCELLED) {
		outcome_set(out, EK_CANCELLED, PHASE_KEX, "interrupted");
		return -1;
	}
	if (rc == WAIT_TIMED_OUT) {
		outcome_set(out, EK_KEX_TIMEOUT, PHASE_KEX,
		        "key exchange did not finish within %.1f s", timeout);
		return -1;
	}
	msg = escape_text(ssh_err(c), strlen(ssh_err(c)), 300);
	if (strstr(msg, "disconnected") != NULL || strstr(msg, "reset") != NULL)
		outcome_set(out, EK_KEX_FAILED, PHASE_KEX,
		        "connection closed during key exchange (%s)", msg);
	else
		outcome_set(out, EK_KEX_FAILED, PHASE_KEX, "%s", msg);
	free(msg);
	return -1;
}

static char *
key_fingerprint(ssh_key key)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, *res;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	res = xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp ? fp : "?");
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	return res;
}

/*
 * The known_hosts files for this session, as sshconf_resolve settled them
 * (--known-hosts is the user file when given; OpenSSH's defaults, expanded).
 */
static void
known_hosts_files(struct conn *c, const char *hostname, unsigned int port)
{
	const struct sshconf_list *u = &c->cf.user_known_hosts_files;
	const struct sshconf_list *g = &c->cf.global_known_hosts_files;

	kh_files_set_lists(&c->kh, u->v, u->n, g->v, g->n);
	kh_files_revoked(&c->kh, c->cf.revoked_host_keys_path);
	c->kh_host = xstrdup(c->cf.host_key_alias ? c->cf.host_key_alias : hostname);
	c->kh_port = c->cf.host_key_alias ? 0 : port;
}

/*
 * shoal decides the host key itself (knownhosts.c); libssh only reads, for
 * its choice of host key type in the key exchange, the lines naming this
 * host rewritten in the form it parses (named as libssh looks it up),
 * never the files themselves.  As in ssh, HostKeyAlias replaces the name
 * and the port in known_hosts, and is the principal a host certificate
 * must name.
 */
static void
known_hosts_reduce(struct conn *c, const char *hostname, unsigned int port)
{
	char fdpath[64];
	bool ca = false;

	known_hosts_files(c, hostname, port);
	c->kh_fd = kh_session_fd(&c->kh, c->kh_host, c->kh_port, hostname, port, &ca);
	c->kh_ca = ca;
	if (c->kh_fd >= 0)
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", c->kh_fd);
	else
		snprintf(fdpath, sizeof fdpath, "/dev/null");
	if (ssh_options_set(c->session, SSH_OPTIONS_KNOWNHOSTS, fdpath) < 0 ||
	        ssh_options_set(c->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0)
		log_msg(LOG_VERBOSE,
		        "%s: libssh refused the known_hosts lines; kex uses its "
		        "default host key order",
		        hostname);
}

/* The lines handed to libssh are done with after the key exchange. */
static void
known_hosts_restore(struct conn *c)
{
	if (c->kh_fd >= 0)
		close(c->kh_fd);
	c->kh_fd = -1;
}

/*
 * An @cert-authority line names the host and its key alone did not make it
 * known: libssh 0.10's client never asks for a host certificate (it strips
 * the certificate types from its offer, whatever SSH_OPTIONS_HOSTKEYS
 * says), so the certificate is fetched over a second connection to the
 * same address (hostcert.c) and judged with the key the session proved.
 * A kept session (no c->session) is judged with the certificate its
 * connection fetched.  A certificate judged stays in c->hostcert, for the
 * keeper.  Returns the new verdict (and *where), or st when there is no
 * certificate.
 */
static enum kh_status
host_certificate(struct conn *c, struct host *h, ssh_key key, const char *b64, double timeout,
        enum kh_status st, char **where)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	unsigned char *cert = NULL;
	size_t clen = 0;
	char *why = NULL, *w = NULL;
	const char *unused = NULL;
	int fd = c->session != NULL ? ssh_get_fd(c->session) : -1;

	if (c->session == NULL) {
		if (c->hostcert == NULL)
			return st;
		cert = c->hostcert;
		clen = c->hostcert_len;
		c->hostcert = NULL;
	} else if (!c->handed || c->transport != TRANSPORT_TCP || fd < 0 ||
	           getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		log_msg(LOG_VERBOSE,
		        "%s: @cert-authority names the host, but its certificate is not fetched "
		        "through a ProxyCommand or a jump host: its key is judged alone",
		        h->name);
		return st;
	} else if (hostcert_fetch((struct sockaddr *)&ss, sl,
	                   ssh_key_type_to_char(ssh_key_type(key)), timeout, &cert, &clen,
	                   &why) < 0) {
		log_msg(LOG_VERBOSE,
		        "%s: no host certificate from the server (%s): its key is judged "
		        "alone",
		        h->name, why);
		free(why);
		return st;
	} else {
		log_msg(LOG_DEBUG, "%s: host certificate fetched (%zu bytes)", h->name, clen);
	}
	st = kh_check_cert(&c->kh, c->kh_host, c->kh_port, b64, cert, clen, &w, &unused);
	if (unused != NULL) {
		log_msg(LOG_VERBOSE, "%s: host certificate not used: %s; its key is judged alone",
		        h->name, unused);
		free(cert);
	} else {
		c->hostcert = cert;
		c->hostcert_len = clen;
	}
	free(*where);
	*where = w;
	return st;
}

/*
 * The trust decision on a server's key, one for a fresh session and a kept
 * one: our host-key policy applied to what shoal's own known_hosts reader
 * says of it, with c's files (known_hosts_files).
 */
static int
host_key_trust(struct conn *c, struct host *h, ssh_key key, enum hostkey_policy policy,
        double timeout, struct outcome *out)
{
	enum kh_status st = KH_UNKNOWN;
	char *b64 = NULL, *fp, *where = NULL, *err = NULL, *fix;
	int rc = -1, rec;
	bool hash = c->have_cf && c->cf.hash_known_hosts == 1;

	fp = key_fingerprint(key);
	if (ssh_pki_export_pubkey_base64(key, &b64) < 0) {
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX, "cannot read the host key %s", fp);
		goto out;
	}
	st = kh_check(&c->kh, c->kh_host, c->kh_port, b64, &where);
	if ((st == KH_UNKNOWN || st == KH_CHANGED) && c->kh_ca)
		st = host_certificate(c, h, key, b64, timeout, st, &where);
	if (st == KH_UNKNOWN && policy == HOSTKEY_POLICY_ACCEPT_NEW) {
		free(where);
		where = NULL;
		rec = kh_record(&c->kh, c->kh_host, c->kh_port, b64, hash, &st, &where, &err);
		if (rec < 0) {
			outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
			        "cannot record host key %s: %s", fp, err);
			goto out;
		}
		if (rec > 0) {
			log_msg(LOG_VERBOSE, "%s: added host key %s to known_hosts", h->name, fp);
			rc = 0;
			goto out;
		}
	}
	switch (st) {
	case KH_OK:
		rc = 0;
		break;
	case KH_REVOKED:
		outcome_set(out, EK_HOSTKEY_REVOKED, PHASE_KEX,
		        "host key %s is revoked (%s%s); refused under every policy", fp,
		        strncmp(where, "RevokedHostKeys", 15) == 0 ? "" : "@revoked at ", where);
		break;
	case KH_BADCERT:
		if (policy == HOSTKEY_POLICY_INSECURE) {
			host_note(h,
			        "WARNING: host certificate refused (%s); key %s accepted because "
			        "the policy is insecure",
			        where, fp);
			rc = 0;
			break;
		}
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
		        "host certificate %s refused: %s (signed by a CA trusted for the host: "
		        "its key is not recorded)",
		        fp, where);
		break;
	case KH_CHANGED:
		if (policy == HOSTKEY_POLICY_INSECURE) {
			host_note(h,
			        "WARNING: host key CHANGED (now %s; %s holds another); accepted "
			        "because the policy is insecure",
			        fp, where);
			rc = 0;
			break;
		}
		fix = kh_remove_command(c->kh_host, c->kh_port, where);
		outcome_set(out, EK_HOSTKEY_CHANGED, PHASE_KEX,
		        "HOST KEY CHANGED: known_hosts holds another key (%s); server offers %s "
		        "(possible man-in-the-middle; if the change is expected, remove the old "
		        "entry with: %s)",
		        where, fp, fix);
		free(fix);
		break;
	case KH_UNKNOWN:
		if (policy == HOSTKEY_POLICY_INSECURE) {
			rc = 0;
		} else {
			outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
			        "host key %s is not in known_hosts (policy strict; use "
			        "--host-key-policy accept-new to record it)",
			        fp);
		}
		break;
	}
out:
	ssh_string_free_char(b64);
	free(where);
	free(err);
	free(fp);
	return rc;
}

/* The server's key of a fresh session, judged once the key exchange is done. */
static int
check_host_key(struct conn *c, struct host *h, enum hostkey_policy policy, double timeout,
        struct outcome *out)
{
	ssh_key key = NULL;
	int rc;

	known_hosts_restore(c);
	if (ssh_get_server_publickey(c->session, &key) < 0) {
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX, "cannot read the host key: %s",
		        ssh_err(c));
		return -1;
	}
	rc = host_key_trust(c, h, key, policy, timeout, out);
	ssh_key_free(key);
	return rc;
}

int
connect_trust_kept(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const char *key_type, const char *key_b64, const unsigned char *cert, size_t clen,
        struct outcome *out)
{
	struct conn c;
	ssh_key key = NULL;
	int rc;

	if (ssh_pki_import_pubkey_base64(key_b64, ssh_key_type_from_name(key_type), &key) < 0) {
		outcome_set(out, EK_HOSTKEY_UNKNOWN, PHASE_KEX,
		        "the kept session's host key (%s) does not parse", key_type);
		return -1;
	}
	memset(&c, 0, sizeof c);
	c.fd = -1;
	c.kh_fd = -1;
	c.cf = *cf; /* borrowed: never freed here */
	c.have_cf = true;
	if (cert != NULL) {
		c.kh_ca = true;
		c.hostcert = xmalloc(clen);
		memcpy(c.hostcert, cert, clen);
		c.hostcert_len = clen;
	}
	known_hosts_files(&c, cf->hostname, (unsigned int)cf->port);
	rc = host_key_trust(&c, h, key, cf->hostkey_policy, 0, out);
	kh_files_free(&c.kh);
	free(c.kh_host);
	free(c.hostcert);
	ssh_key_free(key);
	return rc;
}

/*
 * What authentication is to use: the host's evaluated ssh_config (-i
 * already first among its identities), the agent, the run's password.
 */
static int
authenticate(struct conn *c, const char *alias, const struct connect_params *p, struct outcome *out)
{
	const struct options *o = p->opts;
	const struct sshconf_host *cf = &c->cf;
	struct auth_config ac;
	struct auth_identity *ids;
	const char *agent = getenv("SSH_AUTH_SOCK");
	size_t i, n = 0;
	int rc;

	/* -i, then IdentityFile, else ssh's defaults: sshconf_resolve's list, expanded. */
	ids = xcalloc(cf->identity_paths.n + 1, sizeof *ids);
	for (i = 0; i < cf->identity_paths.n; i++, n++) {
		ids[n].path = cf->identity_paths.v[i];
		/* a default that is missing is no news, as with ssh */
		ids[n].user_given = !cf->identity_files_default;
	}
	memset(&ac, 0, sizeof ac);
	ac.identities = ids;
	ac.nidentities = n;
	ac.certificates = (const char *const *)cf->certificate_paths.v;
	ac.ncertificates = cf->certificate_paths.n;
	ac.identities_only = cf->identities_only == 1;
	if (cf->identity_agent != NULL && strcmp(cf->identity_agent, "SSH_AUTH_SOCK") != 0)
		agent = strcasecmp(cf->identity_agent, "none") == 0 ? NULL
		        : cf->identity_agent[0] == '$'              ? getenv(cf->identity_agent + 1)
		                                                    : cf->identity_agent;
	ac.agent = agent != NULL && *agent != '\0' ? agent : NULL;
	ac.pubkey = cf->pubkey_auth != 0;
	ac.kbdint = cf->kbdint_auth != 0;
	ac.password = cf->password_auth != 0;
	ac.preferred = cf->preferred_authentications;
	ac.secret = p->password;
	ac.timeout = o->auth_timeout;
	rc = auth_login(c->session, alias, &ac, out);
	free(ids);
	return rc;
}

/* The jump chain of this connection (sshconf_resolve applied -J), or NULL. */
static const char *
jump_chain(const struct sshconf_host *cf)
{
	return cf->proxy_command_expanded != NULL ? NULL : cf->proxy_jump;
}

/*
 * The transport: a step that yields the fd the banner wait and libssh then
 * use, whatever it is (SPEC 3: each has the connect deadline).
 */
static int
transport_open(struct conn *c, struct host *h, const struct connect_params *p, const char *hostname,
        int port, struct outcome *out)
{
	const char *chain = jump_chain(&c->cf), *cmd = c->cf.proxy_command_expanded;
	char *key;
	int rc;

	if (chain != NULL) {
		c->transport = TRANSPORT_JUMP;
		pthread_mutex_lock(&h->lock);
		free(h->via);
		h->via = xstrdup(chain);
		pthread_mutex_unlock(&h->lock);
		/* Handshakes to one address through the jump host are limited like direct ones. */
		key = xasprintf("%s:%d via %s", hostname, port, chain);
		rc = limiter_acquire(key, &c->limit);
		free(key);
		if (rc < 0) {
			outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
			return -1;
		}
		return jump_open(
		        chain, hostname, port, p, c->cf.connect_deadline, &c->fd, &c->link, out);
	}
	if (cmd != NULL) {
		c->transport = TRANSPORT_PROXY;
		if (limiter_acquire(cmd, &c->limit) < 0) {
			outcome_set(out, EK_CANCELLED, PHASE_CONNECT, "interrupted");
			return -1;
		}
		if ((c->fd = proxycmd_start(&c->proxy, cmd)) < 0) {
			outcome_set(out, local_shortage(errno) ? EK_LOCAL : EK_PROXY_FAILED,
			        PHASE_CONNECT, "%scannot run the ProxyCommand: %s",
			        local_shortage(errno) ? "local: " : "", strerror(errno));
			return -1;
		}
		return 0;
	}
	c->transport = TRANSPORT_TCP;
	return tcp_connect(c, hostname, port, c->cf.connect_deadline, out);
}

/* Through a ProxyCommand, a stream that ended before the banner is the command's failure. */
static void
proxy_failure(struct conn *c, struct outcome *out)
{
	char why[512];

	if (out->kind != EK_BANNER_CLOSED && out->kind != EK_BANNER_TIMEOUT)
		return;
	if (out->kind == EK_BANNER_TIMEOUT && !proxycmd_exited(&c->proxy))
		return; /* still running: the server behind it is slow */
	proxycmd_why(&c->proxy, 1.0, why, sizeof why);
	outcome_set(out, EK_PROXY_FAILED, PHASE_CONNECT, "%s", why);
}

/* The jump session under this handshake died: the hop's reason, and another attempt. */
static void
jump_failure(struct conn *c, struct outcome *out)
{
	const char *dead = jump_link_dead(c->link);

	if (dead == NULL || out->kind == EK_CANCELLED)
		return;
	outcome_set(out, EK_LOST, out->phase, "via %s (during the %s phase)", dead,
	        errkind_phase_name(out->phase));
	out->retry = RETRY_ALWAYS;
}

void
connect_note_via(struct conn *c, struct outcome *out)
{
	const char *dead;
	char *old;

	if (c->link == NULL || out->kind != EK_LOST || (dead = jump_link_dead(c->link)) == NULL)
		return;
	old = out->error;
	out->error = NULL;
	outcome_set(out, EK_LOST, out->phase, "via %s: %s", dead, old ? old : "");
	free(old);
}

int
connect_host(struct conn *c, struct host *h, const struct connect_params *p, struct outcome *out)
{
	const struct options *o = p->opts;
	enum limiter_outcome lim = LIMITER_OTHER;
	char *hostname = NULL;
	unsigned int port = 22;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->kh_fd = -1;
	c->proxy.err_fd = -1;
	host_phase(h, PHASE_CONNECT, wait_now());
	if (session_setup(c, h, p, out) < 0)
		goto fail;
	record_login(h, c->session);
	ssh_options_get(c->session, SSH_OPTIONS_HOST, &hostname);
	ssh_options_get_port(c->session, &port);
	known_hosts_reduce(c, hostname ? hostname : h->alias, port);

	if (transport_open(c, h, p, hostname ? hostname : h->alias, (int)port, out) < 0)
		goto fail;
	host_phase(h, PHASE_BANNER, wait_now());
	if (wait_banner(c->fd, o->banner_timeout, out) < 0) {
		if (c->transport == TRANSPORT_PROXY)
			proxy_failure(c, out);
		goto fail;
	}
	host_phase(h, PHASE_KEX, wait_now());
	if (ssh_options_set(c->session, SSH_OPTIONS_FD, &c->fd) < 0)
		fatal("libssh refused a socket");
	c->handed = true;
	if (key_exchange(c, o->kex_timeout, out) < 0)
		goto fail;
	if (check_host_key(c, h, c->cf.hostkey_policy, o->kex_timeout, out) < 0)
		goto fail;
	host_phase(h, PHASE_AUTH, wait_now());
	if (authenticate(c, h->name, p, out) < 0)
		goto fail;
	limiter_release(&c->limit, LIMITER_DONE);
	ssh_string_free_char(hostname);
	return 0;
fail:
	if (c->link != NULL)
		jump_failure(c, out);
	if (out->kind == EK_BANNER_CLOSED || out->kind == EK_THROTTLED)
		lim = LIMITER_THROTTLED;
	limiter_release(&c->limit, lim);
	ssh_string_free_char(hostname);
	connect_close(c);
	return -1;
}

void
connect_alive(const struct conn *c, double *interval, int *count)
{
	*interval = ALIVE_DEFAULT_INTERVAL;
	*count = ALIVE_DEFAULT_COUNT;
	if (!c->have_cf)
		return;
	if (c->cf.server_alive_interval_set)
		*interval = c->cf.server_alive_interval;
	if (c->cf.server_alive_count_max_set)
		*count = c->cf.server_alive_count_max;
}

void
connect_close(struct conn *c)
{
	int fd;

	if (c->have_cf) {
		sshconf_host_free(&c->cf);
		c->have_cf = false;
	}
	if (c->session == NULL) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		goto transport;
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
	kh_files_free(&c->kh);
	free(c->kh_host);
	c->kh_host = NULL;
	free(c->hostcert);
	c->hostcert = NULL;
	ssh_free(c->session);
	c->session = NULL;
transport:
	/* The socketpair is closed: the proxy sees its end, the relay drops the channel. */
	if (c->transport == TRANSPORT_PROXY)
		proxycmd_stop(&c->proxy);
	jump_close(c->link);
	c->link = NULL;
}

ssh_session
connect_detach(struct conn *c)
{
	/* The session keeps a pointer to its callbacks: not to c's, which goes. */
	static struct ssh_callbacks_struct detached = {.size = sizeof detached};
	ssh_session s = c->session;

	if (s != NULL)
		ssh_set_callbacks(s, &detached);
	c->session = NULL;
	c->fd = -1;
	known_hosts_restore(c);
	kh_files_free(&c->kh);
	free(c->kh_host);
	c->kh_host = NULL;
	free(c->hostcert);
	c->hostcert = NULL;
	if (c->have_cf) {
		sshconf_host_free(&c->cf);
		c->have_cf = false;
	}
	return s;
}
