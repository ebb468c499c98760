/*
 * cancel.h - the run-wide "stop now" flag, set from the signal handler and
 * the live view, polled by every wait loop (at least every 100 ms).
 */
#ifndef SHOAL_CANCEL_H
#define SHOAL_CANCEL_H

#include <stdbool.h>

void cancel_request(void);
bool cancel_requested(void);

#endif
