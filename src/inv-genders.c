/*
 * inv-genders.c - a genders file (pdsh -g, nodeattr) through libgenders:
 * each attribute ATTR is a group of source "genders" (pdsh's -g ATTR), and
 * each ATTR=VALUE a node holds is one too (pdsh's -g ATTR=VALUE); `all` is
 * every node.  Nodes are in the file's order, as nodeattr -n prints them.
 */
#include "config.h"

#include <genders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "groups.h"
#include "hostlist.h"
#include "inventory.h"
#include "xmalloc.h"

static void
put_node(const char *name, const char *group, const char *where)
{
	struct hostspec spec = {.alias = xstrdup(name)};

	groups_put_host(groups_define("genders", true, group, where), &spec);
	free(spec.alias);
}

/* libgenders' parse messages ("Line 3: ...") for the first error, with the file. */
static char *
parse_errors(genders_t h, const char *path)
{
	FILE *tmp = tmpfile();
	char line[512] = "";
	char *msg;

	if (tmp != NULL) {
		genders_parse(h, path, tmp);
		rewind(tmp);
		if (fgets(line, sizeof line, tmp) == NULL)
			line[0] = '\0';
		fclose(tmp);
	}
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "Line ", 5) == 0)
		msg = xasprintf("%s:%d: genders: %s", path, atoi(line + 5),
		        strchr(line, ':') ? strchr(line, ':') + 2 : line);
	else
		msg = xasprintf("%s: genders: %s", path, genders_errormsg(h));
	return msg;
}

int
inv_genders(const char *path, char **errp)
{
	genders_t h = genders_handle_create();
	char **nodes = NULL, **attrs = NULL, *val = NULL;
	int nn, na, i, k, maxval, rc = -1;
	char *where = xasprintf("%s", path);

	*errp = NULL;
	if (h == NULL)
		fatal("out of memory creating a genders handle");
	if (genders_load_data(h, path) < 0) {
		if (genders_errnum(h) == GENDERS_ERR_PARSE)
			*errp = parse_errors(h, path);
		else
			*errp = xasprintf("%s: genders: %s", path, genders_errormsg(h));
		goto out;
	}
	if (genders_nodelist_create(h, &nodes) < 0 || genders_attrlist_create(h, &attrs) < 0 ||
	        (maxval = genders_getmaxvallen(h)) < 0)
		goto lib_error;
	val = xmalloc((size_t)maxval + 1);
	if ((nn = genders_getnodes(h, nodes, genders_getnumnodes(h), NULL, NULL)) < 0)
		goto lib_error;
	for (i = 0; i < nn; i++) {
		/* Names as shoal's expressions allow them: no shell or ssh syntax. */
		if (nodes[i][0] == '-' ||
		        strspn(nodes[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                         "0123456789-._") != strlen(nodes[i])) {
			*errp = xasprintf(
			        "%s: genders: node name '%s' is not a host name", path, nodes[i]);
			goto out;
		}
		put_node(nodes[i], "all", where);
	}
	if ((na = genders_getattr_all(h, attrs, genders_getnumattrs(h))) < 0)
		goto lib_error;
	for (k = 0; k < na; k++) {
		for (i = 0; i < nn; i++) {
			int t = genders_testattr(h, nodes[i], attrs[k], val, maxval + 1);

			if (t < 0)
				goto lib_error;
			if (t == 0)
				continue;
			put_node(nodes[i], attrs[k], where);
			if (val[0] != '\0') {
				char *g = xasprintf("%s=%s", attrs[k], val);

				put_node(nodes[i], g, where);
				free(g);
			}
		}
	}
	rc = 0;
	goto out;
lib_error:
	*errp = xasprintf("%s: genders: %s", path, genders_errormsg(h));
out:
	if (nodes != NULL)
		genders_nodelist_destroy(h, nodes);
	if (attrs != NULL)
		genders_attrlist_destroy(h, attrs);
	free(val);
	free(where);
	genders_handle_destroy(h);
	return rc;
}
