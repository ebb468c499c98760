/*
 * keeper.h - warm runs (--persist): the sessions a run authenticated are
 * kept open by a daemon forked at the end of the run, which serves later
 * runs' commands over them through a Unix socket (the client side is mux.c).
 */
#ifndef SHOAL_KEEPER_H
#define SHOAL_KEEPER_H

#include <stdbool.h>

#include "connect.h"
#include "host.h"
#include "options.h"

/*
 * Take c's authenticated session for the keeper (workers call it after a
 * command ran) for --persist's duration, else again's (> 0: it replaces a
 * kept session that died, see mux_run), else ssh_config's ControlPersist; c
 * is left released.  Returns false (c untouched) when it is not kept.
 */
bool keeper_hold(struct conn *c, struct host *h, const struct options *o, double again);
/*
 * After the run, with every worker gone and the password wiped: fork the
 * keeper with the held sessions (for o->persist seconds of idleness each),
 * and let this process forget them without a word to the servers.
 */
void keeper_start(const struct options *o);

#endif
