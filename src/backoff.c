/*
 * backoff.c - exponential backoff with full jitter.  Full jitter spreads
 * retries that failed together (a burst dropped by MaxStartups) over the whole
 * window instead of letting them return as a burst again.
 */
#include "config.h"

#include <time.h>
#include <unistd.h>

#include "backoff.h"

double
backoff_delay(double base, double cap, unsigned attempt, double u)
{
	double d = base;
	unsigned i;

	for (i = 0; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d * u;
}

double
backoff_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

uint64_t
backoff_seed(uint64_t salt)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32) ^ (salt * 0x9e3779b97f4a7c15ULL);
	return s ? s : 0x853c49e6748fea9bULL;
}
