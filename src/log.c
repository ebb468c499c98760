/*
 * log.c - leveled diagnostics on stderr, one lock for all writers.  libssh's
 * own log lines come here too (log_libssh_thread) instead of libssh writing
 * them raw to stderr.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "buf.h"
#include "escape.h"
#include "log.h"

static int log_level = LOG_NORMAL;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool held;
static struct buf kept; /* whole messages, each ending in a newline */
/* The calling thread's own level (log_thread_level), or LOG_RUN. */
static _Thread_local int thread_level = LOG_RUN;
/* The host the calling thread's libssh lines concern (libssh's userdata is not const). */
static _Thread_local const char *libssh_tag;

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
log_thread_level(int level)
{
	thread_level = level;
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
	struct buf raw, line;
	va_list ap;

	if (level > (thread_level != LOG_RUN && log_level == LOG_NORMAL ? thread_level : log_level))
		return;
	buf_init(&raw);
	buf_init(&line);
	va_start(ap, fmt);
	buf_appendv(&raw, fmt, ap);
	va_end(ap);
	buf_appends(&line, "shoal: ");
	escape_terminal(&line, raw.p, raw.len);
	buf_appendc(&line, '\n');
	log_lock();
	if (held) {
		buf_append(&kept, line.p, line.len);
	} else {
		fwrite(line.p, 1, line.len, stderr);
		fflush(stderr);
	}
	log_unlock();
	buf_free(&raw);
	buf_free(&line);
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

/* libssh's line is "function: text"; it quotes the server freely (banners, disconnects). */
static void
libssh_line(int priority, const char *function, const char *line, void *userdata)
{
	if (libssh_tag != NULL)
		log_msg(LOG_LIBSSH, "%s: libssh: %s", libssh_tag, line);
	else
		log_msg(LOG_LIBSSH, "libssh: %s", line);
}

void
log_libssh_thread(const char *tag)
{
	ssh_set_log_callback(libssh_line);
	libssh_tag = tag;
}
