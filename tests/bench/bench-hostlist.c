/*
 * bench-hostlist.c - how long expanding and folding a million host names
 * takes, and the memory it needs.  Run by hand (bash tests/bench/hostlist.sh).
 *
 *   bench-hostlist EXPR        expand EXPR, fold the names
 *   bench-hostlist --plain N   fold N distinct names without digits ("hbcd"),
 *                              each named twice (repeats must drop cheaply)
 *   bench-hostlist --exclude EXPR EXPR2   expand both, drop EXPR2 from EXPR
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "hostlist.h"

/* Wall time, and the process's CPU time: on a busy machine only the latter means much. */
static double
clock_s(clockid_t which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Name i in base 26 letters after an 'h': no digit anywhere. */
static char *
plain_name(size_t i)
{
	char tmp[32];
	int n = 0;

	tmp[n++] = 'h';
	do {
		tmp[n++] = (char)('a' + i % 26);
		i /= 26;
	} while (i > 0);
	tmp[n] = '\0';
	return strdup(tmp);
}

static int
bench_plain(size_t n)
{
	char **names = malloc(2 * n * sizeof *names), *folded;
	double t0, c0;
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = names[n + i] = plain_name(i);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	folded = hostlist_fold((const char *const *)names, 2 * n);
	printf("plain names    %zu, each twice\n", n);
	printf("fold           %.3f s (CPU %.3f s), %zu bytes\n", clock_s(CLOCK_MONOTONIC) - t0,
	        clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, strlen(folded));
	free(folded);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

static int
bench_exclude(const char *expr, const char *exexpr)
{
	struct hostlist hl, ex;
	char *err = NULL;
	double t0, c0;

	hostlist_init(&hl);
	hostlist_init(&ex);
	if (hostlist_add_expr(&hl, expr, "-w", &err) < 0 ||
	        hostlist_add_expr(&ex, exexpr, "-x", &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	hostlist_exclude(&hl, &ex);
	printf("-w %s -x %s\n", expr, exexpr);
	printf("exclude        %.3f s (CPU %.3f s), %zu left\n", clock_s(CLOCK_MONOTONIC) - t0,
	        clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, hl.n);
	hostlist_free(&hl);
	hostlist_free(&ex);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *expr = argc > 1 ? argv[1] : "n[0000000-0999999]";
	struct hostlist hl;
	struct rusage ru;
	const char **names;
	char *err = NULL, *folded;
	double t0, t1, t2, c0, c1, c2;
	size_t i;

	if (argc > 2 && strcmp(argv[1], "--plain") == 0)
		return bench_plain(strtoul(argv[2], NULL, 10));
	if (argc > 3 && strcmp(argv[1], "--exclude") == 0)
		return bench_exclude(argv[2], argv[3]);
	hostlist_init(&hl);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (hostlist_add_expr(&hl, expr, "bench", &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	names = malloc(hl.n * sizeof *names);
	for (i = 0; i < hl.n; i++)
		names[i] = hl.v[i].alias;
	folded = hostlist_fold(names, hl.n);
	t2 = clock_s(CLOCK_MONOTONIC);
	c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	getrusage(RUSAGE_SELF, &ru);
	printf("expression     %s\n", expr);
	printf("hosts          %zu\n", hl.n);
	printf("expand         %.3f s (CPU %.3f s)\n", t1 - t0, c1 - c0);
	printf("fold           %.3f s (CPU %.3f s)  -> %.60s\n", t2 - t1, c2 - c1, folded);
	printf("peak RSS       %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	free(folded);
	free(names);
	hostlist_free(&hl);
	return 0;
}
