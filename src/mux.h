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

#include "buf.h"
#include "connect.h"
#include "exec.h"
#include "host.h"
#include "options.h"
#include "sshconf.h"

#define MUX_FRAME_MAX (1u << 20)
/* mux_run: the keeper does not hold the host or could not open a channel. */
#define MUX_NOT_HELD (-2)

/* How long a keeper has to answer a client's question (list, stop). */
#define MUX_ANSWER_S 2.0
/* mux_recv_by's deadline that is none: it blocks. */
#define MUX_NO_DEADLINE 1e300

/*
 * The directory the keepers' sockets live in: $XDG_RUNTIME_DIR/shoal, else
 * ~/.ssh/shoal; made 0700 when create (~/.ssh too, as ssh makes it).  NULL
 * with *why (malloc'd, naming the directory) when it cannot be made or is
 * not the user's alone; NULL with *why NULL when it is not there (and not
 * create).
 */
char *mux_dir(bool create, char **why);
/*
 * What decides which session a host may reuse: a digest of the host's
 * evaluated ssh_config as -G prints it (connect_config) and the
 * command-line values that make a session beside it.  malloc'd.
 */
char *mux_key(const struct sshconf_host *cf, const struct options *o);
/* Ask every keeper for its sessions (before threads start); --persist 0: stop them all. */
void mux_init(const struct options *o);
/*
 * Ask every keeper which sessions it holds, in place of what was known:
 * a keeper that does not answer within MUX_ANSWER_S is skipped (said at
 * -v), and a cancel ends the asking.
 */
void mux_list(void);
void mux_free(void);
/* Tell every keeper to close its sessions and leave; returns how many were told. */
int mux_stop_all(void);
/* Whether any keeper holds a session (before that, a host's settings need not be evaluated). */
bool mux_any(void);
/* Whether a keeper (of the last mux_list) holds a live session for key. */
bool mux_held_alive(const char *key);
/*
 * The keeper socket of a session h may reuse now, or NULL: the key of h's
 * evaluated settings cf (*keyp, malloc'd) is held, and the session's host
 * key passes the trust decision a fresh connection would make under cf
 * (connect_trust_kept; else the keeper is told to drop it).  *again is set
 * as mux_run says.
 */
const char *mux_session(struct host *h, const struct options *o, const struct sshconf_host *cf,
        char **keyp, double *again);
/*
 * Run rq on h (its evaluated settings cf) over a kept session, its events
 * to sk as exec_channel gives them.  MUX_NOT_HELD when no keeper holds it or the keeper could not
 * start the command on it (nothing was started: the caller connects afresh; *again is then the kept
 * session's idle duration when it died, so the new one replaces it, else 0); else exec_channel's
 * result.
 */
int mux_run(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const struct run_request *rq, const struct run_sink *sk, struct outcome *out,
        double *again);
/*
 * Open an SFTP channel on h's kept session (rq: name, timeout, keepalives;
 * no command): a connection to the keeper, which relays the channel's bytes
 * as frames ('i' in, 'o' out, 'h' while quiet, 'D' its end), once the
 * keeper said the subsystem started.  MUX_NOT_HELD as mux_run says.
 */
int mux_sftp(struct host *h, const struct options *o, const struct sshconf_host *cf,
        const struct run_request *rq, double *again);
/*
 * A run's end as a frame ('D'): the kind by its errkind name, whether the
 * command started, the exit status or signal, the detail.
 */
void mux_send_done(int fd, const struct outcome *out, const struct run_exit *ex);
/* The 'D' frame's text (malloc'd), for a sender that queues it (mux_stream_put). */
char *mux_done_text(const struct outcome *out, const struct run_exit *ex);
/* Read a 'D' frame's text (modified) into out and ex (its signal malloc'd); -1 when bad. */
int mux_parse_done(char *data, struct outcome *out, struct run_exit *ex);

/*
 * A keeper that relays a run or an SFTP channel says something (at least an
 * 'h' frame) after each MUX_HEARTBEAT_S of quiet; a client gives up on one
 * silent for MUX_SILENT_S: it is stopped or hung, and its host is `lost`.
 */
#define MUX_HEARTBEAT_S 1.0
#define MUX_SILENT_S    10.0

/* Framing, for both sides.  Return 0, or -1 on a closed or failed socket. */
int mux_send(int fd, char type, const void *data, size_t len);
/* *data is malloc'd (NUL-terminated for convenience), *len its length. */
int mux_recv(int fd, char *type, char **data, size_t *len);
/* The same, waiting at most until deadline (wait_now's clock) and a cancel. */
int mux_recv_by(int fd, char *type, char **data, size_t *len, double deadline);
/*
 * A frame stream that never blocks on a write: frames put are written as the
 * socket takes them, frames read are taken whole.  Both ends of a relayed
 * SFTP channel (sftpc.c in the client, keeper.c) use it, so two full socket
 * buffers cannot stall each other.
 */
struct mux_stream {
	int fd;
	bool closed; /* the peer closed the socket (frames read before may still be taken) */
	struct buf out, in;
	size_t taken; /* bytes of in held by the frame last taken, dropped at the next take */
};
void mux_stream_init(struct mux_stream *m, int fd);
void mux_stream_free(struct mux_stream *m);
void mux_stream_put(struct mux_stream *m, char type, const void *data, size_t len);
/*
 * Write what the socket takes, then read what it has, waiting at most
 * wait_ms for the socket (or also_fd, when >= 0) to stir.  -1: the socket failed.
 */
int mux_stream_pump(struct mux_stream *m, int also_fd, int wait_ms);
/*
 * The next whole frame read: 1 with its type, data (inside the stream, valid
 * until the next take or pump) and len; 0 none yet; -1 a frame too long.
 */
int mux_stream_take(struct mux_stream *m, char *type, const char **data, size_t *len);
/* Pump until every frame put is written, at most until deadline (wait_now's clock). */
void mux_stream_flush(struct mux_stream *m, double deadline);

/* The peer of a Unix socket is this user. */
bool mux_peer_is_me(int fd);

#endif
