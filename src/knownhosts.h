/*
 * knownhosts.h - shoal's own known_hosts reader: host-key trust decided from
 * the lines that name a host, new keys recorded once (see knownhosts.c).
 */
#ifndef SHOAL_KNOWNHOSTS_H
#define SHOAL_KNOWNHOSTS_H

#include <stdbool.h>
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
	char *revoked; /* RevokedHostKeys: a list of public keys, or NULL */
};

/*
 * Fill f from UserKnownHostsFile and GlobalKnownHostsFile values, each of
 * which may name several files separated by blanks; NULL stands for
 * OpenSSH's defaults (~/.ssh/known_hosts and ~/.ssh/known_hosts2;
 * /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2), and "none" for
 * no file (in the lists too).
 */
void kh_files_set(struct kh_files *f, const char *user, const char *global);
/* The same from lists already split and expanded (ssh_config's, sshconf.c). */
void kh_files_set_lists(
        struct kh_files *f, char *const *user, size_t nuser, char *const *global, size_t nglobal);
void kh_files_free(struct kh_files *f);

/*
 * RevokedHostKeys: a file of public keys ("type base64 [comment]" lines, #
 * comments) or a binary KRL (ssh-keygen -k), each key refused as a host
 * key or as the CA of a host certificate, and a KRL's certificates by CA
 * and serial or key ID; NULL or "none": no list.  A file that cannot be
 * read refuses every key, as OpenSSH does.
 */
void kh_files_revoked(struct kh_files *f, const char *path);

enum kh_status {
	KH_UNKNOWN, /* no usable line names the host */
	KH_OK,      /* a line names the host with this key */
	KH_CHANGED, /* lines name the host, none with this key */
	KH_REVOKED, /* an @revoked line naming the host (or RevokedHostKeys) holds this
	               key, or the CA of its certificate */
	KH_BADCERT, /* a host certificate from a CA of the host, which fails a check */
};

/*
 * What the files say of a server key (base64 of its blob, as
 * ssh_pki_export_pubkey_base64 gives it) for host on port (0 or 22: the
 * plain name, else "[host]:port").  A host certificate must name host (in
 * lower case) among its principals.  *where, when not NULL, gets the
 * "file:line" that decided (for KH_BADCERT the @cert-authority line and
 * why the certificate fails; for a revoked CA, the line and ", the
 * certificate's CA"; for the RevokedHostKeys list, "RevokedHostKeys " and
 * file:line or why it cannot be read), or NULL (free it).  Any thread.
 */
enum kh_status kh_check(const struct kh_files *f, const char *host, unsigned int port,
        const char *key_b64, char **where);

/*
 * The line OpenSSH prints to clear a changed key that kh_check found at
 * where ("file:line"): ssh-keygen -f "FILE" -R "NAME", NAME as ssh looks it
 * up ("[host]:port" off port 22).  Free it.
 */
char *kh_remove_command(const char *host, unsigned int port, const char *where);

/*
 * kh_check for a server whose key (key_b64, proved by its session) comes
 * with a certificate fetched apart (hostcert_fetch).  A certificate that
 * does not parse or is for another key (another server behind the same
 * address) is left out: *unused says why (static text, else NULL) and the
 * key is judged alone.
 */
enum kh_status kh_check_cert(const struct kh_files *f, const char *host, unsigned int port,
        const char *key_b64, const unsigned char *cert, size_t clen, char **where,
        const char **unused);

/*
 * accept-new: check again, one caller at a time, and when the key is still
 * unknown append "name type base64" to the first user file (the name as
 * "|1|salt|hash" when hash is set: HashKnownHosts; a certificate's own key,
 * not the certificate).  Returns 1 when it appended, 0 when not needed (*st
 * says why, *where as kh_check), -1 when it could not write (*err says
 * why; free it).
 */
int kh_record(const struct kh_files *f, const char *host, unsigned int port, const char *key_b64,
        bool hash, enum kh_status *st, char **where, char **err);

/*
 * A memfd holding the usable lines that name host, rewritten in the plain
 * form libssh parses, so that libssh's key exchange prefers the key types
 * known for it; -1 when no such line.  The lines are named as_host and
 * as_port, the name libssh looks up (NULL: host and port; differs under
 * HostKeyAlias).  *ca is set when an @cert-authority line names host
 * (libssh must then ask for certificates).  Any thread.
 */
int kh_session_fd(const struct kh_files *f, const char *host, unsigned int port,
        const char *as_host, unsigned int as_port, bool *ca);

/* Forget every file read (after the run). */
void kh_free(void);

/* SHA-1 and HMAC-SHA1, for the unit test. */
void kh_sha1(const void *data, size_t n, unsigned char out[20]);
void kh_hmac_sha1(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[20]);

#endif
