#!/usr/bin/env bash
# tests/check.sh - the README's second command and what CI runs: install what
# the tests need, build with warnings as errors, run the whole suite normally
# and under ASan+UBSan, and end with "N passed, N failed".
#   SHOAL_CHECK_ASAN=0 skips the sanitizer pass (quicker local runs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tests/deps.sh build test || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
status=0
builds=(build)
[ "${SHOAL_CHECK_ASAN:-1}" = 1 ] && builds+=(build-asan)

for b in "${builds[@]}"; do
    flags=(--enable-debug)
    [ "$b" = build-asan ] && flags+=(--enable-asan)
    mkdir -p "$b"
    rm -f "$b"/tests/*.trs "$b"/tests/*/*.trs
    echo "== $b: configure ${flags[*]}"
    (cd "$b" && "$top/configure" -q "${flags[@]}") || { status=1; continue; }
    echo "== $b: make"
    make -s -C "$b" -j"$jobs" >/dev/null || { make -C "$b" 2>&1 | tail -30; status=1; continue; }
    echo "== $b: make check"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
    if ! make -C "$b" -j"$jobs" check >"$b/check.out" 2>&1; then
        status=1
        grep -E '^(FAIL|ERROR|XPASS)' "$b/check.out" || true
        for log in $(grep -l -E '^(not ok|Bail out)' "$b"/tests/*.log "$b"/tests/*/*.log 2>/dev/null); do
            echo "---- $log"; tail -40 "$log"
        done
    fi
    grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$b/check.out" | sed "s/^/[$b] /"
done

passed=0 failed=0 skipped=0
for b in "${builds[@]}"; do
    for trs in "$b"/tests/*.trs "$b"/tests/*/*.trs; do
        [ -f "$trs" ] || continue
        passed=$((passed + $(grep -c -E '^:test-result: (PASS|XFAIL)' "$trs")))
        failed=$((failed + $(grep -c -E '^:test-result: (FAIL|XPASS|ERROR)' "$trs")))
        skipped=$((skipped + $(grep -c -E '^:test-result: SKIP' "$trs")))
    done
done
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
