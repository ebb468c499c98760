/*
 * inv-ansible.c - Ansible inventories, INI and YAML (libyaml), read as
 * ansible-inventory reads them: groups, children, `all` and `ungrouped`,
 * host ranges (hostlist.c's expander in Ansible's syntax), and the
 * connection variables ansible_host, ansible_port, ansible_user (and their
 * older ansible_ssh_* names) per host and per group.
 *
 * A host's value is Ansible's: its own over its groups'; among groups a
 * deeper one (a child) over a shallower one (its parent), `all` last, and
 * groups of the same depth by name, the later name winning.  Every group is
 * given to groups.c with all its hosts (its children's too) and their
 * values resolved, so nothing downstream knows Ansible's rules.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "conffile.h"
#include "groups.h"
#include "hostlist.h"
#include "inventory.h"
#include "xmalloc.h"

enum var { V_HOST, V_PORT, V_USER, V__COUNT };

struct vars {
	char *v[V__COUNT];
	char *where[V__COUNT];
};

struct ahost {
	char *name;
	struct vars vars;
	size_t *groups, ngroups; /* the groups that name it themselves */
};

struct agroup {
	char *name;
	char *where;
	bool defined; /* a section or key of its own (a :vars one needs it) */
	size_t *kids, nkids;
	bool has_parent;
	int depth;
	struct vars vars;
};

struct inv {
	const char *path;
	struct ahost *h;
	size_t nh;
	struct hostlist names; /* the hosts' names, in h's order: found by hash */
	struct agroup *g;
	size_t ng;
	char *err;
};

static size_t
group_of(struct inv *iv, const char *name, const char *where)
{
	size_t i;

	for (i = 0; i < iv->ng; i++) {
		if (strcmp(iv->g[i].name, name) == 0)
			return i;
	}
	iv->g = xreallocarray(iv->g, iv->ng + 1, sizeof *iv->g);
	memset(&iv->g[iv->ng], 0, sizeof iv->g[iv->ng]);
	iv->g[iv->ng].name = xstrdup(name);
	iv->g[iv->ng].where = xstrdup(where);
	return iv->ng++;
}

static size_t
host_of(struct inv *iv, const char *name)
{
	struct hostspec spec = {.alias = (char *)(uintptr_t)name};
	size_t i = hostlist_find(&iv->names, name, NULL, 0);

	if (i > 0)
		return i - 1;
	hostlist_add_spec(&iv->names, &spec);
	iv->h = xreallocarray(iv->h, iv->nh + 1, sizeof *iv->h);
	memset(&iv->h[iv->nh], 0, sizeof iv->h[iv->nh]);
	iv->h[iv->nh].name = xstrdup(name);
	return iv->nh++;
}

static void
add_index(size_t **v, size_t *n, size_t x)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if ((*v)[i] == x)
			return;
	}
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = x;
}

static bool
group_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	}
	return true;
}

/* One variable; only the connection ones matter, the rest are Ansible's own business. */
static int
set_var(struct inv *iv, struct vars *vs, const char *key, const char *value, const char *where)
{
	static const struct {
		const char *name;
		enum var v;
		bool old;
	} known[] = {{"ansible_host", V_HOST, false}, {"ansible_ssh_host", V_HOST, true},
	        {"ansible_port", V_PORT, false}, {"ansible_ssh_port", V_PORT, true},
	        {"ansible_user", V_USER, false}, {"ansible_ssh_user", V_USER, true}};
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		enum var v = known[i].v;

		if (strcmp(key, known[i].name) != 0)
			continue;
		if (strstr(value, "{{") != NULL || strstr(value, "{%") != NULL) {
			iv->err = xasprintf("%s: %s is a Jinja template ('%s'): shoal does not "
			                    "render templates",
			        where, key, value);
			return -1;
		}
		if (*value == '\0') {
			iv->err = xasprintf("%s: %s is empty", where, key);
			return -1;
		}
		/* As ssh checks a host and user from its command line: they may reach
		 * a ProxyCommand's shell through %h and %r. */
		if (v == V_HOST || v == V_USER) {
			const char *bad = v == V_HOST ? "'`\"$\\;&<>|(){}," : "'`\";&<>|(){}";
			const char *c;

			for (c = value; *c; c++) {
				if (strchr(bad, *c) != NULL || iscntrl((unsigned char)*c) ||
				        (v == V_HOST && isspace((unsigned char)*c)))
					break;
			}
			if (*c != '\0' || *value == '-') {
				iv->err = xasprintf(
				        "%s: %s '%s' holds characters ssh refuses in a %s", where,
				        key, value, v == V_HOST ? "host name" : "user name");
				return -1;
			}
		}
		if (v == V_PORT) {
			char *end;
			long p;

			errno = 0;
			p = strtol(value, &end, 10);
			if (errno != 0 || *end != '\0' || p < 1 || p > 65535) {
				iv->err = xasprintf("%s: %s: bad port '%s'", where, key, value);
				return -1;
			}
		}
		/* The new name wins over the old one wherever they are. */
		if (known[i].old && vs->v[v] != NULL)
			return 0;
		free(vs->v[v]);
		free(vs->where[v]);
		vs->v[v] = xstrdup(value);
		vs->where[v] = xstrdup(where);
	}
	return 0;
}

/* A host pattern (ranges, host:port) and its vars into group gi. */
static int
add_hosts(struct inv *iv, size_t gi, const char *pattern, const struct vars *vs, const char *where)
{
	struct hostlist hl;
	char *name = xstrdup(pattern), *colon = strrchr(name, ':'), *err = NULL;
	struct vars own = {0};
	size_t i;
	int v;

	/* host:port; a bracket after the colon is a range, not a port */
	if (colon != NULL && strchr(colon, ']') == NULL && strchr(name, ':') == colon) {
		*colon = '\0';
		if (set_var(iv, &own, "ansible_port", colon + 1, where) < 0) {
			free(name);
			return -1;
		}
	}
	hostlist_init(&hl);
	if (hostlist_add_ansible(&hl, name, NULL, 0, NULL, where, &err) < 0) {
		iv->err = err;
		free(name);
		hostlist_free(&hl);
		return -1;
	}
	for (i = 0; i < hl.n; i++) {
		size_t hi = host_of(iv, hl.v[i].alias);
		struct ahost *h = &iv->h[hi];

		add_index(&h->groups, &h->ngroups, gi);
		for (v = 0; v < V__COUNT; v++) {
			const struct vars *from = own.v[v] ? &own : vs;

			if (from != NULL && from->v[v] != NULL) {
				free(h->vars.v[v]);
				free(h->vars.where[v]);
				h->vars.v[v] = xstrdup(from->v[v]);
				h->vars.where[v] = xstrdup(from->where[v]);
			}
		}
	}
	for (v = 0; v < V__COUNT; v++) {
		free(own.v[v]);
		free(own.where[v]);
	}
	free(name);
	hostlist_free(&hl);
	return 0;
}

static void
vars_free(struct vars *vs)
{
	int v;

	for (v = 0; v < V__COUNT; v++) {
		free(vs->v[v]);
		free(vs->where[v]);
	}
}

static void
inv_free(struct inv *iv)
{
	size_t i;

	for (i = 0; i < iv->nh; i++) {
		free(iv->h[i].name);
		free(iv->h[i].groups);
		vars_free(&iv->h[i].vars);
	}
	for (i = 0; i < iv->ng; i++) {
		free(iv->g[i].name);
		free(iv->g[i].where);
		free(iv->g[i].kids);
		vars_free(&iv->g[i].vars);
	}
	free(iv->h);
	free(iv->g);
	hostlist_free(&iv->names);
}

/*
 * A group reached again while its own descendants are walked: a children
 * loop; returns it, or SIZE_MAX.  state: 0 not seen, 1 being walked, 2 done
 * (each group walked once, however many parents lead to it); each group
 * done is appended to post, children before parents.
 */
static size_t
loop_from(const struct inv *iv, size_t g, unsigned char *state, size_t *post, size_t *npost)
{
	size_t k, found;

	if (state[g] == 1)
		return g;
	if (state[g] == 2)
		return SIZE_MAX;
	state[g] = 1;
	for (k = 0; k < iv->g[g].nkids; k++) {
		if ((found = loop_from(iv, iv->g[g].kids[k], state, post, npost)) != SIZE_MAX)
			return found;
	}
	state[g] = 2;
	post[(*npost)++] = g;
	return SIZE_MAX;
}

/* anc[d * ng + g]: g is d or one of its ancestors; d's hosts are g's. */
static void
mark_ancestor(const struct inv *iv, bool *anc, size_t g, size_t d)
{
	size_t k;

	if (anc[d * iv->ng + g])
		return;
	anc[d * iv->ng + g] = true;
	for (k = 0; k < iv->g[d].nkids; k++)
		mark_ancestor(iv, anc, g, iv->g[d].kids[k]);
}

static int
by_depth_name(const void *a, const void *b, void *arg)
{
	const struct inv *iv = arg;
	const struct agroup *x = &iv->g[*(const size_t *)a], *y = &iv->g[*(const size_t *)b];

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* all, ungrouped, depths, each host's values; then every group into groups.c. */
static int
finish(struct inv *iv)
{
	size_t all = group_of(iv, "all", iv->path), ung = group_of(iv, "ungrouped", iv->path);
	size_t i, k, n, *order = xcalloc(iv->ng + 1, sizeof *order);
	struct hostspec *spec = xcalloc(iv->nh + 1, sizeof *spec);
	bool *anc = NULL, *in = xcalloc(iv->ng + 1, sizeof *in);
	unsigned char *state = xcalloc(iv->ng + 1, 1);
	size_t *post = xcalloc(iv->ng + 1, sizeof *post), npost = 0;
	struct hostlist *members = xcalloc(iv->ng + 1, sizeof *members);
	int rc = -1;

	/* Every top group is all's child. */
	for (i = 0; i < iv->ng; i++) {
		if (i != all && !iv->g[i].has_parent) {
			add_index(&iv->g[all].kids, &iv->g[all].nkids, i);
			iv->g[i].has_parent = true;
		}
	}
	for (i = 0; i < iv->ng; i++) {
		size_t l = loop_from(iv, i, state, post, &npost);

		if (l != SIZE_MAX) {
			iv->err =
			        xasprintf("%s: group '%s' is its own descendant (a children loop)",
			                iv->g[l].where, iv->g[l].name);
			goto out;
		}
	}
	/* Depth as Ansible's: one more than the deepest parent's; parents first. */
	for (i = npost; i-- > 0;) {
		const struct agroup *p = &iv->g[post[i]];

		for (k = 0; k < p->nkids; k++) {
			if (iv->g[p->kids[k]].depth < p->depth + 1)
				iv->g[p->kids[k]].depth = p->depth + 1;
		}
	}
	anc = xcalloc(iv->ng * iv->ng + 1, sizeof *anc);
	for (i = 0; i < iv->ng; i++)
		mark_ancestor(iv, anc, i, i);
	for (k = 0; k < iv->nh; k++) {
		struct vars *hv = &iv->h[k].vars;
		char *val[V__COUNT] = {0};
		bool grouped = false;
		size_t d;
		int v;

		/* Its groups: those naming it and their ancestors. */
		memset(in, 0, iv->ng * sizeof *in);
		for (d = 0; d < iv->h[k].ngroups; d++) {
			for (i = 0; i < iv->ng; i++)
				in[i] = in[i] || anc[iv->h[k].groups[d] * iv->ng + i];
		}
		/* As Ansible reconciles: ungrouped is the hosts in no other group,
		 * wherever they were written (before any section, or in [ungrouped]). */
		for (i = 0; i < iv->ng && !grouped; i++)
			grouped = in[i] && i != all && i != ung;
		in[ung] = !grouped;
		in[all] = true;
		for (i = n = 0; i < iv->ng; i++) {
			if (in[i])
				order[n++] = i;
		}
		qsort_r(order, n, sizeof *order, by_depth_name, iv);
		for (i = 0; i < n; i++) {
			for (v = 0; v < V__COUNT; v++) {
				if (iv->g[order[i]].vars.v[v] != NULL)
					val[v] = iv->g[order[i]].vars.v[v];
			}
		}
		for (v = 0; v < V__COUNT; v++) {
			if (hv->v[v] != NULL)
				val[v] = hv->v[v];
		}
		spec[k].alias = iv->h[k].name;
		spec[k].addr = val[V_HOST];
		spec[k].user = val[V_USER];
		spec[k].port = val[V_PORT] ? atoi(val[V_PORT]) : 0;
		/* Hosts in the file's order, as ansible lists a pattern's. */
		for (i = 0; i < n; i++)
			hostlist_add_spec(&members[order[i]], &spec[k]);
	}
	for (i = 0; i < iv->ng; i++) {
		struct grp *g = groups_define("ansible", true, iv->g[i].name, iv->g[i].where);

		for (k = 0; k < members[i].n; k++)
			groups_put_host(g, &members[i].v[k]);
	}
	rc = 0;
out:
	for (i = 0; i < iv->ng; i++)
		hostlist_free(&members[i]);
	free(members);
	free(state);
	free(post);
	free(anc);
	free(in);
	free(order);
	free(spec);
	return rc;
}

/* ---- INI ---------------------------------------------------------------- */

enum ini_kind { INI_HOSTS, INI_VARS, INI_CHILDREN };

struct ini {
	struct inv *iv;
	size_t group;
	enum ini_kind kind;
};

/* Next word of a line, shell-like as Ansible's shlex: quotes kept together and removed. */
static char *
next_word(char **p)
{
	char *s = *p, *out, *o;
	char q = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return NULL;
	out = o = s;
	for (; *s && (q || !isspace((unsigned char)*s)); s++) {
		if (*s == '\\' && q != '\'' && s[1] != '\0')
			*o++ = *++s; /* shlex: a backslash keeps the next character */
		else if (q && *s == q)
			q = 0;
		else if (!q && (*s == '"' || *s == '\''))
			q = *s;
		else
			*o++ = *s;
	}
	if (*s)
		s++;
	*o = '\0';
	*p = s;
	return out;
}

static int
ini_line(void *arg, char *line, const char *where)
{
	struct ini *in = arg;
	struct inv *iv = in->iv;

	if (*line == ';' || *line == '#')
		return 0;
	if (*line == '[') {
		char *close = strrchr(line, ']'), *colon, *kind = NULL;

		if (close == NULL || close[1] != '\0') {
			iv->err = xasprintf("%s: bad section header '%s'", where, line);
			return 2;
		}
		*close = '\0';
		if ((colon = strchr(line + 1, ':')) != NULL) {
			*colon = '\0';
			kind = colon + 1;
		}
		if (!group_name_ok(line + 1)) {
			iv->err = xasprintf("%s: bad group name '%s' (letters, digits, '_', '-')",
			        where, line + 1);
			return 2;
		}
		if (kind == NULL || strcmp(kind, "hosts") == 0)
			in->kind = INI_HOSTS;
		else if (strcmp(kind, "vars") == 0)
			in->kind = INI_VARS;
		else if (strcmp(kind, "children") == 0)
			in->kind = INI_CHILDREN;
		else {
			iv->err =
			        xasprintf("%s: section [%s:%s] has unknown type '%s' (hosts, vars, "
			                  "children)",
			                where, line + 1, kind, kind);
			return 2;
		}
		in->group = group_of(iv, line + 1, where);
		if (in->kind != INI_VARS)
			iv->g[in->group].defined = true;
		return 0;
	}
	if (in->kind == INI_VARS) {
		char *eq = strchr(line, '='), *k, *v, *e;

		if (eq == NULL) {
			iv->err = xasprintf("%s: expected 'KEY=VALUE' in [%s:vars]", where,
			        iv->g[in->group].name);
			return 2;
		}
		*eq = '\0';
		for (e = eq; e > line && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		k = line;
		v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		/* Ansible keeps the rest of the line, a '#' too; quotes around it go. */
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
			e[-1] = '\0';
			v++;
		}
		return set_var(iv, &iv->g[in->group].vars, k, v, where) < 0 ? 2 : 0;
	}
	if (in->kind == INI_CHILDREN) {
		char *p = line, *name = next_word(&p);
		size_t c;

		if (name == NULL)
			return 0;
		if (!group_name_ok(name)) {
			iv->err = xasprintf("%s: bad group name '%s'", where, name);
			return 2;
		}
		c = group_of(iv, name, where);
		iv->g[c].has_parent = true;
		add_index(&iv->g[in->group].kids, &iv->g[in->group].nkids, c);
		return 0;
	}
	{
		char *p = line, *pattern = next_word(&p), *word;
		struct vars vs = {0};
		int rc;

		if (pattern == NULL)
			return 0;
		while ((word = next_word(&p)) != NULL) {
			char *eq = strchr(word, '=');

			if (eq == NULL) {
				vars_free(&vs);
				iv->err = xasprintf(
				        "%s: expected KEY=VALUE after the host, found '%s'", where,
				        word);
				return 2;
			}
			*eq = '\0';
			if (set_var(iv, &vs, word, eq + 1, where) < 0) {
				vars_free(&vs);
				return 2;
			}
		}
		iv->g[in->group].defined = true;
		rc = add_hosts(iv, in->group, pattern, &vs, where);
		vars_free(&vs);
		return rc < 0 ? 2 : 0;
	}
}

int
inv_ansible_ini(const char *path, char **errp)
{
	struct inv iv = {.path = path};
	struct ini in = {.iv = &iv, .kind = INI_HOSTS};
	size_t i;
	int rc;

	*errp = NULL;
	/* Lines before any section are ungrouped hosts. */
	in.group = group_of(&iv, "ungrouped", path);
	rc = conffile_lines(path, true, ini_line, &in, errp);
	if (rc == 0) {
		for (i = 0; i < iv.ng; i++) {
			if (!iv.g[i].defined && iv.g[i].vars.v[0] == NULL &&
			        iv.g[i].vars.v[1] == NULL && iv.g[i].vars.v[2] == NULL)
				continue;
			if (!iv.g[i].defined && strcmp(iv.g[i].name, "all") != 0 &&
			        strcmp(iv.g[i].name, "ungrouped") != 0 && !iv.g[i].has_parent) {
				iv.err = xasprintf("%s: [%s:vars] for a group never defined",
				        iv.g[i].where, iv.g[i].name);
				rc = 2;
				break;
			}
		}
	}
	if (rc == 0 && finish(&iv) < 0)
		rc = 2;
	if (rc != 0 && iv.err != NULL) {
		free(*errp);
		*errp = iv.err;
		iv.err = NULL;
	}
	free(iv.err);
	inv_free(&iv);
	return rc != 0 ? -1 : 0;
}

/* ---- YAML --------------------------------------------------------------- */

struct yctx {
	struct inv *iv;
	yaml_document_t *doc;
};

static char *
ywhere(const struct yctx *y, const yaml_node_t *n)
{
	return xasprintf("%s:%zu", y->iv->path, n->start_mark.line + 1);
}

static const char *
scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool
is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return n == NULL || (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	                            (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0));
}

static int yaml_group(struct yctx *y, yaml_node_t *node, const char *name, const yaml_node_t *at);

static int
yaml_fail(struct yctx *y, const yaml_node_t *n, const char *what)
{
	char *where = ywhere(y, n);

	y->iv->err = xasprintf("%s: %s", where, what);
	free(where);
	return -1;
}

/* A mapping of variables: only scalars matter to shoal. */
static int
yaml_vars(struct yctx *y, yaml_node_t *node, struct vars *vs)
{
	yaml_node_pair_t *pr;

	if (is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return yaml_fail(y, node, "vars must be a mapping");
	for (pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, pr->value);
		char *where;
		int rc;

		if (scalar(k) == NULL)
			return yaml_fail(y, k, "a variable's name must be a string");
		if (scalar(v) == NULL)
			continue;
		where = ywhere(y, k);
		rc = set_var(y->iv, vs, scalar(k), scalar(v), where);
		free(where);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
yaml_group(struct yctx *y, yaml_node_t *node, const char *name, const yaml_node_t *at)
{
	struct inv *iv = y->iv;
	char *where = ywhere(y, at);
	size_t gi;
	yaml_node_pair_t *pr;

	if (!group_name_ok(name)) {
		iv->err = xasprintf(
		        "%s: bad group name '%s' (letters, digits, '_', '-')", where, name);
		free(where);
		return -1;
	}
	gi = group_of(iv, name, where);
	iv->g[gi].defined = true;
	free(where);
	if (is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return yaml_fail(y, node, "a group must be a mapping of hosts, vars and children");
	for (pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, pr->value);
		const char *key = scalar(k);
		yaml_node_pair_t *q;

		if (key != NULL && strcmp(key, "vars") == 0) {
			if (yaml_vars(y, v, &iv->g[gi].vars) < 0)
				return -1;
		} else if (key != NULL &&
		           (strcmp(key, "hosts") == 0 || strcmp(key, "children") == 0)) {
			bool hosts = key[0] == 'h';

			if (is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				return yaml_fail(y, v,
				        hosts ? "hosts must be a mapping"
				              : "children must be a mapping");
			for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *hk = yaml_document_get_node(y->doc, q->key);
				yaml_node_t *hv = yaml_document_get_node(y->doc, q->value);
				struct vars vs = {0};
				char *hwhere;
				int rc;

				if (scalar(hk) == NULL)
					return yaml_fail(y, hk, "a name must be a string");
				if (!hosts) {
					char *cname = xstrdup(scalar(hk));
					size_t c;

					rc = yaml_group(y, hv, cname, hk);
					if (rc == 0) {
						c = group_of(iv, cname, "");
						iv->g[c].has_parent = true;
						add_index(&iv->g[gi].kids, &iv->g[gi].nkids, c);
					}
					free(cname);
					if (rc < 0)
						return -1;
					continue;
				}
				if (yaml_vars(y, hv, &vs) < 0) {
					vars_free(&vs);
					return -1;
				}
				hwhere = ywhere(y, hk);
				rc = add_hosts(iv, gi, scalar(hk), &vs, hwhere);
				free(hwhere);
				vars_free(&vs);
				if (rc < 0)
					return -1;
			}
		} else {
			/* Ansible warns and skips such keys; a typo of hosts must not pass. */
			return yaml_fail(y, k, "unexpected key in a group (hosts, vars, children)");
		}
	}
	return 0;
}

int
inv_ansible_yaml(const char *path, char **errp)
{
	struct inv iv = {.path = path};
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pr;
	struct yctx y = {.iv = &iv, .doc = &doc};
	int rc = -1;

	*errp = NULL;
	if (inventory_yaml(path, &doc, errp) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root))
		rc = 0;
	else if (root->type != YAML_MAPPING_NODE)
		rc = yaml_fail(&y, root, "an Ansible YAML inventory is a mapping of groups");
	else {
		rc = 0;
		for (pr = root->data.mapping.pairs.start;
		        pr < root->data.mapping.pairs.top && rc == 0; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);

			if (scalar(k) == NULL)
				rc = yaml_fail(&y, k, "a group name must be a string");
			else
				rc = yaml_group(
				        &y, yaml_document_get_node(&doc, pr->value), scalar(k), k);
		}
	}
	if (rc == 0)
		rc = finish(&iv);
	if (rc != 0) {
		*errp = iv.err;
		iv.err = NULL;
	}
	yaml_document_delete(&doc);
	inv_free(&iv);
	return rc;
}
