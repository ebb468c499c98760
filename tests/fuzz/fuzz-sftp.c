/*
 * fuzz-sftp.c - fuzz target for the SFTP client's reading of answers: the
 * input is everything the "server" sends, and a whole transfer session runs
 * against it (version and extensions, REALPATH, STAT, a directory listing,
 * statvfs, open, fstat, a download, an upload, setstat, rename, mkdir,
 * remove).
 *
 * src/sftpc.c is compiled into this file, its libssh channel calls turned
 * into the few functions below by macros: production code stays as it is,
 * and its static readers (packet_peek, take_status, get_attrs, the name
 * lists) run exactly as they do over a real channel.  Requests are
 * swallowed; answers come from the input, in pieces of the size its first
 * byte gives (0: a packet per read, as the server answers each request in
 * turn), then the channel reports EOF.  Ids are numbered from 1 in
 * the order above, so the seeds (tests/fuzz/mkcorpus-sftp.py) answer them.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "alive.h"
#include "fuzz.h"
#include "wait.h"

const char fuzz_alphabet[] = "\x01\x02\x03\x04\x05\x08\x0c\x10\x20\x65\x66\x67\x68\x69"
                             "\x80\xc9\xff./abc";

static struct {
	const uint8_t *p;
	size_t n;
	size_t piece;
} feed;

static int channel_dummy;

static ssh_channel
fz_channel_new(ssh_session s)
{
	return (ssh_channel)&channel_dummy;
}

static int
fz_channel_ok(ssh_channel ch)
{
	return SSH_OK;
}

static int
fz_channel_subsystem(ssh_channel ch, const char *name)
{
	return SSH_OK;
}

static int
fz_is_open(ssh_channel ch)
{
	return 1;
}

static void
fz_channel_free(ssh_channel ch)
{
}

static uint32_t
fz_window(ssh_channel ch)
{
	return 2u << 20;
}

static int
fz_write(ssh_channel ch, const void *data, uint32_t len)
{
	return (int)len;
}

static int
fz_read_timeout(ssh_channel ch, void *dest, uint32_t count, int is_stderr, int ms)
{
	size_t k = feed.n < count ? feed.n : count, piece = feed.piece;

	if (piece == 0 && feed.n >= 4) /* one packet, as a server answers one request */
		piece = 4 + ((size_t)feed.p[0] << 24 | (size_t)feed.p[1] << 16 |
		                    (size_t)feed.p[2] << 8 | feed.p[3]);
	if (piece > 0 && k > piece)
		k = piece;
	memcpy(dest, feed.p, k);
	feed.p += k;
	feed.n -= k;
	return (int)k;
}

static int
fz_read_nonblocking(ssh_channel ch, void *dest, uint32_t count, int is_stderr)
{
	return 0;
}

static int
fz_is_eof(ssh_channel ch)
{
	return feed.n == 0;
}

static int
fz_options_set(ssh_session s, enum ssh_options_e type, const void *value)
{
	return 0;
}

static void
fz_set_blocking(ssh_session s, int blocking)
{
}

static const char *
fz_get_error(void *s)
{
	return "fuzz channel error";
}

static void
fz_alive_start(struct alive *a, ssh_session s, double interval, int count)
{
}

static void
fz_alive_stop(struct alive *a, ssh_session s)
{
}

static bool
fz_alive_check(struct alive *a, ssh_session s)
{
	return true;
}

static const char *
fz_alive_why(struct alive *a)
{
	return "";
}

#define ssh_channel_new               fz_channel_new
#define ssh_channel_open_session      fz_channel_ok
#define ssh_channel_request_subsystem fz_channel_subsystem
#define ssh_channel_send_eof          fz_channel_ok
#define ssh_channel_close             fz_channel_ok
#define ssh_channel_free              fz_channel_free
#define ssh_channel_is_open           fz_is_open
#define ssh_channel_is_closed         fz_is_eof
#define ssh_channel_is_eof            fz_is_eof
#define ssh_channel_window_size       fz_window
#define ssh_channel_write             fz_write
#define ssh_channel_read_timeout      fz_read_timeout
#define ssh_channel_read_nonblocking  fz_read_nonblocking
#define ssh_options_set               fz_options_set
#define ssh_set_blocking              fz_set_blocking
#define ssh_get_error                 fz_get_error
#define alive_start                   fz_alive_start
#define alive_stop                    fz_alive_stop
#define alive_check                   fz_alive_check
#define alive_why                     fz_alive_why

#include "sftpc.c"

/* What the client keeps of a server's text must be printable. */
static void
check_message(const struct sftpc *s)
{
	fuzz_check_printable(s->message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int upfd = -1, downfd = -1;
	struct sftpc s;
	/* A channel of a session (no keepalives): the stand-in channel below. */
	const struct sftpc_link link = {(ssh_session)&channel_dummy, 0, 0, -1};
	struct sftpc_attrs a = {0}, set = {SFTPC_ATTR_PERM | SFTPC_ATTR_TIMES, 0, 0644, 1, 2};
	struct sftpc_handle fh;
	struct sftpc_entry *ents;
	char *path = NULL;
	size_t n, i;
	uint64_t moved, space;

	if (upfd < 0) {
		static const char block[4096];

		/* 70 kB: one full write request and a short one. */
		upfd = memfd_create("fuzz-sftp-up", 0);
		downfd = open("/dev/null", O_WRONLY);
		if (upfd < 0 || downfd < 0)
			abort();
		for (i = 0; i < 70000 / sizeof block; i++) {
			if (write(upfd, block, sizeof block) != (ssize_t)sizeof block)
				abort();
		}
	}
	if (size == 0)
		return 0;
	feed.piece = data[0];
	feed.p = data + 1;
	feed.n = size - 1;

	if (sftpc_start(&s, &link, wait_now() + 3600) == 0) {
		if (sftpc_realpath(&s, ".", &path) == 0)
			free(path);
		check_message(&s);
		sftpc_stat(&s, "f", &a);
		check_message(&s);
		if (sftpc_list(&s, "d", &ents, &n) == 0) {
			for (i = 0; i < n; i++) {
				if (ents[i].name == NULL)
					abort();
			}
			sftpc_entries_free(ents, n);
		}
		check_message(&s);
		sftpc_free_space(&s, "d", &space);
		if (sftpc_open(&s, "f", SFTPC_READ, NULL, &fh) == 0) {
			if (fh.len > sizeof fh.data)
				abort();
			sftpc_fstat(&s, &fh, &a);
			sftpc_download(&s, &fh, a.size, downfd, &moved, NULL, NULL);
			check_message(&s);
			sftpc_close(&s, &fh);
		}
		if (sftpc_open(&s, "g", SFTPC_WRITE | SFTPC_CREAT | SFTPC_TRUNC, &set, &fh) == 0) {
			lseek(upfd, 0, SEEK_SET);
			sftpc_upload(&s, &fh, upfd, &moved, NULL, NULL);
			sftpc_fsetstat(&s, &fh, &set);
			sftpc_close(&s, &fh);
		}
		sftpc_setstat(&s, "g", &set);
		sftpc_rename(&s, "g", "h");
		sftpc_mkdir(&s, "e", 0755);
		sftpc_remove(&s, "h");
		check_message(&s);
		sftpc_strerror(&s);
	}
	check_message(&s);
	sftpc_end(&s);
	return 0;
}
