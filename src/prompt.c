/*
 * prompt.c - the output-ends-in-a-prompt watch of prompt.h.
 *
 * A prompt is a last line (no newline after it) that ends, but for spaces,
 * in ':', '?' or ']', and names what it asks: a password, passphrase, code,
 * token, PIN or one-time password, or a yes/no answer.  Text that merely
 * ends in a colon ("Copying: ") is no prompt: a command that prints it and
 * works on in silence must not be ended.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prompt.h"
#include "xmalloc.h"

void
prompt_watch_init(struct prompt_watch *w, double now)
{
	w->len = 0;
	w->line[0] = '\0';
	w->since = now;
}

void
prompt_watch_feed(struct prompt_watch *w, const char *data, size_t n, double now)
{
	size_t i, start = 0, keep;

	if (n == 0)
		return;
	w->since = now;
	for (i = n; i > 0; i--) {
		if (data[i - 1] == '\n' || data[i - 1] == '\r') {
			start = i;
			w->len = 0;
			break;
		}
	}
	/* The line's last PROMPT_MAX bytes: a prompt is at its end. */
	n -= start;
	data += start;
	if (n >= PROMPT_MAX) {
		data += n - PROMPT_MAX;
		n = PROMPT_MAX;
		w->len = 0;
	}
	if (w->len + n > PROMPT_MAX) {
		keep = PROMPT_MAX - n;
		memmove(w->line, w->line + w->len - keep, keep);
		w->len = keep;
	}
	memcpy(w->line + w->len, data, n);
	w->len += n;
	w->line[w->len] = '\0';
}

/* word in s, case aside; short words only on their own (not "shipping" for "pin"). */
static bool
has_word(const char *s, const char *word, bool whole)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (strncasecmp(p, word, wl) != 0)
			continue;
		if (!whole || ((p == s || !isalpha((unsigned char)p[-1])) &&
		                      !isalpha((unsigned char)p[wl])))
			return true;
	}
	return false;
}

/* What the prompt asks: 's' a secret, 'y' a yes or no, 0 nothing known. */
static int
prompt_asks(const char *line)
{
	static const char *const secret[] = {
	        "password", "passphrase", "passcode", "verification", "one-time", "[sudo]"};
	static const char *const secret_word[] = {"pin", "otp", "code", "token"};
	static const char *const yesno[] = {"y/n", "yes/no"};
	size_t i;

	for (i = 0; i < sizeof secret / sizeof secret[0]; i++) {
		if (has_word(line, secret[i], false))
			return 's';
	}
	for (i = 0; i < sizeof secret_word / sizeof secret_word[0]; i++) {
		if (has_word(line, secret_word[i], true))
			return 's';
	}
	for (i = 0; i < sizeof yesno / sizeof yesno[0]; i++) {
		if (has_word(line, yesno[i], false))
			return 'y';
	}
	return 0;
}

char *
prompt_waiting(const struct prompt_watch *w, double now, bool sudo)
{
	size_t e = w->len;
	int asks;

	if (now - w->since < PROMPT_QUIET)
		return NULL;
	while (e > 0 && (w->line[e - 1] == ' ' || w->line[e - 1] == '\t'))
		e--;
	if (e == 0 || strchr(":?]", w->line[e - 1]) == NULL)
		return NULL;
	if ((asks = prompt_asks(w->line)) == 0)
		return NULL;
	if (sudo && asks == 's')
		return xasprintf("waits at the prompt '%s' for %.0f s: --sudo answers only sudo's "
		                 "own password prompt (this sudo ignores -p, or PAM asks for more)",
		        w->line, now - w->since);
	if (asks == 's')
		return xasprintf("waits at the prompt '%s' for %.0f s and nothing will answer it: "
		                 "for sudo's password use --sudo --ask-password",
		        w->line, now - w->since);
	return xasprintf("waits at the prompt '%s' for %.0f s and nothing will answer it: give "
	                 "the answer on stdin (-I) or make the command ask nothing",
	        w->line, now - w->since);
}
