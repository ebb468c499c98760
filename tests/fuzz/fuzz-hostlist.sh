#!/usr/bin/env bash
# The host-expression fuzz target, driven without libFuzzer for a few seconds
# (under ASan+UBSan in the sanitizer build, which turns a crash or a leak into
# a failure).  Longer runs by hand: FUZZ_SECONDS=600 bash tests/fuzz/fuzz-hostlist.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
exec "$top_builddir/tests/fuzz/fuzz-hostlist" "${FUZZ_SECONDS:-3}" "$top_srcdir"/tests/fuzz/corpus-hostlist/*
