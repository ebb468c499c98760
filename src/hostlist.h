/*
 * hostlist.h - host expressions: parsing, expansion, files, exclusion,
 * PCRE2 filters, and folding names back into ranges (SPEC section 2).
 *
 * Ownership: a hostlist owns every string of its hostspecs; hostlist_free
 * frees them.  Error messages are returned malloc'd through *errp and belong
 * to the caller.  The functions are not thread-safe; shoal builds its list
 * once, before any thread starts.
 */
#ifndef SHOAL_HOSTLIST_H
#define SHOAL_HOSTLIST_H

#include <stddef.h>

/* More hosts than this from one expression is an error. */
#define HOSTLIST_MAX_EXPANSION 1000000

struct hostspec {
	char *alias; /* name as written after expansion: "web01", "2001:db8::1" */
	char *user;  /* from "user@", or NULL */
	int port;    /* from ":port", or 0 */
	char *addr;  /* where an inventory says it is (ansible_host), or NULL */
};

struct hostlist {
	struct hostspec *v;
	size_t n;
	/* private */
	size_t cap;
	size_t *slots; /* open-addressing set of index + 1, for duplicates */
	size_t nslots;
};

void hostlist_init(struct hostlist *hl);
void hostlist_free(struct hostlist *hl);
/*
 * Append the hosts of a comma-separated expression, in order, dropping any
 * already present (same user, alias and port).  where names the place in
 * messages: "-w", "-x", "hosts.txt:12".  Returns 0, or -1 with *errp set
 * (e.g. "hosts.txt:12: unterminated range in 'web[01-'"); nothing is
 * appended on error.
 */
int hostlist_add_expr(struct hostlist *hl, const char *expr, const char *where, char **errp);
/* Append one host as given, no expression (alias is the list's from now on; addr an inventory's
 * address or NULL); no duplicate. */
void hostlist_push(struct hostlist *hl, char *alias, const char *user, int port, const char *addr);
/*
 * Expands the item @NAME of an expression into into (hosts appended as by
 * hostlist_add_expr); where names the place of the item.  Returns 0, or -1
 * with *errp set.
 */
typedef int (*hostlist_group_fn)(
        struct hostlist *into, const char *name, const char *where, char **errp);
/* From now on an item @NAME is fn's group NAME (groups.c); unset, '@' is a user's. */
void hostlist_set_groups(hostlist_group_fn fn);
/*
 * What an inventory says of a host (groups.c): fills *user, *port, *addr
 * where they are NULL or 0 and it knows the host alias.
 */
typedef void (*hostlist_vars_fn)(
        const char *alias, const char **user, int *port, const char **addr);
/* From now on every host appended gets fn's values where it has none of its own. */
void hostlist_set_vars(hostlist_vars_fn fn);
/* The index + 1 of the entry (alias, user, port), or 0: by the list's hash. */
size_t hostlist_find(const struct hostlist *hl, const char *alias, const char *user, int port);
/* Append one host as it is (its name already checked), unless present. */
void hostlist_add_spec(struct hostlist *hl, const struct hostspec *h);
/*
 * Append the hosts of one name in an Ansible inventory's syntax (ranges
 * [01:50], [a:f], [1:9:2]; no commas, no '@'), each with this user, port
 * and address (NULL, 0: none).  Returns 0, or -1 with *errp set.
 */
int hostlist_add_ansible(struct hostlist *hl, const char *name, const char *user, int port,
        const char *addr, const char *where, char **errp);
/* One expression a line; '#' starts a comment; "-" is stdin.  A UTF-8 byte
 * order mark opening the file is skipped. */
int hostlist_add_file(struct hostlist *hl, const char *path, char **errp);
/* Drop the hosts matching ex: by alias, and by user and port where ex gives
 * them. */
void hostlist_exclude(struct hostlist *hl, const struct hostlist *ex);
/* Keep (keep != 0) or drop the hosts whose alias matches a PCRE2 pattern. */
int hostlist_filter(
        struct hostlist *hl, const char *pattern, int keep, const char *optname, char **errp);
/*
 * Fold [user@]name[:port] strings into range notation, as nodeset -f does:
 * web01..web05,web07,db1 -> "web[01-05,07],db1"; web01.dc1,web02.dc1 ->
 * "web[01-02].dc1"; u@n1,u@n2:2222 stay apart.  Every numeric field folds,
 * the last first; each number keeps its padding; expanding the result gives
 * exactly the names.  Groups keep the order of their first name.
 */
char *hostlist_fold(const char *const *names, size_t n);

#endif
