/*
 * keys.h - the first identity of each session read once per run and
 * offered directly (see keys.c for when), instead of libssh reading every
 * key file again for every host.
 */
#ifndef SHOAL_KEYS_H
#define SHOAL_KEYS_H

#include <libssh/libssh.h>

/* Decide whether keys may be offered this way; before threads start. */
void keys_init(const char *ssh_config);
/*
 * The private key to offer s first (its first identity, after ssh_connect),
 * and its file in *path (free it), or NULL: leave it all to libssh.
 */
ssh_key keys_first(ssh_session s, char **path);
/* A server refused the key of path: stop offering it first. */
void keys_refused(const char *path);
void keys_free(void);

#endif
