/*
 * test-pattern-expand.c - the two small modules ssh_config and known_hosts
 * share.  pattern.c: OpenSSH's patterns, '*' and '?' only, '[' ordinary,
 * case folding on request, comma lists with '!' negation that wins, empty
 * entries, long inputs.  expand.c: ~, ${VAR} and % tokens as OpenSSH
 * expands them: ~ and ~user give the home with a '/', an unknown user, an
 * unknown token, a lone '%' and an unset variable are errors; nothing is
 * expanded that the flags do not ask for.
 */
#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expand.h"
#include "pattern.h"
#include "tap.h"

static char *err;

static char *
x(const char *s, const struct expand_tokens *t, unsigned flags)
{
	static char *last;

	free(last);
	free(err);
	err = NULL;
	last = expand_string(s, t, flags, &err);
	return last;
}

static void
patterns(void)
{
	char *big;

	ok(pattern_match("web01", "web*", false), "* matches a run");
	ok(pattern_match("web01", "web0?", false), "? matches one character");
	ok(!pattern_match("web1", "web0?", false), "? needs one");
	ok(pattern_match("", "*", false), "* matches nothing");
	ok(!pattern_match("web1", "web[12]", false), "[ is an ordinary character");
	ok(pattern_match("web[12]", "web[12]", false), "and matches itself");
	ok(!pattern_match("Web1", "web1", false), "case counts by default");
	ok(pattern_match("Web1", "web1", true), "folded on request");
	ok(pattern_match("a.b.c", "*.*.c", false), "stars backtrack");
	ok(pattern_match_n("web1xxx", 4, "web1", 4, false), "lengths bound both sides");

	ok(pattern_list_match("db1", "web*,db*", false) == 1, "a list: one entry matches");
	ok(pattern_list_match("db1", "web*", false) == 0, "none matches: 0");
	ok(pattern_list_match("db1", "*,!db1", false) == -1, "a negation that matches wins: -1");
	ok(pattern_list_match("db2", "*,!db1", false) == 1, "one that does not leaves the match");
	ok(pattern_list_match("", "a,,b", false) == 1, "an empty entry matches the empty name");
	ok(pattern_list_match("x", "", false) == 0, "an empty list matches nothing");
	ok(pattern_list_match_n("b", "a,b,c", 3, false) == 1, "list length bound: a,b");
	ok(pattern_list_match_n("c", "a,b,c", 3, false) == 0, "c is past it");

	/* a hostile pattern stays linear: * a * a * ... against a long name */
	big = malloc(100001);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	ok(!pattern_match(big, "*a*a*a*a*a*a*a*b", false), "many stars on a long name end");
	free(big);
}

static void
expansions(void)
{
	struct expand_tokens t = {.home = "/home/me"};
	struct passwd *root = getpwuid(0);
	char want[512];

	t.v['h'] = "web1";
	t.v['p'] = "22";
	is_str(x("%h:%p %%", &t, 0), "web1:22 %", "tokens and %%");
	ok(x("%h-%Z", &t, 0) == NULL, "an unknown token is an error");
	is_str(err, "unknown token %Z", "that names it");
	ok(x("100%", &t, 0) == NULL, "a lone % at the end is an error");
	is_str(x("%h", NULL, 0), "%h", "no table: % is text");

	is_str(x("~", &t, EXPAND_TILDE), "/home/me/", "~ is the home with a slash, as ssh");
	is_str(x("~/", &t, EXPAND_TILDE), "/home/me/", "~/ too");
	is_str(x("~/k/%h", &t, EXPAND_TILDE), "/home/me/k/web1", "~/path");
	is_str(x("~/k", &t, 0), "~/k", "no EXPAND_TILDE: ~ stays");
	is_str(x("a/~/k", &t, EXPAND_TILDE), "a/~/k", "only a leading ~");
	if (root != NULL) {
		snprintf(want, sizeof want, "%s%skeys", root->pw_dir,
		        root->pw_dir[strlen(root->pw_dir) - 1] == '/' ? "" : "/");
		is_str(x("~root/keys", &t, EXPAND_TILDE), want, "~user/path: that user's home");
	}
	ok(x("~nosuchuser-unit/k", &t, EXPAND_TILDE) == NULL, "~ of an unknown user fails");
	is_str(err, "~nosuchuser-unit: no such user", "naming the user");

	setenv("SHOAL_UNIT_V", "val", 1);
	unsetenv("SHOAL_UNIT_UNSET");
	is_str(x("${SHOAL_UNIT_V}/x", &t, EXPAND_ENV), "val/x", "${VAR}");
	ok(x("${SHOAL_UNIT_UNSET}", &t, EXPAND_ENV) == NULL, "an unset variable fails");
	is_str(x("${SHOAL_UNIT_V}", &t, 0), "${SHOAL_UNIT_V}", "no EXPAND_ENV: left");
	x("", NULL, 0);
}

int
main(void)
{
	patterns();
	expansions();
	return done_testing();
}
