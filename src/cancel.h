/*
 * cancel.h - the run-wide "stop now" flag, set from the signal handler and
 * the live view.  Wait loops either poll cancel_fd() with their own fds, so
 * a cancel wakes them at once, or look at the flag at least every 100 ms.
 */
#ifndef SHOAL_CANCEL_H
#define SHOAL_CANCEL_H

#include <stdbool.h>

void cancel_request(void);
bool cancel_requested(void);
/*
 * An fd that becomes readable (POLLIN) on cancel_request and stays so, or -1
 * if none could be made.  Any thread; the first call makes it.
 */
int cancel_fd(void);
/*
 * The softer stop (a gateway's root spent the failure budget): start no new
 * host, let those in flight finish.  Safe from a signal handler.
 */
void cancel_drain_request(void);
bool cancel_drain_requested(void);

#endif
