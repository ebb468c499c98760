/*
 * outcome.h - what an attempt or a run ended with: an error kind (errkind.h),
 * the phase it ended in, a printable detail, and whether the command started.
 *
 * "Started" is a fact the runner records when the server accepted the exec
 * request, or when the request left and no refusal came back (the command
 * may be running); exec.c records it, or a keeper's frame says so.  It is
 * never inferred from the kind.  Retries, the live view's `r` and the summary read it.
 */
#ifndef SHOAL_OUTCOME_H
#define SHOAL_OUTCOME_H

#include <stdbool.h>

#include "errkind.h"

/*
 * Whether a failure is tried again: as errkind's table says for its kind,
 * or not, whatever the kind (a jump host that already had its retries, a
 * jump host that prohibits forwarding), or always (the jump host died
 * under a handshake: the target itself did nothing wrong).
 */
enum outcome_retry { RETRY_AS_KIND, RETRY_NEVER, RETRY_ALWAYS };

struct outcome {
	enum err_kind kind;
	enum phase phase;
	char *error; /* malloc'd, printable; NULL when kind is EK_NONE */
	enum outcome_retry retry;
	bool started; /* the exec request was accepted, or left unanswered: never run it again */
};

#define OUTCOME_INIT                                                                               \
	{                                                                                          \
		EK_NONE, PHASE_ANY, NULL, RETRY_AS_KIND, false                                     \
	}

/* Set out to kind/phase with a printf-style detail, stored escaped (printable). */
void outcome_set(struct outcome *out, enum err_kind kind, enum phase phase, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void outcome_clear(struct outcome *out);
/* Is this failure tried again?  Never once the command started. */
bool outcome_retried(const struct outcome *out);

#endif
