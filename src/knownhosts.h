/*
 * knownhosts.h - shoal's own known_hosts reader: host-key trust decided from
 * the lines that name a host, new keys recorded once (see knownhosts.c).
 */
#ifndef SHOAL_KNOWNHOSTS_H
#define SHOAL_KNOWNHOSTS_H

#include <stddef.h>

/*
 * The known_hosts files of one session, as ssh_config names them (~, %d and
 * %% expanded when read): user files first (accept-new appends to the first
 * of them), then global ones.
 */
struct kh_files {
	char **user;
	size_t nuser;
	char **global;
	size_t nglobal;
};

/*
 * Fill f from UserKnownHostsFile and GlobalKnownHostsFile values, each of
 * which may name several files separated by blanks; NULL stands for
 * OpenSSH's defaults (~/.ssh/known_hosts and ~/.ssh/known_hosts2;
 * /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2).
 */
void kh_files_set(struct kh_files *f, const char *user, const char *global);
/* The same from lists already split and expanded (ssh_config's, sshconf.c). */
void kh_files_set_lists(
        struct kh_files *f, char *const *user, size_t nuser, char *const *global, size_t nglobal);
void kh_files_free(struct kh_files *f);

enum kh_status {
	KH_UNKNOWN, /* no usable line names the host */
	KH_OK,      /* a line names the host with this key */
	KH_CHANGED, /* lines name the host, none with this key */
	KH_REVOKED, /* an @revoked line naming the host holds this key */
};

/*
 * What the files say of a server key (base64 of its blob, as
 * ssh_pki_export_pubkey_base64 gives it) for host on port (0 or 22: the
 * plain name, else "[host]:port").  *where, when not NULL, gets the
 * "file:line" that decided, or NULL (free it).  Any thread.
 */
enum kh_status kh_check(const struct kh_files *f, const char *host, unsigned int port,
        const char *key_b64, char **where);

/*
 * accept-new: check again, one caller at a time, and when the key is still
 * unknown append "name type base64" to the first user file.  Returns 1 when
 * it appended, 0 when not needed (*st says why: OK, CHANGED or REVOKED,
 * *where as kh_check), -1 when it could not write (*err says why; free it).
 */
int kh_record(const struct kh_files *f, const char *host, unsigned int port, const char *key_b64,
        enum kh_status *st, char **where, char **err);

/*
 * A memfd holding the usable lines that name host, rewritten in the plain
 * form libssh parses, so that libssh's key exchange prefers the key types
 * known for it; -1 when no line names it.  Any thread.
 */
int kh_session_fd(const struct kh_files *f, const char *host, unsigned int port);

/* Forget every file read (after the run). */
void kh_free(void);

/* SHA-1 and HMAC-SHA1, for the unit test. */
void kh_sha1(const void *data, size_t n, unsigned char out[20]);
void kh_hmac_sha1(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[20]);

#endif
