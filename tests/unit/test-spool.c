/*
 * test-spool.c - the spools of src/spool.c: bytes appended in any pieces,
 * by spools that interleave in the shared file, read back exactly from any
 * offset; memory within its bounds; equality and hash by content only.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

#define TOTAL (5u << 20)
#define NFILL 24

static uint32_t rng = 12345;

static uint32_t
next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Whether s holds exactly data[0..n), read back in pieces of every size. */
static int
reads_back(const struct spool *s, const char *data, size_t n)
{
	static char got[300000];
	int i;

	if (s->len != n)
		return 0;
	for (i = 0; i < 200; i++) {
		uint64_t off = next_rand() % n;
		size_t want = 1 + next_rand() % sizeof got, r = spool_read(s, off, got, want);

		if (r != (want < n - off ? want : n - off) || memcmp(got, data + off, r) != 0)
			return 0;
	}
	return 1;
}

int
main(void)
{
	char dir[] = "/tmp/test-spool-XXXXXX";
	char *data = malloc(TOTAL);
	struct spool a, b, c, fill[NFILL];
	size_t i, off_a = 0, off_b = 0, heads = 0, biggest = 0;
	int head_only;

	if (mkdtemp(dir) == NULL || data == NULL)
		return 99;
	setenv("TMPDIR", dir, 1);
	for (i = 0; i < TOTAL; i++)
		data[i] = (char)(next_rand() & 0xff);

	spool_init(&a);
	spool_init(&b);
	spool_init(&c);
	spool_append(&c, data, 100);
	head_only = c.len == 100 && c.next == 0 && c.tail == NULL;
	ok(head_only && reads_back(&c, data, 100), "a small stream stays in memory, whole");
	ok(spool_last(&c) == (unsigned char)data[99], "its last byte");

	/* Two spools fed in turns, in pieces of 1 byte to 200 kB. */
	while (off_a < TOTAL || off_b < TOTAL) {
		size_t na = 1 + next_rand() % 200000, nb = 1 + next_rand() % 60000;

		if (na > TOTAL - off_a)
			na = TOTAL - off_a;
		if (nb > TOTAL - off_b)
			nb = TOTAL - off_b;
		spool_append(&a, data + off_a, na);
		spool_append(&b, data + off_b, nb);
		off_a += na;
		off_b += nb;
	}
	ok(a.next > 1 && b.next > 1, "past the head both spools went to the file, interleaved");
	ok(reads_back(&a, data, TOTAL), "5 MB in big pieces read back exactly from any offset");
	ok(reads_back(&b, data, TOTAL), "5 MB in smaller pieces read back exactly from any offset");
	ok(a.head_len <= (1u << 20) && b.tail_len < 65536,
	        "memory: a 1 MB head, a tail under 64 kB");
	ok(spool_equal(&a, &b) && spool_hash(&a) == spool_hash(&b),
	        "pieces of other sizes: equal, and the same hash");
	spool_seal(&b);
	ok(b.tail == NULL && reads_back(&b, data, TOTAL), "sealed: no tail in memory, same bytes");
	ok(spool_last(&b) == (unsigned char)data[TOTAL - 1], "the last byte from the file");

	spool_free(&c);
	spool_init(&c);
	spool_append(&c, data, TOTAL - 1);
	spool_append(&c, "!", 1);
	ok(!spool_equal(&a, &c) && spool_hash(&a) != spool_hash(&c),
	        "one byte differs at the end: not equal, another hash");
	spool_free(&c);
	spool_init(&c);
	spool_append(&c, data, TOTAL - 1);
	ok(!spool_equal(&a, &c), "a byte shorter: not equal");

	/* Many spools: their heads together stay within the budget. */
	for (i = 0; i < NFILL; i++) {
		spool_init(&fill[i]);
		spool_append(&fill[i], data, 2u << 20);
		heads += fill[i].head_cap;
		if (fill[i].head_cap > biggest)
			biggest = fill[i].head_cap;
	}
	ok(biggest <= (1u << 20) && heads + a.head_cap + b.head_cap + c.head_cap <= (16u << 20),
	        "24 spools of 2 MB: each head at most 1 MB, all of them at most 16 MB");
	ok(reads_back(&fill[NFILL - 1], data, 2u << 20), "the last of them reads back exactly");
	for (i = 0; i < NFILL; i++)
		spool_free(&fill[i]);
	spool_init(&fill[0]);
	spool_append(&fill[0], data, 1u << 20);
	ok(fill[0].head_len == (1u << 20), "freed heads give their memory back to the budget");
	spool_free(&fill[0]);

	spool_free(&a);
	spool_free(&b);
	spool_free(&c);
	is_str(rmdir(dir) == 0 ? "empty" : "not empty", "empty",
	        "the temporary file had no name in TMPDIR");
	free(data);
	return done_testing();
}
