#!/usr/bin/env bash
# tests/bench/keeper.sh - a keeper's memory per kept session (its RSS with N
# sessions, for each N given, against one local sshd), and the wall time of
# a run of one host with a stopped (SIGSTOP) keeper present.  Run by hand:
#   bash tests/bench/keeper.sh [N...]          (default 1 100 300)
# SHOAL names the shoal to measure (default: the build lib.sh finds).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
[ "$#" -gt 0 ] || set -- 1 100 300
max=0
for n in "$@"; do [ "$n" -gt "$max" ] && max=$n; done

lab_user
lab_keys
start_sshd main "MaxSessions 10" "MaxStartups 200"
add_aliases "$T/ssh_config" h "$max" "$SSHD_PORT_MAIN" "BatchMode yes"
trust_host_keys "$SSHD_PORT_MAIN"
keeper_lab
w=2
[ "$max" -gt 99 ] && w=3

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
for n in "$@"; do
    "$SHOAL" --persist 0 >/dev/null 2>&1
    wait_for 10 sh -c "! ls '$XDG_RUNTIME_DIR'/shoal/*.sock >/dev/null 2>&1"
    seq -f "h%0${w}g" 1 "$n" >"$T/hosts"
    "$SHOAL" -F "$T/ssh_config" -H "$T/hosts" -f 32 --persist 600 -- true >/dev/null 2>"$T/e" ||
        echo "# run of $n failed: $(tail -n 2 "$T/e")"
    pid=$(keeper_pids)
    sleep 1 # the keeper's first keepalive turn is over
    echo "$n sessions: keeper RSS $(rss_kb "$pid") kB"
done
kill -STOP $(keeper_pids)
s=$(date +%s.%N)
"$SHOAL" -F "$T/ssh_config" -w "h$(printf "%0${w}d" 1)" -- true >/dev/null 2>&1
echo "a run of one host (its session held by the stopped keeper): $(echo "$(date +%s.%N) - $s" | bc) s"
kill -CONT $(keeper_pids)
s=$(date +%s.%N)
"$SHOAL" -F "$T/ssh_config" -w "h$(printf "%0${w}d" 1)" -- true >/dev/null 2>&1
echo "the same run, the keeper woken (warm): $(echo "$(date +%s.%N) - $s" | bc) s"
"$SHOAL" -F "$T/ssh_config" --persist 0 -w "h$(printf "%0${w}d" 2)" -- true >/dev/null 2>&1
s=$(date +%s.%N)
"$SHOAL" -F "$T/ssh_config" -w "h$(printf "%0${w}d" 2)" -- true >/dev/null 2>&1
echo "the same run with no keeper (cold): $(echo "$(date +%s.%N) - $s" | bc) s"
done_testing
