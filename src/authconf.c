/*
 * authconf.c - TEMPORARY reader of the ssh_config keywords authentication
 * needs (see authconf.h); the lead replaces it with sshconf.c's evaluator.
 *
 * Each file is read once into a list of (block, keyword, value) lines, with
 * Include lines expanded in place (an included line belongs to the block
 * the Include sits in until the included file opens a block of its own).
 * A lookup walks the list, matching each block's Host patterns once.
 *
 * Threads: one mutex guards the cache; lookups copy what they return.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <glob.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authconf.h"
#include "buf.h"
#include "sshconf.h"
#include "xmalloc.h"

struct line {
	size_t block; /* index in blocks */
	char *kw;     /* lower case */
	char *value;
};

struct block {
	char **patterns; /* NULL with npatterns 0: applies to all */
	size_t npatterns;
	bool never; /* Match */
};

static struct {
	pthread_mutex_t lock;
	bool loaded;
	struct line *lines;
	size_t nlines;
	struct block *blocks;
	size_t nblocks;
} cf = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *const wanted[] = {"identityfile", "certificatefile", "identitiesonly",
        "pubkeyauthentication", "kbdinteractiveauthentication", "challengeresponseauthentication",
        "passwordauthentication", "preferredauthentications", "identityagent", NULL};

static size_t
new_block(void)
{
	cf.blocks = xreallocarray(cf.blocks, cf.nblocks + 1, sizeof *cf.blocks);
	memset(&cf.blocks[cf.nblocks], 0, sizeof *cf.blocks);
	return cf.nblocks++;
}

static char *
expand_home(const char *p)
{
	const char *home = sshconf_home();

	if (p[0] == '~' && p[1] == '/' && home != NULL)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

/* ~ and ssh's %-tokens of a file name (ssh_config(5) TOKENS), those libssh knows too. */
static char *
expand(const char *p, const char *alias, const struct authconf_tokens *t)
{
	char *h = expand_home(p), portbuf[16];
	const char *v;
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] != '%' || h[i + 1] == '\0') {
			buf_appendc(&b, h[i]);
			continue;
		}
		switch (h[++i]) {
		case '%':
			v = "%";
			break;
		case 'd':
			v = sshconf_home();
			break;
		case 'u':
			v = sshconf_login();
			break;
		case 'h':
			v = t->host ? t->host : alias;
			break;
		case 'n':
			v = alias;
			break;
		case 'r':
			v = t->user;
			break;
		case 'p':
			snprintf(portbuf, sizeof portbuf, "%u", t->port);
			v = portbuf;
			break;
		default:
			v = NULL;
			break;
		}
		if (v != NULL) {
			buf_appends(&b, v);
		} else {
			buf_appendc(&b, '%');
			buf_appendc(&b, h[i]);
		}
	}
	free(h);
	return buf_steal(&b);
}

static void read_file(const char *path, size_t block, int depth, bool user);

static void
include(const char *arg, size_t block, int depth, bool user)
{
	glob_t g;
	char *pat, *e;
	size_t i;

	e = expand_home(arg);
	if (e[0] != '/')
		pat = user && sshconf_ssh_dir() ? xasprintf("%s/%s", sshconf_ssh_dir(), e)
		                                : xasprintf("/etc/ssh/%s", e);
	else
		pat = xstrdup(e);
	free(e);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			read_file(g.gl_pathv[i], block, depth + 1, user);
		globfree(&g);
	}
	free(pat);
}

static void
read_file(const char *path, size_t block, int depth, bool user)
{
	FILE *f;
	char *line = NULL, *kw, *rest, *w, *save;
	size_t cap = 0, i, n;
	struct block *b;

	if (depth > 8 || (f = fopen(path, "r")) == NULL)
		return;
	while (getline(&line, &cap, f) >= 0) {
		kw = line + strspn(line, " \t");
		n = strcspn(kw, " \t=\r\n");
		if (n == 0 || kw[0] == '#')
			continue;
		rest = kw + n;
		rest += strspn(rest, " \t");
		if (*rest == '=')
			rest++;
		rest += strspn(rest, " \t");
		rest[strcspn(rest, "\r\n")] = '\0';
		kw[n] = '\0';
		for (i = 0; i < n; i++)
			kw[i] = (char)tolower((unsigned char)kw[i]);
		if (strcmp(kw, "host") == 0) {
			block = new_block();
			b = &cf.blocks[block];
			for (w = strtok_r(rest, " \t", &save); w;
			        w = strtok_r(NULL, " \t", &save)) {
				b->patterns = xreallocarray(
				        b->patterns, b->npatterns + 1, sizeof *b->patterns);
				b->patterns[b->npatterns++] = xstrdup(w);
			}
			continue;
		}
		if (strcmp(kw, "match") == 0) {
			block = new_block();
			cf.blocks[block].never = true;
			continue;
		}
		if (strcmp(kw, "include") == 0) {
			for (w = strtok_r(rest, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
				include(w, block, depth, user);
			continue;
		}
		for (i = 0; wanted[i] != NULL && strcmp(wanted[i], kw) != 0; i++)
			;
		if (wanted[i] == NULL)
			continue;
		if (rest[0] == '"') {
			rest++;
			rest[strcspn(rest, "\"")] = '\0';
		}
		cf.lines = xreallocarray(cf.lines, cf.nlines + 1, sizeof *cf.lines);
		cf.lines[cf.nlines].block = block;
		cf.lines[cf.nlines].kw = xstrdup(kw);
		cf.lines[cf.nlines].value = xstrdup(rest);
		cf.nlines++;
	}
	free(line);
	fclose(f);
}

static void
load(const char *path)
{
	char *user;

	if (cf.loaded)
		return;
	cf.loaded = true;
	if (path != NULL && strcmp(path, "none") == 0)
		return;
	if (path != NULL) {
		read_file(path, new_block(), 0, true);
		return;
	}
	if (sshconf_ssh_dir() != NULL) {
		user = xasprintf("%s/config", sshconf_ssh_dir());
		read_file(user, new_block(), 0, true);
		free(user);
	}
	read_file("/etc/ssh/ssh_config", new_block(), 0, false);
}

static bool
block_applies(const struct block *b, const char *alias)
{
	bool yes = false;
	size_t i;

	if (b->never)
		return false;
	if (b->npatterns == 0)
		return true;
	for (i = 0; i < b->npatterns; i++) {
		const char *p = b->patterns[i];

		if (p[0] == '!') {
			if (fnmatch(p + 1, alias, 0) == 0)
				return false;
		} else if (fnmatch(p, alias, 0) == 0) {
			yes = true;
		}
	}
	return yes;
}

static int
yes_no(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ? 1 : 0;
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = s;
}

void
authconf_get(
        const char *path, const char *alias, const struct authconf_tokens *t, struct authconf *ac)
{
	signed char *applies;
	const struct line *l;
	size_t i;

	memset(ac, 0, sizeof *ac);
	ac->identities_only = ac->pubkey = ac->kbdint = ac->password = -1;
	pthread_mutex_lock(&cf.lock);
	load(path);
	applies = xcalloc(cf.nblocks ? cf.nblocks : 1, 1);
	for (i = 0; i < cf.nlines; i++) {
		l = &cf.lines[i];
		if (applies[l->block] == 0)
			applies[l->block] = block_applies(&cf.blocks[l->block], alias) ? 1 : -1;
		if (applies[l->block] < 0)
			continue;
		if (strcmp(l->kw, "identityfile") == 0)
			push(&ac->identity_files, &ac->nidentity_files, expand(l->value, alias, t));
		else if (strcmp(l->kw, "certificatefile") == 0)
			push(&ac->certificate_files, &ac->ncertificate_files,
			        expand(l->value, alias, t));
		else if (strcmp(l->kw, "identitiesonly") == 0 && ac->identities_only < 0)
			ac->identities_only = yes_no(l->value);
		else if (strcmp(l->kw, "pubkeyauthentication") == 0 && ac->pubkey < 0)
			ac->pubkey = yes_no(l->value);
		else if (strcmp(l->kw, "passwordauthentication") == 0 && ac->password < 0)
			ac->password = yes_no(l->value);
		else if ((strcmp(l->kw, "kbdinteractiveauthentication") == 0 ||
		                 strcmp(l->kw, "challengeresponseauthentication") == 0) &&
		         ac->kbdint < 0)
			ac->kbdint = yes_no(l->value);
		else if (strcmp(l->kw, "preferredauthentications") == 0 && ac->preferred == NULL)
			ac->preferred = xstrdup(l->value);
		else if (strcmp(l->kw, "identityagent") == 0 && ac->identity_agent == NULL)
			ac->identity_agent = xstrdup(l->value);
	}
	free(applies);
	pthread_mutex_unlock(&cf.lock);
}

void
authconf_clear(struct authconf *ac)
{
	size_t i;

	for (i = 0; i < ac->nidentity_files; i++)
		free(ac->identity_files[i]);
	for (i = 0; i < ac->ncertificate_files; i++)
		free(ac->certificate_files[i]);
	free(ac->identity_files);
	free(ac->certificate_files);
	free(ac->preferred);
	free(ac->identity_agent);
	memset(ac, 0, sizeof *ac);
}

void
authconf_free(void)
{
	size_t i, j;

	for (i = 0; i < cf.nlines; i++) {
		free(cf.lines[i].kw);
		free(cf.lines[i].value);
	}
	for (i = 0; i < cf.nblocks; i++) {
		for (j = 0; j < cf.blocks[i].npatterns; j++)
			free(cf.blocks[i].patterns[j]);
		free(cf.blocks[i].patterns);
	}
	free(cf.lines);
	free(cf.blocks);
	cf.lines = NULL;
	cf.blocks = NULL;
	cf.nlines = cf.nblocks = 0;
	cf.loaded = false;
}
