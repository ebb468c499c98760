/*
 * pattern.c - OpenSSH's patterns, the one matcher of ssh_config and
 * known_hosts names.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "pattern.h"

static bool
same(char a, char b, bool fold)
{
	return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

bool
pattern_match_n(const char *s, size_t sn, const char *pat, size_t pn, bool fold)
{
	size_t si = 0, pi = 0, star = SIZE_MAX, mark = 0;

	/* Backtrack to the last '*' only: linear in practice, never exponential. */
	while (si < sn) {
		if (pi < pn && pat[pi] == '*') {
			star = ++pi;
			mark = si;
		} else if (pi < pn && (pat[pi] == '?' || same(pat[pi], s[si], fold))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && pat[pi] == '*')
		pi++;
	return pi == pn;
}

bool
pattern_match(const char *s, const char *pat, bool fold)
{
	return pattern_match_n(s, strlen(s), pat, strlen(pat), fold);
}

int
pattern_list_match_n(const char *s, const char *list, size_t n, bool fold)
{
	const char *p = list, *end = list + n;
	size_t sn = strlen(s);
	int got = 0;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((comma != NULL ? comma : end) - p);
		bool neg = len > 0 && *p == '!';

		if (pattern_match_n(s, sn, p + neg, len - neg, fold)) {
			if (neg)
				return -1;
			got = 1;
		}
		p += len + 1;
	}
	return got;
}

int
pattern_list_match(const char *s, const char *list, bool fold)
{
	return pattern_list_match_n(s, list, strlen(list), fold);
}
