/*
 * alive.c - keepalives for a session in use.
 *
 * libssh counts the packets that come in (ssh_set_counters); any packet is
 * an answer.  After an interval without one a keepalive@openssh.com global
 * request that wants a reply goes out (sshd answers it, with a failure),
 * sent in non-blocking mode so nothing waits for the answer; after count of
 * them went unanswered, an interval each, the host is given up: interval x
 * (count + 1) seconds of silence, as ssh.  libssh 0.10 keeps one global
 * request pending at a time: while it is, a new call only polls it, and the
 * first call after the answer only collects it, so a probe is made of up to
 * two calls, the packet counter telling whether one went out.
 *
 * Threads: a struct alive belongs to the thread that drives its session.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libssh/server.h> /* ssh_send_keepalive, usable by a client despite the header */

#include "alive.h"
#include "wait.h"

void
alive_start(struct alive *a, ssh_session s, double interval, int count)
{
	int on = 1;

	memset(a, 0, sizeof *a);
	a->interval = interval;
	a->count = count;
	a->next = wait_now() + interval;
	ssh_set_counters(s, NULL, &a->packets);
	/* TCPKeepAlive, on in ssh by default (fails harmlessly on a ProxyCommand pipe). */
	setsockopt(ssh_get_fd(s), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}

void
alive_stop(struct alive *a, ssh_session s)
{
	(void)a;
	ssh_set_counters(s, NULL, NULL);
}

static void
probe(struct alive *a, ssh_session s)
{
	int blocking = ssh_is_blocking(s);
	uint64_t sent = a->packets.out_packets;

	ssh_set_blocking(s, 0);
	(void)ssh_send_keepalive(s);
	if (a->packets.out_packets == sent)
		(void)ssh_send_keepalive(s);
	ssh_set_blocking(s, blocking);
}

bool
alive_check(struct alive *a, ssh_session s)
{
	double now = wait_now();

	if (a->interval <= 0)
		return true;
	if (a->packets.in_packets != a->seen) {
		a->seen = a->packets.in_packets;
		a->unanswered = 0;
		a->next = now + a->interval;
	}
	if (now < a->next)
		return true;
	if (a->unanswered >= a->count)
		return false;
	probe(a, s);
	a->unanswered++;
	a->next = now + a->interval;
	return true;
}

double
alive_due(const struct alive *a, double deadline)
{
	return a->interval > 0 && a->next < deadline ? a->next : deadline;
}

const char *
alive_why(struct alive *a)
{
	snprintf(a->why, sizeof a->why, "no answer to %d keepalive%s in %.0f s", a->count,
	        a->count == 1 ? "" : "s", a->interval * (a->count + 1));
	return a->why;
}
