#!/usr/bin/env bash
# tests/bench/compare.sh - shoal side by side with pdsh, pssh (parallel-ssh)
# and clush against the same local sshd, alternating tools, several rounds;
# prints medians (and min-max) of wall time, client CPU per host (user+sys of
# the tool's whole process tree), peak RSS and failures, and shoal/peer
# ratios.  Run by hand, as root on a machine like CI's:
#   bash tests/bench/compare.sh [ROUNDS]
# Scenarios (SPEC 7): 200 aliases `echo ok` at fanout 32; 500 aliases at
# fanout 256 (memory); 100 aliases of an sshd with MaxStartups 4:50:10 at
# fanout 32, default options.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top/build}"
rounds=${1:-3}
lab=${SHOAL_BENCH_LAB:-/tmp/shoal-bench-lab}
shoal=$top_builddir/src/shoal

bash "$top/tests/deps.sh" build test bench || exit 1
[ -x "$shoal" ] || { echo "build shoal first (bash tests/demo.sh or tests/check.sh)" >&2; exit 1; }
top_builddir=$top_builddir bash "$top/tests/lab.sh" down "$lab" >/dev/null 2>&1
top_builddir=$top_builddir bash "$top/tests/lab.sh" up "$lab" >/dev/null || exit 1
trap 'bash "$top/tests/lab.sh" down "$lab" >/dev/null 2>&1' EXIT

cfg=$lab/ssh_config
main=$(awk '/^Host demo01$/{f=1} f&&/Port/{print $2; exit}' "$cfg")
busy=$(awk '/^Host busy01$/{f=1} f&&/Port/{print $2; exit}' "$cfg")
user=$(awk '/User /{print $2; exit}' "$cfg")
block() { printf 'Host %s\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n    BatchMode yes\n' "$1" "$2" "$user" "$lab/id_ed25519" "$lab/known_hosts"; }
for i in $(seq -f '%03g' 1 500); do block "b$i" "$main"; done >>"$cfg"
for i in $(seq -f '%03g' 1 100); do block "t$i" "$busy"; done >>"$cfg"
seq -f 'b%03g' 1 200 >"$lab/h200"
seq -f 'b%03g' 1 500 >"$lab/h500"
seq -f 't%03g' 1 100 >"$lab/t100"
export SSH_AUTH_SOCK=

run_tool() { # TOOL HOSTFILE FANOUT -> "wall cpu rss ok"
    local tool=$1 hf=$2 f=$3 out=$lab/out.$1 tf=$lab/time.$1
    case $tool in
    shoal) /usr/bin/time -o "$tf" -f '%e %U %S %M' "$shoal" -F "$cfg" -H "$hf" -f "$f" -q -- echo ok >"$out" 2>/dev/null ;;
    pdsh) PDSH_SSH_ARGS="-F $cfg -x %h" /usr/bin/time -o "$tf" -f '%e %U %S %M' pdsh -R ssh -f "$f" -w "^$hf" echo ok >"$out" 2>/dev/null ;;
    pssh) /usr/bin/time -o "$tf" -f '%e %U %S %M' parallel-ssh -x "-F $cfg" -h "$hf" -p "$f" -i -t 0 echo ok >"$out" 2>/dev/null ;;
    clush) /usr/bin/time -o "$tf" -f '%e %U %S %M' clush -o "-F $cfg" -f "$f" --hostfile "$hf" -- echo ok >"$out" 2>/dev/null ;;
    esac
    read -r wall u s rss <"$tf"
    echo "$wall $(echo "$u + $s" | awk '{print $1 + $3}') $rss $(grep -c 'ok$' "$out")"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f (%.3f-%.3f)", m, a[1], a[NR]}'; }

scenario() { # NAME HOSTFILE FANOUT TOOLS...
    local name=$1 hf=$2 f=$3 n r tool
    shift 3
    n=$(wc -l <"$hf")
    echo "## $name: $n hosts, fanout $f, $rounds rounds"
    for r in $(seq 1 "$rounds"); do
        for tool in "$@"; do run_tool "$tool" "$hf" "$f" >>"$lab/res.$name.$tool"; done
    done
    printf '%-6s %-26s %-26s %-22s %s\n' tool 'wall s' 'CPU ms/host' 'peak RSS MB' 'ok hosts'
    for tool in "$@"; do
        local res=$lab/res.$name.$tool
        printf '%-6s %-26s %-26s %-22s %s\n' "$tool" \
            "$(awk '{print $1}' "$res" | median)" \
            "$(awk -v n="$n" '{print $2 * 1000 / n}' "$res" | median)" \
            "$(awk '{print $3 / 1024}' "$res" | median)" \
            "$(awk '{print $4}' "$res" | median)"
    done
    for tool in "$@"; do
        [ "$tool" = shoal ] && continue
        awk -v t="$tool" 'FNR==NR {s[FNR]=$1; sc[FNR]=$2; next} {w+=s[FNR]/$1; c+=sc[FNR]/$2; k++} END {printf "shoal/%s: wall %.2f, CPU %.3f (mean of per-round ratios)\n", t, w/k, c/k}' \
            "$lab/res.$name.shoal" "$lab/res.$name.$tool"
    done
    echo
}

echo "# shoal benchmark, $(date -u +%F), $(nproc) cores, $(uname -r)"
echo "# versions: shoal $("$shoal" --version | cut -d' ' -f2), $(pdsh -V 2>&1 | head -1), clush $(clush --version 2>&1), libssh $(pkg-config --modversion libssh)"
rm -f "$lab"/res.*
scenario 200-aliases "$lab/h200" 32 shoal pdsh pssh clush
# Memory at a high fanout is shoal's figure; the peers spawn one ssh per host.
scenario 500-aliases "$lab/h500" 256 shoal
scenario maxstartups "$lab/t100" 32 shoal pdsh pssh clush
