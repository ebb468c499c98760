/*
 * sudo.h - --sudo: the command run under `sudo -S` with a prompt of our own,
 * and a filter over the command's two streams that finds sudo's prompt and
 * the point where sudo has let the command start, so that the password is
 * written to sudo (once, and only when it asks) and neither prompt nor
 * password reaches any output.
 *
 * The remote line is
 *
 *   sudo -S -p 'PROMPT' -- sh -c 'printf %s "$0" >&2; eval "$1"' 'OK' 'COMMAND'
 *
 * PROMPT and OK are random markers of the run.  sudo writes PROMPT to stderr
 * (with a pty: to the pty, so it arrives on stdout) when it wants the
 * password; the shell it starts writes OK first, so OK says the password was
 * taken (or none was needed) and stdin from now on is the command's.  A
 * second PROMPT is a refused password: it is not sent again, sudo gets EOF
 * and exits non-zero with its own message.
 */
#ifndef SHOAL_SUDO_H
#define SHOAL_SUDO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SUDO_MARKER_LEN 32

/* The markers of one run: made once, before any thread starts. */
struct sudo_markers {
	char prompt[SUDO_MARKER_LEN + 1];
	char ok[SUDO_MARKER_LEN + 1];
};
void sudo_markers_make(struct sudo_markers *m);
/* The remote line above for command; malloc'd. */
char *sudo_command(const struct sudo_markers *m, const char *command);

/* What sudo_filter_data saw in the bytes it was given. */
enum {
	SUDO_EV_PROMPT = 1,   /* sudo asked for the password (f->prompts says how often) */
	SUDO_EV_ACCEPTED = 2, /* the command runs: stdin is its own */
};

/* One host's filter, on its worker's stack. */
struct sudo_filter {
	const struct sudo_markers *m;
	struct buf held[2];  /* per stream: bytes that may begin a marker */
	bool eat_newline[2]; /* the newline sudo prints after a no-echo read */
	unsigned prompts;    /* times sudo asked */
	bool accepted;       /* OK was seen: output passes untouched */
	bool password_sent;
	/* Where the output without the markers goes: the run's sink. */
	void (*emit)(void *ctx, bool is_stderr, const char *p, size_t n);
	void *ctx;
};
void sudo_filter_init(struct sudo_filter *f, const struct sudo_markers *m,
        void (*emit)(void *ctx, bool is_stderr, const char *p, size_t n), void *ctx);
/*
 * Pass bytes of one stream on to f's emit without the markers;
 * returns the SUDO_EV_ bits of what it found.
 */
unsigned sudo_filter_data(struct sudo_filter *f, bool is_stderr, const char *data, size_t n);
/* The run is over: what is still held (no marker after all) goes out; frees f. */
void sudo_filter_end(struct sudo_filter *f);
/*
 * Why sudo did not run the command, for the host's error, or NULL: the
 * password was refused, or sudo asked and there was none to give.
 */
const char *sudo_filter_verdict(const struct sudo_filter *f, bool have_password);

#endif
