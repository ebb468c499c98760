/*
 * sftpc.h - a small SFTP (version 3) client over a channel of an
 * authenticated libssh session: what shoal's file transfer needs and no more.
 *
 * Every call waits for its answer under the client's deadline and looks at
 * the cancel flag at least every 50 ms.  On failure a call returns -1 and
 * leaves the cause in the client (sftpc_fail, status, message).
 *
 * The SFTP bytes go over a channel of this process's session, or (a warm
 * run) over a keeper's socket: the keeper opened the channel on its kept
 * session with sftpc_channel_open and relays its bytes as frames (mux.h),
 * so the transfer (transfer.c) and this client are the same either way.
 */
#ifndef SHOAL_SFTPC_H
#define SHOAL_SFTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

#include "alive.h"
#include "buf.h"
#include "mux.h"

/* SFTP status codes (draft-ietf-secsh-filexfer-02, section 7). */
#define SFTPC_FX_OK                0
#define SFTPC_FX_EOF               1
#define SFTPC_FX_NO_SUCH_FILE      2
#define SFTPC_FX_PERMISSION_DENIED 3
#define SFTPC_FX_FAILURE           4
#define SFTPC_FX_OP_UNSUPPORTED    8

/* Attribute flags. */
#define SFTPC_ATTR_SIZE  0x00000001u
#define SFTPC_ATTR_PERM  0x00000004u
#define SFTPC_ATTR_TIMES 0x00000008u

/* Open flags. */
#define SFTPC_READ  0x01u
#define SFTPC_WRITE 0x02u
#define SFTPC_CREAT 0x08u
#define SFTPC_TRUNC 0x10u
#define SFTPC_EXCL  0x20u

enum sftpc_fail {
	SFTPC_OK,
	SFTPC_STATUS,    /* the server answered with an error status */
	SFTPC_TIMEOUT,   /* the deadline passed */
	SFTPC_CANCELLED, /* the run was interrupted */
	SFTPC_LOST,      /* the channel or the connection is gone */
	SFTPC_PROTOCOL,  /* an answer that cannot be read */
	SFTPC_LOCAL,     /* a local file error; sys_errno says which */
};

struct sftpc_attrs {
	uint32_t flags;
	uint64_t size;
	uint32_t perm; /* st_mode bits, file type included */
	uint32_t atime;
	uint32_t mtime;
};

struct sftpc_handle {
	char data[256];
	uint32_t len;
};

struct sftpc_entry {
	char *name;
	struct sftpc_attrs attrs; /* as lstat sees it */
};

/* Where an SFTP client's bytes go. */
struct sftpc_link {
	ssh_session session; /* a channel of it; NULL: relay_fd */
	double alive_interval;
	int alive_count;
	int relay_fd; /* a keeper relaying a channel of its kept session (mux_sftp) */
};

struct sftpc {
	ssh_session session; /* NULL when relayed */
	struct mux_stream relay;
	double relay_heard; /* when the keeper last sent a frame */
	struct alive alive; /* keepalives while waiting on the server */
	bool host_gone;     /* keepalives went unanswered: the host, not SFTP, failed */
	ssh_channel ch;
	double deadline;    /* monotonic seconds */
	bool ignore_cancel; /* cleaning up after a failure */
	struct buf in;      /* bytes received, not yet taken as packets */
	struct buf outq;    /* requests not yet handed to the channel */
	size_t read_size;   /* bytes asked of the channel per read */
	uint32_t next_id;
	bool posix_rename; /* the server has posix-rename@openssh.com */
	bool statvfs;      /* the server has statvfs@openssh.com */

	enum sftpc_fail fail;
	uint32_t status; /* SSH_FX_* when fail is SFTPC_STATUS */
	int sys_errno;   /* when fail is SFTPC_LOCAL */
	char *message;   /* the server's text, or libssh's: escaped, printable */
};

/* Called as data is acknowledged: n more bytes are done. */
typedef void (*sftpc_progress_fn)(void *arg, uint64_t n);

/*
 * Open the "sftp" subsystem over l and agree on version 3.  On a session,
 * keepalives go every alive_interval seconds of silence (0: none) and it is
 * given up after alive_count unanswered; relayed, the keeper does that and
 * a keeper silent for MUX_SILENT_S is given up.  Returns 0 or -1.
 */
int sftpc_start(struct sftpc *s, const struct sftpc_link *l, double deadline);
/* Close the channel (or leave the relay) and free everything. */
void sftpc_end(struct sftpc *s);
/* The host (its connection), not the SFTP server, failed: SPEC 3's `lost`. */
bool sftpc_host_lost(const struct sftpc *s);

/*
 * For the keeper: an "sftp" subsystem channel on session, waited for until
 * deadline; NULL with *why (libssh's words, or a refusal) when it cannot be
 * had.  The session is left blocking with short waits, as the client's
 * own channel runs.
 */
ssh_channel sftpc_channel_open(ssh_session session, double deadline, const char **why);
void sftpc_channel_close(ssh_channel ch);
/*
 * After a failure, run the calls that clean up (close, remove) for at most
 * seconds more, even when the run was cancelled.
 */
void sftpc_grace(struct sftpc *s, double seconds);
/* The last failure in words: "permission denied", "timed out", ... */
const char *sftpc_strerror(const struct sftpc *s);

int sftpc_stat(struct sftpc *s, const char *path, struct sftpc_attrs *a);
/* A symlink's own attributes (its perm has S_IFLNK), not its target's. */
int sftpc_lstat(struct sftpc *s, const char *path, struct sftpc_attrs *a);
int sftpc_realpath(struct sftpc *s, const char *path, char **out);
int sftpc_mkdir(struct sftpc *s, const char *path, uint32_t perm);
int sftpc_setstat(struct sftpc *s, const char *path, const struct sftpc_attrs *a);
int sftpc_remove(struct sftpc *s, const char *path);
/* Rename over an existing file: posix-rename where the server has it. */
int sftpc_rename(struct sftpc *s, const char *from, const char *to);
/*
 * Every entry of a directory but . and .. (free with sftpc_entries_free);
 * on failure, none (*ents NULL, *n 0).
 */
int sftpc_list(struct sftpc *s, const char *path, struct sftpc_entry **ents, size_t *n);
void sftpc_entries_free(struct sftpc_entry *ents, size_t n);
/* Free bytes for an unprivileged user at path, when the server can tell. */
int sftpc_free_space(struct sftpc *s, const char *path, uint64_t *bytes);

int sftpc_open(struct sftpc *s, const char *path, uint32_t flags, const struct sftpc_attrs *a,
        struct sftpc_handle *fh);
int sftpc_close(struct sftpc *s, const struct sftpc_handle *fh);
int sftpc_fstat(struct sftpc *s, const struct sftpc_handle *fh, struct sftpc_attrs *a);
int sftpc_fsetstat(struct sftpc *s, const struct sftpc_handle *fh, const struct sftpc_attrs *a);
/*
 * Send everything local fd holds from its start to the open file, several
 * write requests in flight.  *sent is the number of bytes acknowledged.
 */
int sftpc_upload(struct sftpc *s, const struct sftpc_handle *fh, int fd, uint64_t *sent,
        sftpc_progress_fn progress, void *arg);
/*
 * Fetch the open file into local fd until the server says EOF, several read
 * requests in flight up to size (what stat said: only a hint, procfs says 0
 * and logs grow) and one at a time past it.  *got is the number of bytes
 * written to fd, the file's length as read.
 */
int sftpc_download(struct sftpc *s, const struct sftpc_handle *fh, uint64_t size, int fd,
        uint64_t *got, sftpc_progress_fn progress, void *arg);

#endif
