/*
 * test-rolling.c - unit tests of --template's tokens and of the --sudo
 * filter: markers found and stripped wherever the stream is cut, a prompt
 * counted once per ask, nothing held back once sudo let the command start.
 * Prints TAP.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "options.h"
#include "output.h"
#include "spool.h"
#include "sudo.h"
#include "tap.h"
#include "template.h"

static void
expand(const char *s, const char *want)
{
	struct host *h = host_new(7, "web07", "deploy", 0);
	char *got, desc[200];

	h->login_port = 2222;
	got = template_expand(s, h, "10.0.0.7");
	snprintf(desc, sizeof desc, "template '%s' is '%s'", s, want);
	is_str(got, want, desc);
	free(got);
	host_free(h);
}

/* The filter's output, into the host's as a command's sink would put it. */
static void
to_host(void *ctx, bool is_stderr, const char *p, size_t n)
{
	output_host_data(ctx, is_stderr, p, n);
}

/*
 * Feed stream into a fresh filter in pieces of `cut` bytes (all of it at
 * once when cut is 0); the stderr the host keeps must be want, with the
 * prompt seen prompts times and the command let in when accepted.
 */
static void
filter(const struct sudo_markers *m, const char *stream, size_t cut, const char *want,
        unsigned prompts, int accepted)
{
	struct host *h = host_new(0, "h", NULL, 0);
	struct sudo_filter f;
	size_t i, n = strlen(stream), step = cut ? cut : n;
	char desc[200], got[512];
	size_t gl;
	int same;

	sudo_filter_init(&f, m, to_host, h);
	for (i = 0; i < n; i += step)
		sudo_filter_data(&f, true, stream + i, n - i < step ? n - i : step);
	snprintf(desc, sizeof desc, "filter, pieces of %zu: prompts %u, accepted %d", cut, prompts,
	        accepted);
	ok(f.prompts == prompts && (int)f.accepted == accepted, desc);
	sudo_filter_end(&f);
	snprintf(desc, sizeof desc, "filter, pieces of %zu: the stream without its markers", cut);
	gl = h->err.len < sizeof got ? (size_t)h->err.len : sizeof got;
	gl = gl > 0 ? spool_read(&h->err, 0, got, gl) : 0;
	same = h->err.len == strlen(want) && memcmp(got, want, gl) == 0;
	ok(same, desc);
	if (!same)
		printf("#   got: '%.*s'\n#   want: '%s'\n", (int)gl, got, want);
	host_free(h);
}

int
main(void)
{
	struct options o;
	struct sudo_markers m;
	char in[512], want[256];
	char *line;
	size_t cut;

	expand("echo %h %H %u %p %i %%", "echo web07 10.0.0.7 deploy 2222 7 %");
	expand("%%h is %h", "%h is web07");
	expand("no tokens", "no tokens");
	ok(template_check("date +%%F %h") == NULL, "template_check: known tokens pass");
	ok(template_check("date +%F") != NULL && *template_check("date +%F") == '%' &&
	                template_check("date +%F")[1] == 'F',
	        "template_check: %F is unknown");
	ok(template_check("50%") != NULL, "template_check: a lone % at the end is unknown");

	options_init(&o);
	o.json = true; /* the host keeps its streams: what the filter let through */
	output_init(&o);
	sudo_markers_make(&m);
	ok(strncmp(m.prompt, "shoal-sudo-pw-", 14) == 0 && strlen(m.prompt) == SUDO_MARKER_LEN &&
	                strcmp(m.prompt, m.ok) != 0,
	        "markers: distinct, of the stated length");
	line = sudo_command(&m, "echo 'it''s' \"$HOME\"");
	ok(strstr(line, "'echo '\\''it'\\'''\\''s'\\'' \"$HOME\"'") != NULL,
	        "sudo_command: the command single-quoted, its quotes escaped");
	free(line);

	/* A password ask, a retry message, another ask, then sudo's own failure. */
	snprintf(in, sizeof in, "before %sSorry, try again.\n%sno\n", m.prompt, m.prompt);
	for (cut = 0; cut <= 7; cut++)
		filter(&m, in, cut, "before Sorry, try again.\nno\n", 2, 0);
	/* The command started: what follows the ok marker passes untouched, markers too. */
	snprintf(in, sizeof in, "%s%sout %s", m.prompt, m.ok, m.prompt);
	snprintf(want, sizeof want, "out %s", m.prompt);
	for (cut = 0; cut <= 5; cut++)
		filter(&m, in, cut, want, 1, 1);
	/* A pty: the newline sudo prints after its no-echo read goes too. */
	snprintf(in, sizeof in, "%s\r\n%sroot\r\n", m.prompt, m.ok);
	filter(&m, in, 1, "root\r\n", 1, 1);
	/* Bytes that begin like a marker but are not one come out whole. */
	filter(&m, "shoal-sudo-p", 3, "shoal-sudo-p", 0, 0);
	output_free();
	options_free(&o);
	return done_testing();
}
