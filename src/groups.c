/*
 * groups.c - named host groups: the files, @NAME expansion, --list-groups.
 *
 * The files are read once, on the first @NAME, -g or --list-groups, so a run
 * that names no group never reads them.  Every group keeps the file:line
 * that defined it: an error inside its expression, a loop through it or an
 * unknown group it names is reported there.  Expansion is by recursion
 * through hostlist_add_expr; a group being expanded is marked busy, and
 * meeting it again is a loop, reported with the chain of names.
 *
 * A `!COMMAND` group runs COMMAND with /bin/sh once per run, stdin from
 * /dev/null and stderr shoal's, and reads its stdout as a host file (one
 * expression a line, '#' comments).  Past the deadline its process group is
 * killed.  Its output is kept for the rest of the run.
 *
 * Inventories (inventory.c) add groups of their own source: @SOURCE:NAME
 * names one; @NAME alone is shoal's files' group, else the first source
 * given that defines it, and inside a source's group its own source first.
 * A ClusterShell source with a `map` command is an upcall: a group is its
 * map command's output, run as a !COMMAND with $GROUP set to the name.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "conffile.h"
#include "groups.h"
#include "host.h"
#include "wait.h"
#include "xmalloc.h"

/* A dynamic inventory's output beyond this is refused (a runaway command). */
#define GROUPS_MAX_OUTPUT (64u << 20)

struct grp {
	char *name;
	char *label;            /* as messages name it: NAME, or SOURCE:NAME */
	char *source;           /* NULL: shoal's files */
	bool unqualified;       /* found by @NAME alone (else @SOURCE:NAME only) */
	struct hostlist *hosts; /* an inventory's hosts, with their vars; else expr */
	char *expr;             /* the expression, or the command after '!' */
	char *cwd;   /* an upcall's: the directory its command runs in (ClusterShell's $CFGDIR) */
	char *where; /* "file:line" of the definition */
	int file;    /* which file: 0 the user's, 1 the system's */
	bool dynamic;
	bool busy; /* being expanded now */
	bool ran;  /* dynamic: out holds the command's output */
	struct buf out;
};

/* A ClusterShell upcall source: its commands, $CFGDIR already replaced. */
struct upcall {
	char *source, *map, *list, *where, *cwd;
	bool unqualified;
};

static struct {
	struct grp **v; /* pointers: upcalls add groups while others expand */
	size_t n;
	struct upcall *up;
	size_t nup;
	struct hostlist known; /* every inventory host with its values, for groups_host_vars */
	size_t *byalias;       /* known's indexes sorted by alias, made on the first look-up */
	bool loaded;
	int file; /* the file being read */
	char *paths[2];
	char *err;          /* a line's error, while loading */
	struct grp **chain; /* the groups being expanded, outermost first */
	size_t nchain;
	double timeout;
} G = {.timeout = 30};

void
groups_set_timeout(double seconds)
{
	G.timeout = seconds;
}

static bool
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	}
	return true;
}

static bool
source_is(const struct grp *g, const char *source)
{
	return source == NULL ? g->source == NULL
	                      : g->source != NULL && strcmp(g->source, source) == 0;
}

/* Of a source, or (source NULL) of shoal's files. */
static struct grp *
find_in(const char *source, const char *name)
{
	size_t i;

	for (i = 0; i < G.n; i++) {
		if (source_is(G.v[i], source) && strcmp(G.v[i]->name, name) == 0)
			return G.v[i];
	}
	return NULL;
}

static struct grp *
grp_new(const char *source, bool unqualified, const char *name, const char *where)
{
	struct grp *g = xcalloc(1, sizeof *g);

	g->name = xstrdup(name);
	g->label = source ? xasprintf("%s:%s", source, name) : xstrdup(name);
	g->source = source ? xstrdup(source) : NULL;
	g->unqualified = unqualified;
	g->where = xstrdup(where);
	buf_init(&g->out);
	G.v = xreallocarray(G.v, G.n + 1, sizeof *G.v);
	G.v[G.n++] = g;
	return g;
}

static const struct upcall *
upcall_find(const char *source)
{
	size_t i;

	for (i = 0; i < G.nup; i++) {
		if (strcmp(G.up[i].source, source) == 0)
			return &G.up[i];
	}
	return NULL;
}

char *
groups_subst(const char *s, const char *name, const char *value)
{
	size_t len = strlen(name);
	struct buf b;

	buf_init(&b);
	while (*s) {
		if (s[0] == '$' && s[1] == '{' && strncmp(s + 2, name, len) == 0 &&
		        s[2 + len] == '}') {
			buf_appends(&b, value);
			s += len + 3;
		} else if (s[0] == '$' && strncmp(s + 1, name, len) == 0 &&
		           !(isalnum((unsigned char)s[1 + len]) || s[1 + len] == '_')) {
			buf_appends(&b, value);
			s += len + 1;
		} else
			buf_appendc(&b, *s++);
	}
	return buf_steal(&b);
}

/* A name an upcall's $GROUP may be: it goes into a shell command. */
static bool
upcall_name_ok(const char *name)
{
	return name_ok(name, strlen(name));
}

static bool
source_known(const char *source)
{
	size_t i;

	for (i = 0; i < G.n; i++) {
		if (source_is(G.v[i], source))
			return true;
	}
	return upcall_find(source) != NULL;
}

/* An upcall source's group: its map command, to be run as a !COMMAND. */
static struct grp *
upcall_group(const struct upcall *u, const char *name)
{
	struct grp *g = grp_new(u->source, u->unqualified, name, u->where);

	g->dynamic = true;
	g->expr = groups_subst(u->map, "GROUP", name); /* name_ok: no shell syntax */
	g->cwd = u->cwd ? xstrdup(u->cwd) : NULL;
	return g;
}

/*
 * The group a lookup means: @SOURCE:NAME that source's; @NAME inside a
 * source's group that source's first, then shoal's files', then the first
 * source that lets @NAME alone find its groups.
 */
static struct grp *
find(const char *source, const char *name, const char *context)
{
	const struct upcall *u;
	struct grp *g;
	size_t i;

	if (source != NULL) {
		if ((g = find_in(source, name)) != NULL)
			return g;
		u = upcall_find(source);
		return u != NULL && upcall_name_ok(name) ? upcall_group(u, name) : NULL;
	}
	if (context != NULL && (g = find(context, name, NULL)) != NULL)
		return g;
	if ((g = find_in(NULL, name)) != NULL)
		return g;
	for (i = 0; i < G.n; i++) {
		if (G.v[i]->unqualified && strcmp(G.v[i]->name, name) == 0)
			return G.v[i];
	}
	for (i = 0; i < G.nup; i++) {
		if (G.up[i].unqualified && upcall_name_ok(name))
			return upcall_group(&G.up[i], name);
	}
	return NULL;
}

/* One `NAME: EXPRESSION` line. */
static int
load_line(void *arg, char *line, const char *where)
{
	char *colon = strchr(line, ':'), *expr, *hash;
	struct grp *g;
	size_t len;

	(void)arg;
	if (colon == NULL) {
		G.err = xasprintf("%s: expected 'NAME: EXPRESSION'", where);
		return 2;
	}
	for (len = (size_t)(colon - line); len > 0 && isspace((unsigned char)line[len - 1]); len--)
		;
	if (!name_ok(line, len)) {
		G.err = xasprintf("%s: bad group name '%.*s' (letters, digits, '_', '-', '.')",
		        where, (int)len, line);
		return 2;
	}
	line[len] = '\0';
	for (expr = colon + 1; isspace((unsigned char)*expr); expr++)
		;
	if (*expr != '!' && (hash = strchr(expr, '#')) != NULL) {
		*hash = '\0';
		for (len = strlen(expr); len > 0 && isspace((unsigned char)expr[len - 1]); len--)
			expr[len - 1] = '\0';
	}
	if (*expr == '\0' || (*expr == '!' && expr[1] == '\0')) {
		G.err = xasprintf("%s: group '%s' has no %s", where, line,
		        *expr == '!' ? "command" : "expression");
		return 2;
	}
	if ((g = find_in(NULL, line)) != NULL) {
		if (g->file == G.file) {
			G.err = xasprintf("%s: group '%s' is defined again (first at %s)", where,
			        line, g->where);
			return 2;
		}
		return 0; /* the user's file defined it: that one wins */
	}
	g = grp_new(NULL, true, line, where);
	g->dynamic = *expr == '!';
	g->expr = xstrdup(g->dynamic ? expr + 1 : expr);
	g->file = G.file;
	return 0;
}

static int
load(char **errp)
{
	int i, rc = 0;

	if (G.loaded)
		return 0;
	G.loaded = true;
	G.paths[0] = conffile_user_path("groups");
	G.paths[1] = conffile_system_path("groups");
	for (i = 0; i < 2 && rc == 0; i++) {
		G.file = i;
		if (G.paths[i] != NULL)
			rc = conffile_lines(G.paths[i], false, load_line, NULL, errp);
	}
	if (rc != 0 && G.err != NULL) {
		*errp = G.err;
		G.err = NULL;
	}
	return rc != 0 ? -1 : 0;
}

/* Run a !COMMAND group's command once; its stdout into g->out. */
static int
run_command(struct grp *g, char **errp)
{
	double deadline = wait_now() + G.timeout;
	char chunk[65536];
	int pfd[2], status = 0, rc = -1;
	bool timed_out = false;
	pid_t pid;

	if (pipe(pfd) < 0) {
		*errp = xasprintf("%s: group '%s': cannot run the command: %s", g->where, g->label,
		        strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		*errp = xasprintf("%s: group '%s': cannot run the command: %s", g->where, g->label,
		        strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (g->cwd != NULL && chdir(g->cwd) < 0)
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl("/bin/sh", "sh", "-c", g->expr, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with the kill below */
	close(pfd[1]);
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		double left = deadline - wait_now();
		ssize_t r;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents == 0)
			continue;
		r = read(pfd[0], chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_append(&g->out, chunk, (size_t)r);
		if (g->out.len > GROUPS_MAX_OUTPUT) {
			*errp = xasprintf("%s: group '%s': the command wrote more than %u MB",
			        g->where, g->label, GROUPS_MAX_OUTPUT >> 20);
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			goto out;
		}
	}
	if (timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		*errp = xasprintf("%s: group '%s': the command did not finish within %g s (killed)",
		        g->where, g->label, G.timeout);
	else if (WIFSIGNALED(status))
		*errp = xasprintf("%s: group '%s': the command was killed by signal %d", g->where,
		        g->label, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		*errp = xasprintf("%s: group '%s': the command exited with status %d", g->where,
		        g->label, WEXITSTATUS(status));
	else
		rc = 0;
out:
	close(pfd[0]);
	g->ran = rc == 0;
	return rc;
}

/* A dynamic group's output read as a host file: "file:line: @NAME line K". */
static int
expand_output(struct hostlist *into, struct grp *g, char **errp)
{
	const char *p = g->out.p ? g->out.p : "", *end = p + g->out.len, *nl;
	size_t lineno = 0;
	int rc = 0;

	if (memchr(p, '\0', g->out.len) != NULL) {
		*errp = xasprintf(
		        "%s: group '%s': NUL byte in the command's output", g->where, g->label);
		return -1;
	}
	for (; p < end && rc == 0; p = nl + 1) {
		char *line, *hash, *s, *where;
		size_t len;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		lineno++;
		line = xstrndup(p, (size_t)(nl - p));
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (len = strlen(s); len > 0 && isspace((unsigned char)s[len - 1]); len--)
			s[len - 1] = '\0';
		if (len > 0) {
			where = xasprintf(
			        "%s: group '%s' output line %zu", g->where, g->label, lineno);
			rc = hostlist_add_expr(into, s, where, errp);
			free(where);
		}
		free(line);
	}
	return rc;
}

/* "@SOURCE:NAME" or "@NAME": the name itself may hold '=' (a genders attr=value). */
static bool
lookup_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("_-.=", s[i]) == NULL)
			return false;
	}
	return true;
}

/* The chain of groups being expanded, for a loop's message. */
static char *
chain_text(const char *last)
{
	struct buf chain;
	size_t i;

	buf_init(&chain);
	for (i = 0; i < G.nchain; i++) {
		const struct grp *c = G.chain[i];

		buf_appendf(&chain, "@%s%s%s -> ", c->source ? c->source : "", c->source ? ":" : "",
		        c->name);
	}
	buf_appends(&chain, last);
	return buf_steal(&chain);
}

static int
expand_group(
        struct hostlist *into, struct grp *g, const char *shown, const char *where, char **errp)
{
	size_t i;
	int rc;

	if (g->busy) {
		char *chain = chain_text(shown);

		*errp = xasprintf("%s: group loop: %s", where, chain);
		free(chain);
		return -1;
	}
	if (g->dynamic && !g->ran && run_command(g, errp) < 0)
		return -1;
	g->busy = true;
	G.chain = xreallocarray(G.chain, G.nchain + 1, sizeof *G.chain);
	G.chain[G.nchain++] = g;
	if (g->hosts != NULL) {
		for (i = 0, rc = 0; i < g->hosts->n; i++)
			hostlist_add_spec(into, &g->hosts->v[i]);
	} else if (g->dynamic) {
		size_t before = into->n;

		rc = expand_output(into, g, errp);
		if (rc == 0 && into->n == before && g->source != NULL) {
			/* An upcall's map prints nothing for a name it does not know. */
			*errp = xasprintf("%s: unknown group '%s' (source '%s': its map command "
			                  "printed no hosts)",
			        where, shown, g->source);
			rc = -1;
		}
	} else
		rc = hostlist_add_expr(into, g->expr, g->where, errp);
	G.nchain--;
	g->busy = false;
	return rc;
}

int
groups_expand(struct hostlist *into, const char *name, const char *where, char **errp)
{
	const char *colon = strchr(name, ':'), *context = NULL;
	char *source = NULL, *shown;
	struct grp *g;
	int rc = -1;

	*errp = NULL;
	if (load(errp) < 0)
		return -1;
	if (colon != NULL) {
		if (!name_ok(name, (size_t)(colon - name)) ||
		        !lookup_ok(colon + 1, strlen(colon + 1))) {
			*errp = xasprintf("%s: bad group name in '@%s'", where, name);
			return -1;
		}
		source = xstrndup(name, (size_t)(colon - name));
		name = colon + 1;
	} else if (!lookup_ok(name, strlen(name))) {
		*errp = xasprintf("%s: bad group name in '@%s'", where, name);
		return -1;
	}
	if (G.nchain > 0)
		context = G.chain[G.nchain - 1]->source;
	shown = xasprintf("@%s%s%s", source ? source : "", source ? ":" : "", name);
	if ((g = find(source, name, context)) == NULL) {
		if (source != NULL && !source_known(source))
			*errp = xasprintf("%s: unknown group source in '%s' (no --inventory gives "
			                  "a source '%s')",
			        where, shown, source);
		else
			*errp = xasprintf(
			        "%s: unknown group '%s' (groups are read from %s and %s%s)", where,
			        shown, G.paths[0] ? G.paths[0] : "~/.config/shoal/groups",
			        G.paths[1],
			        G.n > 0 && G.v[G.n - 1]->source != NULL ? ", and --inventory" : "");
	} else
		rc = expand_group(into, g, shown, where, errp);
	free(shown);
	free(source);
	return rc;
}

/* "NAME: HOSTS" into out, the hosts folded; "SOURCE:NAME" for an inventory's. */
static int
list_one(struct buf *out, struct grp *g, char **errp)
{
	struct hostlist hl;
	char **names, *folded, *shown;
	size_t k;
	int rc;

	hostlist_init(&hl);
	shown = xasprintf("@%s%s%s", g->source ? g->source : "", g->source ? ":" : "", g->name);
	if ((rc = expand_group(&hl, g, shown, g->where, errp)) == 0) {
		names = xcalloc(hl.n ? hl.n : 1, sizeof *names);
		for (k = 0; k < hl.n; k++)
			names[k] = host_spec_string(hl.v[k].alias, hl.v[k].user, hl.v[k].port);
		folded = hostlist_fold((const char *const *)names, hl.n);
		buf_appendf(out, "%s: %s\n", shown + 1, folded);
		free(folded);
		for (k = 0; k < hl.n; k++)
			free(names[k]);
		free(names);
	}
	free(shown);
	hostlist_free(&hl);
	return rc;
}

/* An upcall source's groups, from its list command: names apart by blanks. */
static int
list_upcall(const struct upcall *u, char **errp)
{
	struct grp lister;
	const char *p, *end;
	int rc;

	if (u->list == NULL)
		return 0; /* ClusterShell too lists nothing without a list command */
	memset(&lister, 0, sizeof lister);
	lister.name = lister.label = u->source;
	lister.where = u->where;
	lister.expr = u->list;
	lister.cwd = u->cwd;
	buf_init(&lister.out);
	if ((rc = run_command(&lister, errp)) < 0)
		goto out;
	p = lister.out.p ? lister.out.p : "";
	end = p + lister.out.len;
	while (p < end && rc == 0) {
		const char *w = p;
		char *name;

		while (w < end && isspace((unsigned char)*w))
			w++;
		for (p = w; p < end && !isspace((unsigned char)*p); p++)
			;
		if (p == w)
			break;
		name = xstrndup(w, (size_t)(p - w));
		if (!upcall_name_ok(name)) {
			*errp = xasprintf("%s: source '%s': its list command printed a bad group "
			                  "name '%s'",
			        u->where, u->source, name);
			rc = -1;
		} else if (find_in(u->source, name) == NULL)
			upcall_group(u, name);
		free(name);
	}
out:
	buf_free(&lister.out);
	return rc;
}

int
groups_list(FILE *fp, char **errp)
{
	struct buf out;
	size_t i;
	int rc = 0;

	*errp = NULL;
	if (load(errp) < 0)
		return -1;
	for (i = 0; i < G.nup && rc == 0; i++)
		rc = list_upcall(&G.up[i], errp);
	/* All expanded before anything is printed: an error leaves no half list.
	 * Shoal's files first, then the inventories in the order given. */
	buf_init(&out);
	for (i = 0; i < G.n && rc == 0; i++) {
		if (G.v[i]->source == NULL)
			rc = list_one(&out, G.v[i], errp);
	}
	for (i = 0; i < G.n && rc == 0; i++) {
		if (G.v[i]->source != NULL)
			rc = list_one(&out, G.v[i], errp);
	}
	if (rc == 0 && out.len > 0)
		fwrite(out.p, 1, out.len, fp);
	buf_free(&out);
	return rc;
}

struct grp *
groups_define(const char *source, bool unqualified, const char *name, const char *where)
{
	struct grp *g = find_in(source, name);

	if (g == NULL) {
		g = grp_new(source, unqualified, name, where);
		g->hosts = xmalloc(sizeof *g->hosts);
		hostlist_init(g->hosts);
	}
	return g;
}

void
groups_put_host(struct grp *g, const struct hostspec *h)
{
	hostlist_add_spec(g->hosts, h);
	hostlist_add_spec(&G.known, h);
	free(G.byalias); /* a host added after a look-up: sorted again on the next */
	G.byalias = NULL;
}

/* By alias, then by index: the first inventory's entry of a name comes first. */
static int
by_alias(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(G.known.v[x].alias, G.known.v[y].alias);

	return c != 0 ? c : (x > y) - (x < y);
}

void
groups_host_vars(const char *alias, const char **user, int *port, const char **addr)
{
	const struct hostspec *k;
	size_t lo = 0, hi, i;

	/* Sorted once, on the first look-up: the inventories are all read by
	 * then, and a -w range may ask for a million names. */
	if (G.byalias == NULL) {
		G.byalias = xcalloc(G.known.n + 1, sizeof *G.byalias);
		for (i = 0; i < G.known.n; i++)
			G.byalias[i] = i;
		qsort(G.byalias, G.known.n, sizeof *G.byalias, by_alias);
	}
	for (hi = G.known.n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(G.known.v[G.byalias[mid]].alias, alias) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == G.known.n || strcmp((k = &G.known.v[G.byalias[lo]])->alias, alias) != 0)
		return;
	if (*user == NULL)
		*user = k->user;
	if (*port == 0)
		*port = k->port;
	if (*addr == NULL)
		*addr = k->addr;
}

int
groups_put_expr(const char *source, bool unqualified, const char *name, const char *expr,
        const char *where, char **errp)
{
	struct grp *g = find_in(source, name);

	if (g != NULL) {
		*errp = xasprintf("%s: group '%s' of source '%s' is defined again (first at %s)",
		        where, name, source, g->where);
		return -1;
	}
	g = grp_new(source, unqualified, name, where);
	g->expr = xstrdup(expr);
	return 0;
}

void
groups_put_upcall(const char *source, bool unqualified, const char *map, const char *list,
        const char *cwd, const char *where)
{
	struct upcall *u;

	G.up = xreallocarray(G.up, G.nup + 1, sizeof *G.up);
	u = &G.up[G.nup++];
	u->source = xstrdup(source);
	u->map = xstrdup(map);
	u->list = list ? xstrdup(list) : NULL;
	u->cwd = cwd ? xstrdup(cwd) : NULL;
	u->where = xstrdup(where);
	u->unqualified = unqualified;
}

void
groups_free(void)
{
	size_t i;

	for (i = 0; i < G.n; i++) {
		struct grp *g = G.v[i];

		free(g->name);
		free(g->label);
		free(g->source);
		free(g->expr);
		free(g->cwd);
		free(g->where);
		buf_free(&g->out);
		if (g->hosts != NULL)
			hostlist_free(g->hosts);
		free(g->hosts);
		free(g);
	}
	for (i = 0; i < G.nup; i++) {
		free(G.up[i].source);
		free(G.up[i].map);
		free(G.up[i].list);
		free(G.up[i].where);
		free(G.up[i].cwd);
	}
	free(G.up);
	hostlist_free(&G.known);
	free(G.byalias);
	free(G.v);
	free(G.paths[0]);
	free(G.paths[1]);
	free(G.chain);
	free(G.err);
	memset(&G, 0, sizeof G);
	G.timeout = 30;
}
