/*
 * limiter.h - handshakes in flight per destination address:port.
 *
 * sshd drops new connections past MaxStartups unauthenticated ones; that is
 * what "Error reading SSH protocol banner" usually is.  The limiter keeps the
 * handshakes to one destination under a limit that, in auto mode, starts at
 * 10 (OpenSSH's default MaxStartups start), halves on a throttled or
 * banner_closed failure and grows back on completed handshakes, up to the
 * fanout.  Like TCP's congestion window it grows by one per handshake up to
 * half the limit that last failed, then by one per limit's worth of
 * handshakes, and by one per four limits' worth to reach the limit that
 * last failed; and one burst of drops halves it once, not once per drop:
 * only a handshake started under the current limit can lower it again.
 * Shared by all workers.
 */
#ifndef SHOAL_LIMITER_H
#define SHOAL_LIMITER_H

#include <stdbool.h>

enum limiter_outcome {
	LIMITER_DONE,      /* handshake completed: auto grows */
	LIMITER_THROTTLED, /* dropped before the banner: auto halves */
	LIMITER_OTHER,     /* any other failure: no change */
};

/*
 * fixed > 0: a constant limit; fixed == 0: auto, capped at max.  Starts a
 * thread that turns cancel_request() into limiter_cancel(); limiter_free
 * ends it.
 */
void limiter_init(int fixed, int max);
void limiter_free(void);
struct limiter_slot {
	struct limiter_dest *dest; /* NULL: no slot held */
	unsigned epoch;            /* the limit's generation when the slot was taken */
};

/*
 * Wait for a slot to dest ("addr:port").  Returns 0, or -1 when cancelled:
 * after cancel_request() no slot is granted, and waiters return at once.
 */
int limiter_acquire(const char *dest, struct limiter_slot *slot);
/* Give the slot back (a NULL slot is fine) and adapt the limit. */
void limiter_release(struct limiter_slot *slot, enum limiter_outcome outcome);
/* Wake all waiters (cancel): acquire then returns -1. */
void limiter_cancel(void);

/* The arithmetic alone, for unit tests. */
struct limiter_state {
	int limit;
	int threshold; /* half the last limit that was throttled; max at first */
	int ceiling;   /* the limit that was last throttled: approached slowly */
	int credit;    /* handshakes counted towards the next +1 above threshold */
};
void limiter_state_init(struct limiter_state *st, int start, int max);
void limiter_state_update(struct limiter_state *st, enum limiter_outcome outcome, int max);

#endif
