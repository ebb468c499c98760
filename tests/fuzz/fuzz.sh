#!/usr/bin/env bash
# Run the fuzz target NAME (tests/fuzz/fuzz-NAME.c) without libFuzzer for a
# few seconds from its seeds, tests/fuzz/corpus-NAME (under ASan+UBSan in
# the sanitizer build, which turns a bad read, a crash or a leak into a
# failure).  Longer runs by hand:
#   FUZZ_SECONDS=600 top_builddir=$PWD bash ../tests/fuzz/fuzz.sh sftp
name=${1:?usage: fuzz.sh NAME}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
exec "$top_builddir/tests/fuzz/fuzz-$name" "${FUZZ_SECONDS:-3}" "$top_srcdir/tests/fuzz/corpus-$name"/*
