/*
 * mux.c - the client side of warm runs (see keeper.c for the other side).
 *
 * mux_init runs once, before the workers start: it lists the user's keeper
 * sockets, checks each peer is this user, asks each for the keys of the
 * sessions it holds and keeps a sorted table key -> socket; a socket nobody
 * answers on is a keeper that died and is removed.  Workers then read the
 * table without a lock.  mux_run opens a connection to the keeper of the
 * host's key, sends the request and turns the frames that come back into
 * exec_run's result: the same output calls, the same error kinds.  Only a
 * keeper's "not held" (no channel was opened, so no command started) lets
 * the caller connect afresh; anything after the keeper's "started" is the
 * command's result, never retried.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
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
};

static struct {
	char **socks;
	size_t nsocks;
	struct held *v;
	size_t n;
} table;

char *
mux_dir(bool create, const char **why)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *dir;
	struct stat st;

	if (rt != NULL && *rt == '/')
		dir = xasprintf("%s/shoal", rt);
	else if (sshconf_ssh_dir() != NULL)
		dir = xasprintf("%s/shoal", sshconf_ssh_dir());
	else {
		*why = "no XDG_RUNTIME_DIR and no home directory";
		return NULL;
	}
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*why = "cannot make the directory";
		goto fail;
	}
	if (lstat(dir, &st) < 0) {
		*why = "no keeper directory";
		goto fail;
	}
	/* Only a directory of ours that nobody else may enter holds sockets we trust. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		*why = "the keeper directory is not a 0700 directory of this user";
		goto fail;
	}
	return dir;
fail:
	free(dir);
	return NULL;
}

static void
stat_tag(struct buf *b, const char *what, const char *path)
{
	struct stat st;

	if (path == NULL || stat(path, &st) < 0) {
		buf_appendf(b, " %s=%s:-", what, path ? path : "");
		return;
	}
	buf_appendf(b, " %s=%s:%lu:%lu:%lld:%lld.%09ld", what, path, (unsigned long)st.st_dev,
	        (unsigned long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	        st.st_mtim.tv_nsec);
}

char *
mux_key(const struct host *h, const struct options *o)
{
	const char *dir = sshconf_ssh_dir();
	char *path;
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_appendf(&b, "v1 uid=%u alias=%s user=%s port=%d policy=%d", (unsigned)getuid(),
	        h->addr ? h->addr : h->alias, h->user ? h->user : (o->user ? o->user : "-"),
	        h->port ? h->port : o->port, (int)o->hostkey_policy);
	for (i = 0; i < o->nidentities; i++) {
		buf_appendf(&b, " id=%s", o->identities[i]);
		stat_tag(&b, "idf", o->identities[i]);
	}
	/* Any edit of a file that decides the connection gives another key. */
	if (o->ssh_config != NULL) {
		stat_tag(&b, "cfg", o->ssh_config);
	} else if (dir != NULL) {
		path = xasprintf("%s/config", dir);
		stat_tag(&b, "cfg", path);
		free(path);
	}
	stat_tag(&b, "etc", "/etc/ssh/ssh_config");
	if (o->known_hosts != NULL) {
		stat_tag(&b, "kh", o->known_hosts);
	} else if (dir != NULL) {
		path = xasprintf("%s/known_hosts", dir);
		stat_tag(&b, "kh", path);
		free(path);
	}
	stat_tag(&b, "gkh", "/etc/ssh/ssh_known_hosts");
	return buf_steal(&b);
}

int
mux_send(int fd, char type, const void *data, size_t len)
{
	unsigned char hdr[5];
	struct iovec iov[2];
	struct msghdr mh;
	size_t left = 5 + len;
	ssize_t n;
	uint32_t l = htonl((uint32_t)len);

	hdr[0] = (unsigned char)type;
	memcpy(hdr + 1, &l, 4);
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

static int
read_full(int fd, void *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
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
mux_recv(int fd, char *type, char **data, size_t *len)
{
	unsigned char hdr[5];
	uint32_t l;

	*data = NULL;
	if (read_full(fd, hdr, 5) < 0)
		return -1;
	memcpy(&l, hdr + 1, 4);
	l = ntohl(l);
	if (l > MUX_FRAME_MAX)
		return -1;
	*data = xmalloc((size_t)l + 1);
	if (read_full(fd, *data, l) < 0) {
		free(*data);
		*data = NULL;
		return -1;
	}
	(*data)[l] = '\0';
	*type = (char)hdr[0];
	*len = l;
	return 0;
}

bool
mux_peer_is_me(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == getuid();
}

/* A connection to the keeper at path whose peer is this user, or -1. */
static int
keeper_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno == ECONNREFUSED)
			unlink(path); /* its keeper is gone */
		close(fd);
		return -1;
	}
	if (!mux_peer_is_me(fd)) {
		log_msg(LOG_NORMAL, "warm runs: %s is not served by this user; ignored", path);
		close(fd);
		return -1;
	}
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

/* The socket paths in the keeper directory, each passed to fn. */
static void
each_socket(void (*fn)(const char *path))
{
	const char *why = NULL;
	char *dir = mux_dir(false, &why), *path;
	struct dirent *de;
	DIR *d;
	size_t l;

	if (dir == NULL) {
		if (strcmp(why, "no keeper directory") != 0)
			log_msg(LOG_VERBOSE, "warm runs: %s", why);
		return;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			l = strlen(de->d_name);
			if (l < 6 || strcmp(de->d_name + l - 5, ".sock") != 0)
				continue;
			path = xasprintf("%s/%s", dir, de->d_name);
			fn(path);
			free(path);
		}
		closedir(d);
	}
	free(dir);
}

static void
list_one(const char *path)
{
	char type, *data = NULL;
	size_t len;
	const char *sp;
	int fd = keeper_connect(path);

	if (fd < 0)
		return;
	table.socks = xreallocarray(table.socks, table.nsocks + 1, sizeof *table.socks);
	sp = table.socks[table.nsocks++] = xstrdup(path);
	if (mux_send(fd, 'L', NULL, 0) < 0)
		goto out;
	while (mux_recv(fd, &type, &data, &len) == 0 && (type == 'K' || type == 'R')) {
		char *key = data, *end = data;
		double idle = type == 'R' ? strtod(data, &end) : 0;

		if (type == 'R') {
			if (*end != ' ') {
				free(data);
				data = NULL;
				continue;
			}
			key = xstrdup(end + 1);
			free(data);
		}
		table.v = xreallocarray(table.v, table.n + 1, sizeof *table.v);
		table.v[table.n].key = key;
		table.v[table.n].path = type == 'K' ? sp : NULL;
		table.v[table.n++].idle = idle;
		data = NULL;
	}
out:
	free(data);
	close(fd);
}

static int nstopped;

static void
stop_one(const char *path)
{
	char type, *data = NULL;
	size_t len;
	int fd = keeper_connect(path);

	if (fd < 0)
		return;
	if (mux_send(fd, 'S', NULL, 0) == 0 && mux_recv(fd, &type, &data, &len) == 0)
		nstopped++;
	free(data);
	close(fd);
}

int
mux_stop_all(void)
{
	nstopped = 0;
	each_socket(stop_one);
	return nstopped;
}

void
mux_init(const struct options *o)
{
	if (o->persist == 0) {
		int n = mux_stop_all();

		log_msg(LOG_VERBOSE, "warm runs: told %d keeper%s to close", n, n == 1 ? "" : "s");
		return;
	}
	each_socket(list_one);
	if (table.n > 0)
		qsort(table.v, table.n, sizeof *table.v, held_cmp);
	log_msg(LOG_DEBUG, "warm runs: %zu kept session%s in %zu keeper%s", table.n,
	        table.n == 1 ? "" : "s", table.nsocks, table.nsocks == 1 ? "" : "s");
}

void
mux_free(void)
{
	size_t i;

	for (i = 0; i < table.n; i++)
		free(table.v[i].key);
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

const char *
mux_lookup(const char *key)
{
	const struct held *f = find(key);

	return f ? f->path : NULL;
}

/* Wait for the keeper's next frame, or a cancel (returns 1), or the socket's end (-1). */
static int
wait_frame(int fd)
{
	struct pollfd pfd[2];
	int r;

	for (;;) {
		if (cancel_requested())
			return 1;
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = cancel_fd();
		pfd[1].events = POLLIN;
		r = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, pfd[1].fd >= 0 ? -1 : 100);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && pfd[0].revents != 0)
			return 0;
	}
}

int
mux_run(struct host *h, const struct options *o, const struct exec_params *p, struct outcome *out,
        double *again)
{
	char *key, *data = NULL, *nl;
	const char *path;
	char type, opts[128];
	size_t len, off;
	bool started = false, got_status = false;
	int fd = -1, rc = MUX_NOT_HELD, w;

	if (table.n == 0)
		return MUX_NOT_HELD; /* no keeper: not even the key's stat calls */
	key = mux_key(h, o);
	path = mux_lookup(key);
	if (path == NULL) {
		const struct held *f = find(key);

		if (f != NULL) /* its kept session died: the new one replaces it */
			*again = f->idle;
		goto out;
	}
	if ((fd = keeper_connect(path)) < 0)
		goto out;
	snprintf(opts, sizeof opts, "%d %d %.3f %.3f", p->tty ? 1 : 0, p->stdin_data != NULL,
	        p->timeout, o->persist);
	if (mux_send(fd, 'k', key, strlen(key)) < 0 ||
	        mux_send(fd, 'c', p->command, strlen(p->command)) < 0 ||
	        mux_send(fd, 'p', opts, strlen(opts)) < 0)
		goto out;
	for (off = 0; p->stdin_data != NULL && off < p->stdin_len; off += len) {
		len = p->stdin_len - off > 65536 ? 65536 : p->stdin_len - off;
		if (mux_send(fd, 'i', p->stdin_data + off, len) < 0)
			goto out;
	}
	if (mux_send(fd, 'g', NULL, 0) < 0)
		goto out;
	for (;;) {
		w = wait_frame(fd);
		if (w > 0) {
			/* The keeper kills the remote command when told or when we go. */
			mux_send(fd, 'x', NULL, 0);
			if (started) {
				outcome_set(out, EK_CANCELLED, PHASE_RUN,
				        "interrupted; remote command killed");
				rc = -1;
			}
			goto out;
		}
		free(data);
		if (w < 0 || mux_recv(fd, &type, &data, &len) < 0) {
			data = NULL;
			if (started) {
				outcome_set(out, EK_CHANNEL, PHASE_RUN,
				        "the keeper went away while the command ran");
				rc = -1;
			}
			goto out;
		}
		switch (type) {
		case 'N':
			/* "IDLE reason": IDLE > 0 when the kept session died. */
			*again = strtod(data, &nl);
			log_msg(LOG_VERBOSE, "%s: warm run: %s; connecting afresh", h->name,
			        *nl == ' ' ? nl + 1 : nl);
			goto out;
		case 'A':
			/* "user\nport": who the kept session logged in as. */
			started = true;
			rc = -1;
			nl = strchr(data, '\n');
			pthread_mutex_lock(&h->lock);
			free(h->login_user);
			if (nl != NULL)
				*nl = '\0';
			h->login_user = xstrdup(data);
			h->login_port = nl != NULL ? atoi(nl + 1) : 22;
			pthread_mutex_unlock(&h->lock);
			host_phase(h, PHASE_RUN, wait_now());
			output_host_start(h);
			log_msg(LOG_DEBUG, "%s: running over a kept session", h->name);
			break;
		case 'o':
		case 'e':
			if (started && len > 0)
				output_host_data(h, type == 'e', data, len);
			break;
		case 's':
			h->exit_signal = xstrdup(data); /* escaped by the keeper */
			outcome_set(out, EK_SIGNAL, PHASE_RUN, "killed by signal %s", data);
			got_status = true;
			break;
		case 'X':
			h->exit_code = atoi(data);
			if (h->exit_code != 0)
				outcome_set(out, EK_EXIT_NONZERO, PHASE_RUN,
				        "exited with status %d", h->exit_code);
			got_status = true;
			break;
		case 'T':
			outcome_set(out, EK_COMMAND_TIMEOUT, PHASE_RUN, "%s", data);
			rc = -1;
			goto out;
		case 'F':
			/* Even before "started": an exec request may have left. */
			outcome_set(out, EK_CHANNEL, PHASE_RUN, "%s", data);
			rc = -1;
			goto out;
		case 'd':
			if (got_status)
				rc = 0;
			else
				outcome_set(out, EK_CHANNEL, PHASE_RUN,
				        "channel closed without an exit status");
			goto out;
		default:
			break;
		}
	}
out:
	free(data);
	free(key);
	if (fd >= 0)
		close(fd);
	return rc;
}
