/*
 * log.h - diagnostics on stderr.  Silent below the level set by -q / -v.
 * Whole messages are written under one lock, so threads never interleave.
 * Every message is escaped for the terminal as it is written: a message may
 * quote a host (a path it listed, an error libssh got from it), and a host
 * must not drive the operator's terminal at any verbosity.
 */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_QUIET = -1,  /* -q: errors that stop the run only */
	LOG_NORMAL = 0,  /* per-host failures and the summary */
	LOG_VERBOSE = 1, /* -v: each attempt and retry */
	LOG_DEBUG = 2,   /* -vv: phases */
	LOG_LIBSSH = 3,  /* -vvv: libssh's own log lines */
};

void log_set_level(int level);
int log_get_level(void);
/*
 * The level of the calling thread's messages while it works for one host
 * (ssh_config's LogLevel for it), when the run's level is the normal one:
 * -q and -v decide for every host.  LOG_RUN: the run's level again.
 */
#define LOG_RUN (-100)
void log_thread_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lock and unlock stderr for callers that write several pieces as one. */
void log_lock(void);
void log_unlock(void);
/*
 * While the live view owns the terminal, messages are kept instead of
 * written (log_hold(true)); log_hold(false) writes the kept ones, in order.
 */
void log_hold(bool on);
/*
 * Send the calling thread's libssh log lines through log_msg at LOG_LIBSSH,
 * tagged with tag (the host's name, or NULL): escaped, and held with the
 * rest while the live view is up.  libssh keeps its log callback and
 * its level per thread, so every thread that runs sessions
 * calls this, again whenever the host it works for changes; tag must stay
 * valid until then.
 */
void log_libssh_thread(const char *tag);

#endif
