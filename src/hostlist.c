/*
 * hostlist.c - host expressions and folding.
 *
 * An expression is split at the commas that are not inside brackets; each
 * item is [user@]name[:port], or [user@][v6addr][:port].  A name is literal
 * text and bracket groups of numbers and ranges ("web[01-03,7].dc[1-2]");
 * its expansion is the cartesian product, the leftmost group varying
 * slowest, zero padding taken from a lower bound written with a leading 0.
 * The size of the product is checked before anything is expanded.
 *
 * A hostlist keeps an open-addressing set of its entries so that adding a
 * million names and dropping duplicates stays linear.
 *
 * Folding groups names by (text before the last number, text after it,
 * padding width) and writes each group as prefix[ranges]suffix.  A number
 * without a leading zero joins a padded group of its own length when one
 * exists (web09 and web10 are both width 2), so fold(expand(x)) == x for
 * expressions with one bracket group per name.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "hostlist.h"
#include "xmalloc.h"

#define MAX_DIGITS 18

/* ---- the set ---------------------------------------------------------- */

static uint64_t
spec_hash(const char *alias, const char *user, int port)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)alias; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0x01) * 1099511628211ULL;
	if (user != NULL) {
		for (p = (const unsigned char *)user; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
	}
	h = (h ^ (uint64_t)(unsigned)port) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static bool
spec_equal(const struct hostspec *s, const char *alias, const char *user, int port)
{
	if (s->port != port || strcmp(s->alias, alias) != 0)
		return false;
	if (s->user == NULL || user == NULL)
		return s->user == user;
	return strcmp(s->user, user) == 0;
}

static void
set_rebuild(struct hostlist *hl, size_t nslots)
{
	size_t i, j;

	free(hl->slots);
	hl->nslots = nslots;
	hl->slots = xcalloc(nslots, sizeof *hl->slots);
	for (i = 0; i < hl->n; i++) {
		const struct hostspec *s = &hl->v[i];

		j = spec_hash(s->alias, s->user, s->port) & (nslots - 1);
		while (hl->slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		hl->slots[j] = i + 1;
	}
}

/* Index + 1 of the entry, or 0; *slotp gets the free slot when absent. */
static size_t
set_find(const struct hostlist *hl, const char *alias, const char *user, int port, size_t *slotp)
{
	size_t j = spec_hash(alias, user, port) & (hl->nslots - 1);

	while (hl->slots[j] != 0) {
		if (spec_equal(&hl->v[hl->slots[j] - 1], alias, user, port))
			return hl->slots[j];
		j = (j + 1) & (hl->nslots - 1);
	}
	if (slotp != NULL)
		*slotp = j;
	return 0;
}

void
hostlist_init(struct hostlist *hl)
{
	memset(hl, 0, sizeof *hl);
}

void
hostlist_free(struct hostlist *hl)
{
	size_t i;

	for (i = 0; i < hl->n; i++) {
		free(hl->v[i].alias);
		free(hl->v[i].user);
	}
	free(hl->v);
	free(hl->slots);
	hostlist_init(hl);
}

/* Append alias (owned by the list from now on) unless already present. */
void
hostlist_push(struct hostlist *hl, char *alias, const char *user, int port)
{
	size_t slot;

	if (hl->nslots == 0 || (hl->n + 1) * 2 > hl->nslots)
		set_rebuild(hl, hl->nslots ? hl->nslots * 2 : 64);
	if (set_find(hl, alias, user, port, &slot) != 0) {
		free(alias);
		return;
	}
	if (hl->n == hl->cap) {
		hl->cap = hl->cap ? hl->cap * 2 : 16;
		hl->v = xreallocarray(hl->v, hl->cap, sizeof *hl->v);
	}
	hl->v[hl->n].alias = alias;
	hl->v[hl->n].user = user ? xstrdup(user) : NULL;
	hl->v[hl->n].port = port;
	hl->n++;
	hl->slots[slot] = hl->n;
}

/* ---- parsing ---------------------------------------------------------- */

struct range {
	unsigned long long lo, hi;
};

/* One bracket group: its ranges and the padding width (0: none). */
struct group {
	struct range *r;
	size_t nr;
	int width;
	unsigned long long count;
};

/* A name: literal pieces and groups, alternating lit[0] g[0] lit[1] ... */
struct pattern {
	char **lit;
	struct group *g;
	size_t ng;
};

static void
pattern_free(struct pattern *p)
{
	size_t i;

	if (p->lit != NULL) {
		for (i = 0; i <= p->ng; i++)
			free(p->lit[i]);
	}
	for (i = 0; i < p->ng; i++)
		free(p->g[i].r);
	free(p->lit);
	free(p->g);
	memset(p, 0, sizeof *p);
}

static int fail(char **errp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(char **errp, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		fatal("out of memory formatting a message");
	*errp = msg;
	return -1;
}

static bool
name_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

static int
parse_number(const char *s, size_t len, unsigned long long *v)
{
	size_t i;

	if (len == 0 || len > MAX_DIGITS)
		return -1;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (unsigned long long)(s[i] - '0');
	}
	return 0;
}

/* Parse the inside of one bracket group, "01-05,07". */
static int
parse_group(const char *s, size_t len, struct group *g, const char *where, const char *item,
        char **errp)
{
	size_t i = 0;

	memset(g, 0, sizeof *g);
	if (len == 0)
		return fail(errp, "%s: empty range in '%s'", where, item);
	while (i <= len) {
		size_t start = i, dash = 0, end;
		struct range r;

		while (i < len && s[i] != ',') {
			if (s[i] == '-' && dash == 0)
				dash = i;
			i++;
		}
		end = i;
		if (end == start)
			return fail(errp, "%s: empty range in '%s'", where, item);
		if (dash == 0 || dash == start) {
			if (parse_number(s + start, end - start, &r.lo) < 0)
				goto bad;
			r.hi = r.lo;
		} else {
			if (parse_number(s + start, dash - start, &r.lo) < 0 ||
			        parse_number(s + dash + 1, end - dash - 1, &r.hi) < 0)
				goto bad;
			if (r.hi < r.lo)
				return fail(errp, "%s: range '%s' runs backwards", where, item);
		}
		if (s[start] == '0' && (dash ? dash - start : end - start) > 1) {
			int w = (int)(dash ? dash - start : end - start);

			if (g->width != 0 && g->width != w)
				return fail(errp, "%s: mixed zero padding in '%s'", where, item);
			g->width = w;
		}
		g->r = xreallocarray(g->r, g->nr + 1, sizeof *g->r);
		g->r[g->nr++] = r;
		g->count += r.hi - r.lo + 1;
		if (g->count > HOSTLIST_MAX_EXPANSION)
			return fail(errp, "%s: '%s' expands to more than %d hosts", where, item,
			        HOSTLIST_MAX_EXPANSION);
		i++;
	}
	return 0;
bad:
	return fail(
	        errp, "%s: bad number in range in '%s' (digits, '-' and ',' only)", where, item);
}

/* Split a name into literal text and bracket groups. */
static int
parse_pattern(const char *name, size_t len, struct pattern *p, const char *where, const char *item,
        char **errp)
{
	struct buf lit;
	size_t i = 0;
	unsigned long long total = 1;

	memset(p, 0, sizeof *p);
	buf_init(&lit);
	p->lit = xcalloc(1, sizeof *p->lit);
	while (i < len) {
		char c = name[i];

		if (c == '[') {
			const char *close = memchr(name + i, ']', len - i);

			if (close == NULL) {
				buf_free(&lit);
				return fail(errp, "%s: unterminated range in '%s'", where, item);
			}
			p->g = xreallocarray(p->g, p->ng + 1, sizeof *p->g);
			p->lit = xreallocarray(p->lit, p->ng + 2, sizeof *p->lit);
			p->lit[p->ng] = buf_steal(&lit);
			p->lit[p->ng + 1] = NULL;
			p->ng++;
			if (parse_group(name + i + 1, (size_t)(close - name - i - 1),
			            &p->g[p->ng - 1], where, item, errp) < 0)
				return -1;
			total *= p->g[p->ng - 1].count;
			if (total > HOSTLIST_MAX_EXPANSION)
				return fail(errp, "%s: '%s' expands to more than %d hosts", where,
				        item, HOSTLIST_MAX_EXPANSION);
			i = (size_t)(close - name) + 1;
			continue;
		}
		if (c == ']') {
			buf_free(&lit);
			return fail(errp, "%s: unmatched ']' in '%s'", where, item);
		}
		if (!name_char((unsigned char)c)) {
			buf_free(&lit);
			if (isprint((unsigned char)c))
				return fail(
				        errp, "%s: illegal character '%c' in '%s'", where, c, item);
			return fail(errp, "%s: illegal character 0x%02x in host name", where,
			        (unsigned char)c);
		}
		buf_appendc(&lit, c);
		i++;
	}
	p->lit[p->ng] = buf_steal(&lit);
	return 0;
}

/* Append v in decimal, zero-padded to width. */
static void
append_number(struct buf *b, unsigned long long v, int width)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n < width && n < (int)sizeof digits)
		digits[n++] = '0';
	buf_reserve(b, (size_t)n);
	while (n > 0)
		b->p[b->len++] = digits[--n];
	b->p[b->len] = '\0';
}

static void
expand_into(struct hostlist *hl, const struct pattern *p, const char *user, int port)
{
	size_t *gi = xcalloc(p->ng + 1, sizeof *gi);               /* range index per group */
	unsigned long long *cur = xcalloc(p->ng + 1, sizeof *cur); /* value per group */
	size_t *litlen = xcalloc(p->ng + 1, sizeof *litlen);
	struct buf name;
	size_t k;
	ssize_t g;

	buf_init(&name);
	for (k = 0; k <= p->ng; k++)
		litlen[k] = strlen(p->lit[k]);
	for (k = 0; k < p->ng; k++)
		cur[k] = p->g[k].r[0].lo;
	for (;;) {
		buf_reset(&name);
		for (k = 0; k < p->ng; k++) {
			buf_append(&name, p->lit[k], litlen[k]);
			append_number(&name, cur[k], p->g[k].width);
		}
		buf_append(&name, p->lit[p->ng], litlen[p->ng]);
		hostlist_push(hl, xstrndup(name.p, name.len), user, port);
		/* Odometer: the rightmost group varies fastest. */
		for (g = (ssize_t)p->ng - 1; g >= 0; g--) {
			const struct group *gr = &p->g[g];

			if (cur[g] < gr->r[gi[g]].hi) {
				cur[g]++;
				break;
			}
			if (gi[g] + 1 < gr->nr) {
				gi[g]++;
				cur[g] = gr->r[gi[g]].lo;
				break;
			}
			gi[g] = 0;
			cur[g] = gr->r[0].lo;
		}
		if (g < 0)
			break;
	}
	buf_free(&name);
	free(litlen);
	free(gi);
	free(cur);
}

static int
parse_port(const char *s, size_t len, int *port, const char *where, const char *item, char **errp)
{
	unsigned long long v;

	if (parse_number(s, len, &v) < 0 || v < 1 || v > 65535)
		return fail(errp, "%s: bad port '%.*s' in '%s'", where, (int)len, s, item);
	*port = (int)v;
	return 0;
}

static bool
v6_char(int c)
{
	return isxdigit(c) || c == ':' || c == '.' || c == '%' || isalnum(c);
}

/* One item, already trimmed: [user@]name[:port] or [user@][v6][:port]. */
struct item {
	char *user;
	int port;
	char *v6; /* an IPv6 address; else the name is pat */
	struct pattern pat;
	struct hostlist *group; /* @NAME: the group's hosts, expanded */
	unsigned long long count;
};

/* groups.c's expansion of @NAME items; NULL: '@' starts a user name. */
static hostlist_group_fn group_fn;

void
hostlist_set_groups(hostlist_group_fn fn)
{
	group_fn = fn;
}

static void
item_free(struct item *it)
{
	if (it->group != NULL)
		hostlist_free(it->group);
	free(it->group);
	pattern_free(&it->pat);
	free(it->user);
	free(it->v6);
	memset(it, 0, sizeof *it);
}

static int
parse_item(struct item *it, const char *item, const char *where, char **errp)
{
	const char *at = NULL, *name, *end = item + strlen(item), *colon = NULL, *p;
	char *user = NULL;
	int port = 0, depth = 0, rc = -1;
	size_t k;

	memset(it, 0, sizeof *it);
	if (*item == '@' && group_fn != NULL) {
		it->group = xmalloc(sizeof *it->group);
		hostlist_init(it->group);
		if (group_fn(it->group, item + 1, where, errp) < 0) {
			item_free(it);
			return -1;
		}
		it->count = it->group->n;
		return 0;
	}
	for (p = item; p < end; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == '@' && depth == 0 && at == NULL)
			at = p;
	}
	if (at != NULL) {
		if (at == item)
			return fail(errp, "%s: empty user name in '%s'", where, item);
		user = xstrndup(item, (size_t)(at - item));
		for (p = user; *p; p++) {
			if (!name_char((unsigned char)*p) || *p == '[') {
				fail(errp, "%s: bad user name in '%s'", where, item);
				goto out;
			}
		}
	}
	name = at ? at + 1 : item;
	if (name == end) {
		fail(errp, "%s: empty host name in '%s'", where, item);
		goto out;
	}
	/* An IPv6 literal: brackets that hold a colon. */
	if (name[0] == '[') {
		const char *close = strchr(name, ']');

		if (close != NULL && memchr(name, ':', (size_t)(close - name)) != NULL) {
			for (p = name + 1; p < close; p++) {
				if (!v6_char((unsigned char)*p)) {
					fail(errp, "%s: bad IPv6 address in '%s'", where, item);
					goto out;
				}
			}
			if (close + 1 < end) {
				if (close[1] != ':' ||
				        parse_port(close + 2, (size_t)(end - close - 2), &port,
				                where, item, errp) < 0) {
					if (close[1] != ':')
						fail(errp, "%s: unexpected text after ']' in '%s'",
						        where, item);
					goto out;
				}
			}
			it->v6 = xstrndup(name + 1, (size_t)(close - name - 1));
			it->count = 1;
			rc = 0;
			goto out;
		}
	}
	depth = 0;
	for (p = name; p < end; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ':' && depth == 0)
			colon = p;
	}
	if (colon != NULL) {
		if (parse_port(colon + 1, (size_t)(end - colon - 1), &port, where, item, errp) < 0)
			goto out;
		end = colon;
		if (end == name) {
			fail(errp, "%s: empty host name in '%s'", where, item);
			goto out;
		}
	}
	/* ssh takes a leading '-' for an option and refuses such a name
	 * ("hostname contains invalid characters"); libssh too. */
	if (*name == '-') {
		fail(errp, "%s: host name '%.*s' starts with '-' (ssh refuses such names)", where,
		        (int)(end - name), name);
		goto out;
	}
	if (parse_pattern(name, (size_t)(end - name), &it->pat, where, item, errp) < 0)
		goto out;
	it->count = 1;
	for (k = 0; k < it->pat.ng; k++)
		it->count *= it->pat.g[k].count;
	rc = 0;
out:
	it->user = user;
	it->port = port;
	if (rc < 0)
		item_free(it);
	return rc;
}

/* Room for n more entries, so a big expansion rebuilds nothing. */
static void
hostlist_reserve(struct hostlist *hl, size_t n)
{
	size_t want = hl->n + n, slots = hl->nslots ? hl->nslots : 64;

	if (want > hl->cap) {
		/* Geometric: a file of a million one-host lines reserves a million times. */
		hl->cap = want > hl->cap * 2 ? want : hl->cap * 2;
		hl->v = xreallocarray(hl->v, hl->cap, sizeof *hl->v);
	}
	while (want * 2 > slots)
		slots *= 2;
	if (slots != hl->nslots)
		set_rebuild(hl, slots);
}

int
hostlist_add_expr(struct hostlist *hl, const char *expr, const char *where, char **errp)
{
	struct item *items = NULL;
	size_t nitems = 0, i, k;
	unsigned long long total = 0;
	const char *p = expr, *start;
	int depth, rc = -1;

	*errp = NULL;
	/* Parse every item first: on an error nothing is appended. */
	for (;;) {
		char *item;
		size_t len;

		start = p;
		depth = 0;
		while (*p != '\0' && (*p != ',' || depth > 0)) {
			if (*p == '[')
				depth++;
			else if (*p == ']')
				depth--;
			p++;
		}
		while (start < p && isspace((unsigned char)*start))
			start++;
		len = (size_t)(p - start);
		while (len > 0 && isspace((unsigned char)start[len - 1]))
			len--;
		if (len == 0) {
			if (*expr == '\0')
				fail(errp, "%s: empty host expression", where);
			else
				fail(errp, "%s: empty item in '%s'", where, expr);
			goto out;
		}
		item = xstrndup(start, len);
		items = xreallocarray(items, nitems + 1, sizeof *items);
		if (parse_item(&items[nitems], item, where, errp) < 0) {
			free(item);
			goto out;
		}
		free(item);
		total += items[nitems++].count;
		if (total > HOSTLIST_MAX_EXPANSION) {
			fail(errp, "%s: '%s' expands to more than %d hosts", where, expr,
			        HOSTLIST_MAX_EXPANSION);
			goto out;
		}
		if (*p == '\0')
			break;
		p++;
	}
	hostlist_reserve(hl, (size_t)total);
	for (i = 0; i < nitems; i++) {
		if (items[i].group != NULL) {
			for (k = 0; k < items[i].group->n; k++) {
				const struct hostspec *g = &items[i].group->v[k];

				hostlist_push(hl, xstrdup(g->alias), g->user, g->port);
			}
		} else if (items[i].v6 != NULL)
			hostlist_push(hl, xstrdup(items[i].v6), items[i].user, items[i].port);
		else
			expand_into(hl, &items[i].pat, items[i].user, items[i].port);
	}
	rc = 0;
out:
	for (i = 0; i < nitems; i++)
		item_free(&items[i]);
	free(items);
	return rc;
}

int
hostlist_add_file(struct hostlist *hl, const char *path, char **errp)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "r");
	const char *label = is_stdin ? "stdin" : path;
	char *line = NULL, *where, *s, *hash;
	size_t cap = 0, lineno = 0, len;
	ssize_t n;
	int rc = 0;

	*errp = NULL;
	if (fp == NULL)
		return fail(errp, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			rc = fail(errp, "%s:%zu: NUL byte in host file", label, lineno);
			break;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = line;
		/* A UTF-8 byte order mark, as some editors write: not part of a name. */
		if (lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		while (isspace((unsigned char)*s))
			s++;
		len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		if (len == 0)
			continue;
		where = xasprintf("%s:%zu", label, lineno);
		rc = hostlist_add_expr(hl, s, where, errp);
		free(where);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(fp))
		rc = fail(errp, "%s: %s", label, strerror(errno));
	free(line);
	if (!is_stdin)
		fclose(fp);
	return rc;
}

/* Keep the entries for which keep[i] is true, in order, and rebuild the set. */
static void
hostlist_compact(struct hostlist *hl, const bool *keep)
{
	size_t i, j = 0;

	for (i = 0; i < hl->n; i++) {
		if (keep[i]) {
			hl->v[j++] = hl->v[i];
		} else {
			free(hl->v[i].alias);
			free(hl->v[i].user);
		}
	}
	hl->n = j;
	if (hl->nslots > 0)
		set_rebuild(hl, hl->nslots);
}

/* Whether ex names (alias, user, port); ex keeps its set whenever it has entries. */
static bool
hostlist_has(const struct hostlist *ex, const char *alias, const char *user, int port)
{
	return set_find(ex, alias, user, port, NULL) != 0;
}

void
hostlist_exclude(struct hostlist *hl, const struct hostlist *ex)
{
	bool *keep;
	size_t i;

	if (hl->n == 0 || ex->n == 0)
		return;
	/*
	 * An exclusion matches by alias, and by user and port where it gives
	 * them: look up the (at most four) forms that could name each host in
	 * ex's own set, so the cost is linear in both lists.
	 */
	keep = xcalloc(hl->n, sizeof *keep);
	for (i = 0; i < hl->n; i++) {
		const struct hostspec *s = &hl->v[i];

		keep[i] = !hostlist_has(ex, s->alias, NULL, 0) &&
		          !(s->user != NULL && hostlist_has(ex, s->alias, s->user, 0)) &&
		          !(s->port != 0 && hostlist_has(ex, s->alias, NULL, s->port)) &&
		          !(s->user != NULL && s->port != 0 &&
		                  hostlist_has(ex, s->alias, s->user, s->port));
	}
	hostlist_compact(hl, keep);
	free(keep);
}

int
hostlist_filter(
        struct hostlist *hl, const char *pattern, int keepmatch, const char *optname, char **errp)
{
	pcre2_code *re;
	pcre2_match_data *md;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];
	int errcode, r;
	bool *keep;
	size_t i;

	*errp = NULL;
	re = pcre2_compile(
	        (PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &errcode, &erroff, NULL);
	if (re == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof msg);
		return fail(errp, "%s: PCRE2 error at offset %zu: %s", optname, (size_t)erroff,
		        (const char *)msg);
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT, matching just runs slower */
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		fatal("out of memory for a PCRE2 match");
	keep = xcalloc(hl->n ? hl->n : 1, sizeof *keep);
	for (i = 0; i < hl->n; i++) {
		/* pcre2_match runs the JIT code itself when the pattern has it. */
		r = pcre2_match(
		        re, (PCRE2_SPTR)hl->v[i].alias, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
		keep[i] = (r >= 0) == (keepmatch != 0);
	}
	hostlist_compact(hl, keep);
	free(keep);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

/* ---- folding ---------------------------------------------------------- */

struct fold_name {
	const char *name;
	size_t pre;  /* length of the text before the number */
	size_t dlen; /* digits of the number; 0: no number */
	unsigned long long num;
	bool lead0;
	size_t group;
};

struct fold_group {
	const char *name; /* a member, for prefix and suffix */
	size_t pre, post_off;
	int width; /* 0: unpadded; -1: a name without a number, pre its length */
	size_t first;
	unsigned long long *nums;
	size_t n, cap;
	uint64_t hash;
};

struct fold_table {
	size_t *slots; /* group index + 1 */
	size_t nslots;
	struct fold_group *g;
	size_t ng, cap;
};

static uint64_t
fold_key_hash(const char *name, size_t pre, size_t post_off, int width)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < pre; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	h = (h ^ 0x100) * 1099511628211ULL;
	for (i = post_off; name[i]; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	h = (h ^ (uint64_t)(unsigned)width) * 1099511628211ULL;
	return h ^ (h >> 31);
}

static bool
fold_key_equal(const struct fold_group *g, const char *name, size_t pre, size_t post_off, int width)
{
	return g->width == width && g->pre == pre && memcmp(g->name, name, pre) == 0 &&
	       strcmp(g->name + g->post_off, name + post_off) == 0;
}

/* Find a group, or (create) add one; returns its index, or SIZE_MAX. */
static size_t
fold_lookup(struct fold_table *t, const char *name, size_t pre, size_t post_off, int width,
        bool create, size_t first)
{
	uint64_t h = fold_key_hash(name, pre, post_off, width);
	size_t j, i;

	if (t->nslots == 0 || (create && (t->ng + 1) * 2 > t->nslots)) {
		size_t ns = t->nslots ? t->nslots * 2 : 64;

		free(t->slots);
		t->slots = xcalloc(ns, sizeof *t->slots);
		t->nslots = ns;
		for (i = 0; i < t->ng; i++) {
			j = t->g[i].hash & (ns - 1);
			while (t->slots[j] != 0)
				j = (j + 1) & (ns - 1);
			t->slots[j] = i + 1;
		}
	}
	j = h & (t->nslots - 1);
	while (t->slots[j] != 0) {
		if (fold_key_equal(&t->g[t->slots[j] - 1], name, pre, post_off, width))
			return t->slots[j] - 1;
		j = (j + 1) & (t->nslots - 1);
	}
	if (!create)
		return SIZE_MAX;
	if (t->ng == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->g = xreallocarray(t->g, t->cap, sizeof *t->g);
	}
	memset(&t->g[t->ng], 0, sizeof t->g[t->ng]);
	t->g[t->ng].name = name;
	t->g[t->ng].pre = pre;
	t->g[t->ng].post_off = post_off;
	t->g[t->ng].width = width;
	t->g[t->ng].first = first;
	t->g[t->ng].hash = h;
	t->slots[j] = ++t->ng;
	return t->ng - 1;
}

static int
cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void
fold_write_group(struct buf *out, struct fold_group *g)
{
	size_t i, j, m = 0;

	qsort(g->nums, g->n, sizeof *g->nums, cmp_ull);
	for (i = 0; i < g->n; i++) {
		if (m == 0 || g->nums[i] != g->nums[m - 1])
			g->nums[m++] = g->nums[i];
	}
	buf_append(out, g->name, g->pre);
	if (m == 1) {
		buf_appendf(out, "%0*llu", g->width, g->nums[0]);
	} else {
		buf_appendc(out, '[');
		for (i = 0; i < m; i = j + 1) {
			j = i;
			while (j + 1 < m && g->nums[j + 1] == g->nums[j] + 1)
				j++;
			if (i > 0)
				buf_appendc(out, ',');
			buf_appendf(out, "%0*llu", g->width, g->nums[i]);
			if (j > i)
				buf_appendf(out, "-%0*llu", g->width, g->nums[j]);
		}
		buf_appendc(out, ']');
	}
	buf_appends(out, g->name + g->post_off);
}

char *
hostlist_fold(const char *const *names, size_t n)
{
	struct fold_name *fn = xcalloc(n ? n : 1, sizeof *fn);
	struct fold_table t;
	struct buf out;
	size_t i, gi;
	bool *written;

	memset(&t, 0, sizeof t);
	buf_init(&out);
	/* Pass 1: find each name's last number; padded groups exist first. */
	for (i = 0; i < n; i++) {
		const char *s = names[i];
		size_t len = strlen(s), e = len, b;

		fn[i].name = s;
		while (e > 0 && !isdigit((unsigned char)s[e - 1]))
			e--;
		b = e;
		while (b > 0 && isdigit((unsigned char)s[b - 1]))
			b--;
		if (e == 0 || e - b > MAX_DIGITS) {
			fn[i].dlen = 0;
			continue;
		}
		fn[i].pre = b;
		fn[i].dlen = e - b;
		parse_number(s + b, e - b, &fn[i].num);
		fn[i].lead0 = s[b] == '0' && e - b > 1;
		if (fn[i].lead0)
			fold_lookup(&t, s, b, e, (int)(e - b), true, i);
	}
	/* Pass 2: every name to its group. */
	for (i = 0; i < n; i++) {
		struct fold_name *f = &fn[i];
		size_t post = f->pre + f->dlen;

		if (f->dlen == 0) {
			/* A plain name is a group of its own (width -1): repeats drop
			 * through the same table, in linear time. */
			size_t len = strlen(f->name);

			f->group = fold_lookup(&t, f->name, len, len, -1, true, i);
			continue;
		}
		gi = SIZE_MAX;
		if (!f->lead0)
			gi = fold_lookup(&t, f->name, f->pre, post, (int)f->dlen, false, i);
		if (gi == SIZE_MAX)
			gi = fold_lookup(
			        &t, f->name, f->pre, post, f->lead0 ? (int)f->dlen : 0, true, i);
		if (t.g[gi].first > i)
			t.g[gi].first = i;
		if (t.g[gi].n == t.g[gi].cap) {
			t.g[gi].cap = t.g[gi].cap ? t.g[gi].cap * 2 : 4;
			t.g[gi].nums = xreallocarray(
			        t.g[gi].nums, t.g[gi].cap, sizeof(unsigned long long));
		}
		t.g[gi].nums[t.g[gi].n++] = f->num;
		f->group = gi;
	}
	/* Output in order of first appearance; names without a number as they are. */
	written = xcalloc(t.ng ? t.ng : 1, sizeof *written);
	for (i = 0; i < n; i++) {
		gi = fn[i].group;
		if (written[gi] || t.g[gi].first != i)
			continue;
		written[gi] = true;
		if (out.len)
			buf_appendc(&out, ',');
		if (t.g[gi].width < 0)
			buf_appends(&out, fn[i].name);
		else
			fold_write_group(&out, &t.g[gi]);
	}
	for (i = 0; i < t.ng; i++)
		free(t.g[i].nums);
	free(t.g);
	free(t.slots);
	free(written);
	free(fn);
	return buf_steal(&out);
}
