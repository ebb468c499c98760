/*
 * cancel.c - the flag of cancel.h.  A lock-free atomic, so it is safe to set
 * from a signal handler.
 */
#include "config.h"

#include <stdatomic.h>

#include "cancel.h"

static atomic_bool cancel_flag;

void
cancel_request(void)
{
	atomic_store(&cancel_flag, true);
}

bool
cancel_requested(void)
{
	return atomic_load_explicit(&cancel_flag, memory_order_relaxed);
}
