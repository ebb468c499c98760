/*
 * tui-draw.c - the live view's drawing: one frame from the view state.
 *
 * The list (the command and the time, the counts, the progress bar, the
 * rolling-run and jump-host lines, one row per host shown), the failure
 * panel (count per error kind, folded host lists), the bottom line, a host's
 * page (every attempt, then every `:` run's streams, read from the host's
 * spools a row at a time) and the help screen.  A host's lock is held only to
 * copy what a row needs, never while ncurses writes; every byte from a host
 * goes through escape_terminal first.  Main thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "escape.h"
#include "hostlist.h"
#include "jump.h"
#include "tree.h"
#include "tui-int.h"
#include "xmalloc.h"

static const char *const filter_names[] = {"all", "failed", "running"};

/* ------------------------------------------------------------------ text */

/* Length of the UTF-8 character at p (escaped text is well formed). */
static size_t
char_len(const char *p, size_t n)
{
	unsigned char c = (unsigned char)*p;
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return len <= n ? len : n;
}

/*
 * Write escaped text at the cursor, at most w columns (a character counts
 * one; tabs become a space).  Returns the columns used.
 */
static int
put_text(const char *s, size_t n, int w)
{
	int used = 0;
	size_t i = 0;

	while (i < n && used < w) {
		size_t len = char_len(s + i, n - i);

		if (s[i] == '\t')
			addch(' ');
		else
			addnstr(s + i, (int)len);
		i += len;
		used++;
	}
	return used;
}

static void
put_str(const char *s, int w)
{
	put_text(s, strlen(s), w);
}

/* The last line of a stream (without its newline), escaped; the host is locked. */
static void
last_line(struct buf *dst, const struct spool *src)
{
	char tail[TAIL_SCAN + 2];
	uint64_t from = src->len > sizeof tail ? src->len - sizeof tail : 0;
	size_t end = spool_read(src, from, tail, sizeof tail), start, lim;

	if (end > 0 && tail[end - 1] == '\n')
		end--;
	if (end > 0 && tail[end - 1] == '\r')
		end--;
	lim = end > TAIL_SCAN ? end - TAIL_SCAN : 0;
	for (start = end; start > lim && tail[start - 1] != '\n'; start--)
		;
	escape_terminal(dst, tail + start, end - start);
}

/* Bytes as a person reads them: 512 B, 12.3 kB, 50.0 MB, 1.2 GB. */
static void
append_bytes(struct buf *b, double n)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	int u = 0;

	while (n >= 1000 && u < 4) {
		n /= 1000;
		u++;
	}
	if (u == 0)
		buf_appendf(b, "%.0f %s", n, units[u]);
	else
		buf_appendf(b, "%.1f %s", n, units[u]);
}

void
tui_panel_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->npanel; i++)
		free(v->panel[i]);
	free(v->panel);
	v->panel = NULL;
	v->npanel = 0;
}

/* The failure panel: a line per error kind, most hosts first. */
static void
panel_make(struct view *v)
{
	size_t counts[EK__COUNT] = {0}, i, m;
	enum err_kind *kinds = xcalloc(v->n, sizeof *kinds);
	const char **names = xcalloc(v->n, sizeof *names);
	int k, shown = 0;

	tui_panel_free(v);
	v->panel_nfinal = v->nfinal_all;
	for (i = 0; i < v->n; i++) {
		struct host *h = v->hosts[i];

		pthread_mutex_lock(&h->lock);
		kinds[i] = h->state == HOST_FAILED ? h->kind : EK_NONE;
		pthread_mutex_unlock(&h->lock);
		counts[kinds[i]]++;
	}
	v->panel = xcalloc(EK__COUNT, sizeof *v->panel);
	while (shown < PANEL_KINDS) {
		int best = 0;
		char *folded;
		struct buf b;

		for (k = 1; k < EK__COUNT; k++) {
			if (counts[k] > counts[best] || (best == 0 && counts[k] > 0))
				best = k;
		}
		if (best == 0 || counts[best] == 0)
			break;
		for (i = 0, m = 0; i < v->n; i++) {
			if ((int)kinds[i] == best)
				names[m++] = v->hosts[i]->spec;
		}
		folded = hostlist_fold(names, m);
		buf_init(&b);
		buf_appendf(&b, "%s %zu: ", errkind_name((enum err_kind)best), m);
		escape_terminal(&b, folded, strlen(folded));
		free(folded);
		v->panel[v->npanel++] = buf_steal(&b);
		counts[best] = 0;
		shown++;
	}
	free(kinds);
	free(names);
}

static const char *
state_name(enum host_state s, enum phase ph)
{
	switch (s) {
	case HOST_QUEUED:
		return "queued";
	case HOST_CONNECTING:
		return errkind_phase_key(ph);
	case HOST_RUNNING:
		return "running";
	case HOST_RETRY_WAIT:
		return "retry-wait";
	case HOST_OK:
		return "ok";
	case HOST_FAILED:
		return "failed";
	case HOST_SKIPPED:
		return "skipped";
	}
	return "?";
}

static int
state_attr(enum host_state s)
{
	if (!tui_colors())
		return s == HOST_FAILED ? A_BOLD : A_NORMAL;
	switch (s) {
	case HOST_OK:
		return COLOR_PAIR(PAIR_OK);
	case HOST_FAILED:
		return COLOR_PAIR(PAIR_FAILED) | A_BOLD;
	case HOST_RETRY_WAIT:
		return COLOR_PAIR(PAIR_RETRY);
	case HOST_CONNECTING:
	case HOST_RUNNING:
		return COLOR_PAIR(PAIR_ACTIVE);
	case HOST_QUEUED:
	case HOST_SKIPPED:
		break;
	}
	return A_NORMAL;
}

/* One host's row: the columns after the name, and the text at the end. */
struct row {
	enum host_state state;
	char state_text[16];
	char attempt[32];
	char time[32];
	struct buf text;
};

static void
row_read(struct view *v, struct host *h, struct row *r, double t)
{
	const struct attempt *last;
	unsigned n;
	double secs;

	pthread_mutex_lock(&h->lock);
	r->state = h->state;
	snprintf(r->state_text, sizeof r->state_text, "%s", state_name(h->state, h->phase));
	n = h->attempts - h->round_base;
	host_attempt_text(h, v->o->retries, r->attempt, sizeof r->attempt);
	if (h->state == HOST_OK || h->state == HOST_FAILED)
		secs = h->finished - h->started;
	else if (h->state == HOST_QUEUED || h->state == HOST_SKIPPED)
		secs = -1;
	else
		secs = t - h->phase_started;
	if (secs >= 0)
		snprintf(r->time, sizeof r->time, "%.1fs", secs);
	else
		r->time[0] = '\0';
	last = h->attempts > 0 && h->history != NULL && h->state != HOST_CONNECTING &&
	                       h->state != HOST_RUNNING
	               ? &h->history[h->attempts - 1]
	               : NULL;
	switch (h->state) {
	case HOST_QUEUED:
		break;
	case HOST_SKIPPED:
		/* Why the run stopped. */
		if (h->error)
			escape_terminal(&r->text, h->error, strlen(h->error));
		break;
	case HOST_CONNECTING:
		if (n > 1 && h->history != NULL) {
			last = &h->history[h->attempts - 2];
			buf_appendf(&r->text, "after %s: ", errkind_name(last->kind));
			if (last->error)
				escape_terminal(&r->text, last->error, strlen(last->error));
		} else if (h->via != NULL && h->phase == PHASE_CONNECT) {
			/* Waiting for its jump host, or for a channel through it. */
			buf_appends(&r->text, "via ");
			escape_terminal(&r->text, h->via, strlen(h->via));
		}
		break;
	case HOST_RETRY_WAIT:
		if (last != NULL) {
			buf_appendf(&r->text, "%s: ", errkind_name(last->kind));
			if (last->error)
				escape_terminal(&r->text, last->error, strlen(last->error));
			if (h->ready_at > t)
				buf_appendf(&r->text, " \xc2\xb7 retry in %.1f s", h->ready_at - t);
		}
		break;
	case HOST_RUNNING:
		if (h->xfer_total > 0) {
			double secs_run = t - h->phase_started;

			append_bytes(&r->text, (double)h->xfer_done);
			buf_appends(&r->text, " / ");
			append_bytes(&r->text, (double)h->xfer_total);
			if (secs_run > 0.2) {
				buf_appends(&r->text, "  ");
				append_bytes(&r->text, (double)h->xfer_done / secs_run);
				buf_appends(&r->text, "/s");
			}
			break;
		}
		/* fall through */
	case HOST_OK:
		last_line(&r->text, h->err_last ? &h->err : &h->out);
		if (r->text.len == 0 && h->state == HOST_OK)
			buf_appends(&r->text, "exit 0");
		break;
	case HOST_FAILED:
		buf_appendf(&r->text, "%s: ", errkind_name(h->kind));
		if (h->error)
			escape_terminal(&r->text, h->error, strlen(h->error));
		if (!host_started(h))
			buf_appendf(&r->text, " (attempt %s)", r->attempt);
		else if (h->out.len + h->err.len > 0) {
			buf_appends(&r->text, " \xc2\xb7 ");
			last_line(&r->text, h->err_last ? &h->err : &h->out);
		}
		break;
	}
	pthread_mutex_unlock(&h->lock);
}

static int
name_width(const struct view *v)
{
	int w = 4;
	size_t i, top = v->top + (size_t)LINES;

	for (i = v->top; i < v->nrows && i < top; i++) {
		int len = (int)strlen(v->hosts[v->rows[i]]->name);

		if (len > w)
			w = len;
	}
	return w > COLS / 3 ? COLS / 3 : w;
}

/* --batch, --max-fail: "  batch 2 of 5 · 1 more failure allowed", or why the run stopped. */
static void
rolling_text(struct view *v, struct buf *b)
{
	struct pool_status st;

	if (v->pool == NULL)
		return;
	pool_status(v->pool, &st);
	if (st.nbatches > 0)
		buf_appendf(b, "  batch %u of %u", st.batch, st.nbatches);
	if (st.stopped[0] != '\0')
		buf_appendf(b, "  \xc2\xb7 %s", st.stopped);
	else if (st.budget_left >= 0)
		buf_appendf(b, "  \xc2\xb7 %ld more failure%s allowed", st.budget_left,
		        st.budget_left == 1 ? "" : "s");
}

/* The jump hosts: each one's state and the targets waiting for it. */
static void
jump_text(struct buf *b)
{
	struct buf j;

	buf_init(&j);
	jump_status(&j);
	tree_status(&j); /* tree mode: the gateways, likewise */
	if (j.len > 0) {
		buf_appends(b, "  \xc2\xb7 ");
		escape_terminal(b, j.p, j.len);
	}
	buf_free(&j);
}

static void
draw_header(struct view *v, double t)
{
	double elapsed = (v->t_end ? v->t_end : t) - v->t0;
	int barw, filled, y = 0;
	struct buf b;
	char right[64];

	buf_init(&b);
	buf_appends(&b, "shoal: ");
	{
		const char *cmd = v->command ? v->command : v->o->command;

		escape_terminal(&b, cmd ? cmd : "", cmd ? strlen(cmd) : 0);
	}
	snprintf(right, sizeof right, "%.1f s", elapsed);
	move(y, 0);
	attron(A_BOLD);
	put_text(b.p, b.len, COLS - (int)strlen(right) - 1);
	attroff(A_BOLD);
	mvaddstr(y, COLS - (int)strlen(right), right);
	buf_free(&b);

	/* Whole words when they fit, else the short form. */
	if (COLS >= 72)
		mvprintw(++y, 0, "queued %zu  connecting %zu  running %zu  retrying %zu  ",
		        v->counts[HOST_QUEUED], v->counts[HOST_CONNECTING], v->counts[HOST_RUNNING],
		        v->counts[HOST_RETRY_WAIT]);
	else
		mvprintw(++y, 0, "queue %zu conn %zu run %zu retry %zu ", v->counts[HOST_QUEUED],
		        v->counts[HOST_CONNECTING], v->counts[HOST_RUNNING],
		        v->counts[HOST_RETRY_WAIT]);
	attron(state_attr(HOST_OK));
	printw("ok %zu", v->counts[HOST_OK]);
	attroff(state_attr(HOST_OK));
	addstr("  ");
	attron(state_attr(HOST_FAILED));
	printw("failed %zu", v->counts[HOST_FAILED]);
	attroff(state_attr(HOST_FAILED));
	if (v->counts[HOST_SKIPPED] > 0)
		printw("  skipped %zu", v->counts[HOST_SKIPPED]);

	buf_init(&b);
	buf_appendf(&b, " %zu/%zu %3d%%", v->nfinal, v->nrun,
	        (int)(100.0 * (double)v->nfinal / (double)(v->nrun ? v->nrun : 1)));
	if (v->xfer_total > 0) {
		buf_appends(&b, "  ");
		append_bytes(&b, (double)v->xfer_done);
		if (elapsed > 0.2) {
			buf_appends(&b, " at ");
			append_bytes(&b, (double)v->xfer_done / elapsed);
			buf_appends(&b, "/s");
		}
	}
	if (v->nfinal == v->nrun) {
		buf_appendf(&b, "  done in %.1f s", elapsed);
	} else {
		/*
		 * The rate so far says little while hosts wait out a backoff: the
		 * run cannot end before the longest wait does.
		 */
		double eta = v->nfinal > 0
		                     ? elapsed * (double)(v->nrun - v->nfinal) / (double)v->nfinal
		                     : 0;

		if (v->backoff_left > eta)
			buf_appendf(&b, "  eta >= %.0f s (backoff)", v->backoff_left);
		else if (v->nfinal > 0)
			buf_appendf(&b, "  eta %.0f s", eta);
	}
	rolling_text(v, &b);
	jump_text(&b);
	barw = COLS - (int)b.len - 2;
	if (barw > 60)
		barw = 60;
	move(++y, 0);
	if (barw >= 10) {
		filled = (int)((double)barw * (double)v->nfinal / (double)(v->nrun ? v->nrun : 1));
		addch('[');
		attron(A_BOLD);
		hline('#', filled);
		move(y, 1 + filled);
		attroff(A_BOLD);
		hline('.', barw - filled);
		move(y, 1 + barw);
		addch(']');
	}
	put_text(b.p, b.len, COLS - getcurx(stdscr));
	buf_free(&b);
}

static void
draw_rows(struct view *v, int y0, int height, double t)
{
	int nw = name_width(v), y, fit = height;
	size_t i;
	struct row r;

	/* Title row, with the filter and the search. */
	move(y0 - 1, 0);
	attron(A_REVERSE);
	hline(' ', COLS);
	printw("%-*s %-10s %5s %7s %s", nw, "HOST", "STATE", "TRY", "TIME", "OUTPUT / ERROR");
	{
		struct buf b;

		buf_init(&b);
		buf_appendf(&b, "filter: %s", filter_names[v->filter]);
		if (v->pattern != NULL) {
			buf_appends(&b, "  search: /");
			escape_terminal(&b, v->pattern, strlen(v->pattern));
			buf_appendf(&b, "/ (%zu)", v->nrows);
		}
		if ((int)b.len + 1 < COLS) {
			move(y0 - 1, COLS - (int)b.len - 1);
			put_text(b.p, b.len, (int)b.len);
		}
		buf_free(&b);
	}
	attroff(A_REVERSE);

	/* Rows that do not fit are said on the last line, not left unseen. */
	if (height > 1 && v->nrows > (size_t)height)
		fit = height - 1;
	if (v->sel < v->top)
		v->top = v->sel;
	if (fit > 0 && v->sel >= v->top + (size_t)fit)
		v->top = v->sel - (size_t)fit + 1;
	if (v->top + (size_t)fit > v->nrows)
		v->top = v->nrows > (size_t)fit ? v->nrows - (size_t)fit : 0;
	if (fit < height) {
		size_t below = v->nrows - v->top - (size_t)fit;

		move(y0 + fit, 0);
		attron(A_BOLD);
		if (below > 0)
			printw("  +%zu more below (PgDn, End)", below);
		if (v->top > 0)
			printw("%s%zu more above (PgUp, Home)", below > 0 ? "; " : "  ", v->top);
		attroff(A_BOLD);
	}
	buf_init(&r.text);
	for (y = 0, i = v->top; y < fit && i < v->nrows; y++, i++) {
		struct host *h = v->hosts[v->rows[i]];
		struct buf name;
		int x;

		buf_reset(&r.text);
		row_read(v, h, &r, t);
		move(y0 + y, 0);
		if (i == v->sel)
			attron(A_REVERSE);
		hline(' ', COLS);
		buf_init(&name);
		escape_terminal(&name, h->name, strlen(h->name));
		x = put_text(name.p, name.len, nw);
		buf_free(&name);
		move(y0 + y, nw + 1);
		attron(state_attr(r.state));
		printw("%-10s", r.state_text);
		attroff(state_attr(r.state));
		if (i == v->sel)
			attron(A_REVERSE);
		printw(" %5s %7s ", r.attempt, r.time);
		x = getcurx(stdscr);
		if (x < COLS)
			put_text(r.text.p ? r.text.p : "", r.text.len, COLS - x);
		if (i == v->sel)
			attroff(A_REVERSE);
	}
	buf_free(&r.text);
	if (v->nrows == 0 && height > 0)
		mvaddstr(y0, 0,
		        v->filter == FILTER_ALL && v->pattern == NULL ? "(no hosts)"
		                                                      : "(no host matches)");
}

static void
draw_bottom(struct view *v, double t)
{
	struct buf hints;
	int y = LINES - 1;

	move(y, 0);
	clrtoeol();
	if (v->mode == MODE_SEARCH || v->mode == MODE_COMMAND) {
		addch(v->mode == MODE_SEARCH ? '/' : ':');
		put_text(v->input.p ? v->input.p : "", v->input.len, COLS - 2);
		curs_set(1);
		return;
	}
	curs_set(0);
	if (v->mode == MODE_CONFIRM) {
		attron(A_BOLD);
		printw("%zu host%s still in flight: quit and cancel %s? [y/N] ",
		        v->n - v->nfinal_all, v->n - v->nfinal_all == 1 ? " is" : "s are",
		        v->n - v->nfinal_all == 1 ? "it" : "them");
		attroff(A_BOLD);
		return;
	}
	if (v->status[0] != '\0' && t < v->status_until) {
		put_str(v->status, COLS - 1);
		return;
	}
	buf_init(&hints);
	tui_keys_hints(v, &hints);
	put_text(hints.p, hints.len, COLS - 1);
	buf_free(&hints);
}

static void
draw_list(struct view *v, double t)
{
	int panel = 0, height, i;

	if (v->npanel > 0 && v->panel_nfinal != v->nfinal_all)
		panel_make(v);
	else if (v->npanel == 0 && v->counts[HOST_FAILED] > 0)
		panel_make(v);
	else if (v->counts[HOST_FAILED] == 0)
		tui_panel_free(v);
	if (v->npanel > 0 && LINES - 5 - (int)v->npanel - 1 >= 3)
		panel = (int)v->npanel + 1;
	draw_header(v, t);
	height = LINES - 4 - panel - 1;
	draw_rows(v, 4, height, t);
	if (panel > 0) {
		int y = LINES - 1 - panel;

		move(y, 0);
		attron(A_BOLD);
		addstr("failures");
		attroff(A_BOLD);
		for (i = 0; i < (int)v->npanel; i++) {
			move(y + 1 + i, 0);
			addstr("  ");
			attron(state_attr(HOST_FAILED));
			put_str(v->panel[i], COLS - 3);
			attroff(state_attr(HOST_FAILED));
		}
	}
	draw_bottom(v, t);
}

/* ------------------------------------------------------------- one host */

/* Where the lines of dtext start; the array grows geometrically. */
static void
detail_lines(struct view *v)
{
	size_t i, start = 0;

	v->ndlines = 0;
	for (i = 0; i < v->dtext.len; i++) {
		if (v->dtext.p[i] != '\n')
			continue;
		if (v->ndlines == v->capdlines) {
			v->capdlines = v->capdlines ? v->capdlines * 2 : 64;
			v->dlines = xreallocarray(v->dlines, v->capdlines, sizeof *v->dlines);
		}
		v->dlines[v->ndlines++] = start;
		start = i + 1;
	}
}

void
tui_page_reset(struct view *v)
{
	int k;

	for (k = 0; k < 2; k++) {
		v->dstream[k].nstarts = 0;
		v->dstream[k].indexed = 0;
		v->dstream[k].len = 0;
	}
}

static void
dstream_push(struct dstream *d, uint64_t start)
{
	if (d->nstarts == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->starts = xreallocarray(d->starts, d->cap, sizeof *d->starts);
	}
	d->starts[d->nstarts++] = start;
}

/* Lines of the stream: a start at its very end is no line (yet). */
static size_t
dstream_rows(const struct dstream *d)
{
	if (d->nstarts > 0 && d->starts[d->nstarts - 1] >= d->len)
		return d->nstarts - 1;
	return d->nstarts;
}

/*
 * Find the line starts in what the stream added since the last frame, at
 * most INDEX_FRAME bytes a frame; the host's lock is taken a chunk at a time.
 */
static void
dstream_index(struct host *h, struct dstream *d, const struct spool *s)
{
	uint64_t budget = INDEX_FRAME;
	char *chunk = xmalloc(SPOOL_CHUNK);
	const char *p, *nl;
	size_t n;

	pthread_mutex_lock(&h->lock);
	d->len = s->len;
	pthread_mutex_unlock(&h->lock);
	if (d->indexed > d->len)
		d->indexed = d->nstarts = 0; /* cannot happen: output only grows */
	if (d->nstarts == 0 && d->len > 0)
		dstream_push(d, 0);
	while (d->indexed < d->len && budget > 0) {
		pthread_mutex_lock(&h->lock);
		n = spool_read(s, d->indexed, chunk, SPOOL_CHUNK);
		pthread_mutex_unlock(&h->lock);
		if (n == 0)
			break;
		if (n > d->len - d->indexed)
			n = (size_t)(d->len - d->indexed);
		for (p = chunk; (nl = memchr(p, '\n', n - (size_t)(p - chunk))) != NULL; p = nl + 1)
			dstream_push(d, d->indexed + (uint64_t)(nl - chunk) + 1);
		d->indexed += n;
		budget = budget > n ? budget - n : 0;
	}
	free(chunk);
}

/* The page's header: the host's state, its attempts, its time per phase. */
/*
 * An earlier run's stream on the page: its first PAST_BYTES, line by line,
 * escaped (the page reads the current run's streams lazily; earlier runs
 * are shown in part, and -o / the output at the end have them whole).
 */
static void
past_stream(struct buf *b, const char *title, const struct spool *s)
{
	char *chunk = xmalloc(PAST_BYTES);
	size_t n = s->len < PAST_BYTES ? (size_t)s->len : PAST_BYTES, i, start = 0;

	n = n > 0 ? spool_read(s, 0, chunk, n) : 0;
	buf_appendf(b, "----- %s (%llu bytes)\n", title, (unsigned long long)s->len);
	for (i = 0; i <= n; i++) {
		if (i < n && chunk[i] != '\n')
			continue;
		if (i > start || i < n) {
			escape_terminal(b, chunk + start, i - start);
			buf_appendc(b, '\n');
		}
		start = i + 1;
	}
	if (s->len > n)
		buf_appendf(b, "... %llu more bytes\n", (unsigned long long)(s->len - n));
	free(chunk);
}

static void
detail_make(struct view *v)
{
	struct host *h = v->hosts[v->dhost];
	unsigned i;

	pthread_mutex_lock(&h->lock);
	buf_reset(&v->dtext);
	escape_terminal(&v->dtext, h->name, strlen(h->name));
	if (h->npast > 0)
		buf_appendf(&v->dtext, "  run %u", h->run);
	buf_appendf(&v->dtext, "  %s", state_name(h->state, h->phase));
	if (h->state == HOST_FAILED) {
		buf_appendf(&v->dtext, " (%s: ", errkind_name(h->kind));
		if (h->error)
			escape_terminal(&v->dtext, h->error, strlen(h->error));
		buf_appendc(&v->dtext, ')');
	}
	if (h->exit_code >= 0 && (h->state == HOST_OK || h->state == HOST_FAILED))
		buf_appendf(&v->dtext, "  exit %lld", h->exit_code);
	buf_appendc(&v->dtext, '\n');
	for (i = 0; i < h->attempts && h->history != NULL; i++) {
		const struct attempt *a = &h->history[i];

		if (i + 1 == h->attempts &&
		        (h->state == HOST_CONNECTING || h->state == HOST_RUNNING))
			break; /* still under way: not in the history yet */
		buf_appendf(&v->dtext, "attempt %u: %s, %s phase, %.1f s", i + 1,
		        a->kind == EK_NONE ? "ok" : errkind_name(a->kind),
		        errkind_phase_name(a->phase), a->elapsed);
		if (a->kind != EK_NONE && a->error != NULL) {
			buf_appends(&v->dtext, ": ");
			escape_terminal(&v->dtext, a->error, strlen(a->error));
		}
		buf_appendc(&v->dtext, '\n');
	}
	if (h->state == HOST_CONNECTING || h->state == HOST_RUNNING)
		buf_appendf(&v->dtext, "attempt %u: under way (%s)\n", h->attempts,
		        state_name(h->state, h->phase));
	if (h->attempts > 0) {
		int k;

		buf_appends(&v->dtext, "time per phase:");
		for (k = 0; k < PHASE__COUNT; k++)
			buf_appendf(&v->dtext, " %s %ld ms", errkind_phase_key((enum phase)k),
			        h->phase_ms[k]);
		buf_appendc(&v->dtext, '\n');
	}
	if (h->run_command != NULL) {
		buf_appends(&v->dtext, "command: ");
		escape_terminal(&v->dtext, h->run_command, strlen(h->run_command));
		buf_appendc(&v->dtext, '\n');
	}
	for (i = (unsigned)h->npast; i-- > 0;) {
		const struct host_run *r = &h->past[i];
		const char *cmd = r->command ? r->command : v->o->command;

		buf_appendf(&v->dtext, "===== run %u: ", r->run);
		escape_terminal(&v->dtext, cmd ? cmd : "", cmd ? strlen(cmd) : 0);
		buf_appendf(&v->dtext, "  %s", r->kind == EK_NONE ? "ok" : errkind_name(r->kind));
		if (r->kind != EK_NONE && r->error != NULL) {
			buf_appends(&v->dtext, " (");
			escape_terminal(&v->dtext, r->error, strlen(r->error));
			buf_appendc(&v->dtext, ')');
		}
		if (r->exit_code >= 0)
			buf_appendf(&v->dtext, "  exit %lld", r->exit_code);
		buf_appendf(&v->dtext, "  %.1f s\n", r->elapsed);
		past_stream(&v->dtext, "stdout", &r->out);
		if (r->err.len > 0)
			past_stream(&v->dtext, "stderr", &r->err);
	}
	if (h->npast > 0)
		buf_appendf(&v->dtext, "===== run %u\n", h->run);
	pthread_mutex_unlock(&h->lock);
	detail_lines(v);
	dstream_index(h, &v->dstream[0], &h->out);
	dstream_index(h, &v->dstream[1], &h->err);
	/* The header, stdout's title and lines, stderr's when it has any. */
	v->drows = v->ndlines + 1 + dstream_rows(&v->dstream[0]);
	if (v->dstream[1].len > 0)
		v->drows += 1 + dstream_rows(&v->dstream[1]);
}

/* Row r of the page into b, escaped. */
static void
detail_row(struct view *v, size_t r, struct buf *b)
{
	static const char *const titles[] = {"stdout", "stderr"};
	struct host *h = v->hosts[v->dhost];
	char line[ROW_BYTES];
	const char *nl;
	struct dstream *d;
	uint64_t end;
	size_t n;
	int k;

	if (r < v->ndlines) {
		end = r + 1 < v->ndlines ? v->dlines[r + 1] - 1 : v->dtext.len - 1;
		buf_append(b, v->dtext.p + v->dlines[r], (size_t)end - v->dlines[r]);
		return;
	}
	r -= v->ndlines;
	for (k = 0; k < 2; k++) {
		d = &v->dstream[k];
		if (r == 0) {
			buf_appendf(b, "----- %s (%llu bytes%s)", titles[k],
			        (unsigned long long)d->len, d->indexed < d->len ? ", reading" : "");
			return;
		}
		if (r - 1 < dstream_rows(d)) {
			/* A line ends where the next starts, or at the end. */
			end = r < d->nstarts ? d->starts[r] : d->len;
			if (end - d->starts[r - 1] < sizeof line)
				n = (size_t)(end - d->starts[r - 1]);
			else
				n = sizeof line;
			pthread_mutex_lock(&h->lock);
			n = spool_read(k ? &h->err : &h->out, d->starts[r - 1], line, n);
			pthread_mutex_unlock(&h->lock);
			if ((nl = memchr(line, '\n', n)) != NULL)
				n = (size_t)(nl - line);
			escape_terminal(b, line, n);
			return;
		}
		r -= 1 + dstream_rows(d);
	}
}

static void
draw_detail(struct view *v, double t)
{
	int height = LINES - 1, y;
	size_t i;
	struct buf row;

	detail_make(v);
	if (v->drows > (size_t)height && v->dtop > v->drows - (size_t)height)
		v->dtop = v->drows - (size_t)height;
	if (v->drows <= (size_t)height)
		v->dtop = 0;
	buf_init(&row);
	for (y = 0, i = v->dtop; y < height && i < v->drows; y++, i++) {
		buf_reset(&row);
		detail_row(v, i, &row);
		move(y, 0);
		if (i == 0)
			attron(A_BOLD);
		put_text(row.p ? row.p : "", row.len, COLS);
		if (i == 0)
			attroff(A_BOLD);
	}
	buf_free(&row);
	draw_bottom(v, t);
}

/* The help screen, from the key table; any key goes back. */
static void
draw_help(void)
{
	struct buf text;
	const char *p, *end, *nl;
	int y;

	buf_init(&text);
	tui_keys_screen(&text);
	p = text.p;
	end = text.p + text.len;
	for (y = 0; p < end && y < LINES; y++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		mvaddnstr(y, 0, p, (int)(nl - p) < COLS ? (int)(nl - p) : COLS);
	}
	buf_free(&text);
}

void
tui_draw(struct view *v)
{
	double t = wait_now();

	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "terminal too small (%dx%d)", COLS, LINES);
	} else if (v->mode == MODE_HELP) {
		draw_help();
	} else if (v->mode == MODE_DETAIL) {
		draw_detail(v, t);
	} else {
		draw_list(v, t);
	}
	refresh();
}
