/*
 * test-hostlist.c - unit tests of host expressions and folding: expansion,
 * a table of bad inputs with their exact messages, folding and round trips,
 * files, exclusion and filters.  Prints TAP.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "host.h"
#include "hostlist.h"
#include "render.h"
#include "tap.h"

static void
expands(const char *expr, const char *want)
{
	struct hostlist hl;
	char *err = NULL, *got, desc[256];

	hostlist_init(&hl);
	snprintf(desc, sizeof desc, "expand '%s'", expr);
	if (hostlist_add_expr(&hl, expr, "-w", &err) < 0) {
		is_str(err, want, desc);
		free(err);
	} else {
		got = render(&hl);
		is_str(got, want, desc);
		free(got);
	}
	hostlist_free(&hl);
}

static char *
fold_expr(const char *expr)
{
	struct hostlist hl;
	char **names, *err = NULL, *res;
	size_t i;

	hostlist_init(&hl);
	if (hostlist_add_expr(&hl, expr, "-w", &err) < 0)
		return err;
	/* As shoal folds hosts: user@ and :port where the expression gave them. */
	names = calloc(hl.n + 1, sizeof *names);
	for (i = 0; i < hl.n; i++)
		names[i] = host_spec_string(hl.v[i].alias, hl.v[i].user, hl.v[i].port);
	res = hostlist_fold((const char *const *)names, hl.n);
	for (i = 0; i < hl.n; i++)
		free(names[i]);
	free(names);
	hostlist_free(&hl);
	return res;
}

static void
folds(const char *expr, const char *want)
{
	char desc[256], *got = fold_expr(expr);

	snprintf(desc, sizeof desc, "fold(expand('%s'))", expr);
	is_str(got, want, desc);
	free(got);
}

static void
test_expand(void)
{
	expands("web1", "web1");
	expands("web[01-03]", "web01 web02 web03");
	expands("n[8-10]", "n8 n9 n10");
	expands("n[098-101]", "n098 n099 n100 n101");
	expands("web[01-02,7].dc[1-2]",
	        "web01.dc1 web01.dc2 web02.dc1 web02.dc2 web7.dc1 web7.dc2");
	expands("a,b,a,c", "a b c");
	expands("u@h:2222,h,u@h:2222,h:22", "u@h:2222 h h:22");
	expands("[2001:db8::1],[2001:db8::1]:2222,root@[::1]:22",
	        "2001:db8::1 2001:db8::1:2222 root@::1:22");
	expands(" a , b ", "a b");
	expands("x[1-3]y[1-1]", "x1y1 x2y1 x3y1");
	/* ssh_config aliases may hold '_' (libssh's own check is not ours). */
	expands("web_1,db-2_a", "web_1 db-2_a");
	/* Padding belongs to each number as written (pdsh, nodeset). */
	expands("n[1,03,05]", "n1 n03 n05");
	expands("n[1,01]", "n1 n01");
	expands("n[1-2,010]", "n1 n2 n010");
	expands("p[03,06,09,012,015]", "p03 p06 p09 p012 p015");
	expands("x[07-09,010]", "x07 x08 x09 x010");
	expands("n[01-3,001-2]", "n01 n02 n03 n001 n002");
	expands("n[0-2,00]", "n0 n1 n2 n00");
}

static void
test_bad(void)
{
	static const struct {
		const char *expr, *msg;
	} bad[] = {
	        {"web[01-", "-w: unterminated range in 'web[01-'"},
	        {"n[5-2]", "-w: range 'n[5-2]' runs backwards"},
	        {"a,,b", "-w: empty item in 'a,,b'"},
	        {"a,", "-w: empty item in 'a,'"},
	        {"", "-w: empty host expression"},
	        {"web1:99999", "-w: bad port '99999' in 'web1:99999'"},
	        {"web1:0", "-w: bad port '0' in 'web1:0'"},
	        {"web1:", "-w: bad port '' in 'web1:'"},
	        {"web1:ssh", "-w: bad port 'ssh' in 'web1:ssh'"},
	        {"n[0-9999999]", "-w: 'n[0-9999999]' expands to more than 1000000 hosts"},
	        {"a[1-1000]b[1-1001]",
	                "-w: 'a[1-1000]b[1-1001]' expands to more than 1000000 hosts"},
	        {"n[]", "-w: empty range in 'n[]'"},
	        {"n[1,,2]", "-w: empty range in 'n[1,,2]'"},
	        {"n[a-b]", "-w: bad number in range in 'n[a-b]' (digits, '-' and ',' only)"},
	        {"n[1-]", "-w: bad number in range in 'n[1-]' (digits, '-' and ',' only)"},
	        {"web1]", "-w: unmatched ']' in 'web1]'"},
	        {"a b", "-w: illegal character ' ' in 'a b'"},
	        {"a/b", "-w: illegal character '/' in 'a/b'"},
	        {"@host", "-w: empty user name in '@host'"},
	        {"user@", "-w: empty host name in 'user@'"},
	        {":22", "-w: empty host name in ':22'"},
	        {"-foo", "-w: host name '-foo' starts with '-' (ssh refuses such names; to drop "
	                 "hosts as pdsh's '-host' does, use -x foo)"},
	        {"u@-foo:22", "-w: host name '-foo' starts with '-' (ssh refuses such names; to "
	                      "drop hosts as pdsh's '-host' does, use -x foo)"},
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expands(bad[i].expr, bad[i].msg);
}

static void
test_fold(void)
{
	const char *names[] = {"web01", "web02", "web03", "web04", "web05", "web07", "db1"};
	const char *none[] = {NULL};
	char *f;

	f = hostlist_fold(names, 7);
	is_str(f, "web[01-05,07],db1", "fold the SPEC's example");
	free(f);
	f = hostlist_fold(none, 0);
	is_str(f, "", "fold nothing");
	free(f);
	/* Round trips: canonical expressions come back unchanged. */
	folds("web[01-05,07],db1", "web[01-05,07],db1");
	folds("n[8-10]", "n[8-10]");
	folds("web[09-11]", "web[09-11]");
	folds("a,b,c", "a,b,c");
	folds("x[1-3]y", "x[1-3]y");
	folds("n[0000000-0999999]", "n[0000000-0999999]");
	/* Order of first appearance; numbers sort within a group. */
	folds("b3,a1,b1,b2,a2", "b[1-3],a[1-2]");
	/* Every numeric field folds, the last first (nodeset -f). */
	folds("rack[1-2]-n[01-16]", "rack[1-2]-n[01-16]");
	folds("web1.dc1,web2.dc1", "web[1-2].dc1");
	folds("web[01-02].dc[1-2],web03.dc2", "web[01-02].dc[1-2],web03.dc2");
	folds("a[1-2]b[1-2],a3b1", "a[1-2]b[1-2],a3b1");
	folds("x1y2z3,x1y2z4", "x1y2z[3-4]");
	/* Each number keeps its padding; a range runs at its lower bound's width. */
	folds("n[01-100]", "n[01-99,100]");
	folds("n1,n03,n05", "n[1,03,05]");
	folds("n1,n01", "n[1,01]");
	folds("n[1-2,010]", "n[1-2,010]");
	folds("n9,n10,n010", "n[9-10,010]");
	folds("n099,n100", "n[099-100]");
	folds("n0,n00,n1", "n[0-1,00]");
	/* user@ and :port are kept, and only alike ones merge. */
	folds("rb1@dead1,dead2:2222", "rb1@dead1,dead2:2222");
	folds("u@n1,u@n2:22,u@n3,n4:22,u@n2", "u@n[1-3],u@n2:22,n4:22");
	folds("[2001:db8::1]:2222,[2001:db8::1]", "[2001:db8::1]:2222,[2001:db8::1]");
}

static char *
write_file(const char *content)
{
	char tmpl[] = "/tmp/shoal-hostlist-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *fp;

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "w");
	fputs(content, fp);
	fclose(fp);
	return strdup(tmpl);
}

static void
test_files(void)
{
	struct hostlist hl;
	char *path = write_file("# fleet\n\nweb[1-2] # two\n  db1,db2  \n\n"), *err = NULL, *got;
	char want[512];

	hostlist_init(&hl);
	ok(hostlist_add_file(&hl, path, &err) == 0, "a host file reads");
	got = render(&hl);
	is_str(got, "web1 web2 db1 db2", "comments, blank lines and spaces are ignored");
	free(got);
	hostlist_free(&hl);
	unlink(path);
	free(path);

	path = write_file("a\nb\nweb[01-\n");
	hostlist_init(&hl);
	ok(hostlist_add_file(&hl, path, &err) < 0, "a bad line fails the file");
	snprintf(want, sizeof want, "%s:3: unterminated range in 'web[01-'", path);
	is_str(err, want, "the message names file and line");
	free(err);
	hostlist_free(&hl);
	unlink(path);
	free(path);

	/* Editors that write a byte order mark: skipped at the start, an
	 * illegal character anywhere else. */
	path = write_file("\xef\xbb\xbfweb1\n\xef\xbb\xbfweb2\n");
	hostlist_init(&hl);
	ok(hostlist_add_file(&hl, path, &err) < 0, "a BOM on line 2 is an error");
	snprintf(want, sizeof want, "%s:2: illegal character 0xef in host name", path);
	is_str(err, want, "named as the byte it is");
	free(err);
	got = render(&hl);
	is_str(got, "web1", "a BOM opening a host file is skipped");
	free(got);
	hostlist_free(&hl);
	unlink(path);
	free(path);
	path = write_file("\xef\xbb"
	                  "web1\n");
	hostlist_init(&hl);
	ok(hostlist_add_file(&hl, path, &err) < 0, "half a BOM is still an error");
	free(err);
	hostlist_free(&hl);
	unlink(path);
	free(path);

	hostlist_init(&hl);
	ok(hostlist_add_file(&hl, "/nonexistent/hosts.txt", &err) < 0, "a missing file fails");
	is_str(err, "/nonexistent/hosts.txt: No such file or directory", "and says why");
	free(err);
	hostlist_free(&hl);
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Repeats of names without digits drop, and folding a lot of them is not
 * quadratic (it was: 0.46 s for 20,000 names, minutes for 300,000). */
static void
test_fold_plain(void)
{
	enum { N = 300000 };
	const char **names = calloc(2 * N, sizeof *names);
	char **store = calloc(N, sizeof *store), *f;
	double t;
	size_t i, commas = 0;

	folds("a,b,a,c,b", "a,b,c");
	folds("x,n1,x,n2", "x,n[1-2]");
	for (i = 0; i < N; i++) {
		char tmp[16];
		size_t k = i;
		int n = 0;

		tmp[n++] = 'h';
		do {
			tmp[n++] = (char)('a' + k % 26);
			k /= 26;
		} while (k > 0);
		tmp[n] = '\0';
		store[i] = strdup(tmp);
		names[i] = names[N + i] = store[i];
	}
	t = cpu_seconds();
	f = hostlist_fold(names, 2 * N);
	t = cpu_seconds() - t;
	for (i = 0; f[i]; i++)
		commas += f[i] == ',';
	ok(commas == N - 1, "300,000 plain names named twice fold to 300,000");
	ok(t < 10.0, "and in far less than the minutes a quadratic dedup takes");
	if (t >= 10.0)
		printf("#   %.1f s CPU\n", t);
	free(f);
	for (i = 0; i < N; i++)
		free(store[i]);
	free(store);
	free(names);
}

static void
test_exclude_forms(void)
{
	struct hostlist hl, ex;
	char *err = NULL, *got;
	double t;

	hostlist_init(&hl);
	hostlist_init(&ex);
	hostlist_add_expr(&hl, "h,h:22,u@h,u@h:22,v@h:22,v@h:23,g", "-w", &err);
	hostlist_add_expr(&ex, "h:22,u@h:99", "-x", &err);
	hostlist_exclude(&hl, &ex);
	got = render(&hl);
	is_str(got, "h u@h v@h:23 g", "-x name:port drops that port of every user only");
	free(got);
	hostlist_free(&ex);
	hostlist_init(&ex);
	hostlist_add_expr(&ex, "v@h:23,u@h", "-x", &err);
	hostlist_exclude(&hl, &ex);
	got = render(&hl);
	is_str(got, "h g", "-x user@name:port and user@name");
	free(got);
	hostlist_free(&ex);
	hostlist_free(&hl);

	/* A big -x is linear: it was 4.7 s for 200,000 - 50,000, quadratic. */
	hostlist_init(&hl);
	hostlist_init(&ex);
	hostlist_add_expr(&hl, "h[1-400000],u@h1:2", "-w", &err);
	hostlist_add_expr(&ex, "h[1-399999],u@g:2", "-x", &err);
	t = cpu_seconds();
	hostlist_exclude(&hl, &ex);
	t = cpu_seconds() - t;
	got = render(&hl);
	is_str(got, "h400000", "-x of 400,000 names");
	ok(t < 5.0, "takes well under the minutes a quadratic -x does");
	if (t >= 5.0)
		printf("#   %.1f s CPU\n", t);
	free(got);
	hostlist_free(&ex);
	hostlist_free(&hl);
}

static void
test_exclude_filter(void)
{
	struct hostlist hl, ex;
	char *err = NULL, *got;

	hostlist_init(&hl);
	hostlist_init(&ex);
	hostlist_add_expr(&hl, "web[1-5],u@db1,db1:2222,db2", "-w", &err);
	hostlist_add_expr(&ex, "web[2-3],db1", "-x", &err);
	hostlist_exclude(&hl, &ex);
	got = render(&hl);
	is_str(got, "web1 web4 web5 db2", "-x by name drops every user and port of it");
	free(got);
	hostlist_free(&ex);
	hostlist_init(&ex);
	hostlist_add_expr(&hl, "u@db3,v@db3", "-w", &err);
	hostlist_add_expr(&ex, "u@db3", "-x", &err);
	hostlist_exclude(&hl, &ex);
	got = render(&hl);
	is_str(got, "web1 web4 web5 db2 v@db3", "-x user@name drops only that user");
	free(got);
	hostlist_free(&ex);

	ok(hostlist_filter(&hl, "^web[45]$", 0, "--filter-out", &err) == 0, "--filter-out runs");
	got = render(&hl);
	is_str(got, "web1 db2 v@db3", "--filter-out drops matches");
	free(got);
	ok(hostlist_filter(&hl, "db", 1, "--filter", &err) == 0, "--filter runs");
	got = render(&hl);
	is_str(got, "db2 v@db3", "--filter keeps matches");
	free(got);
	ok(hostlist_filter(&hl, "a(b", 1, "--filter", &err) < 0, "a bad pattern fails");
	is_str(err, "--filter: PCRE2 error at offset 3: missing closing parenthesis",
	        "with PCRE2's message and offset");
	free(err);
	/* The set is rebuilt after filtering: duplicates are still caught. */
	hostlist_add_expr(&hl, "db2,db9", "-w", &err);
	got = render(&hl);
	is_str(got, "db2 v@db3 db9", "duplicates are caught after a filter");
	free(got);
	hostlist_free(&hl);
}

int
main(void)
{
	test_expand();
	test_bad();
	test_fold();
	test_files();
	test_exclude_filter();
	test_exclude_forms();
	test_fold_plain();
	return done_testing();
}
