/*
 * fuzz-banner.c - fuzz target for the banner phase's verdict on a server's
 * first bytes (connect_banner_verdict, what wait_banner decides on).  The
 * input's first byte says whether the server hung up after the rest (bit
 * 0) and whether the rest is repeated up to the most wait_banner peeks
 * (bit 1).  A verdict must be consistent with the bytes, and the message
 * that quotes them printable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "fuzz.h"

const char fuzz_alphabet[] = "SH-2.0.19 \r\n\t\x01\x1b\x7f\xffHTTP/MaxStartups full busy";

/* A line starting "SSH-2.0-" or "SSH-1.99-", complete with its newline? */
static bool
has_ssh2_line(const char *p, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i - start >= 4 && memcmp(p + start, "SSH-", 4) == 0)
			return i - start < 6 || memcmp(p + start, "SSH-1.", 6) != 0 ||
			       (i - start >= 8 && memcmp(p + start, "SSH-1.99", 8) == 0);
		start = i + 1;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome out = {0};
	char *peek;
	size_t n;
	bool closed;
	int v;

	if (size == 0)
		return 0;
	closed = data[0] & 1;
	n = size - 1;
	if ((data[0] & 2) && n > 0) {
		size_t i;

		peek = malloc(CONNECT_BANNER_PEEK_MAX);
		if (peek == NULL)
			return 0;
		for (i = 0; i < CONNECT_BANNER_PEEK_MAX; i++)
			peek[i] = (char)data[1 + i % n];
		n = CONNECT_BANNER_PEEK_MAX;
	} else {
		/* Exactly n bytes, so that a read past them is ASan's to see. */
		peek = malloc(n ? n : 1);
		if (peek == NULL)
			return 0;
		memcpy(peek, data + 1, n);
	}
	v = connect_banner_verdict(peek, n, closed, &out);
	if (v < -1 || v > 1)
		abort();
	if ((v == 1) != has_ssh2_line(peek, n))
		abort();
	if (v == 1 && out.error != NULL)
		abort();
	if (v == 0 && (closed || out.error != NULL || n >= CONNECT_BANNER_PEEK_MAX))
		abort();
	if (v == -1) {
		if (out.error == NULL || out.phase != PHASE_BANNER)
			abort();
		fuzz_check_printable(out.error);
	}
	outcome_clear(&out);
	free(peek);
	return 0;
}
