/*
 * output.h - where results go: prefixed lines, JSON lines, -o files, the
 * --failed list and the summary.  Workers call output_host_* from their own
 * threads; every write to a shared stream is one locked, whole-line write.
 */
#ifndef SHOAL_OUTPUT_H
#define SHOAL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "host.h"
#include "options.h"

/*
 * Check and prepare the destinations before anything runs: -o DIR (created,
 * held open, refused when others could plant files in it) and that --failed
 * FILE can be written.  Returns 0, or 2 with a message.
 */
int output_init(const struct options *o);
/* The host is about to run its command: open its -o files. */
void output_host_start(struct host *h);
void output_host_data(struct host *h, bool is_stderr, const char *data, size_t n);
/* The host has its final state: flush its lines, write its JSON and files. */
void output_host_done(struct host *h);
/* A failed attempt that will be retried (for -v). */
void output_host_retry(struct host *h, double delay);
/*
 * The live view owns the terminal: keep every host's streams (appended under
 * the host's lock, so the view can read them) and print them, in the format
 * the options ask for, host by host in output_finish.
 */
void output_set_deferred(void);
/*
 * After the run: --failed, the summary, flushing.  Returns 0, or 3 when some
 * output was lost (stdout, stderr, an -o file or --failed could not be written).
 */
int output_finish(struct host **hosts, size_t n, double wall);
/* Flush stdout: 0, or 3 when a write to it has failed (said once, on stderr). */
int output_stdout_status(void);
/* The exit status of SPEC section 4 for these results. */
int output_exit_status(struct host **hosts, size_t n);
void output_free(void);

#endif
