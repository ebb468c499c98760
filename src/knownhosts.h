/*
 * knownhosts.h - known_hosts files read once per run, and handed to each
 * session reduced to the lines that can name its host (see knownhosts.c).
 */
#ifndef SHOAL_KNOWNHOSTS_H
#define SHOAL_KNOWNHOSTS_H

#include <stddef.h>

/*
 * path: a known_hosts file as libssh names it (~ and %d allowed); host and
 * port: where the session goes (port 0: 22).  Returns a memfd holding only
 * the lines of the file that libssh could match for that host, and sets
 * *real to the file's expanded path (free it); or -1 when the file should be
 * left to libssh whole (missing, unreadable, an escape shoal does not
 * expand).  Any thread.
 */
int kh_filtered(const char *path, const char *host, unsigned int port, char **real);
/* Forget every file read (after the run). */
void kh_free(void);

/* SHA-1 and HMAC-SHA1, for the unit test. */
void kh_sha1(const void *data, size_t n, unsigned char out[20]);
void kh_hmac_sha1(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[20]);

#endif
