/*
 * fuzz-main.c - drive a libFuzzer target without libFuzzer, for make check:
 *   fuzz-hostlist SECONDS FILE...
 * runs every FILE, then random mutations of them (fixed seed, so a failure
 * repeats) until SECONDS have passed.  Crashes and leaks are the sanitizers'
 * to report.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXIN 4096

static const char alphabet[] = "[]-,@:0123456789abcxyz.%_ \t\n\\()*+?^$|\x01\xff";

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

int
main(int argc, char **argv)
{
	static uint8_t seeds[64][MAXIN], buf[MAXIN];
	size_t seedlen[64], nseeds = 0, n, k;
	unsigned long runs = 0;
	double secs;
	time_t end;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS FILE...\n", argv[0]);
		return 2;
	}
	secs = atof(argv[1]);
	for (i = 2; i < argc && nseeds < 64; i++) {
		seedlen[nseeds] = load(argv[i], seeds[nseeds]);
		LLVMFuzzerTestOneInput(seeds[nseeds], seedlen[nseeds]);
		nseeds++;
	}
	srand(12345);
	end = time(NULL) + (time_t)secs;
	while (time(NULL) < end) {
		for (k = 0; k < 1000; k++, runs++) {
			size_t s = (size_t)rand() % nseeds, edits = 1 + (size_t)rand() % 8;

			n = seedlen[s];
			memcpy(buf, seeds[s], n);
			while (edits-- > 0) {
				size_t pos = n ? (size_t)rand() % n : 0;
				char c = alphabet[(size_t)rand() % (sizeof alphabet - 1)];

				switch (rand() % 3) {
				case 0: /* replace */
					if (n)
						buf[pos] = (uint8_t)c;
					break;
				case 1: /* insert */
					if (n < MAXIN - 1) {
						memmove(buf + pos + 1, buf + pos, n - pos);
						buf[pos] = (uint8_t)c;
						n++;
					}
					break;
				default: /* delete */
					if (n) {
						memmove(buf + pos, buf + pos + 1, n - pos - 1);
						n--;
					}
					break;
				}
			}
			LLVMFuzzerTestOneInput(buf, n);
		}
	}
	printf("1..1\nok 1 - %lu inputs from %zu seeds, no crash\n", runs, nseeds);
	return 0;
}
