/*
 * tree.h - tree mode: the hosts reached through gateways that run shoal.
 *
 * The root connects to each gateway as to any host (pool.c, connect.c,
 * exec.c: deadlines, retries, host keys, ProxyJump), runs
 * `shoal --gateway-serve N` there, writes it the job on stdin and replays
 * the events it streams back (event.c) into the targets.
 */
#ifndef SHOAL_TREE_H
#define SHOAL_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "hostlist.h"
#include "options.h"
#include "pool.h"

/* ---- the gateway's side ---- */

struct stage_dir;

/* A job as a gateway reads it from stdin. */
struct tree_job {
	int argc; /* the options the root passed, as a command line */
	char **argv;
	struct hostlist hosts; /* this gateway's share of the targets */
	size_t *root_index;    /* hosts.v[i] is target root_index[i] of the root */
	size_t *list_index;    /* and host list_index[i] of the operator's list (%i) */
	struct buf in;         /* stdin for -I */
	char *password;        /* the root's (--ask-password, --password-env), or NULL */
	/* --copy: the root's files, staged here once for every target (then removed) */
	char *stage; /* the private directory, or NULL */
	char **copy; /* the words after --copy: the staged SRCs, then DEST */
	size_t ncopy;
	struct stage_dir *dirs; /* their modes and times, set once their files are in */
	size_t ndirs;
};

/*
 * Whether argv asks for the gateway mode: shoal --gateway-serve N [OPTION...],
 * the options the gateway's own (they come before the root's, which win).
 */
bool tree_serve_wanted(int argc, char **argv);
/*
 * Read the job on stdin (argv[2] says which share is this gateway's) and
 * start the event stream on stdout.  Returns 0, or 2 after a message (a
 * version that differs from the root's, a job that does not parse).
 */
int tree_job_read(struct tree_job *job, char **argv);
void tree_job_free(struct tree_job *job);
/* The job's password, now the caller's (free with password_free); NULL: none. */
char *tree_job_password(struct tree_job *job);

/* ---- the root's side ---- */

/* Whether the options ask for tree mode (--gateways or --topology). */
bool tree_wanted(const struct options *o);
/*
 * Decide each target's gateways (--gateways, or the --topology file) and
 * check what tree mode does not do; before anything runs.  Returns 0, or 2
 * after a message.
 */
int tree_plan(const struct options *o, const struct hostlist *targets);
/* Run the targets of p through their gateways, to their final states. */
void tree_run(const struct pool_params *p);
/* The same on a thread of its own (the live view has the main thread); tree_wait joins it. */
void tree_start(const struct pool_params *p);
void tree_wait(void);
/*
 * The live view's `r`: the hosts of hosts[] that failed before their
 * command started go through their gateways again (the gateways that
 * failed get another chance).  `:`: command runs on the hosts of hosts[]
 * that are done (ok or failed), through their gateways, as a new run.
 * Both return how many hosts go, or -1 while the gateways still run (the
 * tree thread takes a request only between runs).
 */
long tree_retry(struct host **hosts, size_t n);
long tree_command(struct host **hosts, size_t n, const char *command);
/*
 * For the live view's header: each gateway of the round in flight, its state
 * and its hosts still going ("gw1: up, 3 hosts · gw2: connecting, 4 hosts");
 * nothing out of tree mode.
 */
void tree_status(struct buf *b);
void tree_free(void);

#endif
