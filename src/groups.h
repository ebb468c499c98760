/*
 * groups.h - named host groups (SPEC section 2): the item @NAME and -g NAME.
 *
 * Groups are read from ~/.config/shoal/groups, then /etc/shoal/groups (the
 * first file that defines a name wins), the first time one is needed, one
 * `NAME: EXPRESSION` a line.  An expression may name other groups; a value
 * `!COMMAND` takes the group's hosts from the command's output (a dynamic
 * inventory), run once per run under a deadline.
 *
 * Single-threaded: used while the host list is built, before threads start.
 */
#ifndef SHOAL_GROUPS_H
#define SHOAL_GROUPS_H

#include <stdio.h>

#include "hostlist.h"

/* The deadline for a !COMMAND group, seconds (--group-timeout). */
void groups_set_timeout(double seconds);
/* hostlist_group_fn: append the hosts of group name to into. */
int groups_expand(struct hostlist *into, const char *name, const char *where, char **errp);
/*
 * --list-groups: every group, in the order of the files, as `NAME: HOSTS`
 * with the hosts folded.  Returns 0, or -1 with *errp set.
 */
int groups_list(FILE *fp, char **errp);
void groups_free(void);

#endif
