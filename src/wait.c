/*
 * wait.c - the clock and the waits of wait.h.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "cancel.h"
#include "wait.h"

double
wait_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Poll fd for events until ready, the deadline or a cancel.  The cancel fd
 * wakes the poll at once, so it sleeps to the deadline; without one it wakes
 * every 100 ms to look at the flag.  With a session, first push out what
 * libssh has queued (it sends only from inside its own poll, which channel
 * reads skip while data is buffered) and wait for room if it did not all fit.
 */
static int
wait_ready(int fd, short events, ssh_session s, double deadline)
{
	struct pollfd pfd[2];
	int wake = cancel_fd();
	double left, nap = wake >= 0 ? 3600 : 0.1;
	int ms, r;

	for (;;) {
		if (cancel_requested())
			return -1;
		left = deadline - wait_now();
		if (left <= 0)
			return 0;
		ms = left > nap ? (int)(nap * 1000) : (int)(left * 1000) + 1;
		pfd[0].fd = fd;
		pfd[0].events = events;
		if (s != NULL && ssh_blocking_flush(s, 0) == SSH_AGAIN)
			pfd[0].events |= POLLOUT;
		pfd[0].revents = 0;
		pfd[1].fd = wake;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		r = poll(pfd, wake >= 0 ? 2 : 1, ms);
		if (r > 0 && pfd[0].revents != 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* let the caller's read see the error */
	}
}

void
wait_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

void
wait_cond(pthread_cond_t *cond, pthread_mutex_t *mutex, double deadline)
{
	struct timespec ts;
	double left = deadline - wait_now();

	if (left < 0)
		left = 0;
	if (left > 0.1)
		left = 0.1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)left;
	ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, mutex, &ts);
}

int
wait_fd(int fd, short events, double deadline)
{
	return wait_ready(fd, events, NULL, deadline);
}

int
wait_session(ssh_session s, double deadline)
{
	return wait_ready(ssh_get_fd(s), POLLIN, s, deadline);
}

int
wait_again(ssh_session s, double deadline, int again, int (*step)(void *arg), void *arg)
{
	int rc, w;

	for (;;) {
		rc = step(arg);
		if (rc != again)
			return rc;
		w = wait_session(s, deadline);
		if (w == 0)
			return WAIT_TIMED_OUT;
		if (w < 0)
			return WAIT_CANCELLED;
	}
}
