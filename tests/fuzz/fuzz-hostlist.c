/*
 * fuzz-hostlist.c - fuzz target for the host-expression parser and folder.
 *
 * With clang: clang -fsanitize=fuzzer,address,undefined -I../../src ... runs it
 * under libFuzzer; fuzz-main.c drives it without libFuzzer (make check).
 * The input is split at the first NUL: an expression, then a PCRE2 pattern.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hostlist.h"

const char fuzz_alphabet[] = "[]-,@:0123456789abcxyz.%_ \t\n\\()*+?^$|\x01\xff";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostlist hl, ex;
	char *expr = malloc(size + 1), *err = NULL, *folded, *pat;
	const char **names;
	size_t i;

	if (expr == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	pat = strlen(expr) < size ? expr + strlen(expr) + 1 : NULL;
	hostlist_init(&hl);
	hostlist_init(&ex);
	if (hostlist_add_expr(&hl, expr, "-w", &err) < 0) {
		free(err);
		err = NULL;
	}
	if (hl.n > 0 && hostlist_add_expr(&ex, hl.v[0].alias, "-x", &err) == 0)
		hostlist_exclude(&hl, &ex);
	free(err);
	err = NULL;
	if (pat != NULL && hostlist_filter(&hl, pat, 0, "--filter-out", &err) < 0)
		free(err);
	names = calloc(hl.n + 1, sizeof *names);
	for (i = 0; names != NULL && i < hl.n; i++)
		names[i] = hl.v[i].alias;
	folded = hostlist_fold(names, names ? hl.n : 0);
	free(folded);
	free(names);
	hostlist_free(&hl);
	hostlist_free(&ex);
	free(expr);
	return 0;
}
