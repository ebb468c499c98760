#!/usr/bin/env bash
# tests/bench/hostlist.sh - expand and fold 1,000,000 host names (SPEC 7:
# each well under a second). Needs a build: bash tests/check.sh or tests/demo.sh.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top/build}"
make -s -C "$top_builddir" tests/bench/bench-hostlist >/dev/null || exit 1
for expr in 'n[0000000-0999999]' 'rack[1-1000]-n[0001-1000]'; do
    "$top_builddir/tests/bench/bench-hostlist" "$expr"
    echo
done
