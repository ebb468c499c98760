/*
 * sshconf.c - what shoal reads of ssh_config itself.
 *
 * StrictHostKeyChecking per host: a deliberately small reader: Host blocks
 * with patterns (*, ? and ! negation), the first value found for a host
 * wins, as in ssh_config(5).  Match blocks are taken as not matching and
 * Include is not followed: in those cases the policy stays strict, the safe
 * side.  The files are read once; lookups afterwards only read memory, from
 * any thread.
 *
 * Applying ssh_config to a session (sshconf_apply).  libssh 0.10 reads and
 * tokenises the whole file for every session, and a config of a few
 * thousand lines (one Host block per machine is common) then costs more CPU
 * than the key exchange.  So the file is split once into sections (the lines
 * before the first Host or Match, then one section per Host or Match line),
 * and each session is handed, through a memfd, only the sections that can
 * apply to it: libssh still does all the matching and applying on that text,
 * in the same order, so dropping a section is right as long as libssh would
 * not have applied it either.  A Host section is dropped only when none of
 * its patterns matches the alias or the HostName of a section kept before it
 * (libssh 0.10 matches Host lines against the current host name, which a
 * HostName line may already have replaced).  Match sections, and Host lines
 * with negations or quotes, are always kept.  A file is handed over whole, as before, when
 * shoal cannot be sure: it has Include lines, Match exec, HostName tokens
 * other than %h, lines longer than libssh's line buffer, or libssh itself
 * rejects it (libssh checks some lines even in sections that do not apply).
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <glob.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "sshconf.h"
#include "xmalloc.h"

/* libssh's own names and limits (libssh 0.10: options.c, config.c). */
#define GLOBAL_CLIENT_CONFIG "/etc/ssh/ssh_config"
#define LIBSSH_LINE_MAX      1024

struct block {
	char **patterns; /* NULL: before any Host line, applies to all */
	size_t npatterns;
	bool match;    /* a Match block: never applies */
	char *value;   /* StrictHostKeyChecking in this block, or NULL */
	char *master;  /* ControlMaster, or NULL */
	char *persist; /* ControlPersist, or NULL */
};

/* Who and where the local user is, as libssh 0.10 finds them, found once. */
static struct {
	pthread_once_t once;
	char *home;    /* the passwd entry's home, else $HOME, else NULL */
	char *ssh_dir; /* home/.ssh, libssh's %d, or NULL */
	char *login;   /* the passwd entry's name, else NULL */
} me = {.once = PTHREAD_ONCE_INIT};

static void
me_find(void)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	const char *home;

	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res != NULL) {
		me.home = xstrdup(pw.pw_dir);
		me.login = xstrdup(pw.pw_name);
	} else if ((home = getenv("HOME")) != NULL) {
		me.home = xstrdup(home);
	}
	if (me.home != NULL)
		me.ssh_dir = xasprintf("%s/.ssh", me.home);
}

const char *
sshconf_home(void)
{
	pthread_once(&me.once, me_find);
	return me.home;
}

const char *
sshconf_ssh_dir(void)
{
	pthread_once(&me.once, me_find);
	return me.ssh_dir;
}

const char *
sshconf_login(void)
{
	pthread_once(&me.once, me_find);
	return me.login;
}

/* The user's file as libssh finds it: the passwd entry's home, else $HOME. */
static char *
user_config_path(void)
{
	const char *home = sshconf_home();

	return home ? xasprintf("%s/.ssh/config", home) : NULL;
}

/*
 * A config line's keyword (its first word, as ssh_config(5) splits it),
 * or NULL for blank and comment lines; *save then goes on to the arguments.
 */
static char *
line_keyword(char *line, char **save)
{
	while (isspace((unsigned char)*line))
		line++;
	if (*line == '#')
		return NULL;
	return strtok_r(line, " \t\r\n=", save);
}

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
	char *line = NULL, *key, *save = NULL, *w;
	size_t cap = 0;
	struct block *b;

	if (fp == NULL)
		return;
	b = new_block();
	while (getline(&line, &cap, fp) >= 0) {
		if ((key = line_keyword(line, &save)) == NULL)
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
		if (strcasecmp(key, "ControlMaster") == 0 && b->master == NULL &&
		        (w = strtok_r(NULL, " \t\r\n=\"", &save)) != NULL)
			b->master = xstrdup(w);
		if (strcasecmp(key, "ControlPersist") == 0 && b->persist == NULL &&
		        (w = strtok_r(NULL, " \t\r\n=\"", &save)) != NULL)
			b->persist = xstrdup(w);
	}
	free(line);
	fclose(fp);
}

void
sshconf_load(const char *path)
{
	char *user;

	if (path != NULL) {
		if (strcmp(path, "none") != 0)
			load_file(path);
		return;
	}
	if ((user = user_config_path()) != NULL) {
		load_file(user);
		free(user);
	}
	load_file(GLOBAL_CLIENT_CONFIG);
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

/* The first value of a keyword that applies to alias (ssh's first-match-wins). */
static const char *
first_value(const char *alias, size_t field)
{
	size_t i;

	for (i = 0; i < nblocks; i++) {
		const char *v = *(char *const *)(const void *)((const char *)&blocks[i] + field);

		if (v != NULL && block_applies(&blocks[i], alias))
			return v;
	}
	return NULL;
}

double
sshconf_persist(const char *alias)
{
	const char *m = first_value(alias, offsetof(struct block, master));
	const char *p = first_value(alias, offsetof(struct block, persist));
	char *end = NULL;
	double v;

	if (m == NULL || p == NULL ||
	        (strcasecmp(m, "yes") != 0 && strcasecmp(m, "auto") != 0 &&
	                strcasecmp(m, "autoask") != 0))
		return -1;
	if (strcasecmp(p, "no") == 0)
		return -1;
	if (strcasecmp(p, "yes") == 0)
		return 1e7; /* ssh: until the master is told to go; here --persist 0 */
	v = strtod(p, &end);
	if (end == p || v < 0)
		return -1;
	switch (*end) {
	case 's':
	case 'S':
		break;
	case 'm':
	case 'M':
		v *= 60;
		break;
	case 'h':
	case 'H':
		v *= 3600;
		break;
	case 'd':
	case 'D':
		v *= 86400;
		break;
	case 'w':
	case 'W':
		v *= 7 * 86400;
		break;
	default:
		break;
	}
	return v == 0 ? 1e7 : v; /* ControlPersist 0: like yes */
}

/* One Host or Match line and the lines under it, or the lines before them. */
struct section {
	size_t off, len; /* in the file's text */
	bool keep;       /* handed to every session */
	char **patterns; /* a Host line's patterns, split at commas */
	size_t npatterns;
	char **hostnames; /* HostName values in it, %h left in */
	size_t nhostnames;
};

/* The file sshconf_apply reduces, read once by the first session. */
static struct {
	pthread_mutex_t lock;
	bool loaded;
	bool reduce;      /* false: hand libssh the file(s) whole */
	char *path;       /* the file reduced */
	bool then_global; /* the default files: GLOBAL_CLIENT_CONFIG follows, whole */
	char *text;
	struct section *secs;
	size_t nsecs;
} cfg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * Does file (and what it includes) name one of the keywords anywhere, in any
 * section?  A file that cannot be read names nothing; an Include that cannot
 * be followed counts as naming them all (the caller then stays on the safe
 * side).  rel: where relative Include paths start.
 */
static bool
file_names(const char *path, const char *const *keywords, const char *rel, int depth)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *key, *w, *save = NULL, *pat;
	size_t cap = 0, i;
	bool found = false;
	glob_t g;
	int rc;

	if (fp == NULL)
		return false;
	while (!found && getline(&line, &cap, fp) >= 0) {
		if ((key = line_keyword(line, &save)) == NULL)
			continue;
		for (i = 0; keywords[i] != NULL; i++)
			found = found || strcasecmp(key, keywords[i]) == 0;
		if (found || strcasecmp(key, "Include") != 0)
			continue;
		while (!found && (w = strtok_r(NULL, " \t\r\n\"", &save)) != NULL) {
			if (depth >= 16 || rel == NULL || strchr(w, '%') != NULL) {
				found = true;
				break;
			}
			if (w[0] == '/')
				pat = xstrdup(w);
			else if (w[0] == '~' && w[1] == '/' && sshconf_home() != NULL)
				pat = xasprintf("%s%s", sshconf_home(), w + 1);
			else if (w[0] == '~')
				pat = NULL;
			else
				pat = xasprintf("%s/%s", rel, w);
			if (pat == NULL) {
				found = true;
				break;
			}
			rc = glob(pat, 0, NULL, &g);
			free(pat);
			if (rc != 0 && rc != GLOB_NOMATCH) {
				found = true;
				break;
			}
			for (i = 0; rc == 0 && !found && i < g.gl_pathc; i++)
				found = file_names(g.gl_pathv[i], keywords, rel, depth + 1);
			if (rc == 0)
				globfree(&g);
		}
	}
	free(line);
	fclose(fp);
	return found;
}

bool
sshconf_names(const char *path, const char *const *keywords)
{
	const char *ssh_dir = sshconf_ssh_dir();
	char *user;
	bool found;

	if (path != NULL) {
		found = strcmp(path, "none") != 0 && file_names(path, keywords, ssh_dir, 0);
	} else {
		user = user_config_path();
		found = (user != NULL && file_names(user, keywords, ssh_dir, 0)) ||
		        file_names(GLOBAL_CLIENT_CONFIG, keywords, "/etc/ssh", 0);
		free(user);
	}
	return found;
}

/* ssh_config's pattern syntax: * and ?, compared without case. */
static bool
glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == '?' || (*pat != '\0' && tolower((unsigned char)*pat) ==
		                                                   tolower((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static void
add_pattern(struct section *sec, const char *p, size_t n)
{
	sec->patterns = xreallocarray(sec->patterns, sec->npatterns + 1, sizeof *sec->patterns);
	sec->patterns[sec->npatterns++] = xstrndup(p, n);
}

/*
 * Split one line into keyword and arguments the way it matters here.
 * Returns false when the line is beyond this reader (then the file is not
 * reduced).  line is NUL-terminated, without its newline.
 */
static bool
scan_line(struct section *cur, const char *line, bool *new_section, bool *is_match)
{
	const char *p = line, *kw, *v;
	size_t kwlen;

	*new_section = false;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '"' || *p == '=')
		return false;
	kw = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '=')
		p++;
	kwlen = (size_t)(p - kw);
	if (kwlen == 0 || *kw == '#')
		return true;
	v = p;
	if (kwlen == 7 && strncasecmp(kw, "include", 7) == 0)
		return false;
	if (kwlen == 5 && strncasecmp(kw, "match", 5) == 0) {
		*new_section = *is_match = true;
		return strcasestr(v, "exec") == NULL;
	}
	if (kwlen == 4 && strncasecmp(kw, "host", 4) == 0) {
		*new_section = true;
		*is_match = false;
		return true;
	}
	if (kwlen == 8 && strncasecmp(kw, "hostname", 8) == 0) {
		const char *e;

		if (strchr(v, '"') != NULL)
			return false;
		v += strspn(v, " \t\r=");
		e = v + strcspn(v, " \t\r");
		for (p = v; p < e; p++) {
			if (*p == '%' && p + 1 < e && (p[1] == 'h' || p[1] == '%'))
				p++;
			else if (*p == '%')
				return false;
		}
		cur->hostnames =
		        xreallocarray(cur->hostnames, cur->nhostnames + 1, sizeof *cur->hostnames);
		cur->hostnames[cur->nhostnames++] = xstrndup(v, (size_t)(e - v));
	}
	return true;
}

/* Fill a new section's patterns from its Host line. */
static void
host_patterns(struct section *sec, const char *line)
{
	const char *p = line;
	size_t n;

	p += strspn(p, " \t\r");
	p += strcspn(p, " \t\r="); /* the keyword */
	if (strchr(p, '"') != NULL) {
		sec->keep = true;
		return;
	}
	for (;;) {
		p += strspn(p, " \t\r=,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t\r=,");
		if (*p == '!')
			sec->keep = true; /* negations: leave them to libssh */
		add_pattern(sec, p, n);
		p += n;
	}
	if (sec->npatterns == 0)
		sec->keep = true;
}

/* Read path and split it into sections; false: not to be reduced. */
static bool
split_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct buf text;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok = true, fresh, is_match = false;
	struct section *cur;

	if (fp == NULL)
		return false;
	buf_init(&text);
	cfg.secs = xcalloc(1, sizeof *cfg.secs);
	cfg.nsecs = 1;
	cfg.secs[0].keep = true; /* before any Host line: applies to all */
	while (ok && (n = getline(&line, &cap, fp)) >= 0) {
		if ((size_t)n >= LIBSSH_LINE_MAX - 1 || strlen(line) != (size_t)n) {
			ok = false; /* libssh would read it in pieces */
			break;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		ok = scan_line(&cfg.secs[cfg.nsecs - 1], line, &fresh, &is_match);
		if (ok && fresh) {
			cfg.secs = xreallocarray(cfg.secs, cfg.nsecs + 1, sizeof *cfg.secs);
			cur = &cfg.secs[cfg.nsecs++];
			memset(cur, 0, sizeof *cur);
			cur->off = text.len;
			if (is_match)
				cur->keep = true;
			else
				host_patterns(cur, line);
		}
		buf_appends(&text, line);
		buf_appendc(&text, '\n');
		cfg.secs[cfg.nsecs - 1].len = text.len - cfg.secs[cfg.nsecs - 1].off;
	}
	free(line);
	fclose(fp);
	cfg.text = buf_steal(&text);
	return ok;
}

/* libssh must take the whole file, else it could fail on lines we would drop. */
static bool
libssh_accepts(const char *path, const char *alias)
{
	ssh_session s = ssh_new();
	int rc;

	if (s == NULL)
		fatal("out of memory creating an SSH session");
	rc = ssh_options_set(s, SSH_OPTIONS_HOST, alias);
	if (rc == 0)
		rc = ssh_options_parse_config(s, path);
	ssh_free(s);
	return rc == 0;
}

static void
apply_load(const char *path, const char *alias)
{
	cfg.loaded = true;
	if (path == NULL) {
		cfg.path = user_config_path();
		cfg.then_global = true;
	} else {
		cfg.path = xstrdup(path);
	}
	if (cfg.path == NULL || strchr(cfg.path, '%') != NULL || cfg.path[0] == '~')
		return; /* libssh expands these itself */
	if (access("/proc/self/fd", X_OK) != 0)
		return;
	cfg.reduce = split_file(cfg.path) && libssh_accepts(cfg.path, alias);
}

/* Does any of the section's Host patterns match one of the names? */
static bool
section_applies(const struct section *sec, char *const *names, size_t nnames)
{
	size_t i, k;

	if (sec->keep)
		return true;
	for (i = 0; i < sec->npatterns; i++) {
		for (k = 0; k < nnames; k++) {
			if (glob_match(sec->patterns[i], names[k]))
				return true;
		}
	}
	return false;
}

/* Add what a HostName value makes of the alias to the names, once. */
static void
add_name(char ***names, size_t *nnames, const char *value, const char *alias)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (; *value != '\0'; value++) {
		if (value[0] == '%' && value[1] == 'h') {
			buf_appends(&b, alias);
			value++;
		} else if (value[0] == '%' && value[1] == '%') {
			buf_appendc(&b, '%');
			value++;
		} else {
			buf_appendc(&b, *value);
		}
	}
	for (i = 0; i < *nnames; i++) {
		if (strcmp((*names)[i], b.p ? b.p : "") == 0) {
			buf_free(&b);
			return;
		}
	}
	*names = xreallocarray(*names, *nnames + 1, sizeof **names);
	(*names)[(*nnames)++] = buf_steal(&b);
}

int
sshconf_apply(ssh_session s, const char *path, const char *alias)
{
	struct buf text;
	char *host = NULL, fdpath[64], **names = NULL;
	size_t i, k, nnames = 0;
	int fd, rc;

	pthread_mutex_lock(&cfg.lock);
	if (!cfg.loaded)
		apply_load(path, alias);
	pthread_mutex_unlock(&cfg.lock);
	if (!cfg.reduce)
		return ssh_options_parse_config(s, path);

	/*
	 * names: every name libssh may match a Host line against at this point
	 * of the file, the alias and the HostName of any section kept so far
	 * (libssh takes the first HostName that applies).
	 */
	add_name(&names, &nnames, alias, alias);
	if (ssh_options_get(s, SSH_OPTIONS_HOST, &host) == SSH_OK && host != NULL)
		add_name(&names, &nnames, host, alias);
	ssh_string_free_char(host);
	buf_init(&text);
	for (i = 0; i < cfg.nsecs; i++) {
		const struct section *sec = &cfg.secs[i];

		if (!section_applies(sec, names, nnames))
			continue;
		buf_append(&text, cfg.text + sec->off, sec->len);
		for (k = 0; k < sec->nhostnames; k++)
			add_name(&names, &nnames, sec->hostnames[k], alias);
	}
	for (k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	fd = memfd_create("shoal-ssh_config", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text.p ? text.p : "", text.len) != (ssize_t)text.len) {
		if (fd >= 0)
			close(fd);
		buf_free(&text);
		return ssh_options_parse_config(s, path);
	}
	buf_free(&text);
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	rc = ssh_options_parse_config(s, fdpath);
	close(fd);
	if (rc == 0 && cfg.then_global)
		rc = ssh_options_parse_config(s, GLOBAL_CLIENT_CONFIG);
	return rc;
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
		free(blocks[i].master);
		free(blocks[i].persist);
	}
	free(blocks);
	blocks = NULL;
	nblocks = 0;
	for (i = 0; i < cfg.nsecs; i++) {
		for (k = 0; k < cfg.secs[i].npatterns; k++)
			free(cfg.secs[i].patterns[k]);
		free(cfg.secs[i].patterns);
		for (k = 0; k < cfg.secs[i].nhostnames; k++)
			free(cfg.secs[i].hostnames[k]);
		free(cfg.secs[i].hostnames);
	}
	free(cfg.secs);
	free(cfg.text);
	free(cfg.path);
	cfg.secs = NULL;
	cfg.nsecs = 0;
	cfg.text = NULL;
	cfg.path = NULL;
	cfg.loaded = cfg.reduce = cfg.then_global = false;
}
