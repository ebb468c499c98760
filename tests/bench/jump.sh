#!/usr/bin/env bash
# tests/bench/jump.sh - bastions at fleet scale (SPEC 7, issue 15): 200
# targets behind one jump host whose sshd has MaxStartups 10:30:100, `echo
# ok`, at fanout 32 and 128, shoal side by side with pdsh, pssh
# (parallel-ssh) and clush, every tool given the same ssh_config, where each
# target has `ProxyJump bastion` (so the peers run `ssh -W` through the
# bastion for every host).  Tools alternate within each round.  Prints per
# tool the median (min-max) of: wall time, client CPU per host (user+sys of
# the tool and its children), the bastion's own sshd CPU (its listener's
# and its reaped children's user+sys over the run), and hosts that printed
# ok (the rest are lost).  Run by hand, as root:
#   bash tests/bench/jump.sh [ROUNDS]          (default 3)
# SHOAL_BENCH_BIN names the shoal to measure (default: an -O2 build in
# build-bench/); SHOAL_BENCH_TOOLS="shoal pdsh" picks tools;
# SHOAL_BENCH_FANOUTS="32 128" the fanouts; SHOAL_BENCH_CMD another command
# (its last line must be "ok", e.g. "head -c 1000000 /dev/zero | tr '\0' x |
# fold -w 99; echo ok" for 1 MB a host).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
tools=${SHOAL_BENCH_TOOLS:-shoal pdsh pssh clush}
fanouts=${SHOAL_BENCH_FANOUTS:-32 128}
cmd=${SHOAL_BENCH_CMD:-echo ok}

. "$top/tests/bench/lib-bench.sh"
bench_shoal
# lib.sh gives the servers and ends them whatever way this script ends.
. "$top/tests/lib.sh"
lab_user
lab_keys
start_sshd bastion "MaxStartups 10:30:100"
start_sshd target
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_TARGET"
cfg=$T/ssh_config
write_ssh_config "$cfg"
add_alias "$cfg" bastion "$SSHD_PORT_BASTION" "" "BatchMode yes"
add_aliases "$cfg" j 200 "$SSHD_PORT_TARGET" "ProxyJump bastion" "BatchMode yes"
seq -f 'j%03g' 1 200 >"$T/h200"
export SSH_AUTH_SOCK=

# CPU seconds of the bastion's sshd so far: the listener and its reaped children.
bastion_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15 + $16 + $17) / hz}' "/proc/$SSHD_PID_BASTION/stat"
}

no_sessions() { [ -z "$(pgrep -P "$SSHD_PID_BASTION")" ]; }

run_tool() { # TOOL FANOUT -> "wall cpu_s bastion_cpu_s ok"
    local tool=$1 f=$2 out=$T/out.$1 tf=$T/time.$1 b0 b1 wall u s
    b0=$(bastion_cpu)
    case $tool in
    shoal) /usr/bin/time -o "$tf" -f '%e %U %S' "$shoal" -F "$cfg" -H "$T/h200" -f "$f" -q -- "$cmd" >"$out" 2>/dev/null ;;
    pdsh) PDSH_SSH_ARGS="-F $cfg -x %h" /usr/bin/time -o "$tf" -f '%e %U %S' pdsh -R ssh -f "$f" -w "^$T/h200" "$cmd" >"$out" 2>/dev/null ;;
    pssh) /usr/bin/time -o "$tf" -f '%e %U %S' parallel-ssh -x "-F $cfg" -h "$T/h200" -p "$f" -i -t 0 "$cmd" >"$out" 2>/dev/null ;;
    clush) /usr/bin/time -o "$tf" -f '%e %U %S' clush -o "-F $cfg" -f "$f" --hostfile "$T/h200" -- "$cmd" >"$out" 2>/dev/null ;;
    esac
    # The bastion's sessions end a moment after the clients leave; their CPU
    # counts once the listener has reaped them.
    wait_for 20 no_sessions
    b1=$(bastion_cpu)
    read -r wall u s < <(tail -n 1 "$tf")
    echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $(awk -v a="$b0" -v b="$b1" 'BEGIN {print b - a}') $(grep -c 'ok$' "$out")"
}

median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'; }

echo "# jump benchmark, $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 200 targets behind one bastion (sshd MaxStartups 10:30:100), ProxyJump in ssh_config: $cmd"
for f in $fanouts; do
    rm -f "$T"/res.*
    for _ in $(seq 1 "$rounds"); do
        for tool in $tools; do
            run_tool "$tool" "$f" >>"$T/res.$tool"
        done
    done
    echo "## fanout $f, $rounds rounds"
    printf '%-6s %-22s %-22s %-24s %s\n' tool 'wall s' 'CPU ms/host' 'bastion sshd CPU s' 'ok of 200'
    for tool in $tools; do
        printf '%-6s %-22s %-22s %-24s %s\n' "$tool" \
            "$(awk '{print $1}' "$T/res.$tool" | median)" \
            "$(awk '{print $2 * 1000 / 200}' "$T/res.$tool" | median)" \
            "$(awk '{print $3}' "$T/res.$tool" | median)" \
            "$(awk '{printf "%s ", $4}' "$T/res.$tool")"
    done
done
done_testing >/dev/null
