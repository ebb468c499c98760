/*
 * render.h - a host list as "[user@]alias[:port][=addr] ..." for the unit
 * tests' comparisons (addr: an inventory's address, when it gives one).
 */
#ifndef SHOAL_TEST_RENDER_H
#define SHOAL_TEST_RENDER_H

#include "buf.h"
#include "hostlist.h"

static char *
render(const struct hostlist *hl)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < hl->n; i++) {
		if (i)
			buf_appendc(&b, ' ');
		if (hl->v[i].user)
			buf_appendf(&b, "%s@", hl->v[i].user);
		buf_appends(&b, hl->v[i].alias);
		if (hl->v[i].port)
			buf_appendf(&b, ":%d", hl->v[i].port);
		if (hl->v[i].addr)
			buf_appendf(&b, "=%s", hl->v[i].addr);
	}
	return buf_steal(&b);
}

#endif
