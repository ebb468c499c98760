#!/usr/bin/env bash
# tests/bench/compare.sh - shoal side by side with pdsh, pssh (parallel-ssh)
# and clush against the same local sshd, alternating tools within each round,
# several rounds; prints medians (and min-max) of wall time, client CPU per
# host (user+sys of the tool's whole process tree), peak RSS and hosts that
# finished, and shoal/peer ratios of each.  Run by hand, as root:
#   bash tests/bench/compare.sh [ROUNDS]            (default 3 rounds)
# It builds an optimised shoal in build-bench/ (plain ./configure, -O2) unless
# SHOAL_BENCH_BIN names one, installs the peers from Debian if missing and
# brings up its own lab (tests/lab.sh) in /tmp/shoal-bench-lab.
# Scenarios (SPEC 7 and issue 7), all with the same host files and ssh_config:
#   200@32     200 aliases, `echo ok`, fanout 32
#   200@128    200 aliases, fanout 128
#   500@256    500 aliases, fanout 256 (memory: RSS per host in flight)
#   busy100@32 100 aliases of an sshd with MaxStartups 4:50:10, fanout 32,
#              default options; shoal also runs 100 plain aliases for the
#              throttled/unthrottled time ratio
#   1MB@32     100 aliases, each prints 1 MB (10,000 lines of 100 bytes)
#   rtt50@32   200 aliases of the same sshd 25 ms away each way (50 ms a
#              round trip: tests/faultproxy lag:25 in front of it), `echo ok`,
#              fanout 32; run last, its 200 Host blocks added only then, so
#              the scenarios above read the same ssh_config as ever
#   kh10k@32   200 aliases whose UserKnownHostsFile holds 10,000 hashed
#              lines of other hosts before theirs (HashKnownHosts, Debian's
#              default, on a machine that has seen many hosts), fanout 32;
#              run last too, its Host blocks added only then
# SHOAL_BENCH_SCENARIOS="200@32 1MB@32" picks some; SHOAL_BENCH_TOOLS="shoal
# pdsh" some tools.  The machine's load is printed with every round: the
# wall times are only comparable within one run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
lab=${SHOAL_BENCH_LAB:-/tmp/shoal-bench-lab}
scenarios=${SHOAL_BENCH_SCENARIOS:-200@32 200@128 500@256 busy100@32 1MB@32 rtt50@32 kh10k@32}
tools=${SHOAL_BENCH_TOOLS:-shoal pdsh pssh clush}

bash "$top/tests/deps.sh" build test bench || exit 1
. "$top/tests/bench/lib-bench.sh"
bench_shoal tests/faultproxy
labenv=(top_builddir="$(dirname "$(dirname "$shoal")")")
env "${labenv[@]}" bash "$top/tests/lab.sh" down "$lab" >/dev/null 2>&1
env "${labenv[@]}" bash "$top/tests/lab.sh" up "$lab" >/dev/null || exit 1
trap 'bash "$top/tests/lab.sh" down "$lab" >/dev/null 2>&1' EXIT

cfg=$lab/ssh_config
main=$(awk '/^Host demo01$/{f=1} f&&/Port/{print $2; exit}' "$cfg")
busy=$(awk '/^Host busy01$/{f=1} f&&/Port/{print $2; exit}' "$cfg")
user=$(awk '/User /{print $2; exit}' "$cfg")
block() { printf 'Host %s\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n    BatchMode yes\n' "$1" "$2" "$user" "$lab/id_ed25519" "$lab/known_hosts"; }
# One Host block per alias, as a fleet's generated config often has: about
# 4,700 lines, which every ssh (and libssh, unless shoal trims it) reads per host.
for i in $(seq -f '%03g' 1 500); do block "b$i" "$main"; done >>"$cfg"
for i in $(seq -f '%03g' 1 100); do block "t$i" "$busy"; done >>"$cfg"
seq -f 'b%03g' 1 200 >"$lab/h200"
seq -f 'b%03g' 1 500 >"$lab/h500"
seq -f 'b%03g' 1 100 >"$lab/h100"
seq -f 't%03g' 1 100 >"$lab/t100"
seq -f 'r%03g' 1 200 >"$lab/r200"
seq -f 'k%03g' 1 200 >"$lab/k200"
echo b001 >"$lab/h1"
export SSH_AUTH_SOCK=

# start_lag MS: tests/faultproxy of the build, holding every chunk MS ms each
# way, in front of the main sshd; sets lagport and trusts the sshd's host key
# there.  Its pid file is in the lab: 'lab.sh down' (the EXIT trap) ends it.
fp=$(dirname "$(dirname "$shoal")")/tests/faultproxy
start_lag() {
    local keys
    lagport=
    if [ ! -x "$fp" ]; then
        echo "# no $fp: rtt50@32 left out"
        return 1
    fi
    setsid "$fp" -p "$lab/lag.pid" -L "0:127.0.0.1:$main:lag:$1" </dev/null >"$lab/lag.out" 2>"$lab/lag.log" &
    for _ in $(seq 1 100); do
        grep -qx ready "$lab/lag.out" && break
        sleep 0.1
    done
    lagport=$(awk -F: '/^listening/ {print $NF; exit}' "$lab/lag.out")
    if ! grep -qx ready "$lab/lag.out" || [ -z "$lagport" ]; then
        echo "# the fault proxy did not start ($(cat "$lab/lag.log")): rtt50@32 left out"
        return 1
    fi
    keys=$(grep "^\[127.0.0.1\]:$main " "$lab/known_hosts")
    sed "s/^\[127.0.0.1\]:$main /[127.0.0.1]:$lagport /" <<<"$keys" >>"$lab/known_hosts"
}

# 1 MB per host: 10,000 lines of 99 x's and a newline.
mb_cmd='yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -n 10000'

run_tool() { # TOOL HOSTFILE FANOUT COMMAND -> "wall cpu_s rss_kB out_file"
    local tool=$1 hf=$2 f=$3 cmd=$4 out=$lab/out.$1 tf=$lab/time.$1
    case $tool in
    shoal) /usr/bin/time -o "$tf" -f '%e %U %S %M' "$shoal" -F "$cfg" -H "$hf" -f "$f" -q -- "$cmd" >"$out" 2>/dev/null ;;
    pdsh) PDSH_SSH_ARGS="-F $cfg -x %h" /usr/bin/time -o "$tf" -f '%e %U %S %M' pdsh -R ssh -f "$f" -w "^$hf" "$cmd" >"$out" 2>/dev/null ;;
    pssh) /usr/bin/time -o "$tf" -f '%e %U %S %M' parallel-ssh -x "-F $cfg" -h "$hf" -p "$f" -i -t 0 "$cmd" >"$out" 2>/dev/null ;;
    clush) /usr/bin/time -o "$tf" -f '%e %U %S %M' clush -o "-F $cfg" -f "$f" --hostfile "$hf" -- "$cmd" >"$out" 2>/dev/null ;;
    esac
    local wall u s rss
    # The last line: time puts "Command exited with non-zero status N" first.
    read -r wall u s rss < <(tail -n 1 "$tf")
    echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $rss"
}

# Hosts that finished: `echo ok` lines, or whole megabytes of x lines.
count_ok() { # KIND OUTFILE
    case $1 in
    ok) grep -c 'ok$' "$2" ;;
    mb) awk '/xxxxxxxxxx$/ {n++} END {print int(n / 10000)}' "$2" ;;
    esac
}

median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'; }
median1() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

# Results: $lab/res.NAME.TOOL, one line a round: wall cpu_s rss_kB ok load1
scenario() { # NAME HOSTFILE FANOUT KIND COMMAND TOOLS...
    local name=$1 hf=$2 f=$3 kind=$4 cmd=$5 n r tool res
    shift 5
    n=$(wc -l <"$hf")
    echo "## $name: $n hosts, fanout $f, $rounds rounds"
    for r in $(seq 1 "$rounds"); do
        for tool in "$@"; do
            res=$(run_tool "$tool" "$hf" "$f" "$cmd")
            echo "$res $(count_ok "$kind" "$lab/out.$tool") $(cut -d' ' -f1 /proc/loadavg)" >>"$lab/res.$name.$tool"
        done
    done
    printf '%-6s %-22s %-22s %-22s %-8s %s\n' tool 'wall s' 'CPU ms/host' 'peak RSS MB' 'ok' 'load'
    for tool in "$@"; do
        res=$lab/res.$name.$tool
        printf '%-6s %-22s %-22s %-22s %-8s %s\n' "$tool" \
            "$(awk '{print $1}' "$res" | median)" \
            "$(awk -v n="$n" '{print $2 * 1000 / n}' "$res" | median)" \
            "$(awk '{print $3 / 1024}' "$res" | median)" \
            "$(awk '{print $4}' "$res" | median1 | sed 's/\.000$//')" \
            "$(awk '{printf "%s ", $5}' "$res")"
    done
    for tool in "$@"; do
        [ "$tool" = shoal ] && continue
        [ -f "$lab/res.$name.shoal" ] || continue
        # Ratios of the medians; the per-round ratios give the spread.
        paste -d' ' "$lab/res.$name.shoal" "$lab/res.$name.$tool" | awk -v t="$tool" '
            {w[NR]=$1/$6; c[NR]=$2/$7; m[NR]=$3/$8}
            function med(a, n,   i, j, x) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
                return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
            END {printf "shoal/%s: wall %.2f, CPU %.3f, RSS %.2f (medians of per-round ratios)\n", t, med(w, NR), med(c, NR), med(m, NR)}'
    done
    echo
}

want() { case " $scenarios " in *" $1 "*) return 0 ;; esac; return 1; }
peers() { local t; for t in $tools; do echo -n "$t "; done; }

echo "# shoal benchmark, $(date -u '+%F %H:%M') UTC, $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# versions: shoal $("$shoal" --version | cut -d' ' -f2), $(pdsh -V 2>&1 | head -1), clush $(clush --version 2>&1 | awk '{print $NF}'), pssh $(parallel-ssh --version 2>&1), libssh $(pkg-config --modversion libssh), $(ssh -V 2>&1)"
echo "# ssh_config: $(wc -l <"$cfg") lines; CPU = user+sys of the tool and its children (/usr/bin/time)"
echo
rm -f "$lab"/res.*
# shellcheck disable=SC2046
{
want 200@32 && scenario 200@32 "$lab/h200" 32 ok 'echo ok' $(peers)
want 200@128 && scenario 200@128 "$lab/h200" 128 ok 'echo ok' $(peers)
if want 500@256; then
    scenario 500@256 "$lab/h500" 256 ok 'echo ok' $(peers)
    # RSS per host in flight: against shoal on one host.
    for r in $(seq 1 "$rounds"); do run_tool shoal "$lab/h1" 1 'echo ok' | awk '{print $3}' >>"$lab/res.base"; done
    awk 'FNR==NR {b[FNR]=$1; next} {print ($3 - b[FNR]) / 255}' "$lab/res.base" "$lab/res.500@256.shoal" |
        median | sed 's/^/shoal RSS per host in flight at fanout 256, kB (peak minus a one-host run, \/ 255): /'
    echo
fi
if want busy100@32; then
    scenario busy100@32 "$lab/t100" 32 ok 'echo ok' $(peers)
    case " $tools " in *" shoal "*)
        scenario plain100@32 "$lab/h100" 32 ok 'echo ok' shoal
        paste -d' ' "$lab/res.busy100@32.shoal" "$lab/res.plain100@32.shoal" | awk '{print $1 / $6}' |
            median | sed 's/^/shoal wall, MaxStartups 4:50:10 against plain sshd: /'
        echo
        ;;
    esac
fi
want 1MB@32 && scenario 1MB@32 "$lab/h100" 32 mb "$mb_cmd" $(peers)
if want rtt50@32 && start_lag 25; then
    for i in $(seq -f '%03g' 1 200); do block "r$i" "$lagport"; done >>"$cfg"
    echo "# rtt50@32: faultproxy lag:25 on 127.0.0.1:$lagport in front of the sshd; ssh_config now $(wc -l <"$cfg") lines"
    scenario rtt50@32 "$lab/r200" 32 ok 'echo ok' $(peers)
fi
if want kh10k@32; then
    ssh-keygen -q -t ed25519 -N '' -f "$lab/other" </dev/null >/dev/null 2>&1
    read -r otype oblob _ <"$lab/other.pub"
    { for i in $(seq 1 10000); do echo "node$i.example.net $otype $oblob"; done; cat "$lab/known_hosts"; } >"$lab/kh10k"
    ssh-keygen -q -H -f "$lab/kh10k" >/dev/null 2>&1 && rm -f "$lab/kh10k.old"
    for i in $(seq -f '%03g' 1 200); do block "k$i" "$main"; done |
        sed "s|UserKnownHostsFile $lab/known_hosts|UserKnownHostsFile $lab/kh10k|" >>"$cfg"
    echo "# kh10k@32: known_hosts of $(wc -l <"$lab/kh10k") hashed lines; ssh_config now $(wc -l <"$cfg") lines"
    scenario kh10k@32 "$lab/k200" 32 ok 'echo ok' $(peers)
fi
}
true
