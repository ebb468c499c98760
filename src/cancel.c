/*
 * cancel.c - the flag of cancel.h.  A lock-free atomic, so it is safe to set
 * from a signal handler; with it a pipe that is never read, so that every
 * poll that includes its read end wakes on a cancel, however many there are.
 * The pipe is made on first use; the flag is set before the pipe is written
 * and the pipe is made before a waiter looks at the flag, so a waiter either
 * sees the flag or is woken by the write.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "cancel.h"

static atomic_bool cancel_flag;
static atomic_bool drain_flag;
static atomic_int wake_rd = -1, wake_wr = -1;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;

static void
wake_make(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	atomic_store(&wake_rd, p[0]);
	atomic_store(&wake_wr, p[1]);
	if (atomic_load(&cancel_flag))
		cancel_request();
}

void
cancel_request(void)
{
	int fd;
	ssize_t n;

	atomic_store(&cancel_flag, true);
	fd = atomic_load(&wake_wr);
	if (fd >= 0) {
		n = write(fd, "x", 1); /* a full pipe is readable already */
		(void)n;
	}
}

bool
cancel_requested(void)
{
	return atomic_load(&cancel_flag);
}

int
cancel_fd(void)
{
	pthread_once(&wake_once, wake_make);
	return atomic_load(&wake_rd);
}

void
cancel_drain_request(void)
{
	atomic_store(&drain_flag, true);
}

bool
cancel_drain_requested(void)
{
	return atomic_load(&drain_flag);
}
