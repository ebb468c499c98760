/*
 * spool.h - an append-only byte store for one host's stream: the first bytes
 * in memory, the rest in one temporary file shared by every spool of the run,
 * so no host, however much it prints, can exhaust shoal's memory.
 *
 * A spool is not locked: its owner serialises appends and reads (the live
 * view reads under the host's lock).  The shared file is locked inside.
 */
#ifndef SHOAL_SPOOL_H
#define SHOAL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool_ext {
	uint64_t off; /* in the temporary file */
	uint64_t len;
};

struct spool {
	char *head; /* the first bytes, in memory */
	size_t head_len, head_cap;
	struct spool_ext *ext; /* the next bytes, in the file, in order */
	size_t next, cap_ext;
	char *tail; /* the last bytes, not yet in the file */
	size_t tail_len;
	uint64_t len;  /* bytes held: head, file and tail */
	uint64_t lost; /* bytes the file could not take (not in len) */
	int err;       /* errno of the first failure to spill, or 0 */
};

void spool_init(struct spool *s);
/* Frees the memory and gives the spool's part of the file back. */
void spool_free(struct spool *s);
void spool_append(struct spool *s, const void *data, size_t n);
/* No more appends for a while: the pending tail goes to the file. */
void spool_seal(struct spool *s);
/*
 * Copy up to n bytes from offset off (< len) into dst; returns how many
 * (short at the end, or 0 when the file cannot be read).
 */
size_t spool_read(const struct spool *s, uint64_t off, char *dst, size_t n);
/* The last byte, or -1 when empty. */
int spool_last(const struct spool *s);
/* Whether the two spools hold the same bytes. */
bool spool_equal(const struct spool *a, const struct spool *b);
/* A hash of the bytes (not cryptographic: equal hashes are checked by spool_equal). */
uint64_t spool_hash(const struct spool *s);

/* How many bytes a read loop takes at a time. */
#define SPOOL_CHUNK 65536

#endif
