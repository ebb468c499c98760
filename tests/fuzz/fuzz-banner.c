/*
 * fuzz-banner.c - fuzz target for the banner phase (connect_banner_scan,
 * what wait_banner decides on, and connect_banner_closed).  The input's
 * first byte says whether the server hangs up after the rest (bit 0) and
 * how many bytes each read brings (bits 1-7, at least 1), so the scan sees
 * the server's text as wait_banner does: peeked in growing pieces, the
 * complete lines before the banner consumed.  A verdict must be consistent
 * with the bytes, and every message that quotes them printable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "fuzz.h"

const char fuzz_alphabet[] = "SH-2.0.19 \r\n\t\x01\x1b\x7f\xffHTTP/MaxStartups full busy";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome out = {0};
	struct connect_banner_seen bs;
	const char *text;
	size_t n, step, have = 0, off = 0, skip;
	bool closed;
	char *peek;
	int r = 0;

	if (size == 0)
		return 0;
	closed = data[0] & 1;
	step = (size_t)(data[0] >> 1) + 1;
	text = (const char *)data + 1;
	n = size - 1;
	memset(&bs, 0, sizeof bs);
	while (off < n) {
		have = have + step < n - off ? have + step : n - off;
		/* Exactly the bytes peeked, so that a read past them is ASan's to see. */
		peek = malloc(have ? have : 1);
		if (peek == NULL)
			return 0;
		memcpy(peek, text + off, have);
		skip = 0;
		r = connect_banner_scan(peek, have, &bs, &skip, &out);
		if (r > 0) {
			/* The banner starts at skip: an SSH- line, and not SSH-1 alone. */
			if (skip + 4 > have || memcmp(peek + skip, "SSH-", 4) != 0 ||
			        memchr(peek + skip, '\n', have - skip) == NULL || out.error != NULL)
				abort();
			if (have - skip >= 6 && memcmp(peek + skip, "SSH-1.", 6) == 0 &&
			        !(have - skip >= 8 && memcmp(peek + skip, "SSH-1.99", 8) == 0))
				abort();
		} else if (r < 0) {
			if (out.error == NULL || out.phase != PHASE_BANNER)
				abort();
			fuzz_check_printable(out.error);
		} else {
			/* Only whole lines are consumed. */
			if (skip > have || (skip > 0 && peek[skip - 1] != '\n') ||
			        out.error != NULL)
				abort();
			off += skip;
			have -= skip;
		}
		free(peek);
		if (r != 0)
			break;
		if (off + have == n && skip == 0)
			break;
	}
	if (r == 0 && closed) {
		connect_banner_closed(&bs, text + off, have, &out);
		if (out.error == NULL || out.phase != PHASE_BANNER)
			abort();
		fuzz_check_printable(out.error);
	}
	outcome_clear(&out);
	return 0;
}
