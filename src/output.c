/*
 * output.c - the output sinks.
 *
 * Prefix mode (the default off the live view) streams: a host's bytes are
 * cut into lines, and each whole line is written as "HOST: line" with one
 * locked write, so two hosts' lines never mix.  A line is held until its
 * newline up to LINE_PIECE bytes; past that it goes out in pieces of that
 * size, each as a line of its own (cut where a UTF-8 character ends), so a
 * host that never writes a newline cannot exhaust memory.  A last line
 * without its newline is written when the host finishes.  Bytes are escaped
 * only when the stream is a terminal; a pipe gets them exactly.
 *
 * JSON, --inline, --gather, --diff and the live view hold each host's
 * streams until the end in spools (spool.c: memory up to a bound, then a
 * temporary file) and write them back chunk by chunk, so memory stays
 * bounded too; -o writes the files as the bytes arrive.
 *
 * The mode is decided once (output_init) and is a sink in one table
 * (sinks[]): the steps dispatch through it rather than ask for the mode.
 * Each host's partial lines and -o descriptors are output.c's own
 * (struct output_host), out of struct host.
 *
 * Nothing written is lost silently: a write that fails on stdout, an -o file
 * or the --failed file is reported when it happens (host, file, cause), named
 * again in the summary, and makes the exit status at least 3.  -o files are
 * opened in the directory checked at start (through its descriptor, so the
 * path cannot be swapped later), never through a symbolic link, and only when
 * the name is new or a plain file of the user's with no other link.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diff.h"
#include "escape.h"
#include "event.h"
#include "hostlist.h"
#include "log.h"
#include "output.h"
#include "spool.h"
#include "xmalloc.h"

/* A partial line longer than this goes out in pieces (documented in shoal(1)). */
#define LINE_PIECE 65536
/* Bytes of escaped output gathered before one write. */
#define WRITE_BATCH 65536

/* What stdout carries, decided once by output_init from the options. */
enum output_mode {
	OUTPUT_PREFIX,  /* "HOST: line" as the lines come */
	OUTPUT_JSON,    /* one JSON object a host as each ends */
	OUTPUT_GATHER,  /* -b: identical outputs once, under their hosts, at the end */
	OUTPUT_INLINE,  /* each host's output whole as it ends */
	OUTPUT_DIFF,    /* --diff: the groups of -b as diffs against the largest, at the end */
	OUTPUT_ORDERED, /* -L: the lines of prefix mode, host after host, at the end */
	OUTPUT__COUNT
};

/*
 * What a mode does at each step.  -o files, the summary and --failed are the
 * same in every mode and stay out of the sinks.  The live view holds every
 * stream whatever the mode (output_deferred), so then host_data and host_done
 * are not called and run_done writes each run at the end instead.
 */
struct output_sink {
	/* Streams are kept whole until the host's end or the run's (spools). */
	bool hold;
	/* A host's bytes as they come, when not held. */
	void (*host_data)(struct host *h, bool is_stderr, const char *data, size_t n);
	/* The host has ended and its held streams are sealed; NULL: nothing to write yet. */
	void (*host_done)(struct host *h);
	/*
	 * The live view is closed: one run of a host, held, as host_done would
	 * have written it; NULL: finish compares the latest runs.
	 */
	void (*run_done)(struct host *h);
	/* Every host has ended; NULL: nothing left. */
	void (*finish)(struct host **hosts, size_t n);
};

static const struct output_sink sinks[OUTPUT__COUNT];
static enum output_mode output_mode;
static const struct output_sink *sink = &sinks[OUTPUT_PREFIX];
static const struct options *output_opts;
static pthread_mutex_t stdout_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool stdout_tty;
static bool stderr_tty;
static bool output_deferred; /* the live view owns the terminal: print at the end */
static bool runs_many;       /* the live view ran more than one command (`:`) */
static int out_dirfd = -1;   /* -o DIR, checked and held open */
static int stdout_errno;     /* the first write error on stdout, under stdout_mutex */
static char *failed_error;   /* --failed FILE could not be written: file and cause */
/* Between the summary's parts: a middle dot, or " | " when the locale is not UTF-8. */
static const char *sep = " \xc2\xb7 ";

/*
 * What output.c keeps of each host while it runs, by host->index.  Only the
 * host's worker uses it while the host runs, and output_finish's thread once
 * the workers have ended; states_mutex guards the table, not the entries.
 */
struct output_host {
	/* Partial lines waiting for their newline, prefix mode (bounded). */
	struct buf line_out;
	struct buf line_err;
	/* -o DIR files, open while the host runs; -1 once closed or failed. */
	int fd_out;
	int fd_err;
	bool files_opened;
	unsigned files_run; /* the run (host->run) they were opened for */
};

static pthread_mutex_t states_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct output_host **states; /* by host->index, made on first use */
static size_t nstates;

/*
 * Flush stdout, under stdout_mutex.  A reader that went away (| head) ends
 * shoal the way it ends any filter: quietly, by SIGPIPE, which shoal
 * otherwise ignores.  Any other failure (a full disk) is said once and
 * remembered for the exit status.
 */
/* Whether fd is a pipe or socket nobody reads any more. */
static bool
reader_gone(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	struct stat st;

	if (fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP)) != 0;
}

static void
stdout_flush(void)
{
	int r, err;

	/* errno is fresh only when fflush itself failed: a stale EPIPE (a socket) must not end
	 * shoal. */
	errno = 0;
	r = fflush(stdout);
	if (r == 0 && !ferror(stdout))
		return;
	err = r != 0 && errno != 0 ? errno : EIO;
	/*
	 * An earlier fwrite failed and fflush had nothing left to say why: a
	 * pipe or socket whose reader went away polls as an error.
	 */
	if (err == EIO && reader_gone(fileno(stdout)))
		err = EPIPE;
	if (err == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	clearerr(stdout);
	if (stdout_errno == 0) {
		stdout_errno = err;
		log_msg(LOG_QUIET, "cannot write stdout: %s", strerror(err));
	}
}

int
output_stdout_status(void)
{
	pthread_mutex_lock(&stdout_mutex);
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	return stdout_errno != 0 ? 3 : 0;
}

/*
 * A user-private group (named after the user, the user's own, no other
 * member): group write on it gives no one else a way in.
 */
static bool
private_group(gid_t gid)
{
	const struct passwd *pw = getpwuid(geteuid());
	const struct group *gr = getgrgid(gid);
	char **m;

	if (pw == NULL || gr == NULL || pw->pw_gid != gid || strcmp(gr->gr_name, pw->pw_name) != 0)
		return false;
	for (m = gr->gr_mem; *m != NULL; m++) {
		if (strcmp(*m, pw->pw_name) != 0)
			return false;
	}
	return true;
}

/*
 * -o DIR: created if missing, then held open.  Refused when another user
 * could plant or swap files in it: owned by someone else than the user or
 * root, or writable by others or by a group that is not the user's own,
 * unless sticky (as /tmp: there others cannot replace the user's files, and
 * a name they planted is refused, never followed).
 */
static int
output_dir_open(const char *dir)
{
	struct stat st;
	int fd;

	/* Never writable by others when shoal makes it, whatever the umask. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_msg(LOG_QUIET, "-o: cannot create '%s': %s", dir, strerror(errno));
		return 2;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_msg(LOG_QUIET, "-o: '%s': %s", dir,
		        errno == ENOTDIR ? "not a directory" : strerror(errno));
		goto refused;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		log_msg(LOG_QUIET, "-o: refusing '%s': owned by another user (uid %lu)", dir,
		        (unsigned long)st.st_uid);
		goto refused;
	}
	if ((st.st_mode & S_ISVTX) == 0 &&
	        ((st.st_mode & S_IWOTH) != 0 ||
	                ((st.st_mode & S_IWGRP) != 0 && !private_group(st.st_gid)))) {
		log_msg(LOG_QUIET,
		        "-o: refusing '%s': writable by %s (mode %03o): others could plant "
		        "files in it",
		        dir, (st.st_mode & S_IWOTH) ? "every user" : "its group",
		        (unsigned)(st.st_mode & 07777));
		goto refused;
	}
	out_dirfd = fd;
	return 0;
refused:
	if (fd >= 0)
		close(fd);
	return 2;
}

/*
 * --failed FILE must be writable before anything runs.  The check leaves
 * nothing behind: a file it had to create goes again, one that was there is
 * not truncated; the list replaces it when the run ends.
 */
static int
failed_file_check(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0666);

	if (fd >= 0) {
		close(fd);
		unlink(path);
		return 0;
	}
	if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_QUIET, "--failed: cannot write '%s': %s", path, strerror(errno));
		return 2;
	}
	close(fd);
	return 0;
}

/*
 * Whether the user's locale (LC_ALL, LC_CTYPE, LANG) writes UTF-8; asked
 * without leaving it set: the rest of shoal runs in the C locale.
 */
static bool
locale_utf8(void)
{
	const char *cur = setlocale(LC_CTYPE, NULL);
	char *saved = xstrdup(cur != NULL ? cur : "C");
	bool utf8 = false;

	if (setlocale(LC_CTYPE, "") != NULL)
		utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	setlocale(LC_CTYPE, saved);
	free(saved);
	return utf8;
}

int
output_init(const struct options *o)
{
	output_opts = o;
	if (!locale_utf8())
		sep = " | ";
	stdout_tty = isatty(STDOUT_FILENO);
	stderr_tty = isatty(STDERR_FILENO);
	/* options_parse allows one of them at most. */
	output_mode = o->json            ? OUTPUT_JSON
	              : o->gather        ? OUTPUT_GATHER
	              : o->inline_output ? OUTPUT_INLINE
	              : o->diff          ? OUTPUT_DIFF
	              : o->ordered       ? OUTPUT_ORDERED
	                                 : OUTPUT_PREFIX;
	sink = &sinks[output_mode];
	if (o->failed_file != NULL && failed_file_check(o->failed_file) != 0)
		return 2;
	if (o->output_dir != NULL && output_dir_open(o->output_dir) != 0)
		return 2;
	return 0;
}

/* h's output state, made on first use (hosts are numbered from 0, densely). */
static struct output_host *
host_state(const struct host *h)
{
	struct output_host *st;
	size_t n;

	pthread_mutex_lock(&states_mutex);
	if (h->index >= nstates) {
		n = nstates ? nstates : 16;
		while (n <= h->index)
			n *= 2;
		states = xrealloc(states, n * sizeof *states);
		memset(states + nstates, 0, (n - nstates) * sizeof *states);
		nstates = n;
	}
	st = states[h->index];
	if (st == NULL) {
		st = xcalloc(1, sizeof *st);
		buf_init(&st->line_out);
		buf_init(&st->line_err);
		st->fd_out = -1;
		st->fd_err = -1;
		states[h->index] = st;
	}
	pthread_mutex_unlock(&states_mutex);
	return st;
}

void
output_free(void)
{
	size_t i;

	for (i = 0; i < nstates; i++) {
		if (states[i] == NULL)
			continue;
		buf_free(&states[i]->line_out);
		buf_free(&states[i]->line_err);
		free(states[i]);
	}
	free(states);
	states = NULL;
	nstates = 0;
	if (out_dirfd >= 0)
		close(out_dirfd);
	out_dirfd = -1;
	free(failed_error);
	failed_error = NULL;
	output_opts = NULL;
}

/* The -o file name of h's current run: NAME, or NAME#RUN for the view's `:` runs. */
static char *
run_file_name(const struct host *h)
{
	char *file = host_file_name(h->name), *f;

	if (h->run <= 1)
		return file;
	f = xasprintf("%s#%u", file, h->run);
	free(file);
	return f;
}

/* A -o file of the host lost bytes: say so now, and keep the first for the summary. */
static void
file_failed(struct host *h, const char *ext, const char *why)
{
	char *file = run_file_name(h);
	char *path = xasprintf("%s/%s.%s", output_opts->output_dir, file, ext);

	log_msg(LOG_QUIET, "%s: -o: cannot write '%s': %s", h->name, path, why);
	if (h->file_error == NULL)
		h->file_error = xasprintf("%s: %s", path, why);
	free(path);
	free(file);
}

/*
 * Open DIR/NAME.EXT empty.  Never through a symbolic link (O_NOFOLLOW, also
 * for a dangling one, whose target O_CREAT would make), and an existing
 * entry is truncated only after fstat shows a plain file of the user's with
 * no other link: a planted link or FIFO is refused, never written.
 */
static int
open_host_file(struct host *h, const char *ext)
{
	char *file = run_file_name(h), *name = xasprintf("%s.%s", file, ext);
	const char *why = NULL;
	struct stat st;
	int fd = openat(out_dirfd, name,
	        O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);

	/* ENXIO: a FIFO without a reader or a socket, which O_NONBLOCK keeps from hanging. */
	if (fd < 0)
		why = errno == ELOOP   ? "a symbolic link (not followed)"
		      : errno == ENXIO ? "not a regular file"
		                       : strerror(errno);
	else if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	else if (st.st_nlink != 1)
		why = "a file with other hard links";
	else if (ftruncate(fd, 0) < 0 || fcntl(fd, F_SETFL, 0) < 0)
		why = strerror(errno);
	if (why != NULL) {
		file_failed(h, ext, why);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(name);
	free(file);
	return fd;
}

static int
write_all(int fd, const char *data, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, data, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Close an -o file; a late error (a full disk, NFS) counts as a failed write. */
static void
close_host_file(struct host *h, int *fd, const char *ext)
{
	if (*fd >= 0 && close(*fd) < 0 && errno != EINTR)
		file_failed(h, ext, strerror(errno));
	*fd = -1;
}

void
output_host_start(struct host *h)
{
	struct output_host *st;

	if (event_host_start(h) || output_opts->output_dir == NULL)
		return;
	st = host_state(h);
	/* Each of the view's `:` runs has files of its own. */
	if (st->files_opened && st->files_run == h->run)
		return;
	st->files_opened = true;
	st->files_run = h->run;
	st->fd_out = open_host_file(h, "out");
	st->fd_err = open_host_file(h, "err");
}

/* Write one line (without its newline) as "HOST: line\n". */
static void
write_prefixed(struct host *h, bool is_stderr, const char *line, size_t len)
{
	FILE *fp = is_stderr ? stderr : stdout;
	bool tty = is_stderr ? stderr_tty : stdout_tty;
	struct buf b;

	buf_init(&b);
	if (!output_opts->no_prefix) {
		buf_appends(&b, h->name);
		buf_appends(&b, ": ");
	}
	if (tty)
		escape_terminal(&b, line, len);
	else
		buf_append(&b, line, len);
	buf_appendc(&b, '\n');
	if (is_stderr)
		log_lock();
	else
		pthread_mutex_lock(&stdout_mutex);
	fwrite(b.p, 1, b.len, fp);
	if (is_stderr)
		fflush(fp);
	else if (tty)
		stdout_flush();
	if (is_stderr)
		log_unlock();
	else
		pthread_mutex_unlock(&stdout_mutex);
	buf_free(&b);
}

/*
 * How much of p[0..n) to take so that no UTF-8 character is cut: n, less the
 * start of a character that lacks its last bytes (never all of it).
 */
static size_t
utf8_cut(const char *p, size_t n)
{
	size_t k, need;
	unsigned char c;

	for (k = 1; k <= 3 && k <= n; k++) {
		c = (unsigned char)p[n - k];
		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > k && k < n ? n - k : n;
	}
	return n;
}

static void
prefix_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	struct output_host *st = host_state(h);
	struct buf *pending = is_stderr ? &st->line_err : &st->line_out;
	const char *nl;
	size_t take, cut;

	while (n > 0 && (nl = memchr(data, '\n', n)) != NULL) {
		size_t len = (size_t)(nl - data);

		if (pending->len > 0) {
			buf_append(pending, data, len);
			write_prefixed(h, is_stderr, pending->p, pending->len);
			buf_reset(pending);
		} else {
			write_prefixed(h, is_stderr, data, len);
		}
		data += len + 1;
		n -= len + 1;
	}
	/* No newline within LINE_PIECE bytes: the line goes out in pieces. */
	while (pending->len + n >= LINE_PIECE) {
		if (pending->len == 0) {
			cut = utf8_cut(data, LINE_PIECE);
			write_prefixed(h, is_stderr, data, cut);
			data += cut;
			n -= cut;
			continue;
		}
		take = LINE_PIECE - pending->len;
		buf_append(pending, data, take);
		data += take;
		n -= take;
		cut = utf8_cut(pending->p, pending->len);
		write_prefixed(h, is_stderr, pending->p, cut);
		buf_consume(pending, cut);
	}
	if (n > 0)
		buf_append(pending, data, n);
}

/* A held stream grows: under the host's lock when the live view reads it. */
static void
hold_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	if (output_deferred)
		pthread_mutex_lock(&h->lock);
	spool_append(is_stderr ? &h->err : &h->out, data, n);
	h->err_last = is_stderr;
	if (output_deferred)
		pthread_mutex_unlock(&h->lock);
}

/* Prefix mode: lines reach a pipe or file as they come, not when the run ends. */
static void
prefix_host_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	prefix_data(h, is_stderr, data, n);
	if (!is_stderr) {
		pthread_mutex_lock(&stdout_mutex);
		stdout_flush();
		pthread_mutex_unlock(&stdout_mutex);
	}
}

void
output_host_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	if (event_host_data(h, is_stderr, data, n))
		return;
	if (output_opts->output_dir != NULL) {
		struct output_host *st = host_state(h);
		int *fd = is_stderr ? &st->fd_err : &st->fd_out;

		/* After a failure the file stops: its bytes so far stay a true prefix. */
		if (*fd >= 0 && write_all(*fd, data, n) < 0) {
			file_failed(h, is_stderr ? "err" : "out", strerror(errno));
			close(*fd);
			*fd = -1;
		}
	}
	if (output_deferred || sink->hold)
		hold_data(h, is_stderr, data, n);
	else
		sink->host_data(h, is_stderr, data, n);
}

static const char *
host_status(const struct host *h)
{
	return h->kind == EK_NONE ? "ok" : h->kind == EK_SKIPPED ? "skipped" : "failed";
}

/*
 * A held stream as the inside of a JSON string, chunk by chunk: b is written
 * to fp whenever it grows past WRITE_BATCH.
 */
static void
json_stream(FILE *fp, struct buf *b, const struct spool *s)
{
	char *chunk = xmalloc(SPOOL_CHUNK);
	uint64_t off = 0;
	size_t n, m;

	while (off < s->len && (n = spool_read(s, off, chunk, SPOOL_CHUNK)) > 0) {
		/* A character cut by the chunk is read again with the next one. */
		m = off + n < s->len ? utf8_cut(chunk, n) : n;
		escape_json(b, chunk, m);
		off += m;
		if (b->len >= WRITE_BATCH) {
			fwrite(b->p, 1, b->len, fp);
			buf_reset(b);
		}
	}
	free(chunk);
}

/* "via": the jump hosts, in order (SPEC 5), or null. */
static void
json_via(struct buf *b, const struct host *h)
{
	const char *p, *c;

	if (h->via == NULL) {
		buf_appends(b, ",\"via\":null");
		return;
	}
	buf_appends(b, ",\"via\":[");
	for (p = h->via;; p = c + 1) {
		char *one;

		c = strchr(p, ',');
		one = c ? xstrndup(p, (size_t)(c - p)) : xstrdup(p);
		if (p != h->via)
			buf_appendc(b, ',');
		escape_json_string(b, one);
		free(one);
		if (c == NULL)
			break;
	}
	buf_appendc(b, ']');
}

/*
 * The JSON object of SPEC section 5.  With streams_to, it carries both
 * streams, and what it has grown to is written there as it goes; the caller
 * writes the rest of b.
 */
static void
json_object(struct buf *b, const struct host *h, FILE *streams_to)
{
	int i;

	buf_appends(b, "{\"host\":");
	escape_json_string(b, h->name);
	if (h->run > 1 || runs_many) {
		/* The live view ran more than one command: which this is. */
		buf_appendf(b, ",\"run\":%u,\"command\":", h->run ? h->run : 1);
		escape_json_string(b, h->run_command ? h->run_command : output_opts->command);
	}
	buf_appends(b, ",\"user\":");
	escape_json_string(b, h->login_user ? h->login_user : h->user);
	if (h->login_port > 0)
		buf_appendf(b, ",\"port\":%d", h->login_port);
	else if (h->port > 0)
		buf_appendf(b, ",\"port\":%d", h->port);
	else
		buf_appends(b, ",\"port\":null");
	buf_appendf(b, ",\"status\":\"%s\",\"error_kind\":", host_status(h));
	/* skipped is a status, not an error kind; its error says why the run stopped. */
	escape_json_string(
	        b, h->kind == EK_NONE || h->kind == EK_SKIPPED ? NULL : errkind_name(h->kind));
	buf_appends(b, ",\"error\":");
	escape_json_string(b, h->kind == EK_NONE ? NULL : h->error);
	if (h->exit_code >= 0)
		buf_appendf(b, ",\"exit_code\":%lld", h->exit_code);
	else
		buf_appends(b, ",\"exit_code\":null");
	buf_appends(b, ",\"signal\":");
	escape_json_string(b, h->exit_signal);
	/* Of this run: the view's `:` runs count their own (run_base: 0 for the first). */
	buf_appendf(b, ",\"attempts\":%u,\"attempt_errors\":[", h->attempts - h->run_base);
	/* Every failed attempt before the last, with its kind, phase and detail. */
	for (i = (int)h->run_base; i + 1 < (int)h->attempts && h->history != NULL; i++) {
		const struct attempt *a = &h->history[i];

		buf_appendf(b, "%s{\"error_kind\":\"%s\",\"phase\":\"%s\",\"error\":",
		        i > (int)h->run_base ? "," : "", errkind_name(a->kind),
		        errkind_phase_key(a->phase));
		escape_json_string(b, a->error);
		buf_appendf(b, ",\"ms\":%ld}", (long)(a->elapsed * 1000 + 0.5));
	}
	buf_appends(b, "],\"phases_ms\":{");
	for (i = 0; i < PHASE__COUNT; i++)
		buf_appendf(b, "%s\"%s\":%ld", i ? "," : "", errkind_phase_key((enum phase)i),
		        h->phase_ms[i]);
	buf_appendf(b, "},\"duration_ms\":%ld", (long)((h->finished - h->started) * 1000 + 0.5));
	if (output_opts->xfer != XFER_NONE)
		buf_appendf(b, ",\"bytes\":%llu", (unsigned long long)h->xfer_done);
	json_via(b, h);
	if (h->batch > 0)
		buf_appendf(b, ",\"batch\":%u", h->batch);
	else
		buf_appends(b, ",\"batch\":null");
	if (streams_to != NULL) {
		buf_appends(b, ",\"stdout\":\"");
		json_stream(streams_to, b, &h->out);
		buf_appends(b, "\",\"stderr\":\"");
		json_stream(streams_to, b, &h->err);
		buf_appendc(b, '"');
	}
	buf_appends(b, "}\n");
}

static void
report_failure(const struct host *h)
{
	const struct err_kind_info *ki = errkind_info(h->kind);
	char at[HOST_ATTEMPT_TEXT];

	/* Hosts a cancel or a stop kept from starting are counted in the summary only. */
	if (h->kind == EK_NONE || h->kind == EK_SKIPPED ||
	        (h->kind == EK_CANCELLED && h->attempts == 0))
		return;
	if (h->kind == EK_EXIT_NONZERO || h->kind == EK_SIGNAL)
		log_msg(LOG_NORMAL, "%s: %s: %s", h->name, ki->name, h->error);
	else
		log_msg(LOG_NORMAL, "%s: %s (%s phase, attempt %s): %s", h->name, ki->name,
		        errkind_phase_name(
		                h->history ? h->history[h->attempts - 1].phase : ki->phase),
		        host_attempt_text(h, output_opts->retries, at, sizeof at), h->error);
}

/* A held stream, newline ended: escaped line by line for a terminal, else exact. */
static void
write_block(FILE *fp, bool tty, const struct spool *s)
{
	char *chunk;
	const char *p, *end, *nl;
	uint64_t off = 0;
	size_t n, m;
	struct buf b;

	if (s->len == 0)
		return;
	chunk = xmalloc(SPOOL_CHUNK);
	buf_init(&b);
	while (off < s->len && (n = spool_read(s, off, chunk, SPOOL_CHUNK)) > 0) {
		m = tty && off + n < s->len ? utf8_cut(chunk, n) : n;
		if (!tty) {
			fwrite(chunk, 1, m, fp);
		} else {
			for (p = chunk, end = chunk + m; p < end; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(end - p));
				escape_terminal(&b, p, (size_t)((nl ? nl : end) - p));
				if (nl == NULL)
					break;
				buf_appendc(&b, '\n');
			}
			fwrite(b.p, 1, b.len, fp);
			buf_reset(&b);
		}
		off += m;
	}
	if (spool_last(s) != '\n')
		fputc('\n', fp);
	buf_free(&b);
	free(chunk);
}

static void
host_result_text(struct buf *b, const struct host *h)
{
	if (h->kind == EK_NONE)
		buf_appends(b, "ok");
	else
		buf_appendf(b, "%s: %s", errkind_name(h->kind), h->error ? h->error : "");
}

/* --inline: the whole host at once, under a header naming it. */
static void
inline_block(struct host *h)
{
	struct buf hdr;

	buf_init(&hdr);
	buf_appendf(&hdr, "----- %s (", h->name);
	host_result_text(&hdr, h);
	buf_appends(&hdr, ") -----\n");
	pthread_mutex_lock(&stdout_mutex);
	fwrite(hdr.p, 1, hdr.len, stdout);
	write_block(stdout, stdout_tty, &h->out);
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	if (h->err.len > 0) {
		log_lock();
		fwrite(hdr.p, 1, hdr.len, stderr);
		write_block(stderr, stderr_tty, &h->err);
		fflush(stderr);
		log_unlock();
	}
	buf_free(&hdr);
	spool_free(&h->out);
	spool_free(&h->err);
}

/* A host in --gather, with the hashes its output is sorted by. */
struct gather_item {
	struct host *h;
	uint64_t hash_out, hash_err;
};

static int
cmp_output(const void *a, const void *b)
{
	const struct gather_item *x = a, *y = b;

	if (x->h->out.len != y->h->out.len)
		return x->h->out.len < y->h->out.len ? -1 : 1;
	if (x->h->err.len != y->h->err.len)
		return x->h->err.len < y->h->err.len ? -1 : 1;
	if (x->hash_out != y->hash_out)
		return x->hash_out < y->hash_out ? -1 : 1;
	if (x->hash_err != y->hash_err)
		return x->hash_err < y->hash_err ? -1 : 1;
	return x->h->index < y->h->index ? -1 : x->h->index > y->h->index;
}

/* Equal hashes are checked byte by byte: a collision only splits a group. */
static bool
same_output(const struct gather_item *x, const struct gather_item *y)
{
	return x->h->out.len == y->h->out.len && x->h->err.len == y->h->err.len &&
	       x->hash_out == y->hash_out && x->hash_err == y->hash_err &&
	       spool_equal(&x->h->out, &y->h->out) && spool_equal(&x->h->err, &y->h->err);
}

/* The end of the group of identical outputs that starts at items[i]. */
static size_t
group_end(const struct gather_item *items, size_t i, size_t n)
{
	size_t j;

	for (j = i + 1; j < n && same_output(&items[i], &items[j]); j++)
		;
	return j;
}

/* The folded names of items[i..j), escaped for a terminal. */
static void
group_names(struct buf *b, const struct gather_item *items, size_t i, size_t j)
{
	const char **names = xcalloc(j - i, sizeof *names);
	char *folded;
	size_t k;

	for (k = i; k < j; k++)
		names[k - i] = items[k].h->spec;
	folded = hostlist_fold(names, j - i);
	if (stdout_tty)
		escape_terminal(b, folded, strlen(folded));
	else
		buf_appends(b, folded);
	free(folded);
	free(names);
}

struct out_group {
	const struct gather_item *v; /* in the sorted array */
	size_t n;
};

/* Groups in the order of their first host (the lowest index: sorted puts it first). */
static int
cmp_group_first(const void *a, const void *b)
{
	const struct out_group *x = a, *y = b;

	return x->v[0].h->index < y->v[0].h->index ? -1 : x->v[0].h->index > y->v[0].h->index;
}

/* A spool's bytes in memory, for the diff (which needs both sides whole). */
static void
spool_load(struct buf *b, const struct spool *sp)
{
	uint64_t off = 0;
	size_t got;

	buf_reset(b);
	while (off < sp->len) {
		buf_reserve(b, SPOOL_CHUNK);
		got = spool_read(sp, off, b->p + b->len, SPOOL_CHUNK);
		if (got == 0)
			break;
		b->len += got;
		off += got;
	}
}

/*
 * --diff: each group of identical outputs but the largest (the first of
 * equals in host order) as a unified diff against it, stdout then stderr,
 * in the order of the groups' first hosts.  The two outputs compared are
 * read into memory, one pair at a time.
 */
static void
diff_groups(const struct gather_item *items, size_t n)
{
	struct out_group *groups = xcalloc(n ? n : 1, sizeof *groups), *r;
	size_t i, j, ng = 0, g, ref = 0;
	struct buf b, hdr, x, y;

	for (i = 0; i < n; i = j) {
		j = group_end(items, i, n);
		groups[ng].v = &items[i];
		groups[ng++].n = j - i;
	}
	qsort(groups, ng, sizeof *groups, cmp_group_first);
	for (g = 1; g < ng; g++) {
		if (groups[g].n > groups[ref].n)
			ref = g;
	}
	r = &groups[ref];
	buf_init(&b);
	buf_init(&hdr);
	buf_init(&x);
	buf_init(&y);
	for (g = 0; g < ng; g++) {
		const struct out_group *h = &groups[g];
		int stream;

		if (g == ref)
			continue;
		for (stream = 0; stream < 2; stream++) {
			spool_load(&x, stream ? &r->v[0].h->err : &r->v[0].h->out);
			spool_load(&y, stream ? &h->v[0].h->err : &h->v[0].h->out);
			buf_reset(&b);
			diff_unified(&b, x.p, x.len, y.p, y.len, stdout_tty);
			if (b.len == 0)
				continue;
			buf_reset(&hdr);
			buf_appends(&hdr, "--- ");
			group_names(&hdr, r->v, 0, r->n);
			buf_appendf(&hdr, " (%zu)%s\n+++ ", r->n, stream ? " stderr" : "");
			group_names(&hdr, h->v, 0, h->n);
			buf_appendf(&hdr, " (%zu)%s\n", h->n, stream ? " stderr" : "");
			fwrite(hdr.p, 1, hdr.len, stdout);
			fwrite(b.p, 1, b.len, stdout);
		}
	}
	buf_free(&b);
	buf_free(&hdr);
	buf_free(&x);
	buf_free(&y);
	free(groups);
}

/* A host whose command ran: --diff compares only those (the summary names the rest). */
static bool
host_ran(const struct host *h)
{
	return h->kind == EK_NONE || host_started(h);
}

/* --gather: hosts with identical output under one folded list, with counts. */
static void
gather_groups(const struct gather_item *items, size_t ns)
{
	size_t i, j;

	for (i = 0; i < ns; i = j) {
		const struct host *first = items[i].h;
		struct buf hdr;

		j = group_end(items, i, ns);
		if (first->out.len == 0 && first->err.len == 0)
			continue;
		buf_init(&hdr);
		buf_appends(&hdr, "---------------\n");
		group_names(&hdr, items, i, j);
		buf_appendf(&hdr, " (%zu)\n---------------\n", j - i);
		fwrite(hdr.p, 1, hdr.len, stdout);
		write_block(stdout, stdout_tty, &first->out);
		if (first->err.len > 0) {
			fputs("(stderr)\n", stdout);
			write_block(stdout, stdout_tty, &first->err);
		}
		buf_free(&hdr);
	}
}

/*
 * -b and --diff: the hosts sorted so that identical outputs are together,
 * then shown by groups.  Outputs are compared by size and hash, then
 * confirmed byte by byte, all read back from the spools a chunk at a time.
 */
static void
compare_hosts(struct host **hosts, size_t n, bool ran_only,
        void (*show)(const struct gather_item *items, size_t ns))
{
	struct gather_item *items = xcalloc(n ? n : 1, sizeof *items);
	size_t k, ns = 0;

	for (k = 0; k < n; k++) {
		if (ran_only && !host_ran(hosts[k]))
			continue;
		items[ns].h = hosts[k];
		items[ns].hash_out = spool_hash(&hosts[k]->out);
		items[ns++].hash_err = spool_hash(&hosts[k]->err);
	}
	qsort(items, ns, sizeof *items, cmp_output);
	pthread_mutex_lock(&stdout_mutex);
	show(items, ns);
	for (k = 0; k < n; k++) {
		spool_free(&hosts[k]->out);
		spool_free(&hosts[k]->err);
	}
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	free(items);
}

/* The last lines without their newline, written whole at the host's end. */
static void
flush_partial_lines(struct host *h)
{
	struct output_host *st = host_state(h);

	if (st->line_out.len > 0)
		write_prefixed(h, false, st->line_out.p, st->line_out.len);
	if (st->line_err.len > 0)
		write_prefixed(h, true, st->line_err.p, st->line_err.len);
	buf_free(&st->line_out);
	buf_free(&st->line_err);
}

/*
 * Held bytes the temporary file could not take are said, not dropped
 * silently, and count as output not written (the summary, exit 3).
 */
static void
report_lost(struct host *h, const char *name, const struct spool *s)
{
	const char *dir = getenv("TMPDIR");

	if (s->lost == 0)
		return;
	log_msg(LOG_QUIET,
	        "%s: output: %llu bytes of %s lost: cannot write the temporary file in %s: %s",
	        h->name, (unsigned long long)s->lost, name, dir && *dir ? dir : "/tmp",
	        strerror(s->err));
	if (h->file_error == NULL)
		h->file_error = xasprintf("the temporary file in %s: %llu bytes of %s lost (%s)",
		        dir && *dir ? dir : "/tmp", (unsigned long long)s->lost, name,
		        strerror(s->err));
}

void
output_host_done(struct host *h)
{
	struct buf b;
	int fd;

	if (event_host_done(h))
		return;
	if (output_deferred || sink->hold) {
		/* Its last bytes go to the file: a finished host holds no tail in memory. */
		if (output_deferred)
			pthread_mutex_lock(&h->lock);
		spool_seal(&h->out);
		spool_seal(&h->err);
		if (output_deferred)
			pthread_mutex_unlock(&h->lock);
		report_lost(h, "stdout", &h->out);
		report_lost(h, "stderr", &h->err);
	}
	/* With the live view up, output_finish writes the host. */
	if (!output_deferred && sink->host_done != NULL)
		sink->host_done(h);
	if (output_opts->output_dir != NULL) {
		struct output_host *st;

		output_host_start(h); /* a host that never ran still gets its files */
		st = host_state(h);
		close_host_file(h, &st->fd_out, "out");
		close_host_file(h, &st->fd_err, "err");
		fd = open_host_file(h, "json");
		if (fd >= 0) {
			buf_init(&b);
			json_object(&b, h, NULL);
			if (write_all(fd, b.p, b.len) < 0) {
				file_failed(h, "json", strerror(errno));
				close(fd);
				fd = -1;
			}
			buf_free(&b);
			close_host_file(h, &fd, "json");
		}
	}
	report_failure(h);
}

void
output_host_retry(struct host *h, double delay)
{
	const struct attempt *a = &h->history[h->attempts - 1];
	char at[HOST_ATTEMPT_TEXT];

	log_msg(LOG_VERBOSE, "%s: attempt %s failed: %s: %s; retrying in %.1f s", h->name,
	        host_attempt_text(h, output_opts->retries, at, sizeof at), errkind_name(a->kind),
	        a->error, delay);
}

/*
 * -S: the largest remote exit status, as pdsh and clush give it; a host
 * that gave none (not reached, killed by a signal, timed out, skipped)
 * counts as 255, what ssh exits with then.  An interrupted run stays 130.
 */
static int
max_remote_status(struct host **hosts, size_t n)
{
	int worst = 0, c;
	size_t i;

	for (i = 0; i < n; i++) {
		if (errkind_info(hosts[i]->kind)->class == EC_INTERRUPTED)
			return 130;
		c = hosts[i]->exit_code >= 0 && hosts[i]->exit_signal == NULL ? hosts[i]->exit_code
		                                                              : 255;
		if (hosts[i]->kind == EK_NONE)
			c = 0;
		if (c > worst)
			worst = c;
	}
	return worst;
}

int
output_exit_status(struct host **hosts, size_t n)
{
	int worst = EC_OK;
	size_t i;

	if (output_opts->max_status)
		return max_remote_status(hosts, n);
	for (i = 0; i < n; i++) {
		int c = (int)errkind_info(hosts[i]->kind)->class;

		if (c > worst)
			worst = c;
	}
	switch ((enum err_class)worst) {
	case EC_OK:
		return 0;
	case EC_RESULT:
		return 1;
	case EC_UNREACHED:
		return 3;
	case EC_SKIPPED:
		return 4;
	case EC_INTERRUPTED:
		return 130;
	}
	return 3;
}

/* A failure is said now and kept for the summary. */
static int
failed_file_failed(int err)
{
	failed_error = xasprintf("--failed %s: %s", output_opts->failed_file, strerror(err));
	log_msg(LOG_QUIET, "--failed: cannot write '%s': %s", output_opts->failed_file,
	        strerror(err));
	return 3;
}

static int
write_failed_file(struct host **hosts, size_t n)
{
	FILE *fp = fopen(output_opts->failed_file, "w");
	size_t i;
	int err;

	if (fp == NULL)
		return failed_file_failed(errno);
	for (i = 0; i < n; i++) {
		char *spec;

		if (hosts[i]->kind == EK_NONE)
			continue;
		spec = host_spec_string(hosts[i]->alias, hosts[i]->user, hosts[i]->port);
		fprintf(fp, "%s\n", spec);
		free(spec);
	}
	err = fflush(fp) != 0 || ferror(fp) ? (errno != 0 ? errno : EIO) : 0;
	if (fclose(fp) != 0 && err == 0)
		err = errno;
	return err != 0 ? failed_file_failed(err) : 0;
}

/* The output that did not reach its place, for the summary: the results are incomplete. */
static void
lost_output(struct buf *b, struct host **hosts, size_t n, const char **names)
{
	const char *first = NULL;
	size_t i, m = 0;
	char *folded;

	for (i = 0; i < n; i++) {
		if (hosts[i]->file_error == NULL)
			continue;
		names[m++] = hosts[i]->spec;
		if (first == NULL)
			first = hosts[i]->file_error;
	}
	if (m > 0) {
		folded = hostlist_fold(names, m);
		buf_appendf(b, "%snot written: output of ", sep);
		if (stderr_tty)
			escape_terminal(b, folded, strlen(folded));
		else
			buf_appends(b, folded);
		buf_appendf(b, " (%s%s)", m > 1 ? "first: " : "", first);
		free(folded);
	}
	if (stdout_errno != 0)
		buf_appendf(b, "%snot written: stdout (%s)", sep, strerror(stdout_errno));
	if (failed_error != NULL)
		buf_appendf(b, "%snot written: %s", sep, failed_error);
}

/* " · skipped 22: web[09-30] (stopped: ...)": who the stop kept from starting, and why. */
static void
skipped_text(struct buf *b, struct host **hosts, size_t n, const char **names)
{
	const char *why = NULL;
	size_t i, m = 0;
	char *folded;

	for (i = 0; i < n; i++) {
		if (hosts[i]->kind != EK_SKIPPED)
			continue;
		names[m++] = hosts[i]->spec;
		if (why == NULL)
			why = hosts[i]->error;
	}
	if (m == 0)
		return;
	folded = hostlist_fold(names, m);
	buf_appendf(b, "%sskipped %zu: ", sep, m);
	if (stderr_tty)
		escape_terminal(b, folded, strlen(folded));
	else
		buf_appends(b, folded);
	buf_appendf(b, " (%s)", why ? why : "stopped");
	free(folded);
}

static void
summary(struct host **hosts, size_t n, double wall)
{
	size_t counts[EK__COUNT] = {0}, nfailed = 0, i;
	const char **names = xcalloc(n, sizeof *names);
	struct buf b;
	int k;
	bool first = true;

	for (i = 0; i < n; i++)
		counts[hosts[i]->kind]++;
	nfailed = n - counts[EK_NONE] - counts[EK_SKIPPED];
	buf_init(&b);
	buf_appendf(&b, "ok %zu", counts[EK_NONE]);
	if (nfailed > 0) {
		buf_appendf(&b, "%sfailed %zu (", sep, nfailed);
		for (k = 1; k < EK__COUNT; k++) {
			size_t m = 0;
			char *folded;

			if (counts[k] == 0 || k == EK_SKIPPED)
				continue;
			for (i = 0; i < n; i++) {
				if ((int)hosts[i]->kind == k)
					names[m++] = hosts[i]->spec;
			}
			folded = hostlist_fold(names, m);
			buf_appendf(&b, "%s%s %zu: ", first ? "" : sep,
			        errkind_name((enum err_kind)k), counts[k]);
			if (stderr_tty)
				escape_terminal(&b, folded, strlen(folded));
			else
				buf_appends(&b, folded);
			free(folded);
			first = false;
		}
		buf_appendc(&b, ')');
	}
	skipped_text(&b, hosts, n, names);
	lost_output(&b, hosts, n, names);
	buf_appendf(&b, "%s%.1f s", sep, wall);
	log_lock();
	fprintf(stderr, "%s\n", b.p);
	fflush(stderr);
	log_unlock();
	buf_free(&b);
	free(names);
}

void
output_set_deferred(void)
{
	output_deferred = true;
}

/* A held stream as prefixed lines, read back a chunk at a time. */
static void
prefix_spool(struct host *h, bool is_stderr, const struct spool *s)
{
	char *chunk = xmalloc(SPOOL_CHUNK);
	uint64_t off = 0;
	size_t n;

	while (off < s->len && (n = spool_read(s, off, chunk, SPOOL_CHUNK)) > 0) {
		prefix_data(h, is_stderr, chunk, n);
		off += n;
	}
	free(chunk);
}

#define SWAP(type, a, b)                                                                           \
	do {                                                                                       \
		type t_ = (a);                                                                     \
		(a) = (b);                                                                         \
		(b) = t_;                                                                          \
	} while (0)

/* Exchange h's current result with the earlier run r (twice puts them back). */
static void
swap_run(struct host *h, struct host_run *r)
{
	int k;

	SWAP(unsigned, h->run, r->run);
	SWAP(char *, h->run_command, r->command);
	SWAP(enum err_kind, h->kind, r->kind);
	SWAP(char *, h->error, r->error);
	SWAP(long long, h->exit_code, r->exit_code);
	SWAP(char *, h->exit_signal, r->exit_signal);
	SWAP(struct spool, h->out, r->out);
	SWAP(struct spool, h->err, r->err);
	SWAP(unsigned, h->run_base, r->base);
	SWAP(unsigned, h->attempts, r->attempts);
	SWAP(double, h->started, r->started);
	SWAP(double, h->finished, r->finished);
	for (k = 0; k < PHASE__COUNT; k++)
		SWAP(long, h->phase_ms[k], r->phase_ms[k]);
}

/*
 * What the run would have printed as it went, host after host; each of the
 * view's runs in turn, a later run's lines prefixed NAME#RUN.
 */
static void
deferred_host(struct host *h)
{
	char *name = h->name, *runname;
	size_t i;

	if (sink->run_done == NULL)
		return;
	for (i = 0; i <= h->npast; i++) {
		if (i < h->npast)
			swap_run(h, &h->past[i]);
		/* JSON says "run" in the object; lines say it in the prefix. */
		runname = h->run > 1 && output_mode != OUTPUT_JSON
		                  ? xasprintf("%s#%u", name, h->run)
		                  : NULL;
		if (runname != NULL)
			h->name = runname;
		sink->run_done(h);
		h->name = name;
		free(runname);
		if (i < h->npast)
			swap_run(h, &h->past[i]);
	}
}

/*
 * The view's runs, one line each before the summary: which command each
 * was and how it went (the summary itself counts each host's latest run).
 */
static void
runs_summary(struct host **hosts, size_t n)
{
	unsigned r, maxrun = 1;
	size_t i, j;

	for (i = 0; i < n; i++)
		maxrun = hosts[i]->run > maxrun ? hosts[i]->run : maxrun;
	log_lock();
	for (r = 1; r <= maxrun; r++) {
		size_t ok = 0, failed = 0;
		const char *cmd = r == 1 ? output_opts->command : NULL;

		for (i = 0; i < n; i++) {
			struct host *h = hosts[i];

			for (j = 0; j <= h->npast; j++) {
				unsigned run = j < h->npast ? h->past[j].run : h->run;
				enum err_kind k = j < h->npast ? h->past[j].kind : h->kind;

				if ((run ? run : 1) != r)
					continue;
				if (r > 1 && cmd == NULL)
					cmd = j < h->npast ? h->past[j].command : h->run_command;
				if (k == EK_NONE)
					ok++;
				else
					failed++;
			}
		}
		if (ok + failed == 0)
			continue;
		fprintf(stderr, "run %u: ", r);
		if (cmd != NULL) {
			struct buf b;

			buf_init(&b);
			if (stderr_tty)
				escape_terminal(&b, cmd, strlen(cmd));
			else
				buf_appends(&b, cmd);
			fwrite(b.p, 1, b.len, stderr);
			buf_free(&b);
		}
		fprintf(stderr, "%sok %zu%sfailed %zu\n", sep, ok, sep, failed);
	}
	fflush(stderr);
	log_unlock();
}

/* The JSON object, streams and all; the host holds them no longer. */
static void
json_write(struct host *h)
{
	struct buf b;

	buf_init(&b);
	pthread_mutex_lock(&stdout_mutex);
	json_object(&b, h, stdout);
	fwrite(b.p, 1, b.len, stdout);
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	buf_free(&b);
	spool_free(&h->out);
	spool_free(&h->err);
}

static void
prefix_run_done(struct host *h)
{
	prefix_spool(h, false, &h->out);
	prefix_spool(h, true, &h->err);
	flush_partial_lines(h);
	spool_free(&h->out);
	spool_free(&h->err);
}

/* -L: what the live view's end writes anyway, host after host (output_finish). */
static void
ordered_finish(struct host **hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n && !output_deferred; i++)
		prefix_run_done(hosts[i]);
}

static void
gather_finish(struct host **hosts, size_t n)
{
	compare_hosts(hosts, n, false, gather_groups);
}

static void
diff_finish(struct host **hosts, size_t n)
{
	compare_hosts(hosts, n, true, diff_groups);
}

static const struct output_sink sinks[OUTPUT__COUNT] = {
        [OUTPUT_PREFIX] = {.hold = false,
                .host_data = prefix_host_data,
                .host_done = flush_partial_lines,
                .run_done = prefix_run_done},
        [OUTPUT_JSON] = {.hold = true, .host_done = json_write, .run_done = json_write},
        [OUTPUT_GATHER] = {.hold = true, .finish = gather_finish},
        [OUTPUT_INLINE] = {.hold = true, .host_done = inline_block, .run_done = inline_block},
        [OUTPUT_DIFF] = {.hold = true, .finish = diff_finish},
        [OUTPUT_ORDERED] = {.hold = true, .run_done = prefix_run_done, .finish = ordered_finish},
};

int
output_finish(struct host **hosts, size_t n, double wall)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		runs_many |= hosts[i]->npast > 0;
	if (output_deferred) {
		/* The workers have ended: this thread alone writes now. */
		for (i = 0; i < n; i++)
			deferred_host(hosts[i]);
	}
	pthread_mutex_lock(&stdout_mutex);
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	if (sink->finish != NULL)
		sink->finish(hosts, n);
	if (output_opts->failed_file != NULL)
		rc = write_failed_file(hosts, n);
	if (runs_many && log_get_level() >= LOG_NORMAL)
		runs_summary(hosts, n);
	if (log_get_level() >= LOG_NORMAL)
		summary(hosts, n, wall);
	for (i = 0; i < n; i++) {
		if (hosts[i]->file_error != NULL)
			rc = 3;
	}
	/* A diagnostic that could not be written cannot be reported: only counted. */
	if (stdout_errno != 0 || fflush(stderr) != 0 || ferror(stderr))
		rc = 3;
	return rc;
}
