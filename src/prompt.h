/*
 * prompt.h - a host's output that ends in a prompt nobody will answer.
 *
 * A command that asks (sudo's "[sudo] password for ...:", a PAM one-time
 * code, "Continue? [Y/n]") under a pty, or sudo under --sudo with a prompt
 * that is not shoal's marker, waits for ever: shoal gave it no stdin, or
 * holds stdin back.  The watch is fed the host's stream bytes as they
 * arrive, with the clock, and answers whether its output ends in a prompt
 * that has been silent for PROMPT_QUIET seconds.  The caller ends the host
 * (kind "prompt") when nothing of shoal's can answer it.
 */
#ifndef SHOAL_PROMPT_H
#define SHOAL_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds a prompt must stay the last output, with no byte after it. */
#define PROMPT_QUIET 3.0
/* The most of the last line kept (and quoted). */
#define PROMPT_MAX 160

struct prompt_watch {
	char line[PROMPT_MAX + 1]; /* the output's last line so far, not terminated */
	size_t len;
	double since; /* when the last byte came */
};

void prompt_watch_init(struct prompt_watch *w, double now);
/* Bytes of either stream, in the order they came. */
void prompt_watch_feed(struct prompt_watch *w, const char *data, size_t n, double now);
/*
 * When the output ends in a prompt silent for PROMPT_QUIET seconds: the
 * host's error text (the prompt quoted, escaped by the caller's
 * outcome_set, and the fix), malloc'd; else NULL.  sudo: --sudo is on.
 */
char *prompt_waiting(const struct prompt_watch *w, double now, bool sudo);

#endif
