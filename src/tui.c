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
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <curses.h>
#include <pcre2.h>

#include "buf.h"
#include "cancel.h"
#include "escape.h"
#include "hostlist.h"
#include "jump.h"
#include "log.h"
#include "tui.h"
#include "xmalloc.h"

/* Bytes of each earlier `:` run's stream shown on a host's page. */
#define PAST_BYTES  65536
#define FRAME       0.1 /* seconds between frames, at least */
#define MIN_COLS    40
#define MIN_LINES   10
#define PANEL_KINDS 5           /* failure panel: at most this many kinds shown */
#define TAIL_SCAN   1024        /* bytes looked back for a host's last line */
#define SCAN_PIECE  (1u << 20)  /* bytes of output matched at once by the search */
#define SCAN_FRAME  (16u << 20) /* bytes of output searched in one frame, all hosts */
#define INDEX_FRAME (32u << 20) /* bytes of a host's output indexed in one frame */
#define ROW_BYTES   4096        /* bytes of a line read to draw its row */

enum filter { FILTER_ALL, FILTER_FAILED, FILTER_RUNNING, FILTER__COUNT };
static const char *const filter_names[] = {"all", "failed", "running"};

enum mode { MODE_LIST, MODE_DETAIL, MODE_HELP, MODE_CONFIRM, MODE_SEARCH, MODE_COMMAND };

enum { PAIR_OK = 1, PAIR_FAILED, PAIR_RETRY, PAIR_ACTIVE };

enum { SEARCH_NEW, SEARCH_NO, SEARCH_YES }; /* name not checked, no match yet, a match */

struct view {
	struct host **hosts;
	size_t n;
	const struct options *o;
	struct pool *pool;
	double t0;
	double t_end; /* when every host was first seen final; 0 while running */

	/* This frame's counts, by enum host_state. */
	size_t counts[HOST_SKIPPED + 1];
	size_t nfinal;
	uint64_t xfer_done, xfer_total; /* all hosts, for --copy / --rcopy */

	size_t *rows; /* host indices shown, in host order */
	size_t nrows;
	size_t sel;      /* position in rows */
	size_t sel_host; /* the host selected, kept across frames */
	size_t top;      /* first row on screen */
	enum filter filter;

	pcre2_code *re;
	pcre2_match_data *md;
	char *pattern;
	/*
	 * Per host: how far stdout and stderr have been searched without a
	 * match (each at a line's start), and the answer so far.
	 */
	uint64_t (*scanned)[2];
	unsigned char *matched; /* SEARCH_* */
	char *scan_buf;         /* SCAN_PIECE bytes */
	size_t scan_left;       /* bytes this frame may still search */

	enum mode mode;
	struct buf input; /* the search pattern or `:` command being typed */
	char **history;   /* `:` commands run, oldest first */
	size_t nhistory;
	size_t hpos;   /* the history entry shown; nhistory: the line typed */
	char *command; /* the latest `:` command; NULL: the command line's */
	char status[512];
	double status_until;

	/* The failure panel, remade when the number of final hosts changes. */
	char **panel;
	size_t npanel;
	size_t panel_nfinal;

	/*
	 * One host opened (MODE_DETAIL): its state and attempts as text, then
	 * each stream under a title, a row per line.  The streams stay in the
	 * host's spools: only where each line starts is kept, found a few
	 * megabytes a frame, and a row's bytes are read when it is drawn.
	 */
	size_t dhost;
	size_t dtop;
	size_t drows;     /* rows of the page, this frame */
	struct buf dtext; /* escaped lines, each ending in '\n' */
	size_t *dlines;   /* offsets of the lines in dtext */
	size_t ndlines, capdlines;
	struct dstream {
		uint64_t *starts; /* where lines start; the first at 0 */
		size_t nstarts, cap;
		uint64_t indexed; /* bytes looked at for newlines */
		uint64_t len;     /* bytes of the stream, this frame */
	} dstream[2];

	bool quit;
};

static SCREEN *screen;
static FILE *tty_in, *tty_out;
static int tty_fd = -1;
static struct termios tty_saved;
static bool tty_have_saved;
static char open_reason[128];

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
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_FAILED, COLOR_RED, -1);
		init_pair(PAIR_RETRY, COLOR_YELLOW, -1);
		init_pair(PAIR_ACTIVE, COLOR_CYAN, -1);
	}
	return NULL;
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

static void set_status(struct view *v, double secs, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
set_status(struct view *v, double secs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->status, sizeof v->status, fmt, ap);
	va_end(ap);
	v->status_until = host_now() + secs;
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

/* Count the states and choose the rows of this frame. */
static void
collect(struct view *v)
{
	size_t i;

	memset(v->counts, 0, sizeof v->counts);
	v->xfer_done = v->xfer_total = 0;
	v->scan_left = SCAN_FRAME;
	v->nrows = 0;
	for (i = 0; i < v->n; i++) {
		struct host *h = v->hosts[i];
		enum host_state s;
		bool show;

		pthread_mutex_lock(&h->lock);
		s = h->state;
		show = v->filter == FILTER_ALL ||
		       (v->filter == FILTER_FAILED && (s == HOST_FAILED || s == HOST_SKIPPED)) ||
		       (v->filter == FILTER_RUNNING && in_flight(s));
		if (show)
			show = search_matches(v, i, h);
		v->xfer_done += h->xfer_done;
		v->xfer_total += h->xfer_total;
		pthread_mutex_unlock(&h->lock);
		v->counts[s]++;
		if (show)
			v->rows[v->nrows++] = i;
	}
	v->nfinal = v->counts[HOST_OK] + v->counts[HOST_FAILED] + v->counts[HOST_SKIPPED];
	if (v->nfinal == v->n && v->t_end == 0)
		v->t_end = host_now();
	else if (v->nfinal < v->n)
		v->t_end = 0;
	/* Keep the selected host selected, or the one after it. */
	for (v->sel = 0; v->sel < v->nrows && v->rows[v->sel] < v->sel_host; v->sel++)
		;
	if (v->sel >= v->nrows && v->nrows > 0)
		v->sel = v->nrows - 1;
	if (v->nrows > 0)
		v->sel_host = v->rows[v->sel];
}

static void
panel_free(struct view *v)
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

	panel_free(v);
	v->panel_nfinal = v->nfinal;
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
				names[m++] = v->hosts[i]->name;
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
	if (!has_colors())
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
		if (errkind_info(h->kind)->phase != PHASE_RUN)
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
	buf_appendf(&b, " %zu/%zu %3d%%", v->nfinal, v->n,
	        (int)(100.0 * (double)v->nfinal / (double)v->n));
	if (v->xfer_total > 0) {
		buf_appends(&b, "  ");
		append_bytes(&b, (double)v->xfer_done);
		if (elapsed > 0.2) {
			buf_appends(&b, " at ");
			append_bytes(&b, (double)v->xfer_done / elapsed);
			buf_appends(&b, "/s");
		}
	}
	if (v->nfinal == v->n)
		buf_appendf(&b, "  done in %.1f s", elapsed);
	else if (v->nfinal > 0)
		buf_appendf(&b, "  eta %.0f s",
		        elapsed * (double)(v->n - v->nfinal) / (double)v->nfinal);
	rolling_text(v, &b);
	jump_text(&b);
	barw = COLS - (int)b.len - 2;
	if (barw > 60)
		barw = 60;
	move(++y, 0);
	if (barw >= 10) {
		filled = (int)((double)barw * (double)v->nfinal / (double)v->n);
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
	int nw = name_width(v), y;
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

	if (v->sel < v->top)
		v->top = v->sel;
	if (height > 0 && v->sel >= v->top + (size_t)height)
		v->top = v->sel - (size_t)height + 1;
	if (v->top + (size_t)height > v->nrows)
		v->top = v->nrows > (size_t)height ? v->nrows - (size_t)height : 0;
	buf_init(&r.text);
	for (y = 0, i = v->top; y < height && i < v->nrows; y++, i++) {
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
		printw("%zu host%s still in flight: quit and cancel %s? [y/N] ", v->n - v->nfinal,
		        v->n - v->nfinal == 1 ? " is" : "s are",
		        v->n - v->nfinal == 1 ? "it" : "them");
		attroff(A_BOLD);
		return;
	}
	if (v->status[0] != '\0' && t < v->status_until) {
		put_str(v->status, COLS - 1);
		return;
	}
	if (v->mode == MODE_DETAIL)
		put_str("arrows/PgUp/PgDn scroll  q/Esc back", COLS - 1);
	else
		put_str(v->nfinal == v->n
		                ? "run finished: q quit  Enter open  : command  f filter  "
		                  "/ search  r retry  ? help"
		                : "arrows move  Enter open  f filter  / search  r retry  "
		                  "q quit  ? help",
		        COLS - 1);
}

static void
draw_list(struct view *v, double t)
{
	int panel = 0, height, i;

	if (v->npanel > 0 && v->panel_nfinal != v->nfinal)
		panel_make(v);
	else if (v->npanel == 0 && v->counts[HOST_FAILED] > 0)
		panel_make(v);
	else if (v->counts[HOST_FAILED] == 0)
		panel_free(v);
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

static void
dstream_reset(struct view *v)
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
		buf_appendf(&v->dtext, "  exit %d", h->exit_code);
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
			buf_appendf(&v->dtext, "  exit %d", r->exit_code);
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

static void
draw_help(void)
{
	static const char *const lines[] = {
	        "shoal live view - keys",
	        "",
	        "  Up Down j k      move",
	        "  PgUp PgDn        move a page",
	        "  Home End g G     first / last host",
	        "  Enter            open the host: every attempt, its whole output",
	        "  f                filter: all / failed / running",
	        "  /                search host names and output (PCRE2); empty clears",
	        "  r                retry failed hosts that never started their command",
	        "  :                run a command on the hosts shown, over the open",
	        "                   connections (Up/Down: history); Enter opens every run",
	        "  q                quit (asks first while hosts are in flight)",
	        "  ?                this help",
	        "",
	        "Any key goes back.",
	};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof *lines && (int)i < LINES; i++)
		mvaddnstr((int)i, 0, lines[i], COLS);
}

static void
draw(struct view *v)
{
	double t = host_now();

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

/* ----------------------------------------------------------------- keys */

static void
search_set(struct view *v, const char *pattern)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *re;
	int err;

	if (*pattern == '\0') {
		pcre2_code_free(v->re);
		v->re = NULL;
		free(v->pattern);
		v->pattern = NULL;
		set_status(v, 3, "search cleared");
		return;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		set_status(v, 5, "search: PCRE2 error at offset %zu: %s", (size_t)off, (char *)msg);
		return;
	}
	pcre2_code_free(v->re);
	v->re = re;
	free(v->pattern);
	v->pattern = xstrdup(pattern);
	memset(v->scanned, 0, v->n * sizeof *v->scanned);
	memset(v->matched, SEARCH_NEW, v->n * sizeof *v->matched);
	v->top = 0;
	v->sel_host = 0;
}

static void
retry_failed(struct view *v)
{
	size_t m;

	if (cancel_requested()) {
		set_status(v, 4, "the run was interrupted: nothing is retried");
		return;
	}
	m = pool_retry(v->pool, v->hosts, v->n);
	if (m == 0)
		set_status(v, 4,
		        "no host to retry (only failed hosts that never started their "
		        "command are retried)");
	else
		set_status(v, 4, "retrying %zu host%s", m, m == 1 ? "" : "s");
}

/* Run the command typed on the hosts the filter and search show. */
static void
run_command(struct view *v, const char *command)
{
	struct host **list;
	size_t i, m;

	if (cancel_requested()) {
		set_status(v, 4, "the run was interrupted: nothing more is run");
		return;
	}
	if (v->nhistory == 0 || strcmp(v->history[v->nhistory - 1], command) != 0) {
		v->history = xreallocarray(v->history, v->nhistory + 1, sizeof *v->history);
		v->history[v->nhistory++] = xstrdup(command);
	}
	list = xcalloc(v->nrows ? v->nrows : 1, sizeof *list);
	for (i = 0; i < v->nrows; i++)
		list[i] = v->hosts[v->rows[i]];
	m = pool_command(v->pool, list, v->nrows, command);
	free(list);
	if (m == 0) {
		set_status(v, 4, "no host to run it on (hosts shown must be done: ok or failed)");
		return;
	}
	free(v->command);
	v->command = xstrdup(command);
	v->t0 = host_now();
	v->t_end = 0;
	set_status(v, 4, "running on %zu host%s", m, m == 1 ? "" : "s");
}

static void
key_command(struct view *v, int c)
{
	const char *h;
	char *command;

	if (c == 27) {
		v->mode = MODE_LIST;
	} else if (c == '\n' || c == '\r' || c == KEY_ENTER) {
		v->mode = MODE_LIST;
		command = xstrndup(v->input.p ? v->input.p : "", v->input.len);
		if (*command != '\0')
			run_command(v, command);
		free(command);
	} else if (c == KEY_UP || c == KEY_DOWN) {
		if (c == KEY_UP && v->hpos > 0)
			v->hpos--;
		else if (c == KEY_DOWN && v->hpos < v->nhistory)
			v->hpos++;
		h = v->hpos < v->nhistory ? v->history[v->hpos] : "";
		buf_reset(&v->input);
		buf_appends(&v->input, h);
	} else if (c == KEY_BACKSPACE || c == 127 || c == 8) {
		while (v->input.len > 0 &&
		        ((unsigned char)v->input.p[--v->input.len] & 0xc0) == 0x80)
			;
	} else if (c >= 32 && c < 256 && c != 127 && v->input.len < 4000) {
		buf_appendc(&v->input, (char)c);
	}
}

static void
move_sel(struct view *v, long delta)
{
	long s = (long)v->sel + delta;

	if (v->nrows == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= (long)v->nrows)
		s = (long)v->nrows - 1;
	v->sel = (size_t)s;
	v->sel_host = v->rows[v->sel];
}

static int
page(void)
{
	return LINES > 8 ? LINES - 8 : 1;
}

static void
key_list(struct view *v, int c)
{
	switch (c) {
	case KEY_UP:
	case 'k':
		move_sel(v, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(v, 1);
		break;
	case KEY_PPAGE:
		move_sel(v, -page());
		break;
	case KEY_NPAGE:
	case ' ':
		move_sel(v, page());
		break;
	case KEY_HOME:
	case 'g':
		move_sel(v, -(long)v->nrows);
		break;
	case KEY_END:
	case 'G':
		move_sel(v, (long)v->nrows);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (v->nrows > 0) {
			v->mode = MODE_DETAIL;
			v->dhost = v->rows[v->sel];
			v->dtop = 0;
			dstream_reset(v);
		}
		break;
	case 'f':
		v->filter = (enum filter)((v->filter + 1) % FILTER__COUNT);
		v->top = 0;
		break;
	case '/':
		v->mode = MODE_SEARCH;
		buf_reset(&v->input);
		break;
	case 'r':
		retry_failed(v);
		break;
	case ':':
		v->mode = MODE_COMMAND;
		v->hpos = v->nhistory;
		buf_reset(&v->input);
		break;
	case 'q':
	case 'Q':
		if (v->nfinal < v->n)
			v->mode = MODE_CONFIRM;
		else
			v->quit = true;
		break;
	case '?':
	case 'h':
		v->mode = MODE_HELP;
		break;
	default:
		break;
	}
}

static void
key_detail(struct view *v, int c)
{
	size_t pg = (size_t)page();

	switch (c) {
	case KEY_UP:
	case 'k':
		if (v->dtop > 0)
			v->dtop--;
		break;
	case KEY_DOWN:
	case 'j':
		v->dtop++;
		break;
	case KEY_PPAGE:
		v->dtop = v->dtop > pg ? v->dtop - pg : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		v->dtop += pg;
		break;
	case KEY_HOME:
	case 'g':
		v->dtop = 0;
		break;
	case KEY_END:
	case 'G':
		v->dtop = v->drows;
		break;
	case 'q':
	case 27:
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 127:
		v->mode = MODE_LIST;
		break;
	default:
		break;
	}
}

static void
key_search(struct view *v, int c)
{
	char *pattern;

	if (c == 27) {
		v->mode = MODE_LIST;
	} else if (c == '\n' || c == '\r' || c == KEY_ENTER) {
		v->mode = MODE_LIST;
		pattern = xstrndup(v->input.p ? v->input.p : "", v->input.len);
		search_set(v, pattern);
		free(pattern);
	} else if (c == KEY_BACKSPACE || c == 127 || c == 8) {
		/* Drop one character, continuation bytes included. */
		while (v->input.len > 0 &&
		        ((unsigned char)v->input.p[--v->input.len] & 0xc0) == 0x80)
			;
	} else if (c >= 32 && c < 256 && c != 127 && v->input.len < 400) {
		buf_appendc(&v->input, (char)c);
	}
}

static void
key(struct view *v, int c)
{
	if (c == KEY_RESIZE)
		return;
	switch (v->mode) {
	case MODE_LIST:
		key_list(v, c);
		break;
	case MODE_DETAIL:
		key_detail(v, c);
		break;
	case MODE_HELP:
		v->mode = MODE_LIST;
		break;
	case MODE_CONFIRM:
		v->mode = MODE_LIST;
		if (c == 'y' || c == 'Y') {
			cancel_request();
			v->quit = true;
		} else {
			set_status(v, 3, "still running");
		}
		break;
	case MODE_SEARCH:
		key_search(v, c);
		break;
	case MODE_COMMAND:
		key_command(v, c);
		break;
	}
}

void
tui_run(struct host **hosts, size_t n, const struct options *o, struct pool *pool)
{
	struct view v;
	double next = 0, t;
	size_t i;
	int c;

	memset(&v, 0, sizeof v);
	v.hosts = hosts;
	v.n = n;
	v.o = o;
	v.pool = pool;
	v.t0 = host_now();
	v.rows = xcalloc(n, sizeof *v.rows);
	v.scanned = xcalloc(n, sizeof *v.scanned);
	v.matched = xcalloc(n, sizeof *v.matched);
	v.scan_buf = xmalloc(SCAN_PIECE);
	v.md = pcre2_match_data_create(1, NULL);
	buf_init(&v.input);
	buf_init(&v.dtext);

	while (!v.quit && !cancel_requested()) {
		t = host_now();
		if (t >= next) {
			collect(&v);
			draw(&v);
			next = t + FRAME;
			t = host_now();
		}
		/* Sleep until a key or the next frame; then take every key waiting. */
		timeout(next > t ? (int)((next - t) * 1000) + 1 : 0);
		c = getch();
		if (c == ERR)
			continue;
		timeout(0);
		do {
			key(&v, c);
		} while (!v.quit && (c = getch()) != ERR);
	}
	panel_free(&v);
	pcre2_code_free(v.re);
	pcre2_match_data_free(v.md);
	free(v.pattern);
	free(v.rows);
	free(v.scanned);
	free(v.matched);
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
}
