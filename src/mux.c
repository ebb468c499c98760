/*
 * mux.c - the client side of warm runs (see keeper.c for the other side).
 *
 * mux_init runs once, before the workers start: it lists the user's keeper
 * sockets, checks each peer is this user, asks each at once (a thread each,
 * a deadline each: a stopped keeper is skipped) for the keys of the
 * sessions it holds and their host keys, and keeps a sorted table key ->
 * socket; a socket nobody answers on is a keeper that died and is removed.
 * Workers then read the table without a lock.  A key is a digest of the
 * host's evaluated ssh_config; a kept session is used only when its host
 * key passes connect.c's trust decision under that config as it is now
 * (mux_session).  mux_run opens a connection to the keeper of the host's
 * key, sends the run request the caller decided (exec_request) and feeds
 * the frames that come back to the host's sink, as exec_channel would: the
 * keeper runs the request with exec_channel itself, so output, status,
 * error kinds and the started fact are the cold path's own.  Only a
 * keeper's "not held" (nothing started) lets the caller connect afresh;
 * anything after the keeper's "started" is the command's result, never
 * retried.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cancel.h"
#include "event.h"
#include "jump.h"
#include "log.h"
#include "mux.h"
#include "output.h"
#include "sshconf.h"
#include "wait.h"
#include "xmalloc.h"

struct held {
	char *key;
	const char *path; /* into socks; NULL: a session that died (idle: its duration) */
	double idle;
	char *key_type, *key_b64; /* the kept session's host key */
	unsigned char *cert;      /* the host certificate its connection judged, or NULL */
	size_t clen;
	char *hops; /* through jump hosts: their keys, as jump_link_hops gives them; or NULL */
};

static struct {
	char **socks;
	size_t nsocks;
	struct held *v;
	size_t n;
} table;

static void
held_free(struct held *e)
{
	free(e->key);
	free(e->key_type);
	free(e->key_b64);
	free(e->cert);
	free(e->hops);
}

/* Make dir 0700 unless it is there; NULL, or why not (malloc'd, naming it). */
static char *
make_dir(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return xasprintf("cannot make the directory %s: %s", dir, strerror(errno));
	return NULL;
}

char *
mux_dir(bool create, char **why)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *dir;
	struct stat st;

	*why = NULL;
	if (rt != NULL && *rt == '/') {
		dir = xasprintf("%s/shoal", rt);
	} else if (sshconf_ssh_dir() != NULL) {
		dir = xasprintf("%s/shoal", sshconf_ssh_dir());
		/* As ssh does when it first writes there: ~/.ssh itself, 0700. */
		if (create && (*why = make_dir(sshconf_ssh_dir())) != NULL)
			goto fail;
	} else {
		*why = xstrdup("no XDG_RUNTIME_DIR and no home directory for the keeper directory");
		return NULL;
	}
	if (create && (*why = make_dir(dir)) != NULL)
		goto fail;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT || create)
			*why = xasprintf("no keeper directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	/* Only a directory of ours that nobody else may enter holds sockets we trust. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		*why = xasprintf("the keeper directory %s is not a 0700 directory of this user "
		                 "(mode %o, owner %u)",
		        dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		goto fail;
	}
	return dir;
fail:
	free(dir);
	return NULL;
}

char *
mux_key(const struct sshconf_host *cf, const struct options *o)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *text = NULL;
	size_t len = 0;
	struct buf b;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		fatal("out of memory for a warm run's key");
	/*
	 * The resolved settings already hold the command line's (-J among
	 * them).  The host-key policy and files do not count: each reuse is
	 * judged under the run's own (connect_trust_kept).
	 */
	fprintf(fp, "uid %u\n", (unsigned)getuid());
	sshconf_print(fp, cf);
	/* through jump hosts (not a ProxyCommand, which wins): theirs too */
	if (cf->proxy_jump != NULL && cf->proxy_command_expanded == NULL)
		jump_print_chain(fp, cf->proxy_jump, o);
	if (fclose(fp) != 0 || text == NULL)
		fatal("out of memory for a warm run's key");
	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	free(text);
	buf_init(&b);
	buf_appendf(&b, "v2-");
	for (i = 0; i < mdlen; i++)
		buf_appendf(&b, "%02x", md[i]);
	return buf_steal(&b);
}

/* A frame's head: its type byte and 4-byte big-endian length. */
static void
frame_head(unsigned char hdr[5], char type, size_t len)
{
	uint32_t l = htonl((uint32_t)len);

	hdr[0] = (unsigned char)type;
	memcpy(hdr + 1, &l, 4);
}

int
mux_send(int fd, char type, const void *data, size_t len)
{
	unsigned char hdr[5];
	struct iovec iov[2];
	struct msghdr mh;
	size_t left = 5 + len;
	ssize_t n;

	frame_head(hdr, type, len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = 5;
	iov[1].iov_base = (void *)(uintptr_t)data; /* sendmsg does not write it */
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	while (left > 0) {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		left -= (size_t)n;
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov[0].iov_len) {
			n -= (ssize_t)mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + n;
			mh.msg_iov[0].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * Read len bytes; with a deadline (finite: a client's exchange with a
 * keeper) each read waits for it and the cancel flag (wait_fd), else it
 * blocks (the keeper's side).
 */
static int
read_full(int fd, void *p, size_t len, double deadline)
{
	ssize_t n;

	while (len > 0) {
		if (deadline < MUX_NO_DEADLINE && wait_fd(fd, POLLIN, deadline) <= 0)
			return -1;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p = (char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

int
mux_recv_by(int fd, char *type, char **data, size_t *len, double deadline)
{
	unsigned char hdr[5];
	uint32_t l;

	*data = NULL;
	if (read_full(fd, hdr, 5, deadline) < 0)
		return -1;
	memcpy(&l, hdr + 1, 4);
	l = ntohl(l);
	if (l > MUX_FRAME_MAX)
		return -1;
	*data = xmalloc((size_t)l + 1);
	if (read_full(fd, *data, l, deadline) < 0) {
		free(*data);
		*data = NULL;
		return -1;
	}
	(*data)[l] = '\0';
	*type = (char)hdr[0];
	*len = l;
	return 0;
}

int
mux_recv(int fd, char *type, char **data, size_t *len)
{
	return mux_recv_by(fd, type, data, len, MUX_NO_DEADLINE);
}

void
mux_stream_init(struct mux_stream *m, int fd)
{
	memset(m, 0, sizeof *m);
	m->fd = fd;
	buf_init(&m->out);
	buf_init(&m->in);
}

void
mux_stream_free(struct mux_stream *m)
{
	buf_free(&m->out);
	buf_free(&m->in);
}

void
mux_stream_put(struct mux_stream *m, char type, const void *data, size_t len)
{
	unsigned char hdr[5];

	frame_head(hdr, type, len);
	buf_append(&m->out, hdr, 5);
	if (len > 0)
		buf_append(&m->out, data, len);
}

/* What the socket takes now of the frames put.  -1: it failed. */
static int
stream_write(struct mux_stream *m)
{
	ssize_t n;

	while (m->out.len > 0) {
		n = send(m->fd, m->out.p, m->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		buf_consume(&m->out, (size_t)n);
	}
	return 0;
}

int
mux_stream_pump(struct mux_stream *m, int also_fd, int wait_ms)
{
	struct pollfd p[2];
	size_t got = 0;
	ssize_t n;

	if (stream_write(m) < 0)
		return -1;
	p[0].fd = m->fd;
	p[0].events = (short)(POLLIN | (m->out.len > 0 ? POLLOUT : 0));
	p[1].fd = also_fd;
	p[1].events = POLLIN;
	p[0].revents = p[1].revents = 0;
	if (m->closed)
		p[0].events &= ~POLLIN;
	if (poll(p, also_fd >= 0 ? 2 : 1, wait_ms) < 0 && errno != EINTR)
		return -1;
	if ((p[0].revents & POLLOUT) != 0 && stream_write(m) < 0)
		return -1;
	/* A bounded read a round, so the other way keeps moving. */
	while (!m->closed && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
	        got < MUX_FRAME_MAX) {
		buf_reserve(&m->in, 65536);
		n = recv(m->fd, m->in.p + m->in.len, 65536, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			m->closed = true;
			break;
		}
		m->in.len += (size_t)n;
		got += (size_t)n;
	}
	return 0;
}

int
mux_stream_take(struct mux_stream *m, char *type, const char **data, size_t *len)
{
	uint32_t l;

	buf_consume(&m->in, m->taken);
	m->taken = 0;
	if (m->in.len < 5)
		return 0;
	memcpy(&l, m->in.p + 1, 4);
	l = ntohl(l);
	if (l > MUX_FRAME_MAX)
		return -1;
	if (m->in.len < 5 + (size_t)l)
		return 0;
	*type = m->in.p[0];
	*data = m->in.p + 5;
	*len = l;
	m->taken = 5 + (size_t)l;
	return 1;
}

void
mux_stream_flush(struct mux_stream *m, double deadline)
{
	while (m->out.len > 0 && wait_now() < deadline) {
		if (stream_write(m) < 0 ||
		        (m->out.len > 0 && wait_fd(m->fd, POLLOUT, deadline) <= 0))
			return;
	}
}

bool
mux_peer_is_me(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == getuid();
}

/*
 * A connection to the keeper at path whose peer is this user, or -1.  The
 * connect does not wait: a keeper that stopped accepting (its backlog
 * full) is one that does not answer.  The connection itself blocks (reads
 * with a deadline wait for their data first).
 */
static int
keeper_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno == ECONNREFUSED)
			unlink(path); /* its keeper is gone */
		else
			log_msg(LOG_VERBOSE, "warm runs: keeper %s does not accept (%s); skipped",
			        path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!mux_peer_is_me(fd)) {
		log_msg(LOG_NORMAL, "warm runs: %s is not served by this user; ignored", path);
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* By key; of equal keys a held session first, so a lookup finds it before a tombstone. */
static int
held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->path == NULL) - (y->path == NULL);
}

/* One keeper asked one question ('L' list, 'S' stop) by its own thread. */
struct asked {
	char *path;
	char question;
	bool answered;
	struct held *v; /* L: its answer */
	size_t n;
	pthread_t thread;
};

/* The socket paths in the keeper directory; anything wrong with it is said at -v. */
static size_t
keeper_sockets(struct asked **out)
{
	char *why = NULL, *dir = mux_dir(false, &why);
	struct asked *v = NULL;
	struct dirent *de;
	size_t l, n = 0;
	DIR *d;

	*out = NULL;
	if (dir == NULL) {
		if (why != NULL)
			log_msg(LOG_VERBOSE, "warm runs: %s", why);
		free(why);
		return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		log_msg(LOG_VERBOSE, "warm runs: cannot read the keeper directory %s: %s", dir,
		        strerror(errno));
	} else {
		while ((de = readdir(d)) != NULL) {
			l = strlen(de->d_name);
			if (l < 6 || strcmp(de->d_name + l - 5, ".sock") != 0)
				continue;
			v = xreallocarray(v, n + 1, sizeof *v);
			memset(&v[n], 0, sizeof v[n]);
			v[n++].path = xasprintf("%s/%s", dir, de->d_name);
		}
		closedir(d);
	}
	free(dir);
	*out = v;
	return n;
}

/* "KEY IDLE TYPE BASE64": a session held, with its host key. */
static bool
held_parse(char *data, struct held *e)
{
	char *sp = strchr(data, ' '), *end, *sp2;

	if (sp == NULL)
		return false;
	*sp = '\0';
	e->idle = strtod(sp + 1, &end);
	if (*end != ' ' || (sp2 = strchr(end + 1, ' ')) == NULL)
		return false;
	*sp2 = '\0';
	e->key = xstrdup(data);
	e->key_type = xstrdup(end + 1);
	e->key_b64 = xstrdup(sp2 + 1);
	return true;
}

/* One entry of a keeper's list; false when it is not one. */
static bool
held_add(struct asked *a, char type, char *data, size_t len)
{
	struct held e;
	char *end;

	memset(&e, 0, sizeof e);
	if (type == 'C') {
		/* The host certificate of the session just listed. */
		if (a->n == 0 || a->v[a->n - 1].path == NULL || a->v[a->n - 1].cert != NULL)
			return false;
		a->v[a->n - 1].cert = xmalloc(len ? len : 1);
		memcpy(a->v[a->n - 1].cert, data, len);
		a->v[a->n - 1].clen = len;
		return true;
	}
	if (type == 'H') {
		/* The jump hosts under the session just listed, each judged again at use. */
		if (a->n == 0 || a->v[a->n - 1].path == NULL || a->v[a->n - 1].hops != NULL)
			return false;
		a->v[a->n - 1].hops = xstrndup(data, len);
		return true;
	}
	if (type == 'K') {
		if (!held_parse(data, &e)) {
			held_free(&e);
			return false;
		}
		e.path = a->path;
	} else if (type == 'R') {
		/* "IDLE KEY": a session that died, to be replaced. */
		e.idle = strtod(data, &end);
		if (*end != ' ')
			return false;
		e.key = xstrdup(end + 1);
	} else {
		return false;
	}
	a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
	a->v[a->n++] = e;
	return true;
}

/*
 * Ask one keeper, under the deadline MUX_ANSWER_S: a keeper that does not
 * answer in time (stopped, hung) is skipped, and nothing it said counts.
 */
static void *
ask(void *arg)
{
	struct asked *a = arg;
	double deadline = wait_now() + MUX_ANSWER_S;
	char type, *data = NULL;
	size_t len;
	int fd = keeper_connect(a->path);

	if (fd < 0)
		return NULL;
	if (mux_send(fd, a->question, NULL, 0) < 0)
		goto out;
	while (mux_recv_by(fd, &type, &data, &len, deadline) == 0) {
		if (type == 'E') {
			a->answered = true;
			goto out;
		}
		held_add(a, type, data, len);
		free(data);
		data = NULL;
	}
	log_msg(LOG_VERBOSE, "warm runs: keeper %s %s; skipped", a->path,
	        cancel_requested() ? "not asked (interrupted)" : "did not answer in time");
out:
	free(data);
	close(fd);
	return NULL;
}

/* Ask every keeper at once, so that one that does not answer costs one deadline. */
static size_t
ask_all(char question, struct asked **out)
{
	size_t i, n = keeper_sockets(out);
	struct asked *v = *out;
	bool *started = xcalloc(n + 1, sizeof *started);

	for (i = 0; i < n; i++) {
		v[i].question = question;
		started[i] = pthread_create(&v[i].thread, NULL, ask, &v[i]) == 0;
		if (!started[i])
			ask(&v[i]);
	}
	for (i = 0; i < n; i++) {
		if (started[i])
			pthread_join(v[i].thread, NULL);
	}
	free(started);
	return n;
}

static void
asked_free(struct asked *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].n; j++)
			held_free(&v[i].v[j]);
		free(v[i].v);
		free(v[i].path);
	}
	free(v);
}

int
mux_stop_all(void)
{
	struct asked *v;
	size_t i, n = ask_all('S', &v);
	int told = 0;

	for (i = 0; i < n; i++)
		told += v[i].answered;
	asked_free(v, n);
	return told;
}

void
mux_list(void)
{
	struct asked *v;
	size_t i, j, n;

	mux_free();
	n = ask_all('L', &v);
	for (i = 0; i < n; i++) {
		if (!v[i].answered)
			continue;
		table.socks = xreallocarray(table.socks, table.nsocks + 1, sizeof *table.socks);
		table.socks[table.nsocks++] = v[i].path;
		v[i].path = NULL;
		for (j = 0; j < v[i].n; j++) {
			table.v = xreallocarray(table.v, table.n + 1, sizeof *table.v);
			table.v[table.n++] = v[i].v[j];
		}
		v[i].n = 0;
	}
	asked_free(v, n);
	if (table.n > 0)
		qsort(table.v, table.n, sizeof *table.v, held_cmp);
}

void
mux_init(const struct options *o)
{
	if (o->persist == 0) {
		int n = mux_stop_all();

		log_msg(LOG_VERBOSE, "warm runs: told %d keeper%s to close", n, n == 1 ? "" : "s");
		return;
	}
	mux_list();
	log_msg(LOG_DEBUG, "warm runs: %zu kept session%s in %zu keeper%s", table.n,
	        table.n == 1 ? "" : "s", table.nsocks, table.nsocks == 1 ? "" : "s");
}

void
mux_free(void)
{
	size_t i;

	for (i = 0; i < table.n; i++)
		held_free(&table.v[i]);
	for (i = 0; i < table.nsocks; i++)
		free(table.socks[i]);
	free(table.v);
	free(table.socks);
	memset(&table, 0, sizeof table);
}

/* The first entry of key, or NULL. */
static const struct held *
find(const char *key)
{
	size_t lo = 0, hi = table.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(table.v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < table.n && strcmp(table.v[lo].key, key) == 0 ? &table.v[lo] : NULL;
}

bool
mux_any(void)
{
	return table.n > 0;
}

bool
mux_held_alive(const char *key)
{
	const struct held *f = find(key);

	return f != NULL && f->path != NULL;
}

/* Tell the keeper at path to let the session of key go (its host key is not trusted now). */
static void
drop_kept(const char *path, const char *key)
{
	int fd = keeper_connect(path);

	if (fd < 0)
		return;
	mux_send(fd, 'U', key, strlen(key));
	close(fd);
}

/*
 * Each jump host under a kept session passes the trust decision a fresh
 * connection to it would (a revoked or changed hop key: the chain is not
 * used).  hops: "TYPE BASE64 CERT HOPKEY" lines.  0, or -1 said at -v.
 */
static int
hops_trusted(struct host *h, const struct options *o, const char *hops)
{
	struct outcome trust = OUTCOME_INIT;
	char *copy = xstrdup(hops), *line, *save = NULL, *type, *b64, *cert, *hop;
	int rc = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL && rc == 0;
	        line = strtok_r(NULL, "\n", &save)) {
		type = line;
		if ((b64 = strchr(type, ' ')) == NULL || (cert = strchr(b64 + 1, ' ')) == NULL ||
		        (hop = strchr(cert + 1, ' ')) == NULL) {
			rc = -1;
			log_msg(LOG_VERBOSE,
			        "%s: warm run: a keeper's jump host line does not parse", h->name);
			break;
		}
		*b64++ = '\0';
		*cert++ = '\0';
		*hop++ = '\0';
		if (jump_trust_kept(hop, o, type, b64, cert, &trust) < 0) {
			log_msg(LOG_VERBOSE,
			        "%s: warm run: the kept session's jump host %s is not trusted now "
			        "(%s: %s); it is closed, and the host connected afresh",
			        h->name, strchr(hop, '>') + 1, errkind_name(trust.kind),
			        trust.error ? trust.error : "");
			rc = -1;
		}
		outcome_clear(&trust);
	}
	free(copy);
	return rc;
}

const char *
mux_session(struct host *h, const struct options *o, const struct sshconf_host *cf, char **keyp,
        double *again)
{
	struct outcome trust = OUTCOME_INIT;
	const struct held *f;
	char *key;

	*keyp = NULL;
	if (table.n == 0)
		return NULL;
	key = mux_key(cf, o);
	f = find(key);
	if (f == NULL)
		goto fail;
	if (f->path == NULL) {
		*again = f->idle; /* its kept session died: the new one replaces it */
		goto fail;
	}
	if (connect_trust_kept(h, o, cf, f->key_type, f->key_b64, f->cert, f->clen, &trust) < 0) {
		log_msg(LOG_VERBOSE,
		        "%s: warm run: the kept session's host key is not trusted now (%s: %s); "
		        "it is closed, and the host connected afresh",
		        h->name, errkind_name(trust.kind), trust.error ? trust.error : "");
		outcome_clear(&trust);
		drop_kept(f->path, key);
		*again = f->idle;
		goto fail;
	}
	if (f->hops != NULL && hops_trusted(h, o, f->hops) < 0) {
		drop_kept(f->path, key);
		*again = f->idle;
		goto fail;
	}
	*keyp = key;
	return f->path;
fail:
	free(key);
	return NULL;
}

/*
 * Wait for the keeper's next frame until deadline: 0 a frame (or the
 * socket's end) is there, 1 a cancel, 2 the deadline passed.
 */
static int
wait_frame(int fd, double deadline)
{
	int w = wait_fd(fd, POLLIN, deadline);

	return w > 0 ? 0 : w < 0 ? 1 : 2;
}

char *
mux_done_text(const struct outcome *out, const struct run_exit *ex)
{
	/* The status as the wire's uint32 (4294967295 is a status, not "none"), -1 for none. */
	return xasprintf("%s %d %lld\n%s\n%s", errkind_name(out->kind), out->started ? 1 : 0,
	        ex->got_status && ex->signal == NULL ? (long long)(unsigned)ex->status : -1LL,
	        ex->signal != NULL ? ex->signal : "", out->error != NULL ? out->error : "");
}

void
mux_send_done(int fd, const struct outcome *out, const struct run_exit *ex)
{
	char *text = mux_done_text(out, ex);

	mux_send(fd, 'D', text, strlen(text));
	free(text);
}

int
mux_parse_done(char *data, struct outcome *out, struct run_exit *ex)
{
	char kind[32], *sig, *detail;
	int started;
	long long status;
	enum err_kind k;

	if (sscanf(data, "%31s %d %lld", kind, &started, &status) != 3 || status > 4294967295LL ||
	        (k = errkind_by_name(kind)) == EK__COUNT || (sig = strchr(data, '\n')) == NULL ||
	        (detail = strchr(sig + 1, '\n')) == NULL)
		return -1;
	sig++;
	*detail++ = '\0';
	outcome_clear(out);
	if (k != EK_NONE)
		outcome_set(out, k, PHASE_RUN, "%s", detail);
	out->started = started != 0;
	ex->signal = *sig != '\0' ? xstrdup(sig) : NULL;
	ex->got_status = ex->signal != NULL || status >= 0;
	ex->status = status >= 0 ? (int)(unsigned)status : -1;
	return 0;
}

/* The request's frames: what exec_channel needs, decided here, then "go". */
static int
send_request(int fd, const char *key, const struct run_request *rq, const struct options *o)
{
	char opts[2 * SUDO_MARKER_LEN + 2 > 160 ? 2 * SUDO_MARKER_LEN + 2 : 160];
	size_t len, off, i;

	snprintf(opts, sizeof opts, "%d %d %.3f %.3f %.3f %d", rq->tty ? 1 : 0,
	        rq->stdin_data != NULL, rq->timeout, o->persist, rq->alive_interval,
	        rq->alive_count);
	/* No command: an SFTP channel to relay ('F'). */
	if (mux_send(fd, 'k', key, strlen(key)) < 0 ||
	        (rq->command != NULL ? mux_send(fd, 'c', rq->command, strlen(rq->command))
	                             : mux_send(fd, 'F', NULL, 0)) < 0 ||
	        mux_send(fd, 'n', rq->name, strlen(rq->name)) < 0 ||
	        mux_send(fd, 'p', opts, strlen(opts)) < 0)
		return -1;
	for (i = 0; i < rq->nenv; i++) {
		if (mux_send(fd, 'v', rq->env[i], strlen(rq->env[i])) < 0)
			return -1;
	}
	/* --sudo's markers; never its password (attempt.c sends no such run here). */
	if (rq->sudo != NULL) {
		snprintf(opts, sizeof opts, "%s %s", rq->sudo->prompt, rq->sudo->ok);
		if (mux_send(fd, 'P', opts, strlen(opts)) < 0)
			return -1;
	}
	for (off = 0; rq->stdin_data != NULL && off < rq->stdin_len; off += len) {
		len = rq->stdin_len - off > 65536 ? 65536 : rq->stdin_len - off;
		if (mux_send(fd, 'i', rq->stdin_data + off, len) < 0)
			return -1;
	}
	return mux_send(fd, 'g', NULL, 0);
}

/* The keeper's "started": who the kept session logged in as ("user\nport"). */
static void
kept_started(struct host *h, char *data)
{
	char *nl = strchr(data, '\n');

	pthread_mutex_lock(&h->lock);
	free(h->login_user);
	if (nl != NULL)
		*nl = '\0';
	h->login_user = xstrdup(data);
	h->login_port = nl != NULL ? atoi(nl + 1) : 22;
	pthread_mutex_unlock(&h->lock);
	log_msg(LOG_DEBUG, "%s: running over a kept session", h->name);
}

/* The keeper's "not held" ("IDLE reason"): IDLE > 0 when the kept session died. */
static void
not_held(struct host *h, const char *data, double *again)
{
	char *nl;

	*again = strtod(data, &nl);
	log_msg(LOG_VERBOSE, "%s: warm run: %s; connecting afresh", h->name,
	        *nl == ' ' ? nl + 1 : nl);
}

/* How long a keeper has to say whether it started a request: the connect timeout (-t). */
static double
start_by(const struct options *o)
{
	return wait_now() + (o->connect_timeout > 0 ? o->connect_timeout : 10);
}

int
mux_sftp(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const struct run_request *rq, double *again)
{
	char *key, *data = NULL, type = 0;
	const char *path;
	size_t len;
	int fd = -1;

	if ((path = mux_session(h, o, cf, &key, again)) == NULL)
		return MUX_NOT_HELD;
	if ((fd = keeper_connect(path)) >= 0 && send_request(fd, key, rq, o) == 0 &&
	        mux_recv_by(fd, &type, &data, &len, start_by(o)) == 0 && type == 'A') {
		kept_started(h, data);
		log_msg(LOG_VERBOSE, "%s: copying over a kept session (keeper %s)", h->name, path);
		free(data);
		free(key);
		return fd;
	}
	if (data != NULL && type == 'N')
		not_held(h, data, again);
	else if (fd >= 0 && !cancel_requested())
		log_msg(LOG_VERBOSE, "%s: warm run: keeper %s did not answer; connecting afresh",
		        h->name, path);
	free(data);
	free(key);
	if (fd >= 0)
		close(fd);
	return MUX_NOT_HELD;
}

int
mux_run(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const struct run_request *rq, const struct run_sink *sk, struct outcome *out, double *again)
{
	struct run_exit ex = {false, -1, NULL};
	char *key, *data = NULL;
	const char *path;
	char type;
	size_t len;
	int fd = -1, rc = MUX_NOT_HELD, w;
	double answer_by, heard = 0;

	if ((path = mux_session(h, o, cf, &key, again)) == NULL)
		goto out;
	if ((fd = keeper_connect(path)) < 0)
		goto out;
	/*
	 * The keeper may start the command as soon as it reads the request:
	 * on a gateway, the root hears first that it may start (event.c).
	 */
	event_phase(h, PHASE_RUN);
	if (send_request(fd, key, rq, o) < 0)
		goto out;
	out->started = false;
	/*
	 * Until the keeper says whether the command started, a short deadline
	 * (it may be stopped); then its frames, 'h' at least, every
	 * MUX_HEARTBEAT_S: one silent MUX_SILENT_S is stopped or hung.
	 */
	answer_by = start_by(o);
	for (;;) {
		w = wait_frame(fd, out->started ? heard + MUX_SILENT_S : answer_by);
		if (w == 2 && out->started) {
			mux_send(fd, 'x', NULL, 0);
			outcome_set(out, EK_LOST, PHASE_RUN,
			        "the keeper %s said nothing for %.0f s while the command ran", path,
			        MUX_SILENT_S);
			break;
		}
		if (w == 2) {
			log_msg(LOG_VERBOSE,
			        "%s: warm run: keeper %s did not answer; connecting afresh",
			        h->name, path);
			mux_send(fd, 'x', NULL, 0);
			goto out;
		}
		if (w > 0) {
			/* The keeper kills the remote command when told or when we go. */
			mux_send(fd, 'x', NULL, 0);
			if (out->started) {
				outcome_set(out, EK_CANCELLED, PHASE_RUN,
				        "interrupted; remote command killed");
				break;
			}
			goto out;
		}
		free(data);
		if (mux_recv(fd, &type, &data, &len) < 0) {
			data = NULL;
			if (out->started) {
				/* As a connection that broke: the command's end is unknown. */
				outcome_set(out, EK_LOST, PHASE_RUN,
				        "the keeper went away while the command ran");
				break;
			}
			goto out;
		}
		heard = wait_now();
		if (type == 'h')
			continue; /* the keeper is alive; nothing else */
		if (type == 'N') {
			not_held(h, data, again);
			goto out;
		}
		/* From here the keeper's run is this attempt's: its end is the host's. */
		rc = -1;
		if (type == 'A') {
			kept_started(h, data);
			host_phase(h, PHASE_RUN, wait_now());
			output_host_start(h);
			out->started = true;
			if (sk->started != NULL)
				sk->started(sk->ctx);
		} else if ((type == 'o' || type == 'e') && out->started && len > 0) {
			sk->data(sk->ctx, type == 'e', data, len);
		} else if (type == 'D') {
			if (mux_parse_done(data, out, &ex) < 0)
				outcome_set(out, EK_CHANNEL, PHASE_RUN,
				        "the keeper's answer was not understood");
			else if (ex.got_status &&
			         (out->kind == EK_NONE || out->kind == EK_EXIT_NONZERO ||
			                 out->kind == EK_SIGNAL))
				rc = 0;
			break;
		}
	}
	/* As exec_channel ends a cold run: the host's sink gets the end. */
	if (sk->done != NULL)
		sk->done(sk->ctx, out, &ex);
	if (rc == MUX_NOT_HELD)
		rc = -1;
out:
	free(ex.signal);
	free(data);
	free(key);
	if (fd >= 0)
		close(fd);
	return rc;
}
