/*
 * fuzz-main.c - drive a libFuzzer target without libFuzzer, for make check:
 *   fuzz-NAME SECONDS FILE...
 * runs every FILE, then random mutations of them (fixed seed, so a failure
 * repeats) until SECONDS have passed.  Crashes and leaks are the sanitizers'
 * to report; a target may also abort() on a broken invariant.  To keep the
 * input that fails, FUZZ_SAVE=FILE writes each one there before running it
 * (slow); then `fuzz-NAME 0 FILE` runs it alone.  FUZZ_SEED=N mutates
 * differently (longer runs by hand).
 *
 * Each target names the bytes its format is made of (fuzz_alphabet); the
 * binary formats (SFTP, certificates, KRLs) are mutated through their
 * 32-bit big-endian lengths too, and seeds are spliced into each other.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

#define MAXIN    8192
#define MAXSEEDS 64

static uint8_t seeds[MAXSEEDS][MAXIN];
static size_t seedlen[MAXSEEDS], nseeds;

static size_t
load(const char *path, uint8_t *buf)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, MAXIN, fp);
	fclose(fp);
	return n;
}

static void
save(const char *path, const uint8_t *buf, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

static size_t
pick(size_t n)
{
	return n ? (size_t)rand() % n : 0;
}

/* A length field's values that parsers get wrong: 0, 1, off by one, huge. */
static uint32_t
odd_u32(size_t n)
{
	static const uint32_t v[] = {0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
	        0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu};
	size_t r = pick(sizeof v / sizeof v[0] + 3);

	if (r < sizeof v / sizeof v[0])
		return v[r];
	return (uint32_t)(n + r - sizeof v / sizeof v[0]) - 1; /* the input's length +- 1 */
}

static size_t
mutate(uint8_t *buf, size_t n)
{
	size_t edits = 1 + pick(8), pos, len, s, from;
	uint8_t c;
	uint32_t v;

	while (edits-- > 0) {
		pos = pick(n);
		c = (uint8_t)fuzz_alphabet[pick(strlen(fuzz_alphabet))];
		if (rand() % 4 == 0)
			c = (uint8_t)rand();
		else if (rand() % 8 == 0)
			c = 0; /* not in an alphabet, common in binary formats */
		switch (rand() % 7) {
		case 0: /* replace */
		case 1:
			if (n)
				buf[pos] = c;
			break;
		case 2: /* insert */
			if (n < MAXIN - 1) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = c;
				n++;
			}
			break;
		case 3: /* delete a few */
			len = 1 + pick(rand() % 4 == 0 ? 64 : 2);
			if (len > n - pos)
				len = n - pos;
			memmove(buf + pos, buf + pos + len, n - pos - len);
			n -= len;
			break;
		case 4: /* a length field */
			if (n >= 4) {
				pos = pick(n - 3);
				v = odd_u32(n - pos);
				buf[pos] = (uint8_t)(v >> 24);
				buf[pos + 1] = (uint8_t)(v >> 16);
				buf[pos + 2] = (uint8_t)(v >> 8);
				buf[pos + 3] = (uint8_t)v;
			}
			break;
		case 5: /* splice in a piece of a seed */
			s = pick(nseeds);
			if (seedlen[s] == 0)
				break;
			from = pick(seedlen[s]);
			len = 1 + pick(seedlen[s] - from);
			if (len > MAXIN - 1 - n)
				len = MAXIN - 1 - n;
			memmove(buf + pos + len, buf + pos, n - pos);
			memcpy(buf + pos, seeds[s] + from, len);
			n += len;
			break;
		default: /* now and then, cut the end */
			if (rand() % 4 == 0)
				n = pos;
			else if (n)
				buf[pos] = c;
			break;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[MAXIN];
	const char *keep = getenv("FUZZ_SAVE");
	unsigned long runs = 0;
	size_t n, k;
	double secs;
	time_t end;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS FILE...\n", argv[0]);
		return 2;
	}
	secs = atof(argv[1]);
	for (i = 2; i < argc && nseeds < MAXSEEDS; i++) {
		seedlen[nseeds] = load(argv[i], seeds[nseeds]);
		if (keep != NULL)
			save(keep, seeds[nseeds], seedlen[nseeds]);
		LLVMFuzzerTestOneInput(seeds[nseeds], seedlen[nseeds]);
		nseeds++;
	}
	srand(getenv("FUZZ_SEED") ? (unsigned)atoi(getenv("FUZZ_SEED")) : 12345u);
	end = time(NULL) + (time_t)secs;
	while (time(NULL) < end) {
		for (k = 0; k < 100; k++, runs++) {
			size_t s = pick(nseeds);

			n = seedlen[s];
			memcpy(buf, seeds[s], n);
			n = mutate(buf, n);
			if (keep != NULL)
				save(keep, buf, n);
			LLVMFuzzerTestOneInput(buf, n);
		}
	}
	printf("1..1\nok 1 - %lu inputs from %zu seeds, no crash\n", runs, nseeds);
	return 0;
}
