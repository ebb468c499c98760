/*
 * pattern.h - OpenSSH's host and name patterns (match.c): '*' any run, '?'
 * any one character, nothing else special ('[' is an ordinary character);
 * lists are comma-separated and '!' negates.  ssh_config's Host and Match
 * lines, SendEnv, algorithm lists and known_hosts name fields all use them.
 */
#ifndef SHOAL_PATTERN_H
#define SHOAL_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* Does s (sn bytes) match pat (pn bytes)?  fold: without case. */
bool pattern_match_n(const char *s, size_t sn, const char *pat, size_t pn, bool fold);
bool pattern_match(const char *s, const char *pat, bool fold);
/*
 * s against the comma list of n bytes: 1 a pattern matched and no negated
 * one did; -1 a negated pattern matched; 0 none matched.
 */
int pattern_list_match_n(const char *s, const char *list, size_t n, bool fold);
int pattern_list_match(const char *s, const char *list, bool fold);

#endif
