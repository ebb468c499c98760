/*
 * mux.h - the client side of warm runs: finding the user's keepers
 * (keeper.c), asking which sessions they hold, and running a host's command
 * over a kept session into the host's sink, as exec_channel would.
 *
 * Also the framing both sides speak over the Unix socket: a frame is one type
 * byte, a 4-byte big-endian length and that many bytes.
 */
#ifndef SHOAL_MUX_H
#define SHOAL_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connect.h"
#include "exec.h"
#include "host.h"
#include "options.h"

#define MUX_FRAME_MAX (1u << 20)
/* mux_run: the keeper does not hold the host or could not open a channel. */
#define MUX_NOT_HELD (-2)

/*
 * The directory the keepers' sockets live in: $XDG_RUNTIME_DIR/shoal, else
 * ~/.ssh/shoal; made 0700 when create.  NULL, with *why set (static text),
 * when it is missing (and not create) or is not the user's alone.
 */
char *mux_dir(bool create, const char **why);
/*
 * What decides which session a host may reuse: the user, the host as given,
 * the login user and port asked for, identities, host-key policy, and the
 * identity (device, inode, size, mtime) of every ssh_config and known_hosts
 * file that could change how it connects.  malloc'd.
 */
char *mux_key(const struct host *h, const struct options *o);
/* Ask every keeper for its sessions (before threads start); --persist 0: stop them all. */
void mux_init(const struct options *o);
void mux_free(void);
/* Tell every keeper to close its sessions and leave; returns how many were told. */
int mux_stop_all(void);
/* Whether any keeper holds a session (before that, a host's settings need not be evaluated). */
bool mux_any(void);
/* Whether a keeper holds key; if so its socket path (valid until mux_free). */
const char *mux_lookup(const char *key);
/*
 * Run rq on h over a kept session, its events to sk as exec_channel gives
 * them.  MUX_NOT_HELD when no keeper holds it or the keeper could not start
 * the command on it (nothing was started: the caller connects afresh;
 * *again is then the kept session's idle duration when it died, so the new
 * one replaces it, else 0); else exec_channel's result.
 */
int mux_run(struct host *h, const struct options *o, const struct run_request *rq,
        const struct run_sink *sk, struct outcome *out, double *again);
/*
 * A run's end as a frame ('D'): the kind by its errkind name, whether the
 * command started, the exit status or signal, the detail.
 */
void mux_send_done(int fd, const struct outcome *out, const struct run_exit *ex);
/* Read a 'D' frame's text (modified) into out and ex (its signal malloc'd); -1 when bad. */
int mux_parse_done(char *data, struct outcome *out, struct run_exit *ex);

/* Framing, for both sides.  Return 0, or -1 on a closed or failed socket. */
int mux_send(int fd, char type, const void *data, size_t len);
/* *data is malloc'd (NUL-terminated for convenience), *len its length. */
int mux_recv(int fd, char *type, char **data, size_t *len);
/* The peer of a Unix socket is this user. */
bool mux_peer_is_me(int fd);

#endif
