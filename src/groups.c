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
	char *expr;  /* the expression, or the command after '!' */
	char *where; /* "file:line" of the definition */
	int file;    /* which file: 0 the user's, 1 the system's */
	bool dynamic;
	bool busy; /* being expanded now */
	bool ran;  /* dynamic: out holds the command's output */
	struct buf out;
};

static struct {
	struct grp *v;
	size_t n;
	bool loaded;
	int file; /* the file being read */
	char *paths[2];
	char *err;     /* a line's error, while loading */
	size_t *chain; /* the groups being expanded, outermost first */
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

static struct grp *
find(const char *name)
{
	size_t i;

	for (i = 0; i < G.n; i++) {
		if (strcmp(G.v[i].name, name) == 0)
			return &G.v[i];
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
	if ((g = find(line)) != NULL) {
		if (g->file == G.file) {
			G.err = xasprintf("%s: group '%s' is defined again (first at %s)", where,
			        line, g->where);
			return 2;
		}
		return 0; /* the user's file defined it: that one wins */
	}
	G.v = xreallocarray(G.v, G.n + 1, sizeof *G.v);
	g = &G.v[G.n++];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(line);
	g->dynamic = *expr == '!';
	g->expr = xstrdup(g->dynamic ? expr + 1 : expr);
	g->where = xstrdup(where);
	g->file = G.file;
	buf_init(&g->out);
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
		*errp = xasprintf("%s: group '%s': cannot run the command: %s", g->where, g->name,
		        strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		*errp = xasprintf("%s: group '%s': cannot run the command: %s", g->where, g->name,
		        strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
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
			        g->where, g->name, GROUPS_MAX_OUTPUT >> 20);
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
		        g->where, g->name, G.timeout);
	else if (WIFSIGNALED(status))
		*errp = xasprintf("%s: group '%s': the command was killed by signal %d", g->where,
		        g->name, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		*errp = xasprintf("%s: group '%s': the command exited with status %d", g->where,
		        g->name, WEXITSTATUS(status));
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
		        "%s: group '%s': NUL byte in the command's output", g->where, g->name);
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
			        "%s: group '%s' output line %zu", g->where, g->name, lineno);
			rc = hostlist_add_expr(into, s, where, errp);
			free(where);
		}
		free(line);
	}
	return rc;
}

int
groups_expand(struct hostlist *into, const char *name, const char *where, char **errp)
{
	struct grp *g;
	struct buf chain;
	size_t i;
	int rc;

	*errp = NULL;
	if (load(errp) < 0)
		return -1;
	if (!name_ok(name, strlen(name))) {
		*errp = xasprintf("%s: bad group name in '@%s'", where, name);
		return -1;
	}
	if ((g = find(name)) == NULL) {
		*errp = xasprintf("%s: unknown group '@%s' (groups are read from %s and %s)", where,
		        name, G.paths[0] ? G.paths[0] : "~/.config/shoal/groups", G.paths[1]);
		return -1;
	}
	if (g->busy) {
		buf_init(&chain);
		for (i = 0; i < G.nchain; i++)
			buf_appendf(&chain, "@%s -> ", G.v[G.chain[i]].name);
		*errp = xasprintf("%s: group loop: %s@%s", where, chain.p, name);
		buf_free(&chain);
		return -1;
	}
	if (g->dynamic && !g->ran && run_command(g, errp) < 0)
		return -1;
	g->busy = true;
	G.chain = xreallocarray(G.chain, G.nchain + 1, sizeof *G.chain);
	G.chain[G.nchain++] = (size_t)(g - G.v);
	if (g->dynamic)
		rc = expand_output(into, g, errp);
	else
		rc = hostlist_add_expr(into, g->expr, g->where, errp);
	/* G.v does not move while expanding: the files are loaded before. */
	G.nchain--;
	g->busy = false;
	return rc;
}

int
groups_list(FILE *fp, char **errp)
{
	struct buf out;
	size_t i, k;
	int rc = 0;

	*errp = NULL;
	if (load(errp) < 0)
		return -1;
	/* All expanded before anything is printed: an error leaves no half list. */
	buf_init(&out);
	for (i = 0; i < G.n && rc == 0; i++) {
		struct hostlist hl;
		char **names, *folded;

		hostlist_init(&hl);
		if ((rc = groups_expand(&hl, G.v[i].name, G.v[i].where, errp)) == 0) {
			names = xcalloc(hl.n ? hl.n : 1, sizeof *names);
			for (k = 0; k < hl.n; k++)
				names[k] =
				        host_spec_string(hl.v[k].alias, hl.v[k].user, hl.v[k].port);
			folded = hostlist_fold((const char *const *)names, hl.n);
			buf_appendf(&out, "%s: %s\n", G.v[i].name, folded);
			free(folded);
			for (k = 0; k < hl.n; k++)
				free(names[k]);
			free(names);
		}
		hostlist_free(&hl);
	}
	if (rc == 0 && out.len > 0)
		fwrite(out.p, 1, out.len, fp);
	buf_free(&out);
	return rc;
}

void
groups_free(void)
{
	size_t i;

	for (i = 0; i < G.n; i++) {
		free(G.v[i].name);
		free(G.v[i].expr);
		free(G.v[i].where);
		buf_free(&G.v[i].out);
	}
	free(G.v);
	free(G.paths[0]);
	free(G.paths[1]);
	free(G.chain);
	free(G.err);
	memset(&G, 0, sizeof G);
	G.timeout = 30;
}
