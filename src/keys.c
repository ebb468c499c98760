/*
 * keys.c - identity files and certificates read once per run and shared by
 * every session.
 *
 * libssh's ssh_userauth_publickey_auto reads and decodes each identity file
 * again for every session, and with OpenSSL 3 importing a private key costs
 * about as much as a signature (the public half is derived again): a fifth
 * of shoal's CPU per host.  So each identity file is read here once, on the
 * first session that names it, and kept: its private key when it has no
 * passphrase, else its public half from KEY.pub (enough to find the key in
 * an agent).  A passphrase is never asked for.  Certificates are read once
 * too, and a private key with a certificate attached is made once per pair.
 *
 * Threads: one mutex guards the tables; entries are never changed or freed
 * before keys_free, so pointers handed out stay valid without the lock.
 * ssh_key objects are only read after loading (signing takes a new OpenSSL
 * context each time), so sessions on different threads share them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "xmalloc.h"

struct pair {
	const struct keys_file *kf;
	const struct keys_cert *kc;
	ssh_key priv; /* kf's private key with kc attached */
};

static struct {
	pthread_mutex_t lock;
	struct keys_file **files;
	size_t nfiles;
	struct keys_cert **certs;
	size_t ncerts;
	struct pair *pairs;
	size_t npairs;
} keys = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Never let an encrypted key prompt: note that a passphrase was wanted. */
static int
no_passphrase(const char *prompt, char *buf, size_t len, int echo, int verify, void *userdata)
{
	*(bool *)userdata = true;
	return -1;
}

char *
keys_blob64(const ssh_key key)
{
	char *b64 = NULL, *res;

	if (key == NULL || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || b64 == NULL)
		return NULL;
	res = xstrdup(b64);
	ssh_string_free_char(b64);
	return res;
}

/*
 * Why libssh could not take the file: the system's reason when the bytes
 * cannot be read (permissions, a directory), else their content.
 */
static char *
unreadable_why(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd >= 0 && read(fd, &c, 1) >= 0) {
		close(fd);
		return xstrdup("not a private key libssh can read");
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	return xasprintf("cannot read it: %s", strerror(err));
}

static struct keys_file *
file_read(const char *path)
{
	struct keys_file *kf = xcalloc(1, sizeof *kf);
	bool asked = false;
	ssh_key pub = NULL;
	char *pubpath;

	kf->path = xstrdup(path);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		kf->state = KEYS_MISSING; /* KEY.pub alone still finds it in an agent */
	} else if (ssh_pki_import_privkey_file(path, NULL, no_passphrase, &asked, &kf->priv) ==
	           SSH_OK) {
		kf->state = KEYS_LOADED;
		kf->pub64 = keys_blob64(kf->priv);
		return kf;
	} else if (!asked && ssh_pki_import_pubkey_file(path, &pub) == SSH_OK) {
		/* KEY.pub named as the identity: it selects that key from the agent, as in ssh
		 * (the 1Password, Secretive and YubiKey set-ups hold no private key on disk) */
		kf->priv = NULL;
		kf->state = KEYS_PUBLIC;
		kf->pub64 = keys_blob64(pub);
		ssh_key_free(pub);
		return kf;
	} else {
		kf->priv = NULL;
		kf->state = asked ? KEYS_ENCRYPTED : KEYS_UNREADABLE;
		if (!asked)
			kf->why = unreadable_why(path);
	}
	pubpath = xasprintf("%s.pub", path);
	if (ssh_pki_import_pubkey_file(pubpath, &pub) == SSH_OK) {
		kf->pub64 = keys_blob64(pub);
		ssh_key_free(pub);
	}
	free(pubpath);
	return kf;
}

const struct keys_file *
keys_file(const char *path)
{
	struct keys_file *kf = NULL;
	size_t i;

	pthread_mutex_lock(&keys.lock);
	for (i = 0; i < keys.nfiles; i++) {
		if (strcmp(keys.files[i]->path, path) == 0) {
			kf = keys.files[i];
			break;
		}
	}
	if (kf == NULL) {
		kf = file_read(path);
		keys.files = xreallocarray(keys.files, keys.nfiles + 1, sizeof *keys.files);
		keys.files[keys.nfiles++] = kf;
		log_msg(LOG_DEBUG, "identity %s: %s, read once", path,
		        kf->state == KEYS_LOADED      ? "loaded"
		        : kf->state == KEYS_ENCRYPTED ? "encrypted"
		        : kf->state == KEYS_MISSING   ? "missing"
		        : kf->state == KEYS_PUBLIC    ? "a public key, for the agent"
		                                      : "unreadable");
	}
	pthread_mutex_unlock(&keys.lock);
	return kf;
}

void
keys_warn_missing(const struct keys_file *kf, const char *alias)
{
	size_t i;
	bool first = false;

	pthread_mutex_lock(&keys.lock);
	for (i = 0; i < keys.nfiles; i++) {
		if (keys.files[i] == kf && !keys.files[i]->warned) {
			keys.files[i]->warned = true;
			first = true;
		}
	}
	pthread_mutex_unlock(&keys.lock);
	if (first)
		log_msg(LOG_NORMAL, "%s: auth: no such identity: %s: %s", alias, kf->path,
		        strerror(ENOENT));
}

const struct keys_cert *
keys_cert(const char *path)
{
	struct keys_cert *kc = NULL;
	size_t i;

	pthread_mutex_lock(&keys.lock);
	for (i = 0; i < keys.ncerts; i++) {
		if (strcmp(keys.certs[i]->path, path) == 0) {
			kc = keys.certs[i];
			break;
		}
	}
	if (kc == NULL) {
		kc = xcalloc(1, sizeof *kc);
		kc->path = xstrdup(path);
		if (access(path, F_OK) == 0 && ssh_pki_import_cert_file(path, &kc->cert) == SSH_OK)
			kc->cert64 = keys_blob64(kc->cert);
		else
			kc->cert = NULL;
		keys.certs = xreallocarray(keys.certs, keys.ncerts + 1, sizeof *keys.certs);
		keys.certs[keys.ncerts++] = kc;
	}
	pthread_mutex_unlock(&keys.lock);
	return kc;
}

static int
b64_value(char c)
{
	static const char digits[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Decode base64 into out (malloc'd); returns the length, or -1. */
static long
b64_decode(const char *s, unsigned char **out)
{
	size_t n = strlen(s), len = 0;
	unsigned char *p = xmalloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0, v;

	for (; *s != '\0' && *s != '='; s++) {
		if ((v = b64_value(*s)) < 0) {
			free(p);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[len++] = (unsigned char)(acc >> bits);
		}
	}
	*out = p;
	return (long)len;
}

/* Skip one SSH string at *off of a blob; false past its end. */
static bool
skip_string(const unsigned char *b, size_t n, size_t *off)
{
	uint32_t len;

	if (n - *off < 4)
		return false;
	len = (uint32_t)b[*off] << 24 | (uint32_t)b[*off + 1] << 16 | (uint32_t)b[*off + 2] << 8 |
	      b[*off + 3];
	if (n - *off - 4 < len)
		return false;
	*off += 4 + len;
	return true;
}

/*
 * A certificate blob is its type, a nonce, then the fields of the public key
 * it certifies exactly as a plain key blob has them after its type
 * (PROTOCOL.certkeys): so the key's fields must start the certificate's.
 */
bool
keys_certifies(const struct keys_cert *kc, const char *pub64)
{
	unsigned char *c = NULL, *k = NULL;
	long cn, kn;
	size_t coff = 0, koff = 0;
	bool yes = false;

	if (kc == NULL || kc->cert64 == NULL || pub64 == NULL)
		return false;
	cn = b64_decode(kc->cert64, &c);
	kn = b64_decode(pub64, &k);
	if (cn < 0 || kn < 0)
		goto done;
	if (!skip_string(c, (size_t)cn, &coff) || !skip_string(c, (size_t)cn, &coff) ||
	        !skip_string(k, (size_t)kn, &koff))
		goto done;
	yes = (size_t)kn - koff <= (size_t)cn - coff &&
	      memcmp(c + coff, k + koff, (size_t)kn - koff) == 0;
done:
	free(c);
	free(k);
	return yes;
}

ssh_key
keys_with_cert(const struct keys_file *kf, const struct keys_cert *kc)
{
	ssh_key priv = NULL;
	size_t i;

	if (kf == NULL || kf->state != KEYS_LOADED || !keys_certifies(kc, kf->pub64))
		return NULL;
	pthread_mutex_lock(&keys.lock);
	for (i = 0; i < keys.npairs; i++) {
		if (keys.pairs[i].kf == kf && keys.pairs[i].kc == kc) {
			priv = keys.pairs[i].priv;
			goto done;
		}
	}
	priv = ssh_key_dup(kf->priv);
	if (priv != NULL && ssh_pki_copy_cert_to_privkey(kc->cert, priv) != SSH_OK) {
		ssh_key_free(priv);
		priv = NULL;
	}
	keys.pairs = xreallocarray(keys.pairs, keys.npairs + 1, sizeof *keys.pairs);
	keys.pairs[keys.npairs].kf = kf;
	keys.pairs[keys.npairs].kc = kc;
	keys.pairs[keys.npairs].priv = priv;
	keys.npairs++;
done:
	pthread_mutex_unlock(&keys.lock);
	return priv;
}

void
keys_free(void)
{
	size_t i;

	for (i = 0; i < keys.npairs; i++)
		ssh_key_free(keys.pairs[i].priv);
	for (i = 0; i < keys.nfiles; i++) {
		ssh_key_free(keys.files[i]->priv);
		free(keys.files[i]->pub64);
		free(keys.files[i]->why);
		free(keys.files[i]->path);
		free(keys.files[i]);
	}
	for (i = 0; i < keys.ncerts; i++) {
		ssh_key_free(keys.certs[i]->cert);
		free(keys.certs[i]->cert64);
		free(keys.certs[i]->path);
		free(keys.certs[i]);
	}
	free(keys.pairs);
	free(keys.files);
	free(keys.certs);
	keys.pairs = NULL;
	keys.files = NULL;
	keys.certs = NULL;
	keys.npairs = keys.nfiles = keys.ncerts = 0;
}
