/*
 * log.c - leveled diagnostics on stderr, one lock for all writers.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "log.h"

static int log_level = LOG_NORMAL;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool held;
static struct buf kept; /* whole messages, each ending in a newline */

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_lock(void)
{
	pthread_mutex_lock(&log_mutex);
}

void
log_unlock(void)
{
	pthread_mutex_unlock(&log_mutex);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	log_lock();
	if (held) {
		buf_appends(&kept, "shoal: ");
		va_start(ap, fmt);
		buf_appendv(&kept, fmt, ap);
		va_end(ap);
		buf_appendc(&kept, '\n');
	} else {
		fputs("shoal: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		fflush(stderr);
	}
	log_unlock();
}

void
log_hold(bool on)
{
	log_lock();
	held = on;
	if (!on && kept.len > 0) {
		fwrite(kept.p, 1, kept.len, stderr);
		fflush(stderr);
		buf_free(&kept);
	}
	log_unlock();
}
