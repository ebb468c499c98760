/*
 * test-runner.c - the runner's end travels between processes (a keeper to
 * the client of a warm run) as a frame: what one side writes, the other
 * reads back unchanged, the kind by its errkind name.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errkind.h"
#include "exec.h"
#include "mux.h"
#include "outcome.h"
#include "tap.h"
#include "xmalloc.h"

/* Send out and ex as a 'D' frame over a socketpair and read them back into got and gex. */
static int
round_trip(const struct outcome *out, const struct run_exit *ex, struct outcome *got,
        struct run_exit *gex)
{
	int sv[2], rc = -1;
	char type, *data = NULL;
	size_t len;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	mux_send_done(sv[0], out, ex);
	if (mux_recv(sv[1], &type, &data, &len) == 0 && type == 'D')
		rc = mux_parse_done(data, got, gex);
	free(data);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void
check(enum err_kind kind, const char *error, bool started, bool got_status, int status,
        const char *signal, const char *desc)
{
	struct outcome out = OUTCOME_INIT, got = OUTCOME_INIT;
	struct run_exit ex = {got_status, status, signal ? xstrdup(signal) : NULL};
	struct run_exit gex = {false, -1, NULL};
	int same;

	if (kind != EK_NONE)
		outcome_set(&out, kind, PHASE_RUN, "%s", error);
	out.started = started;
	same = round_trip(&out, &ex, &got, &gex) == 0 && got.kind == out.kind &&
	       got.started == out.started && gex.got_status == ex.got_status &&
	       (!ex.got_status || signal != NULL || gex.status == ex.status) &&
	       ((signal == NULL && gex.signal == NULL) ||
	               (signal != NULL && gex.signal != NULL && strcmp(gex.signal, signal) == 0)) &&
	       ((out.error == NULL && got.error == NULL) ||
	               (out.error != NULL && got.error != NULL &&
	                       strcmp(out.error, got.error) == 0));
	ok(same, desc);
	outcome_clear(&out);
	outcome_clear(&got);
	free(ex.signal);
	free(gex.signal);
}

/* The frame's text as the format says it. */
static void
frame_text(void)
{
	struct outcome out = OUTCOME_INIT;
	struct run_exit ex = {true, 3, NULL};
	int sv[2];
	char type, *data = NULL;
	size_t len;

	outcome_set(&out, EK_EXIT_NONZERO, PHASE_RUN, "exited with status 3");
	out.started = true;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		mux_send_done(sv[0], &out, &ex);
		if (mux_recv(sv[1], &type, &data, &len) < 0)
			data = NULL;
		close(sv[0]);
		close(sv[1]);
	}
	is_str(data, "exit_nonzero 1 3\n\nexited with status 3",
	        "the frame: kind name, started, status; signal; detail");
	free(data);
	outcome_clear(&out);
}

int
main(void)
{
	struct outcome got = OUTCOME_INIT;
	struct run_exit gex = {false, -1, NULL};
	char bad[] = "no_such_kind 1 0\n\n", cut[] = "lost 1 -1";
	int k, named = 0;

	for (k = 0; k < EK__COUNT; k++)
		named += errkind_by_name(errkind_name((enum err_kind)k)) == (enum err_kind)k;
	ok(named == EK__COUNT, "every kind is found by its name");
	ok(errkind_by_name("nonsense") == EK__COUNT, "an unknown name is no kind");

	check(EK_NONE, NULL, true, true, 0, NULL, "a clean exit: none, started, status 0");
	check(EK_EXIT_NONZERO, "exited with status 3", true, true, 3, NULL,
	        "exit_nonzero with its status and detail");
	check(EK_EXIT_NONZERO, "exited with status 4294967295", true, true, -1, NULL,
	        "status 4294967295 (an int's -1 from libssh) is a status, not 'none'");
	check(EK_SIGNAL, "killed by signal TERM", true, true, -1, "TERM", "a signal by its name");
	check(EK_LOST, "no answer to 2 keepalives in 3 s while the command ran", true, false, -1,
	        NULL, "lost after the start: no status");
	check(EK_COMMAND_TIMEOUT, "exec request refused: no answer before the deadline", false,
	        false, -1, NULL, "a timeout before the start: not started");
	check(EK_CHANNEL, "channel closed without an exit status", true, false, -1, NULL,
	        "channel after the start keeps the started fact");
	frame_text();
	ok(mux_parse_done(bad, &got, &gex) < 0, "a frame naming no kind is refused");
	ok(mux_parse_done(cut, &got, &gex) < 0, "a frame cut short is refused");
	outcome_clear(&got);
	return done_testing();
}
