/*
 * tui.c - the live view.
 *
 * Theory of operation.  The view runs on the main thread while the pool's
 * workers run the hosts.  Each frame it walks every host once, taking the
 * host's lock just long enough to copy what it needs (state, phase, attempt,
 * the error or the last output line), counts the states, chooses the rows the
 * filter and the search let through, and draws only the rows that fit on the
 * screen; no lock is held while ncurses writes.  Frames come at most ten a
 * second: keys that arrive in between are all handled before the next frame,
 * so a held key cannot make it draw faster, and a key is answered within one
 * frame.  Every byte that came from a host goes through escape_terminal before
 * it reaches the screen.
 *
 * The screen, top to bottom: the command and the time; the counts per state;
 * a progress bar with the estimate of the rest; a title row; one row per host;
 * the failure panel (count per error kind, folded host lists); the key line.
 * Enter opens one host (every attempt with its error, then its output), `?`
 * the help, `/` reads a PCRE2 pattern on the bottom line, `q` asks before it
 * cancels hosts still in flight.  `:` reads a command (Up/Down walk the
 * history) and runs it on the hosts the filter and search show, over the
 * sessions the pool keeps open (pool_command); each host's page shows every
 * run, the latest first.
 *
 * This file owns the terminal (/dev/tty, the ncurses screen, the emergency
 * restore), the view state of a run, the frame (collect: counts, filter,
 * search) and the loop; tui-draw.c draws, tui-keys.c answers keys.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>

#include "cancel.h"
#include "tui-int.h"
#include "tui.h"
#include "xmalloc.h"

static SCREEN *screen;
static FILE *tty_in, *tty_out;
static int tty_fd = -1;
static struct termios tty_saved;
static bool tty_have_saved;
static char open_reason[128];
static bool colors;

bool
tui_wanted(const struct options *o)
{
	if (o->tui >= 0)
		return o->tui == 1;
	if (o->json || o->inline_output)
		return false;
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static void
tty_release(void)
{
	if (screen != NULL) {
		endwin();
		delscreen(screen);
		screen = NULL;
	}
	if (tty_in != NULL)
		fclose(tty_in);
	if (tty_out != NULL)
		fclose(tty_out); /* closes tty_fd */
	else if (tty_fd >= 0)
		close(tty_fd);
	tty_in = tty_out = NULL;
	tty_fd = -1;
}

const char *
tui_open(void)
{
	const char *term = getenv("TERM");
	int in_fd;

	if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0) {
		snprintf(open_reason, sizeof open_reason, "TERM is %s",
		        term == NULL || *term == '\0' ? "not set" : "dumb");
		return open_reason;
	}
	tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty_fd < 0) {
		snprintf(open_reason, sizeof open_reason, "no terminal: /dev/tty: %s",
		        strerror(errno));
		return open_reason;
	}
	tty_have_saved = tcgetattr(tty_fd, &tty_saved) == 0;
	in_fd = fcntl(tty_fd, F_DUPFD_CLOEXEC, 0);
	tty_out = fdopen(tty_fd, "w");
	tty_in = in_fd >= 0 ? fdopen(in_fd, "r") : NULL;
	if (tty_out == NULL || tty_in == NULL) {
		if (tty_in == NULL && in_fd >= 0)
			close(in_fd);
		tty_release();
		snprintf(open_reason, sizeof open_reason, "cannot open the terminal");
		return open_reason;
	}
	/* Characters only: numbers keep their '.' whatever the locale. */
	setlocale(LC_CTYPE, "");
	screen = newterm(NULL, tty_out, tty_in);
	if (screen == NULL) {
		tty_release();
		snprintf(open_reason, sizeof open_reason, "ncurses cannot drive TERM=%.40s", term);
		return open_reason;
	}
	set_term(screen);
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		snprintf(open_reason, sizeof open_reason,
		        "the terminal is %dx%d, the view needs %dx%d", COLS, LINES, MIN_COLS,
		        MIN_LINES);
		tty_release();
		return open_reason;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* https://no-color.org: set and not empty, no colour. */
	colors = has_colors() && (getenv("NO_COLOR") == NULL || *getenv("NO_COLOR") == '\0');
	if (colors) {
		start_color();
		use_default_colors();
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_FAILED, COLOR_RED, -1);
		init_pair(PAIR_RETRY, COLOR_YELLOW, -1);
		init_pair(PAIR_ACTIVE, COLOR_CYAN, -1);
	}
	return NULL;
}

bool
tui_colors(void)
{
	return colors;
}

void
tui_close(void)
{
	tty_release();
}

void
tui_emergency_restore(void)
{
	static const char leave[] = "\033[?1049l\033[?25h\r\n";

	if (tty_fd < 0)
		return;
	if (tty_have_saved)
		tcsetattr(tty_fd, TCSANOW, &tty_saved);
	if (write(tty_fd, leave, sizeof leave - 1) < 0)
		return;
}

/* ------------------------------------------------------------- status */

void
tui_status(struct view *v, double secs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->status, sizeof v->status, fmt, ap);
	va_end(ap);
	v->status_until = wait_now() + secs;
}

/* ---------------------------------------------------------------- frame */

static bool
in_flight(enum host_state s)
{
	return s == HOST_CONNECTING || s == HOST_RUNNING || s == HOST_RETRY_WAIT;
}

/*
 * Search one stream from where the last look stopped, a piece at a time cut
 * at line ends, within this frame's budget; the host is locked.  A match
 * must lie within one piece: any match within a line shorter than a piece is
 * found.  The offset kept is a line's start, so a line still being written
 * is matched again once it grows.
 */
static bool
search_stream(struct view *v, uint64_t *scanned, const struct spool *s)
{
	while (*scanned < s->len && v->scan_left > 0) {
		size_t n = spool_read(s, *scanned, v->scan_buf, SCAN_PIECE), keep = n;
		const char *nl;

		if (n == 0)
			break;
		nl = memrchr(v->scan_buf, '\n', n);
		if (nl != NULL)
			keep = (size_t)(nl - v->scan_buf) + 1;
		else if (n < SCAN_PIECE)
			keep = 0; /* a last line still short: matched again when it grows */
		if (pcre2_match(v->re, (PCRE2_SPTR)v->scan_buf, n == SCAN_PIECE ? keep : n, 0, 0,
		            v->md, NULL) >= 0)
			return true;
		v->scan_left = v->scan_left > n ? v->scan_left - n : 0;
		*scanned += keep;
		if (n < SCAN_PIECE)
			break; /* the end: what is left is a line still being written */
	}
	return false;
}

/* Whether the search pattern matches host i (name or output); h is locked. */
static bool
search_matches(struct view *v, size_t i, const struct host *h)
{
	if (v->re == NULL)
		return true;
	/*
	 * Output only grows: a match stays a match, and after a miss only what
	 * grew is searched.
	 */
	if (v->matched[i] == SEARCH_YES)
		return true;
	if (v->matched[i] == SEARCH_NEW) {
		v->matched[i] = SEARCH_NO;
		if (pcre2_match(v->re, (PCRE2_SPTR)h->name, strlen(h->name), 0, 0, v->md, NULL) >=
		        0)
			v->matched[i] = SEARCH_YES;
	}
	if (v->matched[i] == SEARCH_NO && (search_stream(v, &v->scanned[i][0], &h->out) ||
	                                          search_stream(v, &v->scanned[i][1], &h->err)))
		v->matched[i] = SEARCH_YES;
	return v->matched[i] == SEARCH_YES;
}

static bool
is_final(enum host_state s)
{
	return s == HOST_OK || s == HOST_FAILED || s == HOST_SKIPPED;
}

/*
 * Once every host is final the rows the operator looks at first are the
 * failed ones: they move to the top, each part still in host order.
 */
static void
failed_first(struct view *v, const enum host_state *states)
{
	size_t *moved = xcalloc(v->nrows ? v->nrows : 1, sizeof *moved), i, m = 0;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < v->nrows; i++) {
			enum host_state s = states[v->rows[i]];

			if ((s == HOST_FAILED || s == HOST_SKIPPED) == (pass == 0))
				moved[m++] = v->rows[i];
		}
	memcpy(v->rows, moved, v->nrows * sizeof *v->rows);
	free(moved);
}

/* Count the states and choose the rows of this frame. */
static void
collect(struct view *v)
{
	enum host_state *states = xcalloc(v->n, sizeof *states);
	double now = wait_now();
	size_t i;

	memset(v->counts, 0, sizeof v->counts);
	v->xfer_done = v->xfer_total = 0;
	v->scan_left = SCAN_FRAME;
	v->nrows = v->nrun = v->nfinal_all = 0;
	v->backoff_left = 0;
	for (i = 0; i < v->n; i++) {
		struct host *h = v->hosts[i];
		enum host_state s;
		bool show, member = v->member == NULL || v->member[i];

		pthread_mutex_lock(&h->lock);
		s = h->state;
		show = v->filter == FILTER_ALL ||
		       (v->filter == FILTER_FAILED &&
		               (s == HOST_FAILED || s == HOST_SKIPPED || v->pinned[i])) ||
		       (v->filter == FILTER_RUNNING && in_flight(s));
		if (show)
			show = search_matches(v, i, h);
		if (s == HOST_RETRY_WAIT && h->ready_at - now > v->backoff_left)
			v->backoff_left = h->ready_at - now;
		v->xfer_done += h->xfer_done;
		v->xfer_total += h->xfer_total;
		pthread_mutex_unlock(&h->lock);
		states[i] = s;
		v->nfinal_all += is_final(s);
		if (member) {
			v->counts[s]++;
			v->nrun++;
		}
		if (show)
			v->rows[v->nrows++] = i;
	}
	v->nfinal = v->counts[HOST_OK] + v->counts[HOST_FAILED] + v->counts[HOST_SKIPPED];
	if (v->nfinal == v->nrun && v->t_end == 0)
		v->t_end = now;
	else if (v->nfinal < v->nrun)
		v->t_end = 0;
	if (v->nfinal_all == v->n)
		failed_first(v, states);
	free(states);
	/* Keep the selected host selected, else the row where it was. */
	for (i = 0; i < v->nrows && v->rows[i] != v->sel_host; i++)
		;
	if (i < v->nrows)
		v->sel = i;
	if (v->sel >= v->nrows && v->nrows > 0)
		v->sel = v->nrows - 1;
	if (v->nrows > 0)
		v->sel_host = v->rows[v->sel];
}

double
tui_run(struct host **hosts, size_t n, const struct options *o, struct pool *pool)
{
	struct view v;
	double next = 0, t, end;
	size_t i;
	int c;

	memset(&v, 0, sizeof v);
	v.hosts = hosts;
	v.n = n;
	v.o = o;
	v.pool = pool;
	v.t0 = wait_now();
	v.rows = xcalloc(n, sizeof *v.rows);
	v.scanned = xcalloc(n, sizeof *v.scanned);
	v.matched = xcalloc(n, sizeof *v.matched);
	v.pinned = xcalloc(n, sizeof *v.pinned);
	v.scan_buf = xmalloc(SCAN_PIECE);
	v.md = pcre2_match_data_create(1, NULL);
	buf_init(&v.input);
	buf_init(&v.dtext);

	while (!v.quit && !cancel_requested()) {
		t = wait_now();
		if (t >= next) {
			collect(&v);
			/*
			 * A run nobody touched ends with its hosts: a script run from a
			 * terminal goes on; --hold or a key pressed keeps the view.
			 */
			if (v.nfinal_all == v.n && !v.used && !o->hold)
				break;
			tui_draw(&v);
			next = t + FRAME;
			t = wait_now();
		}
		/* Sleep until a key or the next frame; then take every key waiting. */
		timeout(next > t ? (int)((next - t) * 1000) + 1 : 0);
		c = getch();
		if (c == ERR)
			continue;
		timeout(0);
		do {
			if (c != KEY_RESIZE)
				v.used = true;
			tui_key(&v, c);
		} while (!v.quit && (c = getch()) != ERR);
	}
	end = v.t_end != 0 ? v.t_end : wait_now();
	tui_panel_free(&v);
	pcre2_code_free(v.re);
	pcre2_match_data_free(v.md);
	free(v.pattern);
	free(v.rows);
	free(v.scanned);
	free(v.matched);
	free(v.pinned);
	free(v.member);
	free(v.scan_buf);
	free(v.dlines);
	free(v.dstream[0].starts);
	free(v.dstream[1].starts);
	for (i = 0; i < v.nhistory; i++)
		free(v.history[i]);
	free(v.history);
	free(v.command);
	buf_free(&v.input);
	buf_free(&v.dtext);
	return end;
}
