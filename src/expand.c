/*
 * expand.c - ~, ${VAR} and % tokens, as OpenSSH's tilde_expand,
 * dollar_expand and percent_expand do them.
 */
#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expand.h"
#include "xmalloc.h"

/* ssh's tilde_expand: ~, ~/ and ~user give the home with a '/' after it. */
static int
tilde(struct buf *b, const char **sp, const char *home, char **err)
{
	const char *s = *sp + 1;
	size_t n = strcspn(s, "/");
	char pwbuf[4096];
	struct passwd pw, *res = NULL;
	const char *dir = home;

	if (n > 0) {
		char *name = xstrndup(s, n);

		if (getpwnam_r(name, &pw, pwbuf, sizeof pwbuf, &res) != 0 || res == NULL) {
			*err = xasprintf("~%s: no such user", name);
			free(name);
			return -1;
		}
		free(name);
		dir = pw.pw_dir;
	}
	if (dir == NULL) {
		*err = xstrdup("~: the home directory is not known");
		return -1;
	}
	buf_appends(b, dir);
	if (b->len == 0 || b->p[b->len - 1] != '/')
		buf_appendc(b, '/');
	s += n;
	if (*s == '/')
		s++;
	*sp = s;
	return 0;
}

char *
expand_string(const char *s, const struct expand_tokens *t, unsigned flags, char **err)
{
	struct buf b;

	buf_init(&b);
	if ((flags & EXPAND_TILDE) && s[0] == '~' && tilde(&b, &s, t ? t->home : NULL, err) < 0)
		goto fail;
	for (; *s != '\0'; s++) {
		if ((flags & EXPAND_ENV) && s[0] == '$' && s[1] == '{' && strchr(s, '}') != NULL) {
			size_t n = strcspn(s + 2, "}");
			char *name = xstrndup(s + 2, n);
			const char *v = getenv(name);

			if (v == NULL) {
				*err = xasprintf("environment variable ${%s} has no value", name);
				free(name);
				goto fail;
			}
			buf_appends(&b, v);
			free(name);
			s += 2 + n;
			continue;
		}
		if (*s != '%' || t == NULL) {
			buf_appendc(&b, *s);
			continue;
		}
		s++;
		if (*s == '%') {
			buf_appendc(&b, '%');
		} else if ((unsigned char)*s < 128 && *s != '\0' &&
		           t->v[(unsigned char)*s] != NULL) {
			buf_appends(&b, t->v[(unsigned char)*s]);
		} else {
			*err = *s == '\0' ? xstrdup("a % at the end")
			                  : xasprintf("unknown token %%%c", *s);
			goto fail;
		}
	}
	return b.p != NULL ? buf_steal(&b) : xstrdup("");
fail:
	buf_free(&b);
	return NULL;
}
