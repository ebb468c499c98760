/*
 * diff.h - a unified diff of two byte strings, line by line (--diff).
 */
#ifndef SHOAL_DIFF_H
#define SHOAL_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Beyond this many changed lines (fewer for outputs of millions of lines),
 * the differing middle of two outputs is shown as one block: all its lines
 * of a removed, then all of b added.
 */
#define DIFF_MAX_EDITS 2000

/*
 * Append to out the hunks that turn a into b: "@@ -l,n +l,n @@", three lines
 * of context, ' ', '-' and '+' lines; a last line without a newline is
 * followed by "\ No newline at end of file".  Lines are compared byte for
 * byte (a NUL, a CR, a missing last newline all count).  tty: each line is
 * escaped for the terminal.  Nothing is appended when a and b are equal.
 * The file headers are the caller's.
 */
void diff_unified(
        struct buf *out, const char *a, size_t alen, const char *b, size_t blen, bool tty);

#endif
