/*
 * tui.h - the live view (SPEC section 6): an ncurses screen on the
 * controlling terminal that shows every host's state while the pool runs.
 *
 * The view reads snapshots of host state under each host's lock and never
 * holds a lock while it draws, so workers never wait on the screen.
 */
#ifndef SHOAL_TUI_H
#define SHOAL_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "host.h"
#include "options.h"
#include "pool.h"

/*
 * Whether the options and the terminal ask for the view: --tui forces it,
 * --no-tui refuses it, else it is on when stdin and stdout are terminals and
 * no machine-readable output (--json, --inline) was asked for.
 */
bool tui_wanted(const struct options *o);

/*
 * Take the terminal (/dev/tty).  Returns NULL, or why the view cannot run
 * here (no terminal, TERM=dumb, too small): the run then goes on in plain
 * output, with that note.
 */
const char *tui_open(void);

/*
 * Show the run until its hosts are all final, or, when a key was pressed
 * during it or o->hold asks, until the operator leaves (q; it asks first
 * while hosts are in flight, and then cancels them); or until the run is
 * interrupted.  pool must have been started with stay_open, for `r`.
 * Returns when the run ended (wait_now's clock): the last host final, or
 * the leaving when hosts were still in flight.
 */
double tui_run(struct host **hosts, size_t n, const struct options *o, struct pool *pool);

/* Give the terminal back. */
void tui_close(void);

/*
 * From a signal handler: put the terminal back as it was (async-signal-safe),
 * before the process exits at once.
 */
void tui_emergency_restore(void);

/*
 * The live view's keys for --help, one sentence wrapped to the screen, from
 * the same table as the view's help screen.
 */
void tui_keys_usage(FILE *fp);

#endif
