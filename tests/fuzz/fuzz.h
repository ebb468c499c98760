/*
 * fuzz.h - what a fuzz target gives fuzz-main.c (or libFuzzer).
 */
#ifndef SHOAL_FUZZ_H
#define SHOAL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Run one input; crash or abort() on a bug. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The characters mutations insert most (a NUL-free string). */
extern const char fuzz_alphabet[];

/*
 * What shoal keeps of a host's bytes must be safe on a terminal (escape.h):
 * no C0 control but tab, no DEL, no C1 control (UTF-8 C2 80..C2 9F).
 */
static inline void
fuzz_check_printable(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	for (; p != NULL && *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f ||
		        (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			abort();
	}
}

#endif
