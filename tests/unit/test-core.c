/*
 * test-core.c - unit tests of the small pure pieces: the backoff and limiter
 * arithmetic, terminal and JSON escaping, the error-kind table, the paths
 * --rcopy writes below DEST_DIR/HOST.  Prints TAP.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "buf.h"
#include "cancel.h"
#include "errkind.h"
#include "escape.h"
#include "host.h"
#include "limiter.h"
#include "options.h"
#include "tap.h"
#include "transfer.h"
#include "wait.h"
#include "xmalloc.h"

static void
near(double got, double want, const char *desc)
{
	ok(fabs(got - want) < 1e-9, desc);
	if (fabs(got - want) >= 1e-9)
		printf("#   got: %g want: %g\n", got, want);
}

static void
test_backoff(void)
{
	uint64_t rng = backoff_seed(1);
	double lo = 1, hi = 0, u;
	int i;

	near(backoff_delay(0.5, 20, 0, 1.0), 0.5, "backoff: first wait is at most BASE");
	near(backoff_delay(0.5, 20, 1, 1.0), 1.0, "backoff: doubles after the first attempt");
	near(backoff_delay(0.5, 20, 3, 1.0), 4.0, "backoff: BASE * 2^3 after the fourth");
	near(backoff_delay(0.5, 20, 10, 1.0), 20.0, "backoff: capped at CAP");
	near(backoff_delay(0.5, 20, 1000, 1.0), 20.0, "backoff: huge attempts stay at CAP");
	near(backoff_delay(0.5, 20, 3, 0.25), 1.0, "backoff: full jitter scales the window");
	near(backoff_delay(0.5, 20, 3, 0.0), 0.0, "backoff: jitter can be zero");
	near(backoff_delay(30, 20, 0, 1.0), 20.0, "backoff: a BASE above CAP is capped at once");
	near(backoff_delay(0.05, 0.1, 1, 0.5), 0.05, "backoff: small windows (tests' 0.05,0.1)");
	for (i = 0; i < 100000; i++) {
		u = backoff_random(&rng);
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	ok(lo >= 0 && hi < 1, "backoff: random stays in [0,1)");
	ok(lo < 0.001 && hi > 0.999, "backoff: random covers [0,1)");
}

static void
test_limiter(void)
{
	struct limiter_state st;
	struct limiter_slot a, b, c, late;
	int i;

	limiter_state_init(&st, 10, 64);
	ok(st.limit == 10, "limiter: starts at 10");
	limiter_state_update(&st, LIMITER_THROTTLED, 64);
	ok(st.limit == 5, "limiter: a throttle halves the limit");
	limiter_state_update(&st, LIMITER_OTHER, 64);
	ok(st.limit == 5, "limiter: other failures change nothing");
	for (i = 0; i < 4; i++)
		limiter_state_update(&st, LIMITER_DONE, 64);
	ok(st.limit == 5, "limiter: at the last safe limit it grows by one per limit's handshakes");
	limiter_state_update(&st, LIMITER_DONE, 64);
	ok(st.limit == 6, "limiter: ...so the fifth handshake at 5 makes it 6");
	limiter_state_update(&st, LIMITER_THROTTLED, 64);
	ok(st.limit == 3, "limiter: a throttle at 6 halves it to 3");
	for (i = 0; i < 3 + 4; i++)
		limiter_state_update(&st, LIMITER_DONE, 64);
	ok(st.limit == 5, "limiter: back up to one below the limit that failed");
	for (i = 0; i < 19; i++)
		limiter_state_update(&st, LIMITER_DONE, 64);
	ok(st.limit == 5, "limiter: the failed limit is probed only after 4 x limit handshakes");
	limiter_state_update(&st, LIMITER_DONE, 64);
	ok(st.limit == 6, "limiter: ...and then reached");
	for (i = 0; i < 5; i++)
		limiter_state_update(&st, LIMITER_THROTTLED, 64);
	ok(st.limit == 1, "limiter: never below 1");
	limiter_state_init(&st, 10, 32);
	for (i = 0; i < 22; i++)
		limiter_state_update(&st, LIMITER_DONE, 32);
	ok(st.limit == 32, "limiter: never throttled, it grows by one per handshake to the fanout");
	limiter_state_update(&st, LIMITER_DONE, 32);
	ok(st.limit == 32, "limiter: and stays at the fanout");
	limiter_state_init(&st, 10, 4);
	ok(st.limit == 4, "limiter: a fanout below 10 caps the start");

	limiter_init(0, 64);
	ok(limiter_acquire("127.0.0.1:22", &a) == 0 && limiter_acquire("127.0.0.1:22", &b) == 0 &&
	                limiter_acquire("127.0.0.1:2222", &c) == 0,
	        "limiter: slots up to the limit are granted");
	limiter_release(&a, LIMITER_THROTTLED);
	limiter_acquire("127.0.0.1:22", &late);
	limiter_release(&b, LIMITER_THROTTLED);
	limiter_release(&late, LIMITER_DONE);
	limiter_acquire("127.0.0.1:22", &a);
	ok(a.dest != NULL && b.dest == NULL, "limiter: release clears the slot");
	limiter_release(&a, LIMITER_DONE);
	limiter_release(&c, LIMITER_DONE);
	limiter_cancel();
	ok(limiter_acquire("127.0.0.1:22", &a) < 0, "limiter: acquire after cancel fails");
	limiter_free();
}

struct waiter {
	pthread_t thread;
	int rc;
	double woke;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct limiter_slot slot;

	w->rc = limiter_acquire("127.0.0.1:22", &slot);
	w->woke = wait_now();
	limiter_release(&slot, LIMITER_OTHER);
	return NULL;
}

/*
 * Last of all: it raises the process-wide cancel.  Waiters blocked on a full
 * destination return at once on cancel_request(), as from the signal
 * handler, and a slot freed after the cancel goes to nobody.
 */
static void
test_limiter_cancel(void)
{
	struct waiter w[8];
	struct limiter_slot held;
	double t0, latest = 0;
	int i, failed = 0;

	limiter_init(1, 8);
	limiter_acquire("127.0.0.1:22", &held);
	for (i = 0; i < 8; i++)
		pthread_create(&w[i].thread, NULL, waiter_main, &w[i]);
	nanosleep(&(struct timespec){0, 200000000L}, NULL); /* let them block */
	t0 = wait_now();
	cancel_request();
	limiter_release(&held, LIMITER_OTHER); /* as a worker that saw the cancel first */
	for (i = 0; i < 8; i++) {
		pthread_join(w[i].thread, NULL);
		failed += w[i].rc < 0;
		if (w[i].woke - t0 > latest)
			latest = w[i].woke - t0;
	}
	ok(failed == 8, "limiter: cancel_request fails every waiter, none takes the freed slot");
	ok(latest < 0.5, "limiter: waiters wake at once on cancel_request");
	printf("# waiters woke %.1f ms after the cancel\n", latest * 1000);
	limiter_free();
}

static void
test_attempt_text(void)
{
	struct host *h = host_new(0, "h", NULL, 0);
	char b[HOST_ATTEMPT_TEXT];

	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "") == 0,
	        "attempt text: none before the first");
	h->attempts = 1;
	h->state = HOST_CONNECTING;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "1/4") == 0,
	        "attempt text: 1/4 while connecting");
	h->state = HOST_FAILED;
	h->kind = EK_AUTH_DENIED;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "1") == 0,
	        "attempt text: a failure never retried says 1, not 1/4");
	h->kind = EK_CANCELLED;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "1") == 0,
	        "attempt text: cancelled says 1");
	h->kind = EK_REFUSED;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "1") == 0,
	        "attempt text: a retried kind stopped early (cancel) says 1");
	h->attempts = 4;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "4/4") == 0,
	        "attempt text: a retried kind that used every attempt says 4/4");
	h->state = HOST_RETRY_WAIT;
	h->attempts = 2;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "2/4") == 0,
	        "attempt text: 2/4 in retry-wait");
	h->state = HOST_OK;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "2") == 0, "attempt text: ok says 2");
	h->round_base = 2;
	h->attempts = 3;
	h->state = HOST_RUNNING;
	ok(strcmp(host_attempt_text(h, 3, b, sizeof b), "1") == 0,
	        "attempt text: counted from the operator's retry; running cannot be retried");
	h->attempts = 0; /* no history to free */
	h->round_base = 0;
	host_free(h);
}

/* End h's attempt as a worker would. */
static void
end_attempt(struct host *h, enum err_kind kind, enum phase phase, const char *error, bool started,
        double now)
{
	struct outcome out = OUTCOME_INIT;

	out.kind = kind;
	out.phase = phase;
	out.error = xstrdup(error);
	out.started = started;
	host_attempt_end(h, &out, now);
	outcome_clear(&out);
}

static void
test_host_life(void)
{
	struct host *h = host_new(0, "h", NULL, 0);

	ok(host_attempt_begin(h, 100.0) == 1 && h->attempts == 1 && h->started == 100.0 &&
	                h->state == HOST_CONNECTING && h->phase == PHASE_CONNECT,
	        "host: an attempt begins connecting");
	host_phase(h, PHASE_BANNER, 100.25);
	host_phase(h, PHASE_RUN, 101.0);
	ok(h->phase_ms[PHASE_CONNECT] == 250 && h->phase_ms[PHASE_BANNER] == 750 &&
	                h->state == HOST_RUNNING,
	        "host: each phase's time is closed when the next opens; run is running");
	end_attempt(h, EK_BANNER_TIMEOUT, PHASE_BANNER, "late", false, 102.0);
	ok(h->history[0].kind == EK_BANNER_TIMEOUT && h->history[0].elapsed == 2.0 &&
	                strcmp(h->history[0].error, "late") == 0,
	        "host: the attempt is in the history with its time");
	host_retry_wait(h, 105.0, 102.0);
	ok(h->state == HOST_RETRY_WAIT && h->ready_at == 105.0, "host: retry-wait until due");
	ok(host_attempt_begin(h, 105.0) == 2 && h->started == 100.0, "host: the second attempt");
	end_attempt(h, EK_AUTH_DENIED, PHASE_AUTH, "no", false, 106.0);
	host_finish(h, EK_AUTH_DENIED, xstrdup("no"), 106.0);
	ok(h->state == HOST_FAILED && h->finished == 106.0 && strcmp(h->error, "no") == 0,
	        "host: finished failed");
	ok(host_retry_round(h, 107.0) && h->state == HOST_RETRY_WAIT && h->round_base == 2 &&
	                h->error == NULL && h->kind == EK_NONE,
	        "host: a host that failed before its command may go round again");
	ok(host_attempt_begin(h, 107.0) == 1, "host: ...counting its attempts afresh");
	end_attempt(h, EK_EXIT_NONZERO, PHASE_RUN, "exit 1", true, 108.0);
	host_finish(h, EK_EXIT_NONZERO, NULL, 108.0);
	ok(!host_retry_round(h, 109.0) && h->state == HOST_FAILED,
	        "host: a command that ran is never sent round again");
	host_free(h);
	/* The kind says nothing of it: a channel failure before or after the exec request. */
	h = host_new(2, "ch", NULL, 0);
	host_attempt_begin(h, 10.0);
	end_attempt(h, EK_CHANNEL, PHASE_RUN, "channel closed without an exit status", true, 11.0);
	host_finish(h, EK_CHANNEL, NULL, 11.0);
	ok(!host_retry_round(h, 12.0),
	        "host: a channel failure after the command started: not again");
	host_attempt_begin(h, 20.0);
	end_attempt(h, EK_CHANNEL, PHASE_RUN, "exec request refused", false, 21.0);
	host_finish(h, EK_CHANNEL, NULL, 21.0);
	ok(host_retry_round(h, 22.0), "host: a channel refused before the command started: again");
	host_free(h);
	h = host_new(1, "c", NULL, 0);
	host_finish(h, EK_CANCELLED, xstrdup("interrupted before start"), 50.0);
	ok(h->started == 50.0 && h->finished == 50.0 && !host_retry_round(h, 51.0),
	        "host: cancelled before any attempt: no time, not sent round again");
	host_free(h);
}

/* options_set with its stderr caught: returns the status, the message in msg. */
static int
set_caught(struct options *o, const char *name, const char *value, char *msg, size_t len)
{
	FILE *tf = tmpfile();
	int saved, rc;

	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tf), 2);
	rc = options_set(o, name, value, "t.conf:7");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tf);
	if (fgets(msg, (int)len, tf) == NULL)
		msg[0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	fclose(tf);
	return rc;
}

static void
test_options(void)
{
	struct options o;
	char value[16], msg[256];

	options_init(&o);
	ok(o.fanout == 64 && o.connect_timeout == 10 && o.banner_timeout == 15 &&
	                o.kex_timeout == 15 && o.auth_timeout == 30 && o.command_timeout == 0 &&
	                o.retries == 3 && o.backoff_base == 0.5 && o.backoff_cap == 20 &&
	                o.max_startups == 0 && o.tui == -1 && o.verbosity == 0 &&
	                o.hostkey_policy == HOSTKEY_POLICY_UNSET && o.port == 0,
	        "options: the table's defaults");
	ok(options_set(&o, "fanout", "128", "t.conf:1") == 0 && o.fanout == 128,
	        "options: set by long name");
	ok(set_caught(&o, "fanout", "0", msg, sizeof msg) == 2 && o.fanout == 128 &&
	                strcmp(msg, "shoal: t.conf:7: fanout: '0' is not a whole number from 1 "
	                            "to 4096") == 0,
	        "options: a value out of range is refused, naming the place and the option");
	ok(set_caught(&o, "fan-out", "3", msg, sizeof msg) == 2 &&
	                strcmp(msg, "shoal: t.conf:7: unknown option 'fan-out'") == 0,
	        "options: an unknown name is refused");
	ok(set_caught(&o, "help", NULL, msg, sizeof msg) == 2,
	        "options: --help is for the command line");
	ok(set_caught(&o, "user", "", msg, sizeof msg) == 2 &&
	                strcmp(msg, "shoal: t.conf:7: user: empty user name") == 0,
	        "options: an empty user name is refused");
	ok(options_set(&o, "max-startups", "auto", "t.conf:2") == 0 && o.max_startups == 0 &&
	                options_set(&o, "max-startups", "7", "t.conf:2") == 0 &&
	                o.max_startups == 7,
	        "options: N|auto");
	ok(options_set(&o, "host-key-policy", "accept-new", "t.conf:3") == 0 &&
	                o.hostkey_policy == HOSTKEY_POLICY_ACCEPT_NEW,
	        "options: a choice");
	ok(options_set(&o, "json", NULL, "t.conf:4") == 0 && o.json &&
	                options_set(&o, "json", "no", "t.conf:4") == 0 && !o.json &&
	                set_caught(&o, "json", "maybe", msg, sizeof msg) == 2,
	        "options: a flag takes yes or no");
	ok(options_set(&o, "backoff", "1,2", "t.conf:5") == 0 && o.backoff_base == 1 &&
	                o.backoff_cap == 2,
	        "options: BASE,CAP");
	snprintf(value, sizeof value, "web[1-2]");
	options_set(&o, "hosts", value, "t.conf:6");
	snprintf(value, sizeof value, "db1");
	options_set(&o, "hosts", value, "t.conf:6");
	ok(o.nsources == 2 && strcmp(o.sources[0].value, "web[1-2]") == 0 &&
	                strcmp(o.sources[1].value, "db1") == 0 && !o.sources[0].is_file,
	        "options: a repeatable option adds one more, its value copied");
	options_free(&o);
}

static void
test_escape(void)
{
	struct buf b;
	char *t;

	buf_init(&b);
	escape_terminal(&b, "plain text\tok", 13);
	is_str(b.p, "plain text\tok", "escape: text and tab pass");
	buf_reset(&b);
	escape_terminal(&b, "\x1b[2Jhi\r", 7);
	is_str(b.p, "\\x1b[2Jhi\\x0d", "escape: ESC and CR are shown, not obeyed");
	buf_reset(&b);
	escape_terminal(&b, "caf\xc3\xa9", 5);
	is_str(b.p, "caf\xc3\xa9", "escape: valid UTF-8 passes");
	buf_reset(&b);
	escape_terminal(&b,
	        "\xc2\x9b"
	        "31m",
	        5);
	is_str(b.p, "\\xc2\\x9b31m", "escape: a C1 CSI in UTF-8 is escaped");
	buf_reset(&b);
	escape_terminal(&b, "\x9b\xff", 2);
	is_str(b.p, "\\x9b\\xff", "escape: invalid bytes are escaped");
	buf_reset(&b);
	escape_terminal(&b, "\xed\xa0\x80", 3);
	is_str(b.p, "\\xed\\xa0\\x80", "escape: a UTF-16 surrogate is invalid");
	buf_reset(&b);
	escape_json(&b, "a\"b\\c\nd\x01\xff", 9);
	is_str(b.p, "a\\\"b\\\\c\\nd\\u0001\xef\xbf\xbd", "escape: JSON escapes and U+FFFD");
	buf_reset(&b);
	escape_json_string(&b, NULL);
	is_str(b.p, "null", "escape: NULL is JSON null");
	buf_reset(&b);
	escape_terminal(&b, "\\x1b] a\\b", 9);
	is_str(b.p, "\\x1b] a\\b", "escape: escaped text is left as it is");
	buf_free(&b);
	t = escape_text("\x1b]0;t\x07", 6, 64);
	is_str(t, "\\x1b]0;t\\x07", "escape_text: a printable copy");
	free(t);
	/* Found by tests/fuzz/fuzz-banner: nothing to escape left garbage, unterminated. */
	buf_init(&b);
	escape_terminal(&b, "", 0);
	t = buf_steal(&b);
	is_str(t, "", "escape: nothing escaped into a new buffer is the empty string");
	free(t);
	t = escape_text("TERM\x1b[2J", 8, 5);
	is_str(t, "TERM\\x1b...", "escape_text: cut at max bytes, and says so");
	free(t);
}

static void
test_errkind(void)
{
	int k;
	int named = 1, permanent_auth;

	for (k = 0; k < EK__COUNT; k++) {
		if (errkind_info((enum err_kind)k)->name == NULL)
			named = 0;
	}
	ok(named, "errkind: every kind has a name");
	is_str(errkind_name(EK_BANNER_TIMEOUT), "banner_timeout", "errkind: banner_timeout");
	is_str(errkind_name(EK_HOSTKEY_CHANGED), "hostkey_changed", "errkind: hostkey_changed");
	permanent_auth = !errkind_info(EK_AUTH_DENIED)->retried;
	ok(permanent_auth, "errkind: auth_denied is never retried");
	ok(errkind_info(EK_THROTTLED)->retried && errkind_info(EK_BANNER_CLOSED)->retried,
	        "errkind: throttled and banner_closed are retried");
	ok(!errkind_info(EK_NOT_SSH)->retried && !errkind_info(EK_KEX_FAILED)->retried,
	        "errkind: not_ssh and kex_failed are permanent");
	ok(errkind_info(EK_EXIT_NONZERO)->class == EC_RESULT, "errkind: exit_nonzero is a result");
	ok(errkind_info(EK_COMMAND_TIMEOUT)->class == EC_UNREACHED,
	        "errkind: command_timeout counts as unfinished (exit 3)");
	is_str(errkind_phase_key(PHASE_KEX), "kex", "errkind: JSON phase key");
}

/*
 * SPEC section 3's table, row by row, and section 4's exit classes; local is
 * shoal's addition (a shortage on this machine, not the host's fault).
 */
static void
test_errkind_spec(void)
{
	static const struct {
		enum err_kind kind;
		const char *name;
		enum phase phase;
		bool retried;
		enum err_class class;
	} spec[] = {
	        {EK_RESOLVE, "resolve", PHASE_CONNECT, false, EC_UNREACHED},
	        {EK_LOCAL, "local", PHASE_CONNECT, true, EC_UNREACHED},
	        {EK_REFUSED, "refused", PHASE_CONNECT, true, EC_UNREACHED},
	        {EK_CONNECT_TIMEOUT, "connect_timeout", PHASE_CONNECT, true, EC_UNREACHED},
	        {EK_BANNER_TIMEOUT, "banner_timeout", PHASE_BANNER, true, EC_UNREACHED},
	        {EK_BANNER_CLOSED, "banner_closed", PHASE_BANNER, true, EC_UNREACHED},
	        {EK_THROTTLED, "throttled", PHASE_BANNER, true, EC_UNREACHED},
	        {EK_PROXY_FAILED, "proxy_failed", PHASE_CONNECT, true, EC_UNREACHED},
	        {EK_NOT_SSH, "not_ssh", PHASE_BANNER, false, EC_UNREACHED},
	        {EK_KEX_FAILED, "kex_failed", PHASE_KEX, false, EC_UNREACHED},
	        {EK_KEX_TIMEOUT, "kex_timeout", PHASE_KEX, true, EC_UNREACHED},
	        {EK_HOSTKEY_UNKNOWN, "hostkey_unknown", PHASE_KEX, false, EC_UNREACHED},
	        {EK_HOSTKEY_CHANGED, "hostkey_changed", PHASE_KEX, false, EC_UNREACHED},
	        {EK_HOSTKEY_REVOKED, "hostkey_revoked", PHASE_KEX, false, EC_UNREACHED},
	        {EK_AUTH_DENIED, "auth_denied", PHASE_AUTH, false, EC_UNREACHED},
	        {EK_AUTH_TIMEOUT, "auth_timeout", PHASE_AUTH, true, EC_UNREACHED},
	        {EK_CHANNEL, "channel", PHASE_RUN, false, EC_UNREACHED},
	        {EK_COMMAND_TIMEOUT, "command_timeout", PHASE_RUN, false, EC_UNREACHED},
	        {EK_LOST, "lost", PHASE_RUN, false, EC_UNREACHED},
	        {EK_SIGNAL, "signal", PHASE_RUN, false, EC_RESULT},
	        {EK_EXIT_NONZERO, "exit_nonzero", PHASE_RUN, false, EC_RESULT},
	        {EK_TRANSFER, "transfer", PHASE_RUN, false, EC_UNREACHED},
	        /* Newer than SPEC (issue 24): output that ends in a prompt nothing answers. */
	        {EK_PROMPT, "prompt", PHASE_RUN, false, EC_UNREACHED},
	        {EK_CANCELLED, "cancelled", PHASE_ANY, false, EC_INTERRUPTED},
	        /* Not an error kind of SPEC: the status `skipped` (--max-fail), kept in the
	         * same table so the exit status (4) and the summary read one place. */
	        {EK_SKIPPED, "skipped", PHASE_ANY, false, EC_SKIPPED},
	};
	char desc[128];
	size_t i;

	ok(sizeof spec / sizeof spec[0] == EK__COUNT - 1, "errkind: SPEC lists every kind");
	for (i = 0; i < sizeof spec / sizeof spec[0]; i++) {
		const struct err_kind_info *ki = errkind_info(spec[i].kind);

		snprintf(desc, sizeof desc, "errkind: %s has SPEC's name, phase, retry and class",
		        spec[i].name);
		ok(strcmp(ki->name, spec[i].name) == 0 && ki->phase == spec[i].phase &&
		                ki->retried == spec[i].retried && ki->class == spec[i].class,
		        desc);
	}
}

/*
 * What a gateway sends up for --rcopy (and names a host lists) is written
 * only below DEST_DIR/HOST: a path is relative and plain, and a link found
 * there is never followed, however it got there.
 */
static void
test_transfer_paths(void)
{
	static const struct {
		const char *rel;
		bool good;
	} rels[] = {
	        {"a", true},
	        {"a/b c/d", true},
	        {".hidden", true},
	        {"a..b/..c", true},
	        {"line\nbreak", true},
	        {"", false},
	        {"/etc/passwd", false},
	        {"..", false},
	        {".", false},
	        {"a/../b", false},
	        {"a/./b", false},
	        {"a//b", false},
	        {"a/", false},
	        {"../x", false},
	        {"a/..", false},
	};
	char dest[] = "/tmp/shoal-test-core.XXXXXX", desc[128], *path;
	struct transfer_plan p;
	struct transfer_in *t;
	struct host *h = host_new(0, "h1", NULL, 0);
	struct stat st;
	char *err;
	size_t i;
	int fd;

	for (i = 0; i < sizeof rels / sizeof rels[0]; i++) {
		snprintf(desc, sizeof desc, "transfer: '%s' is %s below DEST_DIR/HOST", rels[i].rel,
		        rels[i].good ? "a path" : "no path");
		ok(transfer_rel_ok(rels[i].rel) == rels[i].good, desc);
	}
	if (mkdtemp(dest) == NULL) {
		ok(0, "transfer: a temporary DEST_DIR");
		host_free(h);
		return;
	}
	host_name_all(&h, 1);
	memset(&p, 0, sizeof p);
	p.mode = XFER_RCOPY;
	p.dest = dest;

	t = transfer_in_new(&p, h);
	ok(transfer_in_dir(t, "../up") < 0, "transfer_in: a '..' directory breaks the stream");
	ok(transfer_in_file(t, "/abs", 1) < 0, "transfer_in: an absolute file breaks the stream");
	ok(transfer_in_data(t, "x", 1) < 0, "transfer_in: bytes with no file open break it");
	ok(transfer_in_close(t, 0644, NULL) < 0, "transfer_in: so does a close with none");
	ok(transfer_in_dir(t, "d") == 0 && transfer_in_file(t, "d/f", 2) == 0 &&
	                transfer_in_file(t, "d/g", 0) < 0,
	        "transfer_in: a second file while one is open breaks it");
	ok(transfer_in_data(t, "ok", 2) == 0 && transfer_in_close(t, 0600, NULL) == 0,
	        "transfer_in: a file in a directory");
	err = transfer_in_end(t, false);
	ok(err == NULL, "transfer_in: nothing failed");
	free(err);
	path = xasprintf("%s/h1/d/f", dest);
	ok(stat(path, &st) == 0 && st.st_size == 2 && (st.st_mode & 07777) == 0600,
	        "transfer_in: it is in DEST_DIR/HOST, whole, with its mode");
	free(path);

	/* A link planted in DEST_DIR/HOST, to a folder outside. */
	path = xasprintf("%s/outside", dest);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/h1/d/link", dest);
	ok(symlink("../../outside", path) == 0, "a link in DEST_DIR/HOST to outside it");
	free(path);
	t = transfer_in_new(&p, h);
	ok(transfer_in_dir(t, "d/link") == 0 && transfer_in_file(t, "d/link/x", 1) == 0 &&
	                transfer_in_data(t, "x", 1) == 0 && transfer_in_close(t, 0644, NULL) == 0,
	        "transfer_in: files through it are a local failure, not a broken stream");
	err = transfer_in_end(t, false);
	ok(err != NULL && strstr(err, "cannot make local directory") != NULL,
	        "transfer_in: the host fails, saying where");
	free(err);
	path = xasprintf("%s/outside/x", dest);
	ok(access(path, F_OK) < 0, "transfer_in: nothing is written through the link");
	free(path);
	/* What this test made, by name, deepest first. */
	fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(fd >= 0 && unlinkat(fd, "h1/d/f", 0) == 0 && unlinkat(fd, "h1/d/link", 0) == 0 &&
	                unlinkat(fd, "h1/d", AT_REMOVEDIR) == 0 &&
	                unlinkat(fd, "h1", AT_REMOVEDIR) == 0 &&
	                unlinkat(fd, "outside", AT_REMOVEDIR) == 0 && rmdir(dest) == 0,
	        "(the temporary DEST_DIR holds nothing else, and is removed)");
	if (fd >= 0)
		close(fd);
	host_free(h);
}

int
main(void)
{
	test_backoff();
	test_limiter();
	test_attempt_text();
	test_host_life();
	test_options();
	test_escape();
	test_errkind();
	test_errkind_spec();
	test_limiter_cancel();
	test_transfer_paths();
	return done_testing();
}
