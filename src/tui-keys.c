/*
 * tui-keys.c - the live view's keys and prompts.
 *
 * One table, keys[], says every key of the list and of a host's page: the
 * codes, where it acts, what the help screen and the bottom line say of it,
 * its words in --help, and the function that answers it.  The help screen,
 * the bottom line's hints and --help's list are all written from it, so a key
 * is described once.  The prompts (`/` search, `:` command with its history)
 * and the quit question read the keys themselves.  Main thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "cancel.h"
#include "tree.h"
#include "tui-int.h"
#include "tui.h"
#include "xmalloc.h"

/* -------------------------------------------------------------- prompts */

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
		tui_status(v, 3, "search cleared");
		return;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		tui_status(v, 5, "search: PCRE2 error at offset %zu: %s", (size_t)off, (char *)msg);
		return;
	}
	pcre2_code_free(v->re);
	v->re = re;
	free(v->pattern);
	v->pattern = xstrdup(pattern);
	memset(v->scanned, 0, v->n * sizeof *v->scanned);
	memset(v->matched, SEARCH_NEW, v->n * sizeof *v->matched);
	v->top = 0;
	v->sel = 0;
	v->sel_host = 0;
}

static void
retry_failed(struct view *v)
{
	size_t i, m;

	if (cancel_requested()) {
		tui_status(v, 4, "the run was interrupted: nothing is retried");
		return;
	}
	if (v->pool == NULL) {
		long t = tree_retry(v->hosts, v->n);

		if (t < 0) {
			tui_status(
			        v, 4, "the gateways are still running: retry when they are done");
			return;
		}
		m = (size_t)t;
	} else {
		m = pool_retry(v->pool, v->hosts, v->n);
	}
	/* Under the failed filter the retried hosts stay in sight while they run again. */
	if (m > 0 && v->filter == FILTER_FAILED)
		for (i = 0; i < v->nrows; i++)
			v->pinned[v->rows[i]] = true;
	if (m == 0)
		tui_status(v, 4,
		        "no host to retry (only failed hosts that never started their "
		        "command are retried)");
	else
		tui_status(v, 4, "retrying %zu host%s", m, m == 1 ? "" : "s");
}

/* Run the command typed on the hosts the filter and search show. */
static void
run_command(struct view *v, const char *command)
{
	struct host **list;
	size_t i, m;
	unsigned run, r;

	if (cancel_requested()) {
		tui_status(v, 4, "the run was interrupted: nothing more is run");
		return;
	}
	if (v->nhistory == 0 || strcmp(v->history[v->nhistory - 1], command) != 0) {
		v->history = xreallocarray(v->history, v->nhistory + 1, sizeof *v->history);
		v->history[v->nhistory++] = xstrdup(command);
	}
	list = xcalloc(v->nrows ? v->nrows : 1, sizeof *list);
	for (i = 0; i < v->nrows; i++)
		list[i] = v->hosts[v->rows[i]];
	if (v->pool != NULL) {
		m = pool_command(v->pool, list, v->nrows, command);
	} else {
		/* Tree mode: a new run through the gateways, on new sessions. */
		long t = tree_command(list, v->nrows, command);

		if (t < 0) {
			free(list);
			tui_status(
			        v, 4, "the gateways are still running: run it when they are done");
			return;
		}
		m = (size_t)t;
	}
	free(list);
	if (m == 0) {
		tui_status(v, 4, "no host to run it on (hosts shown must be done: ok or failed)");
		return;
	}
	free(v->command);
	v->command = xstrdup(command);
	/* The header counts this run's hosts: those of the latest run number. */
	if (v->member == NULL)
		v->member = xcalloc(v->n, sizeof *v->member);
	for (i = 0, run = 0; i < v->n; i++) {
		pthread_mutex_lock(&v->hosts[i]->lock);
		r = v->hosts[i]->run;
		pthread_mutex_unlock(&v->hosts[i]->lock);
		if (r > run)
			run = r;
	}
	for (i = 0; i < v->n; i++) {
		pthread_mutex_lock(&v->hosts[i]->lock);
		v->member[i] = v->hosts[i]->run == run;
		pthread_mutex_unlock(&v->hosts[i]->lock);
	}
	v->t0 = wait_now();
	v->t_end = 0;
	tui_status(v, 4, "running on %zu host%s", m, m == 1 ? "" : "s");
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

/* ---------------------------------------------------------------- table */

static void
key_move(struct view *v, int c)
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
	default: /* KEY_END, 'G' */
		move_sel(v, (long)v->nrows);
		break;
	}
}

static void
key_open(struct view *v, int c)
{
	(void)c;
	if (v->nrows > 0) {
		v->mode = MODE_DETAIL;
		v->dhost = v->rows[v->sel];
		v->dtop = 0;
		tui_page_reset(v);
	}
}

static void
key_command_start(struct view *v, int c)
{
	(void)c;
	v->mode = MODE_COMMAND;
	v->hpos = v->nhistory;
	buf_reset(&v->input);
}

static void
key_filter(struct view *v, int c)
{
	(void)c;
	v->filter = (enum filter)((v->filter + 1) % FILTER__COUNT);
	v->top = 0;
	memset(v->pinned, 0, v->n * sizeof *v->pinned);
}

static void
key_search_start(struct view *v, int c)
{
	(void)c;
	v->mode = MODE_SEARCH;
	buf_reset(&v->input);
}

static void
key_retry(struct view *v, int c)
{
	(void)c;
	retry_failed(v);
}

static void
key_quit(struct view *v, int c)
{
	(void)c;
	if (v->nfinal_all < v->n)
		v->mode = MODE_CONFIRM;
	else
		v->quit = true;
}

static void
key_help(struct view *v, int c)
{
	(void)c;
	v->mode = MODE_HELP;
}

/* Scroll a host's page; drawing it clamps dtop to the page's rows. */
static void
key_scroll(struct view *v, int c)
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
	default: /* KEY_END, 'G' */
		v->dtop = v->drows;
		break;
	}
}

static void
key_back(struct view *v, int c)
{
	(void)c;
	v->mode = MODE_LIST;
}

/* Where a key acts. */
enum { IN_LIST = 1u << MODE_LIST, IN_PAGE = 1u << MODE_DETAIL };

/* When the bottom line shows a key's hint. */
enum {
	HINT_RUNNING = 1u,  /* while hosts are not all final (and on a host's page) */
	HINT_FINISHED = 2u, /* once every host is final (and on a host's page) */
	HINT_LEAD = 4u,     /* first once the run is finished: the likely next key */
};

struct keydef {
	int codes[6];      /* ncurses codes; 0 ends the list early */
	unsigned where;    /* IN_* */
	const char *names; /* the help screen's key column; NULL: not on it */
	const char *help;  /* the help screen's text; '\n' goes on below it */
	const char *hint;  /* the bottom line's words; NULL: not on it */
	unsigned hints;    /* HINT_* */
	const char *usage; /* the words in --help; NULL: not there */
	void (*handler)(struct view *v, int c);
};

/* In the order the help screen, the hints and --help list them. */
static const struct keydef keys[] = {
        {{KEY_UP, 'k', KEY_DOWN, 'j'}, IN_LIST, "Up Down j k", "move", "arrows move", HINT_RUNNING,
                "arrows move", key_move},
        {{KEY_PPAGE, KEY_NPAGE, ' '}, IN_LIST, "PgUp PgDn Space", "move a page", NULL, 0, NULL,
                key_move},
        {{KEY_HOME, 'g', KEY_END, 'G'}, IN_LIST, "Home End g G", "first / last host", NULL, 0, NULL,
                key_move},
        {{'\n', '\r', KEY_ENTER}, IN_LIST, "Enter",
                "open the host: every attempt, its whole output", "Enter open",
                HINT_RUNNING | HINT_FINISHED, "Enter opens a host", key_open},
        {{':'}, IN_LIST, ":",
                "run a command on the hosts shown, over the open\n"
                "connections (Up/Down: history); Enter opens every run",
                ": command", HINT_FINISHED, ": runs a command", key_command_start},
        {{'f'}, IN_LIST, "f", "filter: all / failed / running", "f filter",
                HINT_RUNNING | HINT_FINISHED, "f filters", key_filter},
        {{'/'}, IN_LIST, "/", "search host names and output (PCRE2); empty clears", "/ search",
                HINT_RUNNING | HINT_FINISHED, "/ searches", key_search_start},
        {{'r'}, IN_LIST, "r", "retry failed hosts that never started their command", "r retry",
                HINT_RUNNING | HINT_FINISHED, "r retries", key_retry},
        {{'q', 'Q'}, IN_LIST, "q Q", "quit (asks first while hosts are in flight)", "q quit",
                HINT_RUNNING | HINT_FINISHED | HINT_LEAD, "q quits", key_quit},
        {{'?', 'h'}, IN_LIST, "? h", "this help", "? help", HINT_RUNNING | HINT_FINISHED, "? helps",
                key_help},
        {{KEY_UP, 'k', KEY_DOWN, 'j'}, IN_PAGE, "Up Down j k", "scroll a host's page",
                "arrows/PgUp/PgDn scroll", HINT_RUNNING | HINT_FINISHED, NULL, key_scroll},
        {{KEY_PPAGE, KEY_NPAGE, ' '}, IN_PAGE, "PgUp PgDn Space", "scroll a page", NULL, 0, NULL,
                key_scroll},
        {{KEY_HOME, 'g', KEY_END, 'G'}, IN_PAGE, "Home End g G", "its top / bottom", NULL, 0, NULL,
                key_scroll},
        {{'q', 27, KEY_LEFT, KEY_BACKSPACE, 127}, IN_PAGE, "q Esc Left Bksp", "back to the list",
                "q/Esc back", HINT_RUNNING | HINT_FINISHED, NULL, key_back},
};

#define NKEYS (sizeof keys / sizeof *keys)

static const struct keydef *
key_find(enum mode mode, int c)
{
	size_t i, j;

	for (i = 0; i < NKEYS; i++) {
		if ((keys[i].where & (1u << mode)) == 0)
			continue;
		for (j = 0; j < sizeof keys[i].codes / sizeof *keys[i].codes && keys[i].codes[j];
		        j++)
			if (keys[i].codes[j] == c)
				return &keys[i];
	}
	return NULL;
}

void
tui_keys_hints(const struct view *v, struct buf *b)
{
	bool finished = v->mode == MODE_LIST && v->nfinal == v->nrun;
	unsigned when = finished ? HINT_FINISHED : HINT_RUNNING;
	unsigned where = 1u << v->mode;
	size_t i;
	int pass;

	if (finished)
		buf_appends(b, "run finished: ");
	/* Pass 0: the keys that lead a finished run's line; pass 1: the rest. */
	for (pass = finished ? 0 : 1; pass < 2; pass++)
		for (i = 0; i < NKEYS; i++) {
			const struct keydef *k = &keys[i];
			bool lead = finished && (k->hints & HINT_LEAD) != 0;

			if ((k->where & where) == 0 || k->hint == NULL || (k->hints & when) == 0 ||
			        lead != (pass == 0))
				continue;
			if (b->len > 0 && b->p[b->len - 1] != ' ')
				buf_appends(b, "  ");
			buf_appends(b, k->hint);
		}
}

void
tui_keys_screen(struct buf *b)
{
	size_t i;
	const char *p, *nl;

	buf_appends(b, "shoal live view - keys\n\n");
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].names == NULL)
			continue;
		if (i > 0 && keys[i].where == IN_PAGE && keys[i - 1].where != IN_PAGE)
			buf_appends(b, "\nOn a host's page (Enter):\n");
		buf_appendf(b, "  %-17s", keys[i].names);
		for (p = keys[i].help; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			buf_appendf(b, "%.*s\n%19s", (int)(nl - p), p, "");
		buf_appendf(b, "%s\n", p);
	}
	buf_appends(b, "\nAny key goes back.\n");
}

void
tui_keys_usage(FILE *fp)
{
	static const char lead[] = "The live view (on a terminal):";
	static const char end[] = "See shoal(1).";
	size_t i, last = 0, col = sizeof lead - 1, len;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].usage != NULL)
			last = i;
	fputs(lead, fp);
	/* A key's words are never cut at the end of a line. */
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].usage == NULL)
			continue;
		len = strlen(keys[i].usage) + 1;
		if (col + 1 + len > 76) {
			fputc('\n', fp);
			col = 0;
		} else {
			fputc(' ', fp);
			col++;
		}
		fprintf(fp, "%s%c", keys[i].usage, i == last ? '.' : ',');
		col += len;
	}
	if (col + 2 + sizeof end - 1 > 76)
		fprintf(fp, "\n%s\n", end);
	else
		fprintf(fp, "  %s\n", end);
}

/* ------------------------------------------------------------------ keys */

void
tui_key(struct view *v, int c)
{
	const struct keydef *k;

	if (c == KEY_RESIZE)
		return;
	switch (v->mode) {
	case MODE_LIST:
	case MODE_DETAIL:
		k = key_find(v->mode, c);
		if (k != NULL)
			k->handler(v, c);
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
			tui_status(v, 3, "still running");
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
