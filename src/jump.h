/*
 * jump.h - native ProxyJump: one authenticated session per jump host (per
 * hop of a chain, and a few more when one would carry too many targets),
 * shared by every target that goes through it; each target's connection is
 * a direct-tcpip channel of it, given to the target as a socketpair end.
 */
#ifndef SHOAL_JUMP_H
#define SHOAL_JUMP_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "connect.h"

/* Channels one jump session carries before another session is opened. */
#ifndef JUMP_CHANNELS_PER_SESSION
#define JUMP_CHANNELS_PER_SESSION 32
#endif

struct jump_link;

/*
 * A channel to host:port through the last hop of chain ("a,b,user@c:2222",
 * ProxyJump's syntax), each hop connected once (connect_host, retries and
 * all) and shared.  Waits for a hop being connected by another target;
 * then timeout seconds for the channel.  Returns 0 with *fd (the target's
 * end, non-blocking) and *link, or -1 with out filled: a hop's failure
 * names the hop ("via bastion1: ...") and has its kind.
 */
int jump_open(const char *chain, const char *host, int port, const struct connect_params *p,
        double timeout, int *fd, struct jump_link **link, struct outcome *out);
/* The target is done with its channel (its fd is already closed or not). */
void jump_close(struct jump_link *link);
/*
 * When the session under link died: "bastion1: no answer to 3 keepalives
 * in 45 s"; else NULL.  Valid until jump_close.
 */
const char *jump_link_dead(struct jump_link *link);
/* The hops of a run, for the live view: "bastion1 up (1 session, 12 channels), 3 waiting". */
void jump_status(struct buf *b);
/*
 * End every jump session (after the pool); any thread, once.  A session
 * that carries a link given to jump_keep is parked instead: its relay
 * stops, the session and the kept links stay for keeper_start's fork.
 */
void jump_shutdown(void);
/* l's target session goes to the keeper: l and the hops under it are parked, not closed. */
void jump_keep(struct jump_link *l);
/*
 * "TYPE BASE64 CERT HOPKEY" a line per hop under l, the last hop first
 * (CERT: the host certificate judged, base64, or "-"); malloc'd.
 */
char *jump_link_hops(struct jump_link *l);
/* The descriptors the parked sessions need (the keeper keeps them open); malloc'd. */
size_t jump_parked_fds(int **fds);
/* In the keeper: a relay for each parked session; each ends with its last link. */
void jump_resume(void);
/* The parked sessions let go (say_bye false: not a byte sent, the keeper has them). */
void jump_forget(bool say_bye);
/*
 * Each hop of chain (ProxyJump's syntax) as it is resolved now (-G's lines):
 * a kept session's key (mux_key) covers its jump hosts' settings too.
 */
void jump_print_chain(FILE *fp, const char *chain, const struct options *o);
/*
 * The trust decision for a kept hop (HOPKEY as jump_link_hops gives it),
 * under the hop's settings and files now.  Returns 0, or -1 with out filled.
 */
int jump_trust_kept(const char *hop_key, const struct options *o, const char *key_type,
        const char *key_b64, const char *cert64, struct outcome *out);

#endif
