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
 * JSON, --inline, --gather and the live view hold each host's streams until
 * the end in spools (spool.c: memory up to a bound, then a temporary file)
 * and write them back chunk by chunk, so memory stays bounded too; -o writes
 * the files as the bytes arrive.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "escape.h"
#include "hostlist.h"
#include "log.h"
#include "output.h"
#include "spool.h"
#include "xmalloc.h"

/* A partial line longer than this goes out in pieces (documented in shoal(1)). */
#define LINE_PIECE 65536
/* Bytes of escaped output gathered before one write. */
#define WRITE_BATCH 65536

static const struct options *output_opts;
static pthread_mutex_t stdout_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool stdout_tty;
static bool stderr_tty;
static bool output_hold;     /* keep whole streams in the host (JSON, inline, gather) */
static bool output_deferred; /* the live view owns the terminal: print at the end */

/*
 * Flush stdout.  A reader that went away (| head) ends shoal the way it
 * ends any filter: quietly, by SIGPIPE, which shoal otherwise ignores.
 */
static void
stdout_flush(void)
{
	if (fflush(stdout) != 0 && errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
}

int
output_init(const struct options *o)
{
	output_opts = o;
	stdout_tty = isatty(STDOUT_FILENO);
	stderr_tty = isatty(STDERR_FILENO);
	output_hold = o->json || o->inline_output || o->gather;
	if (o->output_dir != NULL) {
		struct stat st;

		if (mkdir(o->output_dir, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "shoal: -o: cannot create '%s': %s\n", o->output_dir,
			        strerror(errno));
			return 2;
		}
		if (stat(o->output_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "shoal: -o: '%s' is not a directory\n", o->output_dir);
			return 2;
		}
	}
	return 0;
}

void
output_free(void)
{
	output_opts = NULL;
}

static int
open_host_file(const struct host *h, const char *ext)
{
	char *path = xasprintf("%s/%s.%s", output_opts->output_dir, h->alias, ext);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0)
		log_msg(LOG_QUIET, "%s: -o: cannot write '%s': %s", h->alias, path,
		        strerror(errno));
	free(path);
	return fd;
}

static void
write_all(int fd, const char *data, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, data, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		data += w;
		n -= (size_t)w;
	}
}

void
output_host_start(struct host *h)
{
	if (output_opts->output_dir == NULL || h->fd_out >= 0)
		return;
	h->fd_out = open_host_file(h, "out");
	h->fd_err = open_host_file(h, "err");
}

/* Write one line (without its newline) as "HOST: line\n". */
static void
write_prefixed(struct host *h, bool is_stderr, const char *line, size_t len)
{
	FILE *fp = is_stderr ? stderr : stdout;
	bool tty = is_stderr ? stderr_tty : stdout_tty;
	struct buf b;

	buf_init(&b);
	buf_appends(&b, h->alias);
	buf_appends(&b, ": ");
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
	struct buf *pending = is_stderr ? &h->line_err : &h->line_out;
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

void
output_host_data(struct host *h, bool is_stderr, const char *data, size_t n)
{
	if (output_opts->output_dir != NULL) {
		int fd = is_stderr ? h->fd_err : h->fd_out;

		if (fd >= 0)
			write_all(fd, data, n);
	}
	if (output_hold) {
		if (output_deferred)
			pthread_mutex_lock(&h->lock);
		spool_append(is_stderr ? &h->err : &h->out, data, n);
		h->err_last = is_stderr;
		if (output_deferred)
			pthread_mutex_unlock(&h->lock);
		return;
	}
	prefix_data(h, is_stderr, data, n);
	/* Lines reach a pipe or file as they come, not when the run ends. */
	if (!is_stderr) {
		pthread_mutex_lock(&stdout_mutex);
		stdout_flush();
		pthread_mutex_unlock(&stdout_mutex);
	}
}

static const char *
host_status(const struct host *h)
{
	return h->kind == EK_NONE ? "ok" : "failed";
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
	escape_json_string(b, h->alias);
	buf_appends(b, ",\"user\":");
	escape_json_string(b, h->login_user ? h->login_user : h->user);
	if (h->login_port > 0)
		buf_appendf(b, ",\"port\":%d", h->login_port);
	else if (h->port > 0)
		buf_appendf(b, ",\"port\":%d", h->port);
	else
		buf_appends(b, ",\"port\":null");
	buf_appendf(b, ",\"status\":\"%s\",\"error_kind\":", host_status(h));
	escape_json_string(b, h->kind == EK_NONE ? NULL : errkind_name(h->kind));
	buf_appends(b, ",\"error\":");
	escape_json_string(b, h->kind == EK_NONE ? NULL : h->error);
	if (h->exit_code >= 0)
		buf_appendf(b, ",\"exit_code\":%d", h->exit_code);
	else
		buf_appends(b, ",\"exit_code\":null");
	buf_appends(b, ",\"signal\":");
	escape_json_string(b, h->exit_signal);
	buf_appendf(b, ",\"attempts\":%u,\"attempt_errors\":[", h->attempts);
	/* Every failed attempt before the last, with its kind, phase and detail. */
	for (i = 0; i + 1 < (int)h->attempts && h->history != NULL; i++) {
		const struct attempt *a = &h->history[i];

		buf_appendf(b, "%s{\"error_kind\":\"%s\",\"phase\":\"%s\",\"error\":", i ? "," : "",
		        errkind_name(a->kind), errkind_phase_key(a->phase));
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

	/* Hosts a cancel kept from starting are counted in the summary only. */
	if (h->kind == EK_NONE || (h->kind == EK_CANCELLED && h->attempts == 0))
		return;
	if (h->kind == EK_EXIT_NONZERO || h->kind == EK_SIGNAL)
		log_msg(LOG_NORMAL, "%s: %s: %s", h->alias, ki->name, h->error);
	else
		log_msg(LOG_NORMAL, "%s: %s (%s phase, attempt %u/%d): %s", h->alias, ki->name,
		        errkind_phase_name(
		                h->history ? h->history[h->attempts - 1].phase : ki->phase),
		        h->attempts, output_opts->retries + 1, h->error);
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
	buf_appendf(&hdr, "----- %s (", h->alias);
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

/*
 * --gather: hosts with identical output under one folded list, with counts.
 * Outputs are compared by size and hash, then confirmed byte by byte, all
 * read back from the spools a chunk at a time.
 */
static void
gather(struct host **hosts, size_t n)
{
	struct gather_item *items = xcalloc(n ? n : 1, sizeof *items);
	const char **names = xcalloc(n ? n : 1, sizeof *names);
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		items[i].h = hosts[i];
		items[i].hash_out = spool_hash(&hosts[i]->out);
		items[i].hash_err = spool_hash(&hosts[i]->err);
	}
	qsort(items, n, sizeof *items, cmp_output);
	for (i = 0; i < n; i = j) {
		const struct host *first = items[i].h;
		struct buf hdr;
		char *folded;

		for (j = i; j < n && (j == i || same_output(&items[i], &items[j])); j++)
			names[j - i] = items[j].h->alias;
		if (first->out.len == 0 && first->err.len == 0)
			continue;
		folded = hostlist_fold(names, j - i);
		buf_init(&hdr);
		buf_appends(&hdr, "---------------\n");
		if (stdout_tty)
			escape_terminal(&hdr, folded, strlen(folded));
		else
			buf_appends(&hdr, folded);
		buf_appendf(&hdr, " (%zu)\n---------------\n", j - i);
		fwrite(hdr.p, 1, hdr.len, stdout);
		write_block(stdout, stdout_tty, &first->out);
		if (first->err.len > 0) {
			fputs("(stderr)\n", stdout);
			write_block(stdout, stdout_tty, &first->err);
		}
		buf_free(&hdr);
		free(folded);
	}
	for (k = 0; k < n; k++) {
		spool_free(&hosts[k]->out);
		spool_free(&hosts[k]->err);
	}
	stdout_flush();
	free(names);
	free(items);
}

/* The last lines without their newline, written whole at the host's end. */
static void
flush_partial_lines(struct host *h)
{
	if (h->line_out.len > 0)
		write_prefixed(h, false, h->line_out.p, h->line_out.len);
	if (h->line_err.len > 0)
		write_prefixed(h, true, h->line_err.p, h->line_err.len);
	buf_free(&h->line_out);
	buf_free(&h->line_err);
}

/* Held bytes the temporary file could not take are said, not dropped silently. */
static void
report_lost(const struct host *h, const char *name, const struct spool *s)
{
	const char *dir = getenv("TMPDIR");

	if (s->lost > 0)
		log_msg(LOG_QUIET,
		        "%s: output: %llu bytes of %s lost: cannot write the temporary file in %s: "
		        "%s",
		        h->alias, (unsigned long long)s->lost, name, dir && *dir ? dir : "/tmp",
		        strerror(s->err));
}

void
output_host_done(struct host *h)
{
	struct buf b;
	int fd;

	flush_partial_lines(h);
	if (output_hold) {
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
	if (output_opts->json && !output_deferred) {
		buf_init(&b);
		pthread_mutex_lock(&stdout_mutex);
		json_object(&b, h, stdout);
		fwrite(b.p, 1, b.len, stdout);
		stdout_flush();
		pthread_mutex_unlock(&stdout_mutex);
		buf_free(&b);
		/* The object holds the streams; the host need not any longer. */
		spool_free(&h->out);
		spool_free(&h->err);
	}
	if (output_opts->inline_output && !output_deferred)
		inline_block(h);
	if (output_opts->output_dir != NULL) {
		output_host_start(h); /* a host that never ran still gets its files */
		if (h->fd_out >= 0)
			close(h->fd_out);
		if (h->fd_err >= 0)
			close(h->fd_err);
		h->fd_out = h->fd_err = -1;
		fd = open_host_file(h, "json");
		if (fd >= 0) {
			buf_init(&b);
			json_object(&b, h, NULL);
			write_all(fd, b.p, b.len);
			buf_free(&b);
			close(fd);
		}
	}
	report_failure(h);
}

void
output_host_retry(struct host *h, double delay)
{
	const struct attempt *a = &h->history[h->attempts - 1];

	log_msg(LOG_VERBOSE, "%s: attempt %u/%d failed: %s: %s; retrying in %.1f s", h->alias,
	        h->attempts, output_opts->retries + 1, errkind_name(a->kind), a->error, delay);
}

int
output_exit_status(struct host **hosts, size_t n)
{
	int worst = EC_OK;
	size_t i;

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
	case EC_INTERRUPTED:
		return 130;
	}
	return 3;
}

static int
write_failed_file(struct host **hosts, size_t n)
{
	FILE *fp = fopen(output_opts->failed_file, "w");
	size_t i;

	if (fp == NULL) {
		log_msg(LOG_QUIET, "--failed: cannot write '%s': %s", output_opts->failed_file,
		        strerror(errno));
		return 3;
	}
	for (i = 0; i < n; i++) {
		char *spec;

		if (hosts[i]->kind == EK_NONE)
			continue;
		spec = host_spec_string(hosts[i]->alias, hosts[i]->user, hosts[i]->port);
		fprintf(fp, "%s\n", spec);
		free(spec);
	}
	if (fclose(fp) != 0) {
		log_msg(LOG_QUIET, "--failed: cannot write '%s': %s", output_opts->failed_file,
		        strerror(errno));
		return 3;
	}
	return 0;
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
	nfailed = n - counts[EK_NONE];
	buf_init(&b);
	buf_appendf(&b, "ok %zu", counts[EK_NONE]);
	if (nfailed > 0) {
		buf_appendf(&b, " \xc2\xb7 failed %zu (", nfailed);
		for (k = 1; k < EK__COUNT; k++) {
			size_t m = 0;
			char *folded;

			if (counts[k] == 0)
				continue;
			for (i = 0; i < n; i++) {
				if ((int)hosts[i]->kind == k)
					names[m++] = hosts[i]->alias;
			}
			folded = hostlist_fold(names, m);
			buf_appendf(&b, "%s%s %zu: ", first ? "" : " \xc2\xb7 ",
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
	buf_appendf(&b, " \xc2\xb7 %.1f s", wall);
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
	output_hold = true;
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

/* What the run would have printed as it went, host after host. */
static void
deferred_host(struct host *h)
{
	struct buf b;

	if (output_opts->json) {
		buf_init(&b);
		json_object(&b, h, stdout);
		fwrite(b.p, 1, b.len, stdout);
		buf_free(&b);
	} else if (output_opts->inline_output) {
		inline_block(h);
		return;
	} else if (output_opts->gather) {
		return;
	} else {
		prefix_spool(h, false, &h->out);
		prefix_spool(h, true, &h->err);
		flush_partial_lines(h);
	}
	spool_free(&h->out);
	spool_free(&h->err);
}

int
output_finish(struct host **hosts, size_t n, double wall)
{
	size_t i;
	int rc = 0;

	if (output_deferred) {
		/* The workers have ended: this thread alone writes now. */
		for (i = 0; i < n; i++)
			deferred_host(hosts[i]);
	}
	pthread_mutex_lock(&stdout_mutex);
	stdout_flush();
	pthread_mutex_unlock(&stdout_mutex);
	if (output_opts->gather) {
		pthread_mutex_lock(&stdout_mutex);
		gather(hosts, n);
		pthread_mutex_unlock(&stdout_mutex);
	}
	if (output_opts->failed_file != NULL)
		rc = write_failed_file(hosts, n);
	if (log_get_level() >= LOG_NORMAL)
		summary(hosts, n, wall);
	return rc;
}
