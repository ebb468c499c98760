# tests/bench/lib-bench.sh - sourced by the benchmarks before tests/lib.sh.
#
#   bench_shoal [MAKE_TARGET...]   sets and exports SHOAL (and shoal): the
#       shoal to measure, SHOAL_BENCH_BIN when set, else an -O2 build in
#       build-bench/ (configured on first use; src/shoal and the MAKE_TARGETs
#       made).  Exits when it cannot build.  Needs $top, the source tree.
bench_shoal() {
    local bb=$top/build-bench
    if [ -n "${SHOAL_BENCH_BIN:-}" ]; then
        shoal=$SHOAL_BENCH_BIN
    else
        if [ ! -f "$bb/Makefile" ]; then
            (cd "$top" && autoreconf -fi >/dev/null 2>&1) || exit 1
            mkdir -p "$bb" && (cd "$bb" && ../configure -q) || exit 1
        fi
        make -s -C "$bb" -j"$(nproc)" src/shoal "$@" >/dev/null || exit 1
        shoal=$bb/src/shoal
    fi
    SHOAL=$shoal
    export SHOAL
}
