/*
 * diff.c - unified diffs of host outputs (--diff).
 *
 * Lines are split at '\n' (a line keeps its newline, so a last line without
 * one differs from the same text with one) and hashed.  The common head and
 * tail are trimmed, then the middle is aligned by Myers' greedy O(ND)
 * algorithm, keeping each round's furthest points to walk the path back.
 * That costs (D+1)^2 ints of memory (16 MB at the cap) and about D*(N+M) steps, so D is capped
 * (DIFF_MAX_EDITS, lowered for very long outputs): past the cap the middle
 * is shown as removed, then added.  The usual drift - a few lines changed in
 * a long output - is a short head/tail trim and a tiny D.
 *
 * Pure functions of their inputs; any thread.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "escape.h"
#include "xmalloc.h"

#define CONTEXT 3
/* D * (N + M) above this is too much work for an end-of-run report. */
#define MAX_WORK 200000000.0

struct line {
	const char *p;
	size_t len; /* with its '\n', when it has one */
	uint64_t hash;
};

struct side {
	struct line *v;
	size_t n;
};

static void
split(struct side *s, const char *p, size_t len)
{
	const char *end = p + len, *nl;
	size_t cap = 0;

	s->v = NULL;
	s->n = 0;
	while (p < end) {
		uint64_t h = 1469598103934665603ULL; /* FNV-1a */
		size_t i;

		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 64;
			s->v = xreallocarray(s->v, cap, sizeof *s->v);
		}
		for (i = 0; i < (size_t)(nl - p); i++)
			h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
		s->v[s->n].p = p;
		s->v[s->n].len = (size_t)(nl - p);
		s->v[s->n].hash = h;
		s->n++;
		p = nl;
	}
}

static bool
line_eq(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* Edit ops, in order: '=' a line of both, '-' of a only, '+' of b only. */
struct script {
	char *op;
	size_t n, cap;
};

static void
op_push(struct script *s, char op)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->op = xrealloc(s->op, s->cap);
	}
	s->op[s->n++] = op;
}

/*
 * Myers on a[0..n) against b[0..m) (already offset past the common head);
 * appends the ops to s.  Returns false when the edit distance passes max_d.
 */
static bool
myers(struct script *s, const struct line *a, long n, const struct line *b, long m, long max_d)
{
	int **v = xcalloc((size_t)max_d + 1, sizeof *v);
	long d, k, x, y, found = -1;
	char *rev = NULL;
	size_t nrev = 0;
	bool ok = false;

	for (d = 0; d <= max_d && found < 0; d++) {
		int *cur = v[d] = xmalloc((size_t)(2 * d + 1) * sizeof **v);
		const int *prev = d > 0 ? v[d - 1] : NULL;

		for (k = -d; k <= d; k += 2) {
			if (d == 0)
				x = 0;
			else if (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]))
				x = prev[k + 1 + d - 1]; /* down: a line of b */
			else
				x = prev[k - 1 + d - 1] + 1; /* right: a line of a */
			y = x - k;
			while (x < n && y < m && line_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			cur[k + d] = (int)x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	if (found < 0)
		goto out;
	/* Walk back from (n, m), collecting the ops in reverse. */
	rev = xmalloc((size_t)(n + m) + 1);
	x = n;
	y = m;
	for (d = found; d > 0; d--) {
		const int *prev = v[d - 1];
		long pk, px, mx, my;
		bool down;

		k = x - y;
		down = k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]);
		pk = down ? k + 1 : k - 1;
		px = prev[pk + d - 1];
		/* The move of round d ends at (mx, my); the snake runs from there. */
		mx = down ? px : px + 1;
		my = down ? px - pk + 1 : px - pk;
		while (x > mx && y > my) {
			rev[nrev++] = '=';
			x--;
			y--;
		}
		rev[nrev++] = down ? '+' : '-';
		if (down)
			y--;
		else
			x--;
	}
	while (x > 0 && y > 0) {
		rev[nrev++] = '=';
		x--;
		y--;
	}
	while (nrev > 0)
		op_push(s, rev[--nrev]);
	ok = true;
out:
	for (d = 0; d <= max_d; d++)
		free(v[d]);
	free(v);
	free(rev);
	return ok;
}

static void
put_line(struct buf *out, char mark, const struct line *l, bool tty)
{
	size_t len = l->len;
	bool nl = len > 0 && l->p[len - 1] == '\n';

	if (nl)
		len--;
	buf_appendc(out, mark);
	if (tty)
		escape_terminal(out, l->p, len);
	else
		buf_append(out, l->p, len);
	buf_appendc(out, '\n');
	if (!nl)
		buf_appends(out, "\\ No newline at end of file\n");
}

/* GNU's range: "l" for one line, "l,n" else, l the line before when n is 0. */
static void
put_range(struct buf *out, char mark, size_t before, size_t count)
{
	if (count == 1)
		buf_appendf(out, "%c%zu", mark, before + 1);
	else
		buf_appendf(out, "%c%zu,%zu", mark, count ? before + 1 : before, count);
}

static void
put_hunks(struct buf *out, const struct script *s, const struct side *a, const struct side *b,
        bool tty)
{
	size_t i = 0, ai = 0, bi = 0;

	while (i < s->n) {
		size_t start, end, last, j, an = 0, bn = 0, as, bs, x, y;

		while (i < s->n && s->op[i] == '=') {
			i++;
			ai++;
			bi++;
		}
		if (i == s->n)
			break;
		/* The hunk: this change and those within 2*CONTEXT equal lines of it. */
		start = i > CONTEXT ? i - CONTEXT : 0;
		as = ai - (i - start);
		bs = bi - (i - start);
		last = i;
		for (j = i; j < s->n; j++) {
			if (s->op[j] != '=')
				last = j;
			else if (j - last > 2 * CONTEXT)
				break;
		}
		end = last + 1 + CONTEXT < s->n ? last + 1 + CONTEXT : s->n;
		for (j = start; j < end; j++) {
			an += s->op[j] != '+';
			bn += s->op[j] != '-';
		}
		buf_appends(out, "@@ ");
		put_range(out, '-', as, an);
		buf_appendc(out, ' ');
		put_range(out, '+', bs, bn);
		buf_appends(out, " @@\n");
		for (j = start, x = as, y = bs; j < end; j++) {
			if (s->op[j] == '=') {
				put_line(out, ' ', &a->v[x++], tty);
				y++;
			} else if (s->op[j] == '-') {
				put_line(out, '-', &a->v[x++], tty);
			} else {
				put_line(out, '+', &b->v[y++], tty);
			}
		}
		i = end;
		ai = x;
		bi = y;
	}
}

void
diff_unified(struct buf *out, const char *a, size_t alen, const char *b, size_t blen, bool tty)
{
	struct side sa, sb;
	struct script s = {NULL, 0, 0};
	size_t head = 0, tail = 0, i;
	long n, m, max_d;

	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return;
	split(&sa, a, alen);
	split(&sb, b, blen);
	while (head < sa.n && head < sb.n && line_eq(&sa.v[head], &sb.v[head]))
		head++;
	while (tail < sa.n - head && tail < sb.n - head &&
	        line_eq(&sa.v[sa.n - 1 - tail], &sb.v[sb.n - 1 - tail]))
		tail++;
	for (i = 0; i < head; i++)
		op_push(&s, '=');
	n = (long)(sa.n - head - tail);
	m = (long)(sb.n - head - tail);
	max_d = DIFF_MAX_EDITS;
	if ((double)max_d * (double)(n + m) > MAX_WORK)
		max_d = (long)(MAX_WORK / (double)(n + m)) + 1;
	if (max_d > n + m)
		max_d = n + m;
	if (!myers(&s, sa.v + head, n, sb.v + head, m, max_d)) {
		for (i = 0; i < (size_t)n; i++)
			op_push(&s, '-');
		for (i = 0; i < (size_t)m; i++)
			op_push(&s, '+');
	}
	for (i = 0; i < tail; i++)
		op_push(&s, '=');
	put_hunks(out, &s, &sa, &sb, tty);
	free(s.op);
	free(sa.v);
	free(sb.v);
}
