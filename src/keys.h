/*
 * keys.h - identity files and certificates read once per run and shared by
 * every session, instead of libssh reading each key file again per host.
 */
#ifndef SHOAL_KEYS_H
#define SHOAL_KEYS_H

#include <libssh/libssh.h>
#include <stdbool.h>

enum keys_state {
	KEYS_LOADED,     /* the private key is read: it can sign */
	KEYS_ENCRYPTED,  /* needs a passphrase shoal never asks for */
	KEYS_MISSING,    /* no such file (KEY.pub may still be there) */
	KEYS_UNREADABLE, /* there, but not a key libssh can read */
	KEYS_PUBLIC,     /* a public key (IdentityFile KEY.pub): signs only in the agent */
};

/* One identity file.  Everything stays valid and unchanged until keys_free. */
struct keys_file {
	char *path;
	enum keys_state state;
	ssh_key priv; /* KEYS_LOADED: the private key, else NULL */
	char *pub64;  /* the public key blob in base64 (from the key or KEY.pub), or NULL */
	bool warned;  /* keys_warn_missing said it (keys.c's, under its lock) */
	char *why;    /* KEYS_UNREADABLE: what is wrong ("cannot read it: Permission denied") */
};

/* One certificate file (CertificateFile, or KEY-cert.pub beside a key). */
struct keys_cert {
	char *path;
	ssh_key cert; /* the certificate, public; NULL: missing or unreadable */
	char *cert64; /* its blob in base64, or NULL */
};

/* The identity file at path, read on first use.  Any thread. */
const struct keys_file *keys_file(const char *path);
/*
 * A user-given identity file (-i, IdentityFile) that is not there: warned
 * about on stderr as ssh does ("no such identity"), once per run whatever
 * the hosts, naming the first host (alias) that wanted it.  Any thread.
 */
void keys_warn_missing(const struct keys_file *kf, const char *alias);
/* The certificate at path, read on first use.  Any thread. */
const struct keys_cert *keys_cert(const char *path);
/*
 * Does the certificate kc certify the public key pub64 (both as above)?
 */
bool keys_certifies(const struct keys_cert *kc, const char *pub64);
/*
 * The private key of kf with the certificate kc attached, made on first use
 * (kf loaded, and keys_certifies true); NULL when that cannot be made.
 */
ssh_key keys_with_cert(const struct keys_file *kf, const struct keys_cert *kc);
/* The base64 of a public key or certificate blob, or NULL (free it). */
char *keys_blob64(const ssh_key key);
void keys_free(void);

#endif
