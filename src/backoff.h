/*
 * backoff.h - the wait before a retry: exponential backoff with full jitter.
 */
#ifndef SHOAL_BACKOFF_H
#define SHOAL_BACKOFF_H

#include <stdint.h>

/*
 * Seconds to wait after failed attempt number `attempt` (0 for the first):
 * min(cap, base * 2^attempt) * u, with u uniform in [0, 1).
 */
double backoff_delay(double base, double cap, unsigned attempt, double u);
/* A uniform number in [0, 1) from a per-caller state (xorshift64*). */
double backoff_random(uint64_t *state);
/* A seed that differs between threads, processes and runs. */
uint64_t backoff_seed(uint64_t salt);

#endif
