/*
 * spool.c - the byte stores of spool.h.
 *
 * A spool keeps its first bytes in memory (at most HEAD_MAX, and only while
 * the heads of all spools stay within MEM_BUDGET); later bytes collect in a
 * tail of SPOOL_CHUNK bytes that is written, when full, to the end of one
 * temporary file shared by every spool, as an extent of that spool.  So the
 * memory of a run is bounded whatever the hosts print, and one file
 * descriptor serves any number of hosts.  The file is created on the first
 * spill, in $TMPDIR (else /tmp), mode 0600, unlinked from the start
 * (O_TMPFILE, or mkstemp and unlink), so it disappears with shoal however
 * shoal ends; a freed spool punches its extents out of it.
 *
 * Threads: appends to one spool come from one thread at a time (its owner);
 * the file's end is reserved under file_mutex and written with pwrite outside
 * it.  A failed write keeps the tail it could not write in memory, and every
 * later byte of that spool is counted as lost (err says why): the caller
 * reports it; nothing is dropped silently.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "xmalloc.h"

#define HEAD_MIN   1024        /* first head: thousands of hosts with a line each fit the budget */
#define HEAD_MAX   (1u << 20)  /* bytes of one spool kept in memory */
#define MEM_BUDGET (16u << 20) /* bytes of all heads together */

static pthread_mutex_t file_mutex = PTHREAD_MUTEX_INITIALIZER;
static int file_fd = -1;
static int file_errno; /* the file could not be created: do not try again */
static uint64_t file_end;
static size_t mem_used; /* head capacity of all spools, under file_mutex */

void
spool_init(struct spool *s)
{
	memset(s, 0, sizeof *s);
}

static int
file_open_locked(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (file_fd >= 0 || file_errno != 0)
		return file_fd >= 0 ? 0 : file_errno;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* A file system without O_TMPFILE: a named file, unlinked at once. */
		path = xasprintf("%s/shoal-spool-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	if (fd < 0) {
		file_errno = errno ? errno : EIO;
		return file_errno;
	}
	file_fd = fd;
	return 0;
}

/* Write n bytes to the file as the spool's next extent; 0 or an errno. */
static int
spill(struct spool *s, const char *data, size_t n)
{
	uint64_t off;
	size_t done = 0;
	int rc;

	pthread_mutex_lock(&file_mutex);
	rc = file_open_locked();
	off = file_end;
	if (rc == 0)
		file_end += n;
	pthread_mutex_unlock(&file_mutex);
	if (rc != 0)
		return rc;
	while (done < n) {
		ssize_t w = pwrite(file_fd, data + done, n - done, (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : ENOSPC;
		done += (size_t)w;
	}
	if (s->next > 0 && s->ext[s->next - 1].off + s->ext[s->next - 1].len == off) {
		s->ext[s->next - 1].len += n;
		return 0;
	}
	if (s->next == s->cap_ext) {
		s->cap_ext = s->cap_ext ? s->cap_ext * 2 : 16;
		s->ext = xreallocarray(s->ext, s->cap_ext, sizeof *s->ext);
	}
	s->ext[s->next].off = off;
	s->ext[s->next].len = n;
	s->next++;
	return 0;
}

/* Room in the head for n more bytes, growing it within the budgets. */
static size_t
head_room(struct spool *s, size_t n)
{
	size_t cap = s->head_cap ? s->head_cap : HEAD_MIN;
	bool ok = false;

	if (s->head_cap - s->head_len >= n || s->head_cap >= HEAD_MAX)
		return s->head_cap - s->head_len;
	while (cap - s->head_len < n && cap < HEAD_MAX)
		cap *= 2;
	if (cap > HEAD_MAX)
		cap = HEAD_MAX;
	pthread_mutex_lock(&file_mutex);
	if (mem_used + cap - s->head_cap <= MEM_BUDGET) {
		mem_used += cap - s->head_cap;
		ok = true;
	}
	pthread_mutex_unlock(&file_mutex);
	if (ok) {
		s->head = xrealloc(s->head, cap);
		s->head_cap = cap;
	}
	return s->head_cap - s->head_len;
}

void
spool_append(struct spool *s, const void *data, size_t n)
{
	const char *p = data;
	size_t take;
	int rc;

	if (s->err != 0) {
		s->lost += n;
		return;
	}
	if (s->next == 0 && s->tail_len == 0) {
		/* Still filling the head: nothing has gone to the file yet. */
		take = head_room(s, n);
		if (take > n)
			take = n;
		if (take > 0)
			memcpy(s->head + s->head_len, p, take);
		s->head_len += take;
		s->len += take;
		p += take;
		n -= take;
	}
	while (n > 0) {
		if (s->tail_len == 0 && n >= SPOOL_CHUNK) {
			/* Whole chunks go to the file without a copy. */
			take = n - n % SPOOL_CHUNK;
			if ((rc = spill(s, p, take)) != 0) {
				s->err = rc;
				s->lost += n;
				return;
			}
			s->len += take;
			p += take;
			n -= take;
			continue;
		}
		if (s->tail == NULL)
			s->tail = xmalloc(SPOOL_CHUNK);
		take = SPOOL_CHUNK - s->tail_len;
		if (take > n)
			take = n;
		memcpy(s->tail + s->tail_len, p, take);
		s->tail_len += take;
		s->len += take;
		p += take;
		n -= take;
		if (s->tail_len == SPOOL_CHUNK) {
			if ((rc = spill(s, s->tail, s->tail_len)) != 0) {
				/* The full tail stays readable in memory. */
				s->err = rc;
				s->lost += n;
				return;
			}
			s->tail_len = 0;
		}
	}
}

void
spool_seal(struct spool *s)
{
	int rc;

	if (s->tail_len > 0 && s->err == 0) {
		if ((rc = spill(s, s->tail, s->tail_len)) != 0)
			s->err = rc;
		else
			s->tail_len = 0;
	}
	if (s->tail_len == 0) {
		free(s->tail);
		s->tail = NULL;
	}
}

void
spool_free(struct spool *s)
{
	size_t i;

#ifdef FALLOC_FL_PUNCH_HOLE
	for (i = 0; i < s->next && file_fd >= 0; i++)
		(void)fallocate(file_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		        (off_t)s->ext[i].off, (off_t)s->ext[i].len);
#else
	(void)i;
#endif
	if (s->head_cap > 0) {
		pthread_mutex_lock(&file_mutex);
		mem_used -= s->head_cap;
		pthread_mutex_unlock(&file_mutex);
	}
	free(s->head);
	free(s->ext);
	free(s->tail);
	spool_init(s);
}

size_t
spool_read(const struct spool *s, uint64_t off, char *dst, size_t n)
{
	uint64_t tail_start = s->len - s->tail_len, pos;
	size_t done = 0, take, i;
	ssize_t r;

	while (done < n && off < s->len) {
		take = n - done;
		if (off < s->head_len) {
			if (take > s->head_len - off)
				take = s->head_len - (size_t)off;
			memcpy(dst + done, s->head + off, take);
		} else if (off >= tail_start) {
			if (take > s->len - off)
				take = (size_t)(s->len - off);
			memcpy(dst + done, s->tail + (off - tail_start), take);
		} else {
			/*
			 * The extent holding off, walked from the first: there are few,
			 * for extents of one spool coalesce unless hosts interleave.
			 */
			pos = s->head_len;
			for (i = 0; i < s->next && off >= pos + s->ext[i].len; i++)
				pos += s->ext[i].len;
			if (i == s->next)
				break;
			if (take > pos + s->ext[i].len - off)
				take = (size_t)(pos + s->ext[i].len - off);
			r = pread(file_fd, dst + done, take, (off_t)(s->ext[i].off + (off - pos)));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			take = (size_t)r;
		}
		done += take;
		off += take;
	}
	return done;
}

int
spool_last(const struct spool *s)
{
	char c;

	if (s->len == 0 || spool_read(s, s->len - 1, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

bool
spool_equal(const struct spool *a, const struct spool *b)
{
	char *x, *y;
	uint64_t off = 0;
	bool same = true;

	if (a->len != b->len)
		return false;
	x = xmalloc(SPOOL_CHUNK);
	y = xmalloc(SPOOL_CHUNK);
	while (same && off < a->len) {
		size_t n = spool_read(a, off, x, SPOOL_CHUNK);

		same = n > 0 && spool_read(b, off, y, n) == n && memcmp(x, y, n) == 0;
		off += n;
	}
	free(x);
	free(y);
	return same;
}

uint64_t
spool_hash(const struct spool *s)
{
	/* FNV-1a over 8-byte words, in chunks read from fixed offsets. */
	uint64_t h = 0xcbf29ce484222325ULL ^ s->len, off = 0, w;
	char *chunk = xmalloc(SPOOL_CHUNK);
	size_t n, i;

	while (off < s->len && (n = spool_read(s, off, chunk, SPOOL_CHUNK)) > 0) {
		for (i = 0; i < n; i += 8) {
			w = 0;
			memcpy(&w, chunk + i, n - i < 8 ? n - i : 8);
			h = (h ^ w) * 0x100000001b3ULL;
			h ^= h >> 29;
		}
		off += n;
	}
	free(chunk);
	return h;
}
