/*
 * wait.h - the waits every module shares: the monotonic clock, waiting on a
 * socket or a session under a deadline and the cancel flag, and driving a
 * libssh call that says "again" until it is done.
 *
 * Any thread; nothing here holds state or takes a lock.  Every wait returns
 * at once on a cancel (through cancel_fd(), or the flag every 100 ms).
 */
#ifndef SHOAL_WAIT_H
#define SHOAL_WAIT_H

#include <pthread.h>

#include <libssh/libssh.h>

/* A monotonic clock in seconds: every deadline of shoal is on it. */
double wait_now(void);
/*
 * Wait until fd is ready for events or the deadline (monotonic seconds)
 * passes.  Returns 1 ready, 0 deadline, -1 cancelled.
 */
int wait_fd(int fd, short events, double deadline);
/* The same for a session's socket, also waiting to flush what libssh has queued. */
int wait_session(ssh_session s, double deadline);

/* A condition variable on wait_now's clock, for wait_cond. */
void wait_cond_init(pthread_cond_t *cond);
/*
 * Wait on cond (from wait_cond_init) with mutex held until it is signalled
 * or the deadline (wait_now's clock) passes, at most 100 ms: the caller
 * looks at the cancel flag (and its own state) when it returns.
 */
void wait_cond(pthread_cond_t *cond, pthread_mutex_t *mutex, double deadline);

/* What wait_again returns when it stops waiting; no libssh code has these values. */
#define WAIT_TIMED_OUT (-1000)
#define WAIT_CANCELLED (-1001)
/*
 * Call step(arg) until it returns something else than again, with
 * wait_session(s, deadline) between calls: returns step's last result, or
 * WAIT_TIMED_OUT or WAIT_CANCELLED when the wait ends first.  For a
 * non-blocking session.
 */
int wait_again(ssh_session s, double deadline, int again, int (*step)(void *arg), void *arg);

#endif
