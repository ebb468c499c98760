/*
 * sshconf.c - StrictHostKeyChecking per host, from ssh_config.
 *
 * A deliberately small reader: Host blocks with patterns (*, ? and !
 * negation), the first value found for a host wins, as in ssh_config(5).
 * Match blocks are taken as not matching and Include is not followed: in
 * those cases the policy stays strict, the safe side.  The files are read
 * once; lookups afterwards only read memory, from any thread.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sshconf.h"
#include "xmalloc.h"

struct block {
	char **patterns; /* NULL: before any Host line, applies to all */
	size_t npatterns;
	bool match;  /* a Match block: never applies */
	char *value; /* StrictHostKeyChecking in this block, or NULL */
};

static struct block *blocks;
static size_t nblocks;

static struct block *
new_block(void)
{
	blocks = xreallocarray(blocks, nblocks + 1, sizeof *blocks);
	memset(&blocks[nblocks], 0, sizeof blocks[nblocks]);
	return &blocks[nblocks++];
}

static void
load_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *p, *key, *save = NULL, *w;
	size_t cap = 0;
	struct block *b;

	if (fp == NULL)
		return;
	b = new_block();
	while (getline(&line, &cap, fp) >= 0) {
		p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		key = strtok_r(p, " \t\r\n=", &save);
		if (key == NULL)
			continue;
		if (strcasecmp(key, "Host") == 0 || strcasecmp(key, "Match") == 0) {
			b = new_block();
			b->match = strcasecmp(key, "Match") == 0;
			while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
				b->patterns = xreallocarray(
				        b->patterns, b->npatterns + 1, sizeof *b->patterns);
				b->patterns[b->npatterns++] = xstrdup(w);
			}
			continue;
		}
		if (strcasecmp(key, "StrictHostKeyChecking") == 0 && b->value == NULL &&
		        (w = strtok_r(NULL, " \t\r\n=\"", &save)) != NULL)
			b->value = xstrdup(w);
	}
	free(line);
	fclose(fp);
}

void
sshconf_load(const char *path)
{
	const char *home = getenv("HOME");
	char *user;

	if (path != NULL) {
		if (strcmp(path, "none") != 0)
			load_file(path);
		return;
	}
	if (home != NULL) {
		user = xasprintf("%s/.ssh/config", home);
		load_file(user);
		free(user);
	}
	load_file("/etc/ssh/ssh_config");
}

void
sshconf_free(void)
{
	size_t i, k;

	for (i = 0; i < nblocks; i++) {
		for (k = 0; k < blocks[i].npatterns; k++)
			free(blocks[i].patterns[k]);
		free(blocks[i].patterns);
		free(blocks[i].value);
	}
	free(blocks);
	blocks = NULL;
	nblocks = 0;
}

static bool
block_applies(const struct block *b, const char *alias)
{
	bool hit = false;
	size_t i;

	if (b->match)
		return false;
	if (b->patterns == NULL)
		return true;
	for (i = 0; i < b->npatterns; i++) {
		const char *pat = b->patterns[i];
		bool neg = pat[0] == '!';

		if (fnmatch(neg ? pat + 1 : pat, alias, FNM_CASEFOLD) == 0) {
			if (neg)
				return false;
			hit = true;
		}
	}
	return hit;
}

enum hostkey_policy
sshconf_policy(const char *alias)
{
	size_t i;

	for (i = 0; i < nblocks; i++) {
		const char *v = blocks[i].value;

		if (v == NULL || !block_applies(&blocks[i], alias))
			continue;
		if (strcasecmp(v, "accept-new") == 0 || strcasecmp(v, "no") == 0 ||
		        strcasecmp(v, "off") == 0)
			return HOSTKEY_POLICY_ACCEPT_NEW;
		return HOSTKEY_POLICY_STRICT;
	}
	return HOSTKEY_POLICY_STRICT;
}
