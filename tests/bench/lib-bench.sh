# tests/bench/lib-bench.sh - sourced by the benchmarks before tests/lib.sh.
#
#   bench_shoal [MAKE_TARGET...]   sets and exports SHOAL (and shoal): the
#       shoal to measure, SHOAL_BENCH_BIN when set, else an -O2 build in
#       build-bench/ (configured on first use; src/shoal and the MAKE_TARGETs
#       made).  Exits when it cannot build.  Needs $top, the source tree.
#   bench_lightsshd, start_lightsshd NAME   a light SSH target (lightsshd.c:
#       a login costs a thread, not sshd's forks and execs), built and
#       started as start_sshd starts sshd; see each below.
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

# bench_lightsshd: sets LIGHTSSHD to tests/bench/lightsshd.c built with cc
#     and pkg-config libssh into build-bench/lightsshd (not part of `make`;
#     rebuilt when the source is newer).  Status 1 when it cannot be built,
#     the reason in build-bench/lightsshd.log.  Needs $top.
bench_lightsshd() {
    local bb=$top/build-bench src=$top/tests/bench/lightsshd.c flags
    LIGHTSSHD=$bb/lightsshd
    [ -x "$LIGHTSSHD" ] && [ "$LIGHTSSHD" -nt "$src" ] && return 0
    mkdir -p "$bb" || return 1
    if ! flags=$(pkg-config --cflags --libs libssh 2>"$bb/lightsshd.log"); then
        echo "pkg-config cannot find libssh (libssh-dev)" >>"$bb/lightsshd.log"
        return 1
    fi
    # shellcheck disable=SC2086 # pkg-config's flags are words
    "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -pthread -o "$LIGHTSSHD" "$src" $flags \
        >"$bb/lightsshd.log" 2>&1
}

_bench_light_settled() {
    grep -q '^listening ' "$2" 2>/dev/null || ! _lib_alive "$1"
}

# start_lightsshd NAME: $LIGHTSSHD (bench_lightsshd first; tests/lib.sh
#     sourced) on a free loopback port, in $T/NAME/ (hostkey, out, log = its
#     stderr), accepting the keys of $T/authorized_keys.  Like start_sshd it
#     exports SSHD_PORT_<NAME> (NAME upper-cased, - as _) and trust_host_keys
#     knows its key; LIGHTSSHD_PID is its process, ended at cleanup.
start_lightsshd() {
    local name=$1 dir=$T/$1 var port
    [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || BAIL_OUT "start_lightsshd: bad name '$name'"
    [ -n "${LIGHTSSHD:-}" ] || BAIL_OUT "start_lightsshd: bench_lightsshd first"
    [ -f "$T/authorized_keys" ] || lab_keys
    mkdir -p "$dir"
    if [ ! -f "$dir/hostkey" ]; then
        ssh-keygen -q -t ed25519 -N '' -C "shoal-lab-$name" -f "$dir/hostkey" </dev/null ||
            BAIL_OUT "ssh-keygen failed"
    fi
    _lib_spawn "lightsshd-$name" "$dir/out" "$dir/log" \
        "$LIGHTSSHD" -k "$dir/hostkey" -a "$T/authorized_keys"
    LIGHTSSHD_PID=$_lib_pid
    wait_for 10 _bench_light_settled "$LIGHTSSHD_PID" "$dir/out"
    port=$(sed -n 's/^listening //p' "$dir/out")
    [ -n "$port" ] || BAIL_OUT "lightsshd $name did not start: $(cat "$dir/log")"
    var=${name^^}
    var=${var//-/_}
    printf -v "SSHD_PORT_$var" '%s' "$port"
    export "SSHD_PORT_$var"
    _lib_port_key[$port]=$dir/hostkey.pub
}
