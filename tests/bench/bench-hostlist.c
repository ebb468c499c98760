/*
 * bench-hostlist.c - how long expanding and folding a million host names
 * takes, and the memory it needs.  Run by hand (bash tests/bench/hostlist.sh).
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
