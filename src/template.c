/*
 * template.c - the tokens of --template (template.h).  Pure functions: a
 * worker expands its own host's strings after the connection has read
 * ssh_config, so %H, %u and %p are what the connection used.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "template.h"
#include "xmalloc.h"

static const char template_tokens[] = "hHupi%";

const char *
template_check(const char *s)
{
	for (; (s = strchr(s, '%')) != NULL; s += 2) {
		if (s[1] == '\0' || strchr(template_tokens, s[1]) == NULL)
			return s;
	}
	return NULL;
}

char *
template_expand(const char *s, const struct host *h, const char *hostname)
{
	const char *user = h->login_user ? h->login_user : h->user;
	int port = h->login_port > 0 ? h->login_port : h->port;
	struct buf b;
	char *r;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s != '%' || s[1] == '\0') {
			buf_appendc(&b, *s);
			continue;
		}
		switch (*++s) {
		case 'h':
			buf_appends(&b, h->alias);
			break;
		case 'H':
			buf_appends(&b, hostname ? hostname : h->alias);
			break;
		case 'u':
			buf_appends(&b, user ? user : "");
			break;
		case 'p':
			buf_appendf(&b, "%d", port > 0 ? port : 22);
			break;
		case 'i':
			buf_appendf(&b, "%zu", h->list_index);
			break;
		default:
			buf_appendc(&b, *s);
			break;
		}
	}
	r = b.p ? buf_steal(&b) : xstrdup("");
	buf_free(&b);
	return r;
}
