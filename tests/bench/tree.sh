#!/usr/bin/env bash
# tests/bench/tree.sh - tree mode at fleet scale (issue 26): N targets (2,000)
# behind 4 gateways that run this build of shoal, `echo ok` (a `true` with a
# line to count), measured at the root: wall, the root's CPU per target
# (user+sys of the root process alone: the gateways are sshd's children), its
# peak RSS, and targets that ended ok (the rest are lost).  Then the same with
# LAG ms added each way (fault proxy, lag:25, so 50 ms a round trip) between
# the root and the gateways only, side by side with shoal flat through the
# same latency (every target behind the proxy) and, when clush is installed,
# ClusterShell's own tree mode over the same gateways (its gateway module run
# by ssh; its root's configuration in $T through CLUSTERSHELL_CFGDIR, which
# hands the gateways its ssh options: the -F file names the targets for them,
# with the lab user's key).  Run by hand, as root:
#   bash tests/bench/tree.sh [ROUNDS]          (default 1)
# SHOAL_BENCH_BIN names the shoal to measure (default: an -O2 build in
# build-bench/); SHOAL_BENCH_N the number of targets; SHOAL_BENCH_FANOUT the
# hosts in flight at once (default 128): the flat root's fanout, split evenly
# over the gateways in tree mode; SHOAL_BENCH_LAG the one-way lag in ms
# (default 25); SHOAL_BENCH_TOOLS picks runs among "tree flat-lag tree-lag
# clush-lag"; SHOAL_BENCH_TARGETS what the targets are, one server for all:
#   light  (the default when it builds) tests/bench/lightsshd.c, a libssh
#          server that answers `true` and `echo` itself, a thread a login:
#          about 1 ms of CPU, so the runs measure shoal, clush and the
#          latency, as in a real fleet where every target has its own CPU.
#          What is left of this machine's floor is the gateways' shoal and
#          lightsshd sharing 2 cores, some 2 ms a login: the tree run's wall.
#   sshd   OpenSSH's sshd, as the gateways are: some 25-30 ms of CPU a login
#          here (fork, re-exec, the privsep child, the session's fork and
#          exec of the shell), so 2,000 logins need 25-30 s of this 2-core
#          machine whatever the client does: tree and flat through the lag
#          both sit on that floor and their walls stay close
#          (SHOAL_BENCH_FANOUT=32, flat then bound by the latency, or a
#          higher SHOAL_BENCH_LAG still shows what the tree saves).
# The gateways are always real sshd running shoal (or clush's gateway).
# Besides the root's figures, each run prints tgt_ms/login: the CPU of the
# targets' server (its own and its reaped children's) over the run per
# target, which says which floor the run sat on.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-1}
n=${SHOAL_BENCH_N:-2000}
f=${SHOAL_BENCH_FANOUT:-128}
gf=$(((f + 3) / 4))
lag=${SHOAL_BENCH_LAG:-25}
tools=${SHOAL_BENCH_TOOLS:-tree flat-lag tree-lag clush-lag}
targets=${SHOAL_BENCH_TARGETS:-}

. "$top/tests/bench/lib-bench.sh"
bench_shoal
case $targets in
'')
    targets=sshd
    bench_lightsshd && targets=light ;;
light)
    bench_lightsshd || {
        echo "tree.sh: lightsshd does not build: $(cat "$top/build-bench/lightsshd.log")" >&2
        exit 2
    } ;;
sshd) ;;
*)
    echo "tree.sh: SHOAL_BENCH_TARGETS is light or sshd, not '$targets'" >&2
    exit 2 ;;
esac
. "$top/tests/lib.sh"
. "$top/tests/lib-tree.sh"
if [ "$targets" = light ]; then
    tree_lab 4 "$n" start_lightsshd
    tgt_pid=$LIGHTSSHD_PID
    tgt_what="one lightsshd: a thread a login"
else
    tree_lab 4 "$n"
    tgt_pid=$SSHD_PID_TGT
    tgt_what="one OpenSSH sshd: its forks and execs a login"
    [ -z "${SHOAL_BENCH_TARGETS:-}" ] && tgt_what+="; lightsshd does not build, see build-bench/lightsshd.log"
fi
export SSH_AUTH_SOCK=
# The targets by the names the gateways' ssh_config gives them.
sed -n 's/^Host //p' "$T/gw/ssh_config" >"$T/hosts"

# ---- the latency: a fault proxy listener per gateway, and one for flat targets ----
specs=()
for i in 1 2 3 4; do
    var=SSHD_PORT_GW$i
    specs+=("0:127.0.0.1:${!var}:lag:$lag")
done
specs+=("0:127.0.0.1:$SSHD_PORT_TGT:lag:$lag")
start_faultproxy "${specs[@]}"
lagcfg=$T/ssh_config.lag
write_ssh_config "$lagcfg"
for i in 1 2 3 4; do
    var=FP_PORT_$i
    add_alias "$lagcfg" "gw$i" "${!var}" "" "HostKeyAlias lag-gw$i"
    read -r type blob _ <"$T/gw$i/hostkey.pub"
    echo "lag-gw$i $type $blob" >>"$T/known_hosts"
done
# Flat through the same latency: the root reaches every target through the proxy.
flatcfg=$T/ssh_config.flat
write_ssh_config "$flatcfg"
printf 'Host n*\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n    HostKeyAlias lag-tgt\n    StrictHostKeyChecking yes\n' \
    "$FP_PORT_5" "$LAB_USER" "$T/id_ed25519" "$T/known_hosts" >>"$flatcfg"
read -r type blob _ <"$T/tgt/hostkey.pub"
echo "lag-tgt $type $blob" >>"$T/known_hosts"

# ---- ClusterShell's tree mode over the same gateways (lab user's files only) ----
clush_ok=0
if command -v clush >/dev/null; then
    cs=$T/clustershell
    mkdir -p "$cs"
    {
        echo "[routes]"
        echo "$(hostname -s): gw[1-4]"
        echo "gw[1-4]: $(paste -sd, "$T/hosts")"
    } >"$cs/topology.conf"
    # The root's ssh to the gateways goes through the proxy.
    cat >"$cs/clush.conf" <<EOF
[Main]
fanout: $gf
connect_timeout: 30
command_timeout: 0
color: never
fd_max: 8192
history_size: 0
node_count: yes
verbosity: 1
ssh_user: $LAB_USER
ssh_path: ssh
ssh_options: -F $lagcfg -oBatchMode=yes
EOF
    # ClusterShell's root hands its ssh options to its gateways: the gateways'
    # ssh reads the same -F file, so it names the targets too, with the lab
    # user's key and known_hosts (their ssh runs as the lab user).
    add_aliases "$lagcfg" n "$n" "$SSHD_PORT_TGT" \
        "IdentityFile $T/gw/id" "UserKnownHostsFile $T/gw/known_hosts"
    clush_ok=1
fi

# tgt_ticks: CPU clock ticks of the targets' server so far, with its
# children's that it reaped (sshd's sessions; lightsshd has none).
tgt_ticks() {
    local st
    read -r st <"/proc/$tgt_pid/stat"
    st=${st##*) }
    awk '{print $12 + $13 + $14 + $15}' <<<"$st"
}

run_one() { # NAME -> "wall root_cpu_s maxrss_kb ok tgt_ticks"
    local name=$1 tf=$T/time.$1 out=$T/out.$1 wall u s rss okn t0
    t0=$(tgt_ticks)
    case $name in
    tree) /usr/bin/time -o "$tf" -f '%e %U %S %M' "$shoal" -F "$T/ssh_config" --gateways 'gw[1-4]' \
        --gateway-shoal "$GW_SHOAL" -H "$T/hosts" -f "$gf" -- 'echo ok' >"$out" 2>"$T/err.$name" ;;
    tree-lag) /usr/bin/time -o "$tf" -f '%e %U %S %M' "$shoal" -F "$lagcfg" --gateways 'gw[1-4]' \
        --gateway-shoal "$GW_SHOAL" -H "$T/hosts" -f "$gf" -- 'echo ok' >"$out" 2>"$T/err.$name" ;;
    flat-lag) /usr/bin/time -o "$tf" -f '%e %U %S %M' "$shoal" -F "$flatcfg" \
        -H "$T/hosts" -f "$f" -- 'echo ok' >"$out" 2>"$T/err.$name" ;;
    clush-lag)
        [ "$clush_ok" = 1 ] || { echo "- - - - -"; return; }
        CLUSTERSHELL_CFGDIR=$T/clustershell /usr/bin/time -o "$tf" -f '%e %U %S %M' \
            clush --topology="$T/clustershell/topology.conf" -f "$gf" -w "$(paste -sd, "$T/hosts")" \
            -O "ssh_options=-F $lagcfg -oBatchMode=yes" \
            -- 'echo ok' >"$out" 2>"$T/err.$name" ;;
    esac
    read -r wall u s rss < <(tail -n 1 "$tf")
    okn=$(grep -c 'ok$' "$out")
    # Not all ok: the summary (shoal) or the first messages (clush) say why.
    if [ "$okn" -lt "$n" ] && [ -s "$T/err.$name" ]; then
        case $name in
        clush*) head -3 "$T/err.$name" ;;
        *) tail -1 "$T/err.$name" ;;
        esac | sed 's/^/# '"$name"': /' >&2
    fi
    echo "$wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $rss $okn $(($(tgt_ticks) - t0))"
}

echo "# tree benchmark, $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# targets: $targets ($tgt_what)"
echo "# $n targets, 4 gateways (this build); $f in flight (flat -f $f, each gateway -f $gf); lag $lag ms each way on the root's links"
printf '%-10s %8s %12s %14s %9s %6s %14s\n' run wall_s root_cpu_s cpu_ms/target rss_MB ok tgt_ms/login
hz=$(getconf CLK_TCK)
for ((r = 1; r <= rounds; r++)); do
    for t in $tools; do
        read -r wall cpu rss okn ticks < <(run_one "$t")
        printf '%-10s %8s %12s %14s %9s %6s %14s\n' "$t" "$wall" "$cpu" \
            "$(awk -v c="$cpu" -v n="$n" 'BEGIN {if (c == "-") print "-"; else printf "%.3f", c * 1000 / n}')" \
            "$(awk -v k="$rss" 'BEGIN {if (k == "-") print "-"; else printf "%.1f", k / 1024}')" "$okn" \
            "$(awk -v t="$ticks" -v n="$n" -v hz="$hz" 'BEGIN {if (t == "-") print "-"; else printf "%.2f", t * 1000 / hz / n}')"
    done
done
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$targets" = light ]; then
    # Its own count of logins served and failed, said when it ends.
    kill_procs "$tgt_pid"
    wait "$tgt_pid" 2>/dev/null
    sed -n 's/^lightsshd: \(.*logins.*\)/# lightsshd: \1/p' "$T/tgt/log"
fi
