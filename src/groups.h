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

#include <stdbool.h>
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

/*
 * Inventories (inventory.c) feed their groups here.  source names the
 * inventory's source ("ansible", a ClusterShell source); unqualified: @NAME
 * alone finds its groups, else only @SOURCE:NAME does.
 */
struct grp;
/* The source's group NAME, made empty on its first mention; where: its file:line. */
struct grp *groups_define(
        const char *source, bool unqualified, const char *name, const char *where);
/* Add a host with its vars (user, port, address) to a group of groups_define. */
void groups_put_host(struct grp *g, const struct hostspec *h);
/* A group as a host expression (ClusterShell's static groups); defined twice is an error. */
int groups_put_expr(const char *source, bool unqualified, const char *name, const char *expr,
        const char *where, char **errp);
/*
 * A ClusterShell upcall source: a group is map's output with $GROUP set,
 * list names them; both run in cwd (NULL: shoal's).
 */
void groups_put_upcall(const char *source, bool unqualified, const char *map, const char *list,
        const char *cwd, const char *where);
/* s with $NAME and ${NAME} replaced by value, as ClusterShell's upcalls are (malloc'd). */
char *groups_subst(const char *s, const char *name, const char *value);
/* hostlist_vars_fn: an inventory's user, port and address for a host it names. */
void groups_host_vars(const char *alias, const char **user, int *port, const char **addr);
void groups_free(void);

#endif
