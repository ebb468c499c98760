/*
 * host.c - the per-host state of host.h, and the names output gives hosts.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "host.h"
#include "log.h"
#include "xmalloc.h"

struct host *
host_new(size_t index, const char *alias, const char *user, int port)
{
	struct host *h = xcalloc(1, sizeof *h);

	h->index = index;
	h->list_index = index;
	h->alias = xstrdup(alias);
	h->name = xstrdup(alias);
	h->user = user ? xstrdup(user) : NULL;
	h->port = port;
	h->spec = host_spec_string(alias, user, port);
	pthread_mutex_init(&h->lock, NULL);
	h->state = HOST_QUEUED;
	h->exit_code = -1;
	spool_init(&h->out);
	spool_init(&h->err);
	return h;
}

struct host *
host_from_spec(size_t index, const struct hostspec *spec)
{
	struct host *h = host_new(index, spec->alias, spec->user, spec->port);

	h->addr = spec->addr ? xstrdup(spec->addr) : NULL;
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
	free(h->spec);
	free(h->alias);
	free(h->name);
	free(h->user);
	free(h->addr);
	free(h->login_user);
	free(h->via);
	free(h->error);
	free(h->exit_signal);
	free(h->file_error);
	for (i = 0; i < h->npast; i++) {
		free(h->past[i].command);
		free(h->past[i].error);
		free(h->past[i].exit_signal);
		spool_free(&h->past[i].out);
		spool_free(&h->past[i].err);
	}
	free(h->past);
	free(h->run_command);
	spool_free(&h->out);
	spool_free(&h->err);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Add the open phase's time to phase_ms; the caller holds h->lock. */
static void
phase_close(struct host *h, double now)
{
	if ((h->state == HOST_CONNECTING || h->state == HOST_RUNNING) && h->phase < PHASE__COUNT)
		h->phase_ms[h->phase] += (long)((now - h->phase_started) * 1000 + 0.5);
	h->phase_started = now;
}

unsigned
host_attempt_begin(struct host *h, double now)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	if (h->attempts == 0)
		h->started = now;
	h->attempts++;
	/* One entry per attempt begun, filled at its end: a reader of the latest
	 * (or a gateway that ends a host without ending its attempt) finds one. */
	h->history = xreallocarray(h->history, h->attempts, sizeof *h->history);
	memset(&h->history[h->attempts - 1], 0, sizeof *h->history);
	h->attempt_started = now;
	h->state = HOST_CONNECTING;
	h->phase = PHASE_CONNECT;
	h->phase_started = now;
	n = h->attempts - h->round_base;
	pthread_mutex_unlock(&h->lock);
	event_attempt_begin(h);
	return n;
}

void
host_phase(struct host *h, enum phase phase, double now)
{
	pthread_mutex_lock(&h->lock);
	phase_close(h, now);
	/* The run's time is its latest attempt's, as its result is. */
	if (phase == PHASE_RUN)
		h->phase_ms[PHASE_RUN] = 0;
	h->state = phase == PHASE_RUN ? HOST_RUNNING : HOST_CONNECTING;
	h->phase = phase;
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
	event_phase(h, phase);
}

void
host_attempt_end(struct host *h, const struct outcome *out, double now)
{
	struct attempt *a;

	pthread_mutex_lock(&h->lock);
	phase_close(h, now);
	a = &h->history[h->attempts - 1];
	free(a->error);
	a->kind = out->kind;
	a->phase = out->phase;
	a->error = out->error ? xstrdup(out->error) : NULL;
	a->elapsed = now - h->attempt_started;
	a->started = out->started;
	pthread_mutex_unlock(&h->lock);
	event_attempt_end(h, out);
}

bool
host_started(const struct host *h)
{
	return h->attempts > 0 && h->history != NULL && h->history[h->attempts - 1].started;
}

/* Add to the transfer figures (or, set, replace them); a gateway passes them up. */
static void
xfer(struct host *h, bool set, uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&h->lock);
	h->xfer_done = done + (set ? 0 : h->xfer_done);
	h->xfer_total = total + (set ? 0 : h->xfer_total);
	done = h->xfer_done;
	total = h->xfer_total;
	pthread_mutex_unlock(&h->lock);
	event_xfer(h, done, total, set);
}

void
host_xfer_add(struct host *h, uint64_t done, uint64_t total)
{
	xfer(h, false, done, total);
}

void
host_xfer_set(struct host *h, uint64_t done, uint64_t total)
{
	xfer(h, true, done, total);
}

void
host_note(const struct host *h, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	if (!event_note(h, text))
		log_msg(LOG_NORMAL, "%s: %s", h->name, text);
	free(text);
}

void
host_retry_wait(struct host *h, double ready_at, double now)
{
	pthread_mutex_lock(&h->lock);
	h->ready_at = ready_at;
	h->state = HOST_RETRY_WAIT;
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
	event_retry_wait(h, ready_at - now);
}

void
host_finish(struct host *h, enum err_kind kind, char *error, double now)
{
	pthread_mutex_lock(&h->lock);
	if (h->attempts == 0)
		h->started = now; /* a cancel kept it from starting: it took no time */
	h->kind = kind;
	free(h->error);
	h->error = error;
	h->finished = now;
	h->state = kind == EK_NONE ? HOST_OK : kind == EK_SKIPPED ? HOST_SKIPPED : HOST_FAILED;
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
}

bool
host_retry_round(struct host *h, double now)
{
	bool again;

	pthread_mutex_lock(&h->lock);
	/* A command that started is never run twice. */
	again = h->state == HOST_FAILED && h->kind != EK_CANCELLED && !host_started(h);
	if (again) {
		h->kind = EK_NONE;
		free(h->error);
		h->error = NULL;
		h->finished = 0;
		h->round_base = h->attempts;
		h->ready_at = now;
		h->state = HOST_RETRY_WAIT;
		h->phase_started = now;
	}
	pthread_mutex_unlock(&h->lock);
	return again;
}

void
host_run_begin(struct host *h, unsigned run, const char *command, double now)
{
	struct host_run *r;

	pthread_mutex_lock(&h->lock);
	h->past = xreallocarray(h->past, h->npast + 1, sizeof *h->past);
	r = &h->past[h->npast++];
	r->run = h->run ? h->run : 1;
	r->command = h->run_command;
	r->kind = h->kind;
	r->error = h->error;
	r->exit_code = h->exit_code;
	r->exit_signal = h->exit_signal;
	r->out = h->out;
	r->err = h->err;
	r->elapsed = h->finished - h->started;
	r->base = h->run_base;
	r->attempts = h->attempts;
	memcpy(r->phase_ms, h->phase_ms, sizeof r->phase_ms);
	r->started = h->started;
	r->finished = h->finished;
	h->run_base = h->attempts;
	spool_init(&h->out);
	spool_init(&h->err);
	h->run = run;
	h->run_command = xstrdup(command);
	h->kind = EK_NONE;
	h->error = NULL;
	h->exit_code = -1;
	h->exit_signal = NULL;
	h->round_base = h->attempts;
	h->started = now;
	h->finished = 0;
	memset(h->phase_ms, 0, sizeof h->phase_ms);
	h->state = HOST_QUEUED;
	h->phase_started = now;
	pthread_mutex_unlock(&h->lock);
}

const char *
host_attempt_text(const struct host *h, int retries, char *buf, size_t len)
{
	unsigned n = h->attempts - h->round_base, max = (unsigned)retries + 1;
	bool of_max = false; /* "of N" says something: a retry may come, or all were used */

	switch (h->state) {
	case HOST_QUEUED:
	case HOST_CONNECTING:
	case HOST_RETRY_WAIT:
		of_max = true;
		break;
	case HOST_SKIPPED:
	case HOST_FAILED:
		of_max = errkind_info(h->kind)->retried && n >= max;
		break;
	case HOST_RUNNING:
	case HOST_OK:
		break;
	}
	if (n == 0 && len > 0)
		buf[0] = '\0';
	else if (of_max)
		snprintf(buf, len, "%u/%u", n, max);
	else
		snprintf(buf, len, "%u", n);
	return buf;
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
			sorted[k]->name = xstrdup(sorted[k]->spec);
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
