/*
 * alive.h - liveness of an authenticated session (ssh's ServerAliveInterval,
 * ServerAliveCountMax and TCPKeepAlive): keepalives in every wait after
 * auth, and the verdict that a host stopped answering.
 */
#ifndef SHOAL_ALIVE_H
#define SHOAL_ALIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <libssh/libssh.h>

/* shoal's keepalives where ssh_config names none (SPEC 3): every 15 s, 3 unanswered. */
#define ALIVE_DEFAULT_INTERVAL 15
#define ALIVE_DEFAULT_COUNT    3

/* Lives on the caller's stack between alive_start and alive_stop. */
struct alive {
	struct ssh_counter_struct packets; /* kept up to date by libssh */
	uint64_t seen;                     /* packets.in_packets at the last look */
	double next;                       /* when the next keepalive is due */
	int unanswered;
	double interval; /* seconds; 0: no keepalives */
	int count;
	char why[96]; /* alive_why */
};

/*
 * Start watching s: count its packets, switch on TCP keepalives.  interval
 * 0 sends no keepalives (a broken connection is still seen by the caller).
 */
void alive_start(struct alive *a, ssh_session s, double interval, int count);
/* Stop counting (the counters are a's); call before a goes away. */
void alive_stop(struct alive *a, ssh_session s);
/*
 * Call on every turn of a wait loop: sends a keepalive when one is due and
 * returns false once the host left count of them unanswered.
 */
bool alive_check(struct alive *a, ssh_session s);
/* The earlier of deadline and when alive_check must run next. */
double alive_due(const struct alive *a, double deadline);
/* "no answer to 3 keepalives in 60 s", once alive_check said false. */
const char *alive_why(struct alive *a);

#endif
