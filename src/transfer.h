/*
 * transfer.h - the running phase of --copy and --rcopy: files to or from an
 * authenticated session over SFTP, in place of a command.
 *
 * The plan (what to upload, built once from the local files before any
 * thread starts) is shared read-only by every worker.
 */
#ifndef SHOAL_TRANSFER_H
#define SHOAL_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connect.h"
#include "host.h"
#include "options.h"
#include "sftpc.h"

/* One local file or directory to upload, a directory before what it holds. */
struct transfer_item {
	char *local; /* the local path */
	char *rel;   /* below its SRC: "" for the SRC itself, else "a/b" */
	size_t src;  /* which SRC it belongs to */
	bool is_dir;
	uint32_t mode; /* permission bits */
	uint64_t size;
	uint32_t atime;
	uint32_t mtime;
};

struct transfer_plan {
	enum xfer_mode mode;
	bool recursive;
	bool preserve;
	double timeout;   /* --command-timeout; 0: none */
	const char *dest; /* --copy: remote DEST; --rcopy: local DEST_DIR */
	const char *rsrc; /* --rcopy: the remote SRC */
	size_t nsrcs;     /* --copy */
	char **src_names; /* --copy: the last part of each SRC */
	struct transfer_item *items;
	size_t nitems;
	uint64_t total; /* --copy: bytes to send to each host */
};

/*
 * Build the plan from the options: walk the local SRCs (--copy), make
 * DEST_DIR (--rcopy).  Returns 0, or 2 with a message on stderr.
 */
int transfer_plan_build(struct transfer_plan *p, const struct options *o);
void transfer_plan_free(struct transfer_plan *p);

/*
 * Carry out the plan on one host, over l (a channel of its session, or a
 * keeper's relay of one: the same transfer either way).  Returns 0 when every file arrived whole
 * under its final name, -1 with out set (kind transfer, or cancelled).  A
 * file is written under a temporary name in its directory and renamed only
 * once whole; a failed or interrupted file's temporary is removed.
 */
int transfer_run(const struct sftpc_link *l, struct host *h, const struct transfer_plan *p,
        struct outcome *out);

#endif
