/*
 * host.c - the per-host state of host.h, and the names output gives hosts.
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
	h->name = xstrdup(alias);
	h->user = user ? xstrdup(user) : NULL;
	h->port = port;
	pthread_mutex_init(&h->lock, NULL);
	h->state = HOST_QUEUED;
	h->exit_code = -1;
	h->fd_out = -1;
	h->fd_err = -1;
	buf_init(&h->out);
	buf_init(&h->err);
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
	free(h->name);
	free(h->user);
	free(h->login_user);
	free(h->error);
	free(h->exit_signal);
	free(h->file_error);
	buf_free(&h->out);
	buf_free(&h->err);
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
	/* An IPv6 literal is bracketed, port or not: host lists take it only so. */
	bool v6 = strchr(alias, ':') != NULL;
	char *s = xasprintf("%s%s%s%s%s", user ? user : "", user ? "@" : "", v6 ? "[" : "", alias,
	        v6 ? "]" : "");

	if (port > 0) {
		char *p = xasprintf("%s:%d", s, port);

		free(s);
		s = p;
	}
	return s;
}

static int
cmp_alias(const void *a, const void *b)
{
	const struct host *x = *(struct host *const *)a, *y = *(struct host *const *)b;
	int c = strcmp(x->alias, y->alias);

	return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

void
host_name_all(struct host **hosts, size_t n)
{
	struct host **sorted = xcalloc(n ? n : 1, sizeof *sorted);
	size_t i, j, k;

	memcpy(sorted, hosts, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_alias);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(sorted[j]->alias, sorted[i]->alias) == 0; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++) {
			free(sorted[k]->name);
			sorted[k]->name = host_spec_string(
			        sorted[k]->alias, sorted[k]->user, sorted[k]->port);
		}
	}
	free(sorted);
}

char *
host_file_name(const char *name)
{
	struct buf b;
	const char *p;

	/* "%" alone is no escape's result: the empty name cannot meet another. */
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return xstrdup(*name == '\0' ? "%" : name[1] != '\0' ? "%2E%2E" : "%2E");
	buf_init(&b);
	for (p = name; *p; p++) {
		if (*p == '%')
			buf_appends(&b, "%25");
		else if (*p == '/')
			buf_appends(&b, "%2F");
		else
			buf_appendc(&b, *p);
	}
	return buf_steal(&b);
}
