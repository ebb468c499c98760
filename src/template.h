/*
 * template.h - --template: per-host tokens in COMMAND and in the remote paths
 * of --copy and --rcopy.  Without --template nothing calls these: a `%` in a
 * command (date +%F) is never touched.
 */
#ifndef SHOAL_TEMPLATE_H
#define SHOAL_TEMPLATE_H

#include <stddef.h>

#include "host.h"

/*
 * Whether s holds only known tokens: returns NULL, or a pointer to the first
 * `%` that starts no token (`%x`, or a lone `%` at the end).
 */
const char *template_check(const char *s);
/*
 * s with %h (the host as written), %H (its HostName: hostname, else the
 * alias), %u (the login user), %p (the login port), %i (its index in the host
 * list, from 0) and %% replaced; malloc'd.  s passed template_check.
 */
char *template_expand(const char *s, const struct host *h, const char *hostname);

#endif
