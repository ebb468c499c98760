#!/usr/bin/env bash
# tests/bench/warm.sh - warm runs: the second run of N aliases of one local
# sshd, `true`, fanout F, shoal --persist against pssh (parallel-ssh) with
# ssh's ControlMaster auto + ControlPersist (one master per alias, ControlPath
# %n), side by side in one run, several rounds; also cold shoal (no keeper)
# against warm shoal, and a small --copy to every alias cold and warm (SFTP
# over the kept sessions).  Run by hand, as root:
#   bash tests/bench/warm.sh [ROUNDS] [N] [FANOUT]      (default 3 200 32)
# SHOAL_BENCH_BIN names the shoal to measure (default: an -O2 build in
# build-bench/, made if missing).  Prints one line per measurement and the
# medians; SPEC 7 asks warm shoal / warm pssh <= 0.5.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
n=${2:-200}
fanout=${3:-32}

if [ -n "${SHOAL_BENCH_BIN:-}" ]; then
    SHOAL=$SHOAL_BENCH_BIN
else
    bb=$top/build-bench
    if [ ! -f "$bb/Makefile" ]; then
        (cd "$top" && autoreconf -fi >/dev/null 2>&1) || exit 1
        mkdir -p "$bb" && (cd "$bb" && ../configure -q) || exit 1
    fi
    make -s -C "$bb" -j2 src/shoal >/dev/null || exit 1
    SHOAL=$bb/src/shoal
fi
export SHOAL
command -v parallel-ssh >/dev/null || bash "$top/tests/deps.sh" bench || exit 1
. "$top/tests/lib.sh"

lab_user
lab_keys
start_sshd main "MaxSessions 100"
add_aliases "$T/ssh_config" h "$n" "$SSHD_PORT_MAIN" "BatchMode yes"
trust_host_keys "$SSHD_PORT_MAIN"
seq -f "h%03g" 1 "$n" >"$T/hosts"
[ "$n" -le 99 ] && seq -f "h%02g" 1 "$n" >"$T/hosts"
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
cm="-o ControlMaster=auto -o ControlPersist=600 -o ControlPath=$T/cm-%n"
masters_exit() {
    local h
    while read -r h; do ssh -F "$T/ssh_config" -o ControlPath="$T/cm-%n" -O exit "$h" 2>/dev/null; done <"$T/hosts"
}
at_exit '"$SHOAL" --persist 0; masters_exit'

# wall seconds of one command, its output checked: every host printed nothing and exited 0
timed() {
    local s e
    s=$(date +%s.%N)
    "$@" >"$T/o" 2>"$T/e"
    local rc=$?
    e=$(date +%s.%N)
    [ "$rc" -eq 0 ] || echo "# failed (rc $rc): $* : $(tail -n 2 "$T/e")" >&2
    echo "$e - $s" | bc
}
sh_run() { "$SHOAL" -F "$T/ssh_config" -H "$T/hosts" -f "$fanout" --no-tui "$@" -- true; }
printf 'small file\n' >"$T/small"
install -d -o "$LAB_USER" "$T/xfer"
copy_run() { "$SHOAL" -F "$T/ssh_config" -H "$T/hosts" -f "$fanout" --no-tui --template --copy "$T/small" "$T/xfer/%h"; }
pssh_run() { parallel-ssh -x "-F $T/ssh_config $cm" -h "$T/hosts" -p "$fanout" -t 0 true; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

declare -A res=()
for r in $(seq 1 "$rounds"); do
    "$SHOAL" --persist 0
    masters_exit
    res[cold]+="$(timed sh_run) "
    res[copycold]+="$(timed copy_run) "
    res[first]+="$(timed sh_run --persist 600) "
    res[warm]+="$(timed sh_run) "
    res[copywarm]+="$(timed copy_run) "
    for p in $(pgrep -f -- "--persist 600"); do
        echo "# keeper $p: $n sessions, $(grep VmRSS /proc/"$p"/status | tr -s ' \t' ' ')"
    done
    res[pssh1]+="$(timed pssh_run) "
    res[pssh2]+="$(timed pssh_run) "
    echo "# round $r: shoal cold ${res[cold]##* } ... load $(cut -d' ' -f1 /proc/loadavg)"
    for k in cold first warm pssh1 pssh2 copycold copywarm; do echo "#   $k: ${res[$k]}"; done
done
for k in cold first warm pssh1 pssh2 copycold copywarm; do
    printf '%-6s median %s s (%s)\n' "$k" "$(echo ${res[$k]} | tr ' ' '\n' | median)" "${res[$k]}"
done
w=$(echo ${res[warm]} | tr ' ' '\n' | median)
p=$(echo ${res[pssh2]} | tr ' ' '\n' | median)
c=$(echo ${res[cold]} | tr ' ' '\n' | median)
echo "warm shoal / warm pssh = $(echo "scale=3; $w / $p" | bc)   (SPEC 7: <= 0.5)"
echo "warm shoal / cold shoal = $(echo "scale=3; $w / $c" | bc)"
cc=$(echo ${res[copycold]} | tr ' ' '\n' | median)
cw=$(echo ${res[copywarm]} | tr ' ' '\n' | median)
echo "warm --copy / cold --copy = $(echo "scale=3; $cw / $cc" | bc)"
done_testing
