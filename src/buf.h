/*
 * buf.h - a growable byte buffer.  The bytes are always followed by a NUL
 * that is not counted in len, so p can be used as a C string when the content
 * holds no NUL.
 */
#ifndef SHOAL_BUF_H
#define SHOAL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t more);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_appends(struct buf *b, const char *s);
void buf_appendc(struct buf *b, char c);
void buf_appendv(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Take ownership of the bytes; the buffer is left empty. */
char *buf_steal(struct buf *b);

#endif
