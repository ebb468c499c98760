/*
 * inventory.c - --inventory: which reader a file is for, and pssh's host
 * files (one line each, too small for a file of their own).
 *
 * Without a FORMAT: prefix the content decides: a directory or a file with a
 * [Main] section is ClusterShell's; YAML whose groups say hosts, children or
 * vars is Ansible's, other YAML ClusterShell's groups.d; a [section] line is
 * Ansible's INI; lines of `host attr,attr=value` are genders', lines of
 * `host[:port] [user]` pssh's.  A file that could be either of the last two
 * is refused with the prefix to use: guessing would connect to other hosts.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conffile.h"
#include "groups.h"
#include "hostlist.h"
#include "inventory.h"
#include "xmalloc.h"

enum format {
	F_UNKNOWN,
	F_ANSIBLE_INI,
	F_ANSIBLE_YAML,
	F_CLUSH,
	F_GENDERS,
	F_PSSH,
	F_YAML,      /* YAML without Ansible's keys: ClusterShell's groups.d, unless named */
	F_DIRECTORY, /* ClusterShell's configuration directory, unless named */
	F_ERROR,     /* unreadable: *errp says why */
};

/* pssh: `[user@]host[:port] [user]`, the host literal (no ranges, no lists). */
static int
pssh_line(void *arg, char *line, const char *where)
{
	char **errp = arg, *host, *user, *extra, *item;
	struct hostlist hl;
	struct grp *all;
	size_t i;
	int rc;

	line[strcspn(line, "#")] = '\0'; /* pssh drops a comment anywhere on a line */
	if ((host = strtok(line, " \t")) == NULL)
		return 0;
	user = strtok(NULL, " \t");
	extra = strtok(NULL, " \t");
	if (extra != NULL) {
		*errp = xasprintf(
		        "%s: expected 'HOST[:PORT] [USER]' (pssh), found a third field '%s'", where,
		        extra);
		return 2;
	}
	if (strchr(host, ',') != NULL) {
		*errp = xasprintf("%s: bad host '%s' (pssh: one HOST[:PORT] a line)", where, host);
		return 2;
	}
	if (host[0] != '[' && strchr(host, '[') != NULL) {
		*errp = xasprintf("%s: bad host '%s' (pssh names no ranges)", where, host);
		return 2;
	}
	if (user != NULL && strchr(host, '@') != NULL) {
		*errp = xasprintf("%s: the user is given twice in '%s %s'", where, host, user);
		return 2;
	}
	/* pssh's own syntax is shoal's item: user@host:port, [v6]:port. */
	item = user ? xasprintf("%s@%s", user, host) : xstrdup(host);
	hostlist_init(&hl);
	rc = hostlist_add_expr(&hl, item, where, errp);
	free(item);
	if (rc == 0) {
		all = groups_define("pssh", true, "all", where);
		for (i = 0; i < hl.n; i++)
			groups_put_host(all, &hl.v[i]);
	}
	hostlist_free(&hl);
	return rc < 0 ? 2 : 0;
}

static int
load_pssh(const char *path, char **errp)
{
	char *err = NULL;
	int rc;

	*errp = NULL;
	rc = conffile_lines(path, true, pssh_line, errp, &err);
	if (err != NULL) {
		free(*errp);
		*errp = err;
	}
	return rc != 0 ? -1 : 0;
}

/* Genders' second field is attrs with '=' or ','; pssh's a user name. */
static enum format
sniff_lines(const char *text)
{
	bool genders = false, pssh = false;
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n'), *f1, *f2;
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *line = xstrndup(p, n), *s = line, *hash;

		p += n + (eol != NULL);
		if ((hash = strchr(s, '#')) != NULL)
			*hash = '\0';
		f1 = strtok(s, " \t\r");
		f2 = f1 ? strtok(NULL, " \t\r") : NULL;
		if (f1 != NULL && (strchr(f1, ':') || strchr(f1, '@')))
			pssh = true;
		if (f2 != NULL && (strchr(f2, '=') || strchr(f2, ',')))
			genders = true;
		free(line);
	}
	if (genders && !pssh)
		return F_GENDERS;
	if (pssh && !genders)
		return F_PSSH;
	return F_UNKNOWN;
}

static enum format
sniff(const char *path, char **errp)
{
	char buf[65536], *p;
	struct stat st;
	size_t n;
	FILE *fp;
	enum format f = F_UNKNOWN;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return F_DIRECTORY;
	if ((fp = fopen(path, "r")) == NULL) {
		*errp = xasprintf("%s: %s", path, strerror(errno));
		return F_ERROR;
	}
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		*errp = xasprintf("%s: NUL byte: not an inventory", path);
		return F_ERROR;
	}
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		const char *s = p, *close;
		size_t key = strcspn(s, ": \t\r\n");

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == ';' || *s == '\n' || *s == '\r')
			continue;
		if (strncmp(s, "[Main]", 6) == 0)
			return F_CLUSH;
		/* a line that is a [section]: an INI file ([::1]:22 is pssh's) */
		close = *s == '[' ? strchr(s, ']') : NULL;
		if (close != NULL && strspn(close + 1, " \t\r") == strcspn(close + 1, "\n")) {
			f = F_ANSIBLE_INI;
			break;
		}
		/* the first line a YAML key ("all:") or document start */
		if (f == F_UNKNOWN && s == p &&
		        (strncmp(s, "---", 3) == 0 ||
		                (key > 0 && s[key] == ':' && strchr(" \t\r\n", s[key + 1])))) {
			/* Ansible's if its groups say so, else ClusterShell's groups.d */
			return (strstr(buf, "hosts:") || strstr(buf, "children:") ||
			               strstr(buf, "vars:"))
			               ? F_ANSIBLE_YAML
			               : F_YAML;
		}
	}
	return f == F_UNKNOWN ? sniff_lines(buf) : f;
}

int
inventory_yaml(const char *path, yaml_document_t *doc, char **errp)
{
	yaml_parser_t parser;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "rb")) == NULL) {
		*errp = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser))
		fatal("out of memory creating a YAML parser");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, doc)) {
		*errp = xasprintf("%s:%zu: YAML: %s", path, parser.problem_mark.line + 1,
		        parser.problem ? parser.problem : "cannot parse");
		rc = -1;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

int
inventory_load(const char *spec, char **errp)
{
	static const struct {
		const char *name;
		enum format f;
	} names[] = {{"ansible", F_UNKNOWN}, {"clustershell", F_CLUSH}, {"clush", F_CLUSH},
	        {"genders", F_GENDERS}, {"pssh", F_PSSH}};
	const char *colon = strchr(spec, ':'), *path = spec;
	enum format f = F_UNKNOWN;
	bool named = false, ansible = false;
	size_t i;

	*errp = NULL;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len = strlen(names[i].name);

		if (strncmp(spec, names[i].name, len) == 0 &&
		        (spec[len] == ':' || (spec[len] == '\0' && names[i].f == F_CLUSH))) {
			named = true;
			ansible = strcmp(names[i].name, "ansible") == 0;
			f = names[i].f;
			path = spec[len] ? spec + len + 1 : NULL;
			break;
		}
	}
	if (!named && colon != NULL && colon != spec &&
	        strspn(spec, "abcdefghijklmnopqrstuvwxyz") == (size_t)(colon - spec)) {
		*errp = xasprintf(
		        "'%s': unknown format '%.*s' (ansible, clustershell, genders, pssh)", spec,
		        (int)(colon - spec), spec);
		return -1;
	}
	if (path != NULL && *path == '\0') {
		*errp = xasprintf("'%s': no file", spec);
		return -1;
	}
	if (f == F_CLUSH)
		return inv_clush(path, errp);
	if (!named || ansible) {
		f = sniff(path, errp);
		if (f == F_ERROR)
			return -1;
		if (ansible && f == F_DIRECTORY) {
			*errp = xasprintf("%s: a directory: shoal reads an Ansible inventory file, "
			                  "not a directory of them",
			        path);
			return -1;
		}
		if (ansible)
			f = f == F_ANSIBLE_YAML || f == F_YAML ? F_ANSIBLE_YAML : F_ANSIBLE_INI;
		else if (f == F_YAML || f == F_DIRECTORY)
			f = F_CLUSH;
	}
	switch (f) {
	case F_ANSIBLE_INI:
		return inv_ansible_ini(path, errp);
	case F_ANSIBLE_YAML:
		return inv_ansible_yaml(path, errp);
	case F_CLUSH:
		return inv_clush(path, errp);
	case F_GENDERS:
		return inv_genders(path, errp);
	case F_PSSH:
		return load_pssh(path, errp);
	case F_UNKNOWN:
		*errp = xasprintf("%s: cannot tell its format (name it: ansible:, clustershell:, "
		                  "genders: or pssh:%s)",
		        path, path);
		break;
	case F_YAML:
	case F_DIRECTORY:
	case F_ERROR:
		break;
	}
	return -1;
}
