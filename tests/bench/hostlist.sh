#!/usr/bin/env bash
# tests/bench/hostlist.sh - expand and fold 1,000,000 host names (SPEC 7:
# each well under a second), wall and CPU time.  Builds in build-bench/ with
# the default -O2 (as tests/bench/compare.sh does) unless top_builddir is set.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top/build-bench}"
if [ ! -f "$top_builddir/Makefile" ]; then
    (cd "$top" && autoreconf -fi >/dev/null 2>&1) || exit 1
    mkdir -p "$top_builddir" && (cd "$top_builddir" && "$top/configure" -q) || exit 1
fi
make -s -C "$top_builddir" tests/bench/bench-hostlist >/dev/null || exit 1
for expr in 'n[0000000-0999999]' 'rack[1-1000]-n[0001-1000]'; do
    "$top_builddir/tests/bench/bench-hostlist" "$expr"
    echo
done
for n in 20000 1000000; do
    "$top_builddir/tests/bench/bench-hostlist" --plain "$n"
    echo
done
"$top_builddir/tests/bench/bench-hostlist" --exclude 'h[1-1000000]' 'h[1-500000]'

