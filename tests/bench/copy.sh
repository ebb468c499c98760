#!/usr/bin/env bash
# tests/bench/copy.sh - parallel upload: shoal --copy against parallel-scp
# (pssh) and clush --copy, one 50 MB file to 20 hosts, several rounds with the
# tools alternating; prints medians (and min-max) of wall time and client CPU
# (user+sys of the tool's whole process tree), the hosts whose copy has the
# source's checksum, and shoal/peer ratios.  Run by hand, as root:
#   bash tests/bench/copy.sh [ROUNDS] [MB] [HOSTS]
# The hosts are aliases of sshds on 127.0.0.1..N whose SFTP sessions each start
# in their own folder (tests/lib-sftp.sh), so every copy can be checked; the
# peers' scp speaks SFTP to them (OpenSSH 9's default).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top/build}"
rounds=${1:-3}
mb=${2:-50}
n=${3:-20}
export top_srcdir=$top top_builddir
bash "$top/tests/deps.sh" build test bench || exit 1
. "$top/tests/lib.sh"
. "$top/tests/lib-sftp.sh"
[ -x "$SHOAL" ] || { echo "build shoal first" >&2; exit 1; }

lab_user
lab_keys
sftp_hosts "$n"
cfg=$T/ssh_config
printf 'Host h*\n    BatchMode yes\n' >>"$cfg"
hosts=$(printf 'h%02d\n' $(seq 1 "$n"))
echo "$hosts" >"$T/hostfile"
head -c $((mb * 1024 * 1024)) /dev/urandom >"$T/src.bin"
want=$(sha256sum <"$T/src.bin")
export SSH_AUTH_SOCK=

run_tool() { # TOOL -> "wall cpu good"
    local tool=$1 tf=$T/time.$1 d good=0
    for d in "$T"/hosts/h*; do rm -rf "$d/in"; install -d -o "$LAB_USER" "$d/in"; done
    case $tool in
    shoal) /usr/bin/time -o "$tf" -f '%e %U %S' "$SHOAL" -F "$cfg" -H "$T/hostfile" -f "$n" -q \
        --copy "$T/src.bin" in/ >/dev/null 2>&1 ;;
    pssh) /usr/bin/time -o "$tf" -f '%e %U %S' parallel-scp -x "-F $cfg" -h "$T/hostfile" -p "$n" \
        -t 0 "$T/src.bin" in/ >/dev/null 2>&1 ;;
    clush) /usr/bin/time -o "$tf" -f '%e %U %S' clush -o "-F $cfg" -f "$n" --hostfile "$T/hostfile" \
        --copy "$T/src.bin" --dest in/ >/dev/null 2>&1 ;;
    esac
    for d in "$T"/hosts/h*; do
        [ -f "$d/in/src.bin" ] && [ "$(sha256sum <"$d/in/src.bin")" = "$want" ] && good=$((good + 1))
    done
    read -r wall u s <"$tf"
    echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $good"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'; }

echo "# shoal --copy benchmark, $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $mb MB to $n hosts, fanout $n, $rounds rounds; versions: shoal $("$SHOAL" --version | cut -d' ' -f2), pssh $(parallel-scp --version 2>&1), clush $(clush --version 2>&1 | awk '{print $2}'), $(ssh -V 2>&1 | cut -d, -f1)"
tools=(shoal pssh clush)
for r in $(seq 1 "$rounds"); do
    for tool in "${tools[@]}"; do run_tool "$tool" >>"$T/res.$tool"; done
done
printf '%-6s %-22s %-22s %s\n' tool 'wall s' 'CPU s' 'copies intact'
for tool in "${tools[@]}"; do
    printf '%-6s %-22s %-22s %s\n' "$tool" "$(awk '{print $1}' "$T/res.$tool" | median)" \
        "$(awk '{print $2}' "$T/res.$tool" | median)" "$(awk '{print $3}' "$T/res.$tool" | median)"
done
for tool in pssh clush; do
    awk -v t="$tool" 'FNR==NR {w[FNR]=$1; c[FNR]=$2; next} {rw+=w[FNR]/$1; rc+=c[FNR]/$2; k++} END {printf "shoal/%s: wall %.2f, CPU %.2f (mean of per-round ratios)\n", t, rw/k, rc/k}' \
        "$T/res.shoal" "$T/res.$tool"
done
