/*
 * host.c - the per-host state of host.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "xmalloc.h"

double
host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct host *
host_new(size_t index, const char *alias, const char *user, int port)
{
	struct host *h = xcalloc(1, sizeof *h);

	h->index = index;
	h->alias = xstrdup(alias);
	h->user = user ? xstrdup(user) : NULL;
	h->port = port;
	pthread_mutex_init(&h->lock, NULL);
	h->state = HOST_QUEUED;
	h->exit_code = -1;
	h->fd_out = -1;
	h->fd_err = -1;
	spool_init(&h->out);
	spool_init(&h->err);
	buf_init(&h->line_out);
	buf_init(&h->line_err);
	return h;
}

void
host_free(struct host *h)
{
	unsigned i;

	if (h == NULL)
		return;
	for (i = 0; i < h->attempts; i++)
		free(h->history[i].error);
	free(h->history);
	free(h->alias);
	free(h->user);
	free(h->login_user);
	free(h->error);
	free(h->exit_signal);
	spool_free(&h->out);
	spool_free(&h->err);
	buf_free(&h->line_out);
	buf_free(&h->line_err);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void
host_add_attempt(
        struct host *h, enum err_kind kind, enum phase phase, const char *error, double elapsed)
{
	struct attempt *a;

	pthread_mutex_lock(&h->lock);
	h->history = xreallocarray(h->history, h->attempts, sizeof *h->history);
	a = &h->history[h->attempts - 1];
	a->kind = kind;
	a->phase = phase;
	a->error = error ? xstrdup(error) : NULL;
	a->elapsed = elapsed;
	pthread_mutex_unlock(&h->lock);
}

void
host_set_state(struct host *h, enum host_state state, enum phase phase, double now)
{
	pthread_mutex_lock(&h->lock);
	h->state = state;
	h->phase = phase;
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
}

char *
host_spec_string(const char *alias, const char *user, int port)
{
	bool v6 = strchr(alias, ':') != NULL;

	if (port > 0)
		return xasprintf("%s%s%s%s%s:%d", user ? user : "", user ? "@" : "", v6 ? "[" : "",
		        alias, v6 ? "]" : "", port);
	return xasprintf("%s%s%s", user ? user : "", user ? "@" : "", alias);
}
