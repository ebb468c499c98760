/*
 * tap.h - the few TAP helpers the C unit tests share.  Each test program
 * includes it once; results print as they come, the plan at the end.
 */
#ifndef SHOAL_TEST_TAP_H
#define SHOAL_TEST_TAP_H

#include <stdio.h>
#include <string.h>

static int test_num;
static int test_failed;

static void
ok(int cond, const char *desc)
{
	test_num++;
	if (!cond)
		test_failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", test_num, desc);
}

static void
is_str(const char *got, const char *want, const char *desc)
{
	int same = got != NULL && strcmp(got, want) == 0;

	ok(same, desc);
	if (!same)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want);
}

/* Print the plan; the exit status of the test program. */
static int
done_testing(void)
{
	printf("1..%d\n", test_num);
	return test_failed ? 1 : 0;
}

#endif
