#!/usr/bin/env bash
# tests/lib.sh - sourced by every tests/tNNNN-*.sh.  TAP output, a temp dir
# per test, a real OpenSSH sshd on a free loopback port, the fault proxy, and
# cleanup of everything the test started, whatever way it ends.
#
#   TAP:      plan N, done_testing, pass, fail, is, isnt, like, unlike, diag, skip_all
#   running:  run_shoal ARGS...   ($T/out, $T/err, $RC; stdin from $SHOAL_STDIN or /dev/null)
#   waiting:  wait_for SECS CMD... (polls every 50 ms; 1 on deadline)
#   lab:      lab_user, lab_keys, start_sshd NAME [sshd_config lines...], free_port,
#             add_alias FILE ALIAS PORT [HOSTNAME], add_aliases FILE PREFIX COUNT PORT,
#             trust_host_keys PORT..., start_faultproxy SPEC...
set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${SHOAL:=$top_builddir/src/shoal}"
export top_srcdir top_builddir SHOAL

T=$(mktemp -d "${TMPDIR:-/tmp}/shoal-test.XXXXXX")
chmod 755 "$T"
_tap_n=0
_tap_failed=0
_tap_planned=
_pids=()

_cleanup() {
    local p
    for p in "${_pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# ---- TAP ----------------------------------------------------------------

plan() { _tap_planned=$1; echo "1..$1"; }
diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $*"
}
is() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3"; diag "got:  '$1'"$'\n'"want: '$2'"; fi
}
isnt() {
    if [ "$1" != "$2" ]; then pass "$3"; else fail "$3"; diag "got '$1', wanted anything else"; fi
}
like() {
    if grep -qE -- "$2" <<<"$1"; then pass "$3"; else fail "$3"; diag "got:  '$1'"$'\n'"want match: /$2/"; fi
}
unlike() {
    if ! grep -qE -- "$2" <<<"$1"; then pass "$3"; else fail "$3"; diag "got:  '$1'"$'\n'"want no match: /$2/"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() {
    [ -z "$_tap_planned" ] && echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
    exit $?
}

# ---- waiting and running ------------------------------------------------

wait_for() {
    local secs=$1 deadline
    shift
    deadline=$(($(date +%s%N) + secs * 1000000000))
    until "$@"; do
        [ "$(date +%s%N)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
    return 0
}

# run_shoal ARGS...: runs $SHOAL with a hard deadline (SHOAL_TIMEOUT, 60 s).
run_shoal() {
    local in=${SHOAL_STDIN:-/dev/null}
    env -u SSH_AUTH_SOCK timeout -s KILL "${SHOAL_TIMEOUT:-60}" "$SHOAL" "$@" <"$in" >"$T/out" 2>"$T/err"
    RC=$?
    if [ "$RC" -eq 137 ]; then
        diag "shoal hung and was killed after ${SHOAL_TIMEOUT:-60} s: $*"
    fi
    return 0
}

# ---- the lab --------------------------------------------------------------

# The login user: a dedicated one with /bin/sh when root, else ourselves.
lab_user() {
    if [ "$(id -u)" -eq 0 ]; then
        LAB_USER=shoaltest
        if ! id "$LAB_USER" >/dev/null 2>&1; then
            useradd -r -m -d /var/lib/shoaltest -s /bin/sh "$LAB_USER" 2>/dev/null ||
                id "$LAB_USER" >/dev/null 2>&1 || BAIL_OUT "cannot create user $LAB_USER"
        fi
        # A locked account ('!') is refused by sshd without PAM.
        if grep -q "^$LAB_USER:!" /etc/shadow 2>/dev/null; then
            usermod -p '*' "$LAB_USER"
        fi
    else
        LAB_USER=$(id -un)
    fi
    export LAB_USER
}

BAIL_OUT() { echo "Bail out! $*"; exit 1; }

# Client keys: $T/id_ed25519 (plain), $T/id_enc (passphrase "secret").
lab_keys() {
    [ -f "$T/id_ed25519" ] && return 0
    ssh-keygen -q -t ed25519 -N '' -C shoal-test -f "$T/id_ed25519" || BAIL_OUT "ssh-keygen failed"
    ssh-keygen -q -t ed25519 -N secret -C shoal-test-enc -f "$T/id_enc" || BAIL_OUT "ssh-keygen failed"
    cat "$T/id_ed25519.pub" "$T/id_enc.pub" >"$T/authorized_keys"
    chmod 644 "$T/authorized_keys"
    : >"$T/known_hosts"
    : >"$T/ssh_config"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    BAIL_OUT "no free port found"
}

# start_sshd NAME [sshd_config lines...]: a real sshd on a free loopback
# port; exports SSHD_PORT_<NAME>.  The caller's lines come first: sshd
# keeps the first value of a keyword.
start_sshd() {
    local name=$1 dir=$T/sshd-$1 port var tries line
    shift
    mkdir -p "$dir"
    [ -f "$T/authorized_keys" ] || lab_keys
    ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" || BAIL_OUT "ssh-keygen failed"
    [ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd && chmod 755 /run/sshd
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port)
        {
            for line in "$@"; do echo "$line"; done
            cat <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
PidFile $dir/pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
AllowUsers $LAB_USER
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 1000:30:1000
MaxSessions 100
LogLevel ERROR
CFG
        } >"$dir/sshd_config"
        : >"$dir/log"
        /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$dir/log" &
        local pid=$!
        _pids+=("$pid")
        if wait_for 10 _sshd_ready "$port" "$pid"; then
            var=SSHD_PORT_$(echo "$name" | tr '[:lower:]-' '[:upper:]_')
            printf -v "$var" '%s' "$port"
            export "${var?}"
            return 0
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    BAIL_OUT "sshd $name would not start: $(cat "$dir/log")"
}

_sshd_ready() {
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# add_alias FILE ALIAS PORT [HOSTNAME]: a Host block for the lab.
add_alias() {
    cat >>"$1" <<CFG
Host $2
    HostName ${4:-127.0.0.1}
    Port $3
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
    StrictHostKeyChecking yes
CFG
}

# add_aliases FILE PREFIX COUNT PORT: PREFIX01..PREFIXnn (3 digits past 99).
add_aliases() {
    local width=2 i
    [ "$3" -gt 99 ] && width=3
    for i in $(seq -f "%0${width}g" 1 "$3"); do
        add_alias "$1" "$2$i" "$4"
    done
}

# trust_host_keys PORT...: known_hosts entries for lab servers (direct or proxied).
trust_host_keys() {
    local port key
    for port in "$@"; do
        for key in "$T"/sshd-*/hostkey.pub; do
            echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$key")" >>"$T/known_hosts"
        done
    done
}

# start_faultproxy SPEC...: tests/faultproxy with one listener per SPEC
# (LISTENPORT:TARGETHOST:TARGETPORT:PLAN, LISTENPORT 0 = any); exports
# FP_PORT_1, FP_PORT_2... in order.
start_faultproxy() {
    local bin=$top_builddir/tests/faultproxy args=() s i line
    [ -x "$bin" ] || skip_all "tests/faultproxy is not built"
    for s in "$@"; do args+=(-L "$s"); done
    mkfifo "$T/fp.fifo"
    "$bin" "${args[@]}" >"$T/fp.fifo" 2>"$T/fp.log" &
    _pids+=("$!")
    exec 4<"$T/fp.fifo"
    i=0
    while IFS= read -r -t 10 line <&4; do
        case $line in
        listening*)
            i=$((i + 1))
            printf -v "FP_PORT_$i" '%s' "${line##*:}"
            export "FP_PORT_$i"
            ;;
        ready) break ;;
        esac
    done
    [ "$line" = ready ] || BAIL_OUT "faultproxy did not start: $(cat "$T/fp.log")"
}
