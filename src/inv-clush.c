/*
 * inv-clush.c - ClusterShell's node groups as clush and nodeset find them.
 *
 * groups.conf: the files of clush's locations merged as ClusterShell's
 * ConfigParser merges them (/etc/clustershell, ~/.local/etc/clustershell,
 * $XDG_CONFIG_HOME or ~/.config/clustershell, $CLUSTERSHELL_CFGDIR; a later
 * file's key wins), $CFGDIR the directory of the last one read; or one file
 * or directory named by --inventory.  [Main] gives `default`, `confdir` (or
 * the older `groupsdir`: *.conf files of more sources) and `autodir`
 * (*.yaml files of sources with their groups).  Every other section is an
 * upcall source: its `map` and `list` commands run as !COMMAND groups do
 * (groups.c), in $CFGDIR; `all`, `reverse` and `cache_time` are not used
 * (shoal has no @* and no reverse lookup).  A YAML group is a host
 * expression; the nodeset operators shoal's syntax lacks (!, &, ^, steps
 * /N) are refused with the place.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "buf.h"
#include "conffile.h"
#include "groups.h"
#include "inventory.h"
#include "xmalloc.h"

#define SAFE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

struct kv {
	char *key, *value, *where;
};

struct section {
	char *name;
	struct kv *kv;
	size_t n;
};

struct cfg {
	struct section *s;
	size_t n;
	struct section *cur;
	char *err;
};

/* A source found, fed to groups.c once the default is known. */
struct src {
	char *name, *where;
	char *map, *list, *cwd;          /* an upcall's */
	char **gname, **gexpr, **gwhere; /* a YAML source's groups */
	size_t ng;
};

struct clush {
	struct src *v;
	size_t n;
	char *err;
};

static struct section *
section_of(struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->s[i].name, name) == 0)
			return &c->s[i];
	}
	c->s = xreallocarray(c->s, c->n + 1, sizeof *c->s);
	memset(&c->s[c->n], 0, sizeof c->s[c->n]);
	c->s[c->n].name = xstrdup(name);
	return &c->s[c->n++];
}

static struct kv *
kv_of(const struct section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	}
	return NULL;
}

static const char *
get(const struct cfg *c, const char *section, const char *key)
{
	size_t i;
	struct kv *kv;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->s[i].name, section) == 0)
			return (kv = kv_of(&c->s[i], key)) != NULL ? kv->value : NULL;
	}
	return NULL;
}

/* An RFC 822-style line as Python's ConfigParser reads it; a later file's key wins. */
static int
conf_line(void *arg, char *line, const char *where)
{
	struct cfg *c = arg;
	char *sep, *k, *v, *e;
	struct kv *kv;

	if (*line == ';')
		return 0;
	if (*line == '[') {
		if ((e = strchr(line, ']')) == NULL) {
			c->err = xasprintf("%s: bad section header '%s'", where, line);
			return 2;
		}
		*e = '\0';
		c->cur = section_of(c, line + 1);
		return 0;
	}
	if (c->cur == NULL) {
		c->err = xasprintf("%s: a line before any [section]", where);
		return 2;
	}
	sep = line + strcspn(line, ":=");
	if (*sep == '\0') {
		c->err = xasprintf("%s: expected 'KEY: VALUE' in [%s]", where, c->cur->name);
		return 2;
	}
	for (e = sep; e > line && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	for (k = line; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	for (v = sep + 1; isspace((unsigned char)*v); v++)
		;
	if ((kv = kv_of(c->cur, line)) == NULL) {
		c->cur->kv = xreallocarray(c->cur->kv, c->cur->n + 1, sizeof *c->cur->kv);
		kv = &c->cur->kv[c->cur->n++];
		kv->key = xstrdup(line);
	} else {
		free(kv->value);
		free(kv->where);
	}
	kv->value = xstrdup(v);
	kv->where = xstrdup(where);
	return 0;
}

static int
conf_read(struct cfg *c, const char *path, char **errp)
{
	int rc;

	c->cur = NULL;
	rc = conffile_lines(path, true, conf_line, c, errp);
	if (rc != 0 && c->err != NULL) {
		free(*errp);
		*errp = c->err;
		c->err = NULL;
	}
	return rc != 0 ? -1 : 0;
}

static void
conf_free(struct cfg *c)
{
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		for (k = 0; k < c->s[i].n; k++) {
			free(c->s[i].kv[k].key);
			free(c->s[i].kv[k].value);
			free(c->s[i].kv[k].where);
		}
		free(c->s[i].kv);
		free(c->s[i].name);
	}
	free(c->s);
	memset(c, 0, sizeof *c);
}

static struct src *
src_new(struct clush *cl, const char *name, const char *where)
{
	size_t i;

	/* A source's name goes into @SOURCE:NAME and an upcall's $SOURCE. */
	if (*name == '\0' || strspn(name, SAFE_CHARS) != strlen(name)) {
		cl->err =
		        xasprintf("%s: bad group source name '%s' (letters, digits, '_', '-', '.')",
		                where, name);
		return NULL;
	}
	for (i = 0; i < cl->n; i++) {
		if (strcmp(cl->v[i].name, name) == 0) {
			cl->err = xasprintf("%s: group source '%s' is defined again (first at %s)",
			        where, name, cl->v[i].where);
			return NULL;
		}
	}
	cl->v = xreallocarray(cl->v, cl->n + 1, sizeof *cl->v);
	memset(&cl->v[cl->n], 0, sizeof cl->v[cl->n]);
	cl->v[cl->n].name = xstrdup(name);
	cl->v[cl->n].where = xstrdup(where);
	return &cl->v[cl->n++];
}

/* Each section but Main of c is an upcall source (a,b,c: three of them). */
static int
upcall_sources(struct clush *cl, const struct cfg *c, const char *cfgdir)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct section *s = &c->s[i];
		struct kv *map = kv_of(s, "map");
		struct kv *list = kv_of(s, "list");
		char *names = xstrdup(s->name), *name, *save = NULL;

		if (strcmp(s->name, "Main") == 0) {
			free(names);
			continue;
		}
		if (map == NULL) {
			cl->err = xasprintf("%s: group source [%s] has no map command",
			        s->n ? s->kv[0].where : cfgdir, s->name);
			free(names);
			return -1;
		}
		/* $CFGDIR goes into a shell command unquoted, as ClusterShell puts it */
		if (strspn(cfgdir, SAFE_CHARS "/+,:@%=") != strlen(cfgdir) &&
		        (strstr(map->value, "CFGDIR") || (list && strstr(list->value, "CFGDIR")))) {
			cl->err = xasprintf("%s: $CFGDIR '%s' holds characters a shell would read",
			        map->where, cfgdir);
			free(names);
			return -1;
		}
		for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
			struct src *u = src_new(cl, name, map->where);
			char *a, *b;

			if (u == NULL) {
				free(names);
				return -1;
			}
			a = groups_subst(map->value, "CFGDIR", cfgdir);
			u->map = groups_subst(a, "SOURCE", name);
			free(a);
			if (list != NULL) {
				b = groups_subst(list->value, "CFGDIR", cfgdir);
				u->list = groups_subst(b, "SOURCE", name);
				free(b);
			}
			u->cwd = xstrdup(cfgdir);
		}
		free(names);
	}
	return 0;
}

/*
 * A nodeset of ClusterShell as shoal's host expression: blanks between items
 * are unions as ',' is; the operators shoal's syntax lacks are refused.
 * Returns it malloc'd, or NULL with cl->err set.
 */
static char *
nodeset_expr(struct clush *cl, const char *expr, const char *where)
{
	const char *p;
	struct buf b;
	int depth = 0;

	buf_init(&b);
	for (p = expr; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (strchr("!&^", *p) != NULL || (*p == '/' && depth > 0)) {
			cl->err = xasprintf(
			        "%s: '%s': the nodeset operator '%c' is not supported "
			        "(union with ',' or blanks, and ranges without steps are)",
			        where, expr, *p);
			buf_free(&b);
			return NULL;
		}
		if (isspace((unsigned char)*p) && depth == 0) {
			if (b.len > 0 && b.p[b.len - 1] != ',')
				buf_appendc(&b, ',');
			continue;
		}
		if (*p == ',' && b.len > 0 && b.p[b.len - 1] == ',')
			continue; /* "a , b": the blank already made the comma */
		buf_appendc(&b, *p);
	}
	if (b.len > 0 && b.p[b.len - 1] == ',')
		b.p[--b.len] = '\0';
	return buf_steal(&b);
}

/* A groups.d YAML file: { source: { group: nodeset, ... }, ... }. */
static int
yaml_sources(struct clush *cl, const char *path)
{
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *sp, *gp;
	char *expr;
	int rc = -1;

	if (inventory_yaml(path, &doc, &cl->err) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		cl->err = xasprintf("%s: invalid content (a mapping of group sources)", path);
		goto out;
	}
	for (sp = root->data.mapping.pairs.start; sp < root->data.mapping.pairs.top; sp++) {
		yaml_node_t *k = yaml_document_get_node(&doc, sp->key);
		yaml_node_t *v = yaml_document_get_node(&doc, sp->value);
		char *where = xasprintf("%s:%zu", path, k->start_mark.line + 1);
		struct src *s;

		if (k->type != YAML_SCALAR_NODE || v->type != YAML_MAPPING_NODE) {
			cl->err = xasprintf(
			        "%s: a group source is a name with a mapping of groups", where);
			free(where);
			goto out;
		}
		s = src_new(cl, (const char *)k->data.scalar.value, where);
		free(where);
		if (s == NULL)
			goto out;
		for (gp = v->data.mapping.pairs.start; gp < v->data.mapping.pairs.top; gp++) {
			yaml_node_t *gk = yaml_document_get_node(&doc, gp->key);
			yaml_node_t *gv = yaml_document_get_node(&doc, gp->value);

			where = xasprintf("%s:%zu", path, gk->start_mark.line + 1);
			if (gk->type != YAML_SCALAR_NODE || gv->type != YAML_SCALAR_NODE) {
				cl->err = xasprintf(
				        "%s: a group is a name and a nodeset string", where);
				free(where);
				goto out;
			}
			if ((expr = nodeset_expr(cl, (const char *)gv->data.scalar.value, where)) ==
			        NULL) {
				free(where);
				goto out;
			}
			s->gname = xreallocarray(s->gname, s->ng + 1, sizeof *s->gname);
			s->gexpr = xreallocarray(s->gexpr, s->ng + 1, sizeof *s->gexpr);
			s->gwhere = xreallocarray(s->gwhere, s->ng + 1, sizeof *s->gwhere);
			s->gname[s->ng] = xstrdup((const char *)gk->data.scalar.value);
			s->gexpr[s->ng] = expr;
			s->gwhere[s->ng++] = where;
		}
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	return rc;
}

/* confdir/autodir: blank-separated directories, $CFGDIR replaced; *.conf or *.yaml in each. */
static int
dirs(struct clush *cl, const char *list, const char *cfgdir, bool yaml, char **errp)
{
	char *all = groups_subst(list, "CFGDIR", cfgdir), *d, *save = NULL;
	int rc = 0;

	for (d = strtok_r(all, " \t\n", &save); d && rc == 0; d = strtok_r(NULL, " \t\n", &save)) {
		char *pat = xasprintf("%s/*.%s", d, yaml ? "yaml" : "conf");
		struct stat st;
		glob_t gl;
		size_t i;

		if (stat(d, &st) == 0 && !S_ISDIR(st.st_mode)) {
			cl->err = xasprintf("%s: defined %s is not a directory", d,
			        yaml ? "autodir" : "confdir");
			rc = -1;
		} else if (glob(pat, 0, NULL, &gl) == 0) {
			for (i = 0; i < gl.gl_pathc && rc == 0; i++) {
				if (yaml) {
					rc = yaml_sources(cl, gl.gl_pathv[i]);
				} else {
					struct cfg part = {0};

					rc = conf_read(&part, gl.gl_pathv[i], errp);
					if (rc == 0)
						rc = upcall_sources(cl, &part, d);
					conf_free(&part);
				}
			}
			globfree(&gl);
		}
		free(pat);
	}
	free(all);
	return rc;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL   ? xstrdup(".")
	       : slash == path ? xstrdup("/")
	                       : xstrndup(path, (size_t)(slash - path));
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
inv_clush(const char *path, char **errp)
{
	struct cfg c = {0};
	struct clush cl = {0};
	char *cfgdir = NULL, *tmp, *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *def, *v;
	size_t i, k;
	int rc = -1;
	struct stat st;

	*errp = NULL;
	if (path == NULL) {
		/* clush's own locations, each later one's keys winning */
		char *paths[4] = {xstrdup("/etc/clustershell/groups.conf"),
		        home ? xasprintf("%s/.local/etc/clustershell/groups.conf", home) : NULL,
		        xdg    ? xasprintf("%s/clustershell/groups.conf", xdg)
		        : home ? xasprintf("%s/.config/clustershell/groups.conf", home)
		               : NULL,
		        getenv("CLUSTERSHELL_CFGDIR")
		                ? xasprintf("%s/groups.conf", getenv("CLUSTERSHELL_CFGDIR"))
		                : NULL};

		for (i = 0, rc = 0; i < 4; i++) {
			if (rc == 0 && paths[i] != NULL && exists(paths[i])) {
				rc = conf_read(&c, paths[i], errp);
				free(cfgdir);
				cfgdir = dir_of(paths[i]);
			}
			free(paths[i]);
		}
		if (rc != 0)
			goto out;
		rc = -1;
		if (cfgdir == NULL) {
			*errp = xstrdup("clustershell: no groups.conf in /etc/clustershell, "
			                "~/.config/clustershell or $CLUSTERSHELL_CFGDIR");
			goto out;
		}
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		tmp = xasprintf("%s/groups.conf", path);
		cfgdir = xstrdup(path);
		rc = conf_read(&c, tmp, errp);
		free(tmp);
		if (rc != 0)
			goto out;
		rc = -1;
	} else {
		FILE *fp = fopen(path, "r");
		char first[256] = "";

		if (fp == NULL) {
			*errp = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		while (fgets(first, sizeof first, fp) != NULL &&
		        (first[0] == '#' || first[strspn(first, " \t\r\n")] == '\0'))
			;
		fclose(fp);
		cfgdir = dir_of(path);
		if (first[0] != '[') {
			/* a groups.d YAML file by itself */
			if (yaml_sources(&cl, path) < 0)
				goto out;
			goto feed;
		}
		if (conf_read(&c, path, errp) < 0)
			goto out;
	}
	if ((v = get(&c, "Main", "groupsdir")) != NULL ||
	        (v = get(&c, "Main", "confdir")) != NULL) {
		if (dirs(&cl, v, cfgdir, false, errp) < 0)
			goto out;
	}
	if ((v = get(&c, "Main", "autodir")) != NULL && dirs(&cl, v, cfgdir, true, errp) < 0)
		goto out;
	if (upcall_sources(&cl, &c, cfgdir) < 0)
		goto out;
feed:
	def = get(&c, "Main", "default");
	if (def != NULL && *def != '\0') {
		for (i = 0; i < cl.n && strcmp(cl.v[i].name, def) != 0; i++)
			;
		if (i == cl.n) {
			*errp = xasprintf("%s: default group source not found: '%s'",
			        kv_of(section_of(&c, "Main"), "default")->where, def);
			goto out;
		}
	} else
		def = cl.n > 0 ? cl.v[0].name : NULL;
	for (i = 0; i < cl.n; i++) {
		struct src *s = &cl.v[i];
		bool unq = def != NULL && strcmp(s->name, def) == 0;

		if (s->map != NULL)
			groups_put_upcall(s->name, unq, s->map, s->list, s->cwd, s->where);
		for (k = 0; k < s->ng; k++) {
			if (groups_put_expr(
			            s->name, unq, s->gname[k], s->gexpr[k], s->gwhere[k], errp) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	if (cl.err != NULL) {
		free(*errp);
		*errp = cl.err;
		rc = -1;
	}
	for (i = 0; i < cl.n; i++) {
		free(cl.v[i].name);
		free(cl.v[i].where);
		free(cl.v[i].map);
		free(cl.v[i].list);
		free(cl.v[i].cwd);
		for (k = 0; k < cl.v[i].ng; k++) {
			free(cl.v[i].gname[k]);
			free(cl.v[i].gexpr[k]);
			free(cl.v[i].gwhere[k]);
		}
		free(cl.v[i].gname);
		free(cl.v[i].gexpr);
		free(cl.v[i].gwhere);
	}
	free(cl.v);
	free(cfgdir);
	conf_free(&c);
	return rc;
}
