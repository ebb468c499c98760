/*
 * test-diff.c - diff_unified: GNU's hunk format on fixed cases, and on
 * thousands of random pairs that the hunks, applied to a, give b exactly
 * (context and removed lines checked against a).  Then the limits: a long
 * output with one change, and two long outputs with nothing in common (the
 * capped path), each within a gross time bound.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diff.h"
#include "tap.h"

static char *
diff_str(const char *a, const char *b)
{
	struct buf out;

	buf_init(&out);
	diff_unified(&out, a, strlen(a), b, strlen(b), false);
	return out.p ? buf_steal(&out) : strdup("");
}

static void
case_is(const char *a, const char *b, const char *want, const char *desc)
{
	char *got = diff_str(a, b);

	is_str(got, want, desc);
	free(got);
}

/* A line of d at *p (text without '\n', the marker in *mark); false at the end. */
static bool
next_line(const char **p, const char *end, char *mark, const char **text, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL)
		return false;
	*mark = **p;
	*text = *p + 1;
	*len = (size_t)(nl - *p - 1);
	*p = nl + 1;
	return true;
}

/* Apply the hunks of d to a; false when they do not fit a. */
static bool
apply(const char *a, size_t alen, const char *d, size_t dlen, struct buf *out)
{
	const char *ap = a, *aend = a + alen, *p = d, *end = d + dlen, *text;
	size_t len, ai = 0;
	char mark;

	while (next_line(&p, end, &mark, &text, &len)) {
		unsigned long l1, n1 = 1, l2, n2 = 1;
		const char *q = text;

		if (mark != '@' || sscanf(q, "@ -%lu", &l1) != 1)
			return false;
		q = strchr(q, '-') + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == ',')
			n1 = strtoul(q + 1, NULL, 10);
		q = strchr(q, '+');
		if (q == NULL || sscanf(q, "+%lu", &l2) != 1)
			return false;
		(void)l2;
		(void)n2;
		/* Copy a's lines before the hunk. */
		while (ai < (n1 ? l1 - 1 : l1)) {
			const char *nl = memchr(ap, '\n', (size_t)(aend - ap));
			const char *e = nl ? nl + 1 : aend;

			buf_append(out, ap, (size_t)(e - ap));
			ap = e;
			ai++;
		}
		for (;;) {
			const char *save = p, *t2;
			size_t l2len, want;
			bool nonl = false;
			char m2;

			if (!next_line(&p, end, &mark, &text, &len))
				break;
			if (mark == '@') {
				p = save;
				break;
			}
			save = p;
			if (next_line(&p, end, &m2, &t2, &l2len) && m2 == '\\')
				nonl = true;
			else
				p = save;
			want = len + (nonl ? 0 : 1);
			if (mark == ' ' || mark == '-') {
				if ((size_t)(aend - ap) < want || memcmp(ap, text, len) != 0 ||
				        (!nonl && ap[len] != '\n'))
					return false;
				ap += want;
				ai++;
			}
			if (mark == ' ' || mark == '+') {
				buf_append(out, text, len);
				if (!nonl)
					buf_appendc(out, '\n');
			}
		}
	}
	buf_append(out, ap, (size_t)(aend - ap));
	return true;
}

static void
random_text(struct buf *b, unsigned *seed, int lines)
{
	int i;

	buf_reset(b);
	for (i = 0; i < lines; i++) {
		buf_appendc(b, (char)('a' + rand_r(seed) % 4));
		if (rand_r(seed) % 8 == 0)
			buf_appendc(b, '\0');
		if (i < lines - 1 || rand_r(seed) % 3 != 0)
			buf_appendc(b, '\n');
	}
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	struct buf a, b, d, r;
	unsigned seed = 17;
	int i, bad = 0;
	double t;

	case_is("x\n", "x\n", "", "equal: nothing");
	case_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nV\n6\n7\n8\n9\n",
	        "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+V\n 6\n 7\n 8\n",
	        "one line changed, 3 of context");
	case_is("", "new\n", "@@ -0,0 +1 @@\n+new\n", "into an empty output");
	case_is("a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n", "everything removed");
	case_is("a\nb\n", "a\nb", "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n",
	        "a missing last newline counts");
	case_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
	        "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nY\n16\n",
	        "@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -12,5 +12,5 @@\n 12\n 13\n "
	        "14\n-15\n+Y\n 16\n",
	        "changes more than 6 lines apart: two hunks");
	case_is("1\n2\n3\n4\n5\n6\n7\n8\n", "1\nX\n3\n4\n5\n6\n7\nY\n",
	        "@@ -1,8 +1,8 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n-8\n+Y\n",
	        "changes 6 lines apart: one hunk");

	buf_init(&a);
	buf_init(&b);
	buf_init(&d);
	buf_init(&r);
	for (i = 0; i < 3000; i++) {
		random_text(&a, &seed, rand_r(&seed) % 30);
		random_text(&b, &seed, rand_r(&seed) % 30);
		buf_reset(&d);
		buf_reset(&r);
		diff_unified(&d, a.p, a.len, b.p, b.len, false);
		if (!apply(a.p ? a.p : "", a.len, d.p ? d.p : "", d.len, &r) || r.len != b.len ||
		        (b.len && memcmp(r.p, b.p, b.len) != 0))
			bad++;
	}
	ok(bad == 0, "3000 random pairs: the hunks applied to a give b, byte for byte");

	/* 200,000 lines, one changed in the middle. */
	buf_reset(&a);
	for (i = 0; i < 200000; i++)
		buf_appendf(&a, "line %d\n", i);
	buf_reset(&b);
	buf_append(&b, a.p, a.len);
	memcpy(strstr(b.p, "line 100000\n"), "LINE", 4);
	buf_reset(&d);
	t = secs();
	diff_unified(&d, a.p, a.len, b.p, b.len, false);
	t = secs() - t;
	printf("# 200,000 lines, one changed: %.3f s\n", t);
	ok(strstr(d.p, "-line 100000\n+LINE 100000\n") != NULL && t < 5,
	        "a long output with one change: found, quickly");

	/* 20,000 lines against 20,000 others: past the cap, one block. */
	buf_reset(&b);
	for (i = 0; i < 20000; i++)
		buf_appendf(&b, "other %d\n", i);
	buf_reset(&a);
	for (i = 0; i < 20000; i++)
		buf_appendf(&a, "line %d\n", i);
	buf_reset(&d);
	buf_reset(&r);
	t = secs();
	diff_unified(&d, a.p, a.len, b.p, b.len, false);
	t = secs() - t;
	printf("# 20,000 lines against 20,000 others: %.3f s, %zu bytes\n", t, d.len);
	ok(apply(a.p, a.len, d.p, d.len, &r) && r.len == b.len && memcmp(r.p, b.p, b.len) == 0 &&
	                t < 20,
	        "nothing in common, past the edit cap: still a correct diff, in bounded time");
	buf_free(&a);
	buf_free(&b);
	buf_free(&d);
	buf_free(&r);
	return done_testing();
}
