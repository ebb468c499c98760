/*
 * escape.c - terminal and JSON escaping.  Both walk the input as UTF-8 and
 * treat every byte that does not start a well-formed sequence (overlongs,
 * surrogates and code points past U+10FFFF included) as invalid on its own.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"

/*
 * Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0 if
 * the byte at p does not start one.  The code point goes to *cp.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	        (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * A code point a terminal must not get raw: C0 controls but tab, DEL, C1
 * controls (an 8-bit terminal takes U+009B for CSI), and the bidirectional
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
 * reorder what follows them on the line, so a host could make its text read
 * as something else.
 */
static bool
terminal_control(uint32_t cp)
{
	return (cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp < 0xa0) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void
escape_terminal(struct buf *out, const char *data, size_t n)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, len;
	uint32_t cp;

	buf_reserve(out, n);
	while (i < n) {
		len = utf8_seq(p + i, n - i, &cp);
		if (len == 0 || terminal_control(cp)) {
			/* A C1 or bidi control is escaped byte by byte, like invalid input. */
			size_t k, cnt = len ? len : 1;

			for (k = 0; k < cnt; k++)
				buf_appendf(out, "\\x%02x", p[i + k]);
			i += cnt;
			continue;
		}
		buf_append(out, p + i, len);
		i += len;
	}
}

char *
escape_text(const char *data, size_t n, size_t max)
{
	struct buf b;

	buf_init(&b);
	escape_terminal(&b, data, n < max ? n : max);
	if (n > max)
		buf_appends(&b, "...");
	return buf_steal(&b);
}

void
escape_json(struct buf *out, const char *data, size_t n)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, len;
	uint32_t cp;

	buf_reserve(out, n + 2);
	while (i < n) {
		len = utf8_seq(p + i, n - i, &cp);
		if (len == 0) {
			buf_appends(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			buf_appends(out, "\\\"");
			break;
		case '\\':
			buf_appends(out, "\\\\");
			break;
		case '\n':
			buf_appends(out, "\\n");
			break;
		case '\r':
			buf_appends(out, "\\r");
			break;
		case '\t':
			buf_appends(out, "\\t");
			break;
		default:
			/* JSON itself allows them raw; JSON read on a terminal must not. */
			if (terminal_control(cp))
				buf_appendf(out, "\\u%04x", (unsigned)cp);
			else
				buf_append(out, p + i, len);
			break;
		}
		i += len;
	}
}

void
escape_json_string(struct buf *out, const char *s)
{
	if (s == NULL) {
		buf_appends(out, "null");
		return;
	}
	buf_appendc(out, '"');
	escape_json(out, s, strlen(s));
	buf_appendc(out, '"');
}
