/*
 * event.h - a host's life as a stream of events (tree mode).
 *
 * A gateway (shoal --gateway-serve) runs its targets with the normal
 * machinery; the one place that writes a host's state (host.c) and the one
 * place its bytes arrive (output.c) hand each step here, and this writes it
 * as a frame on stdout.  The root reads the frames from the gateway's
 * channel and replays them into its own struct host through the same
 * host.c and output.c calls, so every output mode works unchanged.
 *
 * A frame is a header line "T INDEX LENGTH\n" and LENGTH bytes: T the event,
 * INDEX the target's index in the root's list, fields split by NUL bytes.
 * Error kinds and phases travel by name (errkind.h).
 *
 * --rcopy: a gateway pulls each target's files into a private folder with
 * the normal transfer, and sends each file up as soon as it is whole there,
 * while the pull goes on: a directory as it is made ('D' path, before
 * anything below it), a file ('F' path, size; its bytes in 'B' frames of at
 * most CHUNK bytes; 'C' mode, times: one file's frames are never mixed with
 * another of the same target's).  When the target is done, each directory's
 * own mode and times go up before its done frame, once its contents are in
 * ('M' path, mode, times).  The root
 * writes them with transfer.c's rules (transfer_in_*) into DEST_DIR/HOST.
 */
#ifndef SHOAL_EVENT_H
#define SHOAL_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "errkind.h"
#include "host.h"

struct transfer_plan;

/* The frames' format; a root and a gateway must agree on it and on the version. */
#define EVENT_PROTO 1

/*
 * Gateway side: events go to fd from now on; the first frame says the
 * protocol and shoal's version.
 */
void event_stream_start(int fd);
/* Stream the events of hosts from now on: host i is root_index[i] of the root's (kept). */
void event_stream_hosts(const size_t *root_index, size_t n);
/*
 * --rcopy on a gateway: p's DEST_DIR is the private folder the targets' files
 * are pulled into; each file is sent up, then removed, once whole, and the
 * rest (directories' seals) as its target ends.
 */
void event_stream_rcopy(const struct transfer_plan *p);
/*
 * transfer.c's local writer has just made directory rel of h's, or renamed
 * file rel (name in the directory dfd) into place: on a gateway, with h a
 * target of its own, it goes up now (a file is then removed).  Anywhere
 * else, nothing.
 */
void event_dir_made(const struct host *h, const char *rel);
void event_file_whole(const struct host *h, int dfd, const char *name, const char *rel);
/* The run is over: the last frame.  Returns 0, or 3 when the stream broke. */
int event_stream_end(void);

/* host.c's steps of a host's life. */
void event_attempt_begin(const struct host *h);
void event_phase(const struct host *h, enum phase phase);
void event_attempt_end(const struct host *h, const struct outcome *out);
void event_retry_wait(const struct host *h, double delay);
/* A gateway's target's transfer progress, sent up a few times a second (now: at once). */
void event_xfer(struct host *h, uint64_t done, uint64_t total, bool now);
/* A note about h (host_note): true when it went up the stream (a gateway's target). */
bool event_note(const struct host *h, const char *text);

/*
 * output.c's entry points: true when the event is taken here (a gateway's
 * own targets, or, on the root, a gateway's channel), and output.c has
 * nothing more to do with it.
 */
bool event_host_start(struct host *h);
bool event_host_data(struct host *h, bool is_stderr, const char *data, size_t n);
bool event_host_done(struct host *h);

/*
 * Root side: gw's stdout is a gateway's event stream for targets (the
 * root's list).  owns says whether target i is gw's to report; done is
 * told when gw has ended, after finished for each target it ended.  rcopy:
 * the run's --rcopy plan, whose DEST_DIR the files sent up go to (NULL: a
 * file frame breaks the stream).
 */
struct event_reader_ops {
	bool (*owns)(void *arg, size_t i);
	void (*finished)(void *arg, struct host *target);
	void (*done)(void *arg, struct host *gw);
	void *arg;
	const struct transfer_plan *rcopy;
};
void event_reader_attach(
        struct host *gw, struct host **targets, size_t n, const struct event_reader_ops *ops);
/* Why gw's stream cannot be trusted (version, a bad frame), or NULL. */
const char *event_reader_broken(const struct host *gw);
/* The last line gw wrote on stderr, or NULL. */
const char *event_reader_last_err(const struct host *gw);
void event_reader_free(struct host *gw);

#endif
