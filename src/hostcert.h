/*
 * hostcert.h - OpenSSH host certificates (PROTOCOL.certkeys): parsed from
 * the blob a server presents and checked against a CA key (see hostcert.c).
 */
#ifndef SHOAL_HOSTCERT_H
#define SHOAL_HOSTCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A certificate, parsed.  The pointers point into the blob given to
 * hostcert_parse, which must outlive it, except plain (owned).
 */
struct hostcert {
	const unsigned char *blob; /* the whole certificate */
	size_t len;
	size_t signed_len;    /* the bytes the CA signed: the blob up to the signature */
	unsigned char *plain; /* the host's own key, as a plain key blob */
	size_t plain_len;
	uint32_t kind; /* 1 user, 2 host */
	uint64_t serial;
	const unsigned char *key_id;
	size_t key_id_len;
	const unsigned char *principals; /* packed SSH strings */
	size_t principals_len;
	uint64_t valid_after, valid_before;
	size_t ncritical;        /* critical options */
	const unsigned char *ca; /* the signature key: the CA's plain key blob */
	size_t ca_len;
	const unsigned char *sig; /* the signature (string algorithm, string bytes) */
	size_t sig_len;
};

/* Does this key blob hold a certificate (its type ends in -cert-v01@openssh.com)? */
bool hostcert_is_cert(const unsigned char *blob, size_t len);

/*
 * Parse a certificate blob (ed25519, RSA or ECDSA keys).  0, or -1 with *why
 * (static text) saying what is wrong.  hostcert_free frees what it took.
 */
int hostcert_parse(const unsigned char *blob, size_t len, struct hostcert *c, const char **why);
void hostcert_free(struct hostcert *c);

/*
 * Check c as OpenSSH checks a host certificate: a host certificate, name
 * among its principals (an empty list is refused, unlike OpenSSH), now
 * within its validity, no critical option (none is defined for hosts), and
 * signed by its signature key (ed25519, RSA with SHA-2, ECDSA).  That the
 * signature key is a CA the host trusts is the caller's business.  0, or -1
 * with *why (free it).
 */
int hostcert_check(const struct hostcert *c, const char *name, uint64_t now, char **why);

/*
 * Does the KRL (PROTOCOL.krl, as ssh-keygen -k writes it; n bytes) revoke
 * the plain key blob key, or, when c is not NULL, the certificate c (by
 * its CA and serial or key ID)?  1 revoked, 0 not, -1 with *why: not a KRL
 * shoal can read (its signature sections are not checked, as OpenSSH's
 * client does not either).
 */
int hostcert_krl_revoked(const unsigned char *krl, size_t n, const unsigned char *key, size_t klen,
        const struct hostcert *c, const char **why);

/*
 * Ask the server at addr for its host certificate for its keytype key (a
 * plain type, "ssh-ed25519"...), over a connection of its own that goes no
 * further than the server's key exchange reply, within timeout seconds
 * (and the cancel flag).  Nothing in it is verified: the caller checks the
 * certificate is for the key its own session proved.  0 with *blob (free
 * it), or -1 with *why (free it).
 */
int hostcert_fetch(const struct sockaddr *addr, socklen_t alen, const char *keytype, double timeout,
        unsigned char **blob, size_t *len, char **why);

#endif
