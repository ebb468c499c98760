/*
 * sftpc.c - a small SFTP version 3 client (draft-ietf-secsh-filexfer-02, what
 * OpenSSH's sftp-server speaks) over an "sftp" subsystem channel.
 *
 * Why not libssh's own sftp_* functions: in 0.10 every one of them waits for
 * its answer in a loop that retries a read timeout forever, so a server that
 * stalls holds the worker past --command-timeout and past a cancel; and
 * sftp_write sends one request and waits for its answer before the next, so
 * an upload moves one chunk per round trip.  Here the channel is driven like
 * exec.c drives a command: the session in blocking mode with short read
 * timeouts, every wait looking at the cancel flag and the deadline, and data
 * moving with up to IN_FLIGHT requests outstanding.
 *
 * Requests are built in outq and handed to the channel only as far as its
 * window allows, so a write never waits for the window; a new data request
 * is queued only when outq is empty, so a cancel leaves at most one request
 * to finish sending.  Answers are read into `in` and taken a whole packet at
 * a time.  Simple calls send one request and wait for the answer with its
 * id, dropping stale answers to requests an earlier failure abandoned.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cancel.h"
#include "escape.h"
#include "sftpc.h"
#include "wait.h"
#include "xmalloc.h"

enum {
	FXP_INIT = 1,
	FXP_VERSION = 2,
	FXP_OPEN = 3,
	FXP_CLOSE = 4,
	FXP_READ = 5,
	FXP_WRITE = 6,
	FXP_LSTAT = 7,
	FXP_FSTAT = 8,
	FXP_SETSTAT = 9,
	FXP_FSETSTAT = 10,
	FXP_OPENDIR = 11,
	FXP_READDIR = 12,
	FXP_REMOVE = 13,
	FXP_MKDIR = 14,
	FXP_REALPATH = 16,
	FXP_STAT = 17,
	FXP_RENAME = 18,
	FXP_STATUS = 101,
	FXP_HANDLE = 102,
	FXP_DATA = 103,
	FXP_NAME = 104,
	FXP_ATTRS = 105,
	FXP_EXTENDED = 200,
	FXP_EXTENDED_REPLY = 201,
};

#define CHUNK      65536  /* bytes per read or write request */
#define IN_FLIGHT  32     /* requests outstanding: 2 MB, OpenSSH's channel window */
#define READ_SMALL 16384  /* one channel read when only answers come back */
#define READ_MAX   131072 /* one read of a download: asking this much keeps libssh's window open */
#define PACKET_MAX (1024 * 1024) /* larger answers are a protocol error */
#define WAIT_MS    50

/* Bytes kept of a server's error text. */
#define MESSAGE_MAX 300

/* ---- building requests ------------------------------------------------- */

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	        (unsigned char)(v >> 8), (unsigned char)v};

	buf_append(b, x, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
put_str(struct buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	buf_append(b, p, n);
}

static void
put_cstr(struct buf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

static void
put_attrs(struct buf *b, const struct sftpc_attrs *a)
{
	uint32_t flags = a ? a->flags & (SFTPC_ATTR_SIZE | SFTPC_ATTR_PERM | SFTPC_ATTR_TIMES) : 0;

	put_u32(b, flags);
	if (flags & SFTPC_ATTR_SIZE)
		put_u64(b, a->size);
	if (flags & SFTPC_ATTR_PERM)
		put_u32(b, a->perm);
	if (flags & SFTPC_ATTR_TIMES) {
		put_u32(b, a->atime);
		put_u32(b, a->mtime);
	}
}

/* Start a request in outq; returns its id.  req_end fills in the length. */
static uint32_t
req_begin(struct sftpc *s, unsigned char type, size_t *start)
{
	uint32_t id = s->next_id++;

	*start = s->outq.len;
	put_u32(&s->outq, 0);
	buf_appendc(&s->outq, (char)type);
	put_u32(&s->outq, id);
	return id;
}

static void
req_end(struct sftpc *s, size_t start)
{
	uint32_t len = (uint32_t)(s->outq.len - start - 4);
	unsigned char *p = (unsigned char *)s->outq.p + start;

	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
}

/* ---- reading answers --------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t n;
	bool bad;
};

static uint32_t
get_u32(struct rd *r)
{
	uint32_t v;

	if (r->n < 4) {
		r->bad = true;
		r->n = 0;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return v;
}

static uint64_t
get_u64(struct rd *r)
{
	uint64_t hi = get_u32(r);

	return hi << 32 | get_u32(r);
}

static const char *
get_str(struct rd *r, uint32_t *len)
{
	uint32_t l = get_u32(r);
	const char *p = (const char *)r->p;

	if (r->bad || l > r->n) {
		r->bad = true;
		r->n = 0;
		*len = 0;
		return "";
	}
	r->p += l;
	r->n -= l;
	*len = l;
	return p;
}

static void
get_attrs(struct rd *r, struct sftpc_attrs *a)
{
	uint32_t i, n, len;

	memset(a, 0, sizeof *a);
	a->flags = get_u32(r);
	if (a->flags & SFTPC_ATTR_SIZE)
		a->size = get_u64(r);
	if (a->flags & 0x2u) { /* uid, gid */
		get_u32(r);
		get_u32(r);
	}
	if (a->flags & SFTPC_ATTR_PERM)
		a->perm = get_u32(r);
	if (a->flags & SFTPC_ATTR_TIMES) {
		a->atime = get_u32(r);
		a->mtime = get_u32(r);
	}
	if (a->flags & 0x80000000u) { /* extended pairs */
		n = get_u32(r);
		for (i = 0; i < n && !r->bad; i++) {
			get_str(r, &len);
			get_str(r, &len);
		}
	}
}

/* ---- failures ---------------------------------------------------------- */

static int
fail(struct sftpc *s, enum sftpc_fail f, const char *msg)
{
	s->fail = f;
	free(s->message);
	s->message = msg && *msg ? escape_text(msg, strlen(msg), MESSAGE_MAX) : NULL;
	return -1;
}

static int
fail_status(struct sftpc *s, uint32_t status, const char *msg, size_t len)
{
	s->fail = SFTPC_STATUS;
	s->status = status;
	free(s->message);
	s->message = len ? escape_text(msg, len, MESSAGE_MAX) : NULL;
	return -1;
}

const char *
sftpc_strerror(const struct sftpc *s)
{
	switch (s->fail) {
	case SFTPC_OK:
		return "no error";
	case SFTPC_TIMEOUT:
		return "timed out";
	case SFTPC_CANCELLED:
		return "interrupted";
	case SFTPC_LOST:
		return "connection lost";
	case SFTPC_PROTOCOL:
		return "SFTP protocol error";
	case SFTPC_LOCAL:
		return strerror(s->sys_errno);
	case SFTPC_STATUS:
		break;
	}
	switch (s->status) {
	case SFTPC_FX_EOF:
		return "unexpected end of file";
	case SFTPC_FX_NO_SUCH_FILE:
		return "no such file or directory";
	case SFTPC_FX_PERMISSION_DENIED:
		return "permission denied";
	case SFTPC_FX_OP_UNSUPPORTED:
		return "operation not supported by the server";
	default:
		return "failure";
	}
}

/* ---- moving bytes ------------------------------------------------------ */

/* Whether a request queued now could leave at once: the channel's window has room. */
static bool
can_write(const struct sftpc *s)
{
	return s->session == NULL || ssh_channel_window_size(s->ch) > 0;
}

/*
 * One round over the session: hand what the window takes of outq to the
 * channel, then read what has arrived, waiting up to wait_ms for it.
 */
static int
pump_channel(struct sftpc *s, int wait_ms)
{
	char junk[1024];
	int n;

	if (!alive_check(&s->alive, s->session)) {
		s->host_gone = true;
		return fail(s, SFTPC_LOST, alive_why(&s->alive));
	}
	if (s->outq.len > 0) {
		uint32_t win = ssh_channel_window_size(s->ch);
		size_t want = s->outq.len < win ? s->outq.len : win;

		if (want > 0) {
			n = ssh_channel_write(s->ch, s->outq.p, (uint32_t)want);
			if (n < 0)
				return fail(s, SFTPC_LOST, ssh_get_error(s->session));
			buf_consume(&s->outq, (size_t)n);
			if (n > 0)
				wait_ms = 0;
		}
	}
	buf_reserve(&s->in, s->read_size);
	n = ssh_channel_read_timeout(
	        s->ch, s->in.p + s->in.len, (uint32_t)s->read_size, 0, wait_ms);
	if (n == SSH_ERROR)
		return fail(s, SFTPC_LOST, ssh_get_error(s->session));
	if (n > 0) {
		s->in.len += (size_t)n;
		s->in.p[s->in.len] = '\0';
	} else if (ssh_channel_is_eof(s->ch) || ssh_channel_is_closed(s->ch)) {
		return fail(s, SFTPC_LOST, "the SFTP server closed the channel");
	}
	/* The server's stderr shares the window: never let it fill. */
	while (ssh_channel_read_nonblocking(s->ch, junk, sizeof junk, 1) > 0)
		;
	return 0;
}

/*
 * One round over a keeper's relay: outq goes as 'i' frames, 'o' frames are
 * the channel's bytes, 'D' its end as the keeper saw it (kind and detail,
 * as mux_send_done writes them).  The keeper watches the host's liveness;
 * this side watches the keeper's.
 */
static int
pump_relay(struct sftpc *s, int wait_ms)
{
	struct outcome end = OUTCOME_INIT;
	struct run_exit ex = {false, -1, NULL};
	const char *data;
	char type, *text;
	size_t len, off;
	int rc;

	for (off = 0; off < s->outq.len; off += len) {
		len = s->outq.len - off < CHUNK * 4 ? s->outq.len - off : CHUNK * 4;
		mux_stream_put(&s->relay, 'i', s->outq.p + off, len);
		wait_ms = 0;
	}
	buf_reset(&s->outq);
	if (mux_stream_pump(&s->relay, -1, wait_ms) < 0)
		s->relay.closed = true;
	while ((rc = mux_stream_take(&s->relay, &type, &data, &len)) == 1) {
		s->relay_heard = wait_now();
		if (type == 'o') {
			buf_append(&s->in, data, len);
		} else if (type == 'D') {
			text = xstrndup(data, len);
			rc = mux_parse_done(text, &end, &ex);
			free(text);
			free(ex.signal);
			s->relay.closed = true;
			s->host_gone = rc == 0 && end.kind == EK_LOST;
			rc = fail(s, SFTPC_LOST,
			        rc == 0 ? end.error : "the keeper's end was not understood");
			outcome_clear(&end);
			return rc;
		}
	}
	if (rc < 0)
		return fail(s, SFTPC_PROTOCOL, "the keeper sent a frame too long");
	if (s->relay.closed) {
		s->host_gone = true;
		return fail(s, SFTPC_LOST, "the keeper relaying the kept session went away");
	}
	if (wait_now() - s->relay_heard > MUX_SILENT_S) {
		s->host_gone = true;
		return fail(
		        s, SFTPC_LOST, "the keeper relaying the kept session stopped answering");
	}
	return 0;
}

/* One round of moving bytes, after looking at the cancel flag and the deadline. */
static int
pump(struct sftpc *s, int wait_ms)
{
	if (!s->ignore_cancel && cancel_requested())
		return fail(s, SFTPC_CANCELLED, NULL);
	if (wait_now() >= s->deadline)
		return fail(s, SFTPC_TIMEOUT, NULL);
	return s->session != NULL ? pump_channel(s, wait_ms) : pump_relay(s, wait_ms);
}

/*
 * The next whole packet in `in`, if any: 1 with type, id and the body after
 * the id in r; 0 when more bytes are needed; -1 on a malformed length.  The
 * caller takes it with packet_drop once done with r.
 */
static int
packet_peek(struct sftpc *s, unsigned char *type, uint32_t *id, struct rd *r, size_t *total)
{
	struct rd hdr = {(const unsigned char *)s->in.p, s->in.len, false};
	uint32_t len;

	if (s->in.len < 4)
		return 0;
	len = get_u32(&hdr);
	if (len < 5 || len > PACKET_MAX)
		return fail(s, SFTPC_PROTOCOL, "bad packet length");
	if (s->in.len < 4 + (size_t)len)
		return 0;
	*type = hdr.p[0];
	hdr.p++;
	hdr.n = len - 1;
	*id = get_u32(&hdr);
	*r = hdr;
	*total = 4 + (size_t)len;
	return 1;
}

/* Wait for the answer to request id; its type and body go to type and r. */
static int
wait_answer(struct sftpc *s, uint32_t id, unsigned char *type, struct rd *r, size_t *total)
{
	uint32_t got;
	int rc;

	for (;;) {
		while ((rc = packet_peek(s, type, &got, r, total)) == 1) {
			if (got == id)
				return 0;
			buf_consume(&s->in, *total); /* an abandoned request's answer */
		}
		if (rc < 0 || pump(s, s->outq.len > 0 ? 0 : WAIT_MS) < 0)
			return -1;
	}
}

/* Take a STATUS answer: 0 for OK, else the failure. */
static int
take_status(struct sftpc *s, unsigned char type, struct rd *r)
{
	uint32_t code, len;
	const char *msg;

	if (type != FXP_STATUS)
		return fail(s, SFTPC_PROTOCOL, "unexpected answer");
	code = get_u32(r);
	msg = get_str(r, &len);
	if (r->bad)
		return fail(s, SFTPC_PROTOCOL, "short status");
	if (code == SFTPC_FX_OK)
		return 0;
	return fail_status(s, code, msg, len);
}

/*
 * An answer other than the one expected: the server's failure status, or
 * (an OK status, any other packet) a protocol error saying what was missing.
 */
static int
take_unexpected(struct sftpc *s, unsigned char type, struct rd *r, const char *what)
{
	int rc = take_status(s, type, r);

	return rc == 0 ? fail(s, SFTPC_PROTOCOL, what) : rc;
}

/* Send the request that ends at outq's end and expect a STATUS. */
static int
call_status(struct sftpc *s, uint32_t id)
{
	unsigned char type;
	struct rd r;
	size_t total;
	int rc;

	if (wait_answer(s, id, &type, &r, &total) < 0)
		return -1;
	rc = take_status(s, type, &r);
	buf_consume(&s->in, total);
	return rc;
}

/* ---- the session ------------------------------------------------------- */

/* An "sftp" subsystem channel on session by deadline: SFTPC_OK, or the failure with *why. */
static enum sftpc_fail
channel_open(ssh_session session, double deadline, ssh_channel *chp, const char **why)
{
	long wait_s = 0, wait_us = 100000; /* a blocked flush gives the loop back after 100 ms */
	ssh_channel ch;
	int rc, step;

	*chp = NULL;
	*why = NULL;
	ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &wait_s);
	ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &wait_us);
	ssh_set_blocking(session, 1);
	ch = ssh_channel_new(session);
	if (ch == NULL) {
		*why = ssh_get_error(session);
		return SFTPC_LOST;
	}
	*chp = ch;
	/* Opening (step 0) and the subsystem request (1) wait in libssh under its own timeout. */
	for (step = 0; step < 2; step++) {
		do {
			if (cancel_requested())
				return SFTPC_CANCELLED;
			if (wait_now() >= deadline)
				return SFTPC_TIMEOUT;
			rc = step == 0 ? ssh_channel_open_session(ch)
			               : ssh_channel_request_subsystem(ch, "sftp");
		} while (rc == SSH_AGAIN);
		if (rc != SSH_OK) {
			*why = step == 0 ? ssh_get_error(session)
			                 : "the server refused the sftp subsystem";
			return SFTPC_LOST;
		}
	}
	return SFTPC_OK;
}

ssh_channel
sftpc_channel_open(ssh_session session, double deadline, const char **why)
{
	ssh_channel ch;

	if (channel_open(session, deadline, &ch, why) == SFTPC_OK)
		return ch;
	if (*why == NULL)
		*why = "no answer from the server";
	sftpc_channel_close(ch);
	return NULL;
}

void
sftpc_channel_close(ssh_channel ch)
{
	if (ch == NULL)
		return;
	if (ssh_channel_is_open(ch)) {
		ssh_channel_send_eof(ch);
		ssh_channel_close(ch);
	}
	ssh_channel_free(ch);
}

bool
sftpc_host_lost(const struct sftpc *s)
{
	return s->fail == SFTPC_LOST &&
	       (s->host_gone || (s->session != NULL && !ssh_is_connected(s->session)));
}

int
sftpc_start(struct sftpc *s, const struct sftpc_link *l, double deadline)
{
	unsigned char type;
	uint32_t version, len, dlen;
	struct rd r;
	size_t start, total;
	const char *why;
	enum sftpc_fail f;
	int rc;

	memset(s, 0, sizeof *s);
	s->session = l->session;
	s->deadline = deadline;
	s->next_id = 1;
	s->read_size = READ_SMALL;
	buf_init(&s->in);
	buf_init(&s->outq);
	mux_stream_init(&s->relay, l->session == NULL ? l->relay_fd : -1);
	s->relay_heard = wait_now();
	if (l->session != NULL) {
		alive_start(&s->alive, l->session, l->alive_interval, l->alive_count);
		if ((f = channel_open(l->session, deadline, &s->ch, &why)) != SFTPC_OK)
			return fail(s, f, why);
	}

	/* INIT carries a version where other requests carry an id; so does VERSION. */
	start = s->outq.len;
	put_u32(&s->outq, 0);
	buf_appendc(&s->outq, (char)FXP_INIT);
	put_u32(&s->outq, 3);
	req_end(s, start);
	while ((rc = packet_peek(s, &type, &version, &r, &total)) == 0) {
		if (pump(s, s->outq.len > 0 ? 0 : WAIT_MS) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (type != FXP_VERSION || version < 3)
		return fail(s, SFTPC_PROTOCOL, "the server does not speak SFTP version 3");
	while (r.n > 0 && !r.bad) {
		const char *name = get_str(&r, &len);

		get_str(&r, &dlen);
		if (len == 24 && memcmp(name, "posix-rename@openssh.com", 24) == 0)
			s->posix_rename = true;
		if (len == 19 && memcmp(name, "statvfs@openssh.com", 19) == 0)
			s->statvfs = true;
	}
	buf_consume(&s->in, total);
	return 0;
}

void
sftpc_end(struct sftpc *s)
{
	if (s->session != NULL)
		alive_stop(&s->alive, s->session);
	sftpc_channel_close(s->ch);
	s->ch = NULL;
	/* The keeper closes the channel when the socket closes (its owner closes that). */
	mux_stream_free(&s->relay);
	buf_free(&s->in);
	buf_free(&s->outq);
	free(s->message);
	s->message = NULL;
}

void
sftpc_grace(struct sftpc *s, double seconds)
{
	s->ignore_cancel = true;
	s->deadline = wait_now() + seconds;
}

/* ---- simple calls ------------------------------------------------------ */

static int
path_call(struct sftpc *s, unsigned char op, const char *path, const struct sftpc_attrs *a)
{
	size_t start;
	uint32_t id = req_begin(s, op, &start);

	put_cstr(&s->outq, path);
	if (a != NULL)
		put_attrs(&s->outq, a);
	req_end(s, start);
	return call_status(s, id);
}

static int
handle_call(struct sftpc *s, unsigned char op, const struct sftpc_handle *fh,
        const struct sftpc_attrs *a)
{
	size_t start;
	uint32_t id = req_begin(s, op, &start);

	put_str(&s->outq, fh->data, fh->len);
	if (a != NULL)
		put_attrs(&s->outq, a);
	req_end(s, start);
	return call_status(s, id);
}

/* Wait for an ATTRS answer to id. */
static int
attrs_answer(struct sftpc *s, uint32_t id, struct sftpc_attrs *a)
{
	unsigned char type;
	struct rd r;
	size_t total;
	int rc = 0;

	if (wait_answer(s, id, &type, &r, &total) < 0)
		return -1;
	if (type == FXP_ATTRS) {
		get_attrs(&r, a);
		if (r.bad)
			rc = fail(s, SFTPC_PROTOCOL, "short attributes");
	} else {
		rc = take_unexpected(s, type, &r, "no attributes in the answer");
	}
	buf_consume(&s->in, total);
	return rc;
}

/* Wait for a HANDLE answer to id. */
static int
handle_answer(struct sftpc *s, uint32_t id, struct sftpc_handle *fh)
{
	unsigned char type;
	const char *p;
	uint32_t len;
	struct rd r;
	size_t total;
	int rc = 0;

	if (wait_answer(s, id, &type, &r, &total) < 0)
		return -1;
	if (type == FXP_HANDLE) {
		p = get_str(&r, &len);
		if (r.bad || len > sizeof fh->data) {
			rc = fail(s, SFTPC_PROTOCOL, "bad handle");
		} else {
			memcpy(fh->data, p, len);
			fh->len = len;
		}
	} else {
		rc = take_unexpected(s, type, &r, "no handle in the answer");
	}
	buf_consume(&s->in, total);
	return rc;
}

static int
stat_call(struct sftpc *s, unsigned char type, const char *path, struct sftpc_attrs *a)
{
	size_t start;
	uint32_t id = req_begin(s, type, &start);

	put_cstr(&s->outq, path);
	req_end(s, start);
	return attrs_answer(s, id, a);
}

int
sftpc_stat(struct sftpc *s, const char *path, struct sftpc_attrs *a)
{
	return stat_call(s, FXP_STAT, path, a);
}

int
sftpc_lstat(struct sftpc *s, const char *path, struct sftpc_attrs *a)
{
	return stat_call(s, FXP_LSTAT, path, a);
}

int
sftpc_realpath(struct sftpc *s, const char *path, char **out)
{
	unsigned char type;
	const char *p;
	uint32_t len, count;
	struct rd r;
	size_t start, total;
	uint32_t id = req_begin(s, FXP_REALPATH, &start);
	int rc = 0;

	put_cstr(&s->outq, path);
	req_end(s, start);
	if (wait_answer(s, id, &type, &r, &total) < 0)
		return -1;
	if (type == FXP_NAME) {
		count = get_u32(&r);
		p = get_str(&r, &len);
		if (r.bad || count < 1 || len == 0 || memchr(p, '\0', len) != NULL)
			rc = fail(s, SFTPC_PROTOCOL, "bad REALPATH answer");
		else
			*out = xstrndup(p, len);
	} else {
		rc = take_unexpected(s, type, &r, "no name in the answer");
	}
	buf_consume(&s->in, total);
	return rc;
}

int
sftpc_mkdir(struct sftpc *s, const char *path, uint32_t perm)
{
	struct sftpc_attrs a = {SFTPC_ATTR_PERM, 0, perm, 0, 0};

	return path_call(s, FXP_MKDIR, path, &a);
}

int
sftpc_setstat(struct sftpc *s, const char *path, const struct sftpc_attrs *a)
{
	return path_call(s, FXP_SETSTAT, path, a);
}

int
sftpc_remove(struct sftpc *s, const char *path)
{
	return path_call(s, FXP_REMOVE, path, NULL);
}

int
sftpc_rename(struct sftpc *s, const char *from, const char *to)
{
	size_t start;
	uint32_t id;

	if (s->posix_rename) {
		id = req_begin(s, FXP_EXTENDED, &start);
		put_cstr(&s->outq, "posix-rename@openssh.com");
	} else {
		id = req_begin(s, FXP_RENAME, &start);
	}
	put_cstr(&s->outq, from);
	put_cstr(&s->outq, to);
	req_end(s, start);
	if (call_status(s, id) == 0)
		return 0;
	if (s->posix_rename || s->fail != SFTPC_STATUS)
		return -1;
	/*
	 * Version 3's RENAME refuses an existing target.  Without posix-rename
	 * the old file goes first: not atomic, but the new one is whole.
	 */
	if (sftpc_remove(s, to) < 0)
		return -1;
	id = req_begin(s, FXP_RENAME, &start);
	put_cstr(&s->outq, from);
	put_cstr(&s->outq, to);
	req_end(s, start);
	return call_status(s, id);
}

int
sftpc_list(struct sftpc *s, const char *path, struct sftpc_entry **ents, size_t *n)
{
	struct sftpc_handle dh;
	unsigned char type;
	struct rd r;
	size_t start, total, cap = 0;
	uint32_t id, count, i, len, llen;
	const char *name;
	int rc = -1;

	*ents = NULL;
	*n = 0;
	id = req_begin(s, FXP_OPENDIR, &start);
	put_cstr(&s->outq, path);
	req_end(s, start);
	if (handle_answer(s, id, &dh) < 0)
		return -1;
	for (;;) {
		id = req_begin(s, FXP_READDIR, &start);
		put_str(&s->outq, dh.data, dh.len);
		req_end(s, start);
		if (wait_answer(s, id, &type, &r, &total) < 0)
			goto out;
		if (type != FXP_NAME) {
			int st = take_status(s, type, &r);

			buf_consume(&s->in, total);
			if (st == 0)
				fail(s, SFTPC_PROTOCOL, "unexpected answer to READDIR");
			if (s->fail == SFTPC_STATUS && s->status == SFTPC_FX_EOF) {
				s->fail = SFTPC_OK;
				rc = 0;
			}
			goto out;
		}
		count = get_u32(&r);
		for (i = 0; i < count && !r.bad; i++) {
			struct sftpc_attrs a;

			name = get_str(&r, &len);
			get_str(&r, &llen);
			get_attrs(&r, &a);
			if (r.bad)
				break;
			if ((len == 1 && name[0] == '.') ||
			        (len == 2 && memcmp(name, "..", 2) == 0))
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 32;
				*ents = xreallocarray(*ents, cap, sizeof **ents);
			}
			(*ents)[*n].name = xstrndup(name, len);
			(*ents)[*n].attrs = a;
			(*n)++;
		}
		buf_consume(&s->in, total);
		if (r.bad) {
			fail(s, SFTPC_PROTOCOL, "bad READDIR answer");
			goto out;
		}
	}
out:
	id = req_begin(s, FXP_CLOSE, &start);
	put_str(&s->outq, dh.data, dh.len);
	req_end(s, start);
	if (rc == 0)
		rc = call_status(s, id);
	if (rc < 0) {
		/* Entries of the batches read before the failure: callers see none. */
		sftpc_entries_free(*ents, *n);
		*ents = NULL;
		*n = 0;
	}
	return rc;
}

void
sftpc_entries_free(struct sftpc_entry *ents, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

int
sftpc_free_space(struct sftpc *s, const char *path, uint64_t *bytes)
{
	unsigned char type;
	struct rd r;
	size_t start, total;
	uint64_t frsize, bavail;
	uint32_t id;
	int rc = 0;

	if (!s->statvfs)
		return fail(s, SFTPC_STATUS, "statvfs not supported");
	id = req_begin(s, FXP_EXTENDED, &start);
	put_cstr(&s->outq, "statvfs@openssh.com");
	put_cstr(&s->outq, path);
	req_end(s, start);
	if (wait_answer(s, id, &type, &r, &total) < 0)
		return -1;
	if (type == FXP_EXTENDED_REPLY) {
		get_u64(&r); /* bsize */
		frsize = get_u64(&r);
		get_u64(&r); /* blocks */
		get_u64(&r); /* bfree */
		bavail = get_u64(&r);
		if (r.bad)
			rc = fail(s, SFTPC_PROTOCOL, "short statvfs answer");
		else
			*bytes = frsize * bavail;
	} else {
		rc = take_unexpected(s, type, &r, "unexpected answer to statvfs");
	}
	buf_consume(&s->in, total);
	return rc;
}

int
sftpc_open(struct sftpc *s, const char *path, uint32_t flags, const struct sftpc_attrs *a,
        struct sftpc_handle *fh)
{
	size_t start;
	uint32_t id = req_begin(s, FXP_OPEN, &start);

	put_cstr(&s->outq, path);
	put_u32(&s->outq, flags);
	put_attrs(&s->outq, a);
	req_end(s, start);
	return handle_answer(s, id, fh);
}

int
sftpc_close(struct sftpc *s, const struct sftpc_handle *fh)
{
	return handle_call(s, FXP_CLOSE, fh, NULL);
}

int
sftpc_fstat(struct sftpc *s, const struct sftpc_handle *fh, struct sftpc_attrs *a)
{
	size_t start;
	uint32_t id = req_begin(s, FXP_FSTAT, &start);

	put_str(&s->outq, fh->data, fh->len);
	req_end(s, start);
	return attrs_answer(s, id, a);
}

int
sftpc_fsetstat(struct sftpc *s, const struct sftpc_handle *fh, const struct sftpc_attrs *a)
{
	return handle_call(s, FXP_FSETSTAT, fh, a);
}

/* ---- data -------------------------------------------------------------- */

static int
pwrite_all(int fd, const char *data, size_t n, uint64_t offset)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, data, n, (off_t)offset);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		n -= (size_t)w;
		offset += (uint64_t)w;
	}
	return 0;
}

struct req {
	uint32_t id;
	uint64_t offset;
	uint32_t len;
};

static int
find_req(const struct req *reqs, int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++) {
		if (reqs[i].id == id)
			return i;
	}
	return -1;
}

int
sftpc_upload(struct sftpc *s, const struct sftpc_handle *fh, int fd, uint64_t *sent,
        sftpc_progress_fn progress, void *arg)
{
	struct req reqs[IN_FLIGHT];
	char *chunk = xmalloc(CHUNK);
	uint64_t offset = 0;
	bool eof = false;
	int nreq = 0, rc = -1, i;

	*sent = 0;
	while (!eof || nreq > 0) {
		unsigned char type;
		uint32_t id;
		struct rd r;
		size_t total, start;
		ssize_t got;

		while (!eof && nreq < IN_FLIGHT && s->outq.len == 0) {
			got = read(fd, chunk, CHUNK);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				s->sys_errno = errno;
				fail(s, SFTPC_LOCAL, NULL);
				goto out;
			}
			if (got == 0) {
				eof = true;
				break;
			}
			reqs[nreq].id = req_begin(s, FXP_WRITE, &start);
			reqs[nreq].offset = offset;
			reqs[nreq].len = (uint32_t)got;
			put_str(&s->outq, fh->data, fh->len);
			put_u64(&s->outq, offset);
			put_str(&s->outq, chunk, (size_t)got);
			req_end(s, start);
			offset += (uint64_t)got;
			nreq++;
		}
		rc = 0;
		while (nreq > 0 && (rc = packet_peek(s, &type, &id, &r, &total)) == 1) {
			i = find_req(reqs, nreq, id);
			if (i < 0) {
				buf_consume(&s->in, total);
				continue;
			}
			rc = take_status(s, type, &r);
			buf_consume(&s->in, total);
			if (rc < 0)
				goto out;
			*sent += reqs[i].len;
			if (progress != NULL)
				progress(arg, reqs[i].len);
			reqs[i] = reqs[--nreq];
		}
		if (rc < 0)
			goto out;
		rc = -1;
		if (!eof || nreq > 0) {
			/* Wait for answers only when nothing more can be sent. */
			bool can_send = s->outq.len > 0 ? can_write(s) : (!eof && nreq < IN_FLIGHT);

			if (pump(s, can_send ? 0 : WAIT_MS) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(chunk);
	return rc;
}

/* Queue a READ of len bytes at offset as request *q. */
static void
read_req(struct sftpc *s, const struct sftpc_handle *fh, struct req *q, uint64_t offset,
        uint32_t len)
{
	size_t start;

	q->id = req_begin(s, FXP_READ, &start);
	q->offset = offset;
	q->len = len;
	put_str(&s->outq, fh->data, fh->len);
	put_u64(&s->outq, offset);
	put_u32(&s->outq, len);
	req_end(s, start);
}

int
sftpc_download(struct sftpc *s, const struct sftpc_handle *fh, uint64_t size, int fd, uint64_t *got,
        sftpc_progress_fn progress, void *arg)
{
	struct req reqs[IN_FLIGHT];
	uint64_t next = 0;            /* first byte not yet asked for */
	uint64_t horizon = size;      /* reads pipeline below this; past it, one at a time */
	uint64_t eof_at = UINT64_MAX; /* lowest offset the server said EOF for */
	uint64_t high = 0;            /* end of the furthest data that arrived */
	int nreq = 0, rc = -1, i;

	*got = 0;
	s->read_size = READ_MAX;
	while (eof_at == UINT64_MAX || nreq > 0) {
		unsigned char type;
		uint32_t id, len;
		const char *data;
		struct rd r;
		size_t total;

		/*
		 * Up to the size the server gave, IN_FLIGHT reads at once, plus
		 * one at the size itself that meets EOF in the same round trip.
		 * The size can be wrong (procfs says 0, a log grows): past it,
		 * one read at a time until the server says EOF.
		 */
		while (eof_at == UINT64_MAX && nreq < IN_FLIGHT && s->outq.len == 0 &&
		        (next < horizon || (next == horizon && (nreq == 0 || next == size)))) {
			uint64_t want =
			        next < horizon && horizon - next < CHUNK ? horizon - next : CHUNK;

			read_req(s, fh, &reqs[nreq++], next, (uint32_t)want);
			next += want;
		}
		while ((rc = packet_peek(s, &type, &id, &r, &total)) == 1) {
			i = find_req(reqs, nreq, id);
			if (i < 0) {
				buf_consume(&s->in, total);
				continue;
			}
			if (type != FXP_DATA) {
				rc = take_status(s, type, &r);
				buf_consume(&s->in, total);
				if (rc == 0) {
					rc = fail(s, SFTPC_PROTOCOL, "unexpected answer to READ");
					goto out;
				}
				if (s->status != SFTPC_FX_EOF)
					goto out;
				s->fail = SFTPC_OK;
				rc = 0;
				if (reqs[i].offset < eof_at)
					eof_at = reqs[i].offset;
				reqs[i] = reqs[--nreq];
				continue;
			}
			data = get_str(&r, &len);
			if (r.bad || len == 0 || len > reqs[i].len) {
				buf_consume(&s->in, total);
				rc = fail(s, SFTPC_PROTOCOL, "bad DATA answer");
				goto out;
			}
			if (pwrite_all(fd, data, len, reqs[i].offset) < 0) {
				s->sys_errno = errno;
				buf_consume(&s->in, total);
				rc = fail(s, SFTPC_LOCAL, NULL);
				goto out;
			}
			buf_consume(&s->in, total);
			*got += len;
			if (reqs[i].offset + len > high)
				high = reqs[i].offset + len;
			if (high > horizon)
				horizon = high;
			if (progress != NULL)
				progress(arg, len);
			if (len < reqs[i].len) {
				/* A short read: ask again for the rest of that piece. */
				read_req(s, fh, &reqs[i], reqs[i].offset + len, reqs[i].len - len);
			} else {
				reqs[i] = reqs[--nreq];
			}
		}
		if (rc < 0)
			goto out;
		rc = -1;
		if ((eof_at == UINT64_MAX || nreq > 0) &&
		        pump(s, s->outq.len > 0 ? 0 : WAIT_MS) < 0)
			goto out;
	}
	/* Whole means every byte below EOF arrived once and none past it. */
	if (high > eof_at || *got != eof_at) {
		rc = fail(s, SFTPC_STATUS, "the file changed while being read");
		s->status = SFTPC_FX_FAILURE;
		goto out;
	}
	rc = 0;
out:
	s->read_size = READ_SMALL;
	return rc;
}
