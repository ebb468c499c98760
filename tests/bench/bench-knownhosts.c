/*
 * bench-knownhosts.c - the memory and time of recording N new hosts under
 * accept-new, each as connect.c does it: check, then check again and append
 * under the record lock.  Run by hand (bash tests/bench/knownhosts.sh).
 * Usage: bench-knownhosts FILE N; FILE may be empty or hold other hosts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "knownhosts.h"

#define B64 "AAAAC3NzaC1lZDI1NTE5AAAAICmUtnLB8fWrrIebG5VXnK/p8Brkn8MOvH5i5AG/YXYc"

int
main(int argc, char **argv)
{
	struct kh_files f;
	struct rusage ru;
	struct timespec t0, t1;
	enum kh_status st;
	char host[64], *where, *err;
	int i, n, recorded = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE N\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	kh_files_set(&f, argv[1], "/nonexistent");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i <= n; i++) {
		snprintf(host, sizeof host, "h%d.example.net", i);
		where = err = NULL;
		if (kh_check(&f, host, 22, B64, &where) == KH_UNKNOWN &&
		        kh_record(&f, host, 22, B64, false, &st, &where, &err) == 1)
			recorded++;
		free(where);
		free(err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("%d new hosts recorded in %.2f s, peak RSS %ld KB\n", recorded,
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	        ru.ru_maxrss);
	kh_files_free(&f);
	kh_free();
	return 0;
}
