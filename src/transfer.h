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

/*
 * The local side of a download: DEST_DIR/HOST and what is written below it,
 * for --rcopy's own transfer and for the files a gateway sends up (tree
 * mode): one home for the rules.  Paths below the host's folder are
 * relative, one plain part each (no "", "." or ".." part, no leading "/");
 * every directory on the way is opened from the host's folder without
 * following a link, and a file is written under a temporary name beside its
 * final one and renamed over it only once whole.  Failures return -1 with
 * errno set.
 */
struct transfer_local {
	struct host *h; /* whose folder it is */
	char *path;     /* DEST_DIR/HOST, for messages */
	int fd;         /* the folder, opened without following a link; -1: none */
};

/* A file being written: its directory, the temporary and the final name. */
struct transfer_file {
	const struct transfer_local *l;
	char *rel; /* below the host's folder */
	int dirfd;
	int fd; /* the temporary, open for writing */
	char *tmp;
	char *name;
	bool made; /* the temporary exists: removed unless renamed */
};
#define TRANSFER_FILE_INIT                                                                         \
	{                                                                                          \
		.dirfd = -1, .fd = -1                                                              \
	}

/* Whether rel is a relative path of plain parts ("a/b": no "", ".", ".."). */
bool transfer_rel_ok(const char *rel);
/* Make DEST_DIR/HOST (host_file_name of h's name) if need be, and open it. */
int transfer_local_open(struct transfer_local *l, const char *dest, struct host *h);
/* Close it; a host that failed leaves no folder when it holds nothing. */
void transfer_local_close(struct transfer_local *l, bool failed);
/* Make the directory rel (owner rights only until sealed), or take the one there. */
int transfer_local_mkdir(const struct transfer_local *l, const char *rel);
/* Once its contents are in: directory rel gets its mode and, when times is not NULL,
 * its access and modification times (times[0], times[1]). */
void transfer_local_seal(
        const struct transfer_local *l, const char *rel, uint32_t mode, const uint32_t *times);
/* Start writing file rel: its temporary, made new (never through a link). */
int transfer_file_create(const struct transfer_local *l, const char *rel, struct transfer_file *f);
/*
 * A whole file: its mode (when mode is not NULL) and times (when times is
 * not NULL) set, then renamed over rel.  On failure the temporary is removed
 * and *what says which step failed ("cannot rename into place").  On a
 * gateway, the file of a target of its own then goes up to the root at once
 * (event_file_whole), the pull going on after it.
 */
int transfer_file_commit(
        struct transfer_file *f, const uint32_t *mode, const uint32_t *times, const char **what);
/* Give up a file: its temporary removed.  Harmless on one committed or never made. */
void transfer_file_abort(struct transfer_file *f);

/*
 * Tree mode's root (and a gateway with gateways below it): the files of one
 * target that a gateway sends up as events, written with the rules above
 * into p's DEST_DIR/HOST (h's progress is the gateway's pull's, from its
 * own frames).  Each call returns 0, or -1 for a frame that breaks the
 * gateway's stream (a path that is not relative and plain, bytes with no
 * file open).  A local failure (a full disk) does not: the rest of the
 * host's files are let go, and transfer_in_end gives the failure the host
 * ends with.
 */
struct transfer_in;
struct transfer_in *transfer_in_new(const struct transfer_plan *p, struct host *h);
int transfer_in_dir(struct transfer_in *t, const char *rel);
int transfer_in_file(struct transfer_in *t, const char *rel, uint64_t size);
int transfer_in_data(struct transfer_in *t, const char *p, size_t n);
/* The file's last bytes came: mode, times (NULL: none sent) and the rename. */
int transfer_in_close(struct transfer_in *t, uint32_t mode, const uint32_t *times);
int transfer_in_seal(struct transfer_in *t, const char *rel, uint32_t mode, const uint32_t *times);
/*
 * The target ended (failed: without its result, or with a failure): a file
 * cut short is removed, as a broken download's is, and the host's folder too
 * when it failed and holds nothing.  Returns the local failure that fails the
 * host (malloc'd, printable), or NULL; t is freed.
 */
char *transfer_in_end(struct transfer_in *t, bool failed);

#endif
