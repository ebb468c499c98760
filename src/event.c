/*
 * event.c - a host's life as a stream of events (event.h).
 *
 * Gateway side: each step is one frame, written whole with one writev under
 * a mutex, so the workers' frames never mix.  A write that fails (the root
 * went away) cancels the run: there is nobody left to report to.
 *
 * Root side: a gateway's channel bytes come through output_host_data for
 * the gateway's own struct host, on the worker that runs it; the reader cuts
 * them into frames and replays each into the target it names, on that same
 * worker.  A frame for a target the gateway was not given, a malformed one
 * or another protocol version stops the replay: the gateway's targets are
 * then settled as if it had died (tree.c).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "escape.h"
#include "event.h"
#include "log.h"
#include "output.h"
#include "transfer.h"
#include "wait.h"
#include "xmalloc.h"

/* The longest text of a gateway's (an error, a user name) kept. */
#define TEXT_MAX 4096
/* A frame longer than this is a broken stream (output comes in read chunks). */
#define FRAME_MAX (4 * 1024 * 1024)

enum {
	EV_HELLO = 'V',
	EV_ATTEMPT = 'a',
	EV_PHASE = 'p',
	EV_ATTEMPT_END = 'e',
	EV_RETRY_WAIT = 'w',
	EV_START = 's',
	EV_STDOUT = 'o',
	EV_STDERR = 'r',
	EV_DONE = 'f',
	EV_END = 'x',
	EV_NOTE = 'n', /* host_note's text */
	EV_XFER = 'b', /* --copy, --rcopy progress: bytes moved, bytes to move */
	/* --rcopy: a target's files, sent up before its done frame */
	EV_DIR = 'D',
	EV_FILE = 'F',
	EV_BYTES = 'B',
	EV_CLOSE = 'C',
	EV_SEAL = 'M',
};

/* A file's bytes go up in frames of this size (well below FRAME_MAX). */
#define CHUNK (256 * 1024)
/* Directory levels sent up: transfer.c pulls at most 64. */
#define FILES_DEPTH 80

/*
 * Frames gather in pending and one writer thread sends them: every frame a
 * write of its own made as many SSH packets, and as many wake-ups of the
 * root, as events.  The writer waits GATHER_MS after the first frame for
 * more; an emitter waits while PENDING_MAX bytes are not sent yet (a slow
 * root slows the gateway's reads from its hosts, it does not fill memory).
 */
#define GATHER_MS   50
#define PENDING_MAX (4 * 1024 * 1024)

static pthread_mutex_t stream_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stream_cond = PTHREAD_COND_INITIALIZER; /* pending grew or shrank */
static struct buf pending;
static bool writer_on, writer_stop;
/*
 * A frame that must be out before its emitter goes on (emit_now): the
 * writer skips the gather, and the emitter waits until the batch it is in
 * (batches taken and written, counted) is written.
 */
static bool urgent;
static unsigned long batches_taken, batches_written;
static pthread_t writer;
static int stream_fd = -1;
static bool stream_broken;
static const size_t *stream_index;
static size_t stream_n;
static const struct transfer_plan *stream_rcopy; /* --rcopy: the private folder */

static void
write_out(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(stream_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pthread_mutex_lock(&stream_mutex);
			stream_broken = true;
			pthread_cond_broadcast(&stream_cond);
			pthread_mutex_unlock(&stream_mutex);
			cancel_request();
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void *
writer_main(void *arg)
{
	struct buf out;

	(void)arg;
	buf_init(&out);
	pthread_mutex_lock(&stream_mutex);
	for (;;) {
		struct buf t;
		unsigned long batch;

		while (pending.len == 0 && !writer_stop)
			pthread_cond_wait(&stream_cond, &stream_mutex);
		if (pending.len == 0)
			break;
		if (!writer_stop && pending.len < PENDING_MAX / 4) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += GATHER_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			/* The whole GATHER_MS: a wake-up is the end, a flood or the next frame. */
			while (!writer_stop && !urgent && pending.len < PENDING_MAX / 4 &&
			        pthread_cond_timedwait(&stream_cond, &stream_mutex, &ts) !=
			                ETIMEDOUT)
				;
		}
		t = out;
		out = pending;
		pending = t;
		buf_reset(&pending);
		urgent = false;
		batch = ++batches_taken;
		pthread_cond_broadcast(&stream_cond);
		pthread_mutex_unlock(&stream_mutex);
		if (!stream_broken)
			write_out(out.p, out.len);
		buf_reset(&out);
		pthread_mutex_lock(&stream_mutex);
		batches_written = batch;
		pthread_cond_broadcast(&stream_cond);
	}
	pthread_mutex_unlock(&stream_mutex);
	buf_free(&out);
	return NULL;
}

static void
emit_frame(char type, size_t index, const char *p, size_t n, bool now)
{
	pthread_mutex_lock(&stream_mutex);
	while (pending.len >= PENDING_MAX && !stream_broken)
		pthread_cond_wait(&stream_cond, &stream_mutex);
	if (!stream_broken) {
		bool first = pending.len == 0;
		unsigned long mine = batches_taken + 1;

		buf_appendf(&pending, "%c %zu %zu\n", type, index, n);
		buf_append(&pending, p, n);
		/*
		 * The writer is woken by the first frame of a batch, or by one
		 * that makes it big; one woken by every frame sent a packet
		 * every two frames.
		 */
		if (now)
			urgent = true;
		if (first || now || pending.len >= PENDING_MAX / 4)
			pthread_cond_broadcast(&stream_cond);
		while (now && batches_written < mine && !stream_broken)
			pthread_cond_wait(&stream_cond, &stream_mutex);
	}
	pthread_mutex_unlock(&stream_mutex);
}

static void
emit(char type, size_t index, const char *p, size_t n)
{
	emit_frame(type, index, p, n, false);
}

/* h is one of this gateway's targets (a gateway of its own, a level down, is not). */
static bool
streaming(const struct host *h)
{
	return stream_fd >= 0 && h->events == NULL && h->index < stream_n;
}

/* A field of a frame's payload: each ends with a NUL byte. */
static void
field(struct buf *b, const char *s)
{
	buf_appends(b, s ? s : "");
	buf_appendc(b, '\0');
}

static void
emit_fields(char type, const struct host *h, struct buf *b)
{
	emit(type, stream_index[h->index], b->p ? b->p : "", b->len);
	buf_free(b);
}

void
event_stream_hosts(const size_t *root_index, size_t n)
{
	stream_index = root_index;
	stream_n = n;
}

void
event_stream_start(int fd)
{
	struct buf b;
	char proto[32];

	stream_fd = fd;
	buf_init(&pending);
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0)
		fatal("cannot start the event writer thread");
	writer_on = true;
	buf_init(&b);
	snprintf(proto, sizeof proto, "shoal-events %d", EVENT_PROTO);
	field(&b, proto);
	field(&b, PACKAGE_VERSION);
	emit(EV_HELLO, 0, b.p, b.len);
	buf_free(&b);
}

int
event_stream_end(void)
{
	if (stream_fd < 0)
		return 0;
	emit(EV_END, 0, "", 0);
	if (writer_on) {
		pthread_mutex_lock(&stream_mutex);
		writer_stop = true;
		pthread_cond_broadcast(&stream_cond);
		pthread_mutex_unlock(&stream_mutex);
		pthread_join(writer, NULL);
		writer_on = false;
	}
	buf_free(&pending);
	stream_fd = -1;
	return stream_broken ? 3 : 0;
}

void
event_attempt_begin(const struct host *h)
{
	if (streaming(h))
		emit(EV_ATTEMPT, stream_index[h->index], "", 0);
}

/*
 * The run phase says the command may start from now: the root hands a
 * target on to another gateway only while it has not heard that.  So that
 * frame is written (into the channel to the root, which outlives this
 * process) before the command can start, not gathered: a gateway killed
 * after starting a command never leaves the root thinking it had not.
 */
void
event_phase(const struct host *h, enum phase phase)
{
	if (streaming(h)) {
		const char *k = errkind_phase_key(phase);

		emit_frame(EV_PHASE, stream_index[h->index], k, strlen(k), phase == PHASE_RUN);
	}
}

void
event_attempt_end(const struct host *h, const struct outcome *out)
{
	struct buf b;

	if (!streaming(h))
		return;
	buf_init(&b);
	field(&b, errkind_name(out->kind));
	field(&b, errkind_phase_key(out->phase));
	field(&b, out->error);
	field(&b, out->started ? "1" : "0");
	emit_fields(EV_ATTEMPT_END, h, &b);
}

void
event_retry_wait(const struct host *h, double delay)
{
	char s[32];

	if (streaming(h)) {
		snprintf(s, sizeof s, "%.3f", delay);
		emit(EV_RETRY_WAIT, stream_index[h->index], s, strlen(s));
	}
}

/* Progress goes up at most this often a target (seconds): the view draws a few times a second. */
#define XFER_EVERY 0.25

void
event_xfer(struct host *h, uint64_t done, uint64_t total, bool at_once)
{
	char s[64];
	double now;

	if (!streaming(h) || ((now = wait_now()) - h->xfer_sent < XFER_EVERY && !at_once))
		return;
	h->xfer_sent = now;
	snprintf(s, sizeof s, "%llu %llu", (unsigned long long)done, (unsigned long long)total);
	emit(EV_XFER, stream_index[h->index], s, strlen(s));
}

bool
event_note(const struct host *h, const char *text)
{
	if (!streaming(h))
		return false;
	emit(EV_NOTE, stream_index[h->index], text, strlen(text));
	return true;
}

/* Who the host logged in as, and through what: the root shows them as its own. */
static void
login_fields(struct buf *b, const struct host *h)
{
	char port[16];

	snprintf(port, sizeof port, "%d", h->login_port);
	field(b, h->login_user);
	field(b, port);
	field(b, h->via);
}

/* ---- a target's files (--rcopy), gateway side ---- */

static bool
stream_ok(void)
{
	bool ok;

	pthread_mutex_lock(&stream_mutex);
	ok = !stream_broken;
	pthread_mutex_unlock(&stream_mutex);
	return ok;
}

/* mode, then (with -P) atime and mtime: fields of 'C' and 'M'. */
static void
attr_fields(struct buf *b, const struct stat *st)
{
	char n[32];

	snprintf(n, sizeof n, "%o", (unsigned)(st->st_mode & 07777));
	field(b, n);
	snprintf(n, sizeof n, "%lld", (long long)st->st_atime);
	field(b, stream_rcopy->preserve ? n : "");
	snprintf(n, sizeof n, "%lld", (long long)st->st_mtime);
	field(b, stream_rcopy->preserve ? n : "");
}

void
event_dir_made(const struct host *h, const char *rel)
{
	struct buf b;

	if (stream_rcopy == NULL || !streaming(h))
		return;
	buf_init(&b);
	field(&b, rel);
	emit_fields(EV_DIR, h, &b);
}

/* One staged file up, then gone (its directories went up as they were made). */
static void
send_file(const struct host *h, int dfd, const char *name, const char *rel)
{
	struct stat st;
	struct buf b;
	char size[32], *chunk;
	size_t want;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	/* The times as the pull left them, before reading changes the access time. */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	buf_init(&b);
	field(&b, rel);
	snprintf(size, sizeof size, "%llu", (unsigned long long)st.st_size);
	field(&b, size);
	emit_fields(EV_FILE, h, &b);
	/* A small file, a small buffer: most files of a tree are. */
	want = st.st_size > 0 && (uint64_t)st.st_size < CHUNK ? (size_t)st.st_size : CHUNK;
	chunk = xmalloc(want);
	for (;;) {
		ssize_t n = read(fd, chunk, want);

		if (n < 0 && errno == EINTR)
			continue;
		/* A read that fails ends the file short: the root's size check fails it. */
		if (n <= 0 || !stream_ok())
			break;
		emit(EV_BYTES, stream_index[h->index], chunk, (size_t)n);
	}
	free(chunk);
	close(fd);
	buf_init(&b);
	attr_fields(&b, &st);
	emit_fields(EV_CLOSE, h, &b);
	unlinkat(dfd, name, 0);
}

void
event_file_whole(const struct host *h, int dfd, const char *name, const char *rel)
{
	if (stream_rcopy != NULL && streaming(h) && stream_ok())
		send_file(h, dfd, name, rel);
}

/*
 * What directory dfd (rel below the host's folder) still holds, each entry
 * removed once sent: every directory's seal, after what is below it (its
 * 'D' went when it was made, its files when they were whole).
 */
static void
send_dir(const struct host *h, int dfd, const char *rel, int depth)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL && stream_ok()) {
		struct stat st;
		struct buf b;
		char *sub;
		int cfd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		        fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		if (S_ISREG(st.st_mode)) {
			send_file(h, dfd, e->d_name, sub);
		} else if (S_ISDIR(st.st_mode) && depth < FILES_DEPTH &&
		           (cfd = openat(dfd, e->d_name,
		                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			/* Its mode was read: now it is opened up to empty it. */
			fchmod(cfd, 0700);
			send_dir(h, cfd, sub, depth + 1);
			buf_init(&b);
			field(&b, sub);
			attr_fields(&b, &st);
			emit_fields(EV_SEAL, h, &b);
			close(cfd);
			unlinkat(dfd, e->d_name, AT_REMOVEDIR);
		}
		free(sub);
	}
	closedir(d);
}

/*
 * h is done: its files went up as they were pulled (event_file_whole); what
 * is left in the private folder goes up (the seals, last), then the folder
 * goes.
 */
static void
send_files(struct host *h)
{
	char *name = host_file_name(h->name), *dir;
	uint64_t done, total;
	int fd;

	/* The pull's last figures, which the throttle may have held back. */
	pthread_mutex_lock(&h->lock);
	done = h->xfer_done;
	total = h->xfer_total;
	pthread_mutex_unlock(&h->lock);
	event_xfer(h, done, total, true);
	dir = xasprintf("%s/%s", stream_rcopy->dest, name);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		send_dir(h, fd, "", 0);
		close(fd);
		rmdir(dir);
	}
	free(dir);
	free(name);
}

void
event_stream_rcopy(const struct transfer_plan *p)
{
	stream_rcopy = p;
}

/* ---- root side ---- */

struct event_reader {
	struct host **targets;
	size_t n;
	struct event_reader_ops ops;
	struct buf in;  /* bytes of a frame not whole yet */
	struct buf err; /* the gateway's stderr line not whole yet */
	char *last_err;
	bool hello;
	char *broken;
	struct transfer_in **files; /* --rcopy: by target, its files coming up */
};

static void files_end_all(struct event_reader *r);

bool
event_host_start(struct host *h)
{
	struct buf b;

	if (h->events != NULL)
		return true;
	if (!streaming(h))
		return false;
	buf_init(&b);
	login_fields(&b, h);
	emit_fields(EV_START, h, &b);
	return true;
}

bool
event_host_done(struct host *h)
{
	struct buf b;
	char code[32];

	if (h->events != NULL) {
		files_end_all(h->events);
		h->events->ops.done(h->events->ops.arg, h);
		return true;
	}
	if (!streaming(h))
		return false;
	if (stream_rcopy != NULL)
		send_files(h);
	buf_init(&b);
	snprintf(code, sizeof code, "%lld", h->exit_code);
	field(&b, errkind_name(h->kind));
	field(&b, code);
	field(&b, h->exit_signal);
	field(&b, h->error);
	login_fields(&b, h);
	snprintf(code, sizeof code, "%llu", (unsigned long long)h->xfer_done);
	field(&b, code);
	emit_fields(EV_DONE, h, &b);
	return true;
}

/* Split a payload into at most max NUL-separated fields; returns how many. */
static size_t
split(char *p, size_t n, char **f, size_t max)
{
	size_t k = 0;
	char *end = p + n;

	while (k < max) {
		f[k++] = p;
		p = memchr(p, '\0', (size_t)(end - p));
		if (p == NULL)
			break;
		p++;
	}
	return k;
}

/*
 * A gateway's text made printable again, as the root's own texts are: a
 * gateway is a host, and no host's byte reaches a terminal unescaped.  NULL
 * for "".
 */
static char *
printable(const char *s)
{
	return *s ? escape_text(s, strlen(s), TEXT_MAX) : NULL;
}

static void
set_login(struct host *h, const char *user, const char *port, const char *via, const char *gw)
{
	char *v = printable(via);

	pthread_mutex_lock(&h->lock);
	free(h->login_user);
	h->login_user = printable(user);
	h->login_port = atoi(port);
	free(h->via);
	h->via = v ? xasprintf("%s,%s", gw, v) : xstrdup(gw);
	pthread_mutex_unlock(&h->lock);
	free(v);
}

static void
reader_break(struct event_reader *r, struct host *gw, char *why)
{
	if (r->broken == NULL) {
		r->broken = why;
		log_msg(LOG_QUIET, "%s: gateway: %s", gw->name, why);
	} else {
		free(why);
	}
}

/* A number of a frame's: digits only, in base. */
static bool
number(const char *s, int base, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return *end == '\0' && errno == 0;
}

/* f[0] the mode, f[1] and f[2] the times ("" without -P). */
static bool
file_attrs(char **f, uint32_t *mode, uint32_t times[2], bool *has_times)
{
	unsigned long long m, a = 0, t = 0;

	*has_times = *f[1] != '\0' || *f[2] != '\0';
	if (!number(f[0], 8, &m) || m > 07777 ||
	        (*has_times && (!number(f[1], 10, &a) || !number(f[2], 10, &t) || a > UINT32_MAX ||
	                               t > UINT32_MAX)))
		return false;
	*mode = (uint32_t)m;
	times[0] = (uint32_t)a;
	times[1] = (uint32_t)t;
	return true;
}

/* A frame of target i's files (--rcopy): written by transfer.c.  -1: a bad one. */
static int
replay_file(struct event_reader *r, char type, size_t i, char *p, size_t n)
{
	struct transfer_in *t;
	struct host *h = r->targets[i];
	char *f[4] = {NULL};
	uint32_t mode, times[2];
	unsigned long long size;
	bool has_times, done;

	if (r->ops.rcopy == NULL)
		return -1;
	if (r->files == NULL)
		r->files = xcalloc(r->n, sizeof *r->files);
	if (r->files[i] == NULL) {
		/* Files come before the target's done frame, never after. */
		pthread_mutex_lock(&h->lock);
		done = h->state == HOST_OK || h->state == HOST_FAILED || h->state == HOST_SKIPPED;
		pthread_mutex_unlock(&h->lock);
		if (done)
			return -1;
		r->files[i] = transfer_in_new(r->ops.rcopy, h);
	}
	t = r->files[i];
	switch (type) {
	case EV_BYTES:
		return transfer_in_data(t, p, n);
	case EV_DIR:
		return split(p, n, f, 1) < 1 ? -1 : transfer_in_dir(t, f[0]);
	case EV_FILE:
		if (split(p, n, f, 2) < 2 || !number(f[1], 10, &size))
			return -1;
		return transfer_in_file(t, f[0], size);
	case EV_CLOSE:
		if (split(p, n, f, 3) < 3 || !file_attrs(f, &mode, times, &has_times))
			return -1;
		return transfer_in_close(t, mode, has_times ? times : NULL);
	default: /* EV_SEAL */
		if (split(p, n, f, 4) < 4 || !file_attrs(f + 1, &mode, times, &has_times))
			return -1;
		return transfer_in_seal(t, f[0], mode, has_times ? times : NULL);
	}
}

/*
 * Target i's files end with it: what failed locally fails it (unless the
 * gateway failed it already), *kind and *error updated.
 */
static void
files_end(struct event_reader *r, size_t i, bool failed, enum err_kind *kind, char **error)
{
	char *why;

	if (r->files == NULL || r->files[i] == NULL)
		return;
	why = transfer_in_end(r->files[i], failed);
	r->files[i] = NULL;
	if (why != NULL && kind != NULL && *kind == EK_NONE) {
		*kind = EK_TRANSFER;
		free(*error);
		*error = why;
	} else {
		free(why);
	}
}

/* The gateway is gone: a target's file cut short is removed, as a broken download's is. */
static void
files_end_all(struct event_reader *r)
{
	size_t i;

	for (i = 0; r->files != NULL && i < r->n; i++)
		files_end(r, i, true, NULL, NULL);
	free(r->files);
	r->files = NULL;
}

/* One whole frame: replay it into its target.  p is NUL-terminated at p[n]. */
static void
replay(struct event_reader *r, struct host *gw, char type, size_t i, char *p, size_t n)
{
	char *f[8] = {NULL};
	struct host *h;
	struct outcome ao = OUTCOME_INIT;
	double now = wait_now();
	enum err_kind done_kind;
	char *done_error;
	int kind, phase;
	size_t k;

	if (type == EV_HELLO) {
		char want[32];

		snprintf(want, sizeof want, "shoal-events %d", EVENT_PROTO);
		k = split(p, n, f, 2);
		if (k < 2 || strcmp(f[0], want) != 0 || strcmp(f[1], PACKAGE_VERSION) != 0) {
			struct buf b;

			buf_init(&b);
			escape_terminal(&b, k >= 2 ? f[1] : p, strlen(k >= 2 ? f[1] : p));
			reader_break(r, gw,
			        xasprintf("runs shoal %s, this is shoal %s (events %d): "
			                  "the versions must match",
			                b.p ? b.p : "?", PACKAGE_VERSION, EVENT_PROTO));
			buf_free(&b);
			return;
		}
		r->hello = true;
		return;
	}
	if (!r->hello) {
		reader_break(r, gw, xstrdup("no version frame first: not a shoal gateway"));
		return;
	}
	if (type == EV_END)
		return;
	if (i >= r->n || !r->ops.owns(r->ops.arg, i)) {
		reader_break(r, gw, xasprintf("an event for target %zu, not one of its own", i));
		return;
	}
	h = r->targets[i];
	switch (type) {
	case EV_ATTEMPT:
		host_attempt_begin(h, now);
		break;
	case EV_PHASE:
		if ((phase = errkind_phase_by_key(p)) < 0 || phase == PHASE_ANY)
			goto bad;
		host_phase(h, (enum phase)phase, now);
		break;
	case EV_ATTEMPT_END:
		pthread_mutex_lock(&h->lock);
		k = h->attempts;
		pthread_mutex_unlock(&h->lock);
		/* An attempt ends only once begun. */
		if (k == 0 || split(p, n, f, 4) < 4 ||
		        (kind = (int)errkind_by_name(f[0])) == EK__COUNT ||
		        (phase = errkind_phase_by_key(f[1])) < 0)
			goto bad;
		/* The gateway's attempt, with its started fact: the root never runs it again. */
		ao.kind = (enum err_kind)kind;
		ao.phase = (enum phase)phase;
		ao.error = printable(f[2]);
		ao.started = strcmp(f[3], "1") == 0;
		host_attempt_end(h, &ao, now);
		outcome_clear(&ao);
		break;
	case EV_RETRY_WAIT:
		host_retry_wait(h, now + atof(p), now);
		output_host_retry(h, atof(p));
		break;
	case EV_START:
		if (split(p, n, f, 3) < 3)
			goto bad;
		set_login(h, f[0], f[1], f[2], gw->alias);
		output_host_start(h);
		break;
	case EV_STDOUT:
	case EV_STDERR:
		output_host_data(h, type == EV_STDERR, p, n);
		break;
	case EV_XFER: {
		unsigned long long done, total;
		char *end;

		errno = 0;
		done = strtoull(p, &end, 10);
		if (*end != ' ' || (total = strtoull(end + 1, &end, 10), *end != '\0') ||
		        errno != 0)
			goto bad;
		host_xfer_set(h, done, total);
		break;
	}
	case EV_NOTE: {
		/* Said as this shoal says its own hosts' notes (or sent on up). */
		char *t = printable(p);

		if (t != NULL)
			host_note(h, "%s", t);
		free(t);
		break;
	}
	case EV_DIR:
	case EV_FILE:
	case EV_BYTES:
	case EV_CLOSE:
	case EV_SEAL:
		if (replay_file(r, type, i, p, n) < 0)
			goto bad;
		break;
	case EV_DONE:
		if (split(p, n, f, 8) < 8 || (kind = (int)errkind_by_name(f[0])) == EK__COUNT)
			goto bad;
		set_login(h, f[4], f[5], f[6], gw->alias);
		pthread_mutex_lock(&h->lock);
		h->exit_code = strtoll(f[1], NULL, 10);
		free(h->exit_signal);
		h->exit_signal = printable(f[2]);
		h->xfer_done = strtoull(f[7], NULL, 10);
		pthread_mutex_unlock(&h->lock);
		done_kind = (enum err_kind)kind;
		done_error = printable(f[3]);
		files_end(r, i, done_kind != EK_NONE, &done_kind, &done_error);
		host_finish(h, done_kind, done_error, now);
		output_host_done(h);
		r->ops.finished(r->ops.arg, h);
		break;
	default:
		goto bad;
	}
	return;
bad:
	reader_break(r, gw, xasprintf("a malformed '%c' event for %s", type, h->name));
}

/* The gateway's own messages: each line said as the gateway's. */
static void
reader_stderr(struct event_reader *r, struct host *gw, const char *data, size_t n)
{
	const char *nl;

	buf_append(&r->err, data, n);
	while ((nl = memchr(r->err.p, '\n', r->err.len)) != NULL) {
		struct buf b;
		const char *p = r->err.p;

		/* Its shoal's own diagnostics: said once as "shoal: GW: ...", not "shoal: GW:
		 * shoal: ...". */
		if ((size_t)(nl - p) >= 7 && memcmp(p, "shoal: ", 7) == 0)
			p += 7;
		buf_init(&b);
		escape_terminal(&b, p, (size_t)(nl - p));
		free(r->last_err);
		r->last_err = b.p ? buf_steal(&b) : xstrdup("");
		buf_free(&b);
		/* The gateway said it at the root's own -q/-v: it is said here as it came. */
		log_msg(LOG_QUIET, "%s: %s", gw->name, r->last_err);
		buf_consume(&r->err, (size_t)(nl - r->err.p) + 1);
	}
}

static bool
reader_data(struct host *gw, bool is_stderr, const char *data, size_t n)
{
	struct event_reader *r = gw->events;
	size_t off = 0;

	if (is_stderr) {
		reader_stderr(r, gw, data, n);
		return true;
	}
	if (r->broken != NULL)
		return true;
	buf_append(&r->in, data, n);
	/* Frames are taken in place, and what they used is dropped once, at the end. */
	while (off < r->in.len) {
		char type, *p = r->in.p + off, *nl, *end, keep;
		size_t left = r->in.len - off, hl;
		unsigned long long idx, len;

		nl = memchr(p, '\n', left < 64 ? left : 64);
		if (nl == NULL) {
			if (left >= 64)
				reader_break(r, gw, xstrdup("a frame header past 64 bytes"));
			break;
		}
		*nl = '\0';
		type = p[0];
		errno = 0;
		if (left < 2 || p[1] != ' ' || (idx = strtoull(p + 2, &end, 10), *end != ' ') ||
		        (len = strtoull(end + 1, &end, 10), *end != '\0') || errno != 0 ||
		        len > FRAME_MAX) {
			reader_break(r, gw, xstrdup("a malformed frame header"));
			break;
		}
		*nl = '\n';
		hl = (size_t)(nl - p) + 1;
		if (left < hl + len)
			break;
		/* The payload NUL-terminated in place: the buffer always has a byte past its end.
		 */
		keep = p[hl + len];
		p[hl + len] = '\0';
		replay(r, gw, type, (size_t)idx, p + hl, (size_t)len);
		p[hl + len] = keep;
		off += hl + (size_t)len;
		if (r->broken != NULL)
			break;
	}
	buf_consume(&r->in, off);
	return true;
}

bool
event_host_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	if (h->events != NULL)
		return reader_data(h, is_stderr, data, n);
	if (!streaming(h))
		return false;
	emit(is_stderr ? EV_STDERR : EV_STDOUT, stream_index[h->index], data, n);
	return true;
}

void
event_reader_attach(
        struct host *gw, struct host **targets, size_t n, const struct event_reader_ops *ops)
{
	struct event_reader *r = xcalloc(1, sizeof *r);

	r->targets = targets;
	r->n = n;
	r->ops = *ops;
	buf_init(&r->in);
	buf_init(&r->err);
	gw->events = r;
}

const char *
event_reader_broken(const struct host *gw)
{
	return gw->events ? gw->events->broken : NULL;
}

const char *
event_reader_last_err(const struct host *gw)
{
	return gw->events ? gw->events->last_err : NULL;
}

void
event_reader_free(struct host *gw)
{
	struct event_reader *r = gw->events;

	if (r == NULL)
		return;
	files_end_all(r);
	buf_free(&r->in);
	buf_free(&r->err);
	free(r->last_err);
	free(r->broken);
	free(r);
	gw->events = NULL;
}
