/*
 * conffile.c - shoal's own files: their paths and a line reader.
 *
 * The syntax of a line is the caller's (options.c for shoal.conf, groups.c
 * for groups); this module owns what they share: the user and system
 * directories, comments, blanks, CRLF, and the file:line every message
 * starts with.  Nothing here is kept between calls.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "xmalloc.h"

char *
conffile_user_path(const char *name)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || *home == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	if (home == NULL || *home == '\0')
		return NULL;
	return xasprintf("%s/.config/shoal/%s", home, name);
}

char *
conffile_system_path(const char *name)
{
	const char *dir = getenv("SHOAL_SYSCONFDIR");

	return xasprintf("%s/%s", dir != NULL && *dir != '\0' ? dir : "/etc/shoal", name);
}

int
conffile_lines(const char *path, bool must_exist,
        int (*fn)(void *arg, char *line, const char *where), void *arg, char **errp)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *s, *where;
	size_t cap = 0, lineno = 0, len;
	ssize_t n;
	int rc = 0;

	*errp = NULL;
	if (fp == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		*errp = xasprintf("%s: cannot read: %s", path, strerror(errno));
		return 2;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			*errp = xasprintf("%s:%zu: NUL byte in the line", path, lineno);
			rc = 2;
			break;
		}
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		if (len == 0 || *s == '#')
			continue;
		where = xasprintf("%s:%zu", path, lineno);
		rc = fn(arg, s, where);
		free(where);
	}
	if (rc == 0 && ferror(fp)) {
		*errp = xasprintf("%s: cannot read: %s", path, strerror(errno));
		rc = 2;
	}
	free(line);
	fclose(fp);
	return rc;
}
