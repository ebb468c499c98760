/*
 * hostlist.c - host expressions and folding.
 *
 * An expression is split at the commas that are not inside brackets; each
 * item is [user@]name[:port], or [user@][v6addr][:port].  A name is literal
 * text and bracket groups of numbers and ranges ("web[01-03,7].dc[1-2]");
 * its expansion is the cartesian product, the leftmost group varying
 * slowest, each range zero-padded to its lower bound if that has a leading 0.
 * The size of the product is checked before anything is expanded.
 *
 * A hostlist keeps an open-addressing set of its entries so that adding a
 * million names and dropping duplicates stays linear.
 *
 * Folding works as ClusterShell's nodeset -f: a name is split into user@,
 * text and numeric fields alternating, and :port; names alike but for one
 * field merge into a range there, the last field first, then the one before
 * (web01.dc1..web02.dc2 -> web[01-02].dc[1-2]).  Each number keeps its own
 * padding, so expanding the folded text gives back exactly the names.
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
		free(hl->v[i].addr);
	}
	free(hl->v);
	free(hl->slots);
	hostlist_init(hl);
}

/* groups.c's inventories' values for a host; NULL: none loaded. */
static hostlist_vars_fn vars_fn;

void
hostlist_set_vars(hostlist_vars_fn fn)
{
	vars_fn = fn;
}

/*
 * Append alias (owned by the list from now on) unless already present.  A
 * host an inventory knows gets its values here, however it was named, so
 * web1 and @web's web1 are one host; user@ and :port written win.
 */
void
hostlist_push(struct hostlist *hl, char *alias, const char *user, int port, const char *addr)
{
	size_t slot;

	if (vars_fn != NULL && (user == NULL || port == 0 || addr == NULL))
		vars_fn(alias, &user, &port, &addr);
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
	hl->v[hl->n].addr = addr ? xstrdup(addr) : NULL;
	hl->n++;
	hl->slots[slot] = hl->n;
}

/* ---- parsing ---------------------------------------------------------- */

/*
 * A range and its zero padding: the width of its lower bound as written, so
 * padding belongs to each number, as in pdsh and nodeset: n[1,03] is n1,n03
 * and [07-09,010] is 07,08,09,010.
 */
struct range {
	unsigned long long lo, hi, step;
	int width;
};

/* One bracket group: its ranges; alpha: the values are letters (an Ansible inventory's [a:f]). */
struct group {
	struct range *r;
	size_t nr;
	bool alpha;
	unsigned long long count;
};

/* Whose syntax a bracket group is written in. */
enum syntax {
	SYNTAX_SHOAL,   /* [01-05,07] */
	SYNTAX_ANSIBLE, /* [01:05], [a:f], [1:9:2]: one range, ':' between its parts */
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

/*
 * The inside of an Ansible range, "beg:end[:step]", as Ansible's inventory
 * reads it: an empty beg is 0; a beg with a leading zero fixes the width and
 * end must have the same; letters are one letter each, of the same case.
 */
static int
parse_ansible_group(const char *s, size_t len, struct group *g, const char *where, const char *item,
        char **errp)
{
	const char *c1 = memchr(s, ':', len), *c2, *end = s + len;
	size_t blen, elen;
	struct range r;

	if (c1 == NULL)
		return fail(errp, "%s: range without ':' in '%s' (Ansible's [BEG:END[:STEP]])",
		        where, item);
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	blen = (size_t)(c1 - s);
	elen = (size_t)((c2 ? c2 : end) - c1 - 1);
	r.step = 1;
	r.width = 0;
	if (c2 != NULL &&
	        (parse_number(c2 + 1, (size_t)(end - c2 - 1), &r.step) < 0 || r.step == 0))
		return fail(errp, "%s: bad step in range in '%s'", where, item);
	if (blen == 1 && elen == 1 && isalpha((unsigned char)s[0]) &&
	        isalpha((unsigned char)c1[1])) {
		if (!!islower((unsigned char)s[0]) != !!islower((unsigned char)c1[1]))
			return fail(
			        errp, "%s: letters of both cases in range in '%s'", where, item);
		g->alpha = true;
		r.lo = (unsigned char)s[0];
		r.hi = (unsigned char)c1[1];
	} else {
		if (blen == 0)
			r.lo = 0;
		else if (parse_number(s, blen, &r.lo) < 0)
			goto bad;
		if (parse_number(c1 + 1, elen, &r.hi) < 0)
			goto bad;
		if (blen > 1 && s[0] == '0') {
			if (elen != blen)
				return fail(errp,
				        "%s: range '%s' has a zero-padded start and an end of "
				        "another width",
				        where, item);
			r.width = (int)blen;
		}
	}
	if (r.hi < r.lo)
		return fail(errp, "%s: range '%s' runs backwards", where, item);
	g->r = xmalloc(sizeof *g->r);
	g->r[0] = r;
	g->nr = 1;
	g->count = (r.hi - r.lo) / r.step + 1;
	if (g->count > HOSTLIST_MAX_EXPANSION)
		return fail(errp, "%s: '%s' expands to more than %d hosts", where, item,
		        HOSTLIST_MAX_EXPANSION);
	return 0;
bad:
	return fail(errp, "%s: bad range in '%s' (Ansible's [BEG:END[:STEP]], numbers or letters)",
	        where, item);
}

/* Parse the inside of one bracket group, "01-05,07". */
static int
parse_group(const char *s, size_t len, enum syntax syn, struct group *g, const char *where,
        const char *item, char **errp)
{
	size_t i = 0;

	memset(g, 0, sizeof *g);
	if (len == 0)
		return fail(errp, "%s: empty range in '%s'", where, item);
	if (syn == SYNTAX_ANSIBLE)
		return parse_ansible_group(s, len, g, where, item, errp);
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
		r.step = 1;
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
		r.width = s[start] == '0' ? (int)(dash ? dash - start : end - start) : 0;
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
parse_pattern(const char *name, size_t len, enum syntax syn, struct pattern *p, const char *where,
        const char *item, char **errp)
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
			if (parse_group(name + i + 1, (size_t)(close - name - i - 1), syn,
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
expand_into(
        struct hostlist *hl, const struct pattern *p, const char *user, int port, const char *addr)
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
			if (p->g[k].alpha)
				buf_appendc(&name, (char)cur[k]);
			else
				append_number(&name, cur[k], p->g[k].r[gi[k]].width);
		}
		buf_append(&name, p->lit[p->ng], litlen[p->ng]);
		hostlist_push(hl, xstrndup(name.p, name.len), user, port, addr);
		/* Odometer: the rightmost group varies fastest. */
		for (g = (ssize_t)p->ng - 1; g >= 0; g--) {
			const struct group *gr = &p->g[g];

			if (gr->r[gi[g]].hi - cur[g] >= gr->r[gi[g]].step) {
				cur[g] += gr->r[gi[g]].step;
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
		fail(errp,
		        "%s: host name '%.*s' starts with '-' (ssh refuses such names; to drop "
		        "hosts as pdsh's '-host' does, use -x %.*s)",
		        where, (int)(end - name), name, (int)(end - name - 1), name + 1);
		goto out;
	}
	/* pdsh reads hosts from a file named after '^'. */
	if (*name == '^') {
		fail(errp, "%s: '%.*s': a file of hosts is -H %.*s here (pdsh's ^FILE)", where,
		        (int)(end - name), name, (int)(end - name - 1), name + 1);
		goto out;
	}
	if (parse_pattern(name, (size_t)(end - name), SYNTAX_SHOAL, &it->pat, where, item, errp) <
	        0)
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

				hostlist_push(hl, xstrdup(g->alias), g->user, g->port, g->addr);
			}
		} else if (items[i].v6 != NULL)
			hostlist_push(hl, xstrdup(items[i].v6), items[i].user, items[i].port, NULL);
		else
			expand_into(hl, &items[i].pat, items[i].user, items[i].port, NULL);
	}
	rc = 0;
out:
	for (i = 0; i < nitems; i++)
		item_free(&items[i]);
	free(items);
	return rc;
}

size_t
hostlist_find(const struct hostlist *hl, const char *alias, const char *user, int port)
{
	return hl->nslots == 0 ? 0 : set_find(hl, alias, user, port, NULL);
}

void
hostlist_add_spec(struct hostlist *hl, const struct hostspec *h)
{
	hostlist_push(hl, xstrdup(h->alias), h->user, h->port, h->addr);
}

int
hostlist_add_ansible(struct hostlist *hl, const char *name, const char *user, int port,
        const char *addr, const char *where, char **errp)
{
	struct pattern pat;

	*errp = NULL;
	if (*name == '-')
		return fail(errp, "%s: host name '%s' starts with '-' (ssh refuses such names)",
		        where, name);
	if (parse_pattern(name, strlen(name), SYNTAX_ANSIBLE, &pat, where, name, errp) < 0) {
		pattern_free(&pat);
		return -1;
	}
	expand_into(hl, &pat, user, port, addr);
	pattern_free(&pat);
	return 0;
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
	if (fp == NULL && errno == ENOENT && strchr(path, '/') == NULL)
		return fail(errp, "-H %s: no such file (to name a host, use -w %s; pssh's -H)",
		        path, path);
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
			free(hl->v[i].addr);
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

/* A number as written: its value, and its width when written with a leading 0. */
struct fold_num {
	unsigned long long v;
	int w; /* 0: no leading zero */
};

/*
 * The numbers one field takes, sorted as nodeset sorts them, and their
 * text: while it holds one number, that number as the name wrote it.
 */
struct fold_set {
	struct fold_num one; /* the number, while v is NULL */
	struct fold_num *v;
	size_t n, cap;
	const char *lit; /* the text: in the name, or text */
	size_t litlen;
	char *text; /* "[1-3,07]", once merged */
};

struct fold_piece {
	const char *p;
	size_t len;
};

/*
 * A name split as head (user@), text pieces and numeric fields alternating,
 * and tail (:port): pieces txt..txt+k and fields f..f+k-1 of the pools.
 * Folding merges entries that differ in one field only.
 */
struct fold_ent {
	const char *name;
	size_t head, tail; /* lengths of user@ and of :port */
	size_t k;          /* numeric fields; k + 1 text pieces; none: the name is text */
	size_t txt, f;     /* first piece and field in the pools */
	bool split;        /* has pieces (else the whole name is one text) */
	bool dead;         /* merged into an earlier entry */
};

struct fold {
	struct fold_ent *e;
	size_t n;
	struct fold_piece *txt;
	size_t ntxt, captxt;
	struct fold_set *f;
	size_t nf, capf;
};

/* Printed length: the width, else the digits. */
static int
fold_num_len(const struct fold_num *x)
{
	unsigned long long v = x->v;
	int n = 1;

	if (x->w > 0)
		return x->w;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int
cmp_fold_num(const void *a, const void *b)
{
	const struct fold_num *x = a, *y = b;
	int lx = fold_num_len(x), ly = fold_num_len(y);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->v < y->v ? -1 : x->v > y->v;
}

static void
fold_set_merge(struct fold_set *s, const struct fold_set *from)
{
	size_t i, m = from->v ? from->n : 1;

	if (s->v == NULL) {
		s->cap = 4;
		s->v = xreallocarray(NULL, s->cap, sizeof *s->v);
		s->v[0] = s->one;
		s->n = 1;
	}
	if (s->n + m > s->cap) {
		while (s->n + m > s->cap)
			s->cap *= 2;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	for (i = 0; i < m; i++)
		s->v[s->n++] = from->v ? from->v[i] : from->one;
}

/*
 * Sort, drop repeats and write ranges.  A range runs on while the next
 * number is one more and prints at the range's width, so that expanding
 * the text gives back exactly these numbers: [09-11], [8-10], [01-99,100].
 */
static void
fold_set_render(struct fold_set *s)
{
	struct buf b;
	size_t i, j, m = 0;

	qsort(s->v, s->n, sizeof *s->v, cmp_fold_num);
	for (i = 0; i < s->n; i++) {
		if (m == 0 || cmp_fold_num(&s->v[i], &s->v[m - 1]) != 0)
			s->v[m++] = s->v[i];
	}
	s->n = m;
	buf_init(&b);
	if (m > 1)
		buf_appendc(&b, '[');
	for (i = 0; i < m; i = j + 1) {
		int w = s->v[i].w;

		for (j = i; j + 1 < m && s->v[j + 1].v == s->v[j].v + 1 &&
		            (w > 0 ? fold_num_len(&s->v[j + 1]) == w : s->v[j + 1].w == 0);
		        j++)
			;
		if (i > 0)
			buf_appendc(&b, ',');
		buf_appendf(&b, "%0*llu", w, s->v[i].v);
		if (j > i)
			buf_appendf(&b, "-%0*llu", w, s->v[j].v);
	}
	if (m > 1)
		buf_appendc(&b, ']');
	free(s->text);
	s->litlen = b.len;
	s->text = buf_steal(&b);
	s->lit = s->text;
}

static void
fold_add_piece(struct fold *fo, const char *p, size_t len)
{
	if (fo->ntxt == fo->captxt) {
		fo->captxt = fo->captxt ? fo->captxt * 2 : 64;
		fo->txt = xreallocarray(fo->txt, fo->captxt, sizeof *fo->txt);
	}
	fo->txt[fo->ntxt].p = p;
	fo->txt[fo->ntxt++].len = len;
}

static void
fold_add_field(struct fold *fo, const char *p, size_t len)
{
	struct fold_set *s;

	if (fo->nf == fo->capf) {
		fo->capf = fo->capf ? fo->capf * 2 : 64;
		fo->f = xreallocarray(fo->f, fo->capf, sizeof *fo->f);
	}
	s = &fo->f[fo->nf++];
	memset(s, 0, sizeof *s);
	parse_number(p, len, &s->one.v);
	s->one.w = *p == '0' && len > 1 ? (int)len : 0;
	s->n = 1;
	s->lit = p;
	s->litlen = len;
}

/* Split a [user@]name[:port] into its pieces; a bracketed IPv6 name stays whole. */
static void
fold_split(struct fold *fo, struct fold_ent *e, const char *s)
{
	const char *at = strchr(s, '@'), *body, *end, *p, *q, *d, *colon;

	memset(e, 0, sizeof *e);
	e->name = s;
	body = at ? at + 1 : s;
	end = s + strlen(s);
	if (strchr(body, '[') != NULL)
		return;
	colon = strrchr(body, ':');
	e->head = (size_t)(body - s);
	if (colon != NULL) {
		e->tail = (size_t)(end - colon);
		end = colon;
	}
	e->split = true;
	e->txt = fo->ntxt;
	e->f = fo->nf;
	for (p = body;;) {
		/* Text up to a run of digits short enough to be a number. */
		for (q = p;; q = d) {
			while (q < end && !isdigit((unsigned char)*q))
				q++;
			for (d = q; d < end && isdigit((unsigned char)*d); d++)
				;
			if (q == end || d - q <= MAX_DIGITS)
				break;
		}
		fold_add_piece(fo, p, (size_t)(q - p));
		if (q == end)
			break;
		fold_add_field(fo, q, (size_t)(d - q));
		e->k++;
		p = d;
	}
}

/* The entry's text with field skip (SIZE_MAX: none) left out: what a merge must match. */
static void
fold_key(struct buf *b, const struct fold *fo, const struct fold_ent *e, size_t skip)
{
	size_t i;

	buf_reset(b);
	buf_append(b, e->name, e->head);
	buf_appendc(b, '\x01');
	if (!e->split) {
		buf_appends(b, e->name);
		return;
	}
	for (i = 0; i <= e->k; i++) {
		buf_append(b, fo->txt[e->txt + i].p, fo->txt[e->txt + i].len);
		if (i == skip)
			buf_appendc(b, '\x02');
		else if (i < e->k)
			buf_append(b, fo->f[e->f + i].lit, fo->f[e->f + i].litlen);
		buf_appendc(b, '\x03');
	}
	buf_append(b, e->name + strlen(e->name) - e->tail, e->tail);
}

/* A table of keys (kept end to end in one arena) to entry indexes, for one pass. */
struct fold_slot {
	uint64_t hash;
	size_t off, len, idx; /* idx + 1; 0: free */
};

struct fold_table {
	struct fold_slot *s;
	size_t nslots;
	struct buf arena;
};

static uint64_t
fold_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ^ (h >> 31);
}

/* The index stored under key, or idx stored there as new (returned as is). */
static size_t
fold_table_get(struct fold_table *t, const struct buf *key, size_t idx)
{
	uint64_t h = fold_hash(key->p, key->len);
	size_t j = h & (t->nslots - 1);

	while (t->s[j].idx != 0) {
		if (t->s[j].hash == h && t->s[j].len == key->len &&
		        memcmp(t->arena.p + t->s[j].off, key->p, key->len) == 0)
			return t->s[j].idx - 1;
		j = (j + 1) & (t->nslots - 1);
	}
	t->s[j].hash = h;
	t->s[j].off = t->arena.len;
	t->s[j].len = key->len;
	t->s[j].idx = idx + 1;
	buf_append(&t->arena, key->p, key->len);
	return idx;
}

/*
 * One pass: entries alike but for field d merge into the first of them;
 * d == SIZE_MAX: names without fields that are alike drop.
 */
static void
fold_pass(struct fold *fo, size_t d, struct buf *key)
{
	struct fold_table t;
	size_t i, j, m = 0;

	for (i = 0; i < fo->n; i++)
		m += !fo->e[i].dead;
	memset(&t, 0, sizeof t);
	buf_init(&t.arena);
	for (t.nslots = 64; t.nslots < 2 * m;)
		t.nslots *= 2;
	t.s = xcalloc(t.nslots, sizeof *t.s);
	for (i = 0; i < fo->n; i++) {
		struct fold_ent *e = &fo->e[i];

		if (e->dead || (d == SIZE_MAX ? e->k > 0 : e->k <= d))
			continue;
		fold_key(key, fo, e, d);
		j = fold_table_get(&t, key, i);
		if (j == i)
			continue;
		e->dead = true;
		if (d != SIZE_MAX)
			fold_set_merge(&fo->f[fo->e[j].f + d], &fo->f[e->f + d]);
	}
	for (i = 0; i < fo->n && d != SIZE_MAX; i++) {
		if (!fo->e[i].dead && fo->e[i].k > d && fo->f[fo->e[i].f + d].v != NULL)
			fold_set_render(&fo->f[fo->e[i].f + d]);
	}
	free(t.s);
	buf_free(&t.arena);
}

char *
hostlist_fold(const char *const *names, size_t n)
{
	struct fold fo;
	struct buf out, key;
	size_t i, j, maxk = 0;

	memset(&fo, 0, sizeof fo);
	fo.e = xcalloc(n ? n : 1, sizeof *fo.e);
	fo.n = n;
	buf_init(&out);
	buf_init(&key);
	for (i = 0; i < n; i++) {
		fold_split(&fo, &fo.e[i], names[i]);
		if (fo.e[i].k > maxk)
			maxk = fo.e[i].k;
	}
	/* Repeats of names without a number, then the last field to the first, as nodeset. */
	fold_pass(&fo, SIZE_MAX, &key);
	for (j = maxk; j-- > 0;)
		fold_pass(&fo, j, &key);
	for (i = 0; i < n; i++) {
		const struct fold_ent *e = &fo.e[i];

		if (e->dead)
			continue;
		if (out.len)
			buf_appendc(&out, ',');
		if (!e->split) {
			buf_appends(&out, e->name);
			continue;
		}
		buf_append(&out, e->name, e->head);
		for (j = 0; j <= e->k; j++) {
			buf_append(&out, fo.txt[e->txt + j].p, fo.txt[e->txt + j].len);
			if (j < e->k)
				buf_append(&out, fo.f[e->f + j].lit, fo.f[e->f + j].litlen);
		}
		buf_append(&out, e->name + strlen(e->name) - e->tail, e->tail);
	}
	for (i = 0; i < fo.nf; i++) {
		free(fo.f[i].v);
		free(fo.f[i].text);
	}
	free(fo.f);
	free(fo.txt);
	free(fo.e);
	buf_free(&key);
	return out.p ? buf_steal(&out) : xstrdup("");
}
