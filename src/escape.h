/*
 * escape.h - make bytes from a host safe to show on a terminal, and valid
 * UTF-8 for JSON.  A host must never be able to drive the operator's terminal.
 */
#ifndef SHOAL_ESCAPE_H
#define SHOAL_ESCAPE_H

#include <stddef.h>

#include "buf.h"

/*
 * Append data to out for a terminal: valid UTF-8 text passes, tab passes,
 * every other C0/C1 control, DEL, the bidi controls U+202A-U+202E and
 * U+2066-U+2069, and every byte of an invalid sequence become \xNN (each
 * byte), and a backslash stays a single backslash.
 */
void escape_terminal(struct buf *out, const char *data, size_t n);
/*
 * A malloc'd printable copy of n bytes from a host: escape_terminal of at
 * most the first max bytes, with "..." when the rest was cut.  What shoal
 * keeps of a server's text (a signal name, an SFTP status message) is kept
 * this way from the moment it arrives, so no later writer can forget it.
 */
char *escape_text(const char *data, size_t n, size_t max);
/*
 * Append data as the inside of a JSON string; invalid UTF-8 becomes U+FFFD,
 * and the controls escape_terminal escapes become \uNNNN.
 */
void escape_json(struct buf *out, const char *data, size_t n);
/* Append a NUL-terminated string as a whole JSON value: "..." or null. */
void escape_json_string(struct buf *out, const char *s);

#endif
