/*
 * test-core.c - unit tests of the small pure pieces: the backoff and limiter
 * arithmetic, terminal and JSON escaping, the error-kind table.  Prints TAP.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "buf.h"
#include "errkind.h"
#include "escape.h"
#include "limiter.h"
#include "tap.h"

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

static void
test_escape(void)
{
	struct buf b;

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
	buf_free(&b);
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
	        {EK_NOT_SSH, "not_ssh", PHASE_BANNER, false, EC_UNREACHED},
	        {EK_KEX_FAILED, "kex_failed", PHASE_KEX, false, EC_UNREACHED},
	        {EK_KEX_TIMEOUT, "kex_timeout", PHASE_KEX, true, EC_UNREACHED},
	        {EK_HOSTKEY_UNKNOWN, "hostkey_unknown", PHASE_KEX, false, EC_UNREACHED},
	        {EK_HOSTKEY_CHANGED, "hostkey_changed", PHASE_KEX, false, EC_UNREACHED},
	        {EK_AUTH_DENIED, "auth_denied", PHASE_AUTH, false, EC_UNREACHED},
	        {EK_AUTH_TIMEOUT, "auth_timeout", PHASE_AUTH, true, EC_UNREACHED},
	        {EK_CHANNEL, "channel", PHASE_RUN, false, EC_UNREACHED},
	        {EK_COMMAND_TIMEOUT, "command_timeout", PHASE_RUN, false, EC_UNREACHED},
	        {EK_LOST, "lost", PHASE_RUN, false, EC_UNREACHED},
	        {EK_SIGNAL, "signal", PHASE_RUN, false, EC_RESULT},
	        {EK_EXIT_NONZERO, "exit_nonzero", PHASE_RUN, false, EC_RESULT},
	        {EK_TRANSFER, "transfer", PHASE_RUN, false, EC_UNREACHED},
	        {EK_CANCELLED, "cancelled", PHASE_ANY, false, EC_INTERRUPTED},
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

int
main(void)
{
	test_backoff();
	test_limiter();
	test_escape();
	test_errkind();
	test_errkind_spec();
	return done_testing();
}
