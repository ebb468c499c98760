/*
 * jump.h - native ProxyJump: one authenticated session per jump host (per
 * hop of a chain, and a few more when one would carry too many targets),
 * shared by every target that goes through it; each target's connection is
 * a direct-tcpip channel of it, given to the target as a socketpair end.
 */
#ifndef SHOAL_JUMP_H
#define SHOAL_JUMP_H

#include <stddef.h>

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
/* End every jump session (after the pool); any thread, once. */
void jump_shutdown(void);

#endif
