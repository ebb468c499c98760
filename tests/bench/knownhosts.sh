#!/usr/bin/env bash
# tests/bench/knownhosts.sh - peak memory of accept-new recording new hosts
# (issue 12: it grew by a copy of the file per host): 2,000 hosts from an
# empty known_hosts, then 100 new hosts beside a 10,000-line hashed one.
# Builds in build-bench/ unless top_builddir is set.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top/build-bench}"
if [ ! -f "$top_builddir/Makefile" ]; then
    (cd "$top" && autoreconf -fi >/dev/null 2>&1) || exit 1
    mkdir -p "$top_builddir" && (cd "$top_builddir" && "$top/configure" -q) || exit 1
fi
make -s -C "$top_builddir" tests/bench/bench-knownhosts >/dev/null || exit 1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
: >"$dir/empty"
echo "empty file, 2,000 new hosts:"
"$top_builddir/tests/bench/bench-knownhosts" "$dir/empty" 2000
ssh-keygen -q -t ed25519 -N '' -f "$dir/key" </dev/null || exit 1
read -r type blob _ <"$dir/key.pub"
for i in $(seq 1 10000); do echo "node$i.example.net $type $blob"; done >"$dir/big"
ssh-keygen -q -H -f "$dir/big" >/dev/null 2>&1 || exit 1
echo "10,000-line hashed file, 1 new host:"
cp "$dir/big" "$dir/big1"
"$top_builddir/tests/bench/bench-knownhosts" "$dir/big1" 1
echo "10,000-line hashed file, 100 new hosts:"
"$top_builddir/tests/bench/bench-knownhosts" "$dir/big" 100
