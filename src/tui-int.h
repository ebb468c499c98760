/*
 * tui-int.h - what the live view's files share (not for the rest of shoal).
 *
 * tui.c owns the terminal, the frame loop and the view state; tui-draw.c
 * draws a frame from that state (list, failure panel, a host's page, help);
 * tui-keys.c answers keys, from one table that also writes the help screen,
 * the bottom line's hints and the --help list.  Everything here runs on the
 * main thread; a host's lock is taken only to copy its state.
 */
#ifndef SHOAL_TUI_INT_H
#define SHOAL_TUI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "host.h"
#include "options.h"
#include "pool.h"
#include "wait.h"

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

enum mode { MODE_LIST, MODE_DETAIL, MODE_HELP, MODE_CONFIRM, MODE_SEARCH, MODE_COMMAND };

/* Colour pairs, set up by tui_open when the terminal has colours. */
enum { PAIR_OK = 1, PAIR_FAILED, PAIR_RETRY, PAIR_ACTIVE };

enum { SEARCH_NEW, SEARCH_NO, SEARCH_YES }; /* name not checked, no match yet, a match */

/*
 * One run's view: made and freed by tui_run, filled by each frame's collect
 * (tui.c), read by the drawing, changed by the keys.  The main thread's only.
 */
struct view {
	struct host **hosts;
	size_t n;
	const struct options *o;
	struct pool *pool;
	double t0;
	double t_end; /* when every host was first seen final; 0 while running */

	/*
	 * This frame's counts, by enum host_state, of the hosts of the latest
	 * run: all of them, or those a `:` command ran on (member[]).
	 */
	size_t counts[HOST_SKIPPED + 1];
	size_t nfinal;
	size_t nrun;                    /* hosts in the latest run */
	bool *member;                   /* per host: in the latest `:` run; NULL: every host */
	size_t nfinal_all;              /* final hosts of all, whichever run */
	double backoff_left;            /* the longest wait of a host in backoff, this frame */
	bool *pinned;                   /* per host: retried by `r` under the failed filter */
	bool used;                      /* a key was pressed: the view stays at the end */
	uint64_t xfer_done, xfer_total; /* all hosts, for --copy / --rcopy */

	size_t *rows; /* host indices shown: host order; failed first once all are final */
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

/* Whether states are shown in colour: the terminal has them and NO_COLOR is not set (tui.c). */
bool tui_colors(void);

/* Show a status message on the bottom line for secs seconds (tui.c). */
void tui_status(struct view *v, double secs, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Draw the whole screen for the current mode, from this frame's state (tui-draw.c). */
void tui_draw(struct view *v);

/* Forget the failure panel's lines (tui-draw.c). */
void tui_panel_free(struct view *v);

/* Start a host's page afresh: its streams are indexed again from 0 (tui-draw.c). */
void tui_page_reset(struct view *v);

/* Answer one key in the current mode (tui-keys.c). */
void tui_key(struct view *v, int c);

/*
 * The bottom line's key hints for the list or a host's page, from the key
 * table (tui-keys.c); "run finished: " leads them once every host is final.
 */
void tui_keys_hints(const struct view *v, struct buf *b);

/* The help screen (`?`), lines ending in '\n', from the key table (tui-keys.c). */
void tui_keys_screen(struct buf *b);

#endif
