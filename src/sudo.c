/*
 * sudo.c - --sudo (sudo.h).  The filter runs on the host's worker thread
 * only; the markers are shared read-only.  It holds back at most a marker's
 * length of bytes per stream, and only until sudo has let the command start.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sudo.h"
#include "xmalloc.h"

/* A random marker "PREFIX" + hex digits: nothing a shell or sudo's -p expands. */
static void
marker(char *out, const char *prefix)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[SUDO_MARKER_LEN];
	size_t i, plen = strlen(prefix);

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* No entropy source: still distinct per run, if guessable. */
		unsigned long s = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);

		for (i = 0; i < sizeof r; i++) {
			s = s * 6364136223846793005UL + 1442695040888963407UL;
			r[i] = (unsigned char)(s >> 33);
		}
	}
	memcpy(out, prefix, plen);
	for (i = plen; i < SUDO_MARKER_LEN; i++)
		out[i] = hex[r[i] & 15];
	out[SUDO_MARKER_LEN] = '\0';
}

void
sudo_markers_make(struct sudo_markers *m)
{
	marker(m->prompt, "shoal-sudo-pw-");
	marker(m->ok, "shoal-sudo-ok-");
}

/* s in single quotes for a POSIX shell: ' becomes '\''. */
static void
shell_quote(struct buf *b, const char *s)
{
	buf_appendc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_appends(b, "'\\''");
		else
			buf_appendc(b, *s);
	}
	buf_appendc(b, '\'');
}

char *
sudo_command(const struct sudo_markers *m, const char *command)
{
	struct buf b;

	buf_init(&b);
	buf_appendf(&b, "sudo -S -p '%s' -- sh -c 'printf %%s \"$0\" >&2; eval \"$1\"' '%s' ",
	        m->prompt, m->ok);
	shell_quote(&b, command);
	return buf_steal(&b);
}

void
sudo_filter_init(struct sudo_filter *f, const struct sudo_markers *m,
        void (*emit)(void *ctx, bool is_stderr, const char *p, size_t n), void *ctx)
{
	memset(f, 0, sizeof *f);
	f->m = m;
	f->emit = emit;
	f->ctx = ctx;
	buf_init(&f->held[0]);
	buf_init(&f->held[1]);
}

/* The longest tail of p[0..n) that begins marker mk. */
static size_t
partial_tail(const char *p, size_t n, const char *mk)
{
	size_t k = strlen(mk) - 1;

	if (k > n)
		k = n;
	for (; k > 0; k--) {
		if (memcmp(p + n - k, mk, k) == 0)
			return k;
	}
	return 0;
}

static void
emit(struct sudo_filter *f, bool is_stderr, const char *p, size_t n)
{
	if (n > 0)
		f->emit(f->ctx, is_stderr, p, n);
}

/* Everything held, on both streams, goes out: the markers are behind us. */
static void
release(struct sudo_filter *f)
{
	int s;

	for (s = 0; s < 2; s++) {
		emit(f, s == 1, f->held[s].p, f->held[s].len);
		buf_reset(&f->held[s]);
	}
}

unsigned
sudo_filter_data(struct sudo_filter *f, bool is_stderr, const char *data, size_t n)
{
	struct buf *held = &f->held[is_stderr];
	unsigned ev = 0;

	if (f->accepted) {
		emit(f, is_stderr, data, n);
		return 0;
	}
	buf_append(held, data, n);
	while (held->len > 0) {
		const char *p = held->p, *pp, *ok;
		size_t keep, k;

		if (f->eat_newline[is_stderr]) {
			k = held->len >= 2 && p[0] == '\r' && p[1] == '\n' ? 2 : p[0] == '\n';
			if (k == 0 && held->len == 1 && p[0] == '\r')
				break; /* the '\n' may follow */
			f->eat_newline[is_stderr] = false;
			buf_consume(held, k);
			continue;
		}
		pp = memmem(p, held->len, f->m->prompt, SUDO_MARKER_LEN);
		ok = memmem(p, held->len, f->m->ok, SUDO_MARKER_LEN);
		if (pp != NULL && (ok == NULL || pp < ok)) {
			emit(f, is_stderr, p, (size_t)(pp - p));
			buf_consume(held, (size_t)(pp - p) + SUDO_MARKER_LEN);
			f->prompts++;
			/* With a pty sudo ends the no-echo line itself. */
			f->eat_newline[is_stderr] = true;
			ev |= SUDO_EV_PROMPT;
			continue;
		}
		if (ok != NULL) {
			emit(f, is_stderr, p, (size_t)(ok - p));
			buf_consume(held, (size_t)(ok - p) + SUDO_MARKER_LEN);
			f->accepted = true;
			release(f);
			return ev | SUDO_EV_ACCEPTED;
		}
		keep = partial_tail(p, held->len, f->m->prompt);
		k = partial_tail(p, held->len, f->m->ok);
		if (k > keep)
			keep = k;
		emit(f, is_stderr, p, held->len - keep);
		buf_consume(held, held->len - keep);
		break;
	}
	return ev;
}

void
sudo_filter_end(struct sudo_filter *f)
{
	release(f);
	buf_free(&f->held[0]);
	buf_free(&f->held[1]);
}

const char *
sudo_filter_verdict(const struct sudo_filter *f, bool have_password)
{
	if (f->accepted || f->prompts == 0)
		return NULL;
	if (!have_password)
		return "sudo asked for a password and none was given (--ask-password or "
		       "--password-env)";
	return "sudo refused the password (not sent twice)";
}
