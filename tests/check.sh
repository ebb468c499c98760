#!/usr/bin/env bash
# tests/check.sh - the README's second command and what CI runs: install what
# the tests need, build with warnings as errors, run the whole suite normally
# and under ASan+UBSan, the threaded part of it under ThreadSanitizer, and end
# with "N passed, N failed".
#   SHOAL_CHECK_ASAN=0 skips the ASan pass, SHOAL_CHECK_TSAN=0 the TSan pass
#   (quicker local runs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tests/deps.sh build test || exit 1
# A test file that Makefile.am does not list is never run: say so and fail.
unlisted=$(for f in tests/t[0-9]*.sh; do grep -qF "$f" Makefile.am || echo "$f"; done)
if [ -n "$unlisted" ]; then
    echo "check.sh: not in Makefile.am's SH_TESTS, so never run:" $unlisted >&2
    echo "0 passed, 1 failed"
    exit 1
fi
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
status=0
builds=(build)
[ "${SHOAL_CHECK_ASAN:-1}" = 1 ] && builds+=(build-asan)
[ "${SHOAL_CHECK_TSAN:-1}" = 1 ] && builds+=(build-tsan)

# Under TSan, the tests whose threads share the most: the pool and rolling
# batches, cancel, the limiter, known_hosts recorded by many workers, auth,
# keepalives, sudo's stream filter, the live view, file transfer, the slot
# wait, warm runs (the keeper's threads, the asking of keepers), a tree's
# event writer, its gateways dying, its two pools at once (the root's own
# hosts beside the gateways), files streamed up while a pull goes on: about 5
# minutes with its build on a loaded 2-core machine (the whole suite under
# TSan would take far longer: t0108 alone takes 90 s; t0120 and t0121 measure
# RSS, which TSan's shadow memory inflates).  libssh and OpenSSL are not
# instrumented.
tsan_tests="tests/unit/test-core tests/t0101-run-many-aliases.sh tests/t0106-interrupt.sh
 tests/t0111-hosts-sharing-an-alias.sh tests/t0133-lost.sh tests/t0140-batch-order.sh
 tests/t0142-sudo.sh tests/t0143-live-view-rolling.sh tests/t0304-maxstartups-throttled.sh
 tests/t0305-auth.sh tests/t0320-known-hosts-trust.sh tests/t0340-interrupt-limiter-waiters.sh
 tests/t0401-live-view.sh tests/t0601-copy.sh tests/t0602-rcopy.sh tests/t0603-copy-interrupted.sh
 tests/t0115-slot-wait-not-connect-timeout.sh tests/t0174-warm-cold-differential.sh
 tests/t0182-persist-stopped-keeper.sh tests/t0700-tree-output-modes.sh
 tests/t0701-tree-gateway-failures.sh tests/t0719-tree-root-line.sh
 tests/t0722-tree-rcopy-streams-files.sh"

for b in "${builds[@]}"; do
    flags=(--enable-debug)
    [ "$b" = build-asan ] && flags+=(--enable-asan)
    [ "$b" = build-tsan ] && flags+=(--enable-tsan)
    check=(check)
    [ "$b" = build-tsan ] && check=(check TESTS="$(echo $tsan_tests)")
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
    # A race report also goes to a file: a test that expects shoal to fail
    # would not tell TSan's exit status (66) from the failure it expects.
    rm -rf "$b/tsan-reports"
    if [ "$b" = build-tsan ]; then
        mkdir -p "$b/tsan-reports"
        export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/tests/tsan.supp:log_path=$top/$b/tsan-reports/report"
    fi
    # TSan makes shoal 5-15 times slower: 50 MB to 20 hosts (t0601) needs
    # more than run_shoal's 60 s on a loaded 2-core machine.
    if [ "$b" = build-tsan ]; then export SHOAL_TIMEOUT=${SHOAL_TIMEOUT:-240}; fi
    started=$SECONDS
    if ! make -C "$b" -j"$jobs" "${check[@]}" >"$b/check.out" 2>&1; then
        status=1
        # No test failed by name: the check programs did not build; say why.
        grep -E '^(FAIL|ERROR|XPASS)' "$b/check.out" || tail -30 "$b/check.out"
        for log in $(grep -l -E '^(not ok|Bail out)' "$b"/tests/*.log "$b"/tests/*/*.log 2>/dev/null); do
            echo "---- $log"; tail -40 "$log"
        done
    fi
    grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$b/check.out" | sed "s/^/[$b] /"
    for report in "$b"/tsan-reports/report.*; do
        [ -f "$report" ] || continue
        echo "---- $report"; head -60 "$report"
    done
    echo "[$b] make check: $((SECONDS - started)) s"
done

passed=0 failed=0 skipped=0
for b in "${builds[@]}"; do
    for trs in "$b"/tests/*.trs "$b"/tests/*/*.trs; do
        [ -f "$trs" ] || continue
        passed=$((passed + $(grep -c -E '^:test-result: (PASS|XFAIL)' "$trs")))
        failed=$((failed + $(grep -c -E '^:test-result: (FAIL|XPASS|ERROR)' "$trs")))
        skipped=$((skipped + $(grep -c -E '^:test-result: SKIP' "$trs")))
    done
    # Each ThreadSanitizer report is a failure of its own.
    for report in "$b"/tsan-reports/report.*; do
        [ -f "$report" ] && failed=$((failed + 1))
    done
done
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
