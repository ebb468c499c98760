/*
 * keys.c - private keys read once per run and shared by every session.
 *
 * libssh's ssh_userauth_publickey_auto reads and decodes each identity file
 * again for every session, and with OpenSSL 3 importing a private key costs
 * about as much as a signature (the public half is derived again): a fifth
 * of shoal's CPU per host.  So the session's first identity, the one libssh
 * would offer first, is read once here and offered directly, signed, in one
 * round trip.  Only when nothing else would have been offered before it: no
 * agent can be asked (SSH_AUTH_SOCK empty or unset, no IdentityAgent in
 * ssh_config) and ssh_config does not say PubkeyAuthentication (libssh
 * would honour a "no" we cannot read back).  When a server refuses that key
 * the caller falls back to libssh's usual sequence, which offers it once
 * more, and the key is not offered first again in this run.  Keys that need
 * a passphrase, or cannot be read, are left to libssh.
 *
 * ssh_key objects are only read after loading (signing takes a new OpenSSL
 * context each time), so sessions on different threads share them.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "sshconf.h"
#include "xmalloc.h"

enum key_state {
	KEY_LOADED,   /* offered first */
	KEY_UNUSABLE, /* missing, encrypted, unreadable: libssh's way */
	KEY_REFUSED,  /* a server refused it: libssh's way from now on */
};

struct key {
	char *path;
	ssh_key priv;
	enum key_state state;
};

static struct {
	pthread_mutex_t lock;
	bool on;
	struct key *v;
	size_t n;
} keys = {.lock = PTHREAD_MUTEX_INITIALIZER};

void
keys_init(const char *ssh_config)
{
	static const char *const kw[] = {"IdentityAgent", "PubkeyAuthentication", NULL};
	const char *sock = getenv("SSH_AUTH_SOCK");

	keys.on = (sock == NULL || sock[0] == '\0') && !sshconf_names(ssh_config, kw);
	log_msg(LOG_DEBUG, "identities %s",
	        keys.on ? "read once per run" : "read by libssh per host");
}

static int
no_passphrase(const char *prompt, char *buf, size_t len, int echo, int verify, void *userdata)
{
	return -1;
}

static struct key *
key_find(const char *path)
{
	struct key *k;
	size_t i;

	for (i = 0; i < keys.n; i++) {
		if (strcmp(keys.v[i].path, path) == 0)
			return &keys.v[i];
	}
	keys.v = xreallocarray(keys.v, keys.n + 1, sizeof *keys.v);
	k = &keys.v[keys.n++];
	k->path = xstrdup(path);
	k->priv = NULL;
	k->state = KEY_UNUSABLE;
	if (strncmp(path, "pkcs11:", 7) != 0 &&
	        ssh_pki_import_privkey_file(path, NULL, no_passphrase, NULL, &k->priv) == SSH_OK)
		k->state = KEY_LOADED;
	log_msg(LOG_DEBUG, "identity %s: %s", path,
	        k->state == KEY_LOADED ? "read once, offered first" : "left to libssh");
	return k;
}

ssh_key
keys_first(ssh_session s, char **path)
{
	char *id = NULL;
	ssh_key priv = NULL;
	struct key *k;

	*path = NULL;
	if (!keys.on || ssh_options_get(s, SSH_OPTIONS_IDENTITY, &id) != SSH_OK || id == NULL)
		return NULL;
	pthread_mutex_lock(&keys.lock);
	k = key_find(id);
	if (k->state == KEY_LOADED) {
		priv = k->priv;
		*path = xstrdup(id);
	}
	pthread_mutex_unlock(&keys.lock);
	ssh_string_free_char(id);
	return priv;
}

void
keys_refused(const char *path)
{
	size_t i;

	pthread_mutex_lock(&keys.lock);
	for (i = 0; i < keys.n; i++) {
		if (strcmp(keys.v[i].path, path) == 0 && keys.v[i].state == KEY_LOADED)
			keys.v[i].state = KEY_REFUSED;
	}
	pthread_mutex_unlock(&keys.lock);
}

void
keys_free(void)
{
	size_t i;

	for (i = 0; i < keys.n; i++) {
		ssh_key_free(keys.v[i].priv);
		free(keys.v[i].path);
	}
	free(keys.v);
	keys.v = NULL;
	keys.n = 0;
	keys.on = false;
}
