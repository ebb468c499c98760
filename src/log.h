/*
 * log.h - diagnostics on stderr.  Silent below the level set by -q / -v.
 * Whole messages are written under one lock, so threads never interleave.
 */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_QUIET = -1,  /* -q: errors that stop the run only */
	LOG_NORMAL = 0,  /* per-host failures and the summary */
	LOG_VERBOSE = 1, /* -v: each attempt and retry */
	LOG_DEBUG = 2,   /* -vv: phases; -vvv adds libssh's own log */
};

void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lock and unlock stderr for callers that write several pieces as one. */
void log_lock(void);
void log_unlock(void);
/*
 * While the live view owns the terminal, messages are kept instead of
 * written (log_hold(true)); log_hold(false) writes the kept ones, in order.
 */
void log_hold(bool on);

#endif
