/*
 * outcome.c - setting and reading an attempt's outcome.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "buf.h"
#include "escape.h"
#include "outcome.h"

void
outcome_clear(struct outcome *out)
{
	free(out->error);
	out->error = NULL;
	out->kind = EK_NONE;
	out->phase = PHASE_ANY;
	out->retry = RETRY_AS_KIND;
	out->started = false;
}

bool
outcome_retried(const struct outcome *out)
{
	if (out->started)
		return false;
	if (out->retry == RETRY_AS_KIND)
		return errkind_info(out->kind)->retried;
	return out->retry == RETRY_ALWAYS;
}

void
outcome_set(struct outcome *out, enum err_kind kind, enum phase phase, const char *fmt, ...)
{
	va_list ap;
	struct buf raw, msg;

	buf_init(&raw);
	buf_init(&msg);
	va_start(ap, fmt);
	buf_appendv(&raw, fmt, ap);
	va_end(ap);
	/*
	 * The detail often quotes the host (libssh's error text, a channel
	 * refusal's description, a path it listed): it is kept printable from
	 * here on, for every writer of it.  Text already escaped stays as is.
	 */
	escape_terminal(&msg, raw.p, raw.len);
	buf_free(&raw);
	free(out->error);
	out->error = buf_steal(&msg);
	out->kind = kind;
	out->phase = phase;
	out->retry = RETRY_AS_KIND;
}
